"""Logged plotly figures are data: nothing in them may make the page load from outside the site.

plotly.js loads from the internet on its own for some figures: geo traces (``scattergeo``,
``choropleth``) fetch their world map from ``cdn.plot.ly``, map traces (``scattermap``,
``*mapbox``...) fetch a map style and tiles, and an image (a layout image, a template's layout
image, an ``image`` trace) loads its ``source`` URL. :func:`clean_figure` returns a copy without

- traces and subplots (``geo``, ``map``, ``mapbox``, ``geo2``...) of those kinds (a template's
  styles for them stay: plotly.py's default template has them, and they draw nothing);
- every ``source`` that is not inline (``data:``), and the layout images that had one;
- ``relayout``/``restyle`` arguments of buttons and sliders that would set a ``source``, or make a
  trace one of those map kinds (``{"type": "scattergeo"}``: the world map was fetched at the click);
- a ``style`` attribute in plotly's text markup (titles, names, labels, hover templates, any string
  plotly draws: ``<span style="...">``) whose CSS loads something (``background-image:url(...)``,
  ``cursor:url(...)``, ``mask:url(...)``...: plotly sets it on the drawn text, so the page fetched it);

and the list of what was removed, so the builder can warn naming the key.
"""
from __future__ import annotations

import re
from html import unescape
from typing import Any

from .svgclean import bad_css

#: trace types whose drawing fetches map data (topojson, styles, tiles) from the internet
MAP_TRACES = frozenset({"scattergeo", "choropleth", "scattermap", "choroplethmap", "densitymap",
                        "scattermapbox", "choroplethmapbox", "densitymapbox"})
_MAP_SUBPLOT = re.compile(r"^(geo|map|mapbox)\d*$")
_SOURCE_PATH = re.compile(r"(^|[.\]])source$")  # "images[0].source" as a relayout argument
_ARGS_PATH = re.compile(r"\.args2?$")  # a button's or slider step's arguments (args, args2)
# plotly.js's own markup rules (src/lib/svg_text_utils.js): a tag, and the style attribute it reads
# from one (the first match; its value has HTML entities decoded)
_TAG = re.compile(r"<[^<>]*>")
_STYLE = re.compile(r"""(^|[\s"'])style\s*=\s*("([^"]*);?"|'([^']*);?')""", re.I)


def _names_map_trace(v: Any) -> bool:
    if isinstance(v, str):
        return v in MAP_TRACES
    if isinstance(v, list):
        return any(_names_map_trace(x) for x in v)
    if isinstance(v, dict):
        return any(_names_map_trace(x) for x in v.values())
    return False


def _clean_markup(text: str, path: str, removed: list[str]) -> str:
    """``text`` without the style attributes plotly would set that load something."""
    if "<" not in text or "style" not in text.lower():
        return text

    def bad(css: str) -> bool:  # (a template's %{...} is filled in the page: "url(" may come from the data)
        return "%{" in css or bad_css(css)

    def tag(m: re.Match) -> str:
        t = m.group(0)
        while (s := _STYLE.search(t)) and bad(unescape(s.group(3) if s.group(3) is not None else s.group(4))):
            removed.append(f"{path}: a style that loads from a URL")
            t = t[:s.end(1)] + t[s.end():]
        return t

    return _TAG.sub(tag, text)


def _inline(source: Any) -> bool:
    return not isinstance(source, str) or source.strip().lower().startswith("data:")


def clean_figure(fig: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``({"data", "layout"} cleaned, sorted list of what was removed)``."""
    removed: list[str] = []
    data = fig.get("data", [])
    layout = fig.get("layout", {})
    out = {"data": _clean(data, "data", removed) if isinstance(data, list) else [],
           "layout": _clean(layout, "layout", removed) if isinstance(layout, dict) else {}}
    return out, sorted(set(removed))


def _clean(v: Any, path: str, removed: list[str]) -> Any:
    if isinstance(v, list):
        if any(isinstance(x, str) and _SOURCE_PATH.search(x) for x in v):
            removed.append(f"{path}: an argument that sets an image source")
            return [{}]  # (a click then changes nothing; with no argument at all plotly.js throws)
        if _ARGS_PATH.search(path) and _names_map_trace(v):
            removed.append(f"{path}: an argument that makes a map trace (its map loads from the internet)")
            return [{}]
        kept = []
        for x in v:
            if path == "data" and isinstance(x, dict) and x.get("type") in MAP_TRACES:
                removed.append(f"{path}: a {x['type']} trace (its map loads from the internet)")
            elif isinstance(x, dict) and not _inline(x.get("source")):
                removed.append(f"{path}: an image from a URL")
            else:
                kept.append(_clean(x, path, removed))
        return kept
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            k = str(k)
            if _MAP_SUBPLOT.match(k) and path == "layout":
                removed.append(f"{path}.{k} (its map loads from the internet)")
            elif k == "source" and not _inline(x):
                removed.append(f"{path}.source (an image from a URL)")
            else:
                out[k] = _clean(x, f"{path}.{k}", removed)
        return out
    if isinstance(v, str):
        return _clean_markup(v, path, removed)
    return v


def removed_note(removed: list[str]) -> str:
    shown = "; ".join(removed[:4]) + (" ..." if len(removed) > 4 else "")
    return f"removed from the plotly figure (the site makes no requests): {shown}"
