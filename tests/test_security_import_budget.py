"""Issue 12 for foreign folders: how much media an import takes from a hostile source. Sparse files
cost their maker nothing and were written dense (and held in memory until the run was committed).
Imports run as subprocesses under an address-space limit (test_security_importers_hostile)."""
from __future__ import annotations

import json
import os
import sys

import pytest

from test_security_importers_hostile import _import, _mlflow_run, _runs, _w, _wandb_run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="sparse files and rlimits: POSIX")


def _sparse(path, size: int, head: bytes = b"") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)


def _media_bytes(out) -> int:
    return sum(p.stat().st_size for p in out.rglob("media/**/*") if p.is_file())


def test_wandb_media_are_imported_up_to_a_budget(tmp_path):
    """A wandb run naming six sparse video files (no disk used in the source) had every one read into
    memory, held until the run was committed and written dense: with files of 1 GiB, as many GiB as
    the zip named. Now a run takes media up to ``--max-media`` MiB (2 GiB by default, an import 4 times
    that), with one warning naming the first key left out; the rest of the run imports."""
    src = tmp_path / "src"
    rows = [_w("history", i, loss=float(i), clip=json.dumps({"_type": "video-file", "path": f"media/v{i}.mp4"}))
            for i in range(6)]
    run = _wandb_run(src, [*rows, _w("exit")])
    for i in range(6):
        _sparse(run / "files" / "media" / f"v{i}.mp4", 3 << 20, b"\0\0\0\x18ftypmp42")
    out = tmp_path / "runs"
    proc = _import("wandb", src, out, extra=["--max-media", "8"])
    assert _media_bytes(out) <= 8 << 20
    assert proc.stderr.count("media past 8 MiB per run are not imported") == 1, proc.stderr
    assert "(the first: 'files/media/v2.mp4', 3 MiB;" in proc.stderr
    r = _runs(out)["wandb-abc"]
    assert [x["loss"] for x in r.history] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert [x.get("clip") is not None for x in r.history] == [True, True, False, False, False, False]


def test_import_media_budget_spans_runs(tmp_path):
    """The budget of an import is 4 runs' worth: 7 runs of 3 MiB media each under ``--max-media 4``
    write at most 16 MiB; each run left without its media says so once."""
    src = tmp_path / "src"
    for k in range(7):
        run = _wandb_run(src, [_w("history", 0, loss=1.0, clip=json.dumps({"_type": "video-file", "path": "v.mp4"})),
                               _w("exit")], rid=f"r{k}")
        _sparse(run / "files" / "v.mp4", 3 << 20, b"\0\0\0\x18ftypmp42")
    out = tmp_path / "runs"
    proc = _import("wandb", src, out, extra=["--max-media", "4"])
    assert _media_bytes(out) <= 16 << 20
    assert proc.stderr.count("media past 16 MiB per import are not imported") == 2, proc.stderr
    runs = _runs(out)
    assert len(runs) == 7 and all(r.history[0]["loss"] == 1.0 for r in runs.values())


def test_mlflow_artifact_image_with_a_sparse_tail(tmp_path):
    """An MLflow artifact that is a 4-pixel PNG followed by 8 GB of holes passed the header check and
    was then read whole: MemoryError, and the run (metrics, params) was lost. Now an artifact over
    1 GiB is not read, with a warning naming it, and artifacts past the run's budget are skipped."""
    from PIL import Image

    store = tmp_path / "mlruns"
    run = _mlflow_run(store, "r1")
    art = run / "artifacts"
    art.mkdir()
    Image.new("RGB", (4, 4)).save(art / "huge.png")
    os.truncate(art / "huge.png", 8 << 30)
    for i in range(4):
        Image.new("RGB", (4, 4), (i, 0, 0)).save(art / f"p{i}.png")
        os.truncate(art / f"p{i}.png", 3 << 20)
    out = tmp_path / "runs"
    proc = _import("mlflow", store, out, extra=["--max-media", "8"])
    assert "artifact 'huge.png':" in proc.stderr and "larger than 1024 MiB" in proc.stderr
    assert proc.stderr.count("media past 8 MiB per run are not imported") == 1, proc.stderr
    assert _media_bytes(out) <= 8 << 20
    r = _runs(out)["mlflow-r1"]
    assert [x["loss"] for x in r.history] == [0.5, 0.25] and r.config["lr"] == 0.1
