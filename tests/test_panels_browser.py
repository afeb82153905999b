"""Every panel type in headless Chromium from file://: it rendered, its controls change what is
drawn, no console errors, no request leaves the site folder (the site_browser fixture)."""
from __future__ import annotations

from pathlib import Path

import pytest

from panels_fixtures import write_run
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def media_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("panels")
    runs = root / "runs"
    write_run(runs, "alpha", name="Alpha <run>")
    write_run(runs, "beta", name="Beta", offset=10, steps=2)
    build(BuildConfig(runs, root / "site", quiet=True))
    return root / "site"


def open_run(site_browser, site: Path, run: str = "alpha"):
    page = site_browser.open(site / "runs" / run / "index.html")
    page.wait_for_selector(".rgp-root[data-ready='1']")
    return page


def panel(page, key: str):
    loc = page.locator(f".rgp-panel:has(.rgp-title:text-is('{key}'))")
    loc.scroll_into_view_if_needed()
    return loc


def wait_images(page, selector: str):
    page.wait_for_function(
        "(sel) => { const imgs = [...document.querySelectorAll(sel)]; return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }",
        arg=selector, timeout=10_000)
    return page.eval_on_selector_all(selector, "els => els.map(i => i.naturalWidth)")


def test_gallery_step_slider_enlarge_and_global_slider(site_browser, media_site):
    page = open_run(site_browser, media_site)
    p = panel(page, "examples")
    assert wait_images(page, f"#{p.get_attribute('id')} .rgp-picture") == [64, 64]
    assert p.locator(".rgp-caption").first.text_content() == "<i>sample</i> 2"  # escaped, shown as typed
    before = p.locator(".rgp-picture").first.get_attribute("src")
    assert p.get_attribute("data-step") == "2"
    p.locator(".rgp-step").fill("0")
    assert p.get_attribute("data-step") == "0"
    assert p.locator(".rgp-picture").first.get_attribute("src") != before
    wait_images(page, f"#{p.get_attribute('id')} .rgp-picture")
    # click to enlarge: the full-size image in a dialog, Escape closes it
    p.locator(".rgp-stage").first.click()
    page.wait_for_selector(".rgp-modal .rgp-picture")
    assert page.locator(".rgp-modal .rgp-picture").get_attribute("loading") == "lazy"
    wait_images(page, ".rgp-modal .rgp-picture")
    page.keyboard.press("Escape")
    assert page.locator(".rgp-modal").count() == 0
    # the global slider moves every stepped panel to the same step
    page.locator(".rgp-global-step").fill("1")
    steps = page.eval_on_selector_all(".rgp-panel[data-step]", "els => els.map(e => [e.querySelector('.rgp-title').textContent, e.dataset.step])")
    by_key = dict(steps)
    assert by_key["examples"] == "1" and by_key["seg"] == "1" and by_key["sound"] == "1"
    assert by_key["clip"] == "2"  # logged only at step 2: the first frame is shown for earlier steps
    assert page.locator(".rgp-global-label").text_content() == "step 1"


def test_masks_layers_toggles_and_opacity(site_browser, media_site):
    page = open_run(site_browser, media_site)
    p = panel(page, "seg")
    pid = p.get_attribute("id")
    wait_images(page, f"#{pid} .rgp-mask-layer")
    visible = f"#{pid} .rgp-body .rgp-mask-layer:not([style*='display: none'])"
    assert page.locator(f"#{pid} .rgp-body .rgp-mask-layer").count() == 3  # tree, car, road
    assert page.locator(visible).count() == 3
    legend = p.locator(".rgp-class-toggle").all_text_contents()
    assert [t.strip() for t in legend] == ["road", "tree", "car"]  # ground_truth first, then predictions
    p.locator(".rgp-mask-toggle:has-text('predictions') input").uncheck()
    assert page.locator(visible).count() == 1
    p.locator(".rgp-class-toggle:has-text('road') input").uncheck()
    assert page.locator(visible).count() == 0
    p.locator(".rgp-mask-toggle:has-text('predictions') input").check()
    p.locator(".rgp-class-toggle:has-text('car') input").uncheck()
    assert page.locator(visible).count() == 1
    p.locator(".rgp-opacity-slider").fill("0.9")
    assert page.eval_on_selector(f"#{pid} .rgp-mask-layer", "e => e.style.opacity") == "0.9"
    # the overlay really draws: a screenshot of the stage changes when the layers go
    shot_with = p.locator(".rgp-stage").screenshot()
    p.locator(".rgp-mask-toggle:has-text('predictions') input").uncheck()
    assert p.locator(".rgp-stage").screenshot() != shot_with


