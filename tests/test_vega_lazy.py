"""The Vega runtime is loaded when the first chart needs it (assets/vega-loader.js, issue 12
point 10): pages without charts never fetch it; metric charts are drawn without it (lite) and
fetch it once when the reader points at one; charts drawn by Vega fetch it once and draw."""
from __future__ import annotations

import pytest

from browser import assert_charts_rendered
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from site_runs import rows, wavy, write_run

pytestmark = pytest.mark.browser


def _site(tmp_path, runs):
    root = tmp_path / "runs"
    for run_id, data in runs.items():
        write_run(root, run_id, data)
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    return out


def test_a_page_without_charts_never_loads_the_runtime(tmp_path, site_browser):
    site = _site(tmp_path, {"notes": [{"_step": s, "phase": f"phase {s}"} for s in range(5)]})
    bundle = site_browser.vega_bundle_requests()
    pages = [site / "index.html", *sorted((site / "runs").rglob("*.html"))]
    assert len(pages) >= 2
    for page_path in pages:
        page = site_browser.open(page_path)
        page.wait_for_timeout(300)
        assert page.locator(".rg-chart:not([hidden])").count() == 0
        assert bundle == [], page_path
        assert page.evaluate("typeof window.vegaEmbed === 'function' && !!window.RGVega && !window.vega")
    assert not site_browser.problems.all()


def test_charts_draw_without_the_runtime_and_load_it_once_when_pointed_at(tmp_path, site_browser):
    """Metric charts are drawn by the lite renderer first (assets/chart-lite.js); the runtime is
    loaded when the reader points at a chart, once, however many charts are then upgraded."""
    site = _site(tmp_path, {f"r{i}": rows(50, loss=wavy, acc=lambda s: s / 50) for i in range(3)})
    bundle = site_browser.vega_bundle_requests()
    page = site_browser.open(site / "index.html")
    n = assert_charts_rendered(page)
    assert n >= 2
    assert bundle == [] and page.evaluate("typeof window.vega") == "undefined"
    for el in page.locator(".rg-chart:not([hidden])").all()[:2]:
        el.scroll_into_view_if_needed()
        box = el.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        el.evaluate("(e) => new Promise((ok) => { const t = () => e.dataset.draw === 'vega' ? ok() : setTimeout(t, 20); t(); })")
    assert len(bundle) == 1
    assert page.evaluate("window.vegaEmbed !== undefined && typeof window.vega === 'object'")
    assert not site_browser.problems.all()


@pytest.mark.vega_charts
def test_charts_load_the_runtime_once_and_draw(tmp_path, site_browser):
    site = _site(tmp_path, {f"r{i}": rows(50, loss=wavy, acc=lambda s: s / 50) for i in range(3)})
    bundle = site_browser.vega_bundle_requests()
    page = site_browser.open(site / "index.html")
    n = assert_charts_rendered(page)
    assert n >= 2
    assert len(bundle) == 1
    assert page.evaluate("window.vegaEmbed !== undefined && typeof window.vega === 'object'")
    assert not site_browser.problems.all()
