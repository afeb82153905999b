"""Benchmark: one drag step of a parallel-coordinates axis brush on a built sweep page.

    python benchmarks/bench_sweep_drag.py SITE/sweeps/_all.html [OTHER.html ...] [--rounds 3] [--steps 20]

Opens each page in headless Chromium (a fresh context per load, pages alternated round after
round, so a before/after pair shares the machine's load), waits for its first screen, then drags
the brush of the axis with the most distinct values (each step brings runs in or out) from its
top downwards in ``--steps`` mouse moves, then back up.
For each move it reports, in ms:
- handler: the pointermove handlers (from a capturing listener on window to a bubbling one);
- frame: from that capturing listener until both charts' dataflow settled and a frame was drawn
  after it (requestAnimationFrame, then a task), i.e. until the faded lines are on screen.
Prints the median and the worst step of each page, the segments the parallel chart draws and its
runs. To compare two checkouts, build once and copy the page beside itself with the other
checkout's assets/sweep.js under another name in its script tag (the drag starts on the axis as
drawn, the middle of its band, where assets/sweep-brush.js grabs it).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

PROBE = """
window.__drag = { t0: 0, handler: 0 };
addEventListener('pointermove', () => { __drag.t0 = performance.now(); }, true);
addEventListener('pointermove', () => { __drag.handler = performance.now() - __drag.t0; }, false);
"""
SETTLE = """async () => {
  await Promise.all(Object.values(RG.sweep.views).map(v => v.runAsync()));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return [__drag.handler, performance.now() - __drag.t0]; }"""
AXIS_XY = """([axis, z]) => { const v = RG.sweep.views.parallel, o = v.origin(), x = v.scale('x'),
    r = document.querySelector('#rg-sweep-parallel canvas').getBoundingClientRect();
    return [r.left + o[0] + x(axis) + (x.bandwidth ? x.bandwidth() / 2 : 0), r.top + o[1] + v.scale('y')(z)]; }"""
AXIS = """() => { const rows = JSON.parse(document.getElementById('rg-sweep').textContent).rows;
  const n = a => new Set(rows.map(r => r[a])).size;
  return RG.sweep.views.parallel.scale('x').domain().reduce((best, a) => n(a) > n(best) ? a : best); }"""
SIZE = """() => { const v = RG.sweep.views.parallel; let n = 0;
  const walk = m => { if (m.marktype === 'rule' && m.role === 'mark') n += m.items.length;
    m.items.forEach(i => (i.items || []).forEach(walk)); };
  walk(v.scenegraph().root); return [n, JSON.parse(document.getElementById('rg-sweep').textContent).rows.length]; }"""


def drag(page, steps: int) -> list[tuple[float, float]]:
    axis = page.evaluate(AXIS)
    x, top = page.evaluate(AXIS_XY, [axis, 1.0])
    _, bottom = page.evaluate(AXIS_XY, [axis, 0.0])
    page.mouse.move(x, top)
    page.mouse.down()
    out = []
    path = [top + (bottom - top) * (i + 1) / steps for i in range(steps)]
    for y in path + path[::-1][1:]:
        page.mouse.move(x, y)
        out.append(tuple(page.evaluate(SETTLE)))
    page.mouse.up()
    page.wait_for_function("!document.getElementById('rg-sweep-runs').hasAttribute('data-pending')")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pages", nargs="+")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--width", type=int, default=1440)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from browser import LAUNCH_ARGS, chromium_path

    steps: dict[str, list[tuple[float, float]]] = {p: [] for p in args.pages}
    size, brushed = {}, {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
        for _ in range(args.rounds):
            for p in args.pages:
                ctx = browser.new_context(viewport={"width": args.width, "height": 900})
                ctx.add_init_script(PROBE)
                page = ctx.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto(Path(p).resolve().as_uri(), wait_until="load")
                page.wait_for_selector("body[data-sweep-ready]", timeout=120_000)
                page.locator("#rg-sweep-parallel canvas").scroll_into_view_if_needed()
                size[p] = page.evaluate(SIZE)
                steps[p] += drag(page, args.steps)
                brushed[p] = page.locator("#rg-sweep-count").text_content()  # the drag did brush
                if errors:
                    print(p, "page errors:", errors)
                ctx.close()
        browser.close()
    for p in args.pages:
        h = [s[0] for s in steps[p]]
        f = [s[1] for s in steps[p]]
        print(f"{p}: {size[p][1]} runs, {size[p][0]} segments, {len(f)} drag steps, at the end {brushed[p]}")
        print(f"  handler median {statistics.median(h):7.1f} ms  worst {max(h):7.1f} ms")
        print(f"  frame   median {statistics.median(f):7.1f} ms  worst {max(f):7.1f} ms")


if __name__ == "__main__":
    main()
