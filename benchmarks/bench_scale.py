"""Scale benchmark (issue 20, "Speed"): many small runs on the local disk. Prints figures against
targets and baselines measured in the same run; never asserts.

    python benchmarks/bench_scale.py [--runs 10000] [--metrics 10] [--steps 1000] [--workers 2]
                                     [--no-dask] [--keep DIR] [--s3] [--no-local]

1. runs written directly (scale_runs.py): N runs x M metrics x S steps;
2. the fastest parse of the same data: every history.jsonl read and decoded by an orjson line
   loop (baseline of the full build);
3. full build (``reportgen build``, process pool of --workers, child process): wall time, CPU;
4. incremental rebuild after one run grew by 10 rows (``build()`` call in a child process, target
   <= 2 s);
5. the same full build on a local Dask cluster (``--scheduler``; scheduler + --workers worker
   processes, one thread each) against the process pool of the same size;
6. site size (target <= 1 GB) and files per run (target <= 5);
7. index.html's first screen in a cold headless Chromium (target <= 3 s): until every chart in
   view is drawn; also the data files requested (only the runs drawn) and when the table loaded.

With ``--s3`` the same runs are uploaded to a moto S3 server on 127.0.0.1 (segmented layout,
scale_s3.py) and built from ``s3://``: the fastest parse there (list + read every history segment
+ orjson), the full build (mirror sync + build), the incremental rebuild after one run got a new
segment, and the Dask build whose workers read the segments from S3 themselves.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from first_screen import open_first_screen  # noqa: E402
from scale_runs import touch_run, write_runs  # noqa: E402

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
t = time.perf_counter()
runs, sync = {runs!r}, 0.0
if "://" in runs:  # a URL root: synced into a local mirror first (what `reportgen build s3://...` does)
    from reportgen.storage.remote import resolve_runs
    runs = resolve_runs(runs, {mirror!r})
    sync = time.perf_counter() - t
    t = time.perf_counter()
r = build(BuildConfig(runs, {out!r}, quiet=True, cache_dir={cache!r}, scheduler={scheduler!r},
                      workers={workers!r}, force_pool=True))
dt = time.perf_counter() - t
ru, rc = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"seconds": dt, "sync": sync, "cpu": ru.ru_utime + ru.ru_stime + rc.ru_utime + rc.ru_stime,
                  "rss_mb": ru.ru_maxrss / 1024, "reparsed": len(r.reparsed), "appended": len(r.appended)}}))
"""


def child_build(runs: Path | str, out: Path, cache: Path, scheduler: str | None = None, workers: int = 2,
                mirror: Path | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    code = CHILD.format(repo=str(REPO), runs=str(runs), out=str(out), cache=str(cache), scheduler=scheduler,
                        workers=workers, mirror=str(mirror or Path(cache).with_name(Path(cache).name + "-mirror")))
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode:  # printed first: inside a LocalCluster, an error closing it hides this one
        print(proc.stderr, file=sys.stderr, flush=True)
        raise SystemExit(f"build failed (exit code {proc.returncode}): {proc.stderr[-2000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["wall"] = time.perf_counter() - t
    return res


def fastest_parse(runs: Path) -> float:
    """The baseline: read and decode every history line with orjson (no columns, no output)."""
    t = time.perf_counter()
    n = 0
    for d in sorted(runs.iterdir()):
        with open(d / "history.jsonl", "rb") as fh:
            for line in fh:
                orjson.loads(line)
                n += 1
    return time.perf_counter() - t


def site_stats(site: Path) -> tuple[int, int]:
    size = files = 0
    for dirpath, _dirs, names in os.walk(site):
        for n in names:
            files += 1
            size += os.lstat(os.path.join(dirpath, n)).st_size
    return size, files


def first_screen(site: Path) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from browser import LAUNCH_ARGS, chromium_path
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        requests: list[str] = []
        errors: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        t = time.perf_counter()
        open_first_screen(page, (site / "index.html").as_uri(), 300_000)
        charts = time.perf_counter() - t
        page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length > 0",
                               timeout=300_000, polling=20)
        table = time.perf_counter() - t
        drawn = page.evaluate("() => RG.defaultRuns().length")
        browser.close()
    data = [u.split("/data/", 1)[1] for u in requests if "/data/" in u]
    return {"charts": charts, "table": table, "data_files": len(data), "drawn": drawn,
            "overview": sum(d.startswith("overview") for d in data), "errors": errors,
            "outside": [u for u in requests if not u.startswith(("file:", "data:", "blob:"))],
            "index_kb": (site / "index.html").stat().st_size / 1024}


def dask_build(runs: Path | str, out: Path, cache: Path, workers: int) -> dict:
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=40)
    try:
        return child_build(runs, out, cache, scheduler=cluster.scheduler_address, workers=workers)
    finally:
        # Under load a nanny can take longer than distributed's default to reap its worker; that
        # teardown is the harness's, not the build's, so it gets time and never discards the result.
        try:
            cluster.close(timeout=180)
        except TimeoutError as exc:
            print(f"warning: the LocalCluster did not close within 180 s ({exc!r}); the build's result "
                  "stands", file=sys.stderr, flush=True)


