"""PR and ROC curves (wandb.plot.pr_curve / roc_curve) show only meaningful fields in their tooltips.

Their presets order each line by ``__row`` (the table's row number the builder adds); a mark with
``"tooltip": true`` listed every encoded field, so the tooltip read ``__row 32`` under the
curve's own fields. The test reads the tooltips Vega computed for the drawn items of each view.
Failed before the fix (storage/presets.py ``_tooltips_without_row``)."""
from __future__ import annotations

import numpy as np
import pytest

import reportgen
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.storage.presets import render_custom_chart


#: the tooltip Vega computed for each drawn item of a panel's view (what its tooltip handler shows)
TOOLTIPS = """(el) => {
  const out = [];
  (function walk(mark) {
    (mark.items || []).forEach(it => { if (it.tooltip) out.push(it.tooltip); if (it.items) it.items.forEach(walk); });
  })(el._rgpView.scenegraph().root);
  return out;
}"""


def test_pr_and_roc_tooltips_show_no_row_field(tmp_path, site_browser):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    p = rng.random((60, 2))
    p /= p.sum(1, keepdims=True)
    run = reportgen.init(dir=tmp_path / "runs", id="curves", project="p")
    run.log({"pr": reportgen.plot.pr_curve(y, p, labels=["cat", "dog"]),
             "roc": reportgen.plot.roc_curve(y, p, labels=["cat", "dog"])})
    run.finish()
    out = tmp_path / "site"
    build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    for width in (1280, 390):
        page = site_browser.new_page()
        page.set_viewport_size({"width": width, "height": 800 if width > 600 else 844})
        page.goto((out / "runs/curves/index.html").as_uri())
        panels = page.locator(".rgp-vega")
        assert panels.count() == 2
        fields = []
        for i in range(2):
            panels.nth(i).scroll_into_view_if_needed()
            page.wait_for_function("el => el.dataset.rendered === 'done'", arg=panels.nth(i).element_handle())
            tips = panels.nth(i).evaluate(TOOLTIPS)
            assert tips, "no tooltips"
            fields.append({k for t in tips for k in t})
        assert sorted(fields, key=sorted) == [{"False positive rate", "True positive rate", "class"},
                                              {"Recall", "Precision", "class"}]
        assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("tooltip", [{"tooltip": [{"field": "x"}]}, {}])
def test_a_templates_own_tooltip_is_kept(tooltip):
    template = {"data": {"name": "table"}, "mark": {"type": "line", "tooltip": True},
                "encoding": {"x": {"field": "${field:x}", "type": "quantitative"},
                             "order": {"field": "__row"}, **tooltip}}
    spec = render_custom_chart(template, {"columns": ["x"], "data": [[1], [2]]}, {"x": "x"})
    want = tooltip.get("tooltip") or [{"field": "x", "type": "quantitative"}]
    assert spec["encoding"]["tooltip"] == want
