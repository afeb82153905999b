"""Kill a logging subprocess at a random moment and check what it left (tests and benchmarks/bench_kill.py).

The child logs rows ``{"i": i, ...}`` as fast as it can and prints ``i`` after each
``log()`` returned (an acknowledgement). The parent kills it with SIGKILL or SIGTERM
after a random delay and inspects the run folder byte by byte.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}

CHILD = """
import random, sys, time, reportgen
root, run_id, seed, flush = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
rnd = random.Random(seed)
reportgen.init(project="kill", id=run_id, dir=root, flush_interval=flush)
print("ready", flush=True)
i = 0
while True:
    reportgen.log({"i": i, "x": i * 0.5, "nan": float("nan"), "nested": {"s": "v" * (i % 37)}, "lst": [i, i + 1]})
    print(i, flush=True)
    i += 1
    if rnd.random() < 0.3:
        time.sleep(rnd.random() * 0.003)
"""


@dataclass
class Trial:
    sig: int
    run_dir: Path
    proc: subprocess.Popen
    acks: list[int] = field(default_factory=list)
    reader: threading.Thread | None = None
    ready: threading.Event = field(default_factory=threading.Event)


@dataclass
class Outcome:
    signal: str
    returncode: int
    acked: int  # rows whose log() had returned before the kill (as far as the parent saw)
    rows: int  # valid rows in history.jsonl
    gaps: int  # places where _step does not follow the previous row's
    bad_lines: int  # complete lines that are not valid rows
    torn: int  # bytes after the last newline
    lost_acked: int  # acknowledged rows missing from the file
    meta: dict
    summary_file: dict  # summary.json as written by the SDK
    summary_read: dict  # summary as the reader shows it (completed from history when stale)
    last_row: dict | None
    problems: list[str] = field(default_factory=list)


def start(folder: Path, run_id: str, sig: int, seed: int, flush: float) -> Trial:
    child = folder / "kill_child.py"
    if not child.exists():
        child.write_text(CHILD)
    proc = subprocess.Popen([sys.executable, str(child), str(folder / "runs"), run_id, str(seed), str(flush)],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    trial = Trial(sig, folder / "runs" / run_id, proc)

    def read():
        for line in proc.stdout:
            line = line.strip()
            if line == "ready":
                trial.ready.set()
            elif line.isdigit():
                trial.acks.append(int(line))
        trial.ready.set()

    trial.reader = threading.Thread(target=read, daemon=True)
    trial.reader.start()
    return trial


def inspect(trial: Trial) -> Outcome:
    """Wait for the killed child and check its run folder."""
    from reportgen.storage.reader import read_run

    trial.proc.wait(60)
    trial.reader.join(10)
    stderr = trial.proc.stderr.read()
    data = (trial.run_dir / "history.jsonl").read_bytes()
    lines = data.split(b"\n")
    torn = len(lines.pop())
    rows, bad, gaps = [], 0, 0
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if rows and row.get("_step") != rows[-1]["_step"] + 1 or not rows and row.get("_step") != 0:
            gaps += 1
        rows.append(row)
    problems = []
    for r in rows:
        if not (r["i"] == r["_step"] and r["x"] == r["i"] * 0.5 and r["nan"] != r["nan"]
                and r["nested"] == {"s": "v" * (r["i"] % 37)} and r["lst"] == [r["i"], r["i"] + 1]):
            problems.append(f"row {r.get('_step')} altered: {r}")
            break
    acked = (max(trial.acks) + 1) if trial.acks else 0
    rec = read_run(trial.run_dir)
    try:
        summary_file = json.loads((trial.run_dir / "summary.json").read_text())
    except (OSError, ValueError):
        summary_file = {}
    if trial.proc.returncode != -trial.sig:
        problems.append(f"exit status {trial.proc.returncode}, expected {-trial.sig}; stderr: {stderr[-2000:]}")
    return Outcome(signal.Signals(trial.sig).name, trial.proc.returncode, acked, len(rows), gaps, bad, torn,
                   max(0, acked - len(rows)), rec.meta, summary_file, rec.summary, rows[-1] if rows else None,
                   problems)


def run_batch(folder: Path, plan: list[tuple[int, float, float]], seed: int = 0) -> list[Outcome]:
    """Start one child per ``(signal, delay after ready, flush_interval)``, all logging at once, and kill
    each after its delay. Returns the outcomes in plan order."""
    trials = [start(folder, f"k{seed}-{n}", sig, seed * 1000 + n, flush) for n, (sig, _, flush) in enumerate(plan)]
    for t in trials:
        if not t.ready.wait(60):
            raise RuntimeError(f"child did not start: {t.proc.stderr.read()}")
    t0 = time.monotonic()
    for t, (sig, delay, _) in sorted(zip(trials, plan), key=lambda tp: tp[1][1]):
        time.sleep(max(0.0, t0 + delay - time.monotonic()))
        t.proc.send_signal(sig)
    return [inspect(t) for t in trials]
