"""The SDK in real subprocesses: crashes, exit codes, atexit, SIGKILL, concurrency, live reading."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path


from reportgen.storage.reader import read_history, read_run, run_status

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / f"script_{abs(hash(body))}.py"
    path.write_text(textwrap.dedent(body))
    return path


def run_script(tmp_path: Path, body: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script(tmp_path, body)), *args], env=ENV, capture_output=True,
                          text=True, timeout=timeout, cwd=tmp_path)


def test_import_is_light(tmp_path):
    proc = run_script(tmp_path, """
        import sys, reportgen
        heavy = [m for m in ("pandas", "altair", "PIL", "numpy", "jinja2", "reportgen.site", "matplotlib")
                 if m in sys.modules]
        print(",".join(heavy))
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"import reportgen pulled in: {proc.stdout}"


def test_uncaught_exception_marks_run_crashed(tmp_path):
    proc = run_script(tmp_path, """
        import reportgen
        reportgen.init(project="p", id="boom", dir="runs")
        for i in range(3):
            reportgen.log({"i": i})
        raise ValueError("bad batch")
    """)
    assert proc.returncode == 1 and "ValueError: bad batch" in proc.stderr
    rec = read_run(tmp_path / "runs" / "boom")
    assert rec.state == "crashed" and rec.meta["exit_code"] == 1
    assert rec.meta["error"] == "ValueError: bad batch"
    assert [r["i"] for r in rec.history] == [0, 1, 2]
    assert rec.summary["i"] == 2


def test_sys_exit_code_is_recorded(tmp_path):
    proc = run_script(tmp_path, """
        import sys, reportgen
        reportgen.init(project="p", id="ex", dir="runs")
        reportgen.log({"a": 1})
        sys.exit(3)
    """)
    assert proc.returncode == 3
    rec = read_run(tmp_path / "runs" / "ex")
    assert rec.state == "crashed" and rec.meta["exit_code"] == 3 and rec.history[0]["a"] == 1


def test_atexit_finishes_a_forgotten_run(tmp_path):
    proc = run_script(tmp_path, """
        import reportgen
        run = reportgen.init(project="p", id="forgot", dir="runs", flush_interval=30)
        for i in range(500):
            reportgen.log({"i": i}, commit=(i % 2 == 1) or None)
        reportgen.log({"pending": 1}, step=10_000)  # pending row, written by finish()
        run.summary["best"] = 0.9
    """)
    assert proc.returncode == 0, proc.stderr
    rec = read_run(tmp_path / "runs" / "forgot")
    assert rec.state == "finished" and rec.meta["exit_code"] == 0 and not rec.warnings
    assert len(rec.history) == 501 and rec.history[-1] == {**rec.history[-1], "_step": 10_000, "pending": 1}
    assert rec.summary["best"] == 0.9 and rec.summary["i"] == 499


def test_with_block_exception_marks_crashed(tmp_path):
    proc = run_script(tmp_path, """
        import reportgen
        with reportgen.init(project="p", id="ctx", dir="runs") as run:
            run.log({"a": 1})
            raise KeyError("k")
    """)
    assert proc.returncode == 1
    rec = read_run(tmp_path / "runs" / "ctx")
    assert rec.state == "crashed" and rec.meta["exit_code"] == 1 and "KeyError" in rec.meta["error"]


CHILD = """
import sys, time, random, reportgen
root, run_id, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(seed)
reportgen.init(project="kill", id=run_id, dir=root, flush_interval=0.05, heartbeat_interval=0.2)
print("ready", flush=True)
i = 0
while True:
    reportgen.log({"i": i, "x": i * 0.5, "nan": float("nan"), "nested": {"s": "v" * (i % 37)},
                   "lst": [i, i + 1]})
    print(i, flush=True)
    i += 1
    if rnd.random() < 0.3:
        time.sleep(rnd.random() * 0.003)
"""
FLUSH = 0.05
MARGIN = 0.5  # scheduling slack on a loaded 2-core CI machine


