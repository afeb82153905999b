"""What a logged plotly figure's buttons and sliders may set when a reader clicks them.

An ``updatemenus`` button or a ``sliders`` step runs ``relayout``/``restyle``/``update``/
``animate`` with its ``args`` (and a toggle's ``args2``): ``{"xaxis.dtick": 1e-12, "xaxis.range":
[0, 1e6]}`` froze the tab at the click, as a figure's own ``dtick`` did before
:mod:`.plotlysize` bounded it. :func:`bound_menus` applies the same limits to what the arguments
set, whether as dotted keys (``"xaxis.dtick"``, ``"xbins.size"``), nested objects (``{"xaxis":
{"dtick": ...}}``), per-trace lists (``{"xbins.size": [1e-9]}``) or animation frames
(``{"layout": ..., "data": ...}``), measured against the widest range the figure can show on
that axis: its data's, its axes' ``range`` and every ``range`` the arguments set. A setting
beyond a limit is removed from the arguments (plotly then keeps its own), with a warning.
"""
from __future__ import annotations

import re
from typing import Any

from .plotlysize import AXIS, MAX_BINS, MAX_CONTOURS, MAX_TICKS, span_of, too_many

_MENUS = (("updatemenus", "buttons"), ("sliders", "steps"))
_LETTER = re.compile(r"(?:^|\.)(?:scene\d*\.)?([xyz])axis\d*(?:\.|\[|$)")
_INDEX = re.compile(r"\[\d+\]$")


def menu_settings(layout: dict) -> list[tuple[dict, str, str, Any, str]]:
    """Every setting ``layout``'s buttons and slider steps make (see :func:`_leaves`); a
    ``relayout``/``restyle`` of one key (``["xaxis.dtick", 1e-9]``) becomes its object form."""
    leaves = []
    for menus_key, items_key in _MENUS:
        menus = layout.get(menus_key)
        for i, menu in enumerate(menus if isinstance(menus, list) else []):
            items = menu.get(items_key) if isinstance(menu, dict) else None
            for j, item in enumerate(items if isinstance(items, list) else []):
                for a in ("args", "args2"):
                    args = item.get(a) if isinstance(item, dict) else None
                    if isinstance(args, list) and len(args) >= 2 and isinstance(args[0], str) \
                            and item.get("method") in ("relayout", "restyle"):  # ("xaxis.dtick", 1e-9): one setting
                        args = item[a] = [{args[0]: args[1]}, *args[2:]]
                    if isinstance(args, list):
                        leaves += _leaves(args, "", f"layout.{menus_key}[{i}].{items_key}[{j}].{a}")
    return leaves


def menu_ranges(leaves: list) -> dict[str, float]:
    """The widest ``range`` the settings give each axis letter (``""``: an axis of no letter)."""
    out: dict[str, float] = {}
    for _c, _k, key, value, _w in leaves:
        if _last(key).startswith("range"):
            span = span_of([], value if isinstance(value, list) else [value, 0])
            out[_letter(key)] = max(out.get(_letter(key), 0.0), span)
    return out


def bound_menus(layout: dict, leaves: list, spans: dict[str, float], removed: list[str]) -> None:
    """Remove the ``leaves`` (:func:`menu_settings`) of ``layout``'s buttons and slider steps that
    would make too many ticks, bins or contour levels over ``spans`` (each letter's widest range:
    the data's and what any button sets, since a setting stays when the next button sets a
    range); say what in ``removed``."""
    widest = dict(spans)
    for letter, rng in _layout_ranges(layout, ""):
        widest[letter] = max(widest.get(letter, 0.0), span_of([], rng))
    everything = max(widest.values(), default=0.0)
    for container, own_key, key, value, where in leaves:
        problem = _problem(key, value, widest, everything)
        if problem and own_key in container:
            removed.append(f"{where} {key!r} ({value!r}: {problem})" if not isinstance(value, list)
                           else f"{where} {key!r} ({problem})")
            del container[own_key]


def _leaves(v: Any, key: str, where: str) -> list[tuple[dict, str, str, Any, str]]:
    """``(container, its key, the dotted key plotly reads, value, where)`` of every setting under ``v``
    (``where``: the argument's path in the figure)."""
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            full = f"{key}.{k}" if key else str(k)
            if isinstance(x, (dict, list)) and not _numbers(x):
                out += _leaves(x, full, where)
            else:
                out.append((v, k, full, x, where))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            if isinstance(x, (dict, list)):
                out += _leaves(x, f"{key}[{i}]" if key else "", where)
    return out


def _numbers(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(not isinstance(x, (dict, list)) for x in v)


def _last(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _letter(key: str) -> str:
    m = _LETTER.search(key)
    return m.group(1) if m else ""


def _layout_ranges(obj: dict, path: str):
    for k, v in obj.items():
        if isinstance(v, dict) and k not in ("updatemenus", "sliders"):
            m = AXIS.match(k)
            if m and "range" in v:
                yield m.group(1), v["range"]
            yield from _layout_ranges(v, f"{path}{k}.")


def _problem(key: str, value: Any, widest: dict[str, float], everything: float) -> str | None:
    last = _INDEX.sub("", _last(key))
    parent = _INDEX.sub("", key.rsplit(".", 2)[-2]) if key.count(".") else ""
    values = value if isinstance(value, list) else [value]
    if last == "dtick":
        letter = _letter(key)
        span = (widest.get(letter, everything) if letter else everything) or 10.0
        limit, what = MAX_TICKS, "ticks"
    elif last == "size" and parent in ("xbins", "ybins"):
        span, limit, what = widest.get(parent[0], everything) or 10.0, MAX_BINS, "bins"
    elif last == "size" and parent == "contours":
        span, limit, what = everything or 10.0, MAX_CONTOURS, "levels"
    elif last in ("nticks", "nbinsx", "nbinsy", "ncontours"):
        limit = MAX_CONTOURS if last == "ncontours" else MAX_TICKS if last == "nticks" else MAX_BINS
        if any(isinstance(x, (int, float)) and not isinstance(x, bool) and not x <= limit for x in values):
            return f"more than {limit:,}"
        return None
    else:
        return None
    if any(too_many(span, x, limit) for x in values):
        return f"more than {limit:,} {what}"
    return None
