"""The sizes a logged Vega-Lite spec may ask the page for.

Vega draws as many axis ticks as ``tickCount`` says (by default one per 40 pixels of ``width``)
and as many bins as ``maxbins`` or a bin ``step`` over its ``extent`` say, each before anything
shows: ``"width": 1e9``, ``"tickCount": 1e9`` or ``"maxbins": 1e9`` hung the run page's tab
(200 MB to 1.2 GB). :func:`size_problem` tells, for one object of a spec, which of its sizes is
beyond what a chart needs; the spec is then refused whole. A size computed by an expression
(``{"expr": ...}``) is refused too: what it comes to is known only in the page.

A bin ``step`` without an ``extent`` (how many bins it makes depends on the data) is bounded by
:mod:`.vegabins`.
"""
from __future__ import annotations

from typing import Any

from .vegabins import MAX_BINS, literal_bins_problem, steps_problem

#: pixels: a chart's width or height, a band's step, the view's default sizes
MAX_PIXELS = 20_000
#: ticks on an axis (bins of a field: :data:`.vegabins.MAX_BINS`)
MAX_TICKS = 10_000

_PIXEL_KEYS = frozenset({"width", "height", "continuousWidth", "continuousHeight",
                         "discreteWidth", "discreteHeight"})


def _number_problem(key: str, v: Any, limit: float) -> str | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return None if abs(v) <= limit else f"{key} is {v:g}, more than {limit:,}"
    if isinstance(v, dict) and ("expr" in v or "signal" in v):
        return f"{key} comes from an expression (at most {limit:,} is allowed, known only in the page)"
    return None


def size_problem(obj: dict, in_view: bool = False) -> str | None:
    """Why one object of a spec (``in_view``: the ``config.view`` object) asks the page for too
    much, or None."""
    for key, v in obj.items():
        if key in _PIXEL_KEYS:
            if isinstance(v, dict) and "step" in v:  # {"step": 20}: pixels per band
                problem = _number_problem(f"{key}.step", v["step"], MAX_PIXELS)
            else:
                problem = _number_problem(key, v, MAX_PIXELS)
        elif key == "step" and in_view:  # config.view.step: pixels per band
            problem = _number_problem("step", v, MAX_PIXELS)
        elif key == "tickCount":
            problem = _number_problem(key, v, MAX_TICKS)
        elif key == "maxbins":
            problem = _number_problem(key, v, MAX_BINS)
        elif key in ("bin", "bins") and isinstance(v, dict):
            problem = literal_bins_problem(key, v) or steps_problem(key, v)
        else:
            problem = None
        if problem:
            return problem
    return None
