"""A sweep's definition (``runs/sweeps/<id>/sweep.json``) comes with the runs folder: untrusted. A
metric name that was a list or an object (``{"metric": {"name": ["loss"]}}``) stopped the whole build
with a traceback ("TypeError: unhashable type: 'list'"), no page built. Each value of the wrong kind is
left out with a warning naming the file and the key; the sweep page is built as without it."""
from __future__ import annotations

import json

import pytest

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

HOSTILE = {
    "list": {"name": ["x"], "config": {"method": "grid", "metric": {"name": ["loss"], "goal": ["max"]},
                                       "parameters": {"lr": {"values": [0.1, 0.2, 0.3]}}}},
    "object": {"config": {"method": {"a": 1}, "metric": {"name": {"a": 1}}, "parameters": {"lr": {"min": 0}}}},
    "metric": {"config": {"metric": "loss", "parameters": {"lr": {"min": 0}}}},
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_sweep_definition_of_the_wrong_kinds_is_a_warning(tmp_path, site_browser, case):
    runs = tmp_path / "runs"
    for i in range(3):
        d = runs / f"r{i}"
        d.mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"id": f"r{i}", "name": f"r{i}", "state": "finished", "sweep_id": "sw1"}))
        (d / "config.json").write_text(json.dumps({"lr": 0.1 * (i + 1)}))
        (d / "summary.json").write_text(json.dumps({"loss": 1.0 / (i + 1)}))
        (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0 / (i + 1)}) + "\n")
    (runs / "sweeps" / "sw1").mkdir(parents=True)
    (runs / "sweeps" / "sw1" / "sweep.json").write_text(json.dumps(HOSTILE[case]))
    out = tmp_path / "site"
    res = build(BuildConfig(runs=runs, out=out, quiet=True))
    said = sorted(w for w in res.warnings if "sweeps/sw1/sweep.json" in w)
    expected = {
        "list": ["config.metric.goal: expected a string, got list", "config.metric.name: expected a string, got list",
                 "name: expected a string, got list"],
        "object": ["config.method: expected a string, got dict", "config.metric.name: expected a string, got dict"],
        "metric": ["config.metric: expected an object, got str"],
    }[case]
    assert len(said) == len(expected) and all(e in w for e, w in zip(expected, said)), said
    page = site_browser.open(out / "sweeps" / "sw1.html")
    page.wait_for_selector("body[data-sweep-ready]", timeout=30_000)
    assert page.locator("#rg-sweep-count").text_content() == "3 of 3 runs"
    assert page.locator("#rg-sweep-metric").input_value() == "loss"


def test_metrics_and_parameters_near_the_largest_double_have_an_importance(tmp_path, site_browser):
    """A sweep whose metric was 1e308 in one run and -1e308 in another stopped the whole build
    (OverflowError in the correlation's sum of squares), and a parameter of 1e308 with a run missing
    it was given the mean inf. The importance is computed on values scaled to at most 1 (the same
    correlations and importances), and the page draws it; so does the all-runs page, whose
    correlations, computed in the page, were NaN (shown as none) for such values."""
    runs = tmp_path / "runs"
    for i, (lr, loss) in enumerate([(1e308, 1e308), (-1e308, -1e308), (None, 0.3), (1e308, 1e308), (0.5, 2.0)]):
        d = runs / f"r{i}"
        d.mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"id": f"r{i}", "name": f"r{i}", "state": "finished", "sweep_id": "sw1"}))
        (d / "config.json").write_text(json.dumps({"opt": "ab"[i % 2], **({"lr": lr} if lr is not None else {})}))
        (d / "summary.json").write_text(json.dumps({"loss": loss}))
        (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0}) + "\n")
    out = tmp_path / "site"
    res = build(BuildConfig(runs=runs, out=out, quiet=True))
    assert not [w for w in res.warnings if "importance" in w], res.warnings
    page = site_browser.open(out / "sweeps" / "sw1.html")
    page.wait_for_selector("body[data-sweep-ready]", timeout=30_000)
    rows = page.evaluate("JSON.parse(document.getElementById('rg-sweep').textContent).importance.loss")
    lr = next(r for r in rows if r["param"] == "lr")
    assert 0.9 < lr["correlation"] <= 1 and 0 < lr["importance"] <= 1, rows
    assert page.evaluate("RG.sweep.views.importance !== undefined")
    page = site_browser.open(out / "sweeps" / "_all.html")  # (correlations computed in the page there)
    page.wait_for_selector("body[data-sweep-ready]", timeout=30_000)
    rows = page.evaluate("RG.sweep.views.importance.data('source_0')")
    assert 0.9 < next(r for r in rows if r["param"] == "lr")["correlation"] <= 1, rows
