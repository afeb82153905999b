"""Small helpers shared by the view-models: flattening nested dicts and formatting values."""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from ..storage.format import flatten  # noqa: F401  (re-exported for the view-models)


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fmt_time(ts: Any) -> str:
    if not is_number(ts) or not math.isfinite(ts):
        return ""
    return _dt.datetime.fromtimestamp(float(ts), tz=_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def fmt_duration(seconds: Any) -> str:
    if not is_number(seconds) or not math.isfinite(seconds) or seconds < 0:
        return ""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m {s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h {m:02d}m"


def fmt_value(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return f"{v:.6g}"
    if isinstance(v, dict) and "_type" in v:
        return f"[{v['_type']}]"
    if isinstance(v, (list, dict)):
        text = str(v)
        return text if len(text) <= 80 else text[:77] + "..."
    return str(v)