def same_site(a: Path, b: Path) -> str:
    same = subprocess.run(["diff", "-rq", "-x", ".reportgen-manifest.json", str(a), str(b)],
                          capture_output=True, text=True)
    return "identical" if same.returncode == 0 else f"{len(same.stdout.splitlines())} files differ"


def s3_section(args, runs: Path, work: Path) -> None:
    """The same runs on a moto S3 server, built from s3://."""
    from scale_s3 import fastest_parse as s3_parse
    from scale_s3 import grow_run, listing, start_server, upload

    def log(msg: str) -> None:
        print(f"{msg} (load {os.getloadavg()[0]:.1f})", flush=True)

    server = start_server(s3_only=not args.moto_lookup)
    try:
        url = f"s3://{server.bucket()}/runs"
        t, c = time.perf_counter(), server.cpu()
        objects, size = upload(runs, url, log)
        dt = time.perf_counter() - t
        log(f"[s3] uploaded {objects} objects ({objects / args.runs:.1f} per run, {size / 1e6:.0f} MB) to {url} in "
            f"{dt:.1f}s = {objects / dt:.0f} objects/s; server CPU {server.cpu() - c:.1f}s")
        parse, nbytes = s3_parse(url)
        log(f"[s3] fastest parse (list + read every history segment + orjson): {parse:.1f}s for "
            f"{nbytes / 1e6:.0f} MB")
        site, cache = work / "site-s3", work / "cache-s3"
        c = server.cpu()
        full = child_build(url, site, cache, workers=args.workers)
        total = full["sync"] + full["seconds"]
        log(f"[s3] full build from s3:// (process pool, {args.workers} workers): {total:.1f}s = "
            f"{total / parse:.2f}x the fastest parse (mirror sync {full['sync']:.1f}s = "
            f"{objects / full['sync']:.0f} objects/s + build {full['seconds']:.1f}s); {full['cpu']:.1f}s CPU "
            f"(+ server {server.cpu() - c:.1f}s)")
        c = server.cpu()
        lt, n = listing(url)
        log(f"[s3] one recursive listing of the root: {lt:.2f}s for {n} objects ({-(-n // 1000)} pages); "
            f"server CPU {server.cpu() - c:.2f}s")
        grow_run(url, sorted(os.listdir(runs))[len(os.listdir(runs)) // 2])
        c = server.cpu()
        inc = child_build(url, site, cache, workers=args.workers)
        log(f"[s3] incremental rebuild after one run got a new segment: {inc['sync'] + inc['seconds']:.2f}s "
            f"(sync {inc['sync']:.2f}s + build {inc['seconds']:.2f}s; {inc['reparsed']} run parsed, "
            f"{inc['appended']} from its previous end); server CPU {server.cpu() - c:.2f}s")
        size, files = site_stats(site)
        log(f"[s3] site: {size / 1e6:.0f} MB (target <= 1000 MB), {files} files = {files / args.runs:.2f} per run "
            f"(target <= 5)")
        if args.no_local:
            report_first_screen(site, args.runs)
        if not args.no_dask:
            d = dask_build(url, work / "site-s3-dask", work / "cache-s3-dask", args.workers)
            dt = d["sync"] + d["seconds"]
            log(f"[s3] Dask build from s3:// (workers read the segments from S3): {dt:.1f}s = {dt / total:.2f}x "
                f"the process pool's (sync {d['sync']:.1f}s + build {d['seconds']:.1f}s; the pool's build alone "
                f"{full['seconds']:.1f}s: {d['seconds'] / full['seconds']:.2f}x); Dask site vs pool site: "
                f"{same_site(site, work / 'site-s3-dask')}")
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--metrics", type=int, default=10)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2, help="process pool and Dask workers (same number)")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--s3", action="store_true", help="also upload the runs to a moto S3 server and build from s3://")
    ap.add_argument("--no-local", action="store_true", help="skip the local-disk measurements (the first screen "
                    "is then measured on the site built from s3://)")
    ap.add_argument("--moto-lookup", action="store_true", help="keep moto's per-request service lookup (slower "
                    "server; by default the server dispatches every request to S3 directly)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="rg-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = work / "runs"
    print(f"{args.runs} runs x {args.metrics} metrics x {args.steps} steps, {args.workers} workers, in {work}",
          flush=True)
    if not runs.is_dir() or len(list(runs.iterdir())) != args.runs:
        t = time.perf_counter()
        write_runs(runs, args.runs, args.metrics, args.steps)
        print(f"generated in {time.perf_counter() - t:.1f}s", flush=True)
    if not args.no_local:
        local_section(args, runs, work)
    if args.s3:
        s3_section(args, runs, work)


def local_section(args, runs: Path, work: Path) -> None:
    hist = sum((d / "history.jsonl").stat().st_size for d in runs.iterdir())
    parse = fastest_parse(runs)
    print(f"fastest parse (orjson line loop): {parse:.1f}s for {hist / 1e6:.0f} MB of history", flush=True)

    site, cache = work / "site", work / "cache"
    full = child_build(runs, site, cache, workers=args.workers)
    print(f"full build (process pool, {args.workers} workers): {full['seconds']:.1f}s = "
          f"{full['seconds'] / parse:.2f}x the fastest parse; {full['cpu']:.1f}s CPU; peak RSS (main) "
          f"{full['rss_mb']:.0f} MB", flush=True)

    touch_run(runs / sorted(os.listdir(runs))[len(os.listdir(runs)) // 2], 10)
    inc = child_build(runs, site, cache, workers=args.workers)
    print(f"incremental rebuild after one run grew: {inc['seconds']:.2f}s (target <= 2 s; "
          f"{inc['reparsed']} run parsed, {inc['appended']} from its previous end)", flush=True)

    size, files = site_stats(site)
    print(f"site: {size / 1e6:.0f} MB (target <= 1000 MB), {files} files = {files / args.runs:.2f} per run "
          f"(target <= 5)", flush=True)

    if not args.no_dask:
        d = dask_build(runs, work / "site-dask", work / "cache-dask", args.workers)
        print(f"Dask build ({args.workers} worker processes): {d['seconds']:.1f}s = "
              f"{d['seconds'] / full['seconds']:.2f}x the process pool ({full['seconds']:.1f}s)", flush=True)
        # the pool site was rebuilt incrementally after the change; the Dask one from scratch
        print("Dask site vs pool site:", same_site(site, work / "site-dask"), flush=True)

    report_first_screen(site, args.runs)


def report_first_screen(site: Path, n_runs: int) -> None:
    times = []
    for _ in range(3):
        times.append(first_screen(site))
    times.sort(key=lambda r: r["charts"])
    m = times[1]
    print(f"index first screen (cold Chromium, median of 3): {m['charts']:.2f}s (target <= 3 s; "
          f"{[round(r['charts'], 2) for r in times]}); table of {n_runs} runs shown at {m['table']:.2f}s; "
          f"index.html {m['index_kb']:.0f} KB; {m['drawn']} runs drawn, {m['data_files']} data files requested "
          f"({m['overview']} overview files); console errors {len(m['errors'])}, requests outside {len(m['outside'])}"
          f" (load {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    main()
