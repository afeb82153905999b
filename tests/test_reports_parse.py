"""Pure parts of markdown reports: front matter, directives, run selection, sanitiser, formats."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from reportgen.site.reports.directives import DirectiveError, extract, parse_directive
from reportgen.site.reports.frontmatter import parse_front_matter
from reportgen.site.reports.metrics import format_value
from reportgen.site.reports.sanitize import sanitize_html
from reportgen.site.reports.select import match_keys, select_runs


def test_front_matter_subset():
    fm = parse_front_matter('---\ntitle: "A: b # not a comment"\ndescription: plain text # comment\n'
                            'tags: [x, "y z"]\nruns: a-*, b\n---\n# Body\n')
    assert fm.meta == {"title": "A: b # not a comment", "description": "plain text",
                       "tags": ["x", "y z"], "runs": "a-*, b"}
    assert fm.body == "# Body\n" and fm.body_line == 7 and fm.problems == []


def test_front_matter_problems_are_reported_not_raised():
    fm = parse_front_matter("---\ntitle: ok\ncolour: red\n  nested: x\nnot a pair\n---\nbody")
    assert fm.meta == {"title": "ok"}
    assert len(fm.problems) == 3
    assert "unknown key 'colour'" in fm.problems[0]
    unclosed = parse_front_matter("---\ntitle: x\nno end")
    assert unclosed.meta == {} and "no closing" in unclosed.problems[0] and "title: x" in unclosed.body
    assert parse_front_matter("no front matter").body == "no front matter"


def test_parse_directive_attributes():
    assert parse_directive('chart metric="val/loss" runs=\'lr-*\' title=plain') == \
        ("chart", {"metric": "val/loss", "runs": "lr-*", "title": "plain"})
    with pytest.raises(DirectiveError, match="unknown directive 'chrt'"):
        parse_directive('chrt metric="x"')
    with pytest.raises(DirectiveError, match="given twice"):
        parse_directive('chart metric="a" metric="b"')
    with pytest.raises(DirectiveError, match="expected key"):
        parse_directive('chart metric="a" "loose"')


def test_extract_skips_code_and_marks_blocks():
    text = ('Intro {{< value key="acc" >}} inline.\n'
            '{{< chart metric="loss" >}}\n'
            '`{{< chart metric="in-code" >}}`\n'
            '```\n{{< chart metric="in-fence" >}}\n```\n'
            '{{< nope >}}\n')
    ex = extract(text, first_line=5)
    kinds = [(d.kind, d.line, d.block) for d in ex.directives]
    assert kinds == [("value", 5, False), ("chart", 6, True), ("", 11, True)]
    assert ex.directives[2].error and "unknown directive" in ex.directives[2].error
    assert 'metric="in-code"' in ex.text and 'metric="in-fence"' in ex.text
    assert 'key="acc"' not in ex.text
    for d in ex.directives:
        assert d.token.isalnum() and d.token in ex.text
    assert f"\n\n{ex.directives[1].token}\n\n" in ex.text  # a paragraph of its own


@dataclass
class _Run:  # what select_runs reads of a run (the site's RunInfo)
    id: str
    name: str
    project: str = "p"
    meta: dict = field(default_factory=dict)
    label: str = ""


def _views():
    return [_Run("a1", "lr-0.1", meta={"tags": ["sweep"], "group": "g1"}, label="lr-0.1"),
            _Run("a2", "lr-0.3", meta={"tags": ["sweep", "best"], "group": "g2"}, label="lr-0.3"),
            _Run("b1", "baseline", project="q", meta={"tags": []}, label="baseline"),
            _Run("c1", "run[1]", project="r", label="run[1]")]


@pytest.mark.parametrize("attrs, expected", [
    ({}, ["a1", "a2", "b1", "c1"]),
    ({"runs": "run[1]"}, ["c1"]),  # an exact name wins over glob syntax
    ({"runs": "lr-*"}, ["a1", "a2"]),
    ({"run": "b1"}, ["b1"]),  # by id
    ({"runs": "baseline, lr-0.3"}, ["a2", "b1"]),
    ({"tags": "best"}, ["a2"]),
    ({"tag": "sweep", "group": "g1"}, ["a1"]),
    ({"project": "q"}, ["b1"]),
    ({"project": "q, r", "runs": "*"}, ["b1", "c1"]),
    ({"runs": "nothing*"}, []),
])
def test_select_runs(attrs, expected):
    runs, _ = select_runs(_views(), attrs)
    assert [v.id for v in runs] == expected


def test_select_defaults_apply_only_without_own_selection():
    assert [v.id for v in select_runs(_views(), {}, {"tags": ["sweep"]})[0]] == ["a1", "a2"]
    assert [v.id for v in select_runs(_views(), {"runs": "baseline"}, {"tags": ["sweep"]})[0]] == ["b1"]


def test_match_keys_globs():
    keys = ["train/loss", "val/loss", "val/acc", "lr"]
    assert match_keys(keys, ["val/*"]) == ["val/loss", "val/acc"]
    assert match_keys(keys, ["*/loss", "lr"]) == ["train/loss", "val/loss", "lr"]
    assert match_keys(keys, ["nope"]) == []


@pytest.mark.parametrize("html, forbidden", [
    ("<p>a<script>alert(1)</script>b</p>", ["<script", "alert"]),
    ('<img src="x.png" onerror="alert(1)">', ["onerror"]),
    ('<a href="javascript:alert(1)">x</a>', ["javascript"]),
    ('<a href=" JaVa\tScRipt:alert(1)">x</a>', ["alert"]),
    ('<a href="&#106;avascript:alert(1)">x</a>', ["alert"]),
    ('<a href="vbscript:x">x</a>', ["vbscript"]),
    ('<svg onload="alert(1)"><circle/></svg>', ["svg", "onload", "circle"]),
    ('<iframe src="https://evil"></iframe>', ["iframe", "evil"]),
    ("<style>body{display:none}</style>", ["<style", "display"]),
    ('<div style="background:url(https://evil)">t</div>', ["style", "evil"]),
    ('<img src="https://evil/x.png">', ["<img", "evil"]),
    ('<img src="//evil/x.png">', ["<img", "evil"]),
    ('<form action="/x"><input name="q"><button>go</button></form>', ["<form", "<input", "<button"]),
    ('<div class="rg-chart" data-src="evil.js">x</div>', ["rg-chart", "evil.js"]),
    ("<!-- <script>alert(1)</script> -->", ["script"]),
    ('<object data="x"></object><embed src="y">', ["object", "embed"]),
])
def test_sanitizer_removes(html, forbidden):
    clean, removed = sanitize_html(html)
    for word in forbidden:
        assert word.lower() not in clean.lower(), (html, clean)


def test_sanitizer_keeps_formatting_and_escapes_text():
    html = ('<h2 id="x">T</h2><p><strong>b</strong> <em>i</em> <code>a &lt; b</code> '
            '<a href="https://example.org/?a=1&amp;b=2" title="t">l</a> <a href="#sec">s</a></p>'
            '<table><tr><td align="right" colspan="2">1</td></tr></table>'
            '<img src="data:image/png;base64,iVBORw0KGgo=" alt="d">')
    clean, removed = sanitize_html(html)
    assert removed == []
    for piece in ['<h2 id="x">T</h2>', "<strong>b</strong>", "<code>a &lt; b</code>",
                  'href="https://example.org/?a=1&amp;b=2"', 'href="#sec"', 'align="right"',
                  'src="data:image/png;base64,iVBORw0KGgo="']:
        assert piece in clean


def test_sanitizer_rewrites_relative_images():
    clean, removed = sanitize_html('<img src="fig.png"><img src="gone.png">',
                                   rewrite_src=lambda s: "files/fig.png" if s == "fig.png" else None)
    assert clean == '<img src="files/fig.png">'
    assert any("gone.png" in r for r in removed)


def test_format_value():
    assert format_value(0.9567, ".1%") == "95.7%"
    assert format_value(1234567, ",d") == "1,234,567"
    assert format_value(0.5, None) == "0.5"
    assert format_value(float("nan"), ".2f") == "NaN"
    assert format_value("text", ".2f") == "text"
    with pytest.raises(ValueError, match='format="{0}"'):
        format_value(1.0, "{0}")
