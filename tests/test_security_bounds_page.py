"""Box scores and custom-chart titles are bounded at build time, with a warning naming the run and key.

A run folder may give an image's boxes 100,000 score names (the page drew a threshold slider for
each, and listed them on every box) or a score name of 20,000 characters, and a custom chart a
title of 10 MB (one unbroken word in a data file the page lays out). The site keeps an image's
first 32 score names, each cut at 64 characters (with a short hash: two long names stay apart),
and a chart title cut at 256 characters. Failed before the fix (no warning; 100,000 sliders)."""
from __future__ import annotations

import numpy as np
import pytest

import reportgen
from reportgen.media.figures import VegaLite
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.kinds.charts import TITLE_CHARS
from reportgen.site.panels.overlays import MAX_SCORE_KEYS, SCORE_KEY_CHARS

BOX = {"minX": 0.1, "maxX": 0.5, "minY": 0.1, "maxY": 0.5}


@pytest.fixture
def hostile_site(tmp_path):
    many = {f"s{i}": i / 100_000 for i in range(100_000)}
    run = reportgen.init(dir=tmp_path / "runs", id="h", project="p")
    img = reportgen.Image(np.zeros((16, 16, 3), dtype=np.uint8), boxes={"pred": {"box_data": [
        {"position": {"minX": 0.5, "maxX": 0.9, "minY": 0.5, "maxY": 0.9}, "class_id": 2,
         "scores": {"L" * 20_000: 0.1, "L" * 20_000 + "x": 0.2, "conf": 0.9}},
        {"position": BOX, "class_id": 1, "scores": many}]}})
    table = reportgen.Table(columns=["x", "y"], data=[[0, 1], [1, 2]])
    run.log({"img": img, "chart": reportgen.plot.line(table, "x", "y", title="T" * 10_000_000),
             "custom": reportgen.plot_table("reportgen/line", table, {"x": "x", "y": "y"},
                                            {"title": "U" * 300}),
             "axis": VegaLite({"mark": "point", "data": {"values": [{"x": 1, "y": 2}]},
                                         "encoding": {"x": {"field": "x", "type": "quantitative", "axis": {"title": "X" * 100_000}},
                                                      "y": {"field": "y", "type": "quantitative"}}})})
    run.finish()
    out = tmp_path / "site"
    return out, build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))


def test_scores_and_titles_are_bounded(hostile_site, site_browser):
    out, res = hostile_site
    warned = [w for w in res.warnings if "media " in w]
    assert sorted(warned) == [
        f"run h: media axis (step 0): text of the Vega-Lite spec longer than {TITLE_CHARS} characters (or 10 lines) "
        "cut: encoding.x.axis.title",
        f"run h: media chart (step 0): chart title longer than {TITLE_CHARS} characters: cut",
        f"run h: media custom (step 0): chart title longer than {TITLE_CHARS} characters: cut",
        f"run h: media img (step 0): image boxes: 100,003 score names; the first {MAX_SCORE_KEYS} are shown; "
        f"score names longer than {SCORE_KEY_CHARS} characters are cut"], res.warnings
    assert sum(f.stat().st_size for f in (out / "data").rglob("*")) < 200_000
    for width in (1280, 390):
        page = site_browser.new_page()
        page.set_viewport_size({"width": width, "height": 800 if width > 600 else 844})
        page.goto((out / "runs/h/index.html").as_uri())
        page.wait_for_function("() => document.querySelectorAll('.rgp-threshold-slider').length > 0", timeout=15_000)
        names = page.eval_on_selector_all(".rgp-threshold-slider", "els => els.map(e => e.dataset.score)")
        assert len(names) == MAX_SCORE_KEYS and "conf" in names
        long = [n for n in names if n.startswith("LLL")]
        assert len(long) == 2 and len(set(long)) == 2 and all(len(n) == SCORE_KEY_CHARS + 9 for n in long)
        panels = page.locator(".rgp-vega")
        for i in range(panels.count()):
            panels.nth(i).scroll_into_view_if_needed()
            page.wait_for_function("el => el.dataset.rendered === 'done'", arg=panels.nth(i).element_handle())
        texts = page.eval_on_selector_all(".rgp-vega", "els => els.map(e => e.closest('.rgp-panel').textContent.length)")
        assert len(texts) == 3 and all(n < 1000 for n in texts), texts
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(out.parent / f"bounds-{width}.png"), full_page=True)