def test_boxes_groups_class_filter_and_score_threshold(site_browser, media_site):
    page = open_run(site_browser, media_site)
    p = panel(page, "seg")
    pid = p.get_attribute("id")
    vis = f"#{pid} .rgp-body .rgp-box[data-visible='1']"
    assert page.locator(f"#{pid} .rgp-body .rgp-box").count() == 4
    assert page.locator(vis).count() == 4
    texts = page.eval_on_selector_all(f"#{pid} .rgp-body .rgp-box text", "els => els.map(e => e.textContent)")
    assert "<b>car</b> 0.9" in texts  # captions as text, never markup
    # pixel and percentage boxes land where they should (image is 64 x 48)
    rects = page.eval_on_selector_all(f"#{pid} .rgp-body .rgp-box rect", "els => els.map(e => ['x','y','width','height'].map(a => +e.getAttribute(a)))")
    assert [6.4, 9.6, 19.2, 19.2] in [[round(v, 3) for v in r] for r in rects]
    assert [2, 30, 18, 14] in rects and [22, 19, 20, 10] in rects
    p.locator(".rgp-group-toggle:has-text('ground_truth') input").uncheck()
    assert page.locator(vis).count() == 3
    p.locator(".rgp-boxclass-toggle:has-text('road') input").uncheck()
    assert page.locator(vis).count() == 2
    p.locator(".rgp-boxclass-toggle:has-text('road') input").check()
    slider = p.locator(".rgp-threshold-slider[data-score='acc']")
    slider.fill("0.5")  # hides the 0.3 box, keeps 0.9 and 0.6
    assert page.locator(vis).count() == 2
    slider.fill("0.9")  # the slider's top is the best score: only that box is left
    assert page.locator(vis).count() == 1
    p.locator(".rgp-group-toggle:has-text('ground_truth') input").check()
    assert page.locator(vis).count() == 2  # the ground-truth box has no acc score: not filtered


def test_audio_waveform_and_metadata(site_browser, media_site):
    page = open_run(site_browser, media_site)
    p = panel(page, "sound")
    pid = p.get_attribute("id")
    assert wait_images(page, f"#{pid} .rgp-wave") == [600]
    page.wait_for_function(f"() => document.querySelector('#{pid} audio').readyState >= 1", timeout=10_000)
    dur = page.eval_on_selector(f"#{pid} audio", "a => a.duration")
    assert dur == pytest.approx(0.5, abs=0.05)
    src = page.eval_on_selector(f"#{pid} audio", "a => a.src")
    p.locator(".rgp-step").fill("0")
    assert page.eval_on_selector(f"#{pid} audio", "a => a.src") != src


def test_video_mp4_and_gif(site_browser, media_site):
    page = open_run(site_browser, media_site)
    clip = panel(page, "clip").get_attribute("id")
    page.wait_for_function(f"() => document.querySelector('#{clip} video').readyState >= 1", timeout=10_000)
    assert page.eval_on_selector(f"#{clip} video", "v => v.duration") > 0
    assert page.eval_on_selector(f"#{clip} video", "v => v.videoWidth") == 64
    webm = panel(page, "webm").get_attribute("id")
    page.wait_for_function(f"() => document.querySelector('#{webm} video').readyState >= 1", timeout=10_000)
    assert page.eval_on_selector(f"#{webm} video", "v => v.duration") > 0
    anim = panel(page, "anim").get_attribute("id")
    assert wait_images(page, f"#{anim} img.rgp-gif") == [64]


