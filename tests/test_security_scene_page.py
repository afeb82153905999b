"""Issue 12: a logged 3D scene may not make the run page hang.

The viewer (assets/viewer3d.js) finds a lidar box's 12 edges among every pair of its corners: a
box of 20,000 corners (200 million pairs) hung the tab. A box is drawn only with exactly 8
corners of 3 finite numbers; others are left out with a warning naming the run and key."""
from __future__ import annotations

import json
import random

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig


def test_a_box_is_drawn_only_with_eight_corners(tmp_path, site_browser):
    rnd = random.Random(0)
    cube = [[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)]
    scene = {"type": "lidar/beta", "points": [[0, 0, 0], [1, 1, 1]],
             "boxes": [{"corners": cube, "label": "car", "color": [255, 0, 0]},
                       {"corners": [[rnd.random() for _ in range(3)] for _ in range(20_000)], "label": "bomb"},
                       {"corners": [[0, 0, "x"]] * 8}, {"corners": cube, "color": "red"}]}
    d = tmp_path / "runs" / "a"
    (d / "media" / "object3d").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (d / "media" / "object3d" / "s.json").write_text(json.dumps(scene))
    rec = {"_type": "object3d", "format": "lidar/beta", "scene": "media/object3d/s.json", "points": 2}
    (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0, "o": rec}) + "\n")
    out = tmp_path / "site"
    res = build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    assert "run a: media o (step 0): object3d: left out 2 box(es) without 8 corners of 3 finite numbers " \
           "(boxes 1, 2)" in res.warnings
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.rgp-panel').forEach(el => el.scrollIntoView());
                   return Array.from(document.querySelectorAll('.rgp-panel canvas')).length > 0; }""", timeout=8000)
    page.wait_for_timeout(500)
    page.wait_for_function("() => true", timeout=3000)
    labels = page.evaluate("() => Array.from(document.querySelectorAll('.rgp-panel *')).filter("
                           "e => e.children.length === 0 && e.textContent === 'car').length")
    assert labels == 1
