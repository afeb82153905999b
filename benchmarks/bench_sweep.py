"""Benchmark: the first screen of a 200-run sweep page against the index page of the same runs.

    python benchmarks/bench_sweep.py [--runs 200] [--loads 5]

Runs a real random sweep (function agent, Optuna) of ``--runs`` runs of 50 steps, builds
the site, then in headless Chromium measures (median of ``--loads`` cold loads, each in a
fresh browser context) the time from navigation until:
- baseline: the index page's ``load`` event plus its runs table rows drawn;
- the sweep page's first screen: the charts in view drawn (``body[data-sweep-ready]``):
  importance and parallel coordinates; the scatter below them is drawn when scrolled near
  (timed separately: scroll to it until drawn).
Also times a metric switch on the sweep page (importance + parallel coordinates redrawn).
Prints seconds and the ratio against the baseline. Target (issue 16): first screen ≤ 1 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--loads", type=int, default=5)
    args = ap.parse_args()
    import numpy as np
    from playwright.sync_api import sync_playwright

    import reportgen
    from reportgen.site.config import BuildConfig
    from reportgen.site.builder import build

    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "runs", Path(tmp) / "site"
        cfg = {"method": "random", "metric": {"name": "loss"},
               "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1},
                              "wd": {"min": 0.0, "max": 0.1}, "opt": {"values": ["adam", "sgd", "rmsprop"]},
                              "layers": {"values": [1, 2, 3, 4]}}}
        sid = reportgen.sweep(cfg, dir=root)
        rng = np.random.default_rng(0)

        def train():
            run = reportgen.init()
            base = abs(np.log10(run.config["lr"]) + 2.5) + run.config["wd"]
            for step in range(50):
                run.log({"loss": base + 1 / (step + 1) + 0.01 * rng.random(), "acc": 1 / (1 + base)})

        t0 = time.perf_counter()
        reportgen.agent(sid, function=train, count=args.runs, dir=root)
        t_sweep = time.perf_counter() - t0
        t0 = time.perf_counter()
        build(BuildConfig(runs=root, out=out, quiet=True))
        t_build = time.perf_counter() - t0
        index, sweep_page = (out / "index.html").as_uri(), (out / "sweeps" / f"{sid}.html").as_uri()
        base_times, sweep_times, switch_times, scatter_times = [], [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            for _ in range(args.loads):
                ctx = browser.new_context(viewport={"width": 1440, "height": 900})
                page = ctx.new_page()
                t0 = time.perf_counter()
                page.goto(index, wait_until="load")
                page.wait_for_function("document.querySelectorAll('table tbody tr').length > 0")
                base_times.append(time.perf_counter() - t0)
                ctx.close()
                ctx = browser.new_context(viewport={"width": 1440, "height": 900})
                page = ctx.new_page()
                t0 = time.perf_counter()
                page.goto(sweep_page, wait_until="load")
                page.wait_for_selector("body[data-sweep-ready]", timeout=60_000)
                sweep_times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                page.locator("#rg-sweep-scatter").scroll_into_view_if_needed()
                page.wait_for_selector("#rg-sweep-scatter[data-drawn]", timeout=60_000)
                scatter_times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                page.select_option("#rg-sweep-metric", "acc")
                page.wait_for_function("document.getElementById('rg-sweep-imp-for').textContent === 'for acc'"
                                       " && document.querySelector('#rg-sweep-parallel svg') !== null")
                switch_times.append(time.perf_counter() - t0)
                ctx.close()
            browser.close()
    b, s, w, c = (statistics.median(x) for x in (base_times, sweep_times, switch_times, scatter_times))
    print(f"{args.runs}-run sweep: agent {t_sweep:.1f} s, build {t_build:.1f} s")
    print(f"baseline  index page load + table     {b * 1000:7.0f} ms")
    print(f"sweep page first screen (2 charts)    {s * 1000:7.0f} ms   ratio {s / b:5.2f}x  (target ≤ 1000 ms: "
          f"{'met' if s <= 1 else 'NOT met'})")
    print(f"sweep page scatter, scrolled to       {c * 1000:7.0f} ms   ratio {c / b:5.2f}x")
    print(f"sweep page metric switch              {w * 1000:7.0f} ms   ratio {w / b:5.2f}x")


if __name__ == "__main__":
    main()
