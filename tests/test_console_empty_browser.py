"""A run that printed nothing has no console panel on its page (as wandb shows no logs for it): its
empty output.log showed "Console output (0 lines)" over one empty numbered line. Real SDK runs in
subprocesses, the site built by the CLI, the pages opened in headless Chromium at 1440 and 390 px."""
from __future__ import annotations

import pytest

from conftest import run_cli
from test_run_story import run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def quiet_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quiet")
    for run_id, body in (("quiet", ""), ("blank", "print(); print('   ')"), ("said", "print('one line')")):
        code, _, err = run(tmp, f"""
            import reportgen
            run = reportgen.init(project="p", id="{run_id}", dir="runs")
            {body}
            run.log({{"loss": 1.0}})
            run.finish()
        """)
        assert code == 0, err
    assert (tmp / "runs" / "quiet" / "output.log").read_bytes() == b""  # (the SDK's capture made it)
    run_cli("build", str(tmp / "runs"), "-o", str(tmp / "site"))
    return tmp / "site"


@pytest.mark.parametrize("width", [1440, 390])
def test_a_run_that_printed_nothing_has_no_console_panel(quiet_site, site_browser, width, tmp_path):
    for run_id in ("quiet", "blank"):
        page = site_browser.open(quiet_site / "runs" / run_id / "index.html")
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_selector(".rg-run-head")
        assert page.locator("#rg-console").count() == 0, run_id
        assert "0 lines" not in page.locator("body").inner_text()
        page.screenshot(path=str(tmp_path / f"{run_id}-{width}.png"), full_page=True)
    page = site_browser.open(quiet_site / "runs" / "said" / "index.html")
    page.set_viewport_size({"width": width, "height": 900})
    assert " ".join(page.locator("#rg-console h2").text_content().split()) == "Console output (1 line)"
    assert page.locator(".rg-con-line").count() == 1 and "one line" in page.locator(".rg-con-line").inner_text()
    page.screenshot(path=str(tmp_path / f"said-{width}.png"), full_page=True)
