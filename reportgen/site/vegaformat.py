"""Number formats in a logged Vega-Lite spec: their width is a string the page builds.

A d3 number format (``"0100000000d"``: zero-padded to 100 million characters) pads every label
it formats to its width: an axis ``format`` like that hung the run page's tab for good (the
canvas measured each label), and ``format(datum.x, '0999999999d')`` in an expression as well.
Formats are read where the spec names them (``format``, ``numberFormat``,
``normalizedNumberFormat``) and in every ``format(...)`` call of an expression, whose specifier
must then be a plain string (one computed in the page could be any width).
"""
from __future__ import annotations

import re

MAX_WIDTH = 100
FORMAT_KEYS = frozenset({"format", "numberFormat", "normalizedNumberFormat"})
#: d3-format's specifier grammar (formatSpecifier), anchored as JavaScript's ``^...$``
_SPECIFIER = re.compile(r"(?:(.)?([<>=^]))?([+\-( ])?([$#])?(0)?(\d+)?(,)?(\.\d+)?(~)?([a-z%])?\Z",
                        re.ASCII | re.IGNORECASE)
_FORMAT_CALL = re.compile(r"(?<![\w$.])format\s*\(")
_STRING = re.compile(r"""\s*('[^'\\\n]*'|"[^"\\\n]*")\s*\)""")  # no escapes: a plain string


def specifier_problem(spec: str) -> str | None:
    """Why the number format ``spec`` may not be used, or None (not a number format: fine)."""
    m = _SPECIFIER.match(spec)
    if m and m.group(6) and int(m.group(6)) > MAX_WIDTH:
        return f"number format {spec[:40]!r} pads to {int(m.group(6)):,} characters, more than {MAX_WIDTH}"
    return None


def format_call_problem(text: str) -> str | None:
    """Why a ``format(value, specifier)`` call in expression ``text`` may not run, or None."""
    budget = [2 * len(text) + 10_000]  # nested calls are scanned again: a few passes at most
    for m in _FORMAT_CALL.finditer(text):
        comma = _top_level_comma(text, m.end(), budget)
        if comma is None:  # one argument (the default format), or not a call: "Data format (v2)"
            continue
        lit = _STRING.match(text, comma + 1) if comma >= 0 else None
        if lit is None:
            return "calls format() with a specifier that is not a plain string (its width is known only in the page)"
        problem = specifier_problem(lit.group(1)[1:-1])
        if problem:
            return f"calls format() with a {problem}"
    return None


def _top_level_comma(text: str, i: int, budget: list[int]) -> int | None:
    """The index of the comma ending the first argument of the call whose ``(`` ends at ``i``:
    None when there is none, -1 when ``budget`` runs out."""
    depth, quote = 0, None
    while i < len(text):
        budget[0] -= 1
        if budget[0] < 0:
            return -1
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return None
            depth -= 1
        elif c == "," and depth == 0:
            return i
        i += 1
    return None

