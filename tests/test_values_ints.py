"""Integers as a wandb user logged them: 999 stays 999 (not 999.0) in the runs table's data, on screen
and in its CSV; 2**64 and 10**400 come back from the Api as the ints they are (wandb's Api gives
Python ints), and the site shows and exports their exact digits (docs/format.md)."""
from __future__ import annotations

import json

import reportgen
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

HUGE = 10**400
QUIET = {"console": "off", "x_disable_stats": True, "x_disable_meta": True}


def _logged(runs):
    run = reportgen.init(project="p", id="a", dir=runs, settings=QUIET,
                         config={"c": 999, "cf": 1.0, "k": 2**64, "n": HUGE})
    run.log({"i": 999, "f": 1.0, "g": 2**64})
    run.summary["h"] = HUGE
    run.summary.update({"neg": -HUGE})
    run.finish()


def test_the_api_reads_ints_back_as_ints(tmp_path):
    """2**64 came back as 1.8446744073709552e+19 and 10**400 as inf (read as orjson reads JSON)."""
    _logged(tmp_path / "runs")
    run = reportgen.Api(tmp_path / "runs").run("a")
    summary = dict(run.summary)
    assert [(summary[k], type(summary[k])) for k in ("i", "f", "g", "h", "neg")] == [
        (999, int), (1.0, float), (2**64, int), (HUGE, int), (-HUGE, int)]
    assert run.config == {"c": 999, "cf": 1.0, "k": 2**64, "n": HUGE}
    assert type(run.config["c"]) is int and type(run.config["cf"]) is float


def test_an_int_past_pythons_parsing_bound_is_not_parsed(tmp_path):
    """An untrusted summary.json holding a 100,000-digit int: Python's own bound on parsing one (4,300
    digits, its work grows as the square) holds here too: it reads as a float (inf), quickly."""
    from reportgen.storage.jsonio import INT_DIGITS, loads

    assert loads('{"x": %s}' % ("9" * INT_DIGITS), exact_ints=True)["x"] == 10**INT_DIGITS - 1
    assert loads('{"x": -%s}' % ("9" * 100_000), exact_ints=True)["x"] == float("-inf")


def test_the_runs_table_shows_and_exports_ints_as_ints(tmp_path, site_browser):
    """The build wrote every summary and config number as a float (999.0, 1.8446744073709552e+19, and
    "Infinity" for 10**400); the table showed 2**64 as 1.84467e+19 and exported 18446744073709552000."""
    runs, out = tmp_path / "runs", tmp_path / "site"
    _logged(runs)
    build(BuildConfig(runs=runs, out=out, quiet=True))
    page = site_browser.open(out / "index.html")
    data = page.evaluate("() => RG.site.runs[0]")
    assert {k: data["s"][k] for k in ("i", "f", "g", "h", "neg")} == {
        "i": 999, "f": 1.0, "g": str(2**64), "h": str(HUGE), "neg": str(-HUGE)}
    assert data["c"] == {"c": 999, "cf": 1.0, "k": str(2**64), "n": str(HUGE)}
    html = (out / "index.html").read_text()
    assert '"i":999,' in html and '"c":999,' in html and '"i":999.0' not in html
    shown = page.evaluate("""() => { var t = RG.table.visible(); return {cols: t.cols, rows: t.rows,
        csv: RG.tableCsv.text(t), text: t.rows[0].map(function (v) { return RGFormat.number(v); })}; }""")
    cell = dict(zip(shown["cols"], shown["text"]))
    assert {k: cell[k] for k in ("summary:i", "summary:f", "summary:g", "config:c", "config:k")} == {
        "summary:i": "999", "summary:f": "1", "summary:g": str(2**64), "config:c": "999", "config:k": str(2**64)}
    header, row = shown["csv"].splitlines()[:2]
    csv = dict(zip(header.split(","), row.split(",")))
    assert {k: csv[k] for k in ("summary:i", "summary:f", "summary:g", "summary:h", "config:n")} == {
        "summary:i": "999", "summary:f": "1", "summary:g": str(2**64), "summary:h": str(HUGE), "config:n": str(HUGE)}
    assert json.loads((runs / "a" / "summary.json").read_text())["h"] == HUGE  # (stored exactly, as before)


def test_a_resumed_run_keeps_its_ints(tmp_path):
    """resume="allow" read the run's config and summary back with ints past 64 bits as floats and wrote
    them so: 2**64 became 1.8446744073709552e+19 in summary.json and config.json, 10**400 Infinity."""
    runs = tmp_path / "runs"
    _logged(runs)
    again = reportgen.init(project="p", id="a", dir=runs, resume="allow", settings=QUIET)
    again.log({"i": 1000})
    again.summary["late"] = 1
    again.finish()
    summary = json.loads((runs / "a" / "summary.json").read_text())
    config = json.loads((runs / "a" / "config.json").read_text())
    assert (summary["g"], summary["h"], summary["neg"], summary["i"], summary["late"]) == (2**64, HUGE, -HUGE, 1000, 1)
    assert config == {"c": 999, "cf": 1.0, "k": 2**64, "n": HUGE}
