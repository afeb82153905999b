"""Many tabs of one ``reportgen serve --watch`` in one browser: do they all load, and all follow?

Browsers open at most six HTTP/1.1 connections per host; live updates that hold a
connection per tab stall every tab after the sixth. Measured in one Chromium context, in
the two ways a person ends up with N tabs (issue 12 point 10):

(a) one after another, as a user opens them: a new tab every ``--gap`` ms (and again, each
    one as soon as the one before it has loaded), every earlier tab kept open and polling.
    Each tab's own load time (its navigation start until its load event and every chart in its
    viewport drawn); then a row is appended to a run and every tab must hear of it.
(b) the burst: all N navigated in the same instant (a restored session; each page navigates itself
    from a timer set beforehand to that instant, ``navigate_at_once``). The time from the
    start until each one is loaded (and, printed apart, the charts within 300 px of the
    viewport, which pages draw ahead once the reader scrolls or 2 s after the load); then a row is appended and every tab must
    hear of it; then one more tab; then the server's CPU while the N tabs sit idle and poll.

Floor, measured in the same run and the same browser: N tabs of a one-line page (served by
a plain HTTP server on 127.0.0.1), opened in the same burst. Its slowest tab is what Chromium
itself costs per tab on this machine (creating N renderer processes on a few cores); the ratio
ours / floor is what the page costs on top. Baseline: one tab of ours alone. Then (unless
--no-vega) the burst again with every chart drawn by Vega from the start (``window.RG_CHARTS =
'vega'``, the pages before the lite charts of assets/chart-lite.js).

Every Playwright page is visible (headless Chromium shows each page in its own window), so
every tab here draws and polls as the tab in front does: a browser window showing one tab of
twenty has the others hidden, and they do less. Chromium's flags and process model are the
tests' own (tests/browser.py), never changed here.

The browser's CPU in the burst and in its floor is also printed by Chromium process (renderer, browser,
GPU, network service), per tab; for the burst also as the floor's is measured (from the instant until the
last tab loaded: the floor's pages are created before its reading, and it draws no charts after its loads),
and apart, what creating the N pages cost before the instant.

With ``--baseline-ref REF`` the code at git REF (exported with ``git archive``) is served too, and
the burst, the tabs opened one after another, the requests a tab makes and the 20 idle tabs' CPU
are measured for it and for this code alternately (base, ours, ours, base), on the same load.

    python benchmarks/bench_tabs.py [--tabs 20] [--runs 10] [--steps 300] [--gap 250] [--bursts 5] [--baseline-ref 05ba608]
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import http.server
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

from bench_watch import export  # noqa: E402  (the package at a git ref, for the baseline server)

from reportgen.sdk.run import Run  # noqa: E402

# "Loaded" = the load event has fired AND every chart in the viewport is drawn (charts.js marks
# it data-rendered and fires rg:rendered; DRAWN records when). Charts drawn after the load event
# (the Vega runtime is loaded when the first chart is drawn) count at the moment they appeared.
DRAWN = """document.addEventListener('rg:rendered', (e) => {
  (window.__rgDrawn = window.__rgDrawn || new Map()).set(e.target, performance.now()); }, true);"""
# the charts that count: those in the viewport (the first screen). Charts below it are drawn ahead
# only once the reader scrolls or the page has been loaded 2 s (assets/charts.js whenSettled), and
# are measured apart (NEAR). Before that rule, charts drawn ahead during the load counted too.
VISIBLE = """() => Array.from(document.querySelectorAll('.rg-chart')).filter((el) => {
  const r = el.getBoundingClientRect();
  return !el.hidden && r.width > 0 && r.bottom > 0 && r.top < innerHeight; })"""
READY = f"""() => document.readyState === 'complete' && !!window.RGLive &&
  ({VISIBLE})().every((el) => el.dataset.rendered === 'done' || el.dataset.rendered === 'error')"""
# the charts drawn ahead (within 300 px of the viewport; assets/charts.js draws them once the reader scrolls or
# the page has been loaded 2 s, and it is idle)
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


def _kind(proc) -> str:
    """Which Chromium process ``proc`` is: browser, renderer, gpu, network, or other."""
    args = proc.cmdline()
    kind = next((a[len("--type="):] for a in args if a.startswith("--type=")), "browser")
    if kind == "utility":
        sub = next((a for a in args if a.startswith("--utility-sub-type=")), "")
        return "network" if "network" in sub.lower() else "other"
    return {"renderer": "renderer", "gpu-process": "gpu", "browser": "browser"}.get(kind, "other")


def browser_cpu_split(*server_pids: int) -> dict[int, tuple[str, float]]:
    """browser_cpu() per process: {pid: (kind, CPU seconds so far)}, kind as _kind() names it."""
    import psutil

    out: dict[int, tuple[str, float]] = {}
    for proc in psutil.Process().children(recursive=True):
        try:
            if {proc.pid, *(p.pid for p in proc.parents())} & set(server_pids):
                continue
            t = proc.cpu_times()
            out[proc.pid] = (_kind(proc), t.user + t.system)
        except psutil.Error:
            pass
    return out


def split_delta(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], n: int) -> str:
    """ms a tab by process kind between two browser_cpu_split() readings (a process that ended in
    between is left out; one that started counts whole)."""
    kinds = dict.fromkeys(("renderer", "browser", "gpu", "network", "other"), 0.0)
    for pid, (kind, cpu) in after.items():
        kinds[kind] += cpu - before.get(pid, (kind, 0.0))[1]
    return ", ".join(f"{k} {v / n * 1000:.0f}" for k, v in kinds.items())


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Each page navigates itself at one instant, from a timer set in advance: the pages were navigated one
# after another, each a round trip (Playwright -> browser -> renderer -> back) that waited its turn
# behind the tabs already loading, so under a burst's load the 20th tab started up to 2 s after the
# first (its HTML's first byte came at 2.2 s, its own load took 0.9 s): the harness's delay, not the
# page's, and not a restored session's, whose tabs the browser navigates itself.
NAVIGATE_AT = "([url, at]) => { setTimeout(() => { location.href = url; }, Math.max(0, at - Date.now())); }"
LATE = []  # ms by which scheduling a burst ran past its instant (then tabs started late: printed)


def navigate_at_once(pages: list, url: str) -> float:
    """Make every page of ``pages`` navigate to ``url`` at the same instant; that instant (ms since the epoch)."""
    at = time.time() * 1000 + 300 + 15 * len(pages)
    for page in pages:
        page.evaluate(NAVIGATE_AT, [url, at])
    late = time.time() * 1000 - at
    if late > 0:
        LATE.append(late)
    return at


def open_tabs(context, url: str, n: int, timeout: float,
              pids: tuple[int, ...] = ()) -> tuple[list, list[float], list[float], list[float]]:
    """Navigate n new pages at once; seconds from the start until each one's load event, and until its
    HTML's first byte (what the server and the connection pool decide; the rest is the browser's work),
    and each tab's own load time (from its navigation start, which a loaded machine delays).
    With ``pids`` (the servers, left out), browser_cpu_split() readings are kept as ``open_tabs.readings``:
    before the pages are created, once they are (before the instant), and once every tab has loaded
    (before the charts drawn ahead)."""
    readings = [browser_cpu_split(*pids)] if pids else []
    pages = [context.new_page() for _ in range(n)]
    if pids:
        readings.append(browser_cpu_split(*pids))
    t0 = navigate_at_once(pages, url)
    loads, firsts, owns, drawn, near = [], [], [], [], []
    for page in pages:
        page.wait_for_function(READY, timeout=timeout * 1000)
        first, loaded, own, charts = page.evaluate(LOADED_AT)
        drawn.append(charts)
        loads.append((loaded - t0) / 1000)
        firsts.append((first - t0) / 1000)
        owns.append(own / 1000)
    if pids:
        readings.append(browser_cpu_split(*pids))
    open_tabs.readings = readings
    for page in pages:
        page.wait_for_function(NEAR_READY, timeout=timeout * 1000)
        near.append((page.evaluate(NEAR_AT) - t0) / 1000)
    open_tabs.charts = drawn
    open_tabs.near = [max(a, b) for a, b in zip(near, loads)]
    open_tabs.near_charts = pages[0].evaluate(f"() => ({NEAR})().length")
    return pages, loads, firsts, owns


def open_one_by_one(context, url: str, n: int, gap: float | None, timeout: float) -> tuple[list, list[float]]:
    """Open n tabs one after another: the next ``gap`` seconds after the one before was navigated
    (``gap=None``: as soon as the one before has loaded). Returns the pages and each tab's own load
    time (its navigation start -> load event and every chart in its viewport drawn)."""
    pages, owns = [], []
    for _ in range(n):
        page = context.new_page()
        t = time.perf_counter()
        page.evaluate("(url) => { location.href = url; }", url)
        pages.append(page)
        if gap is None:
            page.wait_for_function(READY, timeout=timeout * 1000)
        else:
            page.wait_for_timeout(max(0.0, gap - (time.perf_counter() - t)) * 1000)
    for page in pages:
        page.wait_for_function(READY, timeout=timeout * 1000)
        owns.append(page.evaluate(LOADED_AT)[2] / 1000)
    return pages, owns


def append_and_follow(runs: Path, pages: list, step: int) -> tuple[list[float], int]:
    """Append a row to run00's history; seconds until each tab heard of the rebuild, and its reloads."""
    before = [pg.evaluate("RGLive.generation") for pg in pages]
    t_write = time.time() * 1000
    with open(runs / "run00" / "history.jsonl", "a") as fh:
        fh.write(json.dumps({"_step": step, "loss": 0.123, "acc": 1.0}) + "\n")
    follow = []
    for page, gen in zip(pages, before):
        page.wait_for_function("(g) => window.RGLive && RGLive.generation > g", arg=gen, timeout=60_000)
        follow.append((page.evaluate("RGLive.eventAt") - t_write) / 1000)
    return follow, sum(pg.evaluate("RGLive.reloads") for pg in pages)


