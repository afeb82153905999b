"""How long does ``reportgen serve --watch`` take to exit after Ctrl-C (SIGINT) or SIGTERM?

The server is started with SIGINT inherited as ignored (as a background job in a
script gets it), with a browser-like idle keep-alive connection open, and, in the
"during a rebuild" case, while a run keeps appending rows so that rebuilds are
running. The time from the signal to the process's exit is the median over
``--trials``.

Baseline, measured in the same run: a bare ``python -c 'import time; time.sleep(60)'``
stopped by SIGTERM (the cost of a Python process exiting at all). Ratio printed.

    python benchmarks/bench_stop.py [--trials 5] [--runs 20]
"""
from __future__ import annotations

import argparse
import json
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from serveproc import ServeProcess  # noqa: E402

from reportgen.sdk.run import Run  # noqa: E402


def make_runs(root: Path, n: int) -> None:
    for i in range(n):
        run = Run(id=f"run{i:02d}", name=f"run {i}", project="bench", dir=root)
        for s in range(500):
            run.log({"loss": 1.0 / (s + 1), "acc": s / 500})
        run.finish()


def stop_time(runs: Path, sig: int, busy: bool) -> float:
    srv = ServeProcess(str(runs), "--watch", "--port", "0", ignore_signals=(signal.SIGINT,), timeout=300)
    keep = socket.create_connection(("127.0.0.1", srv.port))
    done = threading.Event()

    def append() -> None:  # a run writing all the time: rebuilds keep running
        step = 10_000
        while not done.is_set():
            with open(runs / "run00" / "history.jsonl", "a") as fh:
                fh.write(json.dumps({"_step": step, "loss": 0.1}) + "\n")
            step += 1
            time.sleep(0.05)

    writer = threading.Thread(target=append, daemon=True)
    if busy:
        writer.start()
        time.sleep(3)
    t0 = time.perf_counter()
    srv.proc.send_signal(sig)
    srv.proc.wait(60)
    took = time.perf_counter() - t0
    done.set()
    keep.close()
    if srv.proc.returncode != 0 or "Stopped." not in srv.stderr():
        raise SystemExit(f"unexpected exit {srv.proc.returncode}:\n{srv.stderr()}")
    return took


def baseline() -> float:
    proc = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
                            stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-stop-") as tmp:
        runs = Path(tmp) / "runs"
        make_runs(runs, args.runs)
        base = statistics.median(baseline() for _ in range(args.trials))
        print(f"{args.runs} runs; SIGINT inherited as ignored; one idle keep-alive connection open")
        print(f"baseline: a bare python process exits on SIGTERM in {base * 1000:.0f} ms")
        for sig in (signal.SIGINT, signal.SIGTERM):
            for busy in (False, True):
                times = [stop_time(runs, sig, busy) for _ in range(args.trials)]
                print(f"{signal.Signals(sig).name:7s} {'during rebuilds' if busy else 'idle':15s}: median "
                      f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                      f"(target <= 1000 ms; ratio to baseline {statistics.median(times) / base:.1f})")


if __name__ == "__main__":
    main()
