"""End to end: every seed snippet (examples/log_everything.py) logs through
``reportgen.log`` in a real subprocess, and ``reportgen.Api()`` reads every logged
object back with all its files present; custom charts render and compile."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import reportgen
from reportgen.media.presets import render_custom_chart
from reportgen.storage.jsonio import read_json

REPO = Path(__file__).resolve().parent.parent

EXPECTED = {
    "gradients": "histogram", "segmentation": "image", "driving_scene": "image", "video": "video",
    "video_batch": "video", "dataframe": "table", "media_table": "table", "custom_file": "html",
    "custom_string": "html", "protein": "molecule", "my_custom_plot_id": "custom_chart",
    "my_custom_id": "custom_chart", "my_bar_chart_id": "custom_chart", "my_histogram": "custom_chart",
    "pr": "custom_chart", "roc": "custom_chart", "conf_mat": "custom_chart", "series": "custom_chart",
    "new_chart": "custom_chart", "chart": "vega_lite", "bar_figure": "svg", "figure_as_image": "image",
    "plotly": "plotly", "generated_samples": "gallery", "point_cloud": "object3d",
    "point_cloud_categories": "object3d", "point_cloud_rgb": "object3d", "point_scene": "object3d",
}


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    root = tmp_path_factory.mktemp("everything") / "runs"
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "log_everything.py"), "--dir", str(root),
                           "--id", "everything"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "not supported" not in proc.stderr, proc.stderr
    return root


def _records(value):
    """Every tagged record inside a logged value (galleries, nested dicts, lists)."""
    if isinstance(value, dict):
        if "_type" in value:
            yield value
            for item in value.get("items", []):
                yield from _records(item)
        else:
            for v in value.values():
                yield from _records(v)
    elif isinstance(value, list):
        for v in value:
            yield from _records(v)


def _check_files(run_dir: Path, rec: dict, seen: set[str]) -> None:
    """Assert that every file a record names exists (and recurse into table files)."""
    t = rec["_type"]
    seen.add(t)
    for field in ("path", "structure", "scene", "spec", "table"):
        if isinstance(rec.get(field), str):
            assert (run_dir / rec[field]).is_file(), f"{t}.{field} missing: {rec[field]}"
    for mask in (rec.get("masks") or {}).values():
        assert (run_dir / mask["path"]).is_file()
    if t in ("table",) or (t == "custom_chart"):
        table = read_json(run_dir / (rec["path"] if t == "table" else rec["table"]))
        assert set(table) == {"columns", "data"}
        for row in table["data"]:
            for cell in row:
                if isinstance(cell, dict) and "_type" in cell:
                    _check_files(run_dir, cell, seen)


def test_every_seed_object_reads_back_with_its_files(logged):
    run = reportgen.Api(root=str(logged)).run("everything")
    assert run.state == "finished"
    rows = list(run.scan_history())
    by_key: dict[str, list] = {}
    for row in rows:
        for k, v in row.items():
            if not k.startswith("_"):
                by_key.setdefault(k, []).append(v)
    for key, kind in EXPECTED.items():
        assert any(isinstance(v, dict) and v.get("_type") == kind for v in by_key.get(key, [])), (key, by_key.get(key))
    seen: set[str] = set()
    for values in by_key.values():
        for rec in _records(values):
            _check_files(run.dir, rec, seen)
    assert {"histogram", "gallery", "image", "audio", "video", "table", "html", "molecule", "object3d",
            "custom_chart", "vega_lite", "svg", "plotly"} <= seen
    gallery = by_key["generated_samples"][0]
    assert [i["format"] for i in gallery["items"]] == ["obj", "gltf", "glb"]
    assert by_key["examples"][0]["_type"] == "gallery" and by_key["examples"][0]["items"][0]["caption"] == "Label"
    assert run.summary["gradients"]["_type"] == "histogram" and run.summary["best_accuracy"] == pytest.approx(0.8)
    tensor = run.summary["tensor"]
    assert tensor["_type"] == "tensor" and tensor["shape"] == [1000] and (run.dir / tensor["path"]).is_file()
    scene = read_json(run.dir / by_key["point_scene"][0]["scene"])
    assert len(scene["boxes"]) == 2 and scene["vectors"][0]["end"] == [0.1, 0.2, 0.5]


def test_custom_charts_render_from_the_run_folder_alone(logged):
    import vl_convert as vlc

    run = reportgen.Api(root=str(logged)).run("everything")
    charts = [v for row in run.scan_history() for v in row.values()
              if isinstance(v, dict) and v.get("_type") in ("custom_chart", "vega_lite")]
    assert len(charts) >= 10
    for rec in charts:
        if rec["_type"] == "vega_lite":
            spec = read_json(run.dir / rec["spec"])
        else:
            spec = render_custom_chart(read_json(run.dir / rec["spec"]), read_json(run.dir / rec["table"]),
                                       rec["fields"], rec["string_fields"])
        assert vlc.vegalite_to_svg(spec).startswith("<svg")
    user = next(r for r in charts if r.get("preset") == "carey/new_chart")
    assert read_json(run.dir / user["spec"])["mark"] == {"type": "area", "line": True}


def test_per_step_limits_through_log(tmp_path):
    import warnings

    import numpy as np

    reportgen.init(project="limits", dir=str(tmp_path), id="limits")
    try:
        with pytest.raises(ValueError, match="at most 100 Audio"):
            reportgen.log({"clips": [reportgen.Audio(np.zeros(8), sample_rate=8) for _ in range(101)]})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reportgen.log({"images": [reportgen.Image(np.zeros((2, 2))) for _ in range(51)]})
        assert any("51 Image objects" in str(w.message) for w in caught)
        reportgen.log({"clips": [reportgen.Audio(np.zeros(8), sample_rate=8) for _ in range(100)]})
    finally:
        reportgen.finish()
    rows = list(reportgen.Api(root=str(tmp_path)).run("limits").scan_history())
    assert [r.get("images", {}).get("count") for r in rows if "images" in r] == [51]
    assert [r["clips"]["count"] for r in rows if "clips" in r] == [100]


def test_plain_rows_do_not_import_numpy(tmp_path):
    # the SDK touches reportgen.media.base for every list it logs: keep that import light
    code = ("import sys, reportgen\n"
            f"reportgen.init(project='p', dir={str(tmp_path)!r}, id='plain')\n"
            "reportgen.log({'a': 1, 'lst': [1, 2], 'nested': {'s': 'x'}})\n"
            "reportgen.finish()\n"
            "assert 'numpy' not in sys.modules, 'numpy was imported'\n")
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
