"""The built site in headless Chromium: zero console errors and external requests, charts drawn,
controls that change the charts, the URL hash, escaping of hostile input, in-place data reloads."""
import base64
import json

import numpy as np
import pytest

from browser import assert_charts_rendered
from reportgen.site.config import BuildConfig
from reportgen.site.builder import build
from site_runs import rows, wavy, write_run

pytestmark = pytest.mark.browser
XSS = '<img src=x onerror="window.__xss=1">'
XSS2 = "<script>window.__xss=2</script>"


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory):
    import reportgen

    root = tmp_path_factory.mktemp("hostile") / "runs"
    for i, lr in enumerate((0.1, 0.2)):
        run = reportgen.init(project=XSS, name=f"{XSS} {i}", dir=root, id=f"h{i}", group=XSS2, tags=[XSS],
                             notes=XSS2, config={XSS: XSS2, "lr": lr, "nested": {XSS2: XSS}})
        for s in range(30):
            run.log({XSS: 1.0 / (s + 1), "caption": XSS, "acc": s / 30})
        run.summary[XSS2] = XSS
        run.finish()
    write_run(root, "other", rows(30, loss=wavy), meta={"project": "plain", "name": "plain-run"})
    out = root.parent / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    return out


@pytest.fixture(scope="session")
def controls_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("controls") / "runs"
    for i in range(3):
        data = rows(3000, loss=lambda s, i=i: (1 + i) * (1.0 / (1 + s / 50) + 0.2 * ((s * 7919) % 13) / 13),
                    acc=lambda s: s / 3000)
        for r in data[::100]:
            r["epoch"] = r["_step"] // 100
        data[1500]["loss"] = float("nan")
        write_run(root, f"run{i}", data, config={"lr": 0.1 * (i + 1), "opt": "adam"})
    out = root.parent / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=200))
    return out


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_demo_pages_render_without_errors(demo_site, site_browser):
    page = site_browser.open(demo_site / "index.html")
    n = assert_charts_rendered(page)
    assert n >= 4
    assert page.locator("#rg-runs tbody tr").count() == 4
    run_link = page.locator("#rg-runs tbody tr a").first.get_attribute("href")
    rp = site_browser.open((demo_site / run_link))
    assert_charts_rendered(rp)
    assert rp.locator(".rg-kv dt", has_text="command").count() == 1
    cp = site_browser.open((demo_site / "compare.html").as_uri() + "#runs=iris-h16-lr0p1,iris-h4-lr0p1")
    assert _render_visible(cp) == n
    diff = cp.locator("#rg-diff").inner_text()
    assert "hidden" in diff and "optimizer" not in diff and "learning_rate" not in diff
    legend = cp.evaluate("() => Object.values(RG.views)[0].scale('color').domain()")
    assert legend == ["mlp-h16-lr0.1", "mlp-h4-lr0.1"]


def test_hostile_input_is_shown_literally(hostile_site, site_browser):
    pages = ["index.html", "compare.html#runs=h0,h1", "runs/h0/index.html"]
    pages += [p.relative_to(hostile_site).as_posix() for p in (hostile_site / "projects").glob("*/index.html")]
    assert len(pages) == 5
    for rel in pages:
        path, _, frag = rel.partition("#")
        page = site_browser.open((hostile_site / path).as_uri() + (("#" + frag) if frag else ""))
        _render_visible(page)
        page.wait_for_timeout(100)
        assert page.evaluate("() => window.__xss") is None, rel
        assert page.locator("img[src=x]").count() == 0 and page.locator("main script:not([type])").count() == 0
        text = page.locator("main").inner_text()
        assert "plain" in rel or XSS in text or XSS2 in text, rel
    run = site_browser.open(hostile_site / "runs/h0/index.html")
    body = run.locator("main").inner_text()
    for s in (XSS, XSS2, f"{XSS} 0"):
        assert s in body
    cmp = site_browser.open((hostile_site / "compare.html").as_uri() + "#runs=h0,h1")
    assert XSS2 not in cmp.locator("#rg-diff").inner_text()  # same value in both runs: not a difference
    assert "lr" in cmp.locator("#rg-diff").inner_text()


