"""How fast does ``reportgen serve --watch`` show a new point in an open page?

50 run folders are present (written by the real SDK); one row at a time is
appended to one of them, and we measure the time from the append until a
connected headless Chromium page (the all-runs index, whose charts show every
run) has the new point in its chart. Median over ``--appends`` appends.

Baseline, measured in the same run: what a page costs without live updates, i.e.
a full ``build()`` of the same runs into a fresh folder plus a page reload until
the charts are drawn again. The ratio live / baseline is printed.

Also measured: the server's CPU use while nothing changes (from /proc/<pid>/stat,
with the page still connected and polling four times a second).

    python benchmarks/bench_watch.py [--runs 50] [--steps 1000] [--appends 10]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from browser import LAUNCH_ARGS, SiteBrowser, assert_charts_rendered, chromium_path  # noqa: E402
from serveproc import ServeProcess  # noqa: E402

from reportgen.build.config import BuildConfig  # noqa: E402
from reportgen.build.site import build  # noqa: E402
from reportgen.sdk.run import Run  # noqa: E402

METRICS = ("loss", "acc", "lr", "grad_norm")


def make_runs(root: Path, n: int, steps: int) -> None:
    for i in range(n):
        run = Run(id=f"run{i:02d}", name=f"run {i}", project="bench", dir=root, config={"seed": i})
        for s in range(steps):
            run.log({"loss": 1.0 / (s + 1) + i * 0.01, "acc": s / steps, "lr": 0.1 * 0.999 ** s,
                     "grad_norm": (s * 7919 % 101) / 100})
        if i < n - 1:
            run.finish()
        else:
            run._writer.history.flush()
            run._writer.close()  # leave it "running": rows are appended by hand below


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--appends", type=int, default=10)
    ap.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU measurement")
    ap.add_argument("--samples", type=int, default=1000, help="points per line (serve --samples)")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-watch-") as tmp:
        tmp = Path(tmp)
        runs = tmp / "runs"
        t0 = time.perf_counter()
        make_runs(runs, args.runs, args.steps)
        print(f"{args.runs} runs x {args.steps} steps x {len(METRICS)} metrics written in "
              f"{time.perf_counter() - t0:.1f}s")
        live_id = f"run{args.runs - 1:02d}"
        history = runs / live_id / "history.jsonl"

        srv = ServeProcess(str(runs), "--watch", "--port", "0", "--samples", str(args.samples), timeout=300)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
            sb = SiteBrowser(browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))
            page = sb.open(srv.url)
            assert_charts_rendered(page, len(METRICS))
            page.evaluate("window.__marker = 1")
            chart = page.locator('.rg-chart[data-key="loss"]').get_attribute("id")
            label = f"run {args.runs - 1}"

            latencies, server_part = [], []
            cpu0 = cpu_seconds(srv.proc.pid)
            for k in range(args.appends):
                step = args.steps + k
                value = 123.0 + k
                row = {"_step": step, "_timestamp": time.time(), "_runtime": float(step), "loss": value,
                       "acc": 0.5, "lr": 0.01, "grad_norm": 0.5}
                t_start, t_wall = time.perf_counter(), time.time()
                with open(history, "a") as fh:
                    fh.write(json.dumps(row) + "\n")
                page.wait_for_function(
                    """([id, label, step]) => { const v = RG.views[id]; return !!v &&
                         v.data("rows").some(r => r.run === label && r.x === step); }""",
                    arg=[chart, label, step], polling="raf", timeout=30_000)
                latencies.append(time.perf_counter() - t_start)
                server_part.append(page.evaluate("window.RGLive.eventAt") / 1000 - t_wall)
                time.sleep(0.5)  # let the next append be a fresh burst
            server_cpu = cpu_seconds(srv.proc.pid) - cpu0
            reloads = page.evaluate("window.RGLive.reloads")
            assert page.evaluate("window.__marker") == 1, "the page reloaded"

            # Idle: nothing changes, the page stays connected.
            time.sleep(1.0)
            c0, w0 = cpu_seconds(srv.proc.pid), time.perf_counter()
            time.sleep(args.idle)
            idle_cpu = (cpu_seconds(srv.proc.pid) - c0) / (time.perf_counter() - w0)

            # Baseline: a full build into a fresh folder + a page reload until the charts are drawn.
            t_start = time.perf_counter()
            build(BuildConfig(runs=runs, out=tmp / "fresh", quiet=True, samples=args.samples))
            t_build = time.perf_counter() - t_start
            page.reload()
            assert_charts_rendered(page, len(METRICS))
            baseline = time.perf_counter() - t_start
            problems = sb.problems.all()
            sb.close()
            browser.close()
        srv.stop()
        rebuilds = [float(line.split("rebuilt in ")[1].split("s")[0])
                    for line in srv.stderr().splitlines() if "rebuilt in " in line]

    med = statistics.median(latencies)
    print(f"append -> point visible: median {med * 1000:.0f} ms, min {min(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms over {len(latencies)} appends (target <= 1000 ms)")
    print(f"  of which append -> event at the page (debounce, rebuild, next poll): median "
          f"{statistics.median(server_part) * 1000:.0f} ms; the rest is the page loading the data and redrawing")
    if rebuilds:
        print(f"  server rebuild (build + diff + swap): median {statistics.median(rebuilds) * 1000:.0f} ms")
    print(f"  server CPU per append (all rebuilds included): {server_cpu / len(latencies) * 1000:.0f} ms")
    print(f"  page reloads during appends: {reloads}")
    print(f"  machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"baseline (fresh full build {t_build:.2f}s + page reload and redraw): {baseline * 1000:.0f} ms")
    print(f"ratio live / baseline: {med / baseline:.2f}")
    print(f"idle CPU of the server over {args.idle:.0f}s with a connected page: {idle_cpu * 100:.2f}% of one core")
    if problems:
        print("browser problems:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    main()
