"""The sizes a logged Vega-Lite spec may ask the page for.

Vega draws as many axis ticks as ``tickCount`` says (by default one per 40 pixels of ``width``)
and as many bins as ``maxbins`` or a bin ``step`` over its ``extent`` say, each before anything
shows: ``"width": 1e9``, ``"tickCount": 1e9`` or ``"maxbins": 1e9`` hung the run page's tab
(200 MB to 1.2 GB). :func:`size_problem` tells, for one object of a spec, which of its sizes is
beyond what a chart needs; the spec is then refused whole. A size computed by an expression
(``{"expr": ...}``) is refused too: what it comes to is known only in the page.

Not bounded here: a bin ``step`` without an ``extent`` (how many bins it makes depends on the
data, which transforms compute in the page).
"""
from __future__ import annotations

from typing import Any

#: pixels: a chart's width or height, a band's step, the view's default sizes
MAX_PIXELS = 20_000
#: ticks on an axis, bins of a field
MAX_TICKS = 10_000
MAX_BINS = 10_000

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
            problem = _bins_problem(key, v)
        else:
            problem = None
        if problem:
            return problem
    return None


def _bins_problem(key: str, params: dict) -> str | None:
    """A bin's (or a scale's ``bins``) literal step over its literal extent."""
    extent = params.get("extent")
    if isinstance(extent, list) and len(extent) == 2:
        lo, hi = extent
    else:
        lo, hi = params.get("start"), params.get("stop")
    nums = [x for x in (lo, hi) if isinstance(x, (int, float)) and not isinstance(x, bool)]
    step = params.get("step")
    if not isinstance(step, (int, float)) or isinstance(step, bool):
        return None
    if not step > 0:  # 0, negative, NaN: no end to the bins
        return f"{key}.step is {step:g}, not a positive number"
    if len(nums) == 2:
        n = abs(nums[1] - nums[0]) / step if step else float("inf")
        if not n <= MAX_BINS:  # NaN too
            return f"{key} makes {n:g} bins (step {step:g} over {nums[0]:g}..{nums[1]:g}), more than {MAX_BINS:,}"
    return None
