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


def test_reports_that_would_stall_the_build_are_bounded(tmp_path):
    """What Python-Markdown's work grows with, bounded (reportgen/site/reports/mdlimits.py): 16,000
    headings without a blank line between took 7 s, 16,000 abbreviations 172 s, 1 MB of ``*a* `` in
    one paragraph 339 s; 4,000 directives took 3 minutes (each swapped in by a pass over the whole
    page); a sparse 3 GB report.md was read whole (MemoryError, no site). Worst cases within the
    limits render in about 3 s (measured: 300 paragraphs of 200 headings; 100 abbreviations over
    220 KB; 7 paragraphs of 32 KB of emphasis). The thread's 120 s join is a hang guard only."""
    import threading

    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    (runs / "a" / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (runs / "a" / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 0.125}) + "\n")
    (runs / "a" / "summary.json").write_text(json.dumps({"loss": 0.125}))
    reports = runs / "reports"
    reports.mkdir()
    texts = {
        "directives": '{{< value run="a" key="loss" >}}\n\n' * 6_000,
        "headings": "# h\n" * 20_000,
        "abbreviations": "".join(f"*[A{i}]: x\n" for i in range(200)) + "\nA1 A2\n",
        "paragraph": "*a* " * 10_000 + "\n",
        "table": "| step | loss |\n|---:|---:|\n" + "".join(f"| {i} | {i / 7:.4f} |\n" for i in range(2_000)),
        # fenced code is taken out before parsing: its lines count for nothing (found in review)
        "fenced": "```python\n" + "# comment\n" * 250 + "```\n\n```\n" + "log line " * 4_000 + "\n```\n",
    }
    for name, text in texts.items():
        (reports / f"{name}.md").write_text(text)
    with open(reports / "sparse.md", "wb") as fh:
        fh.truncate(3 << 30)
    out, done = tmp_path / "site", {}
    t = threading.Thread(target=lambda: done.setdefault("res", build(BuildConfig(runs=runs, out=out, quiet=True))),
                         daemon=True)
    t.start()
    t.join(120)
    assert "res" in done, "the build did not finish (or raised: see the thread's traceback)"
    warns = done["res"].warnings
    plain = "; the report is shown as plain text"
    assert not [w for w in warns if w.startswith(("report directives.md", "report table.md", "report fenced.md"))], warns
    assert f"report headings.md: lines 1-201: more than 200 headings or rules in one paragraph (put a blank line " \
           f"between them){plain}" in warns
    assert f"report abbreviations.md: 200 abbreviation definitions (more than 100){plain}" in warns
    assert f"report paragraph.md: lines 1-1: more than 32,768 characters in one paragraph{plain}" in warns
    assert "report sparse.md: larger than 1 MiB; not shown" in warns
    page = (out / "reports" / "directives.html").read_text()
    assert page.count("0.125") >= 6_000 and "RGD" not in page
    assert page_has_rows(out / "reports" / "table.html", 2_000)
    assert "<pre>" in (out / "reports" / "headings.html").read_text()
    assert "not shown" in (out / "reports" / "sparse.html").read_text()


def page_has_rows(page, n: int) -> bool:
    return page.read_text().count("<tr>") >= n


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


