"""The newcomer's task from the restructuring issue: add a made-up media kind end to end
(SDK object, run page, report directive, markdown summary) from docs/kinds.md alone.

The test applies the page's file blocks to a private copy of the package, logs the new kind
with the SDK, builds a site with a report, writes the markdown summary, and opens the run
page in Chromium. When the docs or the registry drift apart, this fails."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO

BLOCK = re.compile(r"<!-- (file|append): (\S+) -->\n```\w*\n(.*?)```", re.S)


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory):
    root = tmp_path_factory.mktemp("newcomer")
    pkg = root / "checkout"
    shutil.copytree(REPO / "reportgen", pkg / "reportgen", ignore=shutil.ignore_patterns("__pycache__"))
    blocks = BLOCK.findall((REPO / "docs" / "kinds.md").read_text(encoding="utf-8"))
    assert len(blocks) == 6, [b[1] for b in blocks]
    for how, rel, text in blocks:
        target = pkg / rel
        if how == "file":
            assert not target.exists(), f"docs/kinds.md would overwrite {rel}"
            target.write_text(text, encoding="utf-8")
        else:
            target.write_text(target.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(pkg)}
    runs = root / "runs"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], env=env, cwd=root, capture_output=True, text=True, check=True)

    run("-c", textwrap.dedent(f"""
        import reportgen
        from reportgen.media.rating import Rating
        reportgen.init(dir={str(runs)!r}, project="p", id="r1")
        reportgen.log({{"quality": Rating(3)}})
        reportgen.log({{"quality": Rating(4, caption="better")}})
        reportgen.finish()
        try:
            Rating(9)
        except ValueError as exc:
            print(exc)
    """))
    (runs / "reports").mkdir()
    (runs / "reports" / "q.md").write_text('# Quality\n\n{{< media key="quality" >}}\n\nNow {{< value key="quality" >}}.\n')
    build = run("-m", "reportgen", "build", str(runs), "-o", str(root / "site"), "--strict")
    summary = run("-m", "reportgen", "summary", str(runs), "-o", str(root / "summary.md"), "--metrics", "quality")
    return root, build, summary


def test_the_new_kind_builds_without_warnings(newcomer):
    root, build, _ = newcomer
    assert "warning" not in build.stderr, build.stderr
    page = (root / "site/runs/r1/index.html").read_text()
    assert "panels-rating.js" in page and "rgp-kind-rating" in page
    assert "unsupported" not in page


def test_the_report_and_the_markdown_summary_show_it(newcomer):
    root, _, summary = newcomer
    report = (root / "site/reports/q.html").read_text()
    assert '<p class="rg-rating">quality: 4/5</p>' in report
    assert "Now" in report and "4/5" in report.split("Now", 1)[1]
    md = (root / "summary.md").read_text()
    assert "| quality |" in md and "| 4/5 |" in md, md


def test_the_run_page_draws_it(site_browser, newcomer):
    root, _, _ = newcomer
    page = site_browser.open(root / "site/runs/r1/index.html")
    page.wait_for_selector(".rgp-root[data-ready='1']")
    assert page.locator(".rgp-kind-rating .rgp-stars").inner_text() == "\u2605\u2605\u2605\u2605\u2606"
    page.locator(".rgp-kind-rating .rgp-step").fill("0")
    page.locator(".rgp-kind-rating .rgp-step").dispatch_event("input")
    assert page.locator(".rgp-kind-rating .rgp-stars").inner_text() == "\u2605\u2605\u2605\u2606\u2606"
