"""One very long run: the build's peak memory and cache size (issue 19: a 10M-step run builds in
<= 400 MB peak memory; the cache is <= 10% of the input and outside the published folder).

The run (generated once into ``--work``, default ``~/.cache/reportgen-bench/bigrun-<steps>``, and
reused): ``--steps`` rows (default 10,000,000), each with ``_step``, ``_runtime``, ``_timestamp``
and 4 metrics (``train/loss``: a decaying curve with noise and a few one-step spikes,
``train/acc``, ``train/lr``, ``val/loss``), written by polars as ndjson (about 1.4 GB at 10M steps).

Printed, each measured in this run: the input size; the baseline -- polars reading the same file
whole (``pl.read_ndjson``; peak RSS and CPU of its own process); the full build of the run in a
child process (``python -m reportgen build``): peak RSS, CPU, the cache size against the input
size, and that the cache is outside the site folder; then an incremental rebuild after 1,000 rows
are appended (parsed from the cached offset).

    python benchmarks/bench_bigrun.py [--steps 10000000] [--work DIR] [--no-baseline]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson

REPO = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000.0


def generate(run: Path, steps: int, seed: int = 0) -> None:
    import polars as pl

    run.mkdir(parents=True, exist_ok=True)
    (run / "run.json").write_bytes(orjson.dumps({
        "format": 1, "id": run.name, "name": run.name, "project": "bigrun", "state": "finished",
        "created": T0, "updated": T0 + steps * 0.01, "heartbeat": T0 + steps * 0.01}))
    (run / "config.json").write_bytes(b"{}")
    (run / "summary.json").write_bytes(b"{}")
    rng = np.random.default_rng(seed)
    tmp = run / "history.jsonl.part"
    chunk = 1_000_000
    with open(tmp, "wb") as fh:
        for a in range(0, steps, chunk):
            s = np.arange(a, min(steps, a + chunk))
            loss = np.exp(-s / (steps / 5)) + 0.05 * rng.standard_normal(len(s))
            spikes = rng.random(len(s)) < 2e-6
            loss[spikes] += 50.0
            df = pl.DataFrame({"_step": s, "_runtime": s * 0.01, "_timestamp": T0 + s * 0.01,
                               "train/loss": loss, "train/acc": 1 - loss / 2,
                               "train/lr": 1e-3 * np.cos(s / steps * np.pi / 2) + 1e-6,
                               "val/loss": loss + 0.1})
            df.write_ndjson(fh)
    tmp.rename(run / "history.jsonl")


def child(cmd: list[str], env: dict | None = None) -> tuple[float, float, float, str]:
    """Run ``cmd`` alone in a child process: (wall s, CPU s, peak RSS MB, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if proc.returncode:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # ru_maxrss of RUSAGE_CHILDREN is the largest of any waited-for child so far: each measured
    # command runs in its own fresh `python -c` wrapper that reports its own child's peak
    return wall, cpu, after.ru_maxrss / 1024, proc.stdout


MEASURE = r"""
import resource, subprocess, sys
p = subprocess.run(sys.argv[1:])
print("PEAK", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
sys.exit(p.returncode)
"""


def measured(cmd: list[str], env: dict | None = None) -> tuple[float, float, float]:
    wall, cpu, _, out = child([sys.executable, "-c", MEASURE, *cmd], env)
    peak = float([ln for ln in out.splitlines() if ln.startswith("PEAK")][-1].split()[1])
    return wall, cpu, peak


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000_000)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--no-baseline", action="store_true", help="skip polars reading the whole file")
    args = ap.parse_args()
    work = args.work or Path.home() / ".cache" / "reportgen-bench" / f"bigrun-{args.steps}"
    runs, site, cache = work / "runs", work / "site", work / "build-cache"
    hist = runs / "big" / "history.jsonl"
    if not hist.exists():
        t = time.perf_counter()
        generate(runs / "big", args.steps)
        print(f"generated {args.steps:,} steps x 4 metrics in {time.perf_counter() - t:.0f}s into {runs}")
    size = hist.stat().st_size
    print(f"input: {size / 1e6:.0f} MB of history ({args.steps:,} steps x 4 metrics + _step, _runtime, "
          f"_timestamp); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if not args.no_baseline:
        wall, cpu, peak = measured([sys.executable, "-c", f"import polars as pl; pl.read_ndjson({str(hist)!r})"])
        print(f"baseline, polars reading the file whole: {peak:.0f} MB peak RSS, {cpu:.1f}s CPU, {wall:.1f}s wall")
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    build = [sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site), "--cache-dir", str(cache), "-q"]
    wall, cpu, peak = measured(build, env)
    csize = du(cache)
    print(f"full build: {peak:.0f} MB peak RSS (target <= 400 MB), {cpu:.1f}s CPU, {wall:.1f}s wall")
    print(f"cache: {csize / 1e6:.2f} MB = {csize / size:.4f}x the input (target <= 0.10), in {cache}; "
          f"inside the site folder: {cache.resolve().is_relative_to(site.resolve())}; "
          f"site: {du(site) / 1e6:.1f} MB")
    with open(hist, "rb") as fh:
        fh.seek(-4096, os.SEEK_END)
        last = orjson.loads(fh.read().rstrip(b"\n").split(b"\n")[-1])
    with open(hist, "ab") as fh:
        for i in range(1, 1001):
            fh.write(orjson.dumps({**last, "_step": last["_step"] + i}) + b"\n")
    wall, cpu, peak = measured(build, env)
    print(f"incremental rebuild after 1,000 rows appended: {peak:.0f} MB peak RSS, {cpu:.2f}s CPU, {wall:.2f}s wall")
    with open(hist, "r+b") as fh:  # leave the generated input as it was, for the next run
        fh.truncate(size)


if __name__ == "__main__":
    main()
