"""A sweep page under ``reportgen serve --watch`` keeps what the reader chose while trials come in: a
real server process, a real sweep (its agent in a training process of its own) and Chromium."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import reportgen
from browser import SiteBrowser
from serveproc import ServeProcess
from test_sweeps_shared_name import PARALLEL_JS, SCATTER_JS
from test_sweeps_site import AXIS_XY, BRUSHED, brush_axis

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


# a run of the sweep given its parameters: ROOT LR OPT [METRIC...] (each metric logged as 2 lr)
LR_RUN = """import sys, reportgen
run = reportgen.init(dir=sys.argv[1], config={"lr": float(sys.argv[2]), "opt": sys.argv[3]})
run.log({"loss": run.config["lr"], **{k: 2 * run.config["lr"] for k in sys.argv[4:]}})
run.finish()
"""


def _lr_run(root, sweep_id: str, lr: float, opt: str, *metrics: str) -> None:
    """A run of the sweep with its parameters chosen here (the agent's sampler would pick them)."""
    done = subprocess.run([sys.executable, "-c", LR_RUN, str(root), str(lr), opt, *metrics], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "REPORTGEN_SWEEP_ID": sweep_id})
    assert done.returncode == 0, done.stderr


@pytest.fixture
def served_lr_sweep(tmp_path):  # runs of lr 0.05, 0.15, 0.25 and 0.4 (opt adam, sgd, adam, sgd), logging loss and zz
    root = tmp_path / "runs"
    cfg = {"method": "random", "metric": {"name": "loss", "goal": "minimize"},
           "parameters": {"lr": {"min": 0.0, "max": 1.0}, "opt": {"values": ["adam", "sgd", "zeta"]}}}
    sweep_id = reportgen.sweep(cfg, dir=root)
    for lr, opt in ((0.05, "adam"), (0.15, "sgd"), (0.25, "adam"), (0.4, "sgd")):
        _lr_run(root, sweep_id, lr, opt, "zz")
    srv = ServeProcess(str(root), "--watch", "--port", "0")
    yield srv, root, sweep_id
    rc = srv.stop()
    assert rc in (0, 130) and "Traceback" not in srv.stderr(), srv.stderr()


@pytest.fixture
def lr_page(served_lr_sweep, _playwright_browser):
    """(page, runs root, sweep id): the sweep's page in Chromium, served, ready; no browser problems after."""
    srv, root, sweep_id = served_lr_sweep
    sb = SiteBrowser(_playwright_browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))
    try:
        page = sb.open(srv.url + f"sweeps/{sweep_id}.html")
        page.wait_for_selector("body[data-sweep-ready='1']", timeout=30_000)
        yield page, root, sweep_id
    finally:
        problems = sb.problems.all()
        sb.close()
    assert not problems, "browser problems:\n" + "\n".join(problems)


# the lr values of the runs the table lists, sorted
LISTED_LR = """() => { const d = JSON.parse(document.getElementById('rg-sweep').textContent), f = d.fields.params.lr;
    const ids = [...document.querySelectorAll('#rg-sweep-runs tbody tr')].map(r => r.dataset.id);
    return d.rows.filter(r => ids.includes(r.id)).map(r => r[f]).sort((a, b) => a - b); }"""
# the lr values the brush box on lr's axis covers as drawn, [low, high], and how far its middle is from the axis (px)
BOX_LR = """() => { const d = JSON.parse(document.getElementById('rg-sweep').textContent), f = d.fields.params.lr;
    const vals = d.rows.map(r => r[f]), lo = Math.min(...vals), hi = Math.max(...vals), v = RG.sweep.views.parallel;
    const boxes = [...document.querySelectorAll('.rg-brush[data-axis="z_' + f + '"]')];
    if (boxes.length !== 1) return null;
    const b = boxes[0].getBoundingClientRect(), c = document.querySelector('#rg-sweep-parallel canvas').getBoundingClientRect();
    const y = v.scale('y'), top = b.top - c.top - v.origin()[1], bottom = b.bottom - c.top - v.origin()[1];
    const at = px => lo + y.invert(px) * (hi - lo);
    const segs = [], walk = m => { if (m.marktype === 'rule' && m.role === 'mark') m.items.forEach(i =>
        i.datum.a === 'z_' + f ? segs.push(i.x) : i.datum.b === 'z_' + f && segs.push(i.x2));
      m.items.forEach(i => (i.items || []).forEach(walk)); };
    walk(v.scenegraph().root);
    return {axis: boxes[0].dataset.axis, lr: [at(bottom), at(top)],
            off: Math.abs((b.left + b.right) / 2 - (c.left + v.origin()[0] + segs[0]))}; }"""
