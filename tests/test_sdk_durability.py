"""The SDK never loses what it was given: signals, kills, full disks, two writers, odd values, permissions.

Real subprocesses, real signals, a real full file system (a tmpfs the test mounts, or the
process's file-size limit, which fails writes exactly as a full disk does).
"""
from __future__ import annotations

import json
from contextlib import nullcontext
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import reportgen
from killsuite import ENV, run_batch
from smallfs import tmpfs
from reportgen.storage.reader import read_run


def run_py(tmp_path: Path, body: str, *args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    path = tmp_path / f"child_{abs(hash(body))}.py"
    path.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, str(path), *args], env=ENV, capture_output=True, text=True,
                          timeout=timeout, cwd=tmp_path, **kw)


def clean_history(run_dir: Path) -> list[dict]:
    """Every line valid JSON, steps 0..n-1 without a gap, no torn last line."""
    data = (run_dir / "history.jsonl").read_bytes()
    assert not data or data.endswith(b"\n"), f"torn last line: {data[-80:]!r}"
    rows = [json.loads(line) for line in data.splitlines()]
    assert [r["_step"] for r in rows] == list(range(len(rows))), "gap or duplicate in history"
    return rows


# -- SIGKILL / SIGTERM at random moments ------------------------------------------------------

def test_sigterm_and_sigkill_at_random_moments(tmp_path):
    rnd = random.Random(7)
    # SIGTERM with a 30 s flush interval: everything logged is still in memory when the signal comes
    plan = [(signal.SIGTERM, rnd.uniform(0.05, 1.0), 30.0) for _ in range(3)]
    # SIGKILL early (after a few flushes, long before the first heartbeat at 15 s) and later
    plan += [(signal.SIGKILL, rnd.uniform(0.4, 0.9), 0.1) for _ in range(2)]
    plan += [(signal.SIGKILL, rnd.uniform(1.2, 2.0), 0.1)]
    outcomes = run_batch(tmp_path, plan, seed=1)
    for o in outcomes:
        assert not o.problems, o.problems
        assert o.gaps == 0 and o.bad_lines == 0 and o.rows > 0, o
        assert o.summary_read["i"] == o.last_row["i"], "the summary must show the last logged values"
        if o.signal == "SIGTERM":
            assert o.torn == 0
            assert o.lost_acked == 0, f"{o.lost_acked} rows logged before SIGTERM never reached the file"
            assert o.meta["state"] == "crashed" and o.meta["exit_code"] == 128 + signal.SIGTERM
            assert o.meta["signal"] == "SIGTERM" and o.meta["error"] == "terminated by SIGTERM"
            # written by the handler itself (not derived by the reader); an interrupted log() may
            # have queued its row without reaching the summary
            assert o.summary_file["_step"] >= o.last_row["_step"] - 1
        else:
            assert o.meta["state"] == "running"  # nobody could say otherwise; readers show "crashed"
            # summary.json itself: written after each flush (was {} until the first heartbeat, 15 s)
            assert o.summary_file.get("i") == o.summary_file.get("_step") and o.summary_file["i"] >= 0, o.summary_file


