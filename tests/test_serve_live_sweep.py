"""A sweep page under ``reportgen serve --watch`` keeps what the reader chose while trials come in: a
real server process, a real sweep (its agent in a training process of its own) and Chromium."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import reportgen
from browser import SiteBrowser
from serveproc import ServeProcess
from test_sweeps_shared_name import PARALLEL_JS, SCATTER_JS
from test_sweeps_site import BRUSHED, brush_axis

pytestmark = pytest.mark.browser

# an agent of the sweep: ROOT SWEEP_ID COUNT [EXTRA...] (metrics the others do not have: "bb", sorted before "zz")
TRIAL = """import sys, reportgen
def train():
    run = reportgen.init()
    for step in range(3):
        run.log({"loss": run.config["x"] + 1 / (step + 1), "acc": 1 - run.config["x"], "zz": run.config["w"] * step,
                 **{k: 0.5 + step for k in sys.argv[4:]}})
reportgen.agent(sys.argv[2], function=train, count=int(sys.argv[3]), dir=sys.argv[1])
"""


def _agent(root, sweep_id: str, count: int, *extra: str) -> None:
    done = subprocess.run([sys.executable, "-c", TRIAL, str(root), sweep_id, str(count), *extra],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
# the page has the data with a metric, every update it was given drawn (or it was reloaded: no marker)
SETTLED = """(metric) => { if (window.__marker !== 'kept') return true;
    const d = JSON.parse(document.getElementById('rg-sweep').textContent);
    return d.metrics.includes(metric) && d.rows.every(r => r.state === 'finished') && RG.sweep.updates >= 1
      && !RG.sweep.busy; }"""
CHOSEN = """() => Object.fromEntries(['metric', 'x', 'y'].map(s => {
    const el = document.getElementById('rg-sweep-' + s); return [s, el.options[el.selectedIndex].textContent]; }))"""


@pytest.fixture
def served_sweep(tmp_path):
    root = tmp_path / "runs"
    cfg = {"method": "random", "metric": {"name": "loss", "goal": "minimize"},
           "parameters": {"x": {"min": 0.0, "max": 1.0}, "w": {"min": 0.0, "max": 1.0}}}
    sweep_id = reportgen.sweep(cfg, dir=root)
    _agent(root, sweep_id, 4)
    srv = ServeProcess(str(root), "--watch", "--port", "0")
    yield srv, root, sweep_id
    rc = srv.stop()
    assert rc in (0, 130) and "Traceback" not in srv.stderr(), srv.stderr()


def test_a_new_metric_keeps_the_chosen_metric_axes_and_ranges(served_sweep, _playwright_browser):
    """A new trial logging a metric sorted before the chosen one ("bb" before "zz") turned the page's
    choices into other ones: the selects' options were patched in place by position, so the chosen
    option then held the new metric (the metric select showed "bb" and the charts drew it), and the
    scatter's axes, fields numbered by the metrics' order, moved to their neighbours; a range brushed
    on the metric's axis stopped filtering. The choice is kept by name."""
    srv, root, sweep_id = served_sweep
    sb = SiteBrowser(_playwright_browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))
    try:
        page = sb.open(srv.url + f"sweeps/{sweep_id}.html")
        page.wait_for_selector("body[data-sweep-ready='1']", timeout=30_000)
        page.select_option("#rg-sweep-metric", "zz")
        page.wait_for_function("document.getElementById('rg-sweep-imp-for').textContent === 'for zz'")
        page.locator("#rg-sweep-scatter").scroll_into_view_if_needed()
        page.wait_for_selector("#rg-sweep-scatter[data-drawn]")
        page.select_option("#rg-sweep-x", label="zz")
        page.select_option("#rg-sweep-y", label="w")  # a parameter, listed after the metrics
        page.wait_for_function(f"({SCATTER_JS})().titles.sort().join('|') === 'w|zz'")
        page.locator("#rg-sweep-parallel canvas").scroll_into_view_if_needed()
        axis = "z_" + json.loads(page.locator("#rg-sweep").text_content())["fields"]["metrics"]["zz"]
        page.wait_for_function(f"({PARALLEL_JS})().labels[{json.dumps(axis)}] === 'zz'")
        brush_axis(page, axis)
        brushed = page.locator("#rg-sweep-count").text_content()
        page.evaluate("window.__marker = 'kept'")

        _agent(root, sweep_id, 1, "bb")  # the next trial, logging a new metric
        page.wait_for_function(SETTLED, arg="bb", timeout=30_000)
        assert page.evaluate("[window.__marker, RGLive.reloads]") == ["kept", 0], \
            page.evaluate("window.RGLive && RGLive.reloadedBecause")
        assert page.evaluate(CHOSEN) == {"metric": "zz", "x": "zz", "y": "w"}
        assert page.input_value("#rg-sweep-metric") == "zz"
        assert page.text_content("#rg-sweep-imp-for") == "for zz"
        fields = json.loads(page.locator("#rg-sweep").text_content())["fields"]
        moved = "z_" + fields["metrics"]["zz"]
        assert moved != axis  # the new metric took the field "zz" had
        drawn = page.evaluate(PARALLEL_JS)
        assert drawn["labels"][moved] == "zz" and "bb" not in drawn["labels"].values(), drawn["labels"]
        assert sorted(page.evaluate(SCATTER_JS)["titles"]) == ["w", "zz"]
        # the range brushed on zz's axis is still on it, and still filters the runs table
        assert page.evaluate("[...document.querySelectorAll('.rg-brush')].map(b => b.dataset.axis)") == [moved]
        page.wait_for_function(BRUSHED)
        count = page.locator("#rg-sweep-count").text_content()
        assert count.endswith("of 5 runs (brushed)"), (brushed, count)
    finally:
        problems = sb.problems.all()
        sb.close()
    assert not problems, "browser problems:\n" + "\n".join(problems)
