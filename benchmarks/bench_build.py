"""Build-speed benchmark (prints figures; never asserts timings).

Generates (into a temp folder, never committed) two projects written directly as
history.jsonl with orjson (a format-level benchmark):
  * "wide": 100 runs x 10 metrics x 20,000 steps
  * "long": 10 runs x 2 metrics x 1,000,000 steps
and prints: full build wall time and peak RSS (the build runs in a child process);
the same files parsed by an orjson line loop (baseline); incremental rebuild time after
100 rows are appended to one run; and the time until every chart of the first screen of
index.html has rendered in headless Chromium.

    python benchmarks/bench_build.py [--scale 0.1] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

REPO = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000.0


def write_project(root: Path, project: str, runs: int, metrics: int, steps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = [f"{'train' if m % 2 == 0 else 'val'}/metric_{m}" for m in range(metrics)]
    for r in range(runs):
        d = root / f"{project}-{r:03d}"
        d.mkdir(parents=True)
        (d / "run.json").write_bytes(orjson.dumps({
            "format": 1, "id": d.name, "name": d.name, "project": project, "state": "finished",
            "created": T0 + r, "updated": T0 + r + steps * 0.01, "heartbeat": T0 + r + steps * 0.01}))
        (d / "config.json").write_bytes(orjson.dumps({"lr": 10 ** -rng.uniform(1, 4), "seed": r, "layers": int(r % 7)}))
        s = np.arange(steps)
        cols = [np.exp(-s / (steps / (2 + m))) + 0.05 * rng.standard_normal(steps) for m in range(metrics)]
        with open(d / "history.jsonl", "wb") as fh:
            chunk = 50_000
            for a in range(0, steps, chunk):
                b = min(steps, a + chunk)
                lines = []
                for i in range(a, b):
                    row = {"_step": i, "_runtime": i * 0.01, "_timestamp": T0 + r + i * 0.01}
                    for name, col in zip(names, cols):
                        row[name] = float(col[i])
                    lines.append(orjson.dumps(row))
                fh.write(b"\n".join(lines) + b"\n")
        (d / "summary.json").write_bytes(orjson.dumps({n: float(c[-1]) for n, c in zip(names, cols)}))


def baseline_parse(root: Path) -> tuple[float, float]:
    """The fastest plain reader: an orjson loop over every line, values collected per key.

    Returns (wall seconds, CPU seconds)."""
    t = time.perf_counter()
    c = time.process_time()
    for h in sorted(root.glob("*/history.jsonl")):
        cols: dict[str, list] = {}
        with open(h, "rb") as fh:
            for line in fh:
                row = orjson.loads(line)
                for k, v in row.items():
                    cols.setdefault(k, []).append(v)
        del cols
    return time.perf_counter() - t, time.process_time() - c


CHILD = r"""
import resource, sys, time, json
sys.path.insert(0, {repo!r})
from reportgen.site.config import BuildConfig
from reportgen.site.builder import build
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
c0 = cpu()
t = time.perf_counter()
res = build(BuildConfig(runs={runs!r}, out={out!r}, quiet=True))
dt = time.perf_counter() - t
print(json.dumps({{"seconds": dt, "cpu": cpu() - c0, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "reparsed": len(res.reparsed), "appended": len(res.appended), "metrics": res.metrics}}))
"""


def run_build(runs: Path, out: Path) -> dict:
    import json

    proc = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO), runs=str(runs), out=str(out))],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def first_screen(site: Path) -> tuple[float, int]:
    """Seconds from navigation until every chart in the first screen of charts is drawn, in a
    freshly launched browser (nothing compiled or cached from an earlier load)."""
    sys.path.insert(0, str(REPO / "tests"))
    from browser import LAUNCH_ARGS, chromium_path
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        # The first screen of charts: the page opened at its chart area (the runs table is above it).
        t = time.perf_counter()
        page.goto((site / "index.html").as_uri())
        page.evaluate("() => document.querySelector('.rg-section').scrollIntoView()")
        page.wait_for_function("""() => {
            const vis = [...document.querySelectorAll('.rg-chart:not([hidden])')].filter(el => {
                const r = el.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; });
            return vis.length > 0 && vis.every(el => el.dataset.rendered === 'done');
        }""", timeout=120_000, polling=20)
        dt = time.perf_counter() - t
        n = page.evaluate("""() => [...document.querySelectorAll('.rg-chart:not([hidden])')].filter(el => {
                const r = el.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }).length""")
        browser.close()
    return dt, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply step counts (quick runs: 0.05)")
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    runs, site = work / "runs", work / "site"
    if not runs.exists():
        t = time.perf_counter()
        write_project(runs, "wide", 100, 10, max(100, int(20_000 * args.scale)), 1)
        write_project(runs, "long", 10, 2, max(100, int(1_000_000 * args.scale)), 2)
        print(f"generated runs in {time.perf_counter() - t:.1f}s")
    size = sum(p.stat().st_size for p in runs.glob("*/history.jsonl"))
    print(f"history: {size / 1e6:.0f} MB in {len(list(runs.iterdir()))} runs; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    base, base_cpu = baseline_parse(runs)
    print(f"baseline orjson line loop parse: {base:.2f}s wall, {base_cpu:.2f}s CPU")
    import shutil

    shutil.rmtree(site, ignore_errors=True)
    # warm the Vega bundle cache so the timing is the build itself
    run_build(runs / "wide-000", work / "warm")
    full = run_build(runs, site)
    print(f"full build: {full['seconds']:.2f}s wall ({full['seconds'] / base:.2f}x baseline; target <= 2x), "
          f"{full['cpu']:.2f}s CPU in all processes ({full['cpu'] / base_cpu:.2f}x baseline CPU); "
          f"peak RSS {full['rss_mb']:.0f} MB, largest worker process {full['worker_rss_mb']:.0f} MB (target <= 1024)")
    target = runs / "long-000" / "history.jsonl"
    with open(target, "rb") as fh:
        fh.seek(-4096, os.SEEK_END)
        last = orjson.loads(fh.read().rstrip(b"\n").split(b"\n")[-1])
    with open(target, "ab") as fh:
        for i in range(1, 101):
            row = dict(last)
            row["_step"] = last["_step"] + i
            fh.write(orjson.dumps(row) + b"\n")
    inc = run_build(runs, site)
    print(f"incremental rebuild after appending 100 rows to one 1M-row run: {inc['seconds']:.2f}s "
          f"(build() call, {inc['cpu']:.2f}s CPU) "
          f"(target <= 1s; {inc['reparsed']} run parsed, {inc['appended']} from the previous end)")
    times = []
    for _ in range(5):
        dt, n = first_screen(site)
        times.append(dt)
    times.sort()
    print(f"first screen of index.html: {n} charts rendered in {times[2]:.2f}s median of 5 cold loads "
          f"(min {times[0]:.2f}, max {times[-1]:.2f}; target <= 2s); load average {os.getloadavg()[0]:.1f}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