def test_reader_completes_a_stale_summary_from_history(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    # the writer, on another machine, stopped beating a minute ago without a word
    (run_dir / "run.json").write_text(json.dumps({"id": "r", "state": "running", "pid": 1, "host": "elsewhere",
                                                  "heartbeat": time.time() - 61, "heartbeat_interval": 15}))
    (run_dir / "summary.json").write_text(json.dumps({"_step": 1, "loss": 0.9, "best": 7}))
    rows = [{"_step": i, "loss": 1.0 / (i + 1)} for i in range(5)] + [{"_step": 5, "acc": 0.5}]
    (run_dir / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"_step": 6, "lo')
    for summary in (read_run(run_dir).summary, read_run(run_dir, with_history=False).summary,
                    reportgen.Api(str(tmp_path)).run("r").summary.as_dict()):
        assert summary == {"_step": 5, "loss": 0.2, "best": 7, "acc": 0.5}
    meta = json.loads((run_dir / "run.json").read_text())
    written = {"_step": 1, "loss": 0.9, "best": 7}
    (run_dir / "run.json").write_text(json.dumps({**meta, "state": "finished"}))
    assert read_run(run_dir).summary == written  # what the writer wrote at finish
    (run_dir / "run.json").write_text(json.dumps({**meta, "pid": os.getpid(), "host": socket.gethostname(),
                                                  "heartbeat": time.time()}))
    assert read_run(run_dir).summary == written  # a live writer keeps its own summary current


# -- SIGTERM and the program's own handlers -----------------------------------------------------

def test_sigterm_chains_to_the_programs_handler(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import signal, sys, reportgen
        stop = []
        signal.signal(signal.SIGTERM, lambda s, f: stop.append(s))  # graceful shutdown, installed first
        run = reportgen.init(id="g", dir="runs", flush_interval=30)
        print("ready", flush=True)
        i = 0
        while not stop:
            run.log({"i": i})
            i += 1
        run.log({"checkpoint": i})  # the program goes on after its handler: it can still log
        run.finish()
        print("done", i + 1, flush=True)
    """)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    rows = clean_history(tmp_path / "runs" / "g")
    assert len(rows) == int(out.split()[-1]) and "checkpoint" in rows[-1]
    meta = json.loads((tmp_path / "runs" / "g" / "run.json").read_text())
    assert meta["state"] == "finished" and meta["exit_code"] == 0 and meta["signal"] == "SIGTERM"


def test_sigterm_handler_that_exits(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import signal, sys, time, reportgen
        signal.signal(signal.SIGTERM, lambda s, f: sys.exit(5))
        reportgen.init(id="x", dir="runs", flush_interval=30)
        for i in range(100):
            reportgen.log({"i": i})
        print("ready", flush=True)
        time.sleep(60)
    """)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 5
    rec = read_run(tmp_path / "runs" / "x")
    assert len(clean_history(rec.path)) == 100
    assert rec.meta["state"] == "crashed" and rec.meta["exit_code"] == 5 and rec.meta["signal"] == "SIGTERM"


def test_signal_setup_leaves_others_alone(tmp_path):
    proc = run_py(tmp_path, """
        import os, signal, threading, reportgen
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup: stays ignored
        out = []
        t = threading.Thread(target=lambda: out.append(reportgen.init(id="t", dir="runs")))
        t.start(); t.join()  # init() in a thread: signal handlers can only be set in the main thread
        print(signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
        out[0].finish()
        run = reportgen.init(id="m", dir="runs")
        print(signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL, signal.getsignal(signal.SIGHUP) is signal.SIG_IGN)
        run.log({"a": 1})
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # a forked worker must not finish the parent's run, and dies of SIGTERM as before
            os.write(w, b"x")
            signal.pause()
            os._exit(3)
        os.read(r, 1)
        os.kill(pid, signal.SIGTERM)
        _, status = os.waitpid(pid, 0)
        print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)
        import json
        print(json.load(open("runs/m/run.json"))["state"])
        run.log({"a": 2})
        run.finish()
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "True", "True", "True", "running"]
    assert [r["a"] for r in clean_history(tmp_path / "runs" / "m")] == [1, 2]
    assert read_run(tmp_path / "runs" / "m").state == "finished"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_second_signal_while_the_first_is_handled_loses_nothing(tmp_path, signum):
    """docker stop twice, or Ctrl-C pressed again while the run finishes: the second signal comes
    while the first one's flush writes history. It used to hang forever (SIGTERM: the nested
    handler waited for the history lock its own thread held) or to cut finish() short
    (SIGINT: rows lost, run.json left "running")."""
    rows = 200_000
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time, reportgen
        run = reportgen.init(id="s", dir="runs", flush_interval=60, save_code_info=False,
                             settings={{"x_disable_meta": True}})  # (as in the Ctrl-C test below)
        for i in range({rows}):
            run.log({{"i": i, "pad": "x" * 300}})
        print("ready", flush=True)
        time.sleep(60)
    """)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    history = tmp_path / "runs" / "s" / "history.jsonl"
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signum)
    deadline = time.monotonic() + 10
    while not history.stat().st_size and time.monotonic() < deadline:
        time.sleep(0.0005)  # the first signal's flush has begun: the second one comes in the middle
    proc.send_signal(signum)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"the process hung after a second {signum.name}")
    assert proc.returncode == -signum, proc.stderr.read()
    assert len(clean_history(history.parent)) == rows
    meta = json.loads((history.parent / "run.json").read_text())
    assert meta["state"] == "crashed" and meta["exit_code"] == (128 + signum if signum == signal.SIGTERM else 130)


def test_ctrl_c_reaches_the_program_while_its_own_sigterm_handler_runs(tmp_path):
    """Only reportgen's own flush and finish hold signals back; the program's handler gets them as usual."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import signal, time, reportgen
        def graceful(s, f):
            print("stopping", flush=True)
            time.sleep(30)  # waits for workers to drain
        signal.signal(signal.SIGTERM, graceful)
        # (no metadata thread: an exec() in any thread, as its imports do, makes CPython exit 1
        # instead of by SIGINT after an unhandled KeyboardInterrupt; a CPython quirk)
        run = reportgen.init(id="g", dir="runs", flush_interval=30, save_code_info=False,
                             settings={"x_disable_meta": True})
        run.log({"i": 0})
        print("ready", flush=True)
        time.sleep(60)
    """)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.stdout.readline().strip() == "stopping"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == -signal.SIGINT
    rec = read_run(tmp_path / "runs" / "g")
    assert rec.state == "crashed" and rec.meta["exit_code"] == 130 and len(clean_history(rec.path)) == 1


#: a child script's start: run "p" with ten rows queued (not yet written), then a fork
FORK_AFTER_TEN_ROWS = """
        import json, os, signal, sys, time, reportgen
        from reportgen.sdk.run import Run
        run = reportgen.init(id="p", dir="runs", flush_interval=30, save_code_info=False)
        for i in range(10):
            run.log({"i": i})
        pid = os.fork()
        if pid == 0:"""


def test_ctrl_c_during_init_shows_its_traceback_and_ends_the_run(tmp_path):
    """A Ctrl-C landing in init() once the console was captured (fds 1 and 2 into a pipe) left them
    captured: the KeyboardInterrupt traceback never reached the terminal and run.json said running."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import os, signal, reportgen
        from reportgen.sdk import console
        start = console.ConsoleCapture.start
        def start_then_ctrl_c(*args):
            capture = start(*args)
            os.kill(os.getpid(), signal.SIGINT)  # lands right after the console is captured
            return capture
        console.ConsoleCapture.start = staticmethod(start_then_ctrl_c)
        reportgen.init(id="i", dir="runs", save_code_info=False, settings={"x_disable_meta": True})
        print("init returned")
    """)], env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGINT
    assert proc.stderr.rstrip().endswith("KeyboardInterrupt"), proc.stderr
    assert "init returned" not in proc.stdout
    rec = read_run(tmp_path / "runs" / "i")
    assert rec.state == "crashed" and rec.meta["exit_code"] == 130


