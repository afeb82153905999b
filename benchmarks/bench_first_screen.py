"""The first screen of charts of index.html at 100 and 1,000 runs (issue 19), in a cold browser.

Generates the projects fresh (10 metrics each, written directly as history.jsonl like
bench_build.py), builds each with ``python -m reportgen build``, then opens index.html from
file:// in a freshly launched headless Chromium (1400x900; nothing cached or compiled) at its
chart area and waits until every chart in the viewport is drawn (benchmarks/first_screen.py, the
same wait bench_build and bench_scale use). Median of --screens loads.

Baseline, measured in the same run and the same way: the *floor*, a blank page in the same
folder that loads exactly the files the first screen loaded (the Vega runtime and the data
files, recorded from the real page) and draws nothing. first screen / floor is what drawing
and the page's own start-up add on top of getting those bytes into a cold browser. With
--compare CHECKOUT the same runs are also built and opened with another checkout (e.g.
/work/main), loads interleaved, for a before/after ratio.

The all-runs sweep page (sweeps/_all.html: parameter importance, parallel coordinates, scatter and
the runs table of every run; built for up to 1,000 runs) is timed the same way, to its first screen
(body[data-sweep-ready]: the charts in view drawn), and printed against the index's first screen.

    python benchmarks/bench_first_screen.py                    # quick: 100 and 1,000 runs x 1,000 steps
    python benchmarks/bench_first_screen.py --full             # the issue's shapes: 20k and 2k steps
    python benchmarks/bench_first_screen.py --runs 10000 --steps 100 --screens 3   # issue 20's index
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_build import write_project  # noqa: E402
from browser import LAUNCH_ARGS, chromium_path  # noqa: E402
from first_screen import charts_in_view, open_first_screen  # noqa: E402

TARGETS = {100: 1.0, 1000: 2.0, 10000: 3.0}  # seconds: issue 19 (100, 1,000 runs), issue 20 (10,000)
FLOOR = "__bench_floor.html"


def build(repo: Path, runs: Path, site: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(repo)}
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site), "-q"], env=env, check=True)
    return time.perf_counter() - t


SWEEP = "sweeps/_all.html"


def cold_load(url: str, floor: bool = False) -> tuple[float, int, list[str]]:
    """(seconds, charts in view, scripts the page loaded) for one load in a new browser (a sweep page:
    until its first screen is drawn)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        scripts: list[str] = []
        page.on("request", lambda r: r.resource_type == "script" and scripts.append(r.url))
        t = time.perf_counter()
        if floor:
            page.goto(url, wait_until="load")
            n = 0
        elif url.endswith(SWEEP):
            page.goto(url)
            page.wait_for_selector("body[data-sweep-ready]", timeout=300_000)
            n = 0
        else:
            open_first_screen(page, url, 300_000)
            n = charts_in_view(page)
        dt = time.perf_counter() - t
        browser.close()
    return dt, n, scripts


def write_floor(site: Path, scripts: list[str]) -> tuple[str, int]:
    """The blank page loading the same Vega runtime and data files (data files call RG.receive)."""
    base = site.resolve().as_uri() + "/"
    rel = [u[len(base):] for u in scripts if u.startswith(base) and ("/data/" in u or "vega-bundle" in u)]
    tags = "".join(f'<script src="{r}"></script>\n' for r in rel)
    (site / FLOOR).write_text("<!doctype html><meta charset=utf-8><title>floor</title>\n"
                              "<script>window.RG = {receive: function () {}};</script>\n" + tags, encoding="utf-8")
    return (site / FLOOR).as_uri(), len(rel)


def median(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f}s (min {min(xs):.2f}, max {max(xs):.2f})"


def scenario(work: Path, runs_n: int, steps: int, screens: int, compare: Path | None) -> None:
    runs = work / f"r{runs_n}" / "runs"
    t = time.perf_counter()
    if not runs.exists():  # (a kept work folder reuses its runs)
        write_project(runs, f"p{runs_n}", runs_n, 10, steps, 1)
    print(f"[{runs_n} runs] generated {runs_n} runs x 10 metrics x {steps} steps in {time.perf_counter() - t:.1f}s")
    sites = {"this": work / f"r{runs_n}" / "site"}
    if compare is not None:
        sites[str(compare)] = work / f"r{runs_n}" / "site-compare"
    for name, site in sites.items():
        wall = build(REPO if name == "this" else compare, runs, site)
        print(f"[{runs_n} runs] built ({name}) in {wall:.1f}s")
    url = (sites["this"] / "index.html").as_uri()
    _, charts, scripts = cold_load(url)  # a first load, not counted: records the files for the floor
    floor_url, files = write_floor(sites["this"], scripts)
    sweeps = {f"{name} {SWEEP}": site / SWEEP for name, site in sites.items() if (site / SWEEP).exists()}
    times: dict[str, list[float]] = {k: [] for k in [*sites, "floor", *sweeps]}
    for _ in range(screens):  # interleaved, so a busier minute of the machine hits every variant alike
        for name, site in sites.items():
            times[name].append(cold_load((site / "index.html").as_uri())[0])
        times["floor"].append(cold_load(floor_url, floor=True)[0])
        for name, page in sweeps.items():
            times[name].append(cold_load(page.as_uri())[0])
    target = TARGETS.get(runs_n)
    this = statistics.median(times["this"])
    floor = statistics.median(times["floor"])
    print(f"[{runs_n} runs] first screen: {charts} charts drawn in {median(times['this'])}, median of {screens} cold "
          f"loads" + (f" (target <= {target:.1f}s)" if target else ""))
    print(f"[{runs_n} runs]   floor (a blank page loading the same Vega runtime and data files, "
          f"{files} scripts): {median(times['floor'])}; first screen / floor = {this / floor:.2f}")
    if compare is not None:
        other = statistics.median(times[str(compare)])
        print(f"[{runs_n} runs]   {compare}: {median(times[str(compare)])}; this / that = {this / other:.2f}")
    for name in sweeps:
        ratio = statistics.median(times[name]) / statistics.median(times[name.rsplit(" ", 1)[0]])  # its own index
        print(f"[{runs_n} runs]   {name} first screen: {median(times[name])}; / the index's first screen = {ratio:.2f}")
    print(f"[{runs_n} runs]   load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", default="100,1000", help="comma-separated run counts (default 100,1000)")
    ap.add_argument("--steps", type=int, default=None,
                    help="steps per run (default 1000; with --full 20,000 for 100 runs and 2,000 otherwise)")
    ap.add_argument("--full", action="store_true", help="the issue's shapes (slower to generate and build)")
    ap.add_argument("--screens", type=int, default=5, help="cold loads per variant (median printed)")
    ap.add_argument("--compare", type=Path, default=None, help="another checkout, e.g. /work/main, measured alike")
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="reportgen-first-screen-"))
    try:
        for n in (int(x) for x in args.runs.split(",")):
            steps = args.steps or ((20_000 if n <= 100 else 2_000) if args.full else 1_000)
            scenario(work, n, steps, args.screens, args.compare)
    finally:
        if args.keep is None:
            import shutil

            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
