"""Vega-Lite specs for metric charts, as plain dicts (data and view state are supplied by the page).

The spec's data is the named dataset ``rows``: records ``{run, x, y, s, lo, hi, bad}``
built in the page from the chart's data files (``assets/charts.js``). The page patches
the x field title/type, the y scale type (log/linear), the colour domain/range of the
runs shown and the ``rawOpacity`` param; the layer names below are that contract.
"""
from __future__ import annotations

from typing import Any

from .clip import clip_title

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

# Tableau 10 (Vega's default), then 10 colours picked to stand apart from them and from each other
# (no pair closer than CIEDE2000 16.9; the earlier second ten were Matplotlib's, 2.9-4.8 from three
# of the first ten), all of lightness 42-82 so that lines show on the light and the dark theme.
# Which run takes which colour: pages.run_colors.
PALETTE = [
    "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6",
    "#9d755d", "#bab0ac", "#696900", "#007869", "#a5b4ff", "#c30069", "#874bb4", "#3cc3ff",
    "#a5965a", "#b43c0f", "#f096ff", "#007800",
]
NONFINITE_COLOR = "#e03131"


def run_color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


# Axis labels: "0, 500, 1k, 1.5k, 12.5k, 0.25" -- up to 4 significant digits, an SI suffix from
# 1,000 (Vega's own "~s" picks the precision from the tick step and printed "0k, 1k" for 500, 1500).
TICK_LABEL = "abs(datum.value) >= 1000 ? format(datum.value, '.4~s') : format(datum.value, '.4~g')"


def _y(field: str, title: str | None = None) -> dict[str, Any]:
    # ydom: the range fitted by the page to what is drawn (assets/chart-fit.js), zoom overrides it
    return {"field": field, "type": "quantitative", "title": title,
            "scale": {"type": "linear", "zero": False, "domain": {"expr": "ydom"}},
            "axis": {"tickCount": 5, "labelOverlap": True, "labelExpr": TICK_LABEL}}


def metric_chart_spec(title: str, *, x_title: str = "Step", height: int = 220) -> dict[str, Any]:
    """A multi-run line chart with min-max band, faint raw line under the smoothed one,
    red rules at NaN/Infinity, legend entries that switch runs off and on (the page
filters the rows and sets ``hidden``), and drag/wheel zoom. The hover tooltip
    (every run's value at the pointer's x) is drawn by the page (assets/charts.js): a
    Vega layer of invisible points for it costs more than the lines themselves."""
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": {"text": clip_title(title), "anchor": "start", "fontSize": 13, "fontWeight": 600, "limit": 420},
        "width": "container",
        "height": height,
        "autosize": {"type": "fit", "contains": "padding"},
        "data": {"name": "rows"},
        # rawOpacity: the faint raw line under a smoothed one; hidden: runs switched off in the legend;
        # ydom: the fitted y range; hot: the run under the pointer, drawn again on top of the others
        "params": [{"name": "rawOpacity", "value": 0}, {"name": "hidden", "value": []},
                   {"name": "ydom", "value": [0, 1]}, {"name": "hot", "value": None}],
        "encoding": {
            # The page hands over each run's rows sorted by x (assets/charts.js sorts the rare run
            # whose x goes backwards), so Vega's per-series sort is skipped.
            "order": {"value": None},
            "x": {"field": "x", "type": "quantitative", "title": x_title,
                  "scale": {"zero": False, "nice": False},
                  "axis": {"labelFlush": True, "tickCount": 6, "labelOverlap": True, "labelExpr": TICK_LABEL}},
            "color": {
                "field": "run", "type": "nominal", "title": None,
                "scale": {"domain": [], "range": []},
                "legend": {"orient": "bottom", "direction": "horizontal", "columns": 3, "labelLimit": 200,
                           "symbolType": "stroke", "symbolLimit": 12,
                           "symbolOpacity": 1, "symbolStrokeWidth": 2.5},
            },
        },
        "layer": [
            {"name": "band", "transform": [{"filter": "datum.lo != null && datum.hi != null"}],
             "mark": {"type": "area", "opacity": 0.16, "clip": True},
             "encoding": {"y": _y("lo"), "y2": {"field": "hi"}}},
            {"name": "raw", "mark": {"type": "line", "strokeWidth": 1, "clip": True, "opacity": {"expr": "rawOpacity"}},
             "encoding": {"y": _y("y")}},
            {"name": "main",
             "params": [
                 {"name": "zoom", "select": {"type": "interval", "encodings": ["x", "y"]}, "bind": "scales"},
             ],
             # slightly transparent, so where lines cross none hides the others completely
             "mark": {"type": "line", "strokeWidth": 1.6, "clip": True, "opacity": 0.85},
             "encoding": {"y": _y("s")}},
            # a value with no neighbour to draw a line to (a metric logged once, a point between
            # gaps): a dot, as a line of one point draws nothing (the page marks such rows `lone`)
            {"name": "lone", "transform": [{"filter": "datum.lone"}],
             "mark": {"type": "point", "filled": True, "size": 30, "opacity": 0.85, "clip": True},
             "encoding": {"y": _y("s")}},
            {"name": "hot", "transform": [{"filter": "hot !== null && datum.run === hot"}],
             "mark": {"type": "line", "strokeWidth": 2.4, "clip": True},
             "encoding": {"y": _y("s")}},
            {"name": "nonfinite", "transform": [{"filter": "datum.bad != null"}],
             "mark": {"type": "rule", "color": NONFINITE_COLOR, "strokeDash": [4, 3], "strokeWidth": 1.2,
                      "clip": True},
             "encoding": {"color": {"value": NONFINITE_COLOR},
                          "tooltip": [{"field": "run", "type": "nominal", "title": "run"},
                                      {"field": "x", "type": "quantitative", "title": x_title},
                                      {"field": "bad", "type": "nominal", "title": "value"}]}},
        ],
        "config": {
            # No per-point ARIA descriptions: the canvas renderer never exposes them, and formatting
            # one string per point was two thirds of a chart's render time (benchmarks/bench_build.py).
            "mark": {"aria": False},
            "view": {"stroke": None},
            "axis": {"labelFontSize": 11, "titleFontSize": 11, "titleFontWeight": 500, "gridColor": "#eceff3",
                     "domainColor": "#9aa4b2", "tickColor": "#9aa4b2", "labelColor": "#3b4352",
                     "titleColor": "#5b6576"},
            "legend": {"labelFontSize": 11, "labelColor": "#3b4352"},
            "title": {"color": "#1d2433"},
            "font": "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif",
        },
    }


def without_page_params(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without what only the page supplies (the fitted ``ydom``, the ``hot`` run layer),
    for drawing it outside a page (``reportgen export``: vl-convert, after the params are dropped)."""
    spec["layer"] = [layer for layer in spec["layer"] if layer.get("name") != "hot"]
    for layer in spec["layer"]:
        y = layer.get("encoding", {}).get("y")
        if isinstance(y, dict) and isinstance(y.get("scale"), dict):
            y["scale"].pop("domain", None)
    return spec