def test_table_sort_filter_paginate_and_media_cells(site_browser, media_site):
    page = open_run(site_browser, media_site)
    p = panel(page, "preds")
    pid = p.get_attribute("id")
    page.wait_for_selector(f"#{pid} .rgp-table[data-rendered='done']")
    rows = f"#{pid} tbody tr"
    assert page.locator(rows).count() == 25
    assert "of 60" in p.locator(".rgp-table-info").text_content()
    assert wait_images(page, f"#{pid} tbody .rgp-picture") == [64, 64, 64]
    first = lambda: page.locator(rows).first.locator("td").nth(1).text_content()
    assert first() == "row <0>"
    p.locator("th:text-is('score')").click()  # ascending: the zero scores (ids 0, 7, 14...) first
    assert page.locator(rows).first.locator("td").nth(2).text_content() == "0"
    p.locator("th:text-is('score')").click()  # descending
    assert float(page.locator(rows).first.locator("td").nth(2).text_content()) == pytest.approx(6 / 7, abs=1e-5)
    p.locator(".rgp-next").click()
    assert "rows 26–50 of 60" in p.locator(".rgp-table-info").text_content()
    p.locator(".rgp-filter").fill("row <5")
    page.wait_for_function(f"() => document.querySelector('#{pid} .rgp-table-info').textContent.includes('filtered')")
    assert page.locator(rows).count() == 11  # 5, 50..59
    assert "of 11 (filtered from 60)" in p.locator(".rgp-table-info").text_content()


def test_html_in_sandboxed_iframe(site_browser, media_site):
    page = open_run(site_browser, media_site)
    p = panel(page, "page")
    frame_el = p.locator("iframe")
    assert frame_el.get_attribute("sandbox") == "allow-scripts"  # never allow-same-origin
    page.wait_for_function("() => true")
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_selector("#x[data-ran='1']")  # its scripts run...
    assert frame.locator("#x i").text_content() == "html"
    assert "owned" not in page.title()  # ...but cannot reach the site's page


def test_3d_viewers_draw_and_respond_to_orbit_zoom_pan(site_browser, media_site):
    page = open_run(site_browser, media_site)
    # loaded only when scrolled into view
    far = page.locator(".rgp-panel:has(.rgp-title:text-is('rgbcloud'))")
    assert far.evaluate("e => e.getBoundingClientRect().top") > 2000
    assert far.locator("canvas").count() == 0
    for key, kind in [("cloud", "points"), ("rgbcloud", "points"), ("mesh", "triangles"), ("mol", "triangles")]:
        pid = panel(page, key).get_attribute("id")
        page.wait_for_selector(f"#{pid} .rgp-3d[data-rendered='done'] canvas")
        ink = page.eval_on_selector(f"#{pid} .rgp-3d", "b => b._viewer.ink()")
        assert ink > 500, f"{key}: 3D view is blank"
        counts = page.eval_on_selector(f"#{pid} .rgp-3d", "b => b._viewer.counts")
        assert counts[kind] > 0
    pid = panel(page, "cloud").get_attribute("id")
    box = f"#{pid} .rgp-3d"
    counts = page.eval_on_selector(box, "b => b._viewer.counts")
    assert counts["points"] == 300 and counts["lines"] == 12  # one lidar box = 12 edges
    assert counts["triangles"] > 0  # the vector's arrow
    assert page.locator(f"{box} .rgp-3d-label").text_content() == "Box <1>"
    pixels = lambda: page.eval_on_selector(box, "b => Array.from(b._viewer.pixels().filter((_, i) => i % 97 === 0)).join(',')")
    state = lambda: page.eval_on_selector(box, "b => JSON.stringify(b._viewer.state)")
    canvas = page.locator(f"{box} canvas")
    bb = canvas.bounding_box()
    cx, cy = bb["x"] + bb["width"] / 2, bb["y"] + bb["height"] / 2
    s0, p0 = state(), pixels()
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 80, cy + 30, steps=4)
    page.mouse.up()
    page.wait_for_timeout(100)
    s1, p1 = state(), pixels()
    assert s1 != s0 and p1 != p0  # orbit
    page.mouse.wheel(0, 400)
    page.wait_for_timeout(100)
    s2, p2 = state(), pixels()
    assert s2 != s1 and p2 != p1  # zoom
    target = lambda: page.eval_on_selector(box, "b => b._viewer.state.target")
    t0 = target()
    page.keyboard.down("Control")
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 60, cy - 40, steps=4)
    page.mouse.up()
    page.keyboard.up("Control")
    page.wait_for_timeout(100)
    assert target() != t0 and pixels() != p2  # ctrl+drag pans


