"""A run folder that leaves its path while the run writes it (``mv``, ``umount -l``): the run goes on
in the folder where it is, whole, instead of being split between there and a new folder at the old
path (reportgen/storage/moved.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from killsuite import ENV
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
    time.sleep(0.3)  # (the writer notices at its next flush; media logged before: the test of IMAGES below)
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


CHECKPOINT = """
    import json, os, sys, time, reportgen
    runs, when = sys.argv[1], sys.argv[2]
    run = reportgen.init(id="a", dir=runs, flush_interval=0.05 if when == "noticed" else 30, save_code_info=False,
                         settings={"x_disable_stats": True, "console": "off"})
    early = os.path.join(run.dir, "early.pt")  # saved before the move, live: copied again at finish
    open(early, "w").write("e")
    reportgen.save(early)
    run.log({"i": 0})
    os.rename(os.path.join(runs, "a"), os.path.join(runs, "b"))
    run.alert("moved", "an alert right after the move")
    if when == "noticed":
        time.sleep(0.3)  # (the writer notices at its next flush)
    where = {"dir": run.dir, "folder": str(run.folder)}
    ckpt = os.path.join(reportgen.run.dir, "model.pt")
    with open(ckpt, "w") as fh:
        fh.write("m")
    where["saved"] = reportgen.save(ckpt)
    run.log_artifact(ckpt, name="model", type="model")
    if when == "moved-twice":
        os.rename(os.path.join(runs, "b"), os.path.join(runs, "c"))
        with open(os.path.join(run.dir, "late.pt"), "w") as fh:
            fh.write("l")
        where["late"] = run.save(os.path.join(run.dir, "late.pt"))
        where["late_dir"] = run.dir
    run.finish()
    print(json.dumps(where))
