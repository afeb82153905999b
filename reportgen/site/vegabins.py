"""How many bins a logged Vega-Lite spec makes in the page, whatever its data's range.

Vega makes a bin every ``step`` over the binned field's extent, and VL's scale ``bins`` (a
``binned`` field's ``step``, or a scale's ``{"bins": {"step": ...}}``) list a boundary every
``step`` over the scale's domain, each array built before anything shows: ``{"bin": {"step":
1e-3}}`` over logged values from 0 to 1e6 hung the run page's tab for 30 s and crashed the chart
(a billion bins); a binned field or scale bins with such a step, 30 to 60 s. Three cases:

- a literal range (``extent``, or ``start`` and ``stop``): the count is known, and a spec asking
  for more than :data:`MAX_BINS` is refused (:func:`literal_bins_problem`);
- a bin's ``step`` (or ``steps``) over the data's range: :func:`bounded_bin` rewrites it as
  Vega's ``minstep`` with ``maxbins`` :data:`MAX_BINS`: Vega then picks a step of at least
  that size making at most that many bins, which is the given step whenever it makes at most
  3,000 or so (the chart is the same; ``steps`` become the smallest of them);
- a binned field's ``step`` or scale ``bins`` over the scale's domain: counted over the
  scale's literal ``domain``, else over the field's values in the spec's inline data when no
  transform could change them (:func:`domain_bins_problem`); otherwise refused, with a message
  saying to give the scale a domain.
"""
from __future__ import annotations

import math
from typing import Any

MAX_BINS = 10_000
_COMPANION = {"x": "x2", "y": "y2", "theta": "theta2", "radius": "radius2", "latitude": "latitude2",
              "longitude": "longitude2"}
_DATA_KEYS = frozenset({"data", "datasets", "values"})


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _pair(v: Any) -> tuple[float, float] | None:
    if isinstance(v, list) and len(v) == 2 and all(_number(x) for x in v):
        return float(v[0]), float(v[1])
    return None


def literal_bins_problem(key: str, params: dict) -> str | None:
    """A bin's (or a scale's ``bins``) literal step over its literal extent."""
    extent = _pair(params.get("extent")) or _pair([params.get("start"), params.get("stop")])
    step = params.get("step")
    if not _number(step):
        return None
    if not step > 0:  # 0, negative, NaN: no end to the bins
        return f"{key}.step is {step:g}, not a positive number"
    if extent is not None and params.get("binned") is not True:  # binned: over the scale's domain
        n = abs(extent[1] - extent[0]) / step
        if not n <= MAX_BINS:  # NaN too
            return f"{key} makes {n:g} bins (step {step:g} over {extent[0]:g}..{extent[1]:g}), more than {MAX_BINS:,}"
    return None


def bounded_bin(params: dict) -> dict | None:
    """The parameters of a bin (an encoding's ``bin``, a bin transform's) whose ``step`` or
    ``steps`` are counted over the data's range, rewritten to make at most :data:`MAX_BINS` bins;
    None when there is nothing to rewrite (no step, a literal extent, a ``binned`` field)."""
    if params.get("binned") is True or _pair(params.get("extent")) is not None:
        return None
    step, steps = params.get("step"), params.get("steps")
    if _number(step) and step > 0:
        smallest, maxbins = float(step), MAX_BINS  # Vega ignores maxbins when a step is given
    elif isinstance(steps, list) and steps and all(_number(s) and math.isfinite(s) and s > 0 for s in steps):
        smallest, maxbins = float(min(steps)), params.get("maxbins")
    else:
        return None
    out = {k: v for k, v in params.items() if k not in ("step", "steps", "minstep")}
    out["minstep"] = smallest
    if maxbins is not None:
        out["maxbins"] = maxbins
    return out


def steps_problem(key: str, params: dict) -> str | None:
    """Why a bin's ``steps`` cannot be bounded (not all positive numbers), or None."""
    steps = params.get("steps")
    if steps is None:
        return None
    if not (isinstance(steps, list) and steps
            and all(_number(s) and math.isfinite(s) and s > 0 for s in steps)):
        return f"{key}.steps is not a list of positive numbers"
    return None