def _canvas_ink(page, selector: str) -> bool:
    return page.eval_on_selector(selector, """el => { const c = el.querySelector('canvas'); if (!c || !c.width) return false;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true; return false; }""")


@pytest.mark.parametrize("key, selector", [("weights", ".rgp-vega"), ("bars", ".rgp-vega"), ("mpl", ".rgp-vega")])
def test_vega_panels_render(site_browser, media_site, key, selector):
    page = open_run(site_browser, media_site)
    pid = panel(page, key).get_attribute("id")
    page.wait_for_selector(f"#{pid} {selector}[data-rendered='done']", timeout=15_000)
    assert _canvas_ink(page, f"#{pid} {selector}")


def test_heatmap_has_a_cell_per_step_and_bin(site_browser, media_site):
    page = open_run(site_browser, media_site)
    pid = panel(page, "weights").get_attribute("id")
    page.wait_for_selector(f"#{pid} .rgp-vega[data-rendered='done']", timeout=15_000)
    assert page.eval_on_selector(f"#{pid}", "e => e.dataset.id").startswith("alpha/")
    # the data script carried 3 steps x 64 grid bins
    data = (media_site / page.eval_on_selector(f"#{pid}", "e => e.getAttribute('data-src')").replace("../../", "")).read_text()
    assert data.count('"step":') == 3 * 64


def test_plotly_panel(site_browser, media_site):
    page = open_run(site_browser, media_site)
    pid = panel(page, "plot").get_attribute("id")
    page.wait_for_selector(f"#{pid} .rgp-plotly[data-rendered='done']", timeout=20_000)
    assert page.locator(f"#{pid} .rgp-plotly svg.main-svg").count() >= 1
    assert page.locator(f"#{pid} .rgp-plotly .scatterlayer path").count() >= 1
    assert (media_site / "assets" / "plotly.min.js").exists()
    # as tall as plotly draws a figure with no height of its own (450): in a 240 px panel plotly's
    # default margins left a plot 60 px high
    plot = page.evaluate(f"() => document.querySelector('#{pid} .rgp-plotly')._fullLayout._size")
    assert plot["h"] >= 250, plot


def test_svg_summary_histogram_tensor_and_problems(site_browser, media_site):
    page = open_run(site_browser, media_site)
    fig = panel(page, "figure").get_attribute("id")
    assert wait_images(page, f"#{fig} .rgp-svg img") == [120]
    hist = panel(page, "final_hist")
    assert hist.locator("svg.rgp-bars-svg rect").count() == 4
    heights = hist.locator("svg.rgp-bars-svg rect").evaluate_all("els => els.map(e => +e.getAttribute('height'))")
    assert max(heights) == heights[1] > 0
    # and beside its value in the run's summary list
    inline = page.locator(".rg-run-head dt:text-is('final_hist') + dd .rgp-inline-bars svg rect")
    assert inline.count() == 4
    tensor = panel(page, "weights_tensor")
    assert "shape [10,3]" in tensor.text_content() and "p95" in tensor.text_content()
    assert "missing file" in panel(page, "lost").text_content()
    assert "unsupported media type: hologram" in panel(page, "strange").text_content()


def test_compare_page_runs_side_by_side(site_browser, media_site):
    page = open_run(site_browser, media_site)
    link = panel(page, "examples").locator(".rgp-compare")
    href = link.get_attribute("href")
    page = site_browser.open((media_site / "runs/alpha" / href).resolve())
    page.wait_for_selector(".rgp-root[data-ready='1']")
    titles = page.locator(".rgp-panel .rgp-title").all_text_contents()
    assert titles == ["Alpha <run>", "Beta"]
    wait_images(page, ".rgp-picture")
    assert page.eval_on_selector_all(".rgp-panel", "els => els.map(e => e.dataset.step)") == ["2", "1"]
    page.locator(".rgp-global-step").fill("0")
    assert page.eval_on_selector_all(".rgp-panel", "els => els.map(e => e.dataset.step)") == ["0", "0"]
    page.locator(".rgp-run-toggle:has-text('Beta') input").uncheck()
    assert page.locator(".rgp-panel:visible").count() == 1
