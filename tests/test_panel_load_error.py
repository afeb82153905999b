"""A panel whose data script cannot be loaded says so instead of waiting forever (one JSONP
loader, assets/loader.js, calls back with an error)."""
from __future__ import annotations

from conftest import run_cli


def test_missing_panel_data_shows_an_error(tmp_path, site_browser):
    import reportgen

    runs = tmp_path / "runs"
    reportgen.init(dir=str(runs), project="p", id="t")
    try:
        reportgen.log({"tbl": reportgen.Table(columns=["a"], data=[[1], [2]])})
    finally:
        reportgen.finish()
    site = tmp_path / "site"
    run_cli("build", str(runs), "-o", str(site), "-q")
    scripts = list((site / "media/t/data").glob("tbl_*.js"))
    assert len(scripts) == 1
    scripts[0].unlink()  # e.g. a partial upload of the site
    page = site_browser.open(site / "runs/t/index.html")
    page.wait_for_selector(".rgp-load-error")
    assert "Could not load this panel's data" in page.locator(".rgp-load-error").inner_text()
    # the one expected problem: the browser reports the missing file; nothing else may go wrong
    errors = site_browser.problems.console_errors
    expected = [e for e in errors if "ERR_FILE_NOT_FOUND" in e or "Failed to load resource" in e]
    assert len(expected) >= 1
    errors[:] = [e for e in errors if e not in expected]