def _render_visible(page) -> int:
    """Like browser.assert_charts_rendered, for pages where charts without selected runs are hidden."""
    charts = page.locator(".rg-chart:not([hidden])")
    n = charts.count()
    for i in range(n):
        charts.nth(i).scroll_into_view_if_needed()
    _wait_render(page)
    inked = page.evaluate("""() => [...document.querySelectorAll('.rg-chart:not([hidden]) canvas')].filter(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
        return false; }).length""")
    assert inked == n
    return n


def _chart_info(page, metric="loss"):
    return page.evaluate("""(key) => {
        const el = document.querySelector('.rg-chart[data-key="' + key + '"]');
        const v = RG.views[el.id];
        const rows = v.data('rows');
        return {x: v.scale('x').domain(), ytype: v.scale('y').type, runs: [...new Set(rows.map(r => r.run))].sort(),
                n: rows.length, smoothDiffers: rows.some(r => r.s !== null && r.y !== null && Math.abs(r.s - r.y) > 1e-9),
                xtitle: el.querySelector('canvas') ? 1 : 0, bad: rows.filter(r => r.bad).length};
    }""", metric)


def _wait_render(page):
    page.wait_for_function("() => [...document.querySelectorAll('.rg-chart:not([hidden])')].every(e => e.dataset.rendered === 'done')")
    page.wait_for_timeout(150)


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_controls_change_the_charts_and_the_hash(controls_site, site_browser):
    page = site_browser.open(controls_site / "index.html")
    assert_charts_rendered(page)
    before = _chart_info(page)
    assert before["runs"] == ["run0", "run1", "run2"] and before["ytype"] == "linear"
    # hover tooltip: every run's value at the pointer's x
    box = page.locator('.rg-chart[data-key="loss"] canvas').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    tip = page.locator('.rg-chart[data-key="loss"] .rg-tip')
    tip.wait_for(state="visible")
    assert all(f"run{i}" in tip.inner_text() for i in range(3)) and "Step" in tip.inner_text()
    assert before["bad"] == 3 and not before["smoothDiffers"]
    # x axis
    page.select_option("#rg-x", "epoch")
    _wait_render(page)
    after_x = _chart_info(page)
    assert after_x["x"][1] < before["x"][1] / 50 and "x=epoch" in page.evaluate("location.hash")
    # wall time: a time axis in milliseconds
    page.select_option("#rg-x", "_timestamp")
    _wait_render(page)
    assert _chart_info(page)["x"][0].year == 2023  # a time scale (T0 = 2023-11-14)
    page.select_option("#rg-x", "epoch")
    _wait_render(page)
    # smoothing (the faint raw line stays; smoothed values differ from raw ones)
    page.locator("#rg-smooth").fill("7")
    page.wait_for_function("() => location.hash.includes('smooth=0.99')")
    page.wait_for_function("""() => { const el = document.querySelector('.rg-chart[data-key="loss"]');
        return RG.views[el.id].data('rows').some(r => r.s !== null && r.y !== null && Math.abs(r.s - r.y) > 1e-9); }""")
    assert _chart_info(page)["x"] == after_x["x"]  # smoothing keeps the zoom/axes
    # log scale
    page.check("#rg-log")
    _wait_render(page)
    assert _chart_info(page)["ytype"] == "log" and "log=1" in page.evaluate("location.hash")
    # run selection
    page.locator('#rg-runs tbody tr[data-run="run1"] input[type=checkbox]').uncheck()
    _wait_render(page)
    assert _chart_info(page)["runs"] == ["run0", "run2"]
    h = page.evaluate("location.hash")
    assert "runs=run0,run2" in h
    # the hash restores the whole view in a fresh page
    page2 = site_browser.open((controls_site / "index.html").as_uri() + h)
    assert_charts_rendered(page2)
    info = _chart_info(page2)
    assert info["runs"] == ["run0", "run2"] and info["ytype"] == "log" and info["smoothDiffers"]
    assert page2.locator("#rg-x").input_value() == "epoch" and page2.locator("#rg-log").is_checked()
    assert page2.locator("#rg-smooth-value").inner_text() == "0.99"
    # canvas pixels differ between two views
    pix = page2.evaluate("() => document.querySelector('.rg-chart canvas').toDataURL()")
    page2.uncheck("#rg-log")
    _wait_render(page2)
    assert page2.evaluate("() => document.querySelector('.rg-chart canvas').toDataURL()") != pix


