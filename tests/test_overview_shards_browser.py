"""Sharded overview files in the page (site/overviews.py, assets/loader.js): a chart drawing many
runs of a site above the shard threshold loads only ``overview/<metric>~<k>`` shards and draws every
selected run from them, at 1440 and 390 px wide."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from scale_runs import write_runs  # noqa: E402

from reportgen.site import overviews  # noqa: E402
from reportgen.site.builder import build  # noqa: E402
from reportgen.site.config import BuildConfig  # noqa: E402

N = 40


@pytest.fixture(scope="module")
def sharded_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shards")
    write_runs(tmp / "runs", N, n_metrics=2, n_steps=30)
    mp = pytest.MonkeyPatch()
    mp.setattr(overviews, "SHARD_RUNS", 6)  # 40 runs -> 8 shards, without building 2,000 runs
    try:
        build(BuildConfig(tmp / "runs", tmp / "site", quiet=True, cache_dir=tmp / "c"))
    finally:
        mp.undo()
    return tmp / "site"


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
@pytest.mark.parametrize("width", [1440, 390])
def test_many_runs_drawn_from_overview_shards(sharded_site, site_browser, width):
    shards = {p.name for p in (sharded_site / "data" / "overview").iterdir()}
    assert len(shards) == 2 * 8 and all("~" in s for s in shards)
    seen: list[str] = []
    site_browser.context.on("request", lambda r: seen.append(r.url))
    page = site_browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto((sharded_site / "index.html").as_uri() + f"#n={N}")
    page.locator(".rg-chart").first.scroll_into_view_if_needed()  # charts are drawn once in view
    page.wait_for_function(f"""() => {{ const el = document.querySelector('.rg-chart'), v = el && RG.views[el.id];
        return v && new Set(v.data('rows').map(r => r.run)).size === {N}; }}""", timeout=30000)
    data = [u.split("/data/")[1] for u in seen if "/data/" in u]
    ov = [d for d in data if d.startswith("overview")]
    assert ov and all("~" in d for d in ov), data  # shards only, never a whole-metric file
    assert not any(d.startswith("runs/") for d in data)  # more than 10 runs: no per-run files
    # every run's line has its points (a run missing from its shard would draw nothing)
    counts = page.evaluate("""() => { const el = document.querySelector('.rg-chart'), c = {};
        RG.views[el.id].data('rows').forEach(r => { c[r.run] = (c[r.run] || 0) + 1; }); return Object.values(c); }""")
    assert len(counts) == N and min(counts) >= 10