BLANK = b"<!doctype html><title>blank</title><p>one line</p>\n"


class _Blank(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BLANK)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(BLANK)

    def log_message(self, *args) -> None:
        pass


BLANK_READY = "() => document.readyState === 'complete' && document.title === 'blank'"


@contextlib.contextmanager
def blank_server():
    """The one-line page on a plain HTTP server on 127.0.0.1: its URL while the block runs."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Blank)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()


def blank_burst(browser, n: int, server_pid: int) -> tuple[list[float], float]:
    """The floor: n tabs of a one-line page navigated at once. Seconds from the start until each
    one's load event, and the browser CPU seconds it took."""
    with blank_server() as url:
        context = browser.new_context()
        pages = [context.new_page() for _ in range(n)]
        b0, s0 = browser_cpu(server_pid), browser_cpu_split(server_pid)
        t0 = navigate_at_once(pages, url)
        loads = []
        for page in pages:
            page.wait_for_function(BLANK_READY, timeout=120_000)
            end = page.evaluate("() => performance.timeOrigin + performance.getEntriesByType('navigation')[0].loadEventEnd")
            loads.append((end - t0) / 1000)
        cpu = browser_cpu(server_pid) - b0
        blank_burst.split = split_delta(s0, browser_cpu_split(server_pid), n)
        context.close()
    return loads, cpu


