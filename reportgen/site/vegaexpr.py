"""What the Vega expressions in a logged Vega-Lite spec may not do: run without bound in the page.

A Vega expression (``calculate``, ``filter``, ``{"expr": ...}``, ``labelExpr``, a param's
``expr``, an event filter ...) is compiled and run by the page. A few of its functions build
something as large as their arguments say: ``sequence(0, 1e9)`` a list of a billion numbers,
``pad('a', 1e9)`` a string of a billion characters (a 40-byte spec hung the run page's tab and
took it to a gigabyte). Those calls are refused wherever they appear in a spec, so is
``data()`` in a ``calculate`` or an ``expr`` (a whole data set as one value: flattened, rows
times rows: 2,000 logged rows hung the tab), and so is any
regular expression (a ``/.../`` literal or ``regexp()``): ``test(/(a+)+$/, datum.name)`` on a
logged name of 40 characters hung the tab for good, and which patterns backtrack without end on
some text cannot be told in general.

Every string of the spec except its inline data and its text (:data:`TEXT_KEYS`) is looked at
(expressions sit in many places: the properties above, predicates, conditions, selections' event
streams); a spec is refused as a whole, with a message naming the property. Identifier escapes
(``\\u0070ad``) are read as the parser reads them.

A title, a description or a mark's text is never run: Vega-Lite hands it to Vega as a literal
string (an expression there is an ``{"expr": ...}`` object, whose ``expr`` is looked at). A
title reading ``loss: pad(x) vs /(a+)+$/`` was refused, a chart that could not hurt the page.
"""
from __future__ import annotations

import re

from .vegaformat import format_call_problem

#: functions whose result is as large as their (numeric) arguments say, whatever the data
UNBOUNDED = ("sequence", "timeSequence", "utcSequence", "pad")
_CALL = re.compile(r"(?<![\w$.])(" + "|".join(UNBOUNDED) + r")\s*\(")
_DATA_CALL = re.compile(r"(?<![\w$.])data\s*\(")
_REGEXP_CALL = re.compile(r"(?<![\w$.])regexp\s*\(")
#: where a ``/.../flags`` literal may start: after an operator, ``(``, ``,``, ``[`` ...
_REGEX_START = re.compile(r"(?:^|[(,=:\[!&|?{};+\-*%<>~^])\s*/(?![/*])")
_SPECIAL = re.compile(r"[\\\n\r\u2028\u2029\[\]/]")  # what ends or escapes inside a literal
_REGEX_END = re.compile(r"[dgimsuvy]*(?![\w$])")  # flags, then no more of a name
_ESCAPE = re.compile(r"\\u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))")


def _unescape(text: str) -> str:
    def char(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF else m.group(0)

    return _ESCAPE.sub(char, text) if "\\u" in text else text


#: where a value computed by an expression can become rows (``calculate`` then ``flatten``; a
#: param's ``expr`` used in a ``calculate``): only there is ``data()`` refused, so a title reading
#: "Training data (v2)" is fine
_VALUE_KEYS = frozenset({"calculate", "expr"})
#: properties whose string is text Vega-Lite passes on as it is, never compiled as an expression
TEXT_KEYS = frozenset({"title", "subtitle", "text", "description", "value", "datum"})


def expression_problem(text: str, key: str = "") -> str | None:
    """Why ``text`` (the value of property ``key``) may not be in a spec the page runs, or None."""
    if key in TEXT_KEYS or ("(" not in text and "/" not in text):
        return None
    text = _unescape(text)
    m = _CALL.search(text)
    if m:
        return f"calls {m.group(1)}(), which builds a list or string of any length in the page"
    if key in _VALUE_KEYS and _DATA_CALL.search(text):
        return "calls data(), which puts a whole data set in the page in each row (flattened, rows times rows)"
    if _REGEXP_CALL.search(text) or _has_regex_literal(text):
        return "has a regular expression, which can run for ever on logged text in the page"
    return format_call_problem(text)


def _has_regex_literal(text: str) -> bool:
    """Whether ``text`` holds something the expression parser reads as a ``/.../flags`` literal
    (``/`` in a title, a path or a URL is not one). At most a few passes over ``text``: past that,
    it is taken for one."""
    budget = 2 * len(text) + 10_000
    pos = 0
    while (m := _REGEX_START.search(text, pos)) is not None:
        i, in_class = m.end(), False
        while (c := _SPECIAL.search(text, i)) is not None:
            budget -= c.end() - i
            if budget < 0:
                return True
            i = c.end()
            ch = c.group()
            if ch == "\\":
                i += 1
            elif ch in "\n\r\u2028\u2029":
                break
            elif in_class:
                in_class = ch != "]"
            elif ch == "[":
                in_class = True
            elif ch == "/":
                if _REGEX_END.match(text, i):
                    return True
                break
        pos = m.end()
    return False
