"""A sweep parameter and a summary metric of one name (the demo's learning_rate: the config's value
and the last value of the logged schedule) shared one field of the sweep page's rows, the metric's
overwriting the parameter's: the parallel chart's parameter axis, the scatter, the runs table's
parameter column and the all-runs page's correlations showed the metric's values. They are two
fields, two axes, two columns and two options, named "config: x" and "summary: x"."""
from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest

import reportgen
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

from test_sweeps_site import ROW_IDS, brush_axis

LRS = (0.3, 0.1, 0.03)
# the last learning rate each run logs: in no order of the configured one
LAST = {(0.3, 4): 0.002, (0.1, 4): 0.05, (0.03, 4): 0.01, (0.3, 16): 0.004, (0.1, 16): 0.08, (0.03, 16): 0.02}
P, M = "config: learning_rate", "summary: learning_rate"


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("shared") / "runs"
    cfg = {"method": "grid", "name": "iris", "metric": {"name": "loss", "goal": "minimize"},
           "parameters": {"learning_rate": {"values": list(LRS)}, "hidden": {"values": [4, 16]}}}
    sweep_id = reportgen.sweep(cfg, dir=root)

    def train():
        run = reportgen.init()
        lr, h = run.config["learning_rate"], run.config["hidden"]
        for epoch in range(3):  # a schedule from the configured rate down to the last one
            run.log({"loss": lr + 1 / h + 1 / (epoch + 1), "learning_rate": lr + (LAST[lr, h] - lr) * epoch / 2})

    reportgen.agent(sweep_id, function=train, count=6, dir=root)
    out = root.parent / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    return sweep_id, root, out


