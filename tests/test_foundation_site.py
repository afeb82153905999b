"""End to end: log with the SDK, build with the CLI, open the pages from file:// in Chromium."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser import assert_charts_rendered
from conftest import run_cli


def _metric_count(site: Path) -> int:
    # one overview data file per metric (every run's coarse series)
    return len(list((site / "data" / "overview").glob("*.js")))


@pytest.mark.browser
def test_demo_index_renders_every_metric_chart(demo_site, site_browser):
    page = site_browser.open(demo_site / "index.html")
    n = assert_charts_rendered(page)
    assert n == _metric_count(demo_site) >= 6
    # the runs table lists every demo run with a link to its page
    links = page.locator("table.rg-runs tbody tr a")
    assert links.count() == 4
    names = page.evaluate("Array.from(document.querySelectorAll('table.rg-runs tbody a')).map(a => a.textContent)")
    assert "mlp-h16-lr0.1" in names


@pytest.mark.browser
def test_run_page_from_disk(demo_site, site_browser):
    run_pages = sorted((demo_site / "runs").glob("*/index.html"))
    assert len(run_pages) == 4
    page = site_browser.open(run_pages[0])
    n = assert_charts_rendered(page)
    assert n >= 6
    assert page.locator(".rg-kv").count() >= 3  # overview, config, summary
    # media panels logged at one step only: no global step slider to drag, the label names the step
    page.wait_for_selector(".rgp-root[data-ready='1']")
    assert page.locator(".rgp-panel").count() == 3
    assert not page.locator(".rgp-global-step").is_visible()
    assert page.locator(".rgp-global-label").text_content() == "step 150"
    # relative link back to the index works
    page.locator(".rg-crumbs a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/index.html")


def test_all_links_are_relative(demo_site):
    for html in demo_site.rglob("*.html"):
        text = html.read_text()
        for attr in re.findall(r'(?:href|src)="([^"]*)"', text):
            assert not attr.startswith(("/", "http:", "https:", "file:")), f"{html}: {attr}"


def test_vega_runtime_written_once_from_vl_convert(demo_site):
    import vl_convert

    bundle = demo_site / "assets" / "vega-bundle.js"
    assert bundle.stat().st_size > 100_000
    assert vl_convert.__version__ in bundle.read_text()[:200]
    assert "window.vegaEmbed" in bundle.read_text()


def test_minimal_sdk_to_site(tmp_path, site_browser):
    import reportgen

    runs = tmp_path / "runs"
    for lr in (0.1, 0.01):
        run = reportgen.init(project="proj", name=f"lr={lr}", config={"lr": lr}, dir=runs)
        assert reportgen.run is run
        for step in range(50):
            reportgen.log({"loss": 1.0 / (1 + lr * step), "acc": lr * step})
        run.summary["best_acc"] = 0.5
        reportgen.finish()
        assert reportgen.run is None
    run_cli("build", str(runs), "-o", str(tmp_path / "site"), "--quiet")
    page = site_browser.open(tmp_path / "site" / "index.html")
    assert_charts_rendered(page, 2)
    assert page.locator("table.rg-runs tbody tr").count() == 2
    assert "best_acc" in page.locator("table.rg-runs thead").inner_text()


def test_killed_run_shows_as_crashed_not_running(tmp_path, cli):
    """A run whose writer died without finishing (pid gone) is shown as crashed."""
    import json
    import subprocess
    import sys

    from conftest import REPO

    code = ("import os, reportgen; reportgen.init(project='p', id='killed', dir='runs', flush_interval=0.01);"
            "reportgen.log({'loss': 1.0}); reportgen.run._writer.history.flush(); os._exit(9)")
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(REPO)}, check=False)
    meta = json.loads((tmp_path / "runs" / "killed" / "run.json").read_text())
    assert meta["state"] == "running"
    cli("build", str(tmp_path / "runs"), "-o", str(tmp_path / "site"), "-q")
    page = (tmp_path / "site" / "runs" / "killed" / "index.html").read_text()
    assert "rg-state-crashed" in page and "rg-state-running" not in page
