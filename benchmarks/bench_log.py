"""Benchmark: cost of ``log()`` per step against a bare orjson-append baseline.

    python benchmarks/bench_log.py [--steps 20000] [--metrics 10] [--repeats 5]

Logs ``steps`` steps of ``metrics`` float metrics with reportgen, and in the same
process appends ``orjson.dumps(row)`` lines to an open file (the baseline). Prints
microseconds per step (median of ``repeats``) for both, their ratio (target <= 3x),
``import reportgen`` time (fresh subprocess) and the peak RSS of this process.
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


def make_rows(steps: int, metrics: int) -> list[dict[str, float]]:
    import random

    rnd = random.Random(0)
    names = [f"metric_{i}" for i in range(metrics)]
    return [{n: rnd.random() for n in names} for _ in range(steps)]


def bench_baseline(rows: list[dict[str, float]], folder: Path) -> float:
    import orjson

    path = folder / "baseline.jsonl"
    t0 = time.perf_counter()
    with open(path, "wb") as fh:
        for step, data in enumerate(rows):
            now = time.time()
            row = {"_step": step, "_timestamp": now, "_runtime": now - t0, **data}
            fh.write(orjson.dumps(row))
            fh.write(b"\n")
    return time.perf_counter() - t0


def bench_reportgen(rows: list[dict[str, float]], folder: Path, i: int) -> float:
    import reportgen

    run = reportgen.init(project="bench", id=f"bench-{i}", dir=folder, save_code_info=False)
    log = reportgen.log
    t0 = time.perf_counter()
    for data in rows:
        log(data)
    elapsed = time.perf_counter() - t0
    run.finish()  # the final flush + fsync is not part of the per-step cost
    return elapsed


def import_time() -> float:
    code = "import time; t=time.perf_counter(); import reportgen; print(time.perf_counter()-t)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    times = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        times.append(float(out.stdout))
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--metrics", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rows = make_rows(args.steps, args.metrics)
    base, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.repeats):
            gc.collect()
            base.append(bench_baseline(rows, folder))
            gc.collect()
            ours.append(bench_reportgen(rows, folder, i))
    per = 1e6 / args.steps
    b, o = statistics.median(base) * per, statistics.median(ours) * per
    print(f"steps={args.steps} metrics={args.metrics} repeats={args.repeats}")
    print(f"baseline (orjson append): {b:7.2f} us/step  (runs: {', '.join(f'{x * per:.2f}' for x in base)})")
    print(f"reportgen log():          {o:7.2f} us/step  (runs: {', '.join(f'{x * per:.2f}' for x in ours)})")
    print(f"ratio reportgen/baseline: {o / b:7.2f}x  (target <= 3x)")
    print(f"import reportgen:         {import_time() * 1000:7.1f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"peak RSS:                 {peak / 1024:7.1f} MiB")


if __name__ == "__main__":
    main()
