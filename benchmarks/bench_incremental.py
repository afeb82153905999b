"""Incremental rebuild benchmark (issue 19: "after a 100-row append to one of 100 runs <= 0.5 s";
issue 20: "after one run changes, <= 2 s on local disk" at 10,000 small runs). Prints figures
against baselines measured in the same run; never asserts timings.

Two projects, generated once (history files written directly, ``scale_runs.py``) and kept under
``~/.cache/reportgen/bench-incr/`` (``--cache`` to move it; the site and build cache are kept there
too, so a second run of the benchmark starts from an up-to-date site):

  * ``100``: 100 runs x 10 metrics x 20,000 steps (the shape of issue 19's benchmark);
  * ``10000``: 10,000 runs x 10 metrics x 1,000 steps (issue 20's).

For each: a build brings the site up to date; then ``--repeats`` times, 100 rows are appended to
one run (a different run each time) and a whole ``python -m reportgen build RUNS -o SITE -q``
process is timed (wall clock, interpreter start included): the median is the figure. Baselines
in the same run: ``python -c pass`` (interpreter start), ``python -m reportgen --version`` (start-up
of the CLI), a no-op rebuild (nothing changed), and a full build (``--no-cache``, into a fresh
folder; the 10,000-run one only with ``--full-large``, as it takes minutes).

    python benchmarks/bench_incremental.py [--only 100|10000] [--repeats 5] [--full-large]

The first run generates the projects (~460 MB and ~2 GB of history) and builds them (the 10,000-run
site takes minutes); later runs reuse them. Child processes may write .pyc files
(``PYTHONDONTWRITEBYTECODE`` is dropped for them), as an installed package has them.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from scale_runs import write_runs  # noqa: E402

SHAPES = {"100": (100, 10, 20_000), "10000": (10_000, 10, 1_000)}


def _gen_chunk(args: tuple) -> None:
    root, start, n, metrics, steps = args
    tmp = Path(f"{root}.part{start}")
    write_runs(tmp, n, metrics, steps, seed=start)
    for d in tmp.iterdir():  # rename r00000.. of the chunk to the project's run numbers
        i = int(d.name[1:]) + start
        meta = orjson.loads((d / "run.json").read_bytes())
        meta.update(id=f"r{i:05d}", name=f"run-{i}", created=1_700_000_000.0 + i * 60.0)
        (d / "run.json").write_bytes(orjson.dumps(meta))
        d.rename(Path(root) / f"r{i:05d}")
    tmp.rmdir()


def project(cache: Path, name: str) -> Path:
    """The runs root of a shape, generated on first use (in 2 processes) and kept."""
    n, metrics, steps = SHAPES[name]
    base = cache / f"runs{n}x{metrics}x{steps}"
    runs = base / "runs"
    if (base / "complete").exists():
        return runs
    shutil.rmtree(base, ignore_errors=True)
    runs.mkdir(parents=True)
    t = time.perf_counter()
    chunk = max(1, n // 8)
    jobs = [(str(runs), s, min(chunk, n - s), metrics, steps) for s in range(0, n, chunk)]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_gen_chunk, jobs))
    (base / "complete").write_text("")
    print(f"[{name}] generated {n} runs x {metrics} metrics x {steps} steps in {time.perf_counter() - t:.1f}s",
          flush=True)
    return runs


def append_rows(history: Path, n: int) -> None:
    """100 rows more for one run, as a training loop appends them."""
    with open(history, "rb") as fh:
        fh.seek(max(0, fh.seek(0, os.SEEK_END) - 4096))
        last = orjson.loads(fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1])
    with open(history, "ab") as fh:
        for i in range(1, n + 1):
            row = dict(last)
            row["_step"] = last["_step"] + i
            row["_runtime"] = round(last["_runtime"] + i * 0.1, 3)
            row["_timestamp"] = round(last["_timestamp"] + i * 0.1, 3)
            fh.write(orjson.dumps(row) + b"\n")


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of a whole child process."""
    import resource

    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    # an installed reportgen has its .pyc files: children may write them (the first start compiles)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def build_cmd(runs: Path, site: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site), "-q", *extra]


def median(samples: list[tuple[float, float]]) -> str:
    walls = sorted(s[0] for s in samples)
    cpus = [s[1] for s in samples]
    return (f"{statistics.median(walls):.3f}s wall (min {walls[0]:.3f}, max {walls[-1]:.3f}), "
            f"{statistics.median(cpus):.3f}s CPU")


def scenario(cache: Path, name: str, repeats: int, full: bool, target: float) -> None:
    runs = project(cache, name)
    site = runs.parent / "site"
    build_cache = runs.parent / "build-cache"
    n = SHAPES[name][0]
    print(f"[{name}] {n} runs; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    t = time.perf_counter()
    timed(build_cmd(runs, site, "--cache-dir", str(build_cache)))  # up to date (a full build the first time)
    print(f"[{name}] site brought up to date in {time.perf_counter() - t:.1f}s", flush=True)
    start = [timed([sys.executable, "-c", "pass"]) for _ in range(repeats)]
    version = [timed([sys.executable, "-m", "reportgen", "--version"]) for _ in range(repeats)]
    noop = [timed(build_cmd(runs, site, "--cache-dir", str(build_cache))) for _ in range(repeats)]
    dirs = sorted(os.listdir(runs))
    inc = []
    for i in range(repeats):
        append_rows(runs / dirs[(i * 37 + n // 2) % n] / "history.jsonl", 100)
        inc.append(timed(build_cmd(runs, site, "--cache-dir", str(build_cache))))
    print(f"[{name}]   python -c pass:              {median(start)}")
    print(f"[{name}]   python -m reportgen --version: {median(version)}")
    print(f"[{name}]   no-op rebuild:               {median(noop)}")
    print(f"[{name}] incremental rebuild after 100 rows appended to one of {n} runs (median of {repeats}): "
          f"{median(inc)}; target <= {target:.1f}s = {statistics.median(s[0] for s in inc) / target:.2f}x the target",
          flush=True)
    if full:
        fresh = runs.parent / "site-full"
        shutil.rmtree(fresh, ignore_errors=True)
        wall, cpu = timed(build_cmd(runs, fresh, "--no-cache"))
        m = statistics.median(s[0] for s in inc)
        print(f"[{name}]   full build (--no-cache, fresh folder): {wall:.2f}s wall, {cpu:.2f}s CPU; "
              f"the incremental rebuild is {m / wall:.3f}x of it", flush=True)
        shutil.rmtree(fresh, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=tuple(SHAPES), default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--full-large", action="store_true", help="also time a full build of the 10,000-run project")
    ap.add_argument("--cache", type=Path, default=None, help="where projects and sites are kept "
                    "(default: ~/.cache/reportgen/bench-incr)")
    args = ap.parse_args()
    from reportgen.site.cache import user_cache

    cache = args.cache or user_cache() / "bench-incr"
    for name, target in (("100", 0.5), ("10000", 2.0)):
        if args.only in (None, name):
            scenario(cache, name, args.repeats, name == "100" or args.full_large, target)


if __name__ == "__main__":
    main()