def _runs_with_reports(tmp_path):
    """A runs root with run ``a`` (five ``loss`` rows) and an empty ``reports/`` folder."""
    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    (runs / "a" / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (runs / "a" / "history.jsonl").write_text("".join(json.dumps({"_step": i, "loss": 1.0 / (i + 1)}) + "\n"
                                                      for i in range(5)))
    (runs / "reports").mkdir()
    return runs


def test_report_html_cannot_pass_for_the_pages_own_settings(tmp_path, site_browser):
    """The page reads its runtime settings with ``getElementById("rg-site")``, and the first element
    of that id wins: a report's ``<p id="rg-site">`` holding settings JSON came before the page's
    own, and its ``"data"`` (where the page loads its data scripts from) made the chart directive
    load ``data:text/javascript,...``: the report's script ran at the site's origin. A heading
    "RG site" had the same id (the toc extension's) and broke the page. Ids starting with ``rg``
    (any case: also the page's globals ``RG``, ``RGPanels``...) are dropped with a warning."""
    runs = _runs_with_reports(tmp_path)
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


UNCLOSED = """# Unclosed {tag}

Before <{tag}><{inner}><img src=x onerror="window.__pwned=1"> inside

## After the {tag}

Text after the {tag}. <img src=x onerror="window.__pwned=2">

{{{{< chart metric="loss" >}}}}
"""


def test_an_unclosed_svg_or_math_ends_with_its_block(tmp_path, site_browser):
    """An ``<svg>`` or ``<math>`` left open dropped the rest of the report: the text, headings and
    directives after it (each directive with a warning "not in the text of the report"): the
    sanitiser waited for its closing tag, Python-Markdown took an unclosed ``<math>`` at the start of
    a block and everything after it as one raw HTML block, and a ``<style>`` inside was read as raw
    text to its closing tag. As in a browser (and GitHub), the element now ends at the end of its
    block, with a warning; what it holds is still removed (no script, no event handler, nothing of
    the ``<svg><style>`` and ``<math><mtext><table><mglyph><style>`` shapes)."""
    runs = _runs_with_reports(tmp_path)
    cases = {"svg": ("svg", "style"), "math": ("math", "mtext><table><mglyph><style"),
             "mathblock": ("math", "mi")}
    for name, (tag, inner) in cases.items():
        text = UNCLOSED.format(tag=tag, inner=inner)
        if name == "mathblock":  # (<math> opening a block: a raw HTML block for Python-Markdown)
            text = text.replace("Before <math>", "<math>")
        (runs / "reports" / f"{name}.md").write_text(text)
    out = tmp_path / "site"
    res = build(BuildConfig(runs=runs, out=out, quiet=True))
    for name, (tag, _) in cases.items():
        warnings = [w for w in res.warnings if w.startswith(f"report {name}.md")]
        assert not [w for w in warnings if "not shown" in w], warnings
        (removed,) = [w for w in warnings if "raw HTML removed" in w]
        assert f"<{tag}> not closed (ended at </p>)" in removed and "'onerror' on <img>" in removed
        html = (out / "reports" / f"{name}.html").read_text()
        body = html[html.index(f"Unclosed {tag}"):]
        assert f'<h2 id="after-the-{tag}">After the {tag}</h2>' in body and f"Text after the {tag}." in body
        assert "inside" not in body and "onerror" not in body and "<style" not in body
        assert f"<{tag}" not in body and "mglyph" not in body and 'class="rg-chart' in body
        page = site_browser.open(out / "reports" / f"{name}.html")
        page.wait_for_function("() => document.querySelector('.rg-chart canvas, .rg-chart svg')", timeout=10_000)
        assert f"Text after the {tag}." in page.inner_text("body")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.__pwned") is None


UNCLOSED_DIV = """---
title: Unclosed div
---
# Notes

<div class="note">
A note **left open**

## After the div

Text *after* the div, and a list:

- first item

{{< chart metric="loss" >}}

<details><summary>More</summary>
hidden text <img src=x onerror="window.__pwned=1">

Closing words.
"""


def test_an_unclosed_block_of_html_ends_at_its_blank_line(tmp_path, site_browser):
    """A ``<div>`` (or ``<details>``...) opening a line and never closed made Python-Markdown take the
    rest of the report as one raw HTML block: the page showed ``## After the div``, ``*after*`` and
    ``- first item`` as typed, and everything after an unclosed ``<details>`` was folded away in it.
    As on GitHub, the block now ends at its first blank line, with a warning naming its line and tag; the
    markdown after it is rendered, the chart is drawn, nothing of the block's script runs."""
    runs = _runs_with_reports(tmp_path)
    (runs / "reports" / "r.md").write_text(UNCLOSED_DIV)
    out = tmp_path / "site"
    res = build(BuildConfig(runs=runs, out=out, quiet=True))
    warnings = [w for w in res.warnings if w.startswith("report r.md")]
    assert 'report r.md: line 6: <div class="note"> not closed (ended at the first blank line after it)' in warnings
    assert "report r.md: line 17: <details> not closed (ended at the first blank line after it)" in warnings
    html = (out / "reports" / "r.html").read_text()
    body = html[html.index('<h1 id="notes">'):]
    assert '<h2 id="after-the-div">After the div</h2>' in body and "<em>after</em>" in body
    assert "<li>first item</li>" in body and "<p>Closing words.</p>" in body and "onerror" not in body
    page = site_browser.open(out / "reports" / "r.html")
    page.wait_for_function("() => document.querySelector('.rg-chart canvas, .rg-chart svg')", timeout=10_000)
    text = page.inner_text("body")
    assert "After the div" in text and "##" not in text and "*after*" not in text and "- first item" not in text
    assert page.is_visible("text=Closing words.") and page.is_visible("h2:has-text('After the div')")
    page.screenshot(path=str(tmp_path / "unclosed-div.png"), full_page=True)
    assert page.evaluate("() => window.__pwned") is None


def test_many_unclosed_blocks_are_counted_not_listed():
    """16,000 unclosed ``<div>`` (a 250 KB report) were as many lines in the report's problems: ten are
    told, the others counted; every one ends at its blank line, so the text after each is rendered."""
    from reportgen.site.reports.render import render_markdown

    problems: list[str] = []
    html = render_markdown("".join(f"<div id=\"d{i}\">\nx\n\n*after {i}*\n\n" for i in range(16_000)), problems)
    assert problems[:10] == [f'line {5 * i + 1}: <div id="d{i}"> not closed (ended at the first blank line after it)'
                             for i in range(10)]
    assert problems[10:] == ["15,990 more HTML blocks not closed (each ended at its first blank line)"]
    assert html.count("<em>after ") == 16_000 and html.count("</div>") == 16_000