def _payload(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="rg-sweep">(.*?)</script>', html, re.S).group(1))


def _runs(root) -> dict[str, tuple[float, float]]:
    """{run id: (configured learning rate, last logged one)} from the run folders."""
    out = {}
    for d in root.iterdir():
        if (d / "config.json").is_file():
            c, s = json.loads((d / "config.json").read_text()), json.loads((d / "summary.json").read_text())
            out[d.name] = (c["learning_rate"]["value"] if isinstance(c["learning_rate"], dict) else c["learning_rate"],
                           s["learning_rate"])
    return out


def test_the_pages_data_keeps_the_parameter_and_the_metric_apart(shared_site):
    sweep_id, root, out = shared_site
    runs = _runs(root)
    assert len(runs) == 6 and all(c != s for c, s in runs.values())
    for name in (sweep_id, "_all"):
        data = _payload((out / "sweeps" / f"{name}.html").read_text())
        pf, mf = data["fields"]["params"]["learning_rate"], data["fields"]["metrics"]["learning_rate"]
        assert pf != mf and data["labels"][pf] == P and data["labels"][mf] == M, name
        assert data["labels"][data["fields"]["params"]["hidden"]] == "hidden"  # a name of one kind: as it is
        assert data["labels"][data["fields"]["metrics"]["loss"]] == "loss"
        assert {r["id"]: (r[pf], r[mf]) for r in data["rows"]} == runs, name


# the parallel chart as drawn: {axis: its label} and [run id, axis, y, next axis, y there] per segment
PARALLEL_JS = """() => { const v = RG.sweep.views.parallel, labels = {}, segs = [];
    const walk = m => { m.items.forEach(i => {
        if (m.marktype === "text" && m.role === "axis-label" && typeof i.datum.value === "string") labels[i.datum.value] = i.text;
        if (m.marktype === "rule" && m.role === "mark") segs.push([i.datum.id, i.datum.a, i.y, i.datum.b, i.y2]);
        (i.items || []).forEach(walk); }); };
    walk(v.scenegraph().root);
    return {labels, segs, y0: v.scale("y")(0), y1: v.scale("y")(1), colour: v.scale("color").domain()}; }"""
# the scatter as drawn: its axis titles and [run id, x value, y value] per point
SCATTER_JS = """() => { const v = RG.sweep.views.scatter, titles = [], pts = [];
    const walk = m => { m.items.forEach(i => {
        if (m.marktype === "text" && m.role === "axis-title") titles.push(i.text);
        if (m.marktype === "symbol" && m.role === "mark") pts.push([i.datum.id, v.scale("x").invert(i.x), v.scale("y").invert(i.y)]);
        (i.items || []).forEach(walk); }); };
    walk(v.scenegraph().root); return {titles, pts}; }"""
# the all-runs page's correlation bars: [param, measure, value]
BARS_JS = """() => { const out = []; const walk = m => { m.items.forEach(i => {
        if (m.marktype === "rect" && m.role === "mark") out.push([i.datum.param, i.datum.measure, i.datum.value]);
        (i.items || []).forEach(walk); }); };
    walk(RG.sweep.views.importance.scenegraph().root); return out; }"""


def _norm(values: dict[str, float]) -> dict[str, float]:
    lo, hi = min(values.values()), max(values.values())
    return {k: (v - lo) / (hi - lo) for k, v in values.items()}


def _check_axis(drawn: dict, label: str, values: dict[str, float]) -> str:
    """The axis labelled ``label`` places every run at its value of ``values`` (min at 0, max at 1)."""
    axis = [a for a, text in drawn["labels"].items() if text == label]
    assert len(axis) == 1, (label, drawn["labels"])
    at = {}
    for run_id, a, y, b, y2 in drawn["segs"]:
        if a == axis[0]:
            at[run_id] = y
        if b == axis[0]:
            at[run_id] = y2
    want = {k: drawn["y0"] + (drawn["y1"] - drawn["y0"]) * z for k, z in _norm(values).items()}
    assert at.keys() == want.keys() and all(abs(at[k] - want[k]) < 0.5 for k in want), (label, at, want)
    return axis[0]


@pytest.mark.parametrize("name", ["sweep", "_all"])
def test_the_parameter_and_the_metric_are_two_axes_columns_and_options(shared_site, site_browser, name):
    sweep_id, root, out = shared_site
    runs = _runs(root)
    config = {k: c for k, (c, _) in runs.items()}
    summary = {k: s for k, (_, s) in runs.items()}
    page = site_browser.open(out / "sweeps" / f"{sweep_id if name == 'sweep' else name}.html")
    page.wait_for_selector("body[data-sweep-ready], body[data-sweep-error]", timeout=30_000)
    assert page.get_attribute("body", "data-sweep-error") is None

    # the runs table: a config column and a summary column, each with its own runs' values
    heads = page.locator("#rg-sweep-runs thead th")
    texts = heads.all_inner_texts()
    assert texts.count(P) == 1 and texts.count(M) == 1 and "learning_rate" not in texts, texts
    pc, mc = texts.index(P), texts.index(M)
    assert heads.nth(pc).get_attribute("class") == "rg-col-config"
    assert heads.nth(mc).get_attribute("class") == "rg-col-summary"
    assert heads.nth(mc).get_attribute("title") == "summary: learning_rate"
    for tr in page.locator("#rg-sweep-runs tbody tr").all():
        cells, run_id = tr.locator("td").all_inner_texts(), tr.get_attribute("data-id")
        assert (float(cells[pc]), float(cells[mc])) == pytest.approx((config[run_id], summary[run_id])), run_id

    # the parallel coordinates: the parameter's axis at the configured rates; with the metric
    # learning_rate chosen, its own axis at the logged ones, coloured by them
    page.locator("#rg-sweep-parallel canvas").scroll_into_view_if_needed()
    page.select_option("#rg-sweep-metric", "learning_rate")
    page.wait_for_function(f"Object.values(({PARALLEL_JS})().labels).includes({json.dumps(M)})")
    assert page.locator("#rg-sweep-metric option:checked").inner_text() == M
    assert page.locator("#rg-sweep-imp-for").text_content() == f"for {M}"
    drawn = page.evaluate(PARALLEL_JS)
    p_axis = _check_axis(drawn, P, config)
    _check_axis(drawn, M, summary)
    assert drawn["colour"] == pytest.approx([min(summary.values()), max(summary.values())])

    # the scatter: the configured rate against the logged one
    page.locator("#rg-sweep-scatter").scroll_into_view_if_needed()
    page.wait_for_selector("#rg-sweep-scatter[data-drawn]")
    page.select_option("#rg-sweep-x", label=P)
    page.select_option("#rg-sweep-y", label=M)
    page.wait_for_function(f"({SCATTER_JS})().titles.sort().join('|') === {json.dumps(P + '|' + M)}")
    pts = page.evaluate(SCATTER_JS)["pts"]
    assert {k: (x, y) for k, x, y in pts} == {k: pytest.approx((config[k], summary[k]), rel=1e-6) for k in runs}

    if name == "_all":  # the correlations the page computes: the configured rate's with the logged one
        ids = sorted(runs)
        want = float(np.corrcoef([config[k] for k in ids], [summary[k] for k in ids])[0, 1])
        bars = page.evaluate(BARS_JS)
        got = [v for p, m, v in bars if p == P and m == "correlation"]
        assert got == [pytest.approx(want)] and abs(want) < 0.9, (bars, want)

    # the importance (or correlation) chart names the parameter as its axis, column and option do
    assert {p for p, _, _ in page.evaluate(BARS_JS)} == {P, "hidden"}

    # brushing the parameter's axis from its top to its middle keeps the runs configured at 0.3
    page.locator("#rg-sweep-parallel canvas").scroll_into_view_if_needed()
    brush_axis(page, p_axis)
    kept = sorted(page.evaluate(ROW_IDS))
    assert kept == sorted(k for k, c in config.items() if c == max(LRS)), kept
    assert page.locator("#rg-sweep-count").text_content() == "2 of 6 runs (brushed)"


# the parallel chart's axis labels as drawn: [text, x1, y1, x2, y2, shown] (bounds in the chart's pixels),
# and their angles
LABELS_JS = """() => { const out = [], angles = []; const walk = m => { m.items.forEach(i => {
        if (m.marktype === "text" && m.role === "axis-label" && typeof i.datum.value === "string") {
          out.push([i.text, i.bounds.x1, i.bounds.y1, i.bounds.x2, i.bounds.y2, i.opacity !== 0]); angles.push(i.angle || 0); }
        (i.items || []).forEach(walk); }); };
    walk(RG.sweep.views.parallel.scenegraph().root);
    const r = RG.sweep.views.parallel.scale("x").range(); return {labels: out, angles, plot: r[1] - r[0]}; }"""


def _labels_apart(drawn, where) -> None:
    labels = drawn["labels"]
    assert sorted(t for t, *_ in labels) == sorted([P, "hidden", M]) and all(s for *_, s in labels), labels
    for i, (a, ax1, ay1, ax2, ay2, _) in enumerate(labels):
        for b, bx1, by1, bx2, by2, _ in labels[i + 1:]:  # no two labels' boxes meet
            assert ax2 <= bx1 + 1 or bx2 <= ax1 + 1 or ay2 <= by1 + 1 or by2 <= ay1 + 1, (where, a, b, labels)


@pytest.mark.parametrize("width", [1440, 390])
def test_the_parallel_axis_labels_do_not_overlap(shared_site, site_browser, width):
    """At 390 px the parallel chart's axis labels ran into each other ("hiddenconfig: learning_rate"
    on the demo's all-runs page) and its legend took a third of the width beside the plot. Labels
    that do not fit their axis's share are slanted (cut at 110 px), and the legend goes under the
    chart on a narrow page."""
    sweep_id, _, out = shared_site
    for name in (sweep_id, "_all"):
        page = site_browser.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        page.goto((out / "sweeps" / f"{name}.html").resolve().as_uri())
        page.wait_for_selector("body[data-sweep-ready]", timeout=30_000)
        page.select_option("#rg-sweep-metric", "learning_rate")
        page.wait_for_function(f"Object.values(({PARALLEL_JS})().labels).includes({json.dumps(M)})")
        page.locator("#rg-sweep-parallel").scroll_into_view_if_needed()
        drawn = page.evaluate(LABELS_JS)
        _labels_apart(drawn, (width, name))
        assert drawn["plot"] >= (1000 if width == 1440 else 270), (width, name, drawn["plot"])
        page.locator("#rg-sweep-parallel").locator("xpath=..").screenshot(
            path=str(out.parent / f"parallel-{name}-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width


# the parallel chart's labels apart, level or not, and its plot at least `plot` px wide (the legend under
# it on a phone),
# read once the chart's view has no update pending (its own resize of the plot: a scenegraph half way;
# evaluated, as wait_for_function takes a promise for true)
LAID_OUT = f"""async ([plot, level]) => {{ await RG.sweep.views.parallel.runAsync();
    await new Promise(r => requestAnimationFrame(() => r()));
    const d = ({LABELS_JS})(), l = d.labels;
    return d.plot >= plot && d.angles.every(a => (a === 0) === level) && l.every((a, i) => l.slice(i + 1).every(b =>
      a[3] <= b[1] + 1 || b[3] <= a[1] + 1 || a[4] <= b[2] + 1 || b[4] <= a[2] + 1)); }}"""


def _laid_out(page, plot: float, level: bool, within: float = 10) -> bool:
    """Whether the parallel chart is laid out (LAID_OUT) within ``within`` s (a frame between tries)."""
    deadline = time.monotonic() + within
    while not page.evaluate(LAID_OUT, [plot, level]):
        if time.monotonic() > deadline:
            return False
    return True


def test_the_parallel_labels_are_laid_out_again_when_the_window_is_resized(shared_site, site_browser):
    """The labels' layout (level or slanted, the legend beside or under the plot) was chosen once, at
    the width the chart was first drawn at: a window narrowed from 1440 to 390 px (a phone turned, a
    desktop window resized) kept level labels running into each other and the legend beside a plot
    squeezed to a fraction of the width. The chart is drawn again when a resize changes the layout."""
    sweep_id, _, out = shared_site
    page = site_browser.new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto((out / "sweeps" / f"{sweep_id}.html").resolve().as_uri())
    page.wait_for_selector("body[data-sweep-ready]", timeout=30_000)
    page.select_option("#rg-sweep-metric", "learning_rate")
    page.wait_for_function(f"Object.values(({PARALLEL_JS})().labels).includes({json.dumps(M)})")
    assert _laid_out(page, 1000, True)
    for width, plot, level in ((390, 270, False), (1440, 1000, True)):  # narrowed (slanted), then wide again
        page.set_viewport_size({"width": width, "height": 900})
        _laid_out(page, plot, level)  # (if not laid out again, the assertions below say how)
        drawn = page.evaluate(LABELS_JS)
        _labels_apart(drawn, width)
        assert drawn["plot"] >= plot, (width, drawn["plot"])
        assert all((a == 0) == level for a in drawn["angles"]), (width, drawn["angles"])
        legend = page.evaluate("RG.sweep.views.parallel.scenegraph().root.items[0].items.find(m => m.role === 'legend')"
                               ".items[0].bounds")
        beside = legend["x1"] > drawn["plot"]  # (the legend's bounds, in the chart's pixels)
        assert beside == level, (width, legend, drawn["plot"])
        page.locator("#rg-sweep-parallel").scroll_into_view_if_needed()
        page.locator("#rg-sweep-parallel").locator("xpath=..").screenshot(
            path=str(out.parent / f"parallel-resized-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("RG.sweep.views.parallel.scale('x').domain().length") == 3
