"""A run file that only a report links is part of the site: kept by every rebuild while the report
links it, deleted once nothing does (the builder's one rule for media files: manifest.py,
remove_unlinked_media). An image the run page leaves out (past its 100 files a step) and a table
file the run page does not publish (the summary's table of a key its history logs). Real run folders
(the SDK, then files as another tool would write them), real builds with their cache, Chromium."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import reportgen
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from test_media_not_shown import _history


def _build(runs: Path, site: Path) -> list[str]:
    return build(BuildConfig(runs=runs, out=site, cache_dir=site.parent / "cache", quiet=True)).warnings


@pytest.mark.filterwarnings("ignore:.*Image objects in one step")
def test_an_image_only_a_report_shows_stays_while_it_does(tmp_path, site_browser):
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"many": [reportgen.Image(np.full((16, 16, 3), i, np.uint8)) for i in range(100)]}, step=0)
    run.finish()
    row = _history(runs)
    last = dict(row["many"]["items"][-1])  # a 101st image at the step: the run page shows 100
    src = runs / "im" / last["path"]
    last["path"] = str(Path(last["path"]).with_name("extra.png"))
    src.with_name("extra.png").write_bytes(src.read_bytes())
    row["many"]["items"].append(last)
    (runs / "im/history.jsonl").write_text(json.dumps(row) + "\n")
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('{{< media key="many" >}}\n')
    site = tmp_path / "site"
    extra = site / "media/im/images/extra.png"
    for _ in range(2):  # a build, then a rebuild (the file an earlier build wrote, no run page links)
        warnings = _build(runs, site)
        assert any(w.startswith("run im: media ") and "100" in w for w in warnings), warnings  # (the premise)
        assert extra.is_file() and "images/extra.png" not in (site / "runs/im/index.html").read_text()
    page = site_browser.open(site / "reports/r.html")
    assert page.locator(".rg-media-item img").count() == 101
    img = page.locator(".rg-media-item img[src='../media/im/images/extra.png']")
    img.scroll_into_view_if_needed()  # (lazy: loaded once in view)
    page.wait_for_function("i => i.complete", arg=img.element_handle(), timeout=15_000)
    assert img.evaluate("i => i.naturalWidth") == 16
    (runs / "reports/r.md").unlink()  # nothing links it now: deleted, and only it
    _build(runs, site)
    assert not extra.exists() and len(list((site / "media/im/images").glob("*.png"))) == 100


def test_a_table_file_only_a_report_links_stays_while_it_does(tmp_path, site_browser):
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"tab": reportgen.Table(columns=["text"], data=[["short"]])}, step=0)
    run.finish()
    # the summary's table of the key is another file (its whole cells only there: the report links it);
    # the run page shows the history's, whose cells it shows whole (no file of it published)
    rel = str(Path(_history(runs)["tab"]["path"]).with_name("final.table.json"))
    (runs / "im" / rel).write_text(json.dumps({"columns": ["text"], "data": [["y" * 3000]]}))
    summary = json.loads((runs / "im/summary.json").read_text())
    summary["tab"] = {**summary["tab"], "path": rel}
    (runs / "im/summary.json").write_text(json.dumps(summary))
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('{{< media key="tab" step="summary" >}}\n')
    site = tmp_path / "site"
    published = site / "media/im" / Path(rel).relative_to("media")
    for _ in range(2):  # a build, then a rebuild (the file an earlier build wrote, no run page links)
        assert _build(runs, site) == []
        assert published.is_file() and published.name not in (site / "runs/im/index.html").read_text()
    page = site_browser.open(site / "reports/r.html")
    full = page.locator(".rg-media-item a[href$='.json']")
    assert full.count() == 1 and (site / "reports" / full.get_attribute("href")).resolve() == published.resolve()
    (runs / "reports/r.md").unlink()
    assert _build(runs, site) == []
    assert not published.exists() and list((site / "media/im/data").glob("*.js"))  # (the run page's table stays)