def ms(xs: list[float]) -> str:
    return f"slowest {max(xs) * 1000:.0f} ms, median {statistics.median(xs) * 1000:.0f} ms"


def compact(browser, url: str, n: int, gap: float, pids: list[int], idle: float) -> dict:
    """The figures compared with the baseline code: the burst, tabs one after another, then those n
    tabs idle (the browser's CPU, polls and channel messages a second)."""
    ctx = new_context(browser)
    b0 = browser_cpu(*pids)
    _, loads, _, _ = open_tabs(ctx, url, n, 180)
    out = {"burst": max(loads), "burst_median": statistics.median(loads), "burst_cpu": (browser_cpu(*pids) - b0) / n}
    ctx.close()
    ctx = new_context(browser)
    pages, owns = open_one_by_one(ctx, url, n, gap, 180)
    out.update(seq=max(owns), seq_median=statistics.median(owns))
    out["requests"] = pages[0].evaluate(
        "performance.getEntriesByType('resource').filter((r) => !r.name.includes('/events')).length + 1")
    time.sleep(1.0)
    count = "() => [RGLive.polls || 0, RGLive.shared || 0]"
    p0 = [pg.evaluate(count) for pg in pages]
    c0, w0 = browser_cpu(*pids), time.perf_counter()
    time.sleep(idle)
    wall = time.perf_counter() - w0
    out["idle_cpu"] = (browser_cpu(*pids) - c0) / wall
    p1 = [pg.evaluate(count) for pg in pages]
    out["polls"] = sum(b[0] - a[0] for a, b in zip(p0, p1)) / wall
    out["messages"] = sum(b[1] - a[1] for a, b in zip(p0, p1)) / wall
    ctx.close()
    return out


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
    ap.add_argument("--gap", type=float, default=250.0, help="ms between tabs opened one after another")
    ap.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU measurement")
    ap.add_argument("--baseline-ref", default=None, metavar="REF",
                    help="also serve the code at git REF (e.g. 05ba608, before tabs12) and compare, alternating")
    ap.add_argument("--bursts", type=int, default=1,
                    help="measure (b) this many times (each after its own floor) and print every one and the median")
    ap.add_argument("--no-vega", action="store_true",
                    help="skip the same-run comparison with every chart drawn by Vega from the start")
    args = ap.parse_args()
    n = args.tabs
    load0 = os.getloadavg()[0]

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bench-tabs-") as tmp:
        runs = Path(tmp) / "runs"
        for i in range(args.runs):
            make_run(runs, i, args.steps)
        srv = ServeProcess(str(runs), "--watch", "--port", "0", timeout=300)
        replay(srv.port, 1)
        server_only, requests = replay(srv.port, n)
        step = args.steps
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
            blank_burst(browser, 2, srv.proc.pid)  # warms the blank server, and Chromium's spare renderer
            warm = new_context(browser)  # first load warms the server's caches and the OS page cache
            open_tabs(warm, srv.url, 1, 60)
            warm.close()
            time.sleep(1.0)  # the closed contexts' processes are gone before the one tab is measured
            solo = new_context(browser)
            b0 = browser_cpu(srv.proc.pid)
            _, (baseline,), _, _ = open_tabs(solo, srv.url, 1, 60)
            solo_cpu = browser_cpu(srv.proc.pid) - b0
            solo.close()

            # (a) one after another, every --gap ms, then each as soon as the one before loaded
            seq = {}
            for label, gap in ((f"a new tab every {args.gap:.0f} ms", args.gap / 1000),
                               ("each as soon as the one before loaded", None)):
                ctx = new_context(browser)
                b0 = browser_cpu(srv.proc.pid)
                pages, owns = open_one_by_one(ctx, srv.url, n, gap, 120)
                cpu = browser_cpu(srv.proc.pid) - b0
                follow, reloads = append_and_follow(runs, pages, step)
                step += 1
                seq[label] = (owns, cpu, follow, reloads)
                ctx.close()

            # (b) the burst, with its floor (a one-line page) measured just before it
            floor, floor_cpu = blank_burst(browser, n, srv.proc.pid)
            context = new_context(browser)
            b0, s0 = browser_cpu(srv.proc.pid), browser_cpu_split(srv.proc.pid)
            pages, loads, firsts, owns = open_tabs(context, srv.url, n, 120, pids=(srv.proc.pid,))
            created_at, created, loaded_at = open_tabs.readings
            charts_per_tab = max(open_tabs.charts)
            near, near_charts = open_tabs.near, open_tabs.near_charts
            tabs_cpu = browser_cpu(srv.proc.pid) - b0
            tabs_split = split_delta(s0, browser_cpu_split(srv.proc.pid), n)
            follow, reloads = append_and_follow(runs, pages, step)
            step += 1
            _, (extra,), _, _ = open_tabs(context, srv.url, 1, 120)

            repeats = [(max(loads), max(floor))]
            for _ in range(args.bursts - 1):  # (b) again, each in a new context after its own floor
                rfloor, _ = blank_burst(browser, n, srv.proc.pid)
                rctx = new_context(browser)
                _, rloads, _, _ = open_tabs(rctx, srv.url, n, 120)
                repeats.append((max(rloads), max(rfloor)))
                rctx.close()

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
                _, vloads, _, _ = open_tabs(vctx, srv.url, n, 180)
                vega = (vloads, browser_cpu(srv.proc.pid) - b0)
                vctx.close()
            ab = None
            if args.baseline_ref:  # the same figures for the code at REF and for ours, alternating
                code = export(args.baseline_ref, Path(tmp) / "base")
                if code is not None:
                    old = ServeProcess(str(runs), "--watch", "--port", "0", timeout=300, env={"PYTHONPATH": str(code)},
                                       cwd=code)  # (python -m puts the working directory first on sys.path)
                    pids = [srv.proc.pid, old.proc.pid]
                    w = new_context(browser)
                    open_tabs(w, old.url, 1, 60)
                    w.close()
                    ab = {"base": [], "ours": []}
                    for name in ("base", "ours", "ours", "base"):
                        ab[name].append(compact(browser, old.url if name == "base" else srv.url, n,
                                                args.gap / 1000, pids, args.idle))
                    old.stop()
            browser.close()
        srv.stop()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.runs} runs x {args.steps} steps; all-runs page; {n} tabs in one Chromium context; "
          f"load average at the start {load0:.1f} on {os.cpu_count()} CPUs")
    print(f"baseline: one tab alone loads in {baseline * 1000:.0f} ms, browser CPU {solo_cpu * 1000:.0f} ms "
          f"(loaded: load event, and every chart in the viewport drawn; {charts_per_tab} such charts a tab)")
    print(f"(a) {n} tabs opened one after another, all kept open and live (target: each loads within 2000 ms):")
    for label, (owns_, cpu, follow_, reloads_) in seq.items():
        print(f"  {label}: each tab's own load time {ms(owns_)}; browser CPU {cpu / n * 1000:.0f} ms a tab")
        print(f"    row appended -> all {n} tabs heard of the rebuild: {ms(follow_)}, {reloads_} reloads")
    print(f"(b) {n} tabs opened in the same instant: all loaded after {max(loads) * 1000:.0f} ms "
          f"(median {statistics.median(loads) * 1000:.0f} ms, target <= 2000 ms)")
    print(f"  floor, same run: {n} tabs of a one-line page opened at once: all loaded after {max(floor) * 1000:.0f} ms "
          f"(median {statistics.median(floor) * 1000:.0f} ms), browser CPU {floor_cpu / n * 1000:.0f} ms a tab "
          f"({blank_burst.split})")
    print(f"  ratio ours / one-line page, slowest tab: {max(loads) / max(floor):.2f}; "
          f"median: {statistics.median(loads) / statistics.median(floor):.2f}")
    if len(repeats) > 1:
        print(f"  the burst {len(repeats)} times (--bursts), all loaded after: "
              + ", ".join(f"{a * 1000:.0f}" for a, _ in repeats)
              + f" ms; median {statistics.median(a for a, _ in repeats) * 1000:.0f} ms (target <= 2000 ms); "
              f"its floor each time: " + ", ".join(f"{b * 1000:.0f}" for _, b in repeats) + " ms")
    if LATE:
        print(f"  (!) navigating {len(LATE)} bursts ran past their instant by up to {max(LATE):.0f} ms: their late tabs "
              "started that much after the others")
    print(f"  and the {near_charts} charts within 300 px of the viewport (drawn ahead once the reader scrolls or the page has been loaded 2 s) "
          f"drawn too: {ms(near)}")
    print(f"  their HTML's first byte: {ms(firsts)} (the rest is the browser parsing and running the page)")
    print(f"  each tab's own load time (its navigation start -> load): {ms(owns)}")
    print(f"  the server alone answers those {n} tabs' {requests} requests (6 connections) in "
          f"{server_only * 1000:.0f} ms")
    print(f"  ratio slowest of {n} / one tab: {max(loads) / baseline:.1f}")
    print(f"  browser CPU: {n} tabs {tabs_cpu * 1000:.0f} ms ({tabs_cpu / n * 1000:.0f} ms a tab) = at least "
          f"{tabs_cpu / cores * 1000:.0f} ms on {cores} cores with nothing else running")
    print(f"    by process, ms a tab: {tabs_split} (floor: {blank_burst.split})")
    # the floor's reading starts once its pages exist and ends at its last load; the figure above also holds
    # the creation of the N pages (new_page(), before the instant) and the charts drawn ahead after the loads
    print(f"    like the floor's, from the instant until the last tab loaded: {split_delta(created, loaded_at, n)}; "
          f"creating the pages before the instant: {split_delta(created_at, created, n)}")
    print(f"  row appended -> every tab heard of the rebuild: {ms(follow)}, {reloads} reloads")
    print(f"  tab {n + 1}, opened afterwards: loads in {extra * 1000:.0f} ms")
    print(f"  server CPU with {n} idle tabs: {idle_cpu * 100:.1f}% of one core ({polls} polls by all tabs so far, "
          f"{shared} answers shared between tabs)")
    drawn_by = {m: sum(x.count(m) for x in modes) for m in ("lite", "vega")}
    print(f"  charts drawn by: {drawn_by} (assets/chart-lite.js first; Vega when the reader points at one)")
    if vega:
        vloads, vcpu = vega
        print(f"same run, charts drawn by Vega from the start (window.RG_CHARTS='vega'): {n} tabs all loaded "
              f"after {max(vloads) * 1000:.0f} ms (median {statistics.median(vloads) * 1000:.0f} ms), browser CPU "
              f"{vcpu / n * 1000:.0f} ms a tab; lite / Vega, slowest tab: {max(loads) / max(vloads):.2f}")
    if ab:
        print(f"same run, code at {args.baseline_ref} ('base') against this code ('ours'), measured base, ours, ours, base:")
        rows = [("burst", "{n} tabs at once, slowest (ms)", 1000), ("burst_median", "  median (ms)", 1000),
                ("burst_cpu", "  browser CPU a tab (ms)", 1000), ("seq", "a tab every {gap} ms, slowest own load (ms)", 1000),
                ("seq_median", "  median (ms)", 1000), ("requests", "requests to load a tab (without polls)", 1),
                ("idle_cpu", "{n} idle tabs: browser CPU (% of a core)", 100), ("polls", "  polls a second", 1),
                ("messages", "  channel messages handled a second", 1)]
        for key, label, scale in rows:
            b = [r[key] * scale for r in ab["base"]]
            o = [r[key] * scale for r in ab["ours"]]
            ratio = f"ours / base {statistics.mean(o) / statistics.mean(b):.2f}" if statistics.mean(b) else ""
            print(f"  {label.format(n=n, gap=int(args.gap)):46s} base {' '.join(f'{x:.0f}' for x in b):>12s}   "
                  f"ours {' '.join(f'{x:.0f}' for x in o):>12s}   {ratio}")
    print(f"machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
