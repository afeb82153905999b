"""Build benchmark (prints figures against their targets; never asserts timings).

Generates (into a temp folder, never committed) projects written directly as history.jsonl
with orjson (a format-level benchmark), in separate roots:
  * "wide": 100 runs x 10 metrics x 20,000 steps
  * "many": 1,000 runs x 10 metrics x 2,000 steps
and prints for each: the fastest plain parse of the same history files (polars, pyarrow,
duckdb and an orjson line loop are all timed; the fastest CPU is the baseline); the full
build's CPU and peak RSS (the build runs in a child process) against it; the site's size and
files per run; an incremental rebuild after 100 rows are appended to one run (a whole
``python -m reportgen build`` process, interpreter start included); and the first screen of
charts of index.html in a cold headless Chromium (median of 5).

    python benchmarks/bench_build.py [--scale 0.1] [--runs-scale 0.1] [--only wide|many] [--keep DIR]
                                     [--screens 5] [--compare /work/main] [--repeat 5]
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


def _timed(fn, files) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    for h in files:
        fn(h)
    return time.perf_counter() - t, time.process_time() - c


def _orjson_loop(h: Path) -> None:
    cols: dict[str, list] = {}
    with open(h, "rb") as fh:
        for line in fh:
            for k, v in orjson.loads(line).items():
                cols.setdefault(k, []).append(v)


def _polars(h: Path) -> None:
    import polars as pl

    pl.read_ndjson(h)


def _pyarrow(h: Path) -> None:
    import pyarrow.json as pj

    pj.read_json(h)


def _duckdb(h: Path) -> None:
    import duckdb

    duckdb.sql(f"select * from read_json('{h}', format='newline_delimited')").fetchnumpy()


READERS = {"polars": _polars, "pyarrow": _pyarrow, "duckdb": _duckdb, "orjson loop": _orjson_loop}


def baselines(root: Path) -> dict[str, tuple[float, float]]:
    """Every plain reader over the same files: name -> (wall seconds, CPU seconds). A reader that
    is not installed or fails is left out."""
    files = sorted(root.glob("*/history.jsonl"))
    out = {}
    for name, fn in READERS.items():
        try:
            fn(files[0])  # import and warm up
            out[name] = _timed(fn, files)
        except Exception as exc:  # noqa: BLE001 - a missing optional reader is reported, not fatal
            print(f"  ({name}: {type(exc).__name__}: {exc})")
    return out


CHILD = r"""
import resource, sys, time, json
sys.path.insert(0, {repo!r})
from reportgen.site.config import BuildConfig
from reportgen.site.builder import build
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
def sys_cpu():
    return resource.getrusage(resource.RUSAGE_SELF).ru_stime + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime
