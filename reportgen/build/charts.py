"""Vega-Lite specs for metric charts, as plain dicts (data is supplied by the page).

The spec's data is the named dataset ``rows``; the page fills it with records
``{run, step, value}`` loaded from the chart's data file.
"""
from __future__ import annotations

from typing import Any

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

# Tableau 10 + 10 more distinguishable colours; a run keeps its colour on every page.
PALETTE = [
    "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6",
    "#9d755d", "#bab0ac", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]


def run_color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def line_chart_spec(title: str, run_labels: list[str], colors: list[str], *,
                    x_title: str = "step", height: int = 220) -> dict[str, Any]:
    """A multi-run line chart: one colour per run, legend, tooltips."""
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": {"text": title, "anchor": "start", "fontSize": 13, "fontWeight": 600, "limit": 360},
        "width": "container",
        "height": height,
        "autosize": {"type": "fit", "contains": "padding"},
        "data": {"name": "rows"},
        "mark": {"type": "line", "strokeWidth": 1.6, "interpolate": "linear", "clip": True},
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": x_title,
                  "axis": {"labelFlush": True, "tickCount": 6, "labelOverlap": True, "format": "~s"}},
            "y": {"field": "value", "type": "quantitative", "title": None,
                  "scale": {"zero": False}, "axis": {"tickCount": 5, "labelOverlap": True}},
            "color": {
                "field": "run", "type": "nominal", "title": None,
                "scale": {"domain": run_labels, "range": colors},
                "legend": {"orient": "bottom", "direction": "horizontal", "columns": 3,
                           "labelLimit": 180, "symbolType": "stroke"},
            },
            "tooltip": [
                {"field": "run", "type": "nominal", "title": "run"},
                {"field": "step", "type": "quantitative", "title": x_title},
                {"field": "value", "type": "quantitative", "title": title, "format": ".6~g"},
            ],
        },
        "config": {
            "view": {"stroke": None},
            "axis": {"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#eceff3", "domainColor": "#9aa4b2"},
            "legend": {"labelFontSize": 11},
            "font": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
        },
    }
