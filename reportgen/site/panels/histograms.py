"""Histograms: logged over time as a steps x bins heatmap; in the summary as a small bar chart."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

MAX_STEPS = 200  # heatmap columns; longer histories are thinned evenly (first and last kept)
GRID_BINS = 64  # heatmap rows: every step is re-binned onto one common grid
#: bars of a histogram's small chart: neighbouring bins are added up beyond (a summary histogram
#: of 200,000 bins made a 14 MB run page that blocked the tab for 12 s; one of 10^7, 700 MB)
MAX_BARS = 160


def _valid(rec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        edges = np.asarray(rec.get("bins"), dtype=float)
        counts = np.asarray(rec.get("values"), dtype=float)
    except (TypeError, ValueError):
        return None
    if edges.ndim != 1 or counts.ndim != 1 or len(edges) != len(counts) + 1 or len(counts) == 0:
        return None
    if not np.all(np.isfinite(edges)):
        return None
    return edges, np.where(np.isfinite(counts), counts, 0.0)


def rebin(edges: np.ndarray, counts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Counts moved onto ``grid`` edges, spreading each bin uniformly over its width."""
    cum = np.concatenate([[0.0], np.cumsum(counts)])
    # cumulative count at each grid edge, linear inside bins (zero-width bins are steps)
    at = np.interp(grid, edges, cum, left=0.0, right=cum[-1])
    return np.diff(at)


def heatmap_rows(frames: list[tuple[Any, dict[str, Any]]], grid_bins: int = GRID_BINS,
                 max_steps: int = MAX_STEPS) -> list[dict[str, Any]]:
    """Rows ``{step, next, lo, hi, count}`` for a Vega-Lite rect heatmap (steps x bins)."""
    valid = [(s, v) for s, r in frames if (v := _valid(r)) is not None and isinstance(s, (int, float))]
    if not valid:
        return []
    if len(valid) > max_steps:
        idx = np.unique(np.linspace(0, len(valid) - 1, max_steps).round().astype(int))
        valid = [valid[i] for i in idx]
    lo = min(float(e[0]) for _, (e, _) in valid)
    hi = max(float(e[-1]) for _, (e, _) in valid)
    if hi <= lo:
        hi = lo + 1.0
    if math.isfinite(hi - lo):
        grid = np.linspace(lo, hi, grid_bins + 1)
    else:  # hi - lo overflows (edges at ±1e308: every row NaN, an empty heatmap); a weighted mean does not
        t = np.linspace(0.0, 1.0, grid_bins + 1)
        grid = lo * (1.0 - t) + hi * t
    rows = []
    steps = [float(s) for s, _ in valid]
    for i, (step, (edges, counts)) in enumerate(valid):
        nxt = steps[i + 1] if i + 1 < len(steps) else (steps[i] + (steps[i] - steps[i - 1] if i else 1.0))
        binned = rebin(edges, counts, grid)
        for j in range(grid_bins):
            rows.append({"step": step, "next": nxt, "lo": float(grid[j]), "hi": float(grid[j + 1]),
                         "count": round(float(binned[j]), 6)})
    return rows


def heatmap_spec(key: str) -> dict[str, Any]:
    """The heatmap's Vega-Lite spec. Both axes end at the data (``nice: false``: no 150 -> 180
    overrun past the last column); the colour legend sits on the right below the panel's
    download buttons (panels.css reserves their strip above the chart)."""
    return {
        "width": "container", "height": 220, "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"name": "rows"},
        "mark": {"type": "rect"},
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": "step",
                  "scale": {"nice": False, "zero": False}},
            "x2": {"field": "next"},
            "y": {"field": "lo", "type": "quantitative", "title": key, "scale": {"nice": False, "zero": False}},
            "y2": {"field": "hi"},
            "color": {"field": "count", "type": "quantitative", "scale": {"scheme": "blues"}, "title": "count"},
            "tooltip": [{"field": "step", "type": "quantitative"}, {"field": "lo", "type": "quantitative", "format": ".4g"},
                        {"field": "hi", "type": "quantitative", "format": ".4g"}, {"field": "count", "type": "quantitative"}],
        },
    }


def bars_svg_data(rec: dict[str, Any], width: int = 160, height: int = 36) -> dict[str, Any] | None:
    """A small bar chart of one histogram as plain numbers for an inline SVG."""
    v = _valid(rec)
    if v is None:
        return None
    edges, counts = _merged(*v, MAX_BARS)
    top = float(counts.max()) if counts.size and counts.max() > 0 else 1.0
    n = len(counts)
    bw = width / n
    bars = []
    for i, c in enumerate(counts):
        h = max(0.0, float(c) / top * (height - 2))
        bars.append({"x": round(i * bw, 2), "y": round(height - h, 2), "w": round(max(bw - 0.5, 0.5), 2),
                     "h": round(h, 2), "title": f"[{_fmt(edges[i])}, {_fmt(edges[i + 1])}): {_fmt(c)}"})
    return {"width": width, "height": height, "bars": bars, "lo": _fmt(edges[0]), "hi": _fmt(edges[-1]),
            "total": _fmt(float(counts.sum()))}


def _merged(edges: np.ndarray, counts: np.ndarray, most: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``most`` bins: runs of neighbouring bins added up (totals and spikes stay)."""
    n = len(counts)
    if n <= most:
        return edges, counts
    starts = np.arange(0, n, -(-n // most))
    return np.append(edges[starts], edges[-1]), np.add.reduceat(counts, starts)


def _fmt(x: float) -> str:
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    return f"{x:.4g}"
