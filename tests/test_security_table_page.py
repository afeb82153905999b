"""Issue 12: a logged table may not make the run page hang.

The run page's table keeps one page of 25 rows in the DOM, with every cell of each: a logged
table of 20,000 columns (a 1 MB file) hung the tab for 25 s. The page shows the first 1,000
columns, with a warning naming the run and key; a row never has more cells than the table has
columns (one of 20,000 cells under two columns is cut to two)."""
from __future__ import annotations

import json

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig



def _table_run(tmp_path, tables: dict, nrows: int, report_key: str) -> None:
    """Run ``a`` logging each of ``tables`` (key: table JSON) at step 0, and a report showing ``report_key``."""
    d = tmp_path / "runs" / "a"
    (d / "media" / "table").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    row = {"_step": 0, "loss": 1.0}
    for key, table in tables.items():
        (d / "media" / "table" / f"{key}.json").write_text(json.dumps(table))
        row[key] = {"_type": "table", "path": f"media/table/{key}.json", "ncols": len(table["columns"]), "nrows": nrows}
    (d / "history.jsonl").write_text(json.dumps(row) + "\n")
    (tmp_path / "runs" / "reports").mkdir()
    (tmp_path / "runs" / "reports" / "r.md").write_text(f'# r\n\n{{{{< media key="{report_key}" run="a" >}}}}\n')

def test_a_table_shows_at_most_a_thousand_columns(tmp_path, site_browser):
    wide = {"columns": [f"c{i}" for i in range(20_000)], "data": [[i] * 20_000 for i in range(20)]}
    long_rows = {"columns": ["a", "b"], "data": [[1, 2, *range(20_000)] for _ in range(20)]}
    _table_run(tmp_path, {"wide": wide, "long": long_rows}, 20, report_key="wide")
    out = tmp_path / "site"
    res = build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    assert res.warnings == ["run a: media wide (step 0): table: only the first 1,000 of 20,000 columns are shown"]
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.rgp-table').forEach(el => el.scrollIntoView());
                   return document.querySelectorAll('.rgp-table table').length === 2; }""", timeout=8000)
    page.wait_for_function("() => true", timeout=3000)
    cells = page.evaluate("() => Array.from(document.querySelectorAll('.rgp-table table')).map("
                          "t => [t.querySelectorAll('th').length, t.querySelector('tbody tr').children.length])")
    assert sorted(cells) == [[2, 2], [1000, 1000]]
    report = (out / "reports" / "r.html").read_text()  # a report's table: 20 rows, 1,000 columns
    assert report.count("<td") == 20 * 1000 and "First 1,000 of 20,000 columns." in report


def test_long_cells_are_cut_and_the_whole_table_is_linked(tmp_path, site_browser):
    """25 logged cells of a megabyte (one page of the table) blocked the tab for 17 s. A cell's
    text is cut at 1,000 characters (fewer in a wide table) with how long it was; the table's file
    is published with the site and linked, on the run page and in a report."""
    big = {"columns": ["i", "text", "list"], "data": [[i, f"{i}:" + "x" * 1_000_000, [i] * 300_000] for i in range(25)]}
    small = {"columns": ["i", "text"], "data": [[1, "short"], [2, "y" * 1000]]}
    _table_run(tmp_path, {"big": big, "small": small}, 25, report_key="big")
    out = tmp_path / "site"
    res = build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    assert res.warnings == ["run a: media big (step 0): table: 50 cell(s) longer than 1,000 characters are cut on "
                            "the page (the whole table: media/a/table/big.json)"]
    assert json.loads((out / "media/a/table/big.json").read_text()) == big  # the whole values
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.rgp-table').forEach(el => el.scrollIntoView());
                   return document.querySelectorAll('.rgp-table table').length === 2; }""", timeout=8000)
    page.wait_for_function("() => true", timeout=3000)
    cells = page.evaluate("() => Array.from(document.querySelectorAll('.rgp-table td')).map(td => td.textContent)")
    assert max(len(c) for c in cells) < 1100
    assert "0:" + "x" * 998 + "… (1,000,002 characters)" in cells and "y" * 1000 in cells
    links = page.evaluate("() => Array.from(document.querySelectorAll('.rgp-table-full a')).map(a => a.href)")
    assert links == [(out / "media/a/table/big.json").resolve().as_uri()]
    report = site_browser.open(out / "reports/r.html")
    cells = report.evaluate("() => Array.from(document.querySelectorAll('.rg-table td')).map(td => td.textContent)")
    assert len(cells) == 75 and max(len(c) for c in cells) < 1100
    assert report.evaluate("() => document.querySelector('.rg-report-media a[href$=\"big.json\"]').textContent") \
        == "the whole table (JSON)"


def test_a_table_shows_at_most_100000_rows(tmp_path, site_browser):
    """Only an INCREMENTAL table's rows were capped: a plain logged table of 1,000,000 rows went
    to the page whole (its filter and sort index every row). The page shows the first 100,000,
    with a warning naming the run and key; the whole file is published with the site."""
    d = tmp_path / "runs" / "a"
    (d / "media" / "table").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    table = {"columns": ["i", "s"], "data": [[i, f"r{i}"] for i in range(1_000_000)]}
    (d / "media" / "table" / "t.json").write_text(json.dumps(table))
    row = {"_step": 0, "t": {"_type": "table", "path": "media/table/t.json", "ncols": 2, "nrows": 1_000_000}}
    (d / "history.jsonl").write_text(json.dumps(row) + "\n")
    out = tmp_path / "site"
    res = build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    assert res.warnings == ["run a: media t (step 0): table: only the first 100,000 of 1,000,000 rows are shown "
                            "(the whole table: media/a/table/t.json)"]
    assert (out / "media/a/table/t.json").stat().st_size == (d / "media/table/t.json").stat().st_size
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.rgp-table').forEach(el => el.scrollIntoView());
                   return document.querySelectorAll('.rgp-table table').length === 1; }""", timeout=15_000)
    assert page.locator(".rgp-table-info").text_content() == "rows 1–25 of 100000"