def test_a_forked_child_neither_writes_nor_finishes_its_parents_run(tmp_path):
    """os.fork() after init() (a worker pool, a daemonising helper) whose child ends normally: its
    atexit used to finish the parent's run, writing the rows the parent had queued a second time
    (duplicate steps) and the parent's run.json and summary with the child's view."""
    proc = run_py(tmp_path, FORK_AFTER_TEN_ROWS + """
            run.log({"i": -1})  # the parent's run: ignored with a warning, as wandb does
            run.summary["child"] = 1
            sys.exit(0)  # a normal end: atexit runs in the child
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), json.load(open("runs/p/run.json"))["state"])
        for i in range(10, 20):
            run.log({"i": i})
        run.finish()
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "running"]
    assert "log() ignored" in proc.stderr and "is a fork of it" in proc.stderr
    assert [r["i"] for r in clean_history(tmp_path / "runs" / "p")] == list(range(20))
    rec = read_run(tmp_path / "runs" / "p")
    assert rec.state == "finished" and rec.summary["i"] == 19 and "child" not in rec.summary


def test_a_run_folder_deleted_while_training_is_made_anew_with_a_warning(tmp_path):
    """rm -rf of the run folder mid-training: the writer went on appending to the deleted file,
    so every later row was lost without a word and the run ended "finished" without history."""
    proc = run_py(tmp_path, """
        import os, shutil, time, reportgen
        run = reportgen.init(id="d", dir="runs", config={"lr": 3}, flush_interval=0.05,
                             heartbeat_interval=0.1, save_code_info=False)
        for i in range(10):
            run.log({"i": i})
        time.sleep(0.3)
        os.rename("runs/d", "trash")  # (rm -rf runs/d, without racing the writer that makes it anew)
        shutil.rmtree("trash")
        for i in range(10, 20):
            run.log({"i": i})
        time.sleep(0.3)
        run.finish()
    """)
    assert proc.returncode == 0, proc.stderr
    assert "history.jsonl was deleted while the run wrote it" in proc.stderr
    run_dir = tmp_path / "runs" / "d"
    assert [json.loads(line)["i"] for line in (run_dir / "history.jsonl").read_text().splitlines()] == list(range(10, 20))
    rec = read_run(run_dir)
    assert rec.state == "finished" and rec.config == {"lr": 3} and rec.summary["i"] == 19
    # (the heartbeat's run.json write may fail too before history makes the folder anew: 1 or 2)
    assert rec.meta["storage"]["failures"] >= 1 and not rec.meta["storage"]["failing"]


def test_sigterm_in_the_middle_of_a_print_with_console_wrap(tmp_path):
    """console="wrap" (Jupyter, an IDE) records print() in the main thread: a SIGTERM landing in
    that write finished the run from the handler, whose console shutdown waited forever for the
    lock the interrupted print held (2 hangs in 5 trials of a loop printing long lines)."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, signal, sys, time, reportgen
        sys.stdout = open(os.devnull, "w")
        run = reportgen.init(id="w", dir="runs", console="wrap", flush_interval=30, save_code_info=False)
        for i in range(100):
            print("step", i)
            run.log({"i": i})
        with run._services.console.log._lock:  # where print() is when the signal lands
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30)
    """)], env=ENV, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("SIGTERM during a captured print() hung the process")
    assert proc.returncode == -signal.SIGTERM, proc.stderr.read()
    rec = read_run(tmp_path / "runs" / "w")
    assert len(clean_history(rec.path)) == 100 and rec.meta["signal"] == "SIGTERM" and rec.state == "crashed"
    assert "step 99" in (rec.path / "output.log").read_text()


def test_sigterm_in_a_forked_child_with_a_run_of_its_own_leaves_the_parents_run_alone(tmp_path):
    """A fork that starts a run of its own and is then terminated: the SIGTERM handler flushed every
    open run of the process, the parent's too, writing the rows the parent had queued a second time."""
    proc = run_py(tmp_path, FORK_AFTER_TEN_ROWS + """
            Run(id="c", dir="runs", save_code_info=False).log({"c": 1})  # the parent's run stays open
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)
            os._exit(3)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        run.finish()
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(-signal.SIGTERM)]
    assert [r["i"] for r in clean_history(tmp_path / "runs" / "p")] == list(range(10))
    assert read_run(tmp_path / "runs" / "c").meta["signal"] == "SIGTERM"


# -- two writers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lock_file", ["kept", "deleted"])
def test_second_process_writing_the_same_run_gets_a_clear_error(tmp_path, lock_file):
    """A second writer of a live run gets RunLockedError. Also when someone deleted run.lock while
    the run was written (a "stale lock" clean-up): the second writer made a new run.lock, locked it
    and interleaved its rows with the first's; the writer's lock on the run folder itself refuses it."""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import time, reportgen
        run = reportgen.init(id="shared", dir="runs", resume="allow", flush_interval=0.05)
        for i in range(10):
            run.log({"who": "first", "i": i})
        print("ready", flush=True)
        time.sleep(60)
    """)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    second = """
        import reportgen
        run = reportgen.init(id="shared", dir="runs", resume="allow")
        for i in range(5):
            run.log({"who": "second", "i": i})
        run.finish()
    """
    try:
        assert holder.stdout.readline().strip() == "ready"
        if lock_file == "deleted":
            (tmp_path / "runs" / "shared" / "run.lock").unlink()
        proc = run_py(tmp_path, second)
        assert proc.returncode == 1, proc.stderr
        assert "RunLockedError" in proc.stderr and "run 'shared' is being written by another process" in proc.stderr
        assert ("run.lock was deleted" if lock_file == "deleted" else f"pid {holder.pid} on") in proc.stderr
    finally:
        holder.kill()  # SIGKILL: the OS releases the locks, so the run can be resumed
        holder.wait()
    proc = run_py(tmp_path, second)
    assert proc.returncode == 0, proc.stderr
    rows = clean_history(tmp_path / "runs" / "shared")
    assert [(r["who"], r["i"]) for r in rows] == [("first", i) for i in range(10)] + [("second", i) for i in range(5)]


