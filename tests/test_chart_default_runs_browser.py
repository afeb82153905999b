"""Charts draw, by default, the most recent runs *that logged their metric*: a metric only older runs
logged (a project whose last runs are a sweep logging fewer keys) was hidden on the index, under an
empty section heading, and a report's chart of a run selection without the latest runs drew nothing.
Both table paths: embedded (few runs) and the table data file (many runs; here from 6)."""
from __future__ import annotations

import re
from html import unescape

import orjson
import pytest

from reportgen.site import runs_data
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

T0 = 1_700_000_000.0
N, OLD = 14, 3  # runs; the OLD oldest alone log "opt/lr" (a section of its own)
REPORT = """---
title: old runs
---
{{< chart metric="opt/lr" >}}

{{< chart metric="loss" runs="old-*" >}}
"""


def write_runs(root):
    for i in range(N):
        name = f"old-{i}" if i < OLD else f"new-{i}"
        d = root / f"r{i:02d}"
        d.mkdir(parents=True)
        (d / "run.json").write_bytes(orjson.dumps({"format": 1, "id": d.name, "name": name, "project": "p",
                                                   "state": "finished", "created": T0 + 60 * i}))
        rows = [{"_step": s, "loss": 1 / (s + 1 + i), **({"opt/lr": 0.1 / (s + 1)} if i < OLD else {})} for s in range(5)]
        (d / "history.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    (root / "reports").mkdir()
    (root / "reports" / "old.md").write_text(REPORT, encoding="utf-8")


@pytest.fixture(scope="module", params=["inline", "table-file"])
def site(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    write_runs(tmp / "runs")
    mp = pytest.MonkeyPatch()
    if request.param == "table-file":
        mp.setattr(runs_data, "INLINE_TABLE_RUNS", 5)
    try:
        build(BuildConfig(tmp / "runs", tmp / "site", quiet=True, cache_dir=tmp / "c"))
    finally:
        mp.undo()
    return tmp / "site"


def drawn(page, key):
    page.locator(f'.rg-chart[data-key="{key}"]').scroll_into_view_if_needed(timeout=5000)
    page.wait_for_function("k => { const el = document.querySelector(`.rg-chart[data-key='${k}']`);"
                           " return el.dataset.rendered === 'done' && RG.views[el.id]; }", arg=key, timeout=20000)
    return page.evaluate("""k => { const el = document.querySelector(`.rg-chart[data-key='${k}']`);
        return [...new Set(RG.views[el.id].data('rows').map(r => r.run))].sort(); }""", key)


def notes(page):
    """The visible notes of charts drawing runs the table does not tick: chart key -> text."""
    return dict(page.evaluate("""() => [...document.querySelectorAll('.rg-chart-default')]
        .filter(n => n.getClientRects().length).map(n => [n.closest('.rg-chart').dataset.key, n.textContent])"""))


OLD_NAMES = sorted(f"old-{i}" for i in range(OLD))


@pytest.mark.vega_charts
def test_index_draws_a_metric_only_older_runs_logged(site, site_browser):
    page = site_browser.open(site / "index.html")
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length > 0", timeout=20000)
    assert drawn(page, "opt/lr") == OLD_NAMES
    assert len(drawn(page, "loss")) == 10 and "new-13" in drawn(page, "loss")
    # a chart drawing runs the table does not tick says so; one drawing the ticked runs says nothing
    assert notes(page) == {"opt/lr": "The latest 3 runs that logged opt/lr: none of them ticked in the table"}
    # no section is left as a heading over nothing
    empty = page.evaluate("""() => [...document.querySelectorAll('.rg-section')].filter(s => s.getClientRects().length
        && s.querySelector('.rg-chart') && ![...s.querySelectorAll('.rg-chart')].some(c => c.getClientRects().length))
        .map(s => s.querySelector('h2').textContent)""")
    assert empty == []
    # runs ticked in the table are exactly what every chart draws; a section whose charts none of them
    # logged is hidden with its charts
    page.goto((site / "index.html").as_uri() + "#runs=r13,r12")
    page.reload()
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length > 0", timeout=20000)
    assert drawn(page, "loss") == ["new-12", "new-13"]
    assert page.locator('.rg-chart[data-key="opt/lr"]').is_hidden()
    assert notes(page) == {}
    assert page.evaluate("""() => [...document.querySelectorAll('.rg-section')].filter(s => s.getClientRects().length
        && s.querySelector('.rg-chart') && ![...s.querySelectorAll('.rg-chart')].some(c => c.getClientRects().length))
        .length""") == 0


@pytest.mark.vega_charts
def test_report_chart_of_older_runs_is_drawn(site, site_browser):
    page = site_browser.open(site / "reports" / "old.html")
    assert drawn(page, "opt/lr") == OLD_NAMES
    assert drawn(page, "loss") == OLD_NAMES
    assert notes(page) == {}  # no runs table: nothing ticked to differ from


def page_runs(site):
    """The run entries the index embeds, and each chart's runs (data-runs)."""
    html = (site / "index.html").read_text(encoding="utf-8")
    body = html.split('id="rg-site">', 1)[1].split("</script>", 1)[0]
    charts = dict(re.findall(r'data-key="([^"]+)"[^>]*?data-runs="([^"]*)"', html))
    return {r["f"] for r in orjson.loads(body)["runs"]}, {k: orjson.loads(unescape(v)) for k, v in charts.items()}


def test_the_page_holds_each_charts_default_runs(site):
    """The table file's path embeds, for each chart, its own 10 most recent runs (r00-r02 alone logged
    opt/lr) and the 10 most recent of all (r04-r13, the table's ticks): not r03, at most 10 a chart."""
    embedded, charts = page_runs(site)
    if not (site / "data" / "table" / "all.js").exists():
        assert len(embedded) == N
        return
    assert charts["opt/lr"] == ["r00", "r01", "r02"]
    assert charts["loss"] == [f"r{i:02d}" for i in range(4, N)]
    assert embedded == {f"r{i:02d}" for i in range(N)} - {"r03"}


LAYOUT = """() => { const top = document.querySelector('.rg-section').getBoundingClientRect().top;
    return [...document.querySelectorAll('.rg-section, .rg-chart')].map(e => {
        const b = e.getBoundingClientRect();
        return [e.dataset.key || e.querySelector('h2').textContent, !!e.getClientRects().length, Math.round(b.top - top),
                Math.round(b.height)]; }); }"""


@pytest.mark.vega_charts
def test_charts_of_older_runs_are_laid_out_before_the_table_file(site, site_browser):
    """With the table's data in a file, every chart's default runs are in the page: the chart of a
    metric only older runs logged is drawn, and its section shown, while that file is still held
    back, and nothing below the table moves when it arrives."""
    if not (site / "data" / "table" / "all.js").exists():
        pytest.skip("the table is embedded: no data file to hold back")
    held = []
    page = site_browser.new_page()
    page.route("**/data/table/all.js", lambda route, request: held.append(route))
    page.goto((site / "index.html").as_uri())
    assert drawn(page, "opt/lr") == OLD_NAMES
    assert len(drawn(page, "loss")) == 10 and "new-13" in drawn(page, "loss")
    page.wait_for_function("() => document.querySelectorAll('.rg-chart[data-rendered=\"pending\"]').length === 0")
    assert page.evaluate("() => document.getElementById('rg-runs').textContent").startswith("Loading the table")
    assert notes(page) == {"opt/lr": "The latest 3 runs that logged opt/lr: none of them ticked in the table"}
    before = page.evaluate(LAYOUT)
    assert all(shown for _, shown, _, _ in before), before
    for _ in range(100):  # the page asks for the table once its first charts are drawn (or after 2 s)
        if held:
            break
        page.wait_for_timeout(100)  # (lets Playwright call the route handler)
    assert len(held) == 1
    held[0].continue_()
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length > 0", timeout=20000)
    assert drawn(page, "opt/lr") == OLD_NAMES
    assert page.evaluate(LAYOUT) == before