LEGEND_LABEL_XY = """(label) => {
    const el = document.querySelector('.rg-chart[data-key="loss"]'), v = RG.views[el.id];
    let found = null;
    function walkItem(item, ox, oy) {
      if (found) return;
      const mark = item.mark;
      if (mark && mark.role === 'legend-label' && item.datum && item.datum.value === label) {
        const b = item.bounds; found = [ox + (b.x1 + b.x2) / 2, oy + (b.y1 + b.y2) / 2]; return;
      }
      if (mark && mark.marktype === 'group') {
        (item.items || []).forEach(m => walkMark(m, ox + (item.x || 0), oy + (item.y || 0)));
      }
    }
    function walkMark(m, ox, oy) { (m.items || []).forEach(it => walkItem(it, ox, oy)); }
    walkMark(v.scenegraph().root, 0, 0);
    const r = el.querySelector('canvas').getBoundingClientRect(), o = v.origin();
    return found && [r.left + o[0] + found[0], r.top + o[1] + found[1]];
}"""


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_legend_switches_a_run_off_and_on(controls_site, site_browser):
    page = site_browser.open(controls_site / "index.html")
    assert_charts_rendered(page)
    xy = page.evaluate(LEGEND_LABEL_XY, "run1")
    assert xy, "legend entry not found"
    page.mouse.click(*xy)
    page.wait_for_function("""() => { const el = document.querySelector('.rg-chart[data-key="loss"]');
        return !RG.views[el.id].data('rows').some(r => r.run === 'run1'); }""")
    info = _chart_info(page)
    assert info["runs"] == ["run0", "run2"]
    assert page.evaluate("""() => RG.views[document.querySelector('.rg-chart[data-key="loss"]').id]
        .scale('color').domain()""") == ["run0", "run1", "run2"]  # the legend keeps the entry
    other = page.evaluate("""() => RG.views[document.querySelector('.rg-chart[data-key="acc"]').id].data('rows')
        .some(r => r.run === 'run1')""")
    assert other  # only this chart
    page.mouse.click(*page.evaluate(LEGEND_LABEL_XY, "run1"))
    page.wait_for_function("""() => { const el = document.querySelector('.rg-chart[data-key="loss"]');
        return RG.views[el.id].data('rows').some(r => r.run === 'run1'); }""")


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_table_sort_filter_and_columns(controls_site, site_browser):
    page = site_browser.open(controls_site / "index.html")
    assert_charts_rendered(page)
    page.locator('#rg-runs th[data-col="config:lr"]').click()
    page.locator('#rg-runs th[data-col="config:lr"]').click()  # descending
    order = page.evaluate("() => [...document.querySelectorAll('#rg-runs tbody tr')].map(r => r.dataset.run)")
    assert order == ["run2", "run1", "run0"]
    page.fill('[data-filter="config:lr:min"]', "0.15")
    page.press('[data-filter="config:lr:min"]', "Enter")
    _wait_render(page)
    assert page.locator("#rg-runs tbody tr:not([hidden])").count() == 2
    assert _chart_info(page)["runs"] == ["run1", "run2"]
    page.fill("#rg-filter", "run2")
    _wait_render(page)
    assert _chart_info(page)["runs"] == ["run2"]
    page.locator(".rg-picker summary").click()
    page.locator('#rg-col-list input[data-col="config:opt"]').uncheck()
    assert page.locator('#rg-runs th[data-col="config:opt"]').count() == 0


