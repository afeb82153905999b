"""How many ticks, bins and contour levels a logged plotly figure may ask the page for.

plotly.js draws a tick every ``dtick``, a bin every ``xbins.size`` and a contour level every
``contours.size`` over the data's range, with no limit of its own: ``"dtick": 1e-9`` on an axis
over 0..1 (or its ``minor.dtick``), a ``histogram2d`` with bins of 1e-9 or a contour ``size`` of
1e-12 hung the run page's tab for good; what buttons and sliders set is bounded alike
(:mod:`.plotlymenus`). :func:`bound_figure` removes such a setting (plotly then chooses its own, as when
the figure does not set it) and says what it removed, so the builder can warn naming the key.

The range a setting is measured against is the figure's: for an ``x`` axis (``xaxis2``, a 3D
scene's ``xaxis``...) every ``x`` value of every trace and the axis' ``range``; likewise ``y``,
``z``; for a colour bar, the largest of them. Dates count in milliseconds, as plotly does.
"""
from __future__ import annotations

import base64
import re
from typing import Any

import numpy as np

MAX_TICKS = 10_000
MAX_BINS = 10_000
MAX_CONTOURS = 1_000
AXIS = re.compile(r"^([xyz]|radial|angular|real|imaginary|a|b|c)axis\d*$")


def bound_figure(fig: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``(fig with unbounded settings removed, what was removed)``; ``fig`` is changed in place."""
    from .plotlymenus import bound_menus, menu_ranges, menu_settings

    removed: list[str] = []
    data = fig.get("data") if isinstance(fig.get("data"), list) else []
    spans = {letter: span_of([t.get(letter) for t in data if isinstance(t, dict)]) for letter in "xyz"}
    layout = fig.get("layout")
    settings = []
    if isinstance(layout, dict):
        settings = menu_settings(layout)  # a button may set any axis' range: every dtick is measured over it
        for letter, span in menu_ranges(settings).items():
            for each in (letter,) if letter else tuple(spans):
                spans[each] = max(spans.get(each, 0.0), span)
        _axes(layout, "layout", spans, removed)
    for i, trace in enumerate(data):
        if isinstance(trace, dict):
            _trace(trace, f"data[{i}]", spans, removed)
    if isinstance(layout, dict):
        bound_menus(layout, settings, spans, removed)  # what its buttons and sliders set when clicked
    return fig, removed


def _values(v: Any) -> np.ndarray:
    """The numbers in a trace's array (plain lists, nested lists, plotly.py's base64 ``bdata``)."""
    if isinstance(v, dict) and isinstance(v.get("bdata"), str) and isinstance(v.get("dtype"), str):
        try:
            return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).astype(float)
        except (ValueError, TypeError):
            return np.empty(0)
    if not isinstance(v, list):
        return np.empty(0)
    out: list[float] = []
    stack = [v]
    while stack:
        for x in stack.pop():
            if isinstance(x, list):
                stack.append(x)
            elif isinstance(x, (int, float)) and not isinstance(x, bool):
                out.append(float(x))
            elif isinstance(x, str) and len(x) >= 4 and x[:4].isdigit():  # a date: in ms, as plotly
                try:
                    out.append(float(np.datetime64(x.strip().replace(" ", "T")[:23], "ms").astype("int64")))
                except ValueError:
                    pass
    return np.asarray(out, dtype=float)


def span_of(arrays: list[Any], *ranges: Any) -> float:
    vals = [_values(a) for a in arrays] + [_values(r) for r in ranges]
    allv = np.concatenate(vals) if vals else np.empty(0)
    allv = allv[np.isfinite(allv)]
    return float(allv.max() - allv.min()) if allv.size else 0.0


def too_many(span: float, step: Any, limit: int) -> bool:
    if not isinstance(step, (int, float)) or isinstance(step, bool):
        return False
    return not step > 0 or span / step > limit  # 0, negative, NaN: no end to them


def _axes(obj: dict, path: str, spans: dict, removed: list[str]) -> None:
    """Every axis (and colour bar) under ``obj``, at any depth (scenes, polar, ternary...)."""
    for key, v in obj.items():
        if not isinstance(v, dict):
            continue
        m = AXIS.match(key)
        if m or key == "colorbar":
            letter = m.group(1) if m else ""
            span = spans.get(letter, max(spans.values()))
            span = max(span, span_of([], v.get("range"))) or 10.0  # no data: plotly's own range is a few units
            for ticks, where in ((v, f"{path}.{key}"), (v.get("minor"), f"{path}.{key}.minor")):
                if isinstance(ticks, dict) and too_many(span, ticks.get("dtick"), MAX_TICKS):
                    removed.append(f"{where}.dtick ({ticks['dtick']!r}: more than {MAX_TICKS:,} ticks)")
                    del ticks["dtick"]
            if isinstance(v.get("nticks"), (int, float)) and not v["nticks"] <= MAX_TICKS:
                removed.append(f"{path}.{key}.nticks ({v['nticks']!r}: more than {MAX_TICKS:,})")
                del v["nticks"]
        _axes(v, f"{path}.{key}", spans, removed)


def _trace(t: dict, path: str, spans: dict, removed: list[str]) -> None:
    _axes(t, path, spans, removed)  # marker.colorbar, colorbar
    for letter in "xy":
        nbins = t.get(f"nbins{letter}")
        if isinstance(nbins, (int, float)) and not isinstance(nbins, bool) and not nbins <= MAX_BINS:
            removed.append(f"{path}.nbins{letter} ({nbins!r}: more than {MAX_BINS:,} bins)")
            del t[f"nbins{letter}"]
        bins = t.get(f"{letter}bins")
        if isinstance(bins, dict):
            given = span_of([], [bins.get("start"), bins.get("end")]) if "start" in bins and "end" in bins else 0.0
            span = max(given, span_of([t.get(letter)]))
            if too_many(span, bins.get("size"), MAX_BINS):
                removed.append(f"{path}.{letter}bins.size ({bins['size']!r}: more than {MAX_BINS:,} bins)")
                del bins["size"]
    ncont = t.get("ncontours")
    if isinstance(ncont, (int, float)) and not isinstance(ncont, bool) and not ncont <= MAX_CONTOURS:
        removed.append(f"{path}.ncontours ({ncont!r}: more than {MAX_CONTOURS:,})")
        del t["ncontours"]
    contours = t.get("contours")
    if isinstance(contours, dict) and "size" in contours:
        span = max(span_of([t.get("z")]), span_of([], [contours.get("start"), contours.get("end")]))
        if too_many(span, contours.get("size"), MAX_CONTOURS):
            removed.append(f"{path}.contours.size ({contours['size']!r}: more than {MAX_CONTOURS:,} levels)")
            del contours["size"]
            t["autocontour"] = True


def removed_note(removed: list[str]) -> str:
    shown = "; ".join(removed[:4]) + (" ..." if len(removed) > 4 else "")
    return f"removed from the plotly figure (plotly chooses its own instead): {shown}"

