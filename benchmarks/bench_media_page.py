"""Benchmark: opening a run page with 1,000 images over 100 steps in headless Chromium.

    python benchmarks/bench_media_page.py [--steps 100] [--per-step 10] [--size 256] [--repeats 5]

Logs ``steps`` steps of ``per-step`` images (a gallery under one key, plus one image with
masks and boxes every step) with the real SDK, builds the site, then opens the run page
from file:// and measures the time until the page is usable: the load event, the media
panels set up (``.rgp-root[data-ready]``) and every image in the viewport decoded. The
baseline, measured in the same run, is the page of a run with the same scalar metrics and
no media. Prints the median of ``repeats`` for both, their ratio, the page and thumbnail
sizes and the build time, then times the heavy panels of a second run (a 10,000-row
table: first render, sort, filter; a 100,000-point cloud; an 8,000-atom molecule). Target: the media page opens in <= 2 s.
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
sys.path.insert(0, str(REPO / "tests"))

READY = """() => {
  const root = document.querySelector('.rgp-root');
  if (root && root.dataset.ready !== '1') return false;
  const h = window.innerHeight;
  return [...document.querySelectorAll('img')].filter(i => {
      const r = i.getBoundingClientRect(); return i.checkVisibility() && r.top < h && r.bottom > 0; })
    .every(i => i.complete && i.naturalWidth > 0);
}"""


def log_runs(root: Path, steps: int, per_step: int, size: int) -> None:
    import numpy as np

    import reportgen as wandb

    rng = np.random.default_rng(0)
    wandb.init(project="bench", name="media", id="media", dir=root)
    mask = np.zeros((size, size), np.uint8)
    mask[: size // 2] = 1
    mask[size // 2:, size // 2:] = 2
    boxes = {"pred": {"box_data": [{"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.1, "maxY": 0.5}, "class_id": 1,
                                    "scores": {"acc": 0.7}}], "class_labels": {1: "thing"}}}
    base = (rng.random((size, size, 3)) * 255).astype(np.uint8)
    for step in range(steps):
        imgs = [wandb.Image(np.roll(base, step * 7 + i * 3, axis=1), caption=f"step {step} #{i}") for i in range(per_step - 1)]
        seg = wandb.Image(np.roll(base, step, axis=0), masks={"m": {"mask_data": mask, "class_labels": {1: "a", 2: "b"}}},
                          boxes=boxes)
        wandb.log({"samples": imgs, "seg": seg, "loss": 1.0 / (step + 1), "acc": step / steps})
    wandb.finish()
    wandb.init(project="bench", name="scalars", id="scalars", dir=root)
    for step in range(steps):
        wandb.log({"loss": 1.0 / (step + 1), "acc": step / steps})
    wandb.finish()


def log_heavy(root: Path) -> None:
    """A 10,000-row table, a 100,000-point cloud and an 8,000-atom molecule."""
    import io

    import numpy as np

    import reportgen as wandb

    rng = np.random.default_rng(0)
    wandb.init(project="bench", name="heavy", id="heavy", dir=root)
    table = wandb.Table(columns=["id", "text", "score"],
                        data=[[i, f"sample {i} {'cat' if i % 3 else 'dog'}", float(rng.random())] for i in range(10_000)])
    cloud = np.c_[rng.normal(size=(100_000, 3)) * [10, 10, 2], rng.integers(0, 256, (100_000, 3))]
    walk = np.cumsum(rng.normal(size=(8000, 3)) * 0.9, axis=0)
    elements = ["C", "N", "O", "S"]
    pdb = "".join(f"ATOM  {i + 1:5d}  {elements[i % 4]:<3s} ALA A{i // 10 + 1:4d}    {x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00          {elements[i % 4]:>2s}\n"
                  for i, (x, y, z) in enumerate(walk)) + "END\n"
    wandb.log({"big_table": table, "big_cloud": wandb.Object3D(cloud),
               "protein": wandb.Molecule(io.StringIO(pdb), file_type="pdb")})
    wandb.finish()


def time_heavy(browser, page_path: Path) -> dict[str, float]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    out = {}
    for key, sel in [("big_table", ".rgp-table"), ("big_cloud", ".rgp-3d"), ("protein", ".rgp-3d")]:
        panel = page.locator(f".rgp-panel:has(.rgp-title:text-is('{key}'))")
        t0 = time.perf_counter()
        panel.scroll_into_view_if_needed()
        panel.locator(f"{sel}[data-rendered='done']").wait_for(timeout=60_000)
        out[f"{key}: scrolled into view -> rendered"] = time.perf_counter() - t0
    # the cloud and the protein sit side by side, so they load together: time each viewer itself
    for key in ("big_cloud", "protein"):
        ms = page.locator(f".rgp-panel:has(.rgp-title:text-is('{key}')) .rgp-3d").evaluate("b => b._viewer.createMs")
        out[f"{key}: viewer build + first frame"] = ms / 1000
    tbl = page.locator(".rgp-panel:has(.rgp-title:text-is('big_table'))")
    t0 = time.perf_counter()
    tbl.locator("th:text-is('score')").click()
    out["table sort 10k rows"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tbl.locator(".rgp-filter").fill("dog")
    page.wait_for_function("() => document.querySelector('.rgp-table-info').textContent.includes('filtered')")
    out["table filter 10k rows (incl. 120 ms debounce)"] = time.perf_counter() - t0
    box = page.locator(".rgp-panel:has(.rgp-title:text-is('protein')) .rgp-3d")
    t0 = time.perf_counter()
    box.evaluate("b => { for (let i = 0; i < 10; i++) { b._viewer.orbit(5, 2); b._viewer.draw(); } }")
    out["protein: 10 orbit frames"] = time.perf_counter() - t0
    ctx.close()
    return out


def time_open(browser, page_path: Path) -> float:
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    t0 = time.perf_counter()
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    page.wait_for_function(READY, timeout=60_000, polling=20)
    dt = time.perf_counter() - t0
    ctx.close()
    if errors:
        raise SystemExit(f"console errors on {page_path}: {errors}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--per-step", type=int, default=10)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from browser import LAUNCH_ARGS, chromium_path
    from reportgen.site.config import BuildConfig
    from reportgen.site.builder import build

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        log_runs(tmp / "runs", args.steps, args.per_step, args.size)
        log_heavy(tmp / "runs")
        t_log = time.perf_counter() - t0
        t0 = time.perf_counter()
        build(BuildConfig(tmp / "runs", tmp / "site", quiet=True))
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        build(BuildConfig(tmp / "runs", tmp / "site", quiet=True))
        t_rebuild = time.perf_counter() - t0
        media_page = tmp / "site/runs/media/index.html"
        base_page = tmp / "site/runs/scalars/index.html"
        n_images = args.steps * args.per_step
        thumbs = list((tmp / "site/media/media/images").glob("*_thumb.*"))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS)
            time_open(browser, media_page)  # warm the file cache and the browser
            time_open(browser, base_page)
            media, base = [], []
            for _ in range(args.repeats):
                media.append(time_open(browser, media_page))
                base.append(time_open(browser, base_page))
            heavy = time_heavy(browser, tmp / "site/runs/heavy/index.html")
            browser.close()
        m, b = statistics.median(media), statistics.median(base)
        print(f"images logged: {n_images} over {args.steps} steps ({args.size}x{args.size}); "
              f"log {t_log:.1f}s, build {t_build:.1f}s, rebuild {t_rebuild:.1f}s")
        print(f"page size: {media_page.stat().st_size / 1024:.0f} KiB (baseline {base_page.stat().st_size / 1024:.0f} KiB); "
              f"thumbnails: {len(thumbs)}, {sum(t.stat().st_size for t in thumbs) / max(len(thumbs), 1) / 1024:.1f} KiB each")
        print(f"open media page: {m * 1000:.0f} ms median of {args.repeats} (min {min(media) * 1000:.0f}, max {max(media) * 1000:.0f})")
        print(f"open baseline:   {b * 1000:.0f} ms median (scalar-only run page)")
        print(f"ratio media/baseline: {m / b:.2f}x; target <= 2000 ms: {'OK' if m <= 2.0 else 'MISSED'}")
        for name, secs in heavy.items():
            print(f"{name}: {secs * 1000:.0f} ms")


if __name__ == "__main__":
    main()