def test_reloaded_data_updates_charts_in_place(controls_site, site_browser, tmp_path):
    page = site_browser.open(controls_site / "index.html")
    assert_charts_rendered(page)
    el = page.locator('.rg-chart[data-key="loss"] canvas')
    box = el.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)  # zoom in
    page.wait_for_timeout(300)
    zoomed = _chart_info(page)["x"]
    view_id = page.evaluate("() => document.querySelector('.rg-chart[data-key=\"loss\"]').id")
    # serve --watch re-injects the data file: here a changed copy under the same id
    text = (controls_site / "data/runs/run0.js").read_text()
    data_id, body = text[len("RG.receive("):].split(",", 1)
    payload = json.loads(body[:-3])
    for m in payload["m"].values():  # y (a base64 float32/float64 column) times 10
        if m["key"] == "loss":
            dt = {"f4": "<f4", "f8": "<f8"}[m["y"]["t"]]
            y = np.frombuffer(base64.b64decode(m["y"]["b"]), dt) * 10
            m["y"]["b"] = base64.b64encode(y.astype(dt).tobytes()).decode()
    page.evaluate("([id, p]) => RG.receive(id, p)", [json.loads(data_id), payload])
    page.wait_for_timeout(300)
    info = _chart_info(page)
    assert info["x"] == zoomed
    assert page.evaluate("(id) => Math.max(...RG.views[id].data('rows').filter(r => r.run === 'run0' && r.y !== null).map(r => r.y))",
                         view_id) > 5
    assert page.evaluate("(id) => document.getElementById(id).dataset.rendered", view_id) == "done"


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_many_runs_use_overview_files_and_few_runs_full_resolution(tmp_path, site_browser):
    root = tmp_path / "runs"
    for i in range(12):
        write_run(root, f"m{i:02d}", rows(2000, loss=lambda s, i=i: (i + 1) / (1 + s) + (s % 7) * 1e-3))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=600, chart_runs=100))  # all 12 drawn by default
    page = site_browser.open(out / "index.html")
    assert_charts_rendered(page, 1)
    info = _chart_info(page)
    assert len(info["runs"]) == 12 and info["n"] <= 12 * 102  # coarse overview series
    assert page.evaluate("() => Object.keys(RG.loaded)").count("overview/" + page.evaluate(
        "() => document.querySelector('.rg-chart').dataset.chart")) == 1
    for i in range(3):  # down to 9 runs: full resolution from the per-run files
        page.locator(f'#rg-runs tbody tr[data-run="m{i:02d}"] input[type=checkbox]').uncheck()
    _wait_render(page)
    info = _chart_info(page)
    assert len(info["runs"]) == 9 and info["n"] > 9 * 300  # --samples 600: 100-200 buckets of up to 3 points


def test_lines_join_points_in_x_order_when_the_clock_went_back(tmp_path, site_browser):
    # Vega's per-series sort is off (the page sorts); a run whose wall clock was set back an hour
    # mid-run must still be drawn left to right on the wall-time axis, not folded back on itself.
    root = tmp_path / "runs"
    data = rows(400, loss=wavy)
    for r in data[200:]:
        r["_timestamp"] -= 3600
    write_run(root, "clock", data)
    write_run(root, "plain", rows(400, loss=wavy))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    page = site_browser.open((out / "index.html").as_uri() + "#x=_timestamp")
    _wait_render(page)
    xs = page.evaluate("""() => {
        const v = RG.views[document.querySelector('.rg-chart[data-key="loss"]').id], out = {};
        (function walk(node) {
            (node.items || []).forEach(it => {
                if (it.marktype === 'line' && it.items && it.items.length) {
                    const d = it.items[0].datum; out[d.run] = it.items.map(p => p.datum.x);
                }
                walk(it);
            });
        })(v.scenegraph().root);
        return out;
    }""")
    assert sorted(xs) == ["clock", "plain"]
    for run, x in xs.items():
        assert len(x) > 100 and x == sorted(x), run