# the position on its axis of the middle of the box on an axis
OPT_BOX = """(axis) => { const v = RG.sweep.views.parallel, c = document.querySelector('#rg-sweep-parallel canvas').getBoundingClientRect();
    const b = document.querySelector('.rg-brush[data-axis="' + axis + '"]').getBoundingClientRect();
    return v.scale('y').invert((b.top + b.bottom) / 2 - c.top - v.origin()[1]); }"""
UPDATED = """(n) => { if (window.__marker !== 'kept') return true;
    const d = JSON.parse(document.getElementById('rg-sweep').textContent);
    return d.rows.length === n && d.rows.every(r => r.state === 'finished') && RG.sweep.updates >= 1 && !RG.sweep.busy
      && !document.getElementById('rg-sweep-runs').hasAttribute('data-pending'); }"""


def brush_values(page, axis: str, lo: float, hi: float, vmin: float, vmax: float) -> None:
    """Drag along an axis of the parallel coordinates from value hi down to value lo (its values now
    from vmin to vmax), until the runs table shows the brushed runs."""
    x0, top = page.evaluate(AXIS_XY, [axis, (hi - vmin) / (vmax - vmin)])
    _, bottom = page.evaluate(AXIS_XY, [axis, (lo - vmin) / (vmax - vmin)])
    page.mouse.move(x0, top)
    page.mouse.down()
    page.mouse.move(x0 + 2, bottom, steps=6)
    page.mouse.up()
    page.wait_for_function(BRUSHED)


def test_a_run_widening_an_axis_keeps_the_brushed_values(lr_page):
    """A range brushed on the parallel chart was kept as positions on its axis (0..1): a new trial
    widening the axis (lr up to 2.0 where the others had 0.05 to 0.4) left the box where it was, now
    over lr 0.33 to 1.4, and the runs table silently kept other runs (the 0.4 one, not the 0.15 and
    0.25 brushed); likewise a new category (opt "zeta" sorted after "sgd") took the top of opt's axis
    brushed for sgd. The range is kept in values (lr's numbers, opt's categories covered) and the box
    drawn from them again."""
    page, root, sweep_id = lr_page
    page.locator("#rg-sweep-parallel canvas").scroll_into_view_if_needed()
    axis = "z_" + json.loads(page.locator("#rg-sweep").text_content())["fields"]["params"]["lr"]
    brush_values(page, axis, 0.1, 0.3, 0.05, 0.4)
    assert page.evaluate(LISTED_LR) == [0.15, 0.25]
    before = page.evaluate(BOX_LR)
    assert before["lr"] == pytest.approx([0.1, 0.3], abs=0.01), before
    # and on opt's axis (adam at its bottom, sgd at its top), the top part: sgd
    opt_axis = "z_" + json.loads(page.locator("#rg-sweep").text_content())["fields"]["params"]["opt"]
    brush_values(page, opt_axis, 0.6, 1.0, 0.0, 1.0)
    assert page.evaluate(LISTED_LR) == [0.15]
    page.evaluate("window.__marker = 'kept'")

    _lr_run(root, sweep_id, 2.0, "zeta", "zz")  # widens lr's axis; opt's top is zeta now, sgd in its middle
    page.wait_for_function(UPDATED, arg=5, timeout=30_000)
    assert page.evaluate("[window.__marker, RGLive.reloads]") == ["kept", 0], \
        page.evaluate("window.RGLive && RGLive.reloadedBecause")
    assert page.evaluate(LISTED_LR) == [0.15]
    assert page.locator("#rg-sweep-count").text_content() == "1 of 5 runs (brushed)"
    assert page.evaluate(OPT_BOX, opt_axis) == pytest.approx(0.5, abs=0.02)  # on sgd, not zeta
    after = page.evaluate(BOX_LR)
    assert after["axis"] == axis and after["off"] < 2, after
    assert after["lr"] == pytest.approx([0.1, 0.3], abs=0.02), after  # (a pixel is 0.0075 of lr now)


