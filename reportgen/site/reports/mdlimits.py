"""What a report's markdown may hold before Python-Markdown gives up on it.

Reports come from other people. Python-Markdown recurses on nested lists and emphasis and tries
every ``[`` of a paragraph as a link: a list nested 500 levels deep or a run of 10,000 ``*``
raised RecursionError and stopped the whole build, 10,000 ``[`` in a 10 KB file ran for
minutes, and raw HTML nested 30,000 tags deep (then closed with stray tags) took 40 s. Its work also grows with the
square of a paragraph's length (each inline element splits the paragraph's text and the rest is
scanned again: 1 MB of ``*a* `` in one paragraph took 339 s), with the headings and rules of a
paragraph (each splits it, and the rest is tested again by every block processor: 16,000 headings
without a blank line between took 7 s, ``***`` lines 15 s) and with the abbreviations times the
text (16,000 ``*[A]: x`` lines took 172 s). :func:`markdown_problem` tells, before rendering,
whether a text goes beyond what any report needs; the report is then shown as plain text, with a
warning naming the line. Within the limits a report renders in seconds at worst (measured in
tests/test_security_report_markdown.py's docstring).
"""
from __future__ import annotations

import re

from .directives import _FENCE_RE as _directives_fence  # (the fences extract() knows)
from .lines import LineMap

#: columns of leading whitespace on a line (a tab counts 4): nested lists and code in them
MAX_INDENT = 400
#: ``*`` or ``_`` in a row (emphasis delimiters)
MAX_DELIMITER_RUN = 1_000
#: ``[`` in one paragraph (each is tried as the start of a link)
MAX_BRACKETS = 1_000
#: raw HTML tags open at once (Python-Markdown looks for each closing tag among the open ones:
#: 30,000 nested ``<div>`` then 30,000 stray ``</b>`` took 40 s)
MAX_HTML_DEPTH = 100
#: bytes of markdown in a report (a long document is a few tens of KB)
MAX_MARKDOWN_BYTES = 256 * 1024
#: bytes of one paragraph (lines between blank lines), or of one row of a table (a table's rows are
#: inline text each: a table is bounded by MAX_MARKDOWN_BYTES alone)
MAX_BLOCK_BYTES = 32 * 1024
#: headings, rules and setext underlines in one paragraph (Python-Markdown splits the paragraph at each)
MAX_BLOCK_SPLITS = 200
#: abbreviation definitions (``*[HTML]: Hyper Text...``; each is a pattern tried on all the text)
MAX_ABBREVIATIONS = 100
_SPLITS = re.compile(r"[ \t>]*(?:#|=+[ \t]*$|(?:[-*_][ \t]*){3,}$)")
_FENCE_RE = _directives_fence
_TABLE_RULE = re.compile(r"[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_ABBR = re.compile(r"^[ \t]{0,3}\*\[[^\]\n]+\]:", re.M)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*?(/?)>")
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                   "source", "track", "wbr"})
_RUN = re.compile(r"\*{%d,}|_{%d,}" % (MAX_DELIMITER_RUN + 1, MAX_DELIMITER_RUN + 1))


def markdown_problem(text: str, file_lines: LineMap | None = None) -> str | None:
    """Why ``text`` cannot be rendered as markdown in bounded time, or None. ``file_lines`` takes
    its lines to the report file's, named in the reason (directives.Extracted.lines)."""
    at = file_lines or LineMap()
    brackets, start, block, splits, table, first, size = 0, 0, 0, 0, False, "", ""
    lines = text.split("\n")
    code = _fenced(lines)  # (fenced code is taken out before parsing: its lines cost nothing)
    for n, line in enumerate(lines):
        stripped = line.lstrip(" \t")
        if n in code:
            brackets, start, block, splits, table = 0, n + 1, 0, 0, False
            continue
        if stripped:
            if n == start:
                first = line
            elif n == start + 1 and "|" in first and "|" in line and _TABLE_RULE.match(line):
                table = True  # a table: its rows are inline text each, bounded one by one
            lead = line[: len(line) - len(stripped)]
            indent = lead.count(" ") + 4 * lead.count("\t")
            if indent > MAX_INDENT:
                return f"line {at(n)}: indented {indent} columns (more than {MAX_INDENT}: nested too deeply)"
            m = _RUN.search(line)
            if m:
                return f"line {at(n)}: {len(m.group()):,} {m.group()[0]!r} in a row (more than {MAX_DELIMITER_RUN:,})"
            brackets += line.count("[")
            if brackets > MAX_BRACKETS:
                return f"lines {at(start)}-{at(n)}: more than {MAX_BRACKETS:,} '[' in one paragraph"
            # (the size problems below are told after those above and the HTML's: they name the cause)
            block = len(line) + 1 if table else block + len(line) + 1
            if block > MAX_BLOCK_BYTES and not size:
                size = f"lines {at(start)}-{at(n)}: more than {MAX_BLOCK_BYTES:,} characters in one paragraph"
            splits += bool(_SPLITS.match(line))
            if splits > MAX_BLOCK_SPLITS and not size:
                size = (f"lines {at(start)}-{at(n)}: more than {MAX_BLOCK_SPLITS:,} headings or rules in one paragraph "
                        "(put a blank line between them)")
        else:
            brackets, start, block, splits, table = 0, n + 1, 0, 0, False
    problem = _html_depth_problem(text, at)
    if problem or size:
        return problem or size
    total = len(text.encode("utf-8", "surrogatepass"))
    if total > MAX_MARKDOWN_BYTES:
        return f"{total:,} bytes of markdown (more than {MAX_MARKDOWN_BYTES:,})"
    abbreviations = len(_ABBR.findall(text))
    if abbreviations > MAX_ABBREVIATIONS:
        return f"{abbreviations:,} abbreviation definitions (more than {MAX_ABBREVIATIONS:,})"
    return None


def _fenced(lines: list[str]) -> set[int]:
    """Indices of the lines of fenced code blocks that are closed (an unclosed fence is text)."""
    out: set[int] = set()
    opened = fence = None
    for i, line in enumerate(lines):
        fm = _FENCE_RE.match(line)
        if fence is None:
            if fm:
                opened, fence = i, fm.group(2)
        elif fm and fm.group(2)[0] == fence[0] and len(fm.group(2)) >= len(fence) and line.strip() == fm.group(2):
            out.update(range(opened, i + 1))
            fence = None
    return out


def _html_depth_problem(text: str, at: LineMap) -> str | None:
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
                line = at(text.count("\n", 0, m.start()))
                return f"line {line}: raw HTML nested more than {MAX_HTML_DEPTH} tags deep"
    return None
