"""Two processes syncing one joined copy of a shared-runs root at once (two ``reportgen build`` of one
root: a CI job and a developer): each appended the new segments to the copy's joined streams, so the
site had every row and alert twice. One process syncs a copy at a time (``sync.lock`` in its folder,
an ``flock`` the kernel drops when the holder dies); the other waits, saying for whom."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from test_shared_runs import _env

_WRITERS = """
import sys, reportgen
for label in ("rank0", "rank1"):
    run = reportgen.init(dir=sys.argv[1], id="dist", project="p", settings={"x_label": label})
    for i in range(4):
        run.log({"loss": float(i)})
    run.alert(title="done-" + label, text="t")
    run.finish()
"""
# The CLI, with a pause between planning a sync (the copy's state read, its files' sizes taken) and
# writing it: the window in which another build read the same state (the pause is in this script only)
_BUILD = """
import sys, time
from reportgen.storage import mirror
pause = float(sys.argv[1])
planned = mirror.Mirror._run_group
def paused(self, *args, **kwargs):
    print("planned", flush=True)
    time.sleep(pause)
    return planned(self, *args, **kwargs)
mirror.Mirror._run_group = paused
from reportgen.cli import main
main(sys.argv[2:])
"""


def _runs(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    subprocess.run([sys.executable, "-c", _WRITERS, str(runs)], check=True, env=_env(tmp_path), timeout=120)
    return runs


def _start(tmp_path: Path, runs: Path, site: str, pause: float = 1.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _BUILD, str(pause), "build", str(runs), "-o", str(tmp_path / site)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))


def _finish(proc: subprocess.Popen) -> str:
    err = proc.communicate(timeout=300)[1]
    assert proc.returncode == 0 and "Traceback" not in err, err
    return err


def _copy(tmp_path: Path) -> Path:
    [copy] = (tmp_path / "cache" / "mirror").iterdir()
    return copy


def _check_site(tmp_path: Path, site: str) -> None:
    page = (tmp_path / site / "runs" / "dist" / "index.html").read_text()
    assert page.count('<li class="rg-alert ') == 2, site  # one alert of each writer (was 4)
    body = (tmp_path / site / "data" / "runs" / "dist.js").read_text()
    assert json.loads(body[body.index(",") + 1: body.rindex(")")])["x"]["_step"]["n"] == 4


def _steps(copy: Path) -> dict[str, list[int]]:
    return {w.name: [json.loads(line)["_step"] for line in (w / "history.jsonl").read_text().splitlines()]
            for w in sorted((copy / "streams" / "dist").iterdir())}


def test_two_builds_of_one_shared_root_at_once_join_each_segment_once(tmp_path):
    runs = _runs(tmp_path)
    builds = [_start(tmp_path, runs, f"site{i}") for i in range(2)]
    for proc in builds:
        _finish(proc)
    for i in range(2):
        _check_site(tmp_path, f"site{i}")
    assert _steps(_copy(tmp_path)) == {"rank0": [0, 1, 2, 3], "rank1": [0, 1, 2, 3]}  # each writer's, once


def test_a_build_waits_for_the_copys_holder_and_a_killed_holder_frees_it(tmp_path):
    runs = _runs(tmp_path)
    _finish(_start(tmp_path, runs, "site0", pause=0))  # (the copy exists)
    lock = _copy(tmp_path) / "sync.lock"
    with open(lock, "a+b") as held:  # another process holds the copy
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        proc = _start(tmp_path, runs, "site1", pause=0)
        line = proc.stderr.readline()
        assert "waiting for another process syncing the joined copy of" in line and str(lock.parent) in line, line
        assert proc.poll() is None  # waits
    _finish(proc)
    _check_site(tmp_path, "site1")

    (runs / "dist" / "writers" / "rank1" / "history" / "000002.jsonl").write_text(
        '{"_step": 4, "_timestamp": 1, "_runtime": 1, "loss": 9.0}\n')  # something new to sync
    holder = _start(tmp_path, runs, "site2", pause=600)
    assert holder.stdout.readline() == "planned\n"  # it holds the lock, in the middle of its sync
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=60)
    err = _finish(_start(tmp_path, runs, "site3", pause=0))
    assert "waiting" not in err, err  # the kernel released the killed build's lock
    assert _steps(_copy(tmp_path))["rank1"] == [0, 1, 2, 3, 4]