# the scatter's box as drawn, in its axes' values: {x: [lo, hi], y: [lo, hi]} (null: no box)
SCATTER_BOX = """() => { const v = RG.sweep.views.scatter, out = [];
    const walk = m => { m.items.forEach(i => { if (m.name === 'brush_brush' && i.width > 0) out.push(i);
        (i.items || []).forEach(walk); }); };
    walk(v.scenegraph().root);
    if (out.length !== 1) return null;
    const b = out[0], x = v.scale('x'), y = v.scale('y');
    return {x: [x.invert(b.x), x.invert(b.x + b.width)].sort((p, q) => p - q),
            y: [y.invert(b.y), y.invert(b.y + b.height)].sort((p, q) => p - q)}; }"""
# the page point of a value on the scatter: [x, y]
SCATTER_XY = """([x, y]) => { const v = RG.sweep.views.scatter, o = v.origin(),
    r = document.querySelector('#rg-sweep-scatter canvas').getBoundingClientRect();
    return [r.left + o[0] + v.scale('x')(x), r.top + o[1] + v.scale('y')(y)]; }"""


def test_a_live_update_keeps_the_scatter_box(lr_page):
    """The scatter's box selection was cleared by every live update (the scatter drawn again with no
    selection; the box was kept by field names, which the update numbers again): the runs table then
    listed every run again. The box is kept by its axes' names and drawn again over the same values,
    here with the y axis's metric renumbered by a new metric sorted before it ("bb" before "zz")."""
    page, root, sweep_id = lr_page
    page.locator("#rg-sweep-scatter").scroll_into_view_if_needed()
    page.wait_for_selector("#rg-sweep-scatter[data-drawn]")
    page.select_option("#rg-sweep-y", label="zz")
    page.wait_for_function(f"({SCATTER_JS})().titles.sort().join('|') === 'lr|zz'")
    page.locator("#rg-sweep-scatter").scroll_into_view_if_needed()
    ys = page.evaluate("RG.sweep.views.scatter.scale('y').domain()")  # (the box from the plot's top to its bottom)
    x0, y0 = page.evaluate(SCATTER_XY, [0.1, max(ys)])
    x1, y1 = page.evaluate(SCATTER_XY, [0.3, min(ys)])
    page.mouse.move(x0, y0 + 5)  # (inside the plot: a press on its edge starts no box)
    page.mouse.down()
    page.mouse.move(x1, y1 - 5, steps=8)
    page.mouse.up()
    page.wait_for_function(BRUSHED)
    assert page.evaluate(LISTED_LR) == [0.15, 0.25]
    before = page.evaluate(SCATTER_BOX)
    assert before and before["x"] == pytest.approx([0.1, 0.3], abs=0.01), before
    y_field = json.loads(page.locator("#rg-sweep").text_content())["fields"]["metrics"]["zz"]
    page.evaluate("window.__marker = 'kept'")

    _lr_run(root, sweep_id, 2.0, "zeta", "zz", "bb")
    page.wait_for_function(SETTLED, arg="bb", timeout=30_000)
    page.wait_for_function(UPDATED, arg=5, timeout=30_000)
    page.wait_for_selector("#rg-sweep-scatter[data-drawn]")
    assert page.evaluate("[window.__marker, RGLive.reloads]") == ["kept", 0], \
        page.evaluate("window.RGLive && RGLive.reloadedBecause")
    assert json.loads(page.locator("#rg-sweep").text_content())["fields"]["metrics"]["zz"] != y_field
    assert page.evaluate(f"({SCATTER_JS})().titles.sort()") == ["lr", "zz"]
    assert page.evaluate(LISTED_LR) == [0.15, 0.25]
    assert page.locator("#rg-sweep-count").text_content() == "2 of 5 runs (brushed)"
    after = page.evaluate(SCATTER_BOX)
    assert after and after["x"] == pytest.approx(before["x"], abs=0.02), (before, after)
    assert after["y"] == pytest.approx(before["y"], abs=0.02), (before, after)


