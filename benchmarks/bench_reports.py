"""How much do markdown reports and the Markdown summary cost?

    python benchmarks/bench_reports.py [--runs 20] [--steps 2000] [--directives 40]

Logs synthetic runs with the SDK into a temp folder, then times, in one process:
  * the site build without reports (baseline) and with one report of N directives,
  * rendering the report text alone (markdown + sanitiser) against plain ``markdown``,
  * the summary with PNG charts against SVG charts.
Prints ratios against the baseline measured in the same run.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def make_runs(root: Path, n_runs: int, steps: int) -> None:
    import reportgen

    rng = np.random.default_rng(0)
    for i in range(n_runs):
        reportgen.init(project="bench", name=f"run-{i:03d}", id=f"run-{i:03d}", dir=root,
                       tags=["even" if i % 2 == 0 else "odd"], config={"lr": 10.0 ** -rng.uniform(1, 4)})
        loss = np.cumsum(rng.normal(-0.001, 0.01, steps)) + 2
        for s in range(steps):
            reportgen.log({"train/loss": float(loss[s]), "val/loss": float(loss[s] + 0.1),
                           "val/accuracy": float(1 / (1 + np.exp(loss[s])))})
        reportgen.run.summary["best_accuracy"] = float(1 / (1 + np.exp(loss.min())))
        reportgen.finish()


def report_text(n: int) -> str:
    parts = ["---\ntitle: Benchmark\ntags: [even]\n---\n# Benchmark\n"]
    kinds = ['{{< chart metric="val/*" >}}', '{{< runs columns="config.lr, best_accuracy" sort="-best_accuracy" >}}',
             'Best: {{< value key="best_accuracy" agg="max" format=".3f" >}}.',
             '{{< chart metric="train/loss" runs="run-00*" >}}']
    for i in range(n):
        parts.append(f"\n## Section {i}\n\nSome *text* with a [link](https://example.org) and `code`.\n\n"
                     + kinds[i % len(kinds)] + "\n")
    return "".join(parts)


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--directives", type=int, default=40)
    args = ap.parse_args()

    import markdown

    from reportgen.site.config import BuildConfig
    from reportgen.site.builder import build
    from reportgen.export import SummaryOptions, write_summary
    from reportgen.site.reports.directives import extract
    from reportgen.site.reports.sanitize import sanitize_html

    tmp = Path(tempfile.mkdtemp(prefix="rg-bench-"))
    try:
        runs = tmp / "runs"
        make_runs(runs, args.runs, args.steps)
        empty, reports = tmp / "no-reports", tmp / "reports"
        empty.mkdir()
        reports.mkdir()
        text = report_text(args.directives)
        (reports / "bench.md").write_text(text)
        site = tmp / "site"
        build(BuildConfig(runs=runs, out=site, quiet=True, reports=empty))  # warm up: Vega bundle, caches
        base = timed(lambda: build(BuildConfig(runs=runs, out=site, quiet=True, reports=empty)))
        with_reports = timed(lambda: build(BuildConfig(runs=runs, out=site, quiet=True, reports=reports)))
        print(f"{args.runs} runs x {args.steps} steps, one report with {args.directives} directives")
        print(f"  rebuild (runs cached), no reports  {base:7.3f} s  (baseline)")
        print(f"  rebuild (runs cached), the report  {with_reports:7.3f} s  ratio {with_reports / base:5.2f}")

        plain = timed(lambda: markdown.markdown(text, extensions=["tables", "fenced_code"]), 5)
        ours = timed(lambda: sanitize_html(markdown.markdown(extract(text).text,
                                                             extensions=["tables", "fenced_code"]))[0], 5)
        print(f"  markdown alone               {plain * 1000:7.2f} ms (baseline)")
        print(f"  directives + markdown + sanitiser {ours * 1000:7.2f} ms  ratio {ours / plain:5.2f}")

        png = timed(lambda: write_summary(SummaryOptions(runs=runs, out=tmp / "png" / "s.md")), 1)
        svg = timed(lambda: write_summary(SummaryOptions(runs=runs, out=tmp / "svg" / "s.md",
                                                         image_format="svg")), 1)
        n = len(list((tmp / "png" / "s_files").iterdir()))
        print(f"  summary, {n} SVG charts        {svg:7.3f} s  (baseline)")
        print(f"  summary, {n} PNG charts        {png:7.3f} s  ratio {png / svg:5.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