def test_resume_after_a_kill_in_a_restarted_container_keeps_the_last_values(tmp_path):
    """A container killed and restarted runs the program as the same pid (1) on the same host: the
    resuming writer took the killed run for alive (its pid is the resumer's own), so it started
    from the killed run's stale summary.json ({} in its first 15 s, the last values lost for good)
    and warned that two writers would interleave."""
    unshare = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"]
    probe = subprocess.run([*unshare, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot start a process in a new pid namespace (needs root): {probe.stderr.decode().strip()}")
    first = subprocess.Popen([*unshare, sys.executable, "-c", textwrap.dedent("""
        import os, time, reportgen
        run = reportgen.init(id="k", dir="runs", flush_interval=0.05, save_code_info=False)
        for i in range(50):
            run.log({"loss": i})
        run.log({"only_before": 5})
        print("ready", os.getpid(), flush=True)
        time.sleep(60)
    """)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().split() == ["ready", "1"]
    time.sleep(0.3)
    first.kill()  # unshare --kill-child: the program (pid 1 inside) gets SIGKILL too
    first.wait()
    _wait_unlocked(tmp_path / "runs" / "k", "run.lock")  # (the program dies after unshare: CI)
    second = subprocess.run([*unshare, sys.executable, "-W", "error::UserWarning", "-c", textwrap.dedent("""
        import os, reportgen
        run = reportgen.init(id="k", dir="runs", resume="allow", save_code_info=False)
        print(os.getpid(), run.summary.get("loss"), run.summary.get("only_before"))
        run.log({"loss": 100})
        run.finish()
    """)], env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert second.stdout.split() == ["1", "49", "5"]
    assert read_run(tmp_path / "runs" / "k").summary["only_before"] == 5


def _wait_unlocked(folder, *names: str, timeout: float = 20.0) -> None:
    """Until no process holds the flock of ``folder`` or of its files ``names``: a program SIGKILLed
    by its parent's death (PR_SET_PDEATHSIG) still holds them a moment after that parent is reaped."""
    import fcntl

    deadline = time.monotonic() + timeout
    for path in (folder, *(folder / n for n in names)):
        fd = os.open(path, os.O_RDONLY)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, f"{path} still locked after {timeout} s"
                    time.sleep(0.05)
        finally:
            os.close(fd)


@pytest.mark.parametrize("name", ["run.lock", "history.jsonl", "output.log", "alerts.jsonl", "system.jsonl"])
def test_resuming_a_shared_run_never_writes_through_its_links(tmp_path, name):
    """A run folder from someone else, resumed: its run.lock (truncated, then overwritten with the
    lock's JSON) or history.jsonl (last line cut, rows appended) pointed at ~/.bashrc got written."""
    from reportgen.storage.safety import NotRegularFile

    victim = tmp_path / "bashrc"
    victim.write_text("precious\n")
    folder = tmp_path / "runs" / "x"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text('{"id": "x", "state": "finished"}')
    (folder / name).symlink_to(victim)
    if name in ("run.lock", "history.jsonl"):  # the run itself: a clear error from init()
        with pytest.raises(NotRegularFile, match=f"{name}: a symbolic link .*does not write through links"):
            reportgen.init(id="x", dir=tmp_path / "runs", resume="allow", save_code_info=False)
    else:  # a part of it (console, alerts, system metrics): a warning, the run goes on
        with pytest.warns(UserWarning, match=f"{name}: a symbolic link"):
            run = reportgen.init(id="x", dir=tmp_path / "runs", resume="allow", save_code_info=False,
                                 settings={"x_stats_sampling_interval": 0.05})
            run.log({"a": 1})
            run.alert("t", "x")
            print("captured")
            time.sleep(0.2)
            run.finish()
        assert [r["a"] for r in clean_history(folder)] == [1]
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("name", ["media", "media/images", "files", "files/code", "files/requirements.txt"])
def test_resuming_a_shared_run_never_writes_through_its_linked_folders(tmp_path, name):
    """A run folder from someone else, resumed, with media/, files/ or files/code linked to a folder
    outside (~, ~/.ssh): the SDK wrote its images, saved files and copied code there, and wrote
    requirements.txt through a files/requirements.txt link. Now each is refused with a warning naming
    the link, and the rows are logged."""
    import numpy as np

    victim = tmp_path / "home"
    victim.mkdir()
    (victim / "keep").write_text("precious\n")
    folder = tmp_path / "runs" / "x"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text('{"id": "x", "state": "finished"}')
    (folder / name).symlink_to(victim / "keep" if name.endswith(".txt") else victim)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print(1)\n")
    (tmp_path / "model.bin").write_bytes(b"weights")
    with pytest.warns(UserWarning, match="a symbolic link") if name != "files/requirements.txt" else nullcontext():
        run = reportgen.init(id="x", dir=tmp_path / "runs", resume="allow", save_code_info=False)
        run.log({"a": 1, "img": reportgen.Image(np.zeros((4, 4, 3), dtype=np.uint8))})
        run.log_code(tmp_path / "src")
        run.save(str(tmp_path / "model.bin"), base_path=str(tmp_path), policy="now")
        run.finish()
    assert [r["a"] for r in clean_history(folder)] == [1]
    assert sorted(p.name for p in victim.iterdir()) == ["keep"]
    assert (victim / "keep").read_text() == "precious\n"


def test_resume_cuts_a_torn_last_line(tmp_path):
    run = reportgen.init(id="torn", dir=tmp_path)
    run.log({"a": 1})
    run.finish()
    with open(run.folder / "history.jsonl", "ab") as fh:
        fh.write(b'{"_step": 1, "a": 2, "b": "cut by a kill')  # a writer killed in the middle of a write
    with pytest.warns(UserWarning, match="removed an incomplete last line"):
        again = reportgen.init(id="torn", dir=tmp_path, resume="allow")
    again.log({"a": 3})
    again.finish()
    assert [(r["_step"], r["a"]) for r in clean_history(run.folder)] == [(0, 1), (1, 3)]


# -- full disk -------------------------------------------------------------------------------------

DISK_CHILD = """
import os, resource, signal, sys, time, reportgen
mode = sys.argv[1]
run = reportgen.init(id="full", dir=sys.argv[2], flush_interval=0.02, heartbeat_interval=0.1)
logged = 0

def log_for(seconds, pause=0.0002):
    global logged
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        run.log({"i": logged, "pad": "p" * (logged % 50)})
        logged += 1
        time.sleep(pause)

if mode == "rlimit":  # writes past the limit fail (EFBIG), like a full disk; a write across it is cut short
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    log_for(0.2)
    size = os.path.getsize(run.folder / "history.jsonl")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 20_000, hard))
    log_for(1.0)
    assert run._writer.health.failing, "the limit was never reached"
    if sys.argv[3] == "recover":
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        log_for(0.5)
else:  # a real file system the parent fills and frees
    print("ready", flush=True)
    while not os.path.exists(sys.argv[3]):
        log_for(0.05, pause=0.001)
run.finish()
print("finished", logged, flush=True)
"""


def _warnings(stderr: str) -> tuple[int, int, int]:
    return (stderr.count("cannot write to run folder"), stderr.count("works again after"),
            stderr.count("history rows of run folder"))


def test_full_disk_then_space_again_loses_nothing(tmp_path):
    proc = run_py(tmp_path, DISK_CHILD, "rlimit", str(tmp_path / "runs"), "recover")
    assert proc.returncode == 0, proc.stderr
    logged = int(proc.stdout.split()[-1])
    rows = clean_history(tmp_path / "runs" / "full")
    assert len(rows) == logged and [r["i"] for r in rows] == list(range(logged))
    assert _warnings(proc.stderr) == (1, 1, 0), proc.stderr
    meta = json.loads((tmp_path / "runs" / "full" / "run.json").read_text())
    assert meta["state"] == "finished"
    assert meta["storage"]["failing"] is False and meta["storage"]["rows_lost"] == 0
    assert "File too large" in meta["storage"]["error"]


def test_finish_while_the_disk_is_full_returns_normally(tmp_path):
    proc = run_py(tmp_path, DISK_CHILD, "rlimit", str(tmp_path / "runs"), "stay-full")
    assert proc.returncode == 0, proc.stderr  # finish() did not raise
    logged = int(proc.stdout.split()[-1])
    rows = clean_history(tmp_path / "runs" / "full")  # whole lines only: the cut line was truncated away
    assert 0 < len(rows) < logged
    assert _warnings(proc.stderr) == (1, 0, 1), proc.stderr
    meta = json.loads((tmp_path / "runs" / "full" / "run.json").read_text())
    assert meta["state"] == "finished" and meta["storage"]["failing"] is True
    assert meta["storage"]["rows_lost"] == logged - len(rows)


@pytest.fixture
def tiny_fs(tmp_path):
    with tmpfs(tmp_path / "mnt", "4m", why="; the file-size-limit tests cover the writer") as mnt:
        yield mnt


def test_real_full_disk_fills_and_frees(tmp_path, tiny_fs):
    stop = tmp_path / "stop"
    proc = subprocess.Popen([sys.executable, "-c", DISK_CHILD, "fs", str(tiny_fs / "runs"), str(stop)], env=ENV,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    ballast = tiny_fs / "ballast"
    try:
        with open(ballast, "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError:
        pass  # full
    history = tiny_fs / "runs" / "full" / "history.jsonl"
    time.sleep(1.0)  # the child logs on: rows wait in memory
    ballast.unlink()
    time.sleep(0.5)
    stop.touch()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    logged = int(out.split()[-1])
    rows = clean_history(history.parent)
    assert len(rows) == logged
    assert _warnings(err) == (1, 1, 0), err



PRINT_CHILD = """
import os, sys, time, reportgen
run = reportgen.init(id="out", dir=sys.argv[1], flush_interval=0.02, save_code_info=False,
                     settings={"x_disable_stats": True})
printed = 0
open(sys.argv[2] + ".ready", "w").close()
while not os.path.exists(sys.argv[2]):
    print(f"line {printed} " + "y" * 100)
    printed += 1
    time.sleep(0.0005)
run.finish()
open(sys.argv[2] + ".printed", "w").write(str(printed))
"""


def test_output_printed_while_the_disk_is_full_is_kept_whole(tmp_path, tiny_fs):
    """The console capture dropped every line printed while the disk was full (2,763 of 6,492 by
    hand), cut one in the middle and glued the next write onto it ('line 1043 yyyline 3805 yyy'), and
    finish() then warned 'console capture lost data'. They now wait in memory and are written, in
    order and whole, when space comes back."""
    stop = tmp_path / "stop"
    proc = subprocess.Popen([sys.executable, "-c", PRINT_CHILD, str(tiny_fs / "runs"), str(stop)], env=ENV,
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "stop.ready").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    ballast = tiny_fs / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass  # full
    finally:
        os.close(fd)
    time.sleep(1.0)  # the child prints on
    ballast.unlink()
    time.sleep(0.5)
    stop.touch()
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, err
    printed = int((tmp_path / "stop.printed").read_text())
    lines = (tiny_fs / "runs" / "out" / "output.log").read_text().splitlines()
    assert lines == [f"line {i} " + "y" * 100 for i in range(printed)]
    assert "lost data" not in err, err

# -- values log() used to raise on --------------------------------------------------------------------

def test_log_warns_and_goes_on_for_values_json_cannot_hold(tmp_path):
    run = reportgen.init(id="odd", dir=tmp_path)
    with pytest.warns(UserWarning) as caught:
        run.log({"v": 10**5000, "ok": 1})
        run.log({"name": "file_\udcff.png", "k\ud800": 2, "nested": {"x\ud800": ["\ud800"]}, "big": 10**30})
        run.log({"ok": 3})
    run.finish()
    text = "\n".join(str(w.message) for w in caught)
    assert "key 'v'" in text and "4300 digits" in text
    assert "key 'name'" in text and "key 'k\\ud800'" in text and "key 'nested'" in text
    rows = clean_history(run.folder)
    assert [r.get("ok") for r in rows] == [1, None, 3] and "v" not in rows[0]
    assert rows[1]["name"] == "file_\ufffd.png" and rows[1]["k\ufffd"] == 2
    assert rows[1]["nested"] == {"x\ufffd": ["\ufffd"]} and rows[1]["big"] == 10**30
    assert read_run(run.folder).summary["name"] == "file_\ufffd.png"


def test_summary_set_warns_and_goes_on_for_values_json_cannot_hold(tmp_path):
    """An explicit summary value JSON cannot hold used to be stored, then made every later
    summary write raise, finish() included."""
    run = reportgen.init(id="odd-summary", dir=tmp_path)
    run.summary["kept"] = 1
    with pytest.warns(UserWarning, match="summary key 'v'.*4300 digits"):
        run.summary["v"] = 10**5000
    with pytest.warns(UserWarning, match="summary key 'w'"):
        run.summary.update({"w": 10**5000, "ok": 2})
    run.summary["s"] = "x\ud800"
    run.finish()
    summary = json.loads((run.folder / "summary.json").read_text())
    assert summary["kept"] == 1 and summary["ok"] == 2 and summary["s"] == "x\ufffd"
    assert "v" not in summary and "w" not in summary


def _nested(depth: int) -> dict:
    deep = cur = {}
    for _ in range(depth):
        cur["a"] = {}
        cur = cur["a"]
    return deep


def test_values_that_contain_themselves_or_nest_deep_warn_in_log_config_and_summary(tmp_path):
    """log() raised RecursionError on a dict nested 600 deep (its repair pass recursed outside its
    guard), and config (init, update, item) and summary (item, update) raised it on a dict or list
    that contains itself or nests ~600 deep: each is now a warning naming the key, and the rest is
    stored."""
    cyclic: dict = {"x": 1}
    cyclic["self"] = cyclic
    looped: list = [1]
    looped.append(looped)
    with pytest.warns(UserWarning) as caught:
        run = reportgen.init(id="cycles", dir=tmp_path, config={"cyc": cyclic, "ok": 1})
        for depth in (600, 5000):
            run.log({f"d{depth}": _nested(depth), "fine": depth})
            run.config.update({f"d{depth}": _nested(depth), f"c{depth}": depth})
            run.summary[f"d{depth}"] = _nested(depth)
        run.config["loop"] = looped
        run.config.setdefaults({"cyc2": cyclic})
        run.summary.update({"cyc": cyclic, "s": 2})
        run.summary["loop"] = looped
    run.finish()
    text = "\n".join(str(w.message) for w in caught)
    for key in ("d600", "d5000"):
        assert f"log(): key {key!r}" in text and f"config key {key!r}" in text and f"summary key {key!r}" in text
    for line in ("config key 'cyc'", "config key 'loop'", "config key 'cyc2'", "summary key 'cyc'", "summary key 'loop'"):
        assert line in text
    assert [r["fine"] for r in clean_history(run.folder)] == [600, 5000]
    config = json.loads((run.folder / "config.json").read_text())
    assert config == {"ok": 1, "c600": 600, "c5000": 5000}
    summary = json.loads((run.folder / "summary.json").read_text())
    assert summary["s"] == 2 and not {"d600", "d5000", "cyc", "loop"} & set(summary)


def test_log_refuses_values_nested_past_the_readers_limit_whatever_their_floats(tmp_path):
    """Whether log() stored a value nested 300 to ~500 deep depended on an accident: orjson refuses
    past 255 levels and the stdlib encoder then took it (a NaN inside went to the stdlib directly);
    deeper, a recursive NaN check raised RecursionError. Past the readers' limit (MAX_DEPTH, 100
    levels, the row being the first; the encoder took 255, values no reader then read) a value is
    refused with a warning naming its key, NaN or not, and the rest of the row is kept."""
    with pytest.warns(UserWarning) as caught:
        run = reportgen.init(id="deep", dir=tmp_path)
        for depth in (100, 101, 254, 300, 600):  # levels of the row (its value: one fewer)
            for nan in (False, True):
                value = _nested(depth - 2)
                leaf = value
                while leaf:
                    leaf = leaf["a"]
                leaf["x"] = float("nan") if nan else 1.0
                run.log({"v": value, "fine": depth})
    run.finish()
    text = "\n".join(str(w.message) for w in caught)
    assert text.count("log(): key 'v'") >= 1 and "nested deeper than 100 levels" in text, text
    rows = clean_history(run.folder)
    assert [r["fine"] for r in rows] == [100, 100, 101, 101, 254, 254, 300, 300, 600, 600]
    assert ["v" in r for r in rows] == [True, True] + [False] * 8


def test_config_values_whose_str_or_items_raise_warn_and_the_run_goes_on(tmp_path):
    """config (init, update, attribute) raised into the script when a value's __repr__ raised (its
    str() is what config keeps of an object JSON cannot hold), or when a mapping's items() raised:
    now a warning naming the key; the value is kept as its type's name, or the key is not changed."""
    class Bad:
        def __repr__(self):
            raise RuntimeError("boom")

    class BadMap(dict):
        def items(self):
            raise KeyError("nope")

    with pytest.warns(UserWarning) as caught:
        run = reportgen.init(id="badrepr", dir=tmp_path, config={"a": 1, "z": Bad()})
        run.config.update({"b": Bad(), "c": 2})
        run.config.x = Bad()
        run.config.update({"m": BadMap(q=1), "n": 3})
        run.log({"v": 1.0})
    run.finish()
    text = "\n".join(str(w.message) for w in caught)
    for key in ("z", "b", "x"):
        assert f"config key {key!r}: str() of a Bad raised RuntimeError" in text
    assert "config key 'm': could not store BadMap" in text
    config = json.loads((run.folder / "config.json").read_text())
    assert config == {"a": 1, "z": "<Bad>", "b": "<Bad>", "c": 2, "x": "<Bad>", "n": 3}
    assert [r["v"] for r in clean_history(run.folder)] == [1.0]

def test_media_write_on_a_full_disk_leaves_no_temp_file(tmp_path, tiny_fs):
    from reportgen.media.base import MediaContext

    ctx = MediaContext(tiny_fs / "run", "img", 0)
    with pytest.raises(OSError):
        ctx.write_bytes("image", "bin", os.urandom(6 * 1024 * 1024))
    left = [p.name for p in (tiny_fs / "run").rglob("*") if p.is_file()]
    assert left == []


def test_save_on_a_full_disk_warns_and_keeps_the_previous_copy(tmp_path, tiny_fs):
    """wandb.save() of a checkpoint while the disk is full raised OSError into the training loop
    and left a cut copy in files/ in place of the good one saved before."""
    ckpt = tmp_path / "ckpt.pt"
    ckpt.write_bytes(b"1" * 1_000_000)
    run = reportgen.init(id="save", dir=tiny_fs / "runs", save_code_info=False, settings={"x_disable_stats": True})
    try:
        saved = tiny_fs / "runs" / "save" / "files" / "ckpt.pt"
        assert run.save(str(ckpt), policy="now") == [str(saved)]
        (tiny_fs / "ballast").write_bytes(b"\0" * 2_200_000)  # about 0.8 MB left
        ckpt.write_bytes(b"2" * 2_000_000)
        with pytest.warns(UserWarning, match="save\\(\\): could not copy .*ckpt.pt.*No space left.*keeps its previous copy"):
            assert run.save(str(ckpt), policy="now") == []
        assert saved.read_bytes() == b"1" * 1_000_000
        assert not [p.name for p in saved.parent.iterdir() if p.name.endswith(".tmp")]  # no temp file left
    finally:
        run.finish()


def test_summary_media_on_a_full_disk_warns_and_goes_on(tmp_path, tiny_fs):
    """run.summary["best"] = wandb.Image(...) (or an array, saved as .npy) on a full disk raised
    OSError into the training loop; log() of the same image warned and went on."""
    import numpy as np

    run = reportgen.init(id="sm", dir=tiny_fs / "runs", save_code_info=False, settings={"x_disable_stats": True})
    try:
        run.summary["best"] = 1
        (tiny_fs / "ballast").write_bytes(b"\0" * (4 * 2**20 - 64 * 1024))
        pixels = np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)
        with pytest.warns(UserWarning, match="summary key 'best': could not store Image .*No space left"):
            run.summary["best"] = reportgen.Image(pixels)
        with pytest.warns(UserWarning, match="summary key 'weights': could not store ndarray .*No space left"):
            run.summary.update({"weights": np.random.default_rng(1).random((300, 300))})
        assert run.summary["best"] == 1 and "weights" not in run.summary
    finally:
        run.finish()


# -- permissions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=["022", "077", "002"])
def test_every_run_file_follows_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        run = reportgen.init(id="perm", dir=tmp_path, config={"a": 1})
        run.log({"x": 1})
        run.summary["best"] = 1
        (tmp_path / "notes.txt").write_text("n")
        run.save(tmp_path / "notes.txt")
        run.finish()
    finally:
        os.umask(old)
    files = [p for p in run.folder.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"run.json", "config.json", "summary.json", "history.jsonl", "run.lock",
                                           "notes.txt"}
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
    assert modes == {name: 0o666 & ~umask for name in modes}



@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["022", "077"])
def test_artifact_objects_are_read_only_within_the_umask(tmp_path, umask):
    """An artifact's stored objects were 0444 whatever the umask: under umask 077 every run file
    was 0600 and the logged datasets and models readable by everyone."""
    (tmp_path / "data.txt").write_text("d")
    (tmp_path / "big.bin").write_bytes(b"m")
    old = os.umask(umask)
    try:
        run = reportgen.init(id="art", dir=tmp_path / "runs", save_code_info=False)
        art = reportgen.Artifact("data", type="dataset")
        art.add_file(str(tmp_path / "data.txt"))
        art.add_file(str(tmp_path / "big.bin"), policy="mutable")  # a snapshot moved into place
        run.log_artifact(art)
        run.finish()
    finally:
        os.umask(old)
    objects = [p for p in (tmp_path / "runs" / "_artifacts" / "objects").rglob("*") if p.is_file()]
    assert len(objects) == 2
    assert {stat.S_IMODE(p.stat().st_mode) for p in objects} == {0o444 & ~umask}

def test_log_code_skips_a_named_pipe_among_the_sources(tmp_path):
    """log_code() opened every matching source with open(): a named pipe named like code (``pipe.py``)
    waited for a writer for ever, and the training script with it (shutil.copyfile, before, refused
    it). It is skipped with a warning; the other files are copied. The 60 s join is a hang guard."""
    import threading

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("print(1)\n")
    os.mkfifo(src / "pipe.py")
    (src / "z.py").write_text("print(2)\n")
    run = reportgen.init(id="code", dir=tmp_path / "runs", save_code_info=False)
    done = {}
    with pytest.warns(UserWarning, match="pipe.py"):
        t = threading.Thread(target=lambda: done.setdefault("copied", run.log_code(src)), daemon=True)
        t.start()
        t.join(60)
    assert "copied" in done, "log_code() hung on a named pipe"
    assert sorted(os.path.basename(p) for p in done["copied"]) == ["a.py", "z.py"]
    run.finish()


def test_log_code_warns_and_goes_on_when_a_copy_cannot_be_written(tmp_path):
    """log_code() into a resumed run whose files/code/a.py is a folder raised IsADirectoryError into the
    training script (the copy's rename failed; only a link on the way was warned about). Every file
    it writes goes through storage.safety.write_own now, and any failure to write is a warning."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("print(1)\n")
    (src / "b.py").write_text("print(2)\n")
    folder = tmp_path / "runs" / "x"
    (folder / "files" / "code" / "a.py").mkdir(parents=True)
    (folder / "run.json").write_text('{"id": "x", "state": "finished"}')
    run = reportgen.init(id="x", dir=tmp_path / "runs", resume="allow", save_code_info=False)
    try:
        with pytest.warns(UserWarning, match="log_code\\(\\): .*a.py: a folder; not written; .*a.py' and the files "
                                             "after it are not copied"):
            assert run.log_code(src) == []
        run.log({"a": 1})
    finally:
        run.finish()
    assert [r["a"] for r in clean_history(folder)] == [1]


def test_save_of_a_path_above_the_working_folder_is_refused_not_written_beside_files(tmp_path, monkeypatch):
    """run.save("../run.json") (a path with '..', relative to the working folder) was copied to
    files/../run.json: over the run's own run.json, and three '..' wrote outside the run folder.
    As wandb ("globs can't walk above base_path"), such a path is refused; 'sub/../x' is files/x."""
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (tmp_path / "run.json").write_text('{"id": "evil"}')
    (work / "x.txt").write_text("x")
    monkeypatch.chdir(work)
    run = reportgen.init(id="r", dir=tmp_path / "runs", save_code_info=False)
    try:
        with pytest.raises(ValueError, match="outside base_path"):
            run.save("../run.json", policy="now")
        assert run.save("sub/../x.txt", policy="now") == [str(run.folder / "files" / "x.txt")]
    finally:
        run.finish()
    assert read_run(run.folder).meta["id"] == "r"
    assert (run.folder / "files" / "x.txt").read_text() == "x"