def test_a_selection_on_a_field_that_goes_away_is_dropped(lr_page):
    """The only runs logging a metric ("bb") deleted under serve --watch: the metric left the page, and
    a range brushed on its axis of the parallel chart stayed in the filter under the field's old
    number, now another metric's (loss): the box was gone but the table listed "0 of 4 runs
    (brushed)", with no way to clear it short of a reload. A range or a scatter box on a field that
    went away is now dropped and the selection reset: every run listed, no box, nothing to clear."""
    page, root, sweep_id = lr_page
    page.evaluate("window.__marker = 'kept'")
    _lr_run(root, sweep_id, 0.3, "adam", "zz", "bb")  # bb: 0.6 and 0.7
    _lr_run(root, sweep_id, 0.35, "sgd", "zz", "bb")
    page.wait_for_function(SETTLED, arg="bb", timeout=30_000)
    page.wait_for_function(UPDATED, arg=6, timeout=30_000)
    page.select_option("#rg-sweep-metric", "bb")
    page.wait_for_function("document.getElementById('rg-sweep-imp-for').textContent === 'for bb'")
    page.locator("#rg-sweep-parallel canvas").scroll_into_view_if_needed()
    axis = "z_" + json.loads(page.locator("#rg-sweep").text_content())["fields"]["metrics"]["bb"]
    page.wait_for_function(f"({PARALLEL_JS})().labels[{json.dumps(axis)}] === 'bb'")
    brush_values(page, axis, 0.65, 0.7, 0.6, 0.7)
    assert page.locator("#rg-sweep-count").text_content() == "1 of 6 runs (brushed)"
    page.locator("#rg-sweep-scatter").scroll_into_view_if_needed()
    page.wait_for_selector("#rg-sweep-scatter[data-drawn]")
    page.select_option("#rg-sweep-y", label="bb")
    page.wait_for_function(f"({SCATTER_JS})().titles.sort().join('|') === 'bb|lr'")
    page.locator("#rg-sweep-scatter").scroll_into_view_if_needed()
    # (the runs with a bb, lr 0.3 and 0.35, are the plot's corners: the box from inside it, past the
    # 0.35 run's corner, holds that run alone)
    xs, ys = page.evaluate("['x', 'y'].map(a => RG.sweep.views.scatter.scale(a).domain())")
    x0, y0 = page.evaluate(SCATTER_XY, [min(xs), max(ys)])
    x1, y1 = page.evaluate(SCATTER_XY, [max(xs), min(ys)])
    page.mouse.move(x0 + 5, y0 + 5)  # (inside the plot: a press on its edge starts no box)
    page.mouse.down()
    page.mouse.move(x1 + 20, y1 + 20, steps=8)
    page.mouse.up()
    page.wait_for_function(BRUSHED)
    assert page.evaluate(SCATTER_BOX) and page.evaluate(LISTED_LR) == [0.35]

    for run_dir in [d for d in root.iterdir() if (d / "config.json").is_file()]:
        if '"bb"' in (run_dir / "summary.json").read_text():
            shutil.rmtree(run_dir)
    page.wait_for_function(UPDATED, arg=4, timeout=30_000)
    page.wait_for_selector("#rg-sweep-scatter[data-drawn]")
    assert page.evaluate("[window.__marker, RGLive.reloads]") == ["kept", 0], \
        page.evaluate("window.RGLive && RGLive.reloadedBecause")
    assert "bb" not in json.loads(page.locator("#rg-sweep").text_content())["fields"]["metrics"]
    try:  # (the table is drawn once the filter rests)
        page.wait_for_function("document.getElementById('rg-sweep-count').textContent === '4 of 4 runs'", timeout=10_000)
    except PlaywrightTimeout:
        pass
    assert page.locator("#rg-sweep-count").text_content() == "4 of 4 runs"
    assert page.evaluate(LISTED_LR) == [0.05, 0.15, 0.25, 0.4]
    assert page.locator(".rg-brush").count() == 0 and page.evaluate(SCATTER_BOX) is None
    assert page.locator("#rg-sweep-clear").is_hidden()
