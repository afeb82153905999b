"""A site of many runs people can open: charts draw a bounded default selection (the most recent
runs), the runs table's data is a file loaded after the first charts (the page embeds only the
drawn runs), the table is paged and searchable, and data of runs not drawn is never requested."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from scale_runs import write_runs  # noqa: E402

from reportgen.site import runs_data  # noqa: E402
from reportgen.site.builder import build  # noqa: E402
from reportgen.site.config import BuildConfig  # noqa: E402

N = 130


@pytest.fixture(scope="module")
def big_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("many")
    write_runs(tmp / "runs", N, n_metrics=2, n_steps=30)
    mp = pytest.MonkeyPatch()
    mp.setattr(runs_data, "INLINE_TABLE_RUNS", 50)  # the file path without building 500+ runs
    try:
        build(BuildConfig(tmp / "runs", tmp / "site", quiet=True, cache_dir=tmp / "c", chart_runs=4))
    finally:
        mp.undo()
    return tmp / "site"


def _data_requests(page) -> list[str]:
    return [u.split("/data/")[1] for u in page._seen if "/data/" in u]


def _open(site_browser, url):
    seen: list[str] = []
    site_browser.context.on("request", lambda r: seen.append(r.url))
    page = site_browser.open(url)
    page._seen = seen
    return page


def _drawn(page, chart=0) -> list[str]:
    return page.evaluate(f"""() => {{
        const el = document.querySelectorAll('.rg-chart')[{chart}], v = RG.views[el.id];
        return v ? [...new Set(v.data('rows').map(r => r.run))].sort() : null; }}""")


def _wait_table(page):
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length > 0", timeout=20000)


def test_index_embeds_only_the_drawn_runs(big_site):
    html = (big_site / "index.html").read_text()
    assert "r00000" not in html and "run-0\"" not in html  # the oldest run is only in the table file
    assert all(f"r{i:05d}" in html for i in range(N - 4, N))  # the four most recent are drawn
    table = (big_site / "data/table/all.js").read_text()
    assert table.startswith('RG.receive("table/all",') and all(f'"r{i:05d}"' in table for i in range(N))
    assert (big_site / "data/table/configs.js").is_file()
    assert len((big_site / "index.html").read_bytes()) < 60_000
    # page weight: the metric charts of a page share one Vega-Lite spec (their key is the title)
    run_page = (big_site / "runs/r00003/index.html").read_text()
    assert run_page.count('id="rg-spec-base"') == 1 and 'class="rg-spec"' not in run_page
    assert len(run_page) < 12_000


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_default_selection_table_and_picking_other_runs(big_site, site_browser):
    page = _open(site_browser, big_site / "index.html")
    page.wait_for_function("() => document.querySelector('.rg-chart[data-rendered=done]')", timeout=20000)
    _wait_table(page)
    recent = [f"run-{i}" for i in range(N - 4, N)]
    assert _drawn(page) == sorted(recent)
    req = _data_requests(page)
    assert "table/all.js" in req and not any(r.startswith(("overview", "table/configs")) for r in req)
    # only the drawn runs' data: never a file of a run that is not drawn
    assert {r.rsplit("/", 1)[1] for r in req if r.startswith("runs/")} <= {f"r{i:05d}.js" for i in range(N - 4, N)}
    assert page.locator("#rg-run-count").inner_text() == str(N)
    assert page.locator("#rg-runs tbody tr").count() == 100  # one page of rows
    assert "1–100 of 130" in page.locator("#rg-pager").inner_text()
    page.locator("#rg-pager button", has_text="Next").click()
    assert page.locator("#rg-runs tbody tr").count() == 30
    # search finds an old run (not drawn); ticking it adds it to what is drawn (the default
    # selection of the filtered table: the 4 most recent runs matching "run-7")
    page.fill("#rg-filter", "run-7")
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length < 20")
    page.locator('#rg-runs tbody tr[data-run="r00007"] input[type=checkbox]').check()
    page.wait_for_function("() => location.hash.includes('runs=r00007')")
    page.fill("#rg-filter", "")
    page.wait_for_function("() => { const el = document.querySelector('.rg-chart'), v = RG.views[el.id];"
                           " return v && v.data('rows').some(r => r.run === 'run-7'); }", timeout=20000)
    assert _drawn(page) == ["run-7", "run-76", "run-77", "run-78", "run-79"]
    assert "runs/" in " ".join(_data_requests(page)) and any(r.endswith("/r00007.js") for r in _data_requests(page))
    # "Draw latest" changes the default selection
    page.goto((big_site / "index.html").as_uri() + "#n=6")
    page.reload()
    _wait_table(page)
    page.wait_for_function("() => { const el = document.querySelector('.rg-chart'), v = RG.views[el.id];"
                           " return v && new Set(v.data('rows').map(r => r.run)).size === 6; }", timeout=20000)
    assert page.locator("#rg-selected-count").inner_text() == f"6 of {N} selected"


def test_compare_page_loads_configs_with_the_table(big_site, site_browser):
    page = _open(site_browser, (big_site / "compare.html").as_uri() + "#runs=r00001,r00002")
    page.wait_for_function("() => document.querySelectorAll('#rg-diff tr').length > 1", timeout=20000)
    text = page.locator("#rg-diff").inner_text()
    assert "run-1" in text and "run-2" in text and "lr" in text
    assert not any(r.startswith("overview") for r in _data_requests(page))


@pytest.mark.parametrize("width", [390])
def test_phone_width(big_site, site_browser, width):
    page = _open(site_browser, big_site / "index.html")
    page.set_viewport_size({"width": width, "height": 844})
    _wait_table(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1
