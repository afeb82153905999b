"""What the runs table needs beyond a run's summary: per metric its min, max and last value
(computed by the build from the whole history, ``RunInfo.metrics``) and the goal given to
``define_metric(goal=...)``, so a summary column can show min, max, last or best
(``assets/runs-table.js``). Also the run's sweep id, for grouping runs by sweep."""
from __future__ import annotations

import math
from typing import Any

SUFFIXES = (".min", ".max", ".last", ".best", ".mean", ".first")


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None


def metric_of(col: str, metrics: dict[str, Any]) -> str | None:
    """The logged metric behind a summary column: ``loss`` or ``loss.min`` (define_metric summary)."""
    if col in metrics:
        return col
    for suf in SUFFIXES:
        if col.endswith(suf) and col[: -len(suf)] in metrics:
            return col[: -len(suf)]
    return None


def goals(meta: dict[str, Any]) -> dict[str, str]:
    defs = meta.get("metrics")
    out = {}
    if isinstance(defs, dict):
        for name, spec in defs.items():
            if isinstance(name, str) and isinstance(spec, dict) and spec.get("goal") in ("minimize", "maximize"):
                out[name] = spec["goal"]
    return out


def table_fields(r, summary_cols: list[str]) -> dict[str, Any]:
    """``m``: summary column -> [min, max, last] of its metric; ``mg``: column -> goal; ``sweep``."""
    stats, goal_of, g = {}, {}, goals(r.meta)
    for col in summary_cols:
        key = metric_of(col, r.metrics)
        if key is None:
            continue
        m = r.metrics[key]
        stats[col] = [_num(m.get("min")), _num(m.get("max")), _num(m.get("last"))]
        if key in g:
            goal_of[col] = g[key]
    sweep = r.meta.get("sweep_id")
    return {"m": stats, "mg": goal_of, "sweep": sweep if isinstance(sweep, str) else ""}