def _spawn(child: Path, root: Path, run_id: str, seed: int):
    proc = subprocess.Popen([sys.executable, str(child), str(root), run_id, str(seed)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acks: list[tuple[float, int]] = []
    ready = threading.Event()

    def reader():
        for line in proc.stdout:
            line = line.strip()
            if line == "ready":
                ready.set()
            elif line.isdigit():
                acks.append((time.monotonic(), int(line)))
        ready.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    return proc, acks, ready, t


def test_sigkill_at_random_moments_loses_only_the_last_flush_window(tmp_path):
    child = script(tmp_path, CHILD)
    root = tmp_path / "runs"
    rnd = random.Random(1234)
    trials, batch = 20, 5
    results = []
    for b in range(trials // batch):
        procs = [_spawn(child, root, f"kill-{b}-{k}", b * 10 + k) for k in range(batch)]
        for proc, _acks, ready, _ in procs:  # all logging concurrently into one root
            assert ready.wait(30), proc.stderr.read()
        # random kill moments: some early (inside the first flush windows), most late enough that
        # rows acknowledged before them must have reached the file even on a loaded machine
        delays = [rnd.uniform(0.05, 0.6) if k < 2 else rnd.uniform(0.9, 2.0) for k in range(len(procs))]
        start = time.monotonic()
        for (proc, acks, _ready, t), delay in sorted(zip(procs, delays), key=lambda pd: pd[1]):
            time.sleep(max(0.0, start + delay - time.monotonic()))
            kill_time = time.monotonic()
            proc.send_signal(signal.SIGKILL)
            results.append((proc, acks, t, kill_time))
        for proc, *_ in procs:
            proc.wait(10)
    assert len(results) == trials
    checked = 0
    for n, (proc, acks, t, kill_time) in enumerate(results):
        t.join(5)
        run_dir = next(p for p in root.iterdir() if p.name == proc.args[3])
        rec = read_run(run_dir)  # never raises
        assert proc.returncode == -signal.SIGKILL
        assert all("incomplete last line" in w for w in rec.warnings), rec.warnings
        steps = [r["_step"] for r in rec.history]
        assert steps == list(range(len(steps))), f"trial {n}: rows not contiguous"
        for r in rec.history:  # every row intact, NaN kept
            assert r["i"] == r["_step"] and r["x"] == r["i"] * 0.5 and r["nan"] != r["nan"]
            assert r["nested"] == {"s": "v" * (r["i"] % 37)} and r["lst"] == [r["i"], r["i"] + 1]
        safe = [i for ts, i in acks if ts <= kill_time - FLUSH - MARGIN]
        checked += bool(safe)
        if safe:
            assert len(rec.history) > max(safe), (
                f"trial {n}: step {max(safe)} was logged {kill_time - acks[max(safe)][0]:.2f}s before the kill "
                f"but only {len(rec.history)} rows reached the file")
        assert rec.state == "running"
        assert run_status(rec.meta) == "crashed"  # same host, pid gone
        assert run_status({**rec.meta, "pid": None}, now=rec.meta["heartbeat"] + 1.0) == "stale"
    assert checked >= trials // 3, "too few trials had rows old enough to check; the test proved little"


def test_concurrent_processes_in_one_root(tmp_path):
    child = script(tmp_path, """
        import sys, reportgen
        run = reportgen.init(project="conc", id=sys.argv[1], dir="runs", config={"worker": sys.argv[1]})
        for i in range(3000):
            reportgen.log({"i": i, "loss": 1.0 / (i + 1)})
        reportgen.finish()
    """)
    procs = [subprocess.Popen([sys.executable, str(child), f"w{k}"], env=ENV, cwd=tmp_path,
                              stderr=subprocess.PIPE) for k in range(4)]
    for p in procs:
        assert p.wait(60) == 0, p.stderr.read()
    for k in range(4):
        rec = read_run(tmp_path / "runs" / f"w{k}")
        assert rec.state == "finished" and not rec.warnings and rec.config == {"worker": f"w{k}"}
        assert [r["i"] for r in rec.history] == list(range(3000))


def test_reader_reads_while_writer_writes(tmp_path):
    child = script(tmp_path, """
        import os, time, reportgen
        reportgen.init(project="live", id="live", dir="runs", flush_interval=0.02, heartbeat_interval=0.1)
        print("ready", flush=True)
        t0 = time.time()
        i = 0
        # runs until the reader has seen enough (a stop file), however slow the machine is
        while not os.path.exists("stop") and time.time() - t0 < 120:
            reportgen.log({"i": i, "payload": "x" * (i % 500)})
            i += 1
            if i % 20 == 0:
                time.sleep(0.002)
        reportgen.finish()
        print("done", i, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, str(child)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    history = tmp_path / "runs" / "live" / "history.jsonl"
    rows, offset, reads, growth = [], 0, 0, 0
    while proc.poll() is None:
        chunk = read_history(history, offset)  # incremental, as serve --watch does
        assert all("incomplete last line" in w for w in chunk.warnings), chunk.warnings
        rows.extend(chunk.rows)
        growth += bool(chunk.rows)
        offset = chunk.end
        rec = read_run(history.parent)  # full read at the same time
        assert [r["_step"] for r in rec.history] == list(range(len(rec.history)))
        assert rec.state in ("running", "finished")
        reads += 1
        if reads > 10 and growth > 5:
            (tmp_path / "stop").touch()
        time.sleep(0.01)
    total = int(proc.stdout.read().split()[-1])
    rows.extend(read_history(history, offset).rows)
    assert [r["i"] for r in rows] == list(range(total))
    assert reads > 10 and growth > 5  # the reader really saw the file grow


def test_heartbeat_is_refreshed(tmp_path):
    child = script(tmp_path, """
        import time, reportgen
        reportgen.init(project="hb", id="hb", dir="runs", heartbeat_interval=0.1, flush_interval=0.02)
        reportgen.log({"a": 1})
        print("ready", flush=True)
        time.sleep(30)
    """)
    proc = subprocess.Popen([sys.executable, str(child)], env=ENV, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        run_json = tmp_path / "runs" / "hb" / "run.json"
        first = json.loads(run_json.read_text())["heartbeat"]
        deadline = time.time() + 10
        while json.loads(run_json.read_text())["heartbeat"] == first and time.time() < deadline:
            time.sleep(0.05)
        meta = json.loads(run_json.read_text())
        assert meta["heartbeat"] > first and meta["state"] == "running"
        assert run_status(meta) == "running"
        assert json.loads((run_json.parent / "summary.json").read_text())["a"] == 1  # auto summary persisted
    finally:
        proc.kill()
        proc.wait()


def test_keyboard_interrupt_is_recorded(tmp_path):
    proc = run_script(tmp_path, """
        import reportgen
        reportgen.init(project="p", id="ctrlc", dir="runs")
        reportgen.log({"a": 1})
        raise KeyboardInterrupt
    """)
    assert proc.returncode != 0
    rec = read_run(tmp_path / "runs" / "ctrlc")
    assert rec.state == "crashed" and rec.meta["exit_code"] == 130 and rec.meta["error"].startswith("KeyboardInterrupt")
    assert rec.history[0]["a"] == 1
