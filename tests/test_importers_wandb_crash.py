"""``reportgen import wandb`` appends a run's system metrics to its ``system.jsonl`` before ``import.json``
says how far the source was read; an import killed between the two read those samples again at the
next import, and appended them again (the history rows have the step check; system metrics had none).
Real imports in a subprocess are killed (SIGKILL) at random moments after the samples are on disk and
while the run's files are still being copied; the next import must leave every sample exactly once."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from conftest import REPO, run_cli
from import_sources import run_script, wandb_env
from reportgen.storage.reader import list_run_dirs, read_history
from test_importers_wandb_system import MONITORED, UNMONITORED

T0 = 1.7e9


def _source(tmp_path: Path, script: str) -> Path:
    """A real offline wandb run whose files/ holds large files (sparse: no disk in the source), copied
    after the samples are appended: the import is killed while they are copied."""
    src = tmp_path / "wb"
    src.mkdir()
    run_script(script, env=wandb_env(src))
    (files,) = (src / "wandb").glob("offline-run-*/files")
    _checkpoints(files, 0)
    return files


def _checkpoints(files: Path, n: int) -> None:
    for k in range(3):  # (a size of their own each time: copied again)
        with open(files / f"checkpoint{k}.bin", "wb") as fh:
            fh.truncate((48 << 20) - n)


def _import(src: Path, runs: Path) -> None:
    run_cli("import", "wandb", str(src), "-o", str(runs))


def _times(runs: Path) -> Counter:
    (run_dir,) = list_run_dirs(runs)
    chunk = read_history(run_dir / "system.jsonl")
    assert chunk.warnings == []
    return Counter(row["_timestamp"] for row in chunk.rows)


def _killed_import(src: Path, runs: Path, rng: random.Random) -> bool:
    """A real import killed at a random moment after system.jsonl grew: whether it was killed before
    import.json recorded that import (the window the samples were read again in)."""
    def size() -> int:
        return sum(p.stat().st_size for p in runs.glob("*/system.jsonl"))

    def state() -> bytes:
        return b"".join(p.read_bytes() for p in runs.glob("*/import.json"))

    before, recorded = size(), state()
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "import", "wandb", str(src), "-o", str(runs)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None and size() == before:
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.03))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(60)
    return size() > before and state() == recorded


def test_a_first_import_killed_after_the_samples_are_written_does_not_write_them_twice(tmp_path):
    src = _source(tmp_path, MONITORED).parent.parent
    _import(src, tmp_path / "ref")
    want = _times(tmp_path / "ref")
    assert len(want) >= 4 and set(want.values()) == {1}
    rng, hits = random.Random(7), 0
    for trial in range(4):
        runs = tmp_path / f"t{trial}"
        hits += _killed_import(src, runs, rng)
        _import(src, runs)
        assert _times(runs) == want, f"trial {trial}"
        _import(src, runs)  # (and again: nothing more)
        assert _times(runs) == want, f"trial {trial}"
        shutil.rmtree(runs)  # (the copied files)
    assert hits  # at least one import was killed between the two writes


def _events(files: Path, times: list[float]) -> None:
    with open(files / "wandb-events.jsonl", "a") as fh:
        for t in times:
            fh.write(json.dumps({"system.cpu": t - T0, "_timestamp": t}) + "\n")


def test_a_later_import_killed_after_the_samples_are_written_does_not_write_them_twice(tmp_path):
    """The samples an import continued from import.json's offsets (files/wandb-events.jsonl of a run
    whose log has no stats), killed before import.json moved on: the next import appends each once."""
    files = _source(tmp_path, UNMONITORED)
    src = files.parent.parent
    _events(files, [T0 + 1, T0 + 2])
    rng, hits = random.Random(11), 0
    for trial in range(4):
        runs = tmp_path / f"t{trial}"
        _import(src, runs)
        _events(files, [T0 + 10 * (trial + 1) + k for k in (1, 2, 3)])
        _checkpoints(files, trial + 1)
        hits += _killed_import(src, runs, rng)
        _import(src, runs)
        want = Counter(json.loads(line)["_timestamp"] for line in (files / "wandb-events.jsonl").read_text().splitlines())
        assert _times(runs) == want, f"trial {trial}"
        shutil.rmtree(runs)
    assert hits


def test_a_torn_line_past_the_last_import_is_cut_and_rows_the_user_added_kept(tmp_path):
    """A line the importer's write left torn (a full disk, a kill within the write) is cut off rather than
    glued to the next row; a row someone added after the last import is kept (its time is no sample's)."""
    files = _source(tmp_path, UNMONITORED)
    _events(files, [T0 + 1, T0 + 2])
    runs = tmp_path / "runs"
    _import(files.parent.parent, runs)
    (run_dir,) = list_run_dirs(runs)
    with open(run_dir / "system.jsonl", "a") as fh:
        fh.write(json.dumps({"_timestamp": T0 + 5, "_runtime": 5.0, "system/cpu": 50.0}) + "\n")
        fh.write('{"_timestamp": %s, "_runtime": 7.0, "system/c' % (T0 + 7))
    _events(files, [T0 + 7, T0 + 8])
    _import(files.parent.parent, runs)
    assert _times(runs) == Counter([T0 + 1, T0 + 2, T0 + 5, T0 + 7, T0 + 8])