def domain_bins_problem(spec: dict) -> str | None:
    """Why a binned field's ``step`` or a scale's ``bins`` ``step`` (each over the scale's
    domain) would make too many boundaries in the page, or None."""
    values = _inline_rows(spec)
    transformed = _has_transforms(spec)
    for path, enc in _encodings(spec, ""):
        for channel, fdef in enc.items():
            if not isinstance(fdef, dict):
                continue
            bin_, scale = fdef.get("bin"), fdef.get("scale")
            scale = scale if isinstance(scale, dict) else {}
            checks = []
            if isinstance(bin_, dict) and bin_.get("binned") is True and _number(bin_.get("step")):
                checks.append(("bin", bin_["step"]))
            sbins = scale.get("bins")
            if isinstance(sbins, dict) and _number(sbins.get("step")) and \
                    _pair([sbins.get("start"), sbins.get("stop")]) is None:
                checks.append(("scale.bins", sbins["step"]))
            for what, step in checks:
                where = f"{path}encoding.{channel}.{what}"
                if not step > 0:
                    return f"{where}.step is {step:g}, not a positive number"
                span = _domain_span(channel, fdef, enc, scale, values, transformed)
                if span is None:
                    return (f"{where}.step {step:g} is counted over the data's range, known only in the page "
                            "(give the scale a literal domain)")
                if not span / step <= MAX_BINS:
                    return f"{where} makes {span / step:g} bins (step {step:g} over a range of {span:g}), " \
                           f"more than {MAX_BINS:,}"
    return None


def _domain_span(channel: str, fdef: dict, enc: dict, scale: dict, rows: list, transformed: bool) -> float | None:
    domain = _pair(scale.get("domain"))
    if domain is not None:
        return abs(domain[1] - domain[0])
    if transformed:
        return None
    fields = [fdef.get("field")]
    other = enc.get(_COMPANION.get(channel, ""))
    if isinstance(other, dict):
        fields.append(other.get("field"))
    lo, hi = math.inf, -math.inf
    for field in fields:
        if field is None:
            continue
        if not isinstance(field, str) or not rows:
            return None
        for r in rows:
            v = r.get(field) if isinstance(r, dict) else None
            if v is None:
                continue
            if not _number(v) or not math.isfinite(v):
                return None
            lo, hi = min(lo, v), max(hi, v)
    return hi - lo if hi >= lo else 0.0


def _encodings(v: Any, path: str):
    """``(path, encoding)`` of every view of the spec."""
    if isinstance(v, dict):
        if isinstance(v.get("encoding"), dict):
            yield path, v["encoding"]
        for k, x in v.items():
            if k not in _DATA_KEYS and k != "encoding":
                yield from _encodings(x, f"{path}{k}.")
    elif isinstance(v, list):
        for x in v:
            yield from _encodings(x, path[:-1] + "[]." if path else "[].")


def _inline_rows(spec: dict) -> list:
    """Every inline row of the spec (its views' ``data.values`` and its ``datasets``)."""
    rows: list = []
    stack: list = [spec]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            data = v.get("data")
            if isinstance(data, dict) and isinstance(data.get("values"), list):
                rows.extend(data["values"])
            if isinstance(v.get("datasets"), dict):
                for ds in v["datasets"].values():
                    if isinstance(ds, list):
                        rows.extend(ds)
            stack.extend(x for k, x in v.items() if k not in _DATA_KEYS)
        elif isinstance(v, list):
            stack.extend(v)
    return rows


def _has_transforms(spec: dict) -> bool:
    """Whether a view computes fields (or takes data the builder cannot count: a sequence, CSV text)."""
    stack: list = [spec]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("transform"):
                return True
            data = v.get("data")
            if isinstance(data, dict) and not isinstance(data.get("values"), list) and "name" not in data:
                return True
            stack.extend(x for k, x in v.items() if k not in _DATA_KEYS)
        elif isinstance(v, list):
            stack.extend(v)
    return False
