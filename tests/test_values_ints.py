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


def test_the_api_reads_history_and_run_json_ints_back_as_ints(tmp_path):
    """history() and scan_history() read 2**64 as 1.8446744073709552e+19 and 10**400 as inf, and a
    run.json field (here one another tool wrote) as orjson reads it, where wandb's Api gives ints."""
    runs = tmp_path / "runs"
    _logged(runs)
    run = reportgen.init(project="p", id="b", dir=runs, settings=QUIET)
    run.log({"g": 2**64, "h": HUGE, "neg": -2**70, "i": 7})
    run.log({"g": 2**64 + 1, "i": 8})
    for i in range(600):  # (the reader looks for such ints a batch of lines at a time: a few batches)
        run.log({"late": 2**64 + i if i in (300, 599) else i})
    run.finish()
    meta_file = runs / "b" / "run.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "seed": 2**64, "huge": HUGE}))
    api_run = reportgen.Api(runs).run("b")
    assert (api_run.meta["seed"], api_run.meta["huge"], api_run.state) == (2**64, HUGE, "finished")
    scanned = [{k: r.get(k) for k in ("g", "h", "neg", "i")} for r in api_run.scan_history(max_step=2)]
    assert scanned == [{"g": 2**64, "h": HUGE, "neg": -2**70, "i": 7}, {"g": 2**64 + 1, "h": None, "neg": None, "i": 8}]
    assert [type(r["g"]) for r in api_run.scan_history(keys=["g"])] == [int, int]
    late = [r["late"] for r in api_run.scan_history(keys=["late"])]
    assert (late[299:302], late[-1], type(late[0])) == ([299, 2**64 + 300, 301], 2**64 + 599, int)
    assert [r["g"] for r in api_run.history(keys=["g", "h"], pandas=False)] == [2**64, 2**64 + 1]
    frame = api_run.history(keys=["g", "h"])
    assert list(frame["g"]) == [2**64, 2**64 + 1] and frame["h"][0] == HUGE
    assert (api_run.summary["g"], api_run.summary["late"], type(api_run.summary["i"])) == (2**64 + 1, 2**64 + 599, int)


KILLED = """
import sys, time, reportgen
run = reportgen.init(project="p", id="k", dir=sys.argv[1], settings={"console": "off", "x_disable_stats": True,
                     "x_disable_meta": True})
run.log({"g": 2**64, "h": 10**400, "i": 1})
print("logged", flush=True)
time.sleep(60)
"""


def test_a_killed_runs_last_ints_stay_ints(tmp_path):
    """A run killed (SIGKILL) before its summary.json had its last row: the Api completes the summary
    from history, and read 2**64 there as a float; init(resume="allow") wrote it back so."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO

    runs = tmp_path / "runs"
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(runs)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "logged"
        history = runs / "k" / "history.jsonl"
        deadline = time.monotonic() + 30
        while b'"g"' not in (history.read_bytes() if history.exists() else b"") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # its summary.json as it is when the kill comes before the writer wrote it after the row's flush (or a
    # large summary's writes are spaced out): older than the history, which holds the last row alone
    (runs / "k" / "summary.json").write_text("{}")
    summary = reportgen.Api(runs).run("k").summary
    assert (summary["g"], summary["h"], type(summary["i"])) == (2**64, HUGE, int)
    again = reportgen.init(project="p", id="k", dir=runs, resume="allow", settings=QUIET)
    again.finish()
    stored = json.loads((runs / "k" / "summary.json").read_text())
    assert (stored["g"], stored["h"]) == (2**64, HUGE)


def test_a_running_runs_ints_past_what_the_status_computes_with(tmp_path):
    """run_status took a pid of 2**63 (run.json read as orjson reads it) to os.kill, OverflowError, and
    with run.json's ints exact a heartbeat of 10**400 ended it too (int too large to convert to float)."""
    import socket

    _logged(tmp_path / "runs")
    meta_file = tmp_path / "runs" / "a" / "run.json"
    meta = json.loads(meta_file.read_text())
    meta_file.write_text(json.dumps({**meta, "state": "running", "pid": 2**63, "host": socket.gethostname()}))
    assert reportgen.Api(tmp_path / "runs").run("a").state == "crashed"  # (no process has that pid)
    meta_file.write_text(json.dumps({**meta, "state": "running", "heartbeat": HUGE, "heartbeat_interval": HUGE}))
    assert reportgen.Api(tmp_path / "runs").run("a").state == "running"
    meta_file.write_text(json.dumps({**meta, "state": "running", "heartbeat": -HUGE}))
    assert [r.state for r in reportgen.Api(tmp_path / "runs").runs()] == ["stale"]


