"""define_metric(step_metric=...) on the site: that metric's charts default to it as x axis."""
from __future__ import annotations

import pytest

import reportgen
from reportgen.site.config import BuildConfig
from reportgen.site.builder import build
from reportgen.site.stepmetric import default_x, step_metric_defs

from browser import assert_charts_rendered


def test_default_x_rules():
    defs = step_metric_defs({"metrics": {"val/*": {"step_metric": "clock"}, "val/acc": {"step_metric": "epoch"},
                                         "*": {"step_metric": "g"}, "bad": {"step_metric": 3}, "x": "junk"}})
    assert defs == {"val/*": "clock", "val/acc": "epoch", "*": "g"}
    assert default_x("val/acc", defs) == "epoch"  # exact beats prefix
    assert default_x("val/loss", defs) == "clock"  # longest prefix
    assert default_x("loss", defs) == "g" and default_x("g", defs) is None  # never its own x
    assert step_metric_defs({"metrics": ["not", "a", "dict"]}) == {}


@pytest.fixture
def step_site(tmp_path):
    run = reportgen.init(dir=tmp_path / "runs", id="sm", project="p")
    run.define_metric("clock")
    run.define_metric("val/*", step_metric="clock")
    for i in range(20):
        run.log({"loss": 1.0 / (i + 1), "val/loss": 2.0 / (i + 1), "clock": 100 * i})
    run.finish()
    out = tmp_path / "site"
    build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    return out


def test_run_page_marks_the_step_metric(step_site):
    html = (step_site / "runs" / "sm" / "index.html").read_text()
    assert 'data-key="val/loss" data-x="clock"' in html
    assert 'data-key="loss" data-x=' not in html


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
@pytest.mark.browser
def test_charts_use_the_step_metric_by_default(step_site, site_browser):
    page = site_browser.open(step_site / "runs" / "sm" / "index.html")
    assert_charts_rendered(page)
    domain = """(key) => { const el = document.querySelector('.rg-chart[data-key="' + key + '"]');
                           return RG.views[el.id].scale('x').domain()[1]; }"""
    assert page.evaluate(domain, "val/loss") >= 1900  # drawn against clock (0..1900)
    assert page.evaluate(domain, "loss") <= 20  # against the step
    box = page.locator('.rg-chart[data-key="val/loss"] canvas').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    tip = page.locator('.rg-chart[data-key="val/loss"] .rg-tip')
    tip.wait_for(state="visible")
    assert tip.inner_text().startswith("clock")  # the hover box names the chart's own x axis
    page.select_option("#rg-x", "_runtime")  # an explicit choice applies to every chart
    page.wait_for_function("() => [...document.querySelectorAll('.rg-chart:not([hidden])')]"
                           ".every(e => e.dataset.rendered === 'done')")
    page.wait_for_timeout(200)
    assert page.evaluate(domain, "val/loss") < 100