c0, k0 = cpu(), sys_cpu()
t = time.perf_counter()
res = build(BuildConfig(runs={runs!r}, out={out!r}, quiet=True, cache_dir={cache!r}))
dt = time.perf_counter() - t
print(json.dumps({{"seconds": dt, "cpu": cpu() - c0, "sys": sys_cpu() - k0, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "reparsed": len(res.reparsed), "appended": len(res.appended), "metrics": res.metrics}}))
"""


def run_build(runs: Path, out: Path, repo: Path = REPO, fresh: bool = True) -> dict:
    """A build in a child process; ``fresh``: with an empty cache (a full build, even when ``out``
    was built before: the default cache folder is keyed by the site path)."""
    import json
    import shutil

    cache = out.parent / f"{out.name}.cache"
    if fresh:
        shutil.rmtree(cache, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(repo), runs=str(runs), out=str(out),
                                                             cache=str(cache))],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def first_screen(site: Path) -> tuple[float, int]:
    """Seconds from navigation until every chart in the first screen of charts is drawn, in a
    freshly launched browser (nothing compiled or cached from an earlier load)."""
    sys.path.insert(0, str(REPO / "tests"))
    sys.path.insert(0, str(REPO / "benchmarks"))
    from browser import LAUNCH_ARGS, chromium_path
    from first_screen import charts_in_view, open_first_screen
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        # The first screen of charts: the page opened at its chart area (the runs table is above it).
        t = time.perf_counter()
        open_first_screen(page, (site / "index.html").as_uri(), 120_000)
        dt = time.perf_counter() - t
        n = charts_in_view(page)
        browser.close()
    return dt, n


def site_size(site: Path, runs: list[str]) -> tuple[int, int, int]:
    """(bytes of the whole site, files in it, the most files belonging to one run)."""
    total = files = 0
    per_run = dict.fromkeys(runs, 0)
    for p in site.rglob("*"):
        if p.is_file():
            total += p.stat().st_size
            files += 1
            rel = p.relative_to(site).parts
            if rel[0] in ("runs", "media") and rel[1] in per_run:
                per_run[rel[1]] += 1
            elif rel[0] == "data" and rel[1] in ("runs", "smooth") and p.stem in per_run:
                per_run[p.stem] += 1
    return total, files, max(per_run.values(), default=0)


def cli_build(runs: Path, out: Path, repo: Path = REPO) -> tuple[float, float]:
    """Wall and CPU seconds of a whole ``python -m reportgen build`` process (interpreter start included)."""
    import resource

    env = {**os.environ, "PYTHONPATH": str(repo)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    cache = out.parent / f"{out.name}.cache"  # the one run_build used
    # cwd: ``python -m`` puts the current folder first on sys.path, before PYTHONPATH (bug: run from
    # another checkout, --compare's incremental build ran that checkout's code on the compared cache)
    subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(out), "-q", "--cache-dir", str(cache)],
                   env=env, check=True, cwd=str(repo))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def screens_median(site: Path, n: int) -> tuple[float, float, float, int]:
    times = []
    charts = 0
    for _ in range(n):
        dt, charts = first_screen(site)
        times.append(dt)
    times.sort()
    return times[len(times) // 2], times[0], times[-1], charts


def append_rows(history: Path, n: int) -> None:
    with open(history, "rb") as fh:
        fh.seek(-4096, os.SEEK_END)
        last = orjson.loads(fh.read().rstrip(b"\n").split(b"\n")[-1])
    with open(history, "ab") as fh:
        for i in range(1, n + 1):
            row = dict(last)
            row["_step"] = last["_step"] + i
            fh.write(orjson.dumps(row) + b"\n")


def scenario(work: Path, name: str, runs_n: int, steps: int, size_target_mb: float, screen_target: float,
             screens: int, compare: Path | None = None, repeat: int = 1) -> None:
    import shutil

    runs, site = work / name / "runs", work / name / "site"
    if not runs.exists():
        t = time.perf_counter()
        write_project(runs, name, runs_n, 10, steps, 1)
        print(f"[{name}] generated {runs_n} runs x 10 metrics x {steps} steps in {time.perf_counter() - t:.1f}s")
    size = sum(p.stat().st_size for p in runs.glob("*/history.jsonl"))
    print(f"[{name}] history: {size / 1e6:.0f} MB in {runs_n} runs; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    base = baselines(runs)
    for reader, (wall, cpu) in sorted(base.items(), key=lambda kv: kv[1][1]):
        print(f"[{name}]   plain parse, {reader}: {wall:.2f}s wall, {cpu:.2f}s CPU")
    fastest = min(base, key=lambda k: base[k][1])
    base_cpu = base[fastest][1]
    shutil.rmtree(site, ignore_errors=True)
    full = run_build(runs, site)
    print(f"[{name}] full build: {full['seconds']:.2f}s wall, {full['cpu']:.2f}s CPU in all processes = "
          f"{full['cpu'] / base_cpu:.2f}x the fastest plain parse ({fastest}, {base_cpu:.2f}s CPU; target <= 1.5x); "
          f"peak RSS {full['rss_mb']:.0f} MB, largest worker {full['worker_rss_mb']:.0f} MB")
    # the kernel's share apart: creating the site's files (thousands on the many shape) costs 0.4-0.6 ms each
    # on some file systems (seen on this machine's /tmp; on tmpfs a fifth of that), a cost the plain parse has not
    print(f"[{name}]   of which system (kernel) CPU {full['sys']:.2f}s; user CPU alone {full['cpu'] - full['sys']:.2f}s = "
          f"{(full['cpu'] - full['sys']) / base_cpu:.2f}x the fastest plain parse")
    if repeat > 1:  # on a busy machine CPU seconds vary by a third from minute to minute: pairs taken
        # one right after the other (the fastest reader, then a full build from scratch), median ratio
        files = sorted(runs.glob("*/history.jsonl"))
        ratios = [full["cpu"] / base_cpu]
        for _ in range(repeat - 1):
            b_cpu = _timed(READERS[fastest], files)[1]
            shutil.rmtree(site, ignore_errors=True)
            f = run_build(runs, site)
            ratios.append(f["cpu"] / b_cpu)
        ratios.sort()
        print(f"[{name}]   {repeat} pairs (plain parse, full build), one after the other: ratio median "
              f"{ratios[len(ratios) // 2]:.2f}x (min {ratios[0]:.2f}, max {ratios[-1]:.2f}; target <= 1.5x); "
              f"load average {os.getloadavg()[0]:.1f}")
    total, files, per_run = site_size(site, [d.name for d in runs.iterdir()])
    print(f"[{name}] site: {total / 1e6:.1f} MB in {files} files (target <= {size_target_mb:.0f} MB at full scale; "
          f"{total / size:.3f}x the history), at most {per_run} files per run (target <= 5)")
    other = None
    if compare is not None:  # the same runs built by another checkout (e.g. main), for same-run ratios
        other = work / name / "site-compare"
        shutil.rmtree(other, ignore_errors=True)
        old = run_build(runs, other, compare)
        o_total, o_files, o_per_run = site_size(other, [d.name for d in runs.iterdir()])
        user, o_user = full["cpu"] - full["sys"], old["cpu"] - old["sys"]
        print(f"[{name}]   {compare}: build {old['cpu']:.2f}s CPU ({full['cpu'] / old['cpu']:.2f}x), user CPU alone "
              f"{o_user:.2f}s ({user / o_user:.2f}x); site "
              f"{o_total / 1e6:.1f} MB in {o_files} files, {o_per_run} files per run "
              f"(this site: {total / o_total:.3f}x its size)")
    first = sorted(runs.iterdir())[0] / "history.jsonl"
    append_rows(first, 100)
    inc, inc_cpu = cli_build(runs, site)
    start, start_cpu = cli_build(work / "none", work / "none-site")  # an empty folder: start-up and imports
    line = (f"[{name}] incremental rebuild after appending 100 rows to one of {runs_n} runs: {inc:.2f}s wall, "
            f"{inc_cpu:.2f}s CPU for the whole `python -m reportgen build` process (target <= 0.5s); a build of an "
            f"empty folder (start-up, imports): {start:.2f}s wall, {start_cpu:.2f}s CPU")
    if other is not None:
        append_rows(first, 100)
        o_inc, o_cpu = cli_build(runs, other, compare)
        line += f"; {compare}: {o_inc:.2f}s wall, {o_cpu:.2f}s CPU"
    print(line)
    if screens:
        med, lo, hi, n = screens_median(site, screens)
        line = (f"[{name}] first screen of index.html: {n} charts rendered in {med:.2f}s median of {screens} cold "
                f"loads (min {lo:.2f}, max {hi:.2f}; target <= {screen_target:.1f}s)")
        if other is not None:
            o_med, o_lo, o_hi, _ = screens_median(other, screens)
            line += f"; {compare}: {o_med:.2f}s (min {o_lo:.2f}, max {o_hi:.2f}), ratio {med / o_med:.2f}"
        print(line + f"; load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply step counts (quick runs: 0.05)")
    ap.add_argument("--runs-scale", type=float, default=1.0, help="multiply run counts")
    ap.add_argument("--only", choices=("wide", "many"), default=None)
    ap.add_argument("--screens", type=int, default=5, help="cold browser loads per site (0: skip)")
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="pairs of (fastest plain parse, full build) to take one after the other; prints their median ratio")
    ap.add_argument("--compare", type=Path, default=None,
                    help="another checkout (e.g. /work/main): build the same runs with it too and print ratios")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    # the package's bytecode compiled first, as pip does when it installs the wheel: in a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 (set on this machine) every process, each pool worker included, compiled
    # reportgen's modules from source again (~0.13 s a process: an empty build 0.35 s instead of 0.22 s)
    import compileall

    for repo in {REPO, *([args.compare] if args.compare else [])}:
        compileall.compile_dir(str(Path(repo) / "reportgen"), quiet=1)
    (work / "none").mkdir(parents=True, exist_ok=True)
    # warm the Vega bundle cache so that the timings are the build itself
    warm = work / "warm"
    if not warm.exists():
        write_project(warm / "runs", "warm", 1, 1, 10, 0)
        run_build(warm / "runs", warm / "site")
    for name, runs_n, steps, mb, screen in (("wide", 100, 20_000, 60, 1.0), ("many", 1000, 2_000, 250, 2.0)):
        if args.only in (None, name):
            scenario(work, name, max(2, int(runs_n * args.runs_scale)), max(100, int(steps * args.scale)), mb, screen,
                     args.screens, args.compare, args.repeat)
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