"""


@pytest.mark.parametrize("when", ["noticed", "not-yet-noticed", "moved-twice"])
def test_run_dir_names_a_moved_run_folder_where_it_is(tmp_path, when):
    """mv runs/a runs/b mid-run, then torch.save(model, os.path.join(wandb.run.dir, "model.pt")) and
    wandb.save() of it: run.dir still named runs/a/files, which it made anew at the old path, so the
    checkpoint went there, out of the run (and the early.pt saved from run.dir before the move 'never
    appeared'), and log_artifact() of it could not write artifacts.json ('could not store artifact').
    run.dir and run.folder now name the folder's new place, noticed when run.dir is read if the writer
    has not noticed it yet, and the files saved there are the run's."""
    proc = run_py(tmp_path, CHECKPOINT, "runs", when)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("is no longer at its path") == 1, proc.stderr
    assert "never appeared" not in proc.stderr and "cannot write" not in proc.stderr, proc.stderr
    folder = tmp_path / "runs" / "b"
    where = json.loads(proc.stdout.splitlines()[-1])
    assert where["dir"] == str(folder / "files") and where["folder"] == str(folder)
    assert where["saved"] == [str(folder / "files" / "model.pt")]
    assert not (tmp_path / "runs" / "a").exists()
    if when == "moved-twice":  # (then mv runs/b runs/c)
        assert not folder.exists()
        folder = tmp_path / "runs" / "c"
        assert where["late_dir"] == str(folder / "files") and where["late"] == [str(folder / "files" / "late.pt")]
        assert (folder / "files" / "late.pt").read_text() == "l"
    assert (folder / "files" / "model.pt").read_text() == "m" and (folder / "files" / "early.pt").read_text() == "e"
    assert read_run(folder).state == "finished"
    assert [a["name"] for a in json.loads((folder / "artifacts.json").read_text())["logged"]] == ["model"]
    assert "an alert right after the move" in (folder / "alerts.jsonl").read_text()


IMAGES = """
    import os, sys, numpy as np, reportgen
    runs, n = sys.argv[1], int(sys.argv[2])
    for k in range(n):
        run = reportgen.init(id=f"a{k}", dir=runs, flush_interval=0.2, save_code_info=False,
                             settings={"x_disable_stats": True, "console": "off"})
        print("ready", flush=True)
        i = 0
        while not os.path.exists(f"stop{k}"):  # images as fast as they go, while the folder is moved
            run.log({"img": reportgen.Image(np.full((4, 4, 3), i % 251, dtype=np.uint8)),
                     "mask": [reportgen.Image(np.full((2, 2), i % 7, dtype=np.uint8))]})
            i += 1
        run.finish()
"""


def test_media_logged_while_the_run_folder_is_moved_lands_in_it(tmp_path):
    """Another process moves the folder (mv runs/a runs/b) while the run logs images in a tight loop:
    the images logged between the mv and the writer noticing it (its next flush) were written by name,
    into a new runs/a/media made at the old path, while their history rows went on into runs/b, which
    then had rows pointing at files it did not have (and a row whose file was moved away between its
    temporary name and its own lost its image, 'could not store Image'). Media files are now written
    through the folder's descriptor: every one lands in the folder, wherever it is meanwhile."""
    runs, n = tmp_path / "runs", 3
    path = tmp_path / "images.py"
    path.write_text(textwrap.dedent(IMAGES))
    proc = subprocess.Popen([sys.executable, str(path), str(runs), str(n)], cwd=tmp_path, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        before = []
        for k in range(n):
            assert proc.stdout.readline() == "ready\n", proc.stderr.read() if proc.poll() is not None else ""
            history = runs / f"a{k}" / "history.jsonl"
            while not (history.exists() and history.read_bytes().count(b"\n") >= 20):
                time.sleep(0.01)
            before.append(history.read_bytes().count(b"\n"))
            os.rename(runs / f"a{k}", runs / f"b{k}")
            time.sleep(0.4)  # (the writer notices within 0.2 s; images go on after that)
            (tmp_path / f"stop{k}").touch()
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "could not store" not in err and err.count("is no longer at its path") == n, err
    for k in range(n):
        folder = runs / f"b{k}"
        assert not (runs / f"a{k}").exists(), f"files of run a{k} written at its old path"
        rows = clean_history(folder)
        assert len(rows) > before[k] + 20  # (logged on after the move)
        logged = {r["img"]["path"] for r in rows} | {r["mask"]["items"][0]["path"] for r in rows}
        on_disk = {p.relative_to(folder).as_posix() for p in (folder / "media" / "images").iterdir()}
        assert logged == on_disk, (sorted(logged - on_disk)[:3], sorted(on_disk - logged)[:3])


INCREMENTS = """
    import os, time, reportgen
    run = reportgen.init(id="a", dir="runs", flush_interval=0.05, save_code_info=False,
                         settings={"x_disable_stats": True, "console": "off"})
    table = reportgen.Table(columns=["x"], log_mode="INCREMENTAL")
    table.add_data(1)
    run.log({"t": table})
    os.rename(os.path.join("runs", "a"), os.path.join("runs", "b"))
    time.sleep(0.3)  # (noticed by the writer)
    table.add_data(2)
    run.log({"t": table})
    run.finish()
"""


def test_an_incremental_table_goes_on_across_a_move(tmp_path):
    """The media of a moved run were written under the path that reaches the folder now, which was also
    the run's identity for an INCREMENTAL table: logged again after the move, it started its increments
    over (increment_num 0, no previous increment, row 0 again)."""
    proc = run_py(tmp_path, INCREMENTS)
    assert proc.returncode == 0, proc.stderr
    rows = [r["t"] for r in clean_history(tmp_path / "runs" / "b")]
    assert [(r["increment_num"], r["row_offset"]) for r in rows] == [(0, 0), (1, 1)]
    assert rows[1]["previous_increments"] == [rows[0]["path"]]


CONSOLE = """
    import os, sys, time, reportgen
    runs, when = sys.argv[1], sys.argv[2]
    run = reportgen.init(id="a", dir=runs, flush_interval=30, save_code_info=False,  # (the move not noticed)
                         settings={"x_disable_stats": True, "x_disable_meta": True, "console": "redirect",
                                   "console_max_bytes": 1024})

    def say(lo, hi):
        for i in range(lo, hi):
            print(f"line {i:04d} " + "x" * 40, flush=True)

    say(0, 5 if when == "head" else 15)  # (51 bytes a line: the head holds 10)
    if when == "tail":  # the tail file opened before the move, rolled after it
        while not os.path.exists(os.path.join(runs, "a", "output.log.tail")):
            time.sleep(0.01)
    os.rename(os.path.join(runs, "a"), os.path.join(runs, "b"))
    say(100, 200)
    run.finish()
"""


@pytest.mark.parametrize("when", ["head", "tail"])
def test_the_console_tail_goes_on_in_a_moved_run_folder(tmp_path, when):
    """output.log.tail was opened, rolled and removed by name: once output.log's head was full, just after
    mv runs/a runs/b and before the writer noticed it, the tail could not be opened ('console capture lost
    data: FileNotFoundError ... runs/a/output.log.tail') and the end of the output was lost; a tail opened
    before the move was rolled into nothing and left behind in runs/b at finish. It is now written through
    the folder's descriptor, as media are."""
    proc = run_py(tmp_path, CONSOLE, "runs", when)
    assert proc.returncode == 0, proc.stderr
    assert "lost data" not in proc.stderr and "/proc/self/fd" not in proc.stderr, proc.stderr
    assert not (tmp_path / "runs" / "a").exists()
    folder = tmp_path / "runs" / "b"
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("output")) == ["output.log"]
    lines = (folder / "output.log").read_text().splitlines()
    assert lines[0].startswith("line 0000 ") and lines[-1].startswith("line 0199 "), lines
    assert any(line.startswith("[reportgen: ") and "of output cut here" in line for line in lines), lines


ALERT = """
    import os, sys, time, reportgen
    runs = sys.argv[1]
    run = reportgen.init(id="a", dir=runs, flush_interval=0.05, save_code_info=False,
                         settings={"x_disable_stats": True, "x_disable_meta": True, "console": "off"})
    run.log({"i": 0})
    os.rename(os.path.join(runs, "a"), os.path.join(runs, "b"))
    time.sleep(0.3)  # (noticed by the writer)
    os.symlink(os.path.abspath("elsewhere"), os.path.join(runs, "b", "alerts.jsonl"))  # (someone else's folder)
    run.alert("moved", "an alert that cannot be recorded")
    run.finish()
"""


def test_a_warning_after_a_move_names_the_folder_where_it_is(tmp_path):
    """Files are written through the folder's descriptor after a move, so a warning about one named
    /proc/self/fd/<n>/alerts.jsonl, a path the user cannot find the folder by (and that means another
    folder, or nothing, once the run ended). Warnings now name the folder's place (runs/b)."""
    proc = run_py(tmp_path, ALERT, "runs")
    assert proc.returncode == 0, proc.stderr
    where = tmp_path / "runs" / "b" / "alerts.jsonl"
    assert f"alert(): could not record the alert in {where}: {where}: a symbolic link" in proc.stderr, proc.stderr
    assert "/proc/self/fd" not in proc.stderr, proc.stderr
    assert not (tmp_path / "elsewhere").exists()


def test_named_puts_a_held_folders_place_for_its_descriptor_path(tmp_path):
    """named() replaces /proc/self/fd/<n> of a held run folder by its place, and only that: another
    descriptor's number, even one sharing its digits, stays as it was, and so does a closed handle's."""
    from reportgen.storage.moved import FolderHandle, named

    (tmp_path / "a").mkdir()
    handle = FolderHandle(tmp_path / "a")
    where = handle.where()
    if where is None:
        pytest.skip("no /proc/self/fd here: files are written by name, messages name them so")
    os.rename(tmp_path / "a", tmp_path / "b")
    other = f"/proc/self/fd/{handle.fd}0/x"
    assert named(f"cannot write {where}/media/x.png; {other}") == f"cannot write {tmp_path / 'b'}/media/x.png; {other}"
    handle.close()
    assert named(f"{where}/x") == f"{where}/x"


def test_history_is_flushed_while_a_json_file_is_being_written(tmp_path):
    """Following a moved folder (7213a6e) made each flush of history take the lock of the run's JSON
    files first, to check whether the folder had moved: a flush waited for any write of run.json,
    summary.json or config.json in progress (a slow disk, another thread holding the lock), and a
    test's SIGKILLed holder lost its 10 rows in CI. The lock is taken only once a move is seen."""
    script = """
        import threading, time, reportgen
        run = reportgen.init(id="r", dir="runs", flush_interval=0.05, settings={"x_disable_stats": True})
        held, done = threading.Event(), threading.Event()
        def hold():  # a JSON write that takes long: the writer's JSON lock held meanwhile
            with run._writer._json_lock:
                held.set()
                done.wait(20)
        threading.Thread(target=hold, daemon=True).start()
        held.wait()
        for i in range(10):
            run.log({"i": i})
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and open("runs/r/history.jsonl", "rb").read().count(b"\\n") < 10:
            time.sleep(0.05)
        print("rows while held:", open("runs/r/history.jsonl", "rb").read().count(b"\\n"), flush=True)
        done.set()
        run.finish()
    """
    proc = run_py(tmp_path, script)
    assert proc.returncode == 0, proc.stderr
    assert "rows while held: 10" in proc.stdout, (proc.stdout, proc.stderr[-2000:])
