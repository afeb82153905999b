"""Figures from plotting libraries: matplotlib (as Vega-Lite or SVG) and plotly.

A matplotlib figure whose axes hold only lines and scatter plots (numeric data,
linear or log scales) becomes an interactive Vega-Lite chart with the figure's
colours, labels and title; anything else (bars, images, fills, text, 3-D, dates)
is stored as an SVG of the figure so nothing is lost.
"""
from __future__ import annotations

import io
from typing import Any

import numpy as np

from ..storage import kinds
from .base import Media, MediaContext

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


class NotConvertible(Exception):
    """The figure uses something the Vega-Lite conversion does not handle."""


def _hex(color: Any) -> str:
    from matplotlib.colors import to_hex
    return to_hex(color, keep_alpha=False)


def _numeric(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf" or arr.ndim != 1:
        raise NotConvertible(f"{what} is not a 1-D numeric array")
    return arr.astype(float)


def _axes_layers(ax: Any, index: int) -> dict[str, Any]:
    from matplotlib.collections import PathCollection
    from matplotlib.lines import Line2D

    if getattr(ax, "name", "rectilinear") != "rectilinear":
        raise NotConvertible(f"{ax.name} axes")
    if ax.images or ax.patches or ax.tables or ax.texts or ax.artists:
        raise NotConvertible("images, patches, tables or text")
    rows: list[dict[str, Any]] = []
    domain: list[str] = []
    colors: list[str] = []
    kinds: dict[str, str] = {}

    def add_series(name: str, color: str, kind: str, xs: np.ndarray, ys: np.ndarray) -> None:
        base, k = name, 1
        while name in kinds:
            k += 1
            name = f"{base} ({k})"
        kinds[name] = kind
        domain.append(name)
        colors.append(color)
        for i, (x, y) in enumerate(zip(xs, ys)):
            if np.isfinite(x) and np.isfinite(y):
                rows.append({"x": float(x), "y": float(y), "series": name, "i": i})

    n = 0
    for line in ax.get_lines():
        if not isinstance(line, Line2D) or not line.get_visible():
            continue
        label = str(line.get_label())
        name = label if label and not label.startswith("_") else f"line {n}"
        n += 1
        xs, ys = _numeric(line.get_xdata(), "line x data"), _numeric(line.get_ydata(), "line y data")
        dashed = line.get_linestyle() in ("None", "", " ", "none")
        add_series(name, _hex(line.get_color()), "point" if dashed else "line", xs, ys)
    for coll in ax.collections:
        if not isinstance(coll, PathCollection) or not coll.get_visible():
            raise NotConvertible(f"{type(coll).__name__} collections")
        offsets = np.asarray(coll.get_offsets())
        if offsets.ndim != 2 or offsets.shape[1] != 2 or offsets.dtype.kind not in "iuf":
            raise NotConvertible("scatter offsets")
        label = str(coll.get_label())
        name = label if label and not label.startswith("_") else f"points {n}"
        n += 1
        faces = coll.get_facecolors()
        color = _hex(faces[0]) if len(faces) else "#1f77b4"
        add_series(name, color, "point", offsets[:, 0].astype(float), offsets[:, 1].astype(float))
    if not domain:
        raise NotConvertible("no lines or scatters")
    scales = {}
    for axis, getter in (("x", ax.get_xscale), ("y", ax.get_yscale)):
        kind = getter()
        if kind not in ("linear", "log"):
            raise NotConvertible(f"{kind} scale")
        scales[axis] = {"type": kind, "zero": False}
    color = {"field": "series", "type": "nominal", "title": None,
             "scale": {"domain": domain, "range": colors},
             "legend": None if (ax.get_legend() is None and len(domain) == 1) else {}}
    if color["legend"] == {}:
        del color["legend"]
    enc = {
        "x": {"field": "x", "type": "quantitative", "title": ax.get_xlabel() or None, "scale": scales["x"]},
        "y": {"field": "y", "type": "quantitative", "title": ax.get_ylabel() or None, "scale": scales["y"]},
        "color": color,
        "tooltip": [{"field": "series", "type": "nominal"}, {"field": "x", "type": "quantitative"},
                    {"field": "y", "type": "quantitative"}],
    }
    layers = []
    for kind in ("line", "point"):
        names = [s for s in domain if kinds[s] == kind]
        if names:
            mark = {"type": kind} if kind == "line" else {"type": "point", "filled": True}
            layers.append({"mark": mark, "transform": [{"filter": {"field": "series", "oneOf": names}}],
                           "encoding": {**enc, **({"order": {"field": "i", "type": "quantitative"}} if kind == "line" else {})}})
    chart: dict[str, Any] = {"data": {"values": rows}, "layer": layers}
    if ax.get_title():
        chart["title"] = ax.get_title()
    return chart


def figure_to_vegalite(fig: Any) -> dict[str, Any]:
    """A complete Vega-Lite spec for a matplotlib figure; raise NotConvertible if it cannot be."""
    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    if not axes:
        raise NotConvertible("the figure has no axes")
    suptitle = getattr(fig, "_suptitle", None)
    if any(t is not suptitle for t in getattr(fig, "texts", [])):
        raise NotConvertible("figure text")
    charts = [_axes_layers(ax, i) for i, ax in enumerate(axes)]
    spec: dict[str, Any] = {"$schema": SCHEMA}
    if len(charts) == 1:
        spec.update(charts[0])
    else:
        spec["vconcat"] = charts
        spec["resolve"] = {"scale": {"color": "independent"}}
    if suptitle is not None and suptitle.get_text():
        spec["title"] = suptitle.get_text()
    return spec


def figure_svg(fig: Any) -> bytes:
    """The figure as SVG, byte-for-byte reproducible (fixed id salt, no date)."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "reportgen"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buf.getvalue()


class VegaLite(Media):
    """A complete Vega-Lite spec (data inline)."""

    TYPE = kinds.VEGA_LITE

    def __init__(self, spec: dict[str, Any], source: str | None = None):
        if not isinstance(spec, dict):
            raise TypeError(f"spec: expected a Vega-Lite spec dict, got {type(spec).__name__}")
        self.spec, self.source = spec, source

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        record = {"_type": self.TYPE, "spec": ctx.write_spec(self.spec)}
        if self.source:
            record["source"] = self.source
        return record


class Svg(Media):
    """An SVG drawing (e.g. a matplotlib figure that could not become Vega-Lite)."""

    TYPE = kinds.SVG

    def __init__(self, svg: bytes | str):
        if isinstance(svg, str):
            svg = svg.encode("utf-8")
        if not isinstance(svg, bytes) or b"<svg" not in svg[:4096]:
            raise ValueError("svg: expected the text of an SVG document")
        self.svg = svg

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        return {"_type": self.TYPE, "path": ctx.write_bytes("figures", "svg", self.svg)}


class Plotly(Media):
    """A plotly figure, stored as its JSON (``fig.to_json()``)."""

    TYPE = kinds.PLOTLY

    def __init__(self, figure: Any):
        if not hasattr(figure, "to_json"):
            hint = (" (log a matplotlib figure as it is: wandb.log({'chart': fig}) draws it as a chart, "
                    "wandb.Image(fig) as a picture)" if hasattr(figure, "savefig") else "")
            raise TypeError(f"figure: expected a plotly figure, got {type(figure).__name__}{hint}")
        self.json = figure.to_json(engine="json") if _accepts_engine(figure) else figure.to_json()

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        return {"_type": self.TYPE, "path": ctx.write_bytes("plotly", "json", self.json.encode("utf-8"))}


def _accepts_engine(figure: Any) -> bool:
    import inspect
    try:
        return "engine" in inspect.signature(figure.to_json).parameters
    except (TypeError, ValueError):
        return False
