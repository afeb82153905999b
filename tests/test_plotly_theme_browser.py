"""Logged plotly figures follow the site's theme: dark with the system's dark mode, and at once
when the reader toggles the theme (assets/theme.js ``plotlyLayout``, panels.js).

Before the fix every figure kept plotly's white paper and light-blue plot in dark mode. The
template's defaults (text, grid, axis lines) follow the theme; a light or unset background becomes
transparent; a colour the figure sets itself (a coloured background, a font colour) stays."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import reportgen
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

go = pytest.importorskip("plotly.graph_objects")
CLEAR = "rgba(0,0,0,0)"
LAYOUTS = """() => Array.from(document.querySelectorAll('.rgp-plotly')).map(el => {
  const gd = el.querySelector('.js-plotly-plot') || el, L = gd._fullLayout;
  return {paper: L.paper_bgcolor, plot: L.plot_bgcolor, font: L.font.color, grid: L.xaxis.gridcolor,
          title: L.title.font.color};
})"""


@pytest.fixture
def figure_site(tmp_path):
    run = reportgen.init(dir=tmp_path / "runs", id="figs", project="p")
    run.log({"a_default": go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2]), layout={"title": {"text": "default"}}),
             "b_white": go.Figure(go.Bar(x=["a", "b"], y=[2, 1]),
                                  layout={"paper_bgcolor": "white", "plot_bgcolor": "#ffffff", "title": {"text": "white"}}),
             "c_own": go.Figure(go.Scatter(x=[0, 1], y=[0, 1]),
                                layout={"paper_bgcolor": "#003366", "title": {"text": "own", "font": {"color": "#ff8800"}}})})
    run.finish()
    out = tmp_path / "site"
    build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    return out


def drawn(page, n=3):
    page.wait_for_function(
        """(n) => { document.querySelectorAll('.rgp-plotly').forEach(el => el.scrollIntoView());
                    return document.querySelectorAll('.rgp-plotly[data-rendered="done"]').length === n; }""", arg=n,
        timeout=60_000)
    return page.evaluate(LAYOUTS)


def luminance(page, i) -> float:
    el = page.locator(".rgp-plotly").nth(i)
    el.scroll_into_view_if_needed()
    return float(np.asarray(Image.open(io.BytesIO(el.screenshot())).convert("L")).mean())


def check_dark(layouts):
    default, white, own = layouts
    for lay in (default, white):
        assert lay["paper"] == CLEAR and lay["plot"] == CLEAR, lay
    assert default["font"] == "#dfe3ea" and default["grid"] == "#2c3240", default
    assert own["paper"] == "#003366" and own["title"] == "#ff8800", own  # the user's own colours


@pytest.mark.parametrize("width", [1280, 390])
def test_plotly_follows_dark_mode_and_the_toggle(figure_site, site_browser, width):
    page = site_browser.new_page()
    page.set_viewport_size({"width": width, "height": 800 if width > 600 else 844})
    page.emulate_media(color_scheme="dark")
    page.goto((figure_site / "runs/figs/index.html").as_uri())
    check_dark(drawn(page))
    assert luminance(page, 0) < 80 and luminance(page, 1) < 80
    page.screenshot(path=str(figure_site.parent / f"plotly-dark-{width}.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#rg-theme-toggle").click()  # light, at once
    page.wait_for_function("() => document.querySelector('.rgp-plotly .main-svg') && "
                           "document.querySelector('.js-plotly-plot')._fullLayout.paper_bgcolor !== 'rgba(0,0,0,0)'")
    default, white, own = page.evaluate(LAYOUTS)
    assert default["paper"] in ("white", "#fff") and default["plot"] == "#E5ECF6" and default["font"] == "#2a3f5f", default
    assert white["paper"] in ("white", "#ffffff", "#fff") and own["paper"] == "#003366", (white, own)
    assert luminance(page, 0) > 180
    page.screenshot(path=str(figure_site.parent / f"plotly-light-{width}.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#rg-theme-toggle").click()  # and dark again
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._fullLayout.paper_bgcolor === 'rgba(0,0,0,0)'")
    check_dark(page.evaluate(LAYOUTS))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
