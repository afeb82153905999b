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
