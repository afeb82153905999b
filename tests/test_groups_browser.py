"""Grouped charts, the runs table's tools and the compare page, operated in Chromium (issue 16)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from browser import render_all_charts
from groups_fixture import OFFSETS, make_runs
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

LOSS = "document.querySelector('.rg-chart[data-key=\"loss\"]').id"
GROUP_ROWS = f"(g) => RG.views[{LOSS}].data('rows').filter(r => r.run === g && r.m === undefined)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = make_runs(tmp_path_factory.mktemp("groups") / "runs")
    out = root.parent / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    return out


def _open(site_browser, site, page="index.html", hash=""):
    pg = site_browser.open(f"{(site / page).resolve().as_uri()}{hash}")
    render_all_charts(pg)
    return pg


def _wait_rows(pg, cond):
    pg.wait_for_function(f"() => {{ const rows = RG.views[{LOSS}].data('rows'); return {cond}; }}")


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_group_lines_and_band_cover_the_runs_at_any_sampling_level(site, site_browser):
    pg = _open(site_browser, site)
    pg.select_option("#rg-group-by", "group")  # operate the control
    _wait_rows(pg, "rows.some(r => r.run === 'group: A')")
    assert "g=group" in pg.url
    assert pg.evaluate(f"RG.views[{LOSS}].scale('color').domain()") == ["group: A", "group: B"]
    a_all = pg.evaluate(GROUP_ROWS, "group: A")
    assert pg.evaluate("RG.charts.useOverview(RG.site.runs.map(r => r.f))")  # 12 runs: overview files
    assert len(a_all) > 30
    spread = max(OFFSETS["A"]) - min(OFFSETS["A"])
    for r in a_all[1:]:  # the band spans the runs (offsets 0..1 apart, noise ±0.05), the line is inside it
        assert r["lo"] <= r["y"] <= r["hi"]
        assert abs((r["hi"] - r["lo"]) - spread) < 0.15, r
        fx = 1 / (1 + r["x"] / 50)
        assert r["lo"] <= min(OFFSETS["A"]) + fx + 0.1 and r["hi"] >= max(OFFSETS["A"]) + fx - 0.1
    assert not pg.evaluate(f"RG.views[{LOSS}].data('rows').some(r => r.m !== undefined)")  # runs hidden by default
    pg.select_option("#rg-group-runs", "faint")
    _wait_rows(pg, "rows.some(r => r.m !== undefined)")
    members = pg.evaluate(f"RG.views[{LOSS}].data('rows').filter(r => r.m !== undefined).map(r => r.m)")
    assert set(members) == {f"r{g}{j}" for g in "AB" for j in range(6)}  # runs drawn faintly
    pg.select_option("#rg-group-band", "std")
    _wait_rows(pg, "rows.some(r => r.run === 'group: A') && location.hash.includes('gband=std')")
    a_std = pg.evaluate(GROUP_ROWS, "group: A")
    assert all(s["hi"] - s["lo"] < m["hi"] - m["lo"] for s, m in zip(a_std[1:], a_all[1:]))
    pg.select_option("#rg-group-runs", "hide")
    _wait_rows(pg, "!rows.some(r => r.m !== undefined)")
    # the same group drawn from the runs' full-resolution files (6 runs): the same band
    only_a = ",".join(f"rA{j}" for j in range(6))
    pg2 = _open(site_browser, site, hash=f"#runs={only_a}&g=group")
    _wait_rows(pg2, "rows.some(r => r.run === 'group: A')")
    assert pg2.evaluate("Object.keys(RG.loaded).some(k => k.startsWith('runs/'))")  # full (per-run) files drawn
    assert pg2.evaluate(GROUP_ROWS, "group: A") == a_all
    # smoothing and the x axis choice apply to the group lines
    pg3 = _open(site_browser, site, hash="#x=_runtime&smooth=0.9&g=group")
    _wait_rows(pg3, "rows.some(r => r.run === 'group: A')")
    a_rt = pg3.evaluate(GROUP_ROWS, "group: A")
    assert 250 < max(r["x"] for r in a_rt) < 300  # _runtime = step / 2
    def wiggle(rows):  # total variation of the mean line after its steep start
        ys = [r["y"] for r in rows[10:]]
        return sum(abs(a - b) for a, b in zip(ys, ys[1:]))
    assert wiggle(a_rt) < 0.7 * wiggle(a_all)  # the smoothed runs make a smoother group line


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_runs_table_filter_count_summary_mode_csv_and_run_marks(site, site_browser):
    every = ",".join(f"r{g}{j}" for g in "AB" for j in range(6))  # explicit: the default selection follows the filter
    pg = _open(site_browser, site, hash=f"#runs={every}")
    pg.locator("#rg-filter").press_sequentially("loss < 1")  # applies as you type: no Enter
    pg.wait_for_function("document.querySelectorAll('#rg-runs tbody tr:not([hidden])').length === 5")
    assert pg.locator("#rg-selected-count").text_content() == \
        "5 of 12 shown, 5 selected (7 more selected, hidden by the filter)"
    pg.locator('#rg-runs tr[data-run="rA0"] input[type=checkbox]').uncheck()
    assert pg.locator("#rg-selected-count").text_content() == \
        "5 of 12 shown, 4 selected (7 more selected, hidden by the filter)"
    pg.select_option("#rg-sagg", "min")
    pg.wait_for_function("location.hash.includes('sagg=min')")
    with pg.expect_download() as dl:
        pg.click("#rg-table-csv")
    table = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    assert [r["Name"] for r in table] == ["rA0", "rA1", "rA2", "rA3", "rA5"]
    hist = [json.loads(line) for line in (site.parent / "runs/rA1/history.jsonl").read_text().splitlines()]
    assert float(table[1]["summary:loss"]) == pytest.approx(min(h["loss"] for h in hist))
    assert float(table[1]["summary:loss"]) < hist[-1]["loss"]  # not the summary (last) value
    pg.select_option("#rg-sagg", "best")  # acc has define_metric(goal="maximize"): best is its max
    with pg.expect_download() as dl:
        pg.click("#rg-table-csv")
    table = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
    assert float(table[1]["summary:acc"]) == pytest.approx(max(h["acc"] for h in hist))
    assert float(table[1]["summary:loss"]) == pytest.approx(min(h["loss"] for h in hist))

    pg = _open(site_browser, site, hash="#runs=rA0,rA1,rA2")
    pg.locator('#rg-runs tr[data-run="rA1"] input[type=color]').fill("#00ff00")
    pg.wait_for_function(f"RG.views[{LOSS}].scale('color').range().includes('#00ff00')")
    assert "colors=rA1:00ff00" in pg.url
    pg.locator('#rg-runs tr[data-run="rA0"] button[data-tool="pin"]').click()
    # drawn last, on top: its rows come last in the chart's data (the drawing order)
    _wait_rows(pg, "rows.length && rows[rows.length - 1].run === 'rA0' && rows[0].run !== 'rA0'")
    pg.locator('#rg-runs tr[data-run="rA2"] button[data-tool="hide"]').click()
    _wait_rows(pg, "!rows.some(r => r.run === 'rA2') && rows.some(r => r.run === 'rA0')")
    assert "pin=rA0" in pg.url and "hide=rA2" in pg.url
    assert pg.locator('#rg-runs tr[data-run="rA2"]').is_visible()  # still in the table, to show again


def test_compare_page_shows_config_and_summary_differences(site, site_browser):
    pg = site_browser.open(f"{(site / 'compare.html').resolve().as_uri()}#runs=rA0,rA1,rB0")
    pg.wait_for_selector("#rg-diff tbody tr.rg-differs")
    keys = pg.evaluate("[...document.querySelectorAll('#rg-diff tbody tr[data-key]')].map(r => r.dataset.key)")
    assert keys == ["config:lr", "config:opt", "config:seed", "summary:acc", "summary:loss"]  # batch is the same
    lr = pg.locator('#rg-diff tr[data-key="config:lr"] td.rg-diff-cell').all_inner_texts()
    assert lr == ["0.1", "0.1", "0.01"]
    pg.uncheck("#rg-diff-only")
    pg.wait_for_selector('#rg-diff tr[data-key="config:batch"].rg-same')
    assert "diff=0" in pg.url
    assert pg.locator('#rg-diff tr[data-key="config:batch"] td.rg-diff-cell').count() == 0


@pytest.mark.parametrize("width", [1440, 390])
def test_pages_fit_the_screen(site, site_browser, width, tmp_path):
    for page, hash in (("index.html", "#g=group"), ("compare.html", "#runs=rA0,rB0&g=group")):
        pg = site_browser.open(f"{(site / page).resolve().as_uri()}{hash}")
        pg.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
        render_all_charts(pg)
        assert pg.evaluate("document.documentElement.scrollWidth") <= width, page


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_phone_controls_bar_folds_to_one_row_and_unfolds(site, site_browser):
    """On a phone the sticky controls bar took ~176 px of an 844 px screen; it now keeps the search
    row and a Settings button, which unfolds every control (grouping included)."""
    pg = site_browser.open((site / "index.html").resolve().as_uri())
    pg.set_viewport_size({"width": 390, "height": 844})
    render_all_charts(pg)
    bar = "document.getElementById('rg-controls').getBoundingClientRect().height"
    folded = pg.evaluate(bar)
    assert folded < 70, folded
    assert not pg.is_visible("#rg-group-by") and not pg.is_visible("#rg-x")
    assert pg.is_visible("#rg-panel-search")
    pg.click("#rg-controls-more")
    assert pg.get_attribute("#rg-controls-more", "aria-expanded") == "true"
    assert pg.is_visible("#rg-group-by") and pg.is_visible("#rg-x") and pg.evaluate(bar) > folded
    pg.select_option("#rg-group-by", "group")
    _wait_rows(pg, "rows.some(r => r.run === 'group: A')")
    pg.set_viewport_size({"width": 1440, "height": 900})  # wide: nothing folds, no button
    assert not pg.is_visible("#rg-controls-more") and pg.is_visible("#rg-x")