SEEDS = {"r0": 2**60 + 5, "r1": 7, "r2": 2**60 + 3, "r3": -(2**63) - 1, "r4": -5, "r5": HUGE}


def _seeded(runs):
    """Runs whose seed (config) and hash-like id (summary) are ints past 2**53, with small ones among them."""
    for rid, seed in SEEDS.items():
        run = reportgen.init(project="p", id=rid, dir=runs, settings=QUIET, config={"seed": seed, "lr": 0.1})
        run.log({"loss": 0.5})
        run.summary["uid"] = seed
        run.finish()


def _table_order(page, col):
    """Click a column's header (ascending); the runs in the table's order and the column's cells as shown."""
    page.locator(f'#rg-runs th[data-col="{col}"]').click()
    return page.evaluate("""(col) => { const i = [...document.querySelectorAll('#rg-runs thead tr:first-child th')]
        .findIndex(th => th.dataset.col === col);
        return [...document.querySelectorAll('#rg-runs tbody tr')].map(tr => [tr.dataset.run, tr.children[i].textContent,
                tr.children[i].className]); }""", col)


def _check_seed_columns(page):
    ascending = sorted(SEEDS, key=SEEDS.get)
    for col in ("config:seed", "summary:uid"):
        rows = _table_order(page, col)
        assert [r[0] for r in rows] == ascending, col  # by value: -2**63-1, -5, 7, 2**60+3, 2**60+5, 10**400
        assert [r[1] for r in rows] == [str(SEEDS[f]) for f in ascending]  # the exact digits
        assert {r[2] for r in rows} == {"rg-num"}  # a number column
    assert page.locator('[data-filter="config:seed:min"]').count() == 1  # with the min/max filters of one
    page.fill('[data-filter="config:seed:min"]', str(2**60 + 4))
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length === 2")
    assert [r[0] for r in _table_order(page, "config:seed")] == ["r0", "r5"]
    page.fill('[data-filter="config:seed:min"]', "")
    page.fill("#rg-filter", "seed < 0")
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length === 2")
    page.fill("#rg-filter", "")
    csv = page.evaluate("() => RG.tableCsv.text(RG.table.visible())").splitlines()
    at = csv[0].split(",").index("config:seed")
    assert sorted(int(line.split(",")[at]) for line in csv[1:]) == sorted(SEEDS.values())  # (-2**63-1 not '-quoted)


def test_a_column_of_ints_past_2_53_is_a_number_column(tmp_path, site_browser):
    """A seed of 2**60 or a hash-like id, given to the page as its digits (the browser's Numbers cannot hold
    it), made its column a text column: sorted as text (-5 before -2**63-1), filtered as text, and its
    negative cells exported with a quote as formulas."""
    runs, out = tmp_path / "runs", tmp_path / "site"
    _seeded(runs)
    build(BuildConfig(runs=runs, out=out, quiet=True))
    _check_seed_columns(site_browser.open(out / "index.html"))


def test_ints_past_2_53_in_the_table_data_file(tmp_path, site_browser, monkeypatch):
    """The same with the table's data in its file (a site of many runs: runs_data.INLINE_TABLE_RUNS)."""
    from reportgen.site import runs_data

    monkeypatch.setattr(runs_data, "INLINE_TABLE_RUNS", 3)
    runs, out = tmp_path / "runs", tmp_path / "site"
    _seeded(runs)
    build(BuildConfig(runs=runs, out=out, quiet=True))
    page = site_browser.open(out / "index.html")
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length === 6")
    _check_seed_columns(page)
