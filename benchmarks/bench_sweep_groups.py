"""Benchmark: grouping 200 runs into 10 groups redraws the charts in ≤ 200 ms (issue 16).

    python benchmarks/bench_sweep_groups.py [--runs 200] [--groups 10] [--steps 1000] [--repeat 5]

Writes ``--runs`` run folders (4 metrics of ``--steps`` noisy steps, config key ``g`` =
run index mod ``--groups``), builds the site, opens its index page in headless Chromium
(1440×900) and, once the first screen's charts are drawn, times in the page (median of
``--repeat`` rounds, each from the ungrouped view):
- baseline: the same charts redrawn ungrouped with a log y scale (a full re-render of 200 runs);
- grouping: group by ``g`` (10 mean lines with min–max bands; the default hides the group's
  runs) redrawn; and the same with the runs drawn faintly (``gruns=faint``: 200 more lines).
The time runs from the state change until every chart drawn so far shows the new rows
(Vega's render finished). Prints each against its target and the ratio to the baseline.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TIMED = """async ([patch, want]) => {
  const els = [...document.querySelectorAll('.rg-chart')].filter(el => el._rg && el._rg.seen);
  const t0 = performance.now();
  RG.setState(patch);
  await new Promise(done => {
    const ok = () => els.every(el => {
      const v = RG.views[el.id];
      if (!v || el.dataset.rendered !== 'done') return false;
      const rows = v.data('rows');
      return want === null ? !rows.some(r => r.m !== undefined) && rows.length > 0
                           : rows.some(r => String(r.run).startsWith(want));
    });
    (function poll() { ok() ? done() : requestAnimationFrame(poll); })();
  });
  await new Promise(r => requestAnimationFrame(() => r()));  // the frame that paints it
  return [performance.now() - t0, els.length];
}"""


def write_runs(root: Path, n: int, groups: int, steps: int) -> None:
    from reportgen.storage.jsonio import encode_line, write_json_atomic

    for i in range(n):
        d = root / f"run{i:03d}"
        d.mkdir(parents=True)
        g = i % groups
        write_json_atomic(d / "run.json", {"format": 1, "id": d.name, "name": d.name, "project": "bench",
                                           "state": "finished", "created": 1.7e9 + i, "updated": 1.7e9 + i + 60})
        write_json_atomic(d / "config.json", {"g": g, "lr": 10 ** (-1 - g / 3)})
        with open(d / "history.jsonl", "wb") as fh:
            for s in range(steps):
                base = g * 0.3 + 1 / (1 + s / 100)
                wob = 0.1 * math.sin(s * 0.13 + i)
                fh.write(encode_line({"_step": s, "_runtime": s * 0.1, "_timestamp": 1.7e9 + s * 0.1,
                                      "loss": base + wob, "val/loss": base + 1.5 * wob,
                                      "acc": 1 / (1 + base) + wob / 10, "lr": 0.1 * 0.999 ** s}))
        write_json_atomic(d / "summary.json", {"loss": base + wob})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--groups", type=int, default=10)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    with tempfile.TemporaryDirectory() as tmp:
        root, out = Path(tmp) / "runs", Path(tmp) / "site"
        write_runs(root, args.runs, args.groups, args.steps)
        t0 = time.perf_counter()
        build(BuildConfig(runs=root, out=out, quiet=True))
        t_build = time.perf_counter() - t0
        base, grouped, faint, charts, ngroups = [], [], [], 0, 0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--allow-file-access-from-files"])
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto((out / "index.html").as_uri())
            page.wait_for_function("""() => { const els = [...document.querySelectorAll('.rg-chart')]
                .filter(el => el._rg && el._rg.seen); return els.length > 0 && els.every(el => el.dataset.rendered === 'done'); }""",
                                   timeout=60_000)
            for _ in range(args.repeat):
                ms, charts = page.evaluate(TIMED, [{"log": True}, None])
                base.append(ms)
                page.evaluate(TIMED, [{"log": False}, None])
                ms, charts = page.evaluate(TIMED, [{"g": "c.g"}, "c.g: "])
                grouped.append(ms)
                ngroups = page.evaluate("RG.views[document.querySelector('.rg-chart').id].scale('color').domain().length")
                page.evaluate(TIMED, [{"g": ""}, None])
                ms, _ = page.evaluate(TIMED, [{"g": "c.g", "gruns": "faint"}, "c.g: "])
                faint.append(ms)
                page.evaluate(TIMED, [{"g": "", "gruns": "hide"}, None])
            browser.close()
    b, g, f = statistics.median(base), statistics.median(grouped), statistics.median(faint)
    print(f"{args.runs} runs × {args.steps} steps, {charts} charts drawn on the first screen, build {t_build:.1f} s")
    print(f"baseline  redraw 200 runs ungrouped (log scale)   {b:7.0f} ms")
    print(f"grouping  into {ngroups} groups (mean + band)          {g:7.0f} ms   ratio {g / b:5.2f}x  "
          f"(target ≤ 200 ms: {'met' if g <= 200 else 'NOT met'})")
    print(f"grouping  into {ngroups} groups, runs drawn faintly    {f:7.0f} ms   ratio {f / b:5.2f}x")


if __name__ == "__main__":
    main()
