"""Altair charts are logged as Vega-Lite records and drawn like any other chart: on the run
page and by a report's ``custom`` directive."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli

alt = pytest.importorskip("altair")
pd = pytest.importorskip("pandas")


def test_logging_an_altair_chart(tmp_path):
    import reportgen

    runs = tmp_path / "runs"
    df = pd.DataFrame({"epoch": [1, 2, 3], "acc": [0.5, 0.7, 0.8]})
    chart = alt.Chart(df).mark_line().encode(x="epoch", y="acc").properties(title="altair-acc")
    run = reportgen.init(dir=str(runs), project="p", id="alt")
    try:
        reportgen.log({"acc_chart": chart})
    finally:
        reportgen.finish()
    rows = [json.loads(line) for line in (runs / "alt" / "history.jsonl").read_text().splitlines()]
    rec = rows[0]["acc_chart"]
    assert rec["_type"] == "vega_lite" and rec["source"] == "altair"
    spec = json.loads((runs / "alt" / rec["spec"]).read_text())
    assert spec["mark"]["type"] == "line" or spec["mark"] == "line"
    assert run.id == "alt"

    (runs / "reports").mkdir()
    (runs / "reports" / "a.md").write_text('# A\n\n{{< custom key="acc_chart" >}}\n')
    proc = run_cli("build", str(runs), "-o", str(tmp_path / "site"), "--strict")
    assert "warning" not in proc.stderr
    panel_data = "".join(p.read_text() for p in (tmp_path / "site/media/alt/data").glob("*.js"))
    assert "altair-acc" in panel_data and '"acc":0.8' in panel_data.replace(" ", "")
    report = (tmp_path / "site/reports/a.html").read_text()
    assert "altair-acc" in report


def test_an_invalid_altair_chart_is_a_clear_error():
    from reportgen.media.convert import to_media

    chart = alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")
    chart.mark = "zzz"  # altair validates when the spec is made
    with pytest.raises(ValueError, match="not a valid Vega-Lite spec"):
        to_media(chart)
