"""Issue 12: a report's markdown may not stop or stall the build.

Reports come from other people. Python-Markdown recursed on a list nested 500 levels deep or a
run of 10,000 ``*`` (RecursionError: the whole build failed) and tried every ``[`` of a
paragraph as a link (10,000 of them in a 10 KB file: minutes). Such a report is shown as plain
text, with a warning naming the line; the other reports and the run pages are built as usual.
Nor may its HTML be taken for the page's own elements (ids ``rg-*``, globals ``RG*``)."""
from __future__ import annotations

import json

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig


def test_markdown_beyond_the_renderer_is_shown_as_plain_text(tmp_path):
    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    (runs / "a" / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (runs / "a" / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0}) + "\n")
    reports = runs / "reports"
    reports.mkdir()
    texts = {
        "lists": "# lists\n\n" + "".join("  " * i + "- x\n" for i in range(500)),
        "stars": "# stars\n\n" + "*" * 10_000 + "x" + "*" * 10_000 + "\n",
        "brackets": "# brackets\n\n" + "[" * 10_000 + "x\n",
        "fine": "# fine\n\n" + "- a\n  - b\n\n**bold** [link](https://example.com) " + "[x] " * 50 + "\n",
    }
    for name, text in texts.items():
        (reports / f"{name}.md").write_text(text)
    out = tmp_path / "site"
    res = build(BuildConfig(runs=runs, out=out, quiet=True))
    plain = "; the report is shown as plain text"
    assert f"report lists.md: line 204: indented 402 columns (more than 400: nested too deeply){plain}" in res.warnings
    assert f"report stars.md: line 3: 10,000 '*' in a row (more than 1,000){plain}" in res.warnings
    assert f"report brackets.md: lines 3-3: more than 1,000 '[' in one paragraph{plain}" in res.warnings
    assert not [w for w in res.warnings if w.startswith("report fine.md")]
    page = (out / "reports" / "stars.html").read_text()
    assert "<pre>" in page and "*" * 10_000 in page
    assert "<strong>bold</strong>" in (out / "reports" / "fine.html").read_text()


def test_html_nested_too_deeply_is_not_rendered(tmp_path, site_browser):
    """Raw HTML in a report: 30,000 nested ``<div>`` then 30,000 stray ``</b>`` took Python-Markdown
    and then the sanitiser 40 s each (each closing tag was looked for among every open one), and
    100,000 nested ``<div>`` made the page take 20 s to show. A report with raw HTML nested more
    than 100 tags deep is shown as plain text; the sanitiser drops tags nested deeper than 100
    levels (their text kept) whatever gave it the HTML."""
    from reportgen.site.reports.sanitize import sanitize_html

    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    (runs / "a" / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (runs / "a" / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0}) + "\n")
    (runs / "reports").mkdir()
    deep = "<div>" * 30_000 + "deep text" + "</b>" * 30_000
    (runs / "reports" / "deep.md").write_text("# deep\n\n" + deep + "\n")
    (runs / "reports" / "table.md").write_text("# table\n\n<table>" + "<tr><td>1</td><td>2<br></td></tr>" * 300 + "</table>\n")
    out = tmp_path / "site"
    res = build(BuildConfig(runs=runs, out=out, quiet=True))
    assert "report deep.md: line 3: raw HTML nested more than 100 tags deep; the report is shown as plain text" \
        in res.warnings
    assert not [w for w in res.warnings if w.startswith("report table.md")]
    assert (out / "reports" / "table.html").read_text().count("<td>") == 600
    page = site_browser.open(out / "reports" / "deep.html")
    page.wait_for_function("() => document.body.textContent.includes('deep text')", timeout=5000)
    html, removed = sanitize_html(deep)
    assert html.count("<div>") == 100 and "deep text" in html
    assert removed == ["tags nested deeper than 100 levels (their text is kept)"]


def test_report_html_cannot_pass_for_the_pages_own_settings(tmp_path, site_browser):
    """The page reads its runtime settings with ``getElementById("rg-site")``, and the first element
    of that id wins: a report's ``<p id="rg-site">`` holding settings JSON came before the page's
    own, and its ``"data"`` (where the page loads its data scripts from) made the chart directive
    load ``data:text/javascript,...``: the report's script ran at the site's origin. A heading
    "RG site" had the same id (the toc extension's) and broke the page. Ids starting with ``rg``
    (any case: also the page's globals ``RG``, ``RGPanels``...) are dropped with a warning."""
    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    (runs / "a" / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (runs / "a" / "history.jsonl").write_text("".join(json.dumps({"_step": i, "loss": 1.0 / (i + 1)}) + "\n"
                                                      for i in range(5)))
    (runs / "reports").mkdir()
    code = "window.__pwned=1;document.title='PWNED';//"
    fake = {"kind": "report", "runs": [{"f": "a", "id": "a", "name": "a", "label": "a", "color": "#000",
                                        "url": "../runs/a/index.html"}],
            "cols": {"summary": [], "config": []}, "maxColumns": 500, "xopts": [{"key": "_step", "label": "Step"}],
            "weights": [0.5], "limits": {"maxFullRuns": 10, "liteSamples": 100, "pickerRows": 1000},
            "chartDefaults": {}, "ovShards": 1, "data": "data:text/javascript," + code}
    (runs / "reports" / "r.md").write_text(
        f'# Report\n\n<p id="rg-site">{json.dumps(fake)}</p>\n\n<a id="RG" href="#x">g</a> <span id="RGPanels">p</span>'
        f' <span id="keep-me">k</span>\n\n## RG site\n\n{{{{< chart metric="loss" >}}}}\n\n## RGB images\n')
    out = tmp_path / "site"
    res = build(BuildConfig(runs=runs, out=out, quiet=True))
    (warning,) = [w for w in res.warnings if w.startswith("report r.md: raw HTML removed")]
    assert "id 'rg-site' on <p> (the site's own names)" in warning and "id 'RG' on <a>" in warning
    html = (out / "reports" / "r.html").read_text()
    assert html.count('id="rg-site"') == 1 and 'id="keep-me"' in html and 'id="RG"' not in html
    assert 'id="rgb-images"' in html  # (a heading of the report's own keeps its anchor)
    page = site_browser.open(out / "reports" / "r.html")
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__pwned") is None and page.title() != "PWNED"
    page.wait_for_function("() => document.querySelector('.rg-chart canvas, .rg-chart svg')", timeout=10_000)
