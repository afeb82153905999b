"""``define_metric(name, step_metric=...)`` on the site: each metric's default x axis.

Definitions come from run.json ``metrics`` (untrusted: anything not a string pair is
ignored). ``name`` is an exact key or a prefix ending in ``*``; an exact definition wins,
then the longest prefix. A step metric is never its own x axis.
"""
from __future__ import annotations

from typing import Any


def step_metric_defs(meta: dict[str, Any]) -> dict[str, str]:
    raw = meta.get("metrics") if isinstance(meta, dict) else None
    if not isinstance(raw, dict):
        return {}
    return {name: spec["step_metric"] for name, spec in raw.items()
            if isinstance(name, str) and isinstance(spec, dict) and isinstance(spec.get("step_metric"), str)
            and spec["step_metric"]}


def default_x(key: str, defs: dict[str, str]) -> str | None:
    found = defs.get(key)
    if found is None:
        best = -1
        for name, step in defs.items():
            if name.endswith("*") and key.startswith(name[:-1]) and len(name) > best:
                found, best = step, len(name)
    return found if found != key else None


def default_x_map(keys: list[str], meta: dict[str, Any], xkeys: set[str]) -> dict[str, str]:
    """``{metric: step_metric}`` for the metrics whose step metric is an x column of the run."""
    defs = step_metric_defs(meta)
    if not defs:
        return {}
    out = {}
    for key in keys:
        dx = default_x(key, defs)
        if dx is not None and dx in xkeys:
            out[key] = dx
    return out
