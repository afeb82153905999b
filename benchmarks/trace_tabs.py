"""Which of Chromium's work a tab of ``reportgen serve --watch`` costs: a trace of bench_tabs.py's burst.

N tabs of the all-runs page navigated in the same instant (bench_tabs.navigate_at_once, the same runs
and the same definition of loaded), and N tabs of its floor, the one-line page: Chromium records a
trace of every process (``browser.start_tracing``) from just before the instant until every tab has
loaded, the tabs already created as in the floor's reading. benchmarks/tracetable.py sums each
event's own thread CPU by process, thread and kind of work (ParseHTML, style, layout, paint, raster,
script compile and run, IPC...) and prints ms a tab, ours and floor side by side for each N. Thread
time, not wall time: what a tab costs does not depend on how many others wait for the cores (though
cache and memory contention still inflate it), so two pages compare within a few percent where
bench_tabs.py's burst times vary by 30%. Tracing itself costs CPU: compare columns of one run.
With ``--baseline-ref REF`` the code at git REF is served too (exported with ``git archive``) and traced
the same way ('base' columns), each N measured base, ours, floor, with --repeat R for R such rounds
(alternated) and the median of each figure.

    python benchmarks/trace_tabs.py [--tabs 1 5 20] [--baseline-ref main] [--repeat 3] [--keep DIR] [--table FILE]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_watch import export  # noqa: E402  (the package at a git ref, for the baseline server)
from bench_tabs import (BLANK_READY, LAUNCH_ARGS, READY, ServeProcess, blank_server, chromium_path,  # noqa: E402
                        make_run, navigate_at_once, new_context, open_tabs)
from tracetable import median, self_times, table  # noqa: E402

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "v8", "loading", "cc", "gpu",
              "toplevel", "navigation", "ipc", "mojom", "benchmark", "renderer.scheduler", "viz", "net", "browser",
              "disabled-by-default-v8.compile"]


def trace_burst(browser, url: str, n: int, ready: str, path: Path) -> float:
    """Trace n new tabs navigated to ``url`` at once until each passes ``ready``; seconds to the last."""
    context = new_context(browser)
    pages = [context.new_page() for _ in range(n)]
    time.sleep(0.5)  # the new pages' own start-up is over before the reading, as in the floor's
    browser.start_tracing(path=str(path), categories=CATEGORIES)
    t0 = navigate_at_once(pages, url)
    for page in pages:
        page.wait_for_function(ready, timeout=120_000)
    last = time.time() * 1000 - t0
    browser.stop_tracing()
    context.close()
    time.sleep(1.0)  # the closed tabs' processes are gone before the next reading
    return last / 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tabs", type=int, nargs="+", default=[1, 5, 20])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--keep", type=Path, default=None, help="keep the trace files (JSON, chrome://tracing) here")
    ap.add_argument("--table", type=Path, default=None, help="also write the table to this file")
    ap.add_argument("--baseline-ref", default=None, metavar="REF", help="also trace the code at git REF ('base')")
    ap.add_argument("--repeat", type=int, default=1, help="rounds of every burst (alternated); medians")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    readings: dict[tuple[str, int], list] = {}
    with tempfile.TemporaryDirectory(prefix="trace-tabs-") as tmp:
        runs, out = Path(tmp) / "runs", args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for i in range(args.runs):
            make_run(runs, i, args.steps)
        servers = {"ours": ServeProcess(str(runs), "--watch", "--port", "0", timeout=300)}
        code = export(args.baseline_ref, Path(tmp) / "base") if args.baseline_ref else None
        if code is not None:  # (python -m puts the working directory first on sys.path)
            servers["base"] = ServeProcess(str(runs), "--watch", "--port", "0", timeout=300,
                                           env={"PYTHONPATH": str(code)}, cwd=code)
        try:
            with sync_playwright() as p, blank_server() as floor_url:
                browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
                for srv in servers.values():  # the server's caches, the OS page cache, Chromium's spare renderer
                    warm = new_context(browser)
                    open_tabs(warm, srv.url, 1, 60)
                    warm.close()
                pages = [(name, srv.url, READY) for name, srv in servers.items()] + [("floor", floor_url, BLANK_READY)]
                for r in range(args.repeat):
                    for n in args.tabs:
                        for label, url, ready in (pages if r % 2 == 0 else pages[::-1]):
                            path = out / f"{label}_{n}_{r}.json"
                            last = trace_burst(browser, url, n, ready, path)
                            events = json.loads(path.read_text())
                            events = events["traceEvents"] if isinstance(events, dict) else events
                            readings.setdefault((label, n), []).append((last, *self_times(events)))
                            if not args.keep:
                                path.unlink()
                browser.close()
        finally:
            for srv in servers.values():
                srv.stop()
    columns, notes = [], []
    for (label, n), got in sorted(readings.items(), key=lambda kv: (kv[0][1], ["base", "ours", "floor"].index(kv[0][0]))):
        columns.append((f"{label} {n}", n, median([g[1] for g in got]), median([g[2] for g in got])))
        notes.append(f"{label} {n}: {n} tabs all loaded after "
                     + ", ".join(f"{g[0] * 1000:.0f}" for g in got) + f" ms (traced; median "
                     f"{statistics.median(g[0] for g in got) * 1000:.0f})")
    base = f", the code at {args.baseline_ref} ('base')" if "base" in servers else ""
    text = (f"{args.runs} runs x {args.steps} steps, the all-runs page ('ours'){base} and a one-line page ('floor'); "
            f"N tabs opened at once in one Chromium, {args.repeat} round(s), medians\n" + "\n".join(notes)
            + "\n\n" + table(columns))
    print(text, end="")
    if args.table:
        args.table.write_text(text)


if __name__ == "__main__":
    main()