def test_overview_fold_keeps_ends_extremes_and_gaps(controls_site, site_browser):
    page = site_browser.open(controls_site / "index.html")
    got = page.evaluate("""() => {
        const n = 100, v = [];
        for (let i = 0; i < n; i++) v.push(Math.sin(i / 7));
        v[37] = 50; v[61] = -50; v[80] = null;   // a spike up, a spike down, a gap
        const bad = {90: "NaN"};                   // a NaN mark
        const idx = RG.charts.foldIndex([v], bad, 30);
        // smoothed line drawn over the raw one: the raw line's spike is kept too
        const sm = v.map((y, i) => y === null ? null : Math.cos(i / 9)), raw = v.slice();
        raw[12] = 99;
        return {idx: idx, none: RG.charts.foldIndex([v], bad, 100), again: RG.charts.foldIndex([v], bad, 30),
                both: RG.charts.foldIndex([sm, raw], bad, 30)};
    }""")
    idx = got["idx"]
    assert got["none"] is None  # short enough: every point
    assert idx == got["again"] and idx == sorted(set(idx))  # deterministic, in order, no repeats
    assert idx[0] == 0 and idx[-1] == 99 and {37, 61, 80, 90} <= set(idx)
    assert len(idx) <= 30 + 2  # the budget (plus the gap and the NaN kept on top)
    both = got["both"]
    assert {0, 12, 37, 61, 80, 90, 99} <= set(both) and len(both) <= 30 + 2 and both == sorted(set(both))


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_folded_overview_still_draws_a_raw_spike_under_smoothing(tmp_path, site_browser):
    # 250 runs: overview lines are folded to 24 of their ~100 points; with smoothing on, a one-step
    # spike in one run's raw values must survive in the faint raw line.
    root = tmp_path / "runs"
    for i in range(250):
        # rising (the smoothed extremes are at group ends) and jagged (~100 overview points a run)
        data = rows(300, loss=lambda s, i=i: float(20 * s + i + (s * 7919) % 13))
        if i == 7:
            data[123]["loss"] = 50000.0
        write_run(root, f"s{i:03d}", data)
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, chart_runs=1000))  # every run drawn by default
    page = site_browser.open((out / "index.html").as_uri() + "#smooth=0.99")
    _wait_render(page)
    got = page.evaluate("""() => {
        const v = RG.views[document.querySelector('.rg-chart[data-key="loss"]').id];
        const mine = v.data('rows').filter(r => r.run === 's007');
        return {n: mine.length, y: Math.max(...mine.map(r => r.y)), s: Math.max(...mine.map(r => r.s))};
    }""")
    assert got["n"] <= 40 and got["y"] == 50000.0 and got["s"] < 50000.0, got


def test_at_most_500_columns_with_a_note(tmp_path, site_browser):
    root = tmp_path / "runs"
    write_run(root, "wide", rows(5, loss=wavy), config={f"c{i:03d}": i for i in range(600)})
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    page = site_browser.open(out / "index.html")
    headers = page.locator("#rg-runs thead tr").first.locator("th").count()
    assert headers == 1 + 500  # selection column + 500 shown
    note = page.locator("#rg-col-note")
    assert note.is_visible() and "Showing 500 of" in note.inner_text()
    page.locator(".rg-picker summary").click()
    page.fill("#rg-col-filter", "c599")
    assert page.locator('#rg-col-list input[data-col="config:c000"]').count() == 0
    box = page.locator('#rg-col-list input[data-col="config:c599"]')
    box.click()  # at the limit: refused
    assert not box.is_checked()
    page.locator('#rg-col-list').locator("xpath=..").locator('[data-cols="none"]').click()
    box.click()
    assert page.locator('#rg-runs th[data-col="config:c599"]').count() == 1
