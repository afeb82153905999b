"""Charts draw, by default, the most recent runs *that logged their metric*: a metric only older runs
logged (a project whose last runs are a sweep logging fewer keys) was hidden on the index, under an
empty section heading, and a report's chart of a run selection without the latest runs drew nothing.
Both table paths: embedded (few runs) and the table data file (many runs; here from 6)."""
from __future__ import annotations

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


OLD_NAMES = sorted(f"old-{i}" for i in range(OLD))


@pytest.mark.vega_charts
def test_index_draws_a_metric_only_older_runs_logged(site, site_browser):
    page = site_browser.open(site / "index.html")
    page.wait_for_function("() => document.querySelectorAll('#rg-runs tbody tr').length > 0", timeout=20000)
    assert drawn(page, "opt/lr") == OLD_NAMES
    assert len(drawn(page, "loss")) == 10 and "new-13" in drawn(page, "loss")
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
    assert page.evaluate("""() => [...document.querySelectorAll('.rg-section')].filter(s => s.getClientRects().length
        && s.querySelector('.rg-chart') && ![...s.querySelectorAll('.rg-chart')].some(c => c.getClientRects().length))
        .length""") == 0


@pytest.mark.vega_charts
def test_report_chart_of_older_runs_is_drawn(site, site_browser):
    page = site_browser.open(site / "reports" / "old.html")
    assert drawn(page, "opt/lr") == OLD_NAMES
    assert drawn(page, "loss") == OLD_NAMES
