"""A run folder that leaves its path while the run writes it (``mv``, ``umount -l``): the run goes on
in the folder where it is, whole, instead of being split between there and a new folder at the old
path (reportgen/storage/moved.py)."""
from __future__ import annotations

import json
import subprocess

import pytest

from reportgen.storage.reader import read_run
from test_sdk_durability import clean_history, run_py

CHILD = """
    import os, subprocess, sys, time
    import numpy as np, reportgen
    runs, how = sys.argv[1], sys.argv[2]
    run = reportgen.init(id="a", dir=runs, config={"lr": 1}, flush_interval=0.05, save_code_info=False,
                         settings={"x_disable_stats": True})
    for i in range(10):
        run.log({"i": i})
    time.sleep(0.3)
    if how == "mv":
        os.rename(os.path.join(runs, "a"), os.path.join(runs, "b"))
    elif how == "chdir":  # the program moves on to another working folder; its runs folder stays
        os.makedirs("elsewhere")
        os.chdir("elsewhere")
    else:  # the file system under the run, detached (umount -l)
        subprocess.run(["umount", "-l", how], check=True)
    time.sleep(0.3)  # (the writer notices at its next flush; a media file logged before lands at the old path)
    for i in range(10, 20):
        run.log({"i": i, "img": reportgen.Image(np.full((4, 4, 3), i, dtype=np.uint8))})
    open("notes.txt", "w").write("n")
    run.save("notes.txt")
    run.alert("late", "an alert after the move")
    run.config["late"] = 2
    run.summary["best"] = 42
    run.finish()
"""


def _whole(folder, moved=True):
    """The run in ``folder`` has everything it logged, before and after its folder left its path."""
    assert [r["i"] for r in clean_history(folder)] == list(range(20))
    rec = read_run(folder)
    assert rec.state == "finished" and rec.config == {"lr": 1, "late": 2} and rec.summary["best"] == 42
    assert len(list((folder / "media" / "images").iterdir())) == 10
    assert (folder / "files" / "notes.txt").read_text() == "n"
    assert "an alert after the move" in (folder / "alerts.jsonl").read_text()
    if moved:
        assert "is no longer at its path after 10 rows" in rec.meta["storage"]["error"]
    else:
        assert "storage" not in rec.meta


def test_a_run_folder_moved_while_training_goes_on_whole_where_it_is(tmp_path):
    """mv runs/a runs/b mid-run: history went on into runs/b while run.json, summary.json, config.json,
    media, save() copies and alerts were written by name into a new runs/a, which then held the
    finished run.json and no history, and runs/b stayed "running" without its late values, silently."""
    proc = run_py(tmp_path, CHILD, "runs", "mv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("is no longer at its path") == 1, proc.stderr
    assert not (tmp_path / "runs" / "a").exists()
    _whole(tmp_path / "runs" / "b")


def test_a_program_that_changes_its_working_folder_keeps_its_run_whole(tmp_path):
    """init(dir="runs") (or the default ./runs), then os.chdir: history went on in runs/a while run.json,
    summary.json and media went to elsewhere/runs/a, with a "cannot write to run folder" warning (or
    none, once a media file had made that folder), and runs/a stayed "running"."""
    proc = run_py(tmp_path, CHILD, "runs", "chdir")
    assert proc.returncode == 0, proc.stderr
    assert "reportgen:" not in proc.stderr.replace("reportgen: alert", ""), proc.stderr
    assert not (tmp_path / "elsewhere" / "runs").exists()
    _whole(tmp_path / "runs" / "a", moved=False)


def test_a_run_whose_file_system_is_unmounted_lazily_goes_on_whole_on_it(tmp_path):
    """umount -l of the mount under a running run (here a bind mount, so the detached file system is
    still reachable where it came from): the same split, the new folder made on the mount point."""
    disk, mnt = tmp_path / "disk", tmp_path / "mnt"
    disk.mkdir()
    mnt.mkdir()
    res = subprocess.run(["mount", "--bind", str(disk), str(mnt)], capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        pytest.skip(f"cannot bind-mount a folder to unmount under a run (needs root: {res.stderr.strip()}); "
                    "the mv test covers the writer")
    try:
        proc = run_py(tmp_path, CHILD, str(mnt / "runs"), str(mnt))
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert list(mnt.iterdir()) == [], "files written on the mount point under the unmounted file system"
    _whole(disk / "runs" / "a")
    meta = json.loads((disk / "runs" / "a" / "run.json").read_text())
    assert meta["storage"]["failing"] is False


SAMPLED = """
    import json, os, sys, time, reportgen
    runs, when = sys.argv[1], sys.argv[2]
    run = reportgen.init(id="a", dir=runs, flush_interval=0.05, save_code_info=False,
                         settings={"console": "off", "x_disable_meta": True, "x_stats_sampling_interval": 0.05})

    def rows(folder, n):  # wait until the sampling process has written n rows there
        t = time.time()
        while time.time() - t < 60:
            try:
                if open(os.path.join(runs, folder, "system.jsonl")).read().count("\\n") >= n:
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.05)

    if when == "mid-run":
        rows("a", 2)
    os.rename(os.path.join(runs, "a"), os.path.join(runs, "b"))  # (right after init(): before the process opened its file)
    moved_at = time.time()
    run.log({"i": 1})
    rows("b", 6)
    run.finish()
    print(json.dumps({"moved_at": moved_at}))
"""


@pytest.mark.parametrize("when", ["right-after-init", "mid-run"])
def test_system_metrics_follow_a_run_folder_moved_while_sampled(tmp_path, when):
    """The sampling process opened runs/a/system.jsonl by path once it had started: a folder moved right
    after init() left it nothing to open (it died, every sample lost, 'system metrics lost data' and exit
    -6); moved later, its rows went on into runs/b without system/disk.usagePercent (read by the old
    path), and the writer's move handling set a .path the process does not have (AttributeError, 'cannot
    write to run folder'). The process now writes through the descriptor the training process opened,
    reads the disk usage through it, and the run goes on whole in runs/b."""
    proc = run_py(tmp_path, SAMPLED, "runs", when)
    assert proc.returncode == 0, proc.stderr
    assert "lost data" not in proc.stderr and "cannot write" not in proc.stderr, proc.stderr
    assert proc.stderr.count("is no longer at its path") == 1, proc.stderr
    assert not (tmp_path / "runs" / "a").exists()
    folder = tmp_path / "runs" / "b"
    moved_at = json.loads(proc.stdout.splitlines()[-1])["moved_at"]
    rows = [json.loads(x) for x in (folder / "system.jsonl").read_text().splitlines()]
    assert len([r for r in rows if r["_timestamp"] > moved_at]) >= 5
    assert all("system/disk.usagePercent" in r and "system/cpu" in r for r in rows)
    assert read_run(folder).state == "finished"
