"""A report's warnings name the line of the report file as it was written.

The markdown is checked and rendered once changed: each block directive's token is put in a
paragraph of its own (two lines more), and Python-Markdown takes each fenced code block out for a
placeholder of three lines before it reads raw HTML blocks. The limits' warnings (mdlimits.py) were
two lines late for each block directive before them, and the warning for an unclosed HTML block
(rawblocks.py) named no line at all (its line was off by both). Each report here holds directives
and fenced code before its faulty spots; the lines are looked up in the file itself."""
from __future__ import annotations

import json

import pytest

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

UNCLOSED = "(ended at the first blank line after it)"
PLAIN = "; the report is shown as plain text"

LINES = """---
title: Lines
runs: a
---
# Notes

{{< chart metric="loss" >}}

A form feed \x0c is no line break; best {{< value key="loss" agg="min" >}}.

```python
# {{< chart metric="in-code" >}}

x = 1
```

  {{< chart metric="loss" colour="red" >}}

~~~

<div>in code, not a block</div>

~~~

{{< runs >}}

<div class="note">
A note **left open**

## After the div

{{< nope >}}

````
```
````

<details><summary>More</summary>
hidden

Closing words.
"""


def _runs(tmp_path, reports: dict[str, str], newline: str = "\n"):
    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    (runs / "a" / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (runs / "a" / "history.jsonl").write_text("".join(json.dumps({"_step": i, "loss": 1.0 / (i + 1)}) + "\n"
                                                      for i in range(5)))
    (runs / "a" / "summary.json").write_text(json.dumps({"loss": 0.2}))
    (runs / "reports").mkdir()
    for name, text in reports.items():
        (runs / "reports" / name).write_bytes(text.replace("\n", newline).encode())
    return runs


def _line(text: str, part: str, nth: int = 1) -> int:
    """The line of the file (1-based, as an editor counts them) holding the ``nth`` ``part``."""
    at = -1
    for _ in range(nth):
        at = text.index(part, at + 1)
    return text.count("\n", 0, at) + 1


def _warnings(res, name: str) -> list[str]:
    return [w[len(f"report {name}: "):] for w in res.warnings if w.startswith(f"report {name}: ")]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_warnings_name_the_lines_of_the_file(tmp_path, newline):
    runs = _runs(tmp_path, {"lines.md": LINES}, newline)
    out = tmp_path / "site"
    res = build(BuildConfig(runs=runs, out=out, quiet=True))
    div, details = _line(LINES, '<div class="note">'), _line(LINES, "<details>")
    assert (div, details) == (27, 38)  # (the file as an editor shows it)
    assert _warnings(res, "lines.md") == [
        f'line {div}: <div class="note"> not closed {UNCLOSED}',
        f"line {details}: <details> not closed {UNCLOSED}",
        f"line {_line(LINES, 'colour=')}: chart: unknown attribute(s) colour (expected group, metric, project, run, "
        "runs, tag, tags, title)",
        f"line {_line(LINES, '{{< nope')}: unknown directive 'nope' (expected one of chart, runs, media, custom, "
        "value): {{< nope >}}",
    ]
    html = (out / "reports" / "lines.html").read_text()
    assert '<h2 id="after-the-div">After the div</h2>' in html and "<p>Closing words.</p>" in html
    assert "&lt;div&gt;in code, not a block&lt;/div&gt;" in html and 'metric="in-code"' in html


BEFORE = """# Limits

{{< chart metric="loss" >}}

```
{{< chart metric="in-code" >}}

more code
```

{{< runs >}}

Best: {{< value key="loss" agg="min" >}}

{{< chart metric="loss" >}}

"""


def test_limits_name_the_lines_of_the_file(tmp_path):
    reports = {
        "stars.md": BEFORE + "text\n" + "*" * 1_200 + "\n",
        "brackets.md": BEFORE + "A paragraph\n" + "[" * 600 + "\n" + "[" * 600 + "\nend\n",
        "indent.md": BEFORE + "- list\n" + " " * 402 + "deep\n",
        "deep.md": BEFORE + "<div>\n" + "<b>" * 150 + "\n</div>\n",
    }
    res = build(BuildConfig(runs=_runs(tmp_path, reports), out=tmp_path / "site", quiet=True))
    stars, deep = reports["stars.md"], reports["deep.md"]
    assert _warnings(res, "stars.md") == [f"line {_line(stars, '*' * 1_200)}: 1,200 '*' in a row (more than 1,000){PLAIN}"]
    first, last = _line(reports["brackets.md"], "A paragraph"), _line(reports["brackets.md"], "[" * 600, 2)
    assert (first, last) == (17, 19)
    assert _warnings(res, "brackets.md") == [f"lines {first}-{last}: more than 1,000 '[' in one paragraph{PLAIN}"]
    assert _warnings(res, "indent.md") == [
        f"line {_line(reports['indent.md'], ' deep')}: indented 402 columns (more than 400: nested too deeply){PLAIN}"]
    assert _warnings(res, "deep.md") == [
        f"line {_line(deep, '<b>')}: raw HTML nested more than 100 tags deep{PLAIN}"]
