"""Metric charts are first drawn by the lite canvas renderer (assets/chart-lite.js, issue 12 point
10): no Vega runtime at page start, the lines where the data puts them, the page's theme, any width;
the full Vega view replaces a chart when the reader points at it, and ``serve --watch`` redraws
lite charts in place."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from browser import SiteBrowser
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from serveproc import ServeProcess
from site_runs import append_rows, rows, write_run

pytestmark = pytest.mark.browser

UP, DOWN = (lambda s: s / 100), (lambda s: 1 - s / 100)
DRAWN = "() => [...document.querySelectorAll('.rg-chart:not([hidden])')].every(e => e.dataset.rendered === 'done')"
# colours found within 2 px of data point (x, y) of chart `key`, by the chart's own plot box and domains
PIXELS = """([key, x, y]) => {
  const el = document.querySelector(`.rg-chart[data-key="${key}"]`), c = el.querySelector('canvas.rg-lite');
  const p = JSON.parse(c.dataset.plot), dpr = c.width / c.getBoundingClientRect().width;
  const X = p.box[0] + (x - p.x[0]) / (p.x[1] - p.x[0]) * (p.box[2] - p.box[0]);
  const f = p.log ? Math.log : (v) => v, Y = p.box[3] - (f(y) - f(p.y[0])) / (f(p.y[1]) - f(p.y[0])) * (p.box[3] - p.box[1]);
  const d = c.getContext('2d').getImageData(Math.round(X * dpr) - 2, Math.round(Y * dpr) - 2, 5, 5).data, out = [];
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 100) out.push([d[i], d[i + 1], d[i + 2]]);
  return out; }"""
COLORS = "() => Object.fromEntries(Object.values(RG.runsByFile).map(r => [r.label, r.color]))"


def _rgb(hexcolor: str) -> tuple[int, int, int]:
    h = hexcolor.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _has(pixels, color: str, tol: int = 40) -> bool:
    want = _rgb(color)
    return any(sum((a - b) ** 2 for a, b in zip(px, want)) <= tol * tol for px in pixels)


def _site(tmp_path, n=101):
    root = tmp_path / "runs"
    up, down = (lambda s: s / (n - 1)), (lambda s: 1 - s / (n - 1))
    write_run(root, "up", rows(n, loss=up, acc=up))
    write_run(root, "down", rows(n, loss=down, acc=down))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    return out


def _open(sb, path, width=1400):
    page = sb.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(path.resolve().as_uri())
    page.locator(".rg-chart[data-key='loss']").scroll_into_view_if_needed()
    page.wait_for_function(DRAWN)
    return page


# 2,001 points a run: more points than pixels, drawn with side-by-side hairlines (chart-lite.js `fast`)
@pytest.mark.parametrize("n", [101, 2001])
def test_lite_chart_draws_each_run_where_its_data_is_without_vega(tmp_path, site_browser, n):
    site = _site(tmp_path, n)
    k = (n - 1) / 100  # data x of "step 25" on the 0..100 scale below
    bundle = site_browser.vega_bundle_requests()
    page = _open(site_browser, site / "index.html")
    el = page.locator(".rg-chart[data-key='loss']")
    assert el.get_attribute("data-draw") == "lite"
    assert page.evaluate("typeof window.vega") == "undefined" and bundle == []
    colors = page.evaluate(COLORS)
    assert colors["up"] != colors["down"]
    for x in (25, 75):  # each run's line passes through its own points, and only its own
        at_up, at_down = page.evaluate(PIXELS, ["loss", x * k, UP(x)]), page.evaluate(PIXELS, ["loss", x * k, DOWN(x)])
        assert _has(at_up, colors["up"]) and not _has(at_up, colors["down"]), (x, at_up)
        assert _has(at_down, colors["down"]) and not _has(at_down, colors["up"]), (x, at_down)
    between = page.evaluate(PIXELS, ["loss", 10 * k, 0.5])  # no line there
    assert not _has(between, colors["up"]) and not _has(between, colors["down"])
    plot = json.loads(el.locator("canvas.rg-lite").get_attribute("data-plot"))
    assert plot["x"] == [0, n - 1] and plot["y"][0] <= 0 and plot["y"][1] >= 1
    # the log scale control redraws it on a log axis, still lite
    page.check("#rg-log")
    page.wait_for_function("() => JSON.parse(document.querySelector('.rg-chart[data-key=\"loss\"] canvas.rg-lite').dataset.plot).log")
    assert _has(page.evaluate(PIXELS, ["loss", 50 * k, 0.5]), colors["up"], tol=60)
    assert bundle == []


def test_pointing_at_a_lite_chart_upgrades_it_to_the_vega_view_with_tooltip(tmp_path, site_browser):
    site = _site(tmp_path)
    bundle = site_browser.vega_bundle_requests()
    page = _open(site_browser, site / "index.html")
    el = page.locator(".rg-chart[data-key='loss']")
    box = el.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('.rg-chart[data-key=\"loss\"]').dataset.draw === 'vega'")
    cid = el.get_attribute("id")
    assert page.evaluate("(id) => RG.views[id].data('rows').length", cid) == 202
    assert el.get_attribute("data-rendered") == "done"
    assert el.locator("canvas.rg-lite").count() == 0 and el.locator("canvas").count() == 1
    page.mouse.move(box["x"] + box["width"] / 2 + 4, box["y"] + box["height"] / 2 - 4)
    tip = el.locator(".rg-tip")
    tip.wait_for(state="visible")
    assert "up" in tip.inner_text() and "down" in tip.inner_text()
    assert len(bundle) == 1
    # the other chart (no pointer on it) is still lite, and shows the crosshair at the same x
    acc = page.locator(".rg-chart[data-key='acc']")
    acc.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.rg-chart[data-key=\"acc\"]').dataset.rendered === 'done'")
    assert acc.get_attribute("data-draw") == "lite"
    box = el.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2)
    cross = acc.locator(".rg-cross")
    cross.wait_for(state="visible")
    assert cross.get_attribute("data-x") == el.locator(".rg-cross").get_attribute("data-x")
    assert acc.get_attribute("data-draw") == "lite"


@pytest.mark.parametrize("width", [1440, 390])
def test_lite_chart_follows_the_theme_and_the_width(tmp_path, site_browser, width):
    site = _site(tmp_path)
    page = _open(site_browser, site / "index.html", width)
    grid = """() => { const c = document.querySelector('.rg-chart[data-key="loss"] canvas.rg-lite'), p = JSON.parse(c.dataset.plot);
      const y = Math.round(p.box[3] - (p.yt[2] - p.y[0]) / (p.y[1] - p.y[0]) * (p.box[3] - p.box[1]));
      const x = Math.round(p.box[0] + (p.box[2] - p.box[0]) * 0.07);
      return [...c.getContext('2d').getImageData(x, y, 1, 1).data]; }"""
    page.evaluate("RG.theme.set('light')")
    page.wait_for_function(DRAWN)
    light = page.evaluate(grid)
    assert _has([light[:3]], "#eceff3", tol=12), light
    page.evaluate("RG.theme.set('dark')")
    page.wait_for_function("() => { const c = document.querySelector('.rg-chart[data-key=\"loss\"] canvas.rg-lite'); return !!c; }")
    page.wait_for_function(f"() => {{ const px = ({grid})(); return px[0] < 100; }}")
    assert _has([page.evaluate(grid)[:3]], "#2c3240", tol=12)
    size = page.evaluate("""() => { const el = document.querySelector('.rg-chart[data-key="loss"]'), c = el.querySelector('canvas.rg-lite');
      return [c.getBoundingClientRect().width, el.querySelector('.rg-chart-view').clientWidth, document.documentElement.scrollWidth]; }""")
    assert abs(size[0] - size[1]) <= 1 and size[2] <= width, size
    assert page.locator(".rg-chart[data-key='loss']").get_attribute("data-draw") == "lite"
    # a narrower window: the lite chart is drawn again at its panel's new width (narrower, or wider in fewer columns)
    page.set_viewport_size({"width": int(width * 0.8), "height": 900})
    page.wait_for_function("""(before) => { const el = document.querySelector('.rg-chart[data-key="loss"]'),
      c = el.querySelector('canvas.rg-lite'), w = c.getBoundingClientRect().width;
      return Math.abs(w - before) > 10 && Math.abs(w - el.querySelector('.rg-chart-view').clientWidth) <= 1; }""", arg=size[0])
    assert page.evaluate("document.documentElement.scrollWidth") <= int(width * 0.8)


def test_serve_watch_redraws_lite_charts_in_place(tmp_path, _playwright_browser):
    root = tmp_path / "runs"
    write_run(root, "up", rows(101, loss=UP))
    write_run(root, "down", rows(101, loss=DOWN))
    with ServeProcess(str(root), "--watch", "--port", "0") as srv:
        sb = SiteBrowser(_playwright_browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))
        try:
            page = sb.new_page()
            page.goto(srv.url)
            page.wait_for_function(f"() => !!window.RGLive && ({DRAWN})()")
            page.evaluate("window.__marker = 'same page'")
            plot = "() => JSON.parse(document.querySelector('.rg-chart[data-key=\"loss\"] canvas.rg-lite').dataset.plot).x[1]"
            assert page.evaluate(plot) == 100
            append_rows(root / "up", rows(50, start=101, loss=lambda s: 1.5 - (s - 101) * 0.006))
            page.wait_for_function(f"() => {{ try {{ return ({plot})() === 150; }} catch (e) {{ return false; }} }}", timeout=60_000)
            assert page.evaluate("window.__marker") == "same page" and page.evaluate("RGLive.reloads") == 0
            assert page.locator(".rg-chart[data-key='loss']").get_attribute("data-draw") == "lite"
            colors = page.evaluate(COLORS)
            assert _has(page.evaluate(PIXELS, ["loss", 125, 1.5 - 24 * 0.006]), colors["up"])
            assert not sb.problems.all(), sb.problems.all()
        finally:
            sb.close()


def test_download_buttons_of_a_lite_chart_upgrade_it_and_download(tmp_path, site_browser):
    site = _site(tmp_path)
    page = _open(site_browser, site / "index.html")
    el = page.locator(".rg-chart[data-key='loss']")
    assert el.get_attribute("data-draw") == "lite"
    button = el.locator("button[data-action=csv]")
    assert button.is_enabled()
    with page.expect_download() as got:
        button.evaluate("(b) => b.click()")  # no pointer over the chart: the button itself upgrades it
    text = Path(got.value.path()).read_text()
    assert el.get_attribute("data-draw") == "vega"
    lines = text.strip().splitlines()
    assert lines[0].startswith("run,step,value") and len(lines) == 1 + 202
    assert {ln.split(",")[0] for ln in lines[1:]} == {"up", "down"}


# the text of the x axis' labels of a Vega view (its scenegraph: the axis groups of scale "x")
VEGA_X_LABELS = """(id) => { const out = [];
  (function walk(n, bottom) {
    if (!n) return;
    if (n.role === 'axis' && n.items && n.items[0]) bottom = n.items[0].datum && n.items[0].datum.scale === 'x';
    if (bottom && n.marktype === 'text' && n.role === 'axis-label') n.items.forEach((i) => out.push(i.text));
    (n.items || []).forEach((c) => walk(c, bottom));
  })(RG.views[id].scenegraph().root, false);
  return out; }"""


def test_a_short_runs_step_axis_has_whole_steps_only_lite_and_vega(tmp_path, site_browser):
    """Five steps: ticks 0..4, not 0, 0.5, 1, ... (steps are whole), in the lite chart and in its Vega view."""
    root = tmp_path / "runs"
    write_run(root, "short", rows(5, loss=DOWN))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    page = _open(site_browser, out / "index.html")
    el = page.locator(".rg-chart[data-key='loss']")
    assert json.loads(el.locator("canvas.rg-lite").get_attribute("data-plot"))["xt"] == [0, 1, 2, 3, 4]
    box = el.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('.rg-chart[data-key=\"loss\"]').dataset.draw === 'vega'")
    assert page.evaluate(VEGA_X_LABELS, el.get_attribute("id")) == ["0", "1", "2", "3", "4"]
