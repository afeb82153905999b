"""Issue 12 for foreign folders: names a downloaded zip or a shared drive can hold (bytes that are
not UTF-8, newlines). Imports run as subprocesses (test_security_importers_hostile)."""
from __future__ import annotations

import json
import os
import sys

import pytest

from test_security_importers_hostile import _import, _runs

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="names of any bytes: Linux")


def test_tensorboard_run_folders_named_with_bytes_that_are_not_utf8(tmp_path):
    """A logdir holding a run folder named ``bad\\xff`` (bytes that are no UTF-8, as a zip made
    elsewhere holds) ended ``reportgen import tensorboard`` with UnicodeEncodeError (exit 2, every
    run lost); once past that, each import rewrote that run (its stored source, made valid, never
    equalled the name read), so ``serve --watch`` rebuilt it every pass. Now every run imports,
    under a valid id and name, and a second import leaves the runs as they are."""
    from tensorboardX import SummaryWriter

    logdir = tmp_path / "logs"
    for name in ("ok", os.fsdecode(b"bad\xff"), "nl\nrun"):
        w = SummaryWriter(str(logdir / name))
        w.add_scalar("loss", 0.5, 0)
        w.close()
    out = tmp_path / "runs"
    _import("tensorboard", logdir, out)
    runs = _runs(out)
    assert len(runs) == 3 and all(r.history[0]["loss"] == 0.5 for r in runs.values())
    assert sorted(r.name for r in runs.values()) == ["bad\ufffd", "nl\nrun", "ok"]
    before = {p: p.read_bytes() for p in out.rglob("*.json")}
    proc = _import("tensorboard", logdir, out)
    assert "(0 new rows)" in proc.stdout
    assert {p: p.read_bytes() for p in out.rglob("*.json")} == before
    assert all(json.loads((out / rid / "run.json").read_text())["id"] == rid for rid in runs)


@pytest.mark.parametrize("wandb_id", ["x<b>y", "a b", "z" * 70, "r\u00e9sum\u00e9"])
def test_wandb_runs_whose_id_is_no_folder_name_are_imported_renamed(tracker_sources, tmp_path, wandb_id):
    """A wandb run whose id (its ``run-<id>.wandb``, its folder ``offline-run-<time>-<id>``) could not
    be a run folder's name was skipped ("id='wandb-x<b>y': expected ...; skipped"), while the MLflow
    importer imports such a run under a safe id, with a warning. The wandb importer now does the
    same (common.safe_run_id): the run is imported, its history whole, and a second import finds it."""
    import shutil

    from import_sources import STEPS

    (src,) = [p for p in tracker_sources["wandb"].iterdir() if p.name.startswith("offline-run-")]
    root = tmp_path / "wandb"
    dst = root / f"offline-run-20240101_000000-{wandb_id}"
    shutil.copytree(src, dst)
    (log,) = dst.glob("run-*.wandb")
    log.rename(dst / f"run-{wandb_id}.wandb")
    out = tmp_path / "runs"
    proc = _import("wandb", root, out)
    (run,) = _runs(out).values()
    assert run.id.startswith("wandb-") and run.id != f"wandb-{wandb_id}" and run.name == "w-run"
    assert f"wandb run {wandb_id!r}: not usable as a folder name; imported as {run.id}" in proc.stderr
    assert "skipped" not in proc.stdout + proc.stderr
    assert [row["loss"] for row in run.history if "loss" in row] == [1.0 / (s + 1) for s in range(STEPS)]
    again = _import("wandb", root, out)
    assert list(_runs(out)) == [run.id] and "(0 new rows)" in again.stdout
