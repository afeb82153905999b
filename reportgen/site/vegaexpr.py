"""What the Vega expressions in a logged Vega-Lite spec may not do: run without bound in the page.

A Vega expression (``calculate``, ``filter``, ``{"expr": ...}``, ``labelExpr``, a param's
``expr``, an event filter ...) is compiled and run by the page. A few of its functions build
something as large as their arguments say: ``sequence(0, 1e9)`` a list of a billion numbers,
``pad('a', 1e9)`` a string of a billion characters (a 40-byte spec hung the run page's tab and
took it to a gigabyte). Those calls are refused wherever they appear in a spec.

Every string of the spec except its inline data is looked at (expressions sit in many places:
the properties above, predicates, conditions, selections' event streams), so a title that reads
``pad(x)`` is refused too; a spec is refused as a whole, with a message naming the property.
Identifier escapes (``\\u0070ad``) are read as the parser reads them.
"""
from __future__ import annotations

import re

#: functions whose result is as large as their (numeric) arguments say, whatever the data
UNBOUNDED = ("sequence", "timeSequence", "utcSequence", "pad")
_CALL = re.compile(r"(?<![\w$.])(" + "|".join(UNBOUNDED) + r")\s*\(")
_ESCAPE = re.compile(r"\\u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))")


def _unescape(text: str) -> str:
    def char(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF else m.group(0)

    return _ESCAPE.sub(char, text) if "\\u" in text else text


def expression_problem(text: str) -> str | None:
    """Why ``text`` may not be in a spec the page runs, or None."""
    if "(" not in text:
        return None
    m = _CALL.search(_unescape(text))
    if m:
        return f"calls {m.group(1)}(), which builds a list or string of any length in the page"
    return None
