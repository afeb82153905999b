"""What a report's markdown may hold before Python-Markdown gives up on it.

Reports come from other people. Python-Markdown recurses on nested lists and emphasis and tries
every ``[`` of a paragraph as a link: a list nested 500 levels deep or a run of 10,000 ``*``
raised RecursionError and stopped the whole build, 10,000 ``[`` in a 10 KB file ran for
minutes, and raw HTML nested 30,000 tags deep (then closed with stray tags) took 40 s. :func:`markdown_problem` tells, before rendering, whether a text goes beyond what any
report needs; the report is then shown as plain text, with a warning naming the line.
"""
from __future__ import annotations

import re

#: columns of leading whitespace on a line (a tab counts 4): nested lists and code in them
MAX_INDENT = 400
#: ``*`` or ``_`` in a row (emphasis delimiters)
MAX_DELIMITER_RUN = 1_000
#: ``[`` in one paragraph (each is tried as the start of a link)
MAX_BRACKETS = 1_000
#: raw HTML tags open at once (Python-Markdown looks for each closing tag among the open ones:
#: 30,000 nested ``<div>`` then 30,000 stray ``</b>`` took 40 s)
MAX_HTML_DEPTH = 100
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*?(/?)>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                   "source", "track", "wbr"})
_RUN = re.compile(r"\*{%d,}|_{%d,}" % (MAX_DELIMITER_RUN + 1, MAX_DELIMITER_RUN + 1))


def markdown_problem(text: str, first_line: int = 1) -> str | None:
    """Why ``text`` (line 1 of which is the file's ``first_line``) cannot be rendered as markdown
    in bounded time, or None."""
    brackets, start = 0, first_line
    for n, line in enumerate(text.split("\n"), first_line):
        stripped = line.lstrip(" \t")
        if stripped:
            lead = line[: len(line) - len(stripped)]
            indent = lead.count(" ") + 4 * lead.count("\t")
            if indent > MAX_INDENT:
                return f"line {n}: indented {indent} columns (more than {MAX_INDENT}: nested too deeply)"
            m = _RUN.search(line)
            if m:
                return f"line {n}: {len(m.group()):,} {m.group()[0]!r} in a row (more than {MAX_DELIMITER_RUN:,})"
            brackets += line.count("[")
            if brackets > MAX_BRACKETS:
                return f"lines {start}-{n}: more than {MAX_BRACKETS:,} '[' in one paragraph"
        else:
            brackets, start = 0, n + 1
    return _html_depth_problem(text, first_line)


def _html_depth_problem(text: str, first_line: int) -> str | None:
    if text.count("<") <= MAX_HTML_DEPTH:
        return None
    depth = 0
    for m in _TAG.finditer(text):
        closing, name, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        if closing:
            depth = max(depth - 1, 0)
        elif not selfclosing and name not in _VOID:
            depth += 1
            if depth > MAX_HTML_DEPTH:
                line = first_line + text.count("\n", 0, m.start())
                return f"line {line}: raw HTML nested more than {MAX_HTML_DEPTH} tags deep"
    return None
