"""Benchmark: the training thread's cost of ``log()`` against an orjson floor, and a burst's memory.

    python benchmarks/bench_log.py [--steps 20000] [--metrics 10] [--repeats 5]

CPU: logs ``steps`` steps of ``metrics`` float metrics with reportgen and, in the same
process, builds the same rows (``_step``, ``_timestamp``, ``_runtime`` + the metrics) and
appends ``orjson.dumps(row)`` lines to an open file: the floor. Both are timed with
``time.thread_time()`` of the training thread (the writer thread's work is not the
training loop's) and with the wall clock; medians of ``repeats``. Target: <= 2.5x.

Memory: a fresh interpreter logs a ``steps``-step burst (rows made on the fly, faster
than the writer's flush interval, so every line waits in the queue) and reports its
peak RSS; the floor is the same burst through the orjson loop in another fresh
interpreter. Median of 3 pairs. Target: <= floor + 30 MB.

Also prints ``import reportgen`` time (fresh subprocess).
"""
from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def make_rows(steps: int, metrics: int) -> list[dict[str, float]]:
    import random

    rnd = random.Random(0)
    names = [f"metric_{i}" for i in range(metrics)]
    return [{n: rnd.random() for n in names} for _ in range(steps)]


def bench_floor(rows: list[dict[str, float]], folder: Path) -> tuple[float, float]:
    import orjson

    path = folder / "baseline.jsonl"
    t0, c0 = time.perf_counter(), time.thread_time()
    with open(path, "wb") as fh:
        for step, data in enumerate(rows):
            now = time.time()
            row = {"_step": step, "_timestamp": now, "_runtime": now - t0, **data}
            fh.write(orjson.dumps(row))
            fh.write(b"\n")
    return time.thread_time() - c0, time.perf_counter() - t0


def bench_reportgen(rows: list[dict[str, float]], folder: Path, i: int) -> tuple[float, float]:
    import reportgen

    run = reportgen.init(project="bench", id=f"bench-{i}", dir=folder, save_code_info=False, console="off")
    log = reportgen.log
    t0, c0 = time.perf_counter(), time.thread_time()
    for data in rows:
        log(data)
    cpu, wall = time.thread_time() - c0, time.perf_counter() - t0
    run.finish()  # the final flush + fsync is not part of the per-step cost
    return cpu, wall


def burst_child(kind: str, steps: int, metrics: int) -> None:
    """In a fresh interpreter: one burst, then print the peak RSS in KiB (VmHWM: ru_maxrss would
    carry the parent's peak across fork + exec)."""
    import random

    import orjson

    rnd = random.Random(0)
    names = [f"metric_{i}" for i in range(metrics)]
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "floor":
            t0 = time.time()
            with open(Path(tmp) / "floor.jsonl", "wb") as fh:
                for step in range(steps):
                    now = time.time()
                    row = {"_step": step, "_timestamp": now, "_runtime": now - t0}
                    row.update({n: rnd.random() for n in names})
                    fh.write(orjson.dumps(row))
                    fh.write(b"\n")
        else:
            import reportgen

            run = reportgen.init(project="bench", id="burst", dir=tmp, console="off", save_code_info=False)
            for _ in range(steps):
                reportgen.log({n: rnd.random() for n in names})
            run.finish()
            lines = (Path(tmp) / "burst" / "history.jsonl").read_bytes().count(b"\n")
            assert lines == steps, f"{lines} rows written, {steps} logged"
    print(peak_rss_kib())


def peak_rss_kib() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def burst_peak(kind: str, steps: int, metrics: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--steps", str(steps), "--metrics", str(metrics)],
                         capture_output=True, text=True, env=ENV, check=True)
    return int(out.stdout.split()[-1]) / 1024  # MiB


def import_time() -> float:
    code = "import time; t=time.perf_counter(); import reportgen; print(time.perf_counter()-t)"
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True)
        times.append(float(out.stdout))
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--metrics", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--child", choices=["floor", "reportgen"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        burst_child(args.child, args.steps, args.metrics)
        return
    rows = make_rows(args.steps, args.metrics)
    base, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.repeats):
            gc.collect()
            base.append(bench_floor(rows, folder))
            gc.collect()
            ours.append(bench_reportgen(rows, folder, i))
    per = 1e6 / args.steps
    bc, oc = statistics.median(c for c, _ in base) * per, statistics.median(c for c, _ in ours) * per
    bw, ow = statistics.median(w for _, w in base) * per, statistics.median(w for _, w in ours) * per
    print(f"steps={args.steps} metrics={args.metrics} repeats={args.repeats}")
    print(f"training-thread CPU  floor (orjson append): {bc:6.2f} us/step   reportgen log(): {oc:6.2f} us/step"
          f"   ratio {oc / bc:5.2f}x  (target <= 2.5x)")
    print(f"  per run (us/step):  floor {', '.join(f'{c * per:.2f}' for c, _ in base)}"
          f"   reportgen {', '.join(f'{c * per:.2f}' for c, _ in ours)}")
    print(f"wall clock           floor: {bw:6.2f} us/step   reportgen: {ow:6.2f} us/step   ratio {ow / bw:5.2f}x")
    pairs = [(burst_peak("floor", args.steps, args.metrics), burst_peak("reportgen", args.steps, args.metrics))
             for _ in range(3)]
    pf, po = statistics.median(p for p, _ in pairs), statistics.median(p for _, p in pairs)
    print(f"peak RSS, {args.steps}-step burst: floor {pf:6.1f} MiB   reportgen {po:6.1f} MiB"
          f"   floor + {po - pf:5.1f} MiB  (target <= floor + 30 MB)")
    print(f"import reportgen:     {import_time() * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
