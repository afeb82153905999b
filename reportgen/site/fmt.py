"""Numbers, durations and dates as the site shows them: the Python half of one set of rules.

``assets/format.js`` is the browser half; ``tests/fixtures/format_cases.json`` holds the
cases both must agree on (``tests/test_format.py`` runs them here, ``tests/js/format.test.js``
in node). The rules:

- numbers: integers below 1e15 exactly; anything else with 6
  significant digits, in exponent form (``1.23457e+6``, ``1e-5``) when the exponent is
  below -4 or at least 6; NaN, Infinity and -Infinity by name;
- durations: ``86ms`` (under a second), ``42s``, ``3m 07s``, ``2h 05m`` (rounded to the second);
- dates (unix seconds): ``2024-01-31 12:05 UTC``.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any

_EXP = re.compile(r"e([+-])0*(\d)")


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fmt_number(v: float | int) -> str:
    if isinstance(v, int):
        if abs(v) < 10**15:
            return str(v)
        v = float(v)  # as the browser holds it
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    text = f"{v:.6g}"
    return _EXP.sub(r"e\1\2", text) if "e" in text else text  # (most have no exponent: no regex)


def fmt_time(ts: Any) -> str:
    if not is_number(ts) or not math.isfinite(ts):
        return ""
    try:  # a run folder's number: 1e308 is beyond any date (OverflowError), as is year 10,000 (ValueError)
        d = _dt.datetime.fromtimestamp(float(ts), tz=_dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return ""
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d} UTC"  # (%Y: "1", not "0001")


def fmt_duration(seconds: Any) -> str:
    if not is_number(seconds) or not math.isfinite(seconds) or seconds < 0:
        return ""
    ms = int(math.floor(seconds * 1000 + 0.5))
    if 0 < ms < 1000:  # a run shorter than a second (the demo's) shows its real length, not "0s"
        return f"{ms}ms"
    s = int(math.floor(seconds + 0.5))  # half up, as the browser's Math.round
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m {s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h {m:02d}m"


def fmt_size(n: Any) -> str:
    """A byte count: ``512 B``, ``1.5 KB`` ... ``2.0 TB``."""
    if not is_number(n) or n < 0:
        return "—"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return "—"  # pragma: no cover


def fmt_value(v: Any) -> str:
    """Any summary/config value as one line of text (numbers by :func:`fmt_number`)."""
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, float)):
        return fmt_number(v)
    if isinstance(v, dict) and "_type" in v:
        from .kinds import text

        return text(v)
    if isinstance(v, (list, dict)):
        text_ = str(v)
        return text_ if len(text_) <= 80 else text_[:77] + "..."
    return str(v)
