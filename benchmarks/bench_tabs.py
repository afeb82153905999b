"""Many tabs of one ``reportgen serve --watch`` in one browser: do they all load, and all follow?

Browsers open at most six HTTP/1.1 connections per host; live updates that hold a
connection per tab stall every tab after the sixth. Measured in one Chromium
context: N tabs navigated at once (as when a session is restored), the time until
each one's load event and the drawing of every chart in its viewport (and, printed apart, of the charts
within 300 px of it, which pages draw ahead once idle); then a new run is written and the time until each tab has
heard of the rebuild; then one more tab; then the server's CPU while the N tabs
sit idle and poll. A row appended to a run's history is the change (charts update
in place, no reload).

Baseline, measured in the same run: one tab alone, opened in the same way. The
ratio (slowest of N tabs) / (one tab) is printed. Then (unless --no-vega) the same N tabs
again with every chart drawn by Vega from the start (``window.RG_CHARTS = 'vega'``, the pages
before the lite charts of assets/chart-lite.js), for a before/after ratio on the same load.

    python benchmarks/bench_tabs.py [--tabs 20] [--runs 10] [--steps 300]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from browser import LAUNCH_ARGS, chromium_path  # noqa: E402
from serveproc import ServeProcess  # noqa: E402

from reportgen.sdk.run import Run  # noqa: E402

# "Loaded" = the load event has fired AND every chart in the viewport is drawn (charts.js marks
# it data-rendered and fires rg:rendered; DRAWN records when). Charts drawn after the load event
# (the Vega runtime is loaded when the first chart is drawn) count at the moment they appeared.
DRAWN = """document.addEventListener('rg:rendered', (e) => {
  (window.__rgDrawn = window.__rgDrawn || new Map()).set(e.target, performance.now()); }, true);"""
# the charts that count: those in the viewport, and any other the page has started drawing
VISIBLE = """() => Array.from(document.querySelectorAll('.rg-chart')).filter((el) => {
  const r = el.getBoundingClientRect();
  return el.dataset.rendered || (!el.hidden && r.width > 0 && r.bottom > 0 && r.top < innerHeight); })"""
READY = f"""() => document.readyState === 'complete' && !!window.RGLive &&
  ({VISIBLE})().every((el) => el.dataset.rendered === 'done' || el.dataset.rendered === 'error')"""
# the charts drawn ahead (within 300 px of the viewport; assets/charts.js draws them once the page is idle)
NEAR = """() => Array.from(document.querySelectorAll('.rg-chart')).filter((el) => {
  const r = el.getBoundingClientRect();
  return !el.hidden && r.width > 0 && r.bottom > -300 && r.top < innerHeight + 300; })"""
NEAR_READY = f"""() => ({NEAR})().every((el) => el.dataset.rendered === 'done' || el.dataset.rendered === 'error')"""
NEAR_AT = f"""() => performance.timeOrigin + Math.max(0, ...({NEAR})().map((el) => (window.__rgDrawn && window.__rgDrawn.get(el)) || 0))"""
LOADED_AT = f"""() => {{ const n = performance.getEntriesByType('navigation')[0];
  const drawn = ({VISIBLE})().map((el) => (window.__rgDrawn && window.__rgDrawn.get(el)) || 0);
  const at = Math.max(n.loadEventEnd, ...drawn);
  return [performance.timeOrigin + n.responseStart, performance.timeOrigin + at, at, drawn.length]; }}"""


def make_run(root: Path, i: int, steps: int) -> None:
    run = Run(id=f"run{i:02d}", name=f"run {i}", project="bench", dir=root, config={"seed": i})
    for s in range(steps):
        run.log({"loss": 1.0 / (s + 1) + i * 0.01, "acc": s / steps})
    run.finish()


def new_context(browser):
    """A fresh context (its own HTTP and code caches) that records when each chart is drawn."""
    context = browser.new_context()
    context.add_init_script(DRAWN)
    return context


def browser_cpu(*server_pids: int) -> float:
    """CPU seconds used so far by this process's descendants except the server: the browser's
    processes (the load of N tabs on a machine with few cores is bounded by this over its cores)."""
    import psutil

    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            if {proc.pid, *(p.pid for p in proc.parents())} & set(server_pids):
                continue
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_tabs(context, url: str, n: int, timeout: float) -> tuple[list, list[float], list[float], list[float]]:
    """Navigate n new pages at once; seconds from the start until each one's load event, and until its
    HTML's first byte (what the server and the connection pool decide; the rest is the browser's work),
    and each tab's own load time (from its navigation start, which a loaded machine delays)."""
    pages = [context.new_page() for _ in range(n)]
    t0 = time.time() * 1000
    for page in pages:
        page.evaluate("(url) => { location.href = url; }", url)
    loads, firsts, owns, drawn, near = [], [], [], [], []
    for page in pages:
        page.wait_for_function(READY, timeout=timeout * 1000)
        first, loaded, own, charts = page.evaluate(LOADED_AT)
        drawn.append(charts)
        loads.append((loaded - t0) / 1000)
        firsts.append((first - t0) / 1000)
        owns.append(own / 1000)
    for page in pages:
        page.wait_for_function(NEAR_READY, timeout=timeout * 1000)
        near.append((page.evaluate(NEAR_AT) - t0) / 1000)
    open_tabs.charts = drawn
    open_tabs.near = [max(a, b) for a, b in zip(near, loads)]
    open_tabs.near_charts = pages[0].evaluate(f"() => ({NEAR})().length")
    return pages, loads, firsts, owns


