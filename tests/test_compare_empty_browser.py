"""The compare page with nothing to compare shows one message, not counts over empty sections.

Built from a folder without runs it said "Compare runs 0", "Runs 0" over an empty table and
"No numeric metrics logged yet."; with runs but none ticked it said "Compare runs 0" and
"Charts 3" over an empty grid. Now: one message (and the runs table, when there are runs to
tick). Failed before the fix (assets/compare.js, reportgen.css)."""
from __future__ import annotations

import pytest

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from site_runs import rows, wavy, write_run

SHOWN = """() => Array.from(document.querySelectorAll('.rg-main h1, .rg-main h2, .rg-main p, .rg-main table'))
  .filter(e => e.getClientRects().length && (e.tagName !== 'TABLE' || e.rows.length))
  .map(e => e.tagName === 'TABLE' ? 'table#' + e.id : e.innerText.replace(/\\s+/g, ' ').trim())
  .filter(t => t)"""


def open_at(site_browser, path, width):
    page = site_browser.new_page()
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 800})
    page.goto(path.resolve().as_uri())
    return page


@pytest.mark.parametrize("width", [1280, 390])
def test_no_runs_one_message(tmp_path, site_browser, width):
    (tmp_path / "runs").mkdir()
    build(BuildConfig(runs=tmp_path / "runs", out=tmp_path / "site", quiet=True))
    page = open_at(site_browser, tmp_path / "site/compare.html", width)
    shown = page.evaluate(SHOWN)
    assert shown == ["Compare runs", "No runs to compare yet: this site was built from a folder without runs. "
                     "Log runs with reportgen, then build the site again."], shown
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"compare-none-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_none_selected_one_message_then_charts(tmp_path, site_browser, width):
    for rid in ("a", "b"):
        write_run(tmp_path / "runs", rid, rows(5, loss=wavy, acc=lambda s: s / 5))
    build(BuildConfig(runs=tmp_path / "runs", out=tmp_path / "site", quiet=True))
    page = open_at(site_browser, tmp_path / "site/compare.html", width)
    shown = page.evaluate(SHOWN)
    assert shown[:2] == ["Compare runs", "Tick two or more runs in the table below: their config and summary "
                         "differences and overlaid charts appear here."], shown
    assert not [t for t in shown[2:] if t.lower().startswith("charts") or "no numeric" in t.lower()], shown
    assert "table#rg-runs" in shown
    page.screenshot(path=str(tmp_path / f"compare-unticked-{width}.png"), full_page=True)
    page.locator("#rg-select-all").click()
    page.wait_for_function("() => document.querySelectorAll('#rg-diff tr').length > 0")
    shown = page.evaluate(SHOWN)
    assert shown[0] == "Compare runs 2" and any(t.upper() == "CHARTS 2" for t in shown), shown
    assert page.locator(".rg-controls").is_visible() or width < 600
