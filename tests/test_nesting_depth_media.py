"""The media JSON the SDK writes (tables, chart specs) is held to what the site reads: a table file
to ``MAX_DEPTH`` levels (the file being the first, as ``storage.safety.too_deep`` counts), a
Vega-Lite spec to ``MAX_SPEC_DEPTH``. What is past them is refused when it is logged, naming the
key, the rest of the row kept; what is within them is built and read back."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import reportgen
from reportgen.media.figures import VegaLite
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.storage.safety import MAX_DEPTH, MAX_SPEC_DEPTH


def _lists(levels: int):
    value = 1
    for _ in range(levels):
        value = [value]
    return value


def _table(cell_levels: int):
    """A table whose file nests ``cell_levels + 3`` levels (file, data, row, then the cell's own)."""
    return reportgen.Table(columns=["a", "b"], data=[[_lists(cell_levels), 2]])


def _spec(levels: int) -> dict:
    """A drawable Vega-Lite spec nesting ``levels`` levels (itself the first; its ``config.deep`` the rest)."""
    return {"mark": "point", "data": {"values": [{"x": 1, "y": 2}]},
            "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}},
            "config": {"deep": _lists(levels - 2)}}


def _chart(where: Path, levels: int):
    """A custom chart of a user preset (in ``where/presets``, the folder of the script: its current
    folder) whose spec nests ``levels`` levels, the built-in line's with a ``config.deep`` of lists."""
    from reportgen.storage.presets import BUILTIN_DIR

    template = json.loads((BUILTIN_DIR / "line.json").read_text())
    template["config"] = {"deep": _lists(levels - 2)}
    (where / "presets").mkdir(exist_ok=True)
    (where / "presets" / f"deep{levels}.json").write_text(json.dumps(template))
    table = reportgen.Table(columns=["x", "y", "z"], data=[[1, 2, _lists(MAX_DEPTH - 3)], [2, 3, None]])
    return reportgen.plot_table(f"deep{levels}", table, {"x": "x", "y": "y"})


def test_media_json_past_what_the_site_reads_is_refused_when_logged(tmp_path, monkeypatch):
    """MediaContext.write_json wrote up to 255 levels while the site reads a run's JSON to 100 and a
    chart spec to 60: a Table with a cell 150 lists deep was written without a word and its page said
    "could not show table"; a spec 61 deep the same; and run.summary["t"] = such a Table raised into
    the training script once the write refused it. Each is now refused at log time with log()'s
    warning naming the key (summary: its own), the rest of the row kept, and what fits is shown."""
    runs, site = tmp_path / "runs", tmp_path / "site"
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning) as caught:
        run = reportgen.init(id="m", dir=runs, project="p")
        run.log({"t_fits": _table(MAX_DEPTH - 3), "t_deeper": _table(MAX_DEPTH - 2), "t_150": _table(150),
                 "spec_fits": VegaLite(_spec(MAX_SPEC_DEPTH)), "spec_deeper": VegaLite(_spec(MAX_SPEC_DEPTH + 1)),
                 "chart_fits": _chart(tmp_path, MAX_SPEC_DEPTH), "chart_deeper": _chart(tmp_path, MAX_SPEC_DEPTH + 1),
                 "loss": 0.5}, step=0)
        run.summary["s_fits"] = _table(MAX_DEPTH - 3)
        run.summary["s_deeper"] = _table(MAX_DEPTH - 2)  # (raised TooDeep into the script, once refused)
        run.finish()
    told = [str(w.message) for w in caught]
    for key, limit in (("t_deeper", MAX_DEPTH), ("t_150", MAX_DEPTH), ("spec_deeper", MAX_SPEC_DEPTH),
                       ("chart_deeper", MAX_SPEC_DEPTH)):
        assert any(f"log(): key {key!r}: could not store" in t and f"deeper than {limit} levels" in t
                   and "the rest of the row is logged" in t for t in told), (key, told)
    assert any("summary key 's_deeper'" in t and f"deeper than {MAX_DEPTH} levels" in t for t in told), told
    assert not any("fits" in t for t in told), told

    with warnings.catch_warnings(record=True) as read:
        warnings.simplefilter("always")
        api = reportgen.Api(runs).run("m")
        rows = list(api.scan_history())
    assert [str(w.message) for w in read] == []
    kept = {"t_fits", "spec_fits", "chart_fits", "loss"}
    assert len(rows) == 1 and kept <= set(rows[0]) and not {"t_deeper", "t_150", "spec_deeper", "chart_deeper"} \
        & set(rows[0]), rows
    assert "s_fits" in api.summary and "s_deeper" not in api.summary
    table = json.loads((runs / "m" / rows[0]["t_fits"]["path"]).read_text())
    assert table["data"][0] == [_lists(MAX_DEPTH - 3), 2]
    assert not list((runs / "m" / "media").rglob("*.tmp"))

    said = build(BuildConfig(runs=runs, out=site, quiet=True)).warnings
    assert not any("could not show" in w or "nested deeper" in w or "refused" in w for w in said), said
    page = (site / "runs" / "m" / "index.html").read_text()
    for key in ("t_fits", "spec_fits", "chart_fits", "s_fits"):
        assert f">{key}<" in page, key
    assert not any(f">{key}<" in page for key in ("t_deeper", "t_150", "spec_deeper", "chart_deeper", "s_deeper"))
    assert "rgp-missing" not in page


def test_the_site_refuses_the_specs_and_tables_one_level_past_the_limits(tmp_path, monkeypatch):
    """The limits the SDK applies are the site's own: the same files one level deeper, written past
    the SDK (as another tool would), are refused by the build ("could not show")."""
    runs, site = tmp_path / "runs", tmp_path / "site"
    monkeypatch.chdir(tmp_path)
    run = reportgen.init(id="m", dir=runs, project="p")
    run.log({"t": _table(1), "spec": VegaLite(_spec(3)), "chart": _chart(tmp_path, 10)}, step=0)
    run.finish()
    row = json.loads((runs / "m" / "history.jsonl").read_text().splitlines()[0])
    table = runs / "m" / row["t"]["path"]
    table.write_text(json.dumps({"columns": ["a", "b"], "data": [[_lists(MAX_DEPTH - 2), 2]]}))
    (runs / "m" / row["spec"]["spec"]).write_text(json.dumps(_spec(MAX_SPEC_DEPTH + 1)))
    deep = json.loads((tmp_path / "presets" / "deep10.json").read_text())
    deep["config"] = {"deep": _lists(MAX_SPEC_DEPTH - 1)}
    (runs / "m" / row["chart"]["spec"]).write_text(json.dumps(deep))
    said = build(BuildConfig(runs=runs, out=site, quiet=True)).warnings
    for key in ("t", "spec", "chart"):
        assert any(f"{key} (step 0): could not show" in w for w in said), (key, said)
