"""`reportgen export RUNS -o DIR` writes only its own files in DIR: each table is made beside its name
and renamed over it (storage.safety.write_own). It wrote ``DIR/.runs.csv.tmp`` by name, so a link
planted there (DIR a shared folder) had the table written wherever it led; and a pipe or a file where
``DIR/history/`` should be printed a FileExistsError traceback. Real subprocesses."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links and named pipes: POSIX")


def _runs(root: Path) -> Path:
    runs = root / "runs"
    for rid, loss in (("a", 1.0), ("b", 0.5)):
        (runs / rid).mkdir(parents=True)
        (runs / rid / "run.json").write_text(json.dumps({"format": 1, "id": rid, "name": rid, "state": "finished"}))
        (runs / rid / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": loss}) + "\n")
    return runs


def _export(runs: Path, out: Path, fmt: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportgen", "export", str(runs), "--format", fmt, "-o", str(out)],
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")})


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_link_planted_under_a_temporary_name_is_not_written_through(tmp_path, fmt):
    import pandas as pd

    runs = _runs(tmp_path)
    out, victim = tmp_path / "out", tmp_path / "victim"
    (out / "history").mkdir(parents=True)
    victim.mkdir()
    (victim / "kept").write_text("mine")
    (out / f".runs.{fmt}.tmp").symlink_to(victim / "made")  # (a broken link: open() made its target)
    (out / "history" / f".a.{fmt}.tmp").symlink_to(victim / "kept")  # (a link to a file: overwritten)
    proc = _export(runs, out, fmt)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in victim.iterdir()) == ["kept"] and (victim / "kept").read_text() == "mine"
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    assert not (out / f"runs.{fmt}").is_symlink() and sorted(read(out / f"runs.{fmt}")["run_id"]) == ["a", "b"]
    assert read(out / "history" / f"a.{fmt}")["loss"].tolist() == [1.0]
    assert read(out / "history" / f"b.{fmt}")["loss"].tolist() == [0.5]


@pytest.mark.parametrize("what", ["pipe", "file", "link"])
def test_no_folder_where_history_should_be_is_one_error_line(tmp_path, what):
    runs = _runs(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    if what == "pipe":
        os.mkfifo(out / "history")
    elif what == "file":
        (out / "history").write_text("not a folder")
    else:
        (tmp_path / "elsewhere").mkdir()
        (out / "history").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    proc = _export(runs, out, "csv")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"reportgen: error: {out / 'history'}: ")
    assert ("a symbolic link (to " if what == "link" else "not a folder; not written") in line
    if what == "link":
        assert list((tmp_path / "elsewhere").iterdir()) == []