def replay(port: int, tabs: int) -> tuple[float, int]:
    """The server alone: every file the all-runs page loads, for ``tabs`` tabs, over six keep-alive
    connections (a browser's per-host limit). Returns (seconds, requests)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/")
    html = conn.getresponse().read().decode()
    urls = ["/"] + ["/" + u for u in re.findall(r'(?:src|href)="((?:assets|data)/[^"]+)"', html)]
    todo = queue.Queue()
    for _ in range(tabs):
        for u in urls:
            todo.put(u)
    n = todo.qsize()

    def worker() -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                u = todo.get_nowait()
            except queue.Empty:
                return
            c.request("GET", u)
            c.getresponse().read()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tabs", type=int, default=20)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU measurement")
    ap.add_argument("--no-vega", action="store_true",
                    help="skip the same-run comparison with every chart drawn by Vega from the start")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-tabs-") as tmp:
        runs = Path(tmp) / "runs"
        for i in range(args.runs):
            make_run(runs, i, args.steps)
        srv = ServeProcess(str(runs), "--watch", "--port", "0", timeout=300)
        replay(srv.port, 1)
        server_only, requests = replay(srv.port, args.tabs)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
            warm = new_context(browser)  # first load warms the server's caches and the OS page cache
            open_tabs(warm, srv.url, 1, 60)
            warm.close()
            solo = new_context(browser)
            b0 = browser_cpu(srv.proc.pid)
            _, (baseline,), _, _ = open_tabs(solo, srv.url, 1, 60)
            solo_cpu = browser_cpu(srv.proc.pid) - b0
            solo.close()

            context = new_context(browser)
            b0 = browser_cpu(srv.proc.pid)
            pages, loads, firsts, owns = open_tabs(context, srv.url, args.tabs, 120)
            charts_per_tab = max(open_tabs.charts)
            near, near_charts = open_tabs.near, open_tabs.near_charts
            tabs_cpu = browser_cpu(srv.proc.pid) - b0

            t_write = time.time() * 1000
            with open(runs / "run00" / "history.jsonl", "a") as fh:
                fh.write(json.dumps({"_step": args.steps, "loss": 0.123, "acc": 1.0}) + "\n")
            pages[0].wait_for_function("() => RGLive.generation >= 1", timeout=60_000)
            target = pages[0].evaluate("RGLive.generation")
            follow = []
            for page in pages:
                page.wait_for_function("(g) => window.RGLive && RGLive.generation >= g", arg=target, timeout=60_000)
                follow.append((page.evaluate("RGLive.eventAt") - t_write) / 1000)
            reloads = sum(pg.evaluate("RGLive.reloads") for pg in pages)
            _, (extra,), _, _ = open_tabs(context, srv.url, 1, 120)

            for page in pages:  # settle: reloads caused by the new run are over
                page.wait_for_function(READY, timeout=60_000)
            time.sleep(1.0)
            c0, w0 = cpu_seconds(srv.proc.pid), time.perf_counter()
            pages[0].wait_for_timeout(args.idle * 1000)
            idle_cpu = (cpu_seconds(srv.proc.pid) - c0) / (time.perf_counter() - w0)
            polls = sum(pg.evaluate("RGLive.polls || 0") for pg in pages)
            shared = sum(pg.evaluate("RGLive.shared || 0") for pg in pages)
            modes = [pg.evaluate("() => [...document.querySelectorAll('.rg-chart[data-draw]')].map(e => e.dataset.draw)")
                     for pg in pages]
            context.close()
            vega = None
            if not args.no_vega:  # the same tabs with charts drawn by Vega at once (before issue 12's lite charts)
                vctx = new_context(browser)
                vctx.add_init_script("window.RG_CHARTS = 'vega';")
                b0 = browser_cpu(srv.proc.pid)
                _, vloads, _, _ = open_tabs(vctx, srv.url, args.tabs, 180)
                vega = (vloads, browser_cpu(srv.proc.pid) - b0)
                vctx.close()
            browser.close()
        srv.stop()

    print(f"{args.runs} runs x {args.steps} steps; all-runs page, {args.tabs} tabs in one Chromium context")
    print(f"baseline: one tab alone loads in {baseline * 1000:.0f} ms (loaded: load event, and every chart in the "
          f"viewport or started drawn; {charts_per_tab} such charts a tab)")
    print(f"{args.tabs} tabs opened at once: all loaded after {max(loads) * 1000:.0f} ms "
          f"(median {statistics.median(loads) * 1000:.0f} ms, target <= 2000 ms)")
    print(f"  and the {near_charts} charts within 300 px of the viewport (drawn ahead, once each page is idle) "
          f"drawn too: slowest {max(near) * 1000:.0f} ms, median {statistics.median(near) * 1000:.0f} ms")
    print(f"  their HTML's first byte: slowest {max(firsts) * 1000:.0f} ms, median {statistics.median(firsts) * 1000:.0f} ms"
          " (the rest is the browser parsing and running the page)")
    print(f"  each tab's own load time (its navigation start -> load): slowest {max(owns) * 1000:.0f} ms, "
          f"median {statistics.median(owns) * 1000:.0f} ms")
    print(f"  the server alone answers those {args.tabs} tabs' {requests} requests (6 connections) in "
          f"{server_only * 1000:.0f} ms")
    print(f"ratio slowest of {args.tabs} / one tab: {max(loads) / baseline:.1f}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"browser CPU: one tab {solo_cpu * 1000:.0f} ms; {args.tabs} tabs {tabs_cpu * 1000:.0f} ms "
          f"({tabs_cpu / args.tabs * 1000:.0f} ms a tab) = at least {tabs_cpu / cores * 1000:.0f} ms on {cores} cores "
          "with nothing else running")
    print(f"row appended -> every tab heard of the rebuild: slowest {max(follow) * 1000:.0f} ms, "
          f"median {statistics.median(follow) * 1000:.0f} ms, {reloads} reloads")
    print(f"tab {args.tabs + 1}, opened afterwards: loads in {extra * 1000:.0f} ms")
    print(f"server CPU with {args.tabs} idle tabs: {idle_cpu * 100:.1f}% of one core ({polls} polls by all tabs so far, "
          f"{shared} answers shared between tabs)")
    drawn_by = {m: sum(x.count(m) for x in modes) for m in ("lite", "vega")}
    print(f"charts drawn by: {drawn_by} (assets/chart-lite.js first; Vega when the reader points at one)")
    if vega:
        vloads, vcpu = vega
        print(f"same run, charts drawn by Vega from the start (window.RG_CHARTS='vega'): {args.tabs} tabs all loaded "
              f"after {max(vloads) * 1000:.0f} ms (median {statistics.median(vloads) * 1000:.0f} ms), browser CPU "
              f"{vcpu / args.tabs * 1000:.0f} ms a tab; lite / Vega, slowest tab: {max(loads) / max(vloads):.2f}")
    print(f"machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
