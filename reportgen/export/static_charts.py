"""Metric charts as image files, drawn by vl-convert from the site's own Vega-Lite specs."""
from __future__ import annotations

import copy
import math
import re
from typing import Any, Sequence

from dataclasses import dataclass

import numpy as np

from ..site import charts
from ..site.fmt import is_number
from ..site.urls import slug
from ..storage.format import flat_rows, is_system_key
from ..site.downsample import downsample

IMAGE_FORMATS = ("png", "svg")
WIDTH = 640
HEIGHT = 240


def chart_file_name(key: str, fmt: str) -> str:
    return f"{slug(key, fallback='metric', hashed=True)}.{fmt}"


@dataclass
class Series:
    steps: np.ndarray
    values: np.ndarray


def numeric_series(history: list[dict[str, Any]]) -> dict[str, Series]:
    """Every numeric key of a run's history rows -> its (step, value) series (``_step``, else the row index)."""
    cols: dict[str, tuple[list[float], list[float]]] = {}
    for step, flat in flat_rows(history):
        for k, v in flat.items():
            if is_system_key(k) or not is_number(v):
                continue
            xs, ys = cols.setdefault(k, ([], []))
            xs.append(step)
            ys.append(float(v))
    return {k: Series(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)) for k, (xs, ys) in cols.items()}


def _num(v: float) -> float | None:
    return v if math.isfinite(v) else None


def chart_rows(runs: Sequence[tuple[str, Series]], samples: int) -> list[dict[str, Any]]:
    """Rows in the site's chart format ``{run, x, y, s, lo, hi, bad}`` for one metric, downsampled
    like the site (min/max buckets); non-finite values are gaps with a red rule (``bad``)."""
    rows: list[dict[str, Any]] = []
    for label, series in runs:
        ds = downsample(series.values, samples)
        for j, i in enumerate(ds.idx.tolist()):
            y = float(series.values[i])
            bad = None if math.isfinite(y) else ("NaN" if math.isnan(y) else ("Infinity" if y > 0 else "-Infinity"))
            lo = _num(float(ds.lo[j])) if ds.lo is not None else None
            hi = _num(float(ds.hi[j])) if ds.hi is not None else None
            rows.append({"run": label, "x": float(series.steps[i]), "y": _num(y), "s": _num(y),
                         "lo": lo, "hi": hi, "bad": bad})
    return rows


def static_spec(key: str, labels: list[str], colors: list[str], rows: list[dict[str, Any]],
                *, width: int = WIDTH, height: int = HEIGHT) -> dict[str, Any]:
    """The site's metric-chart spec (build/charts.py) with a fixed size, its colours and its data inline;
    layers without data (band, NaN rules) and the interactive ones are left out."""
    spec = copy.deepcopy(charts.metric_chart_spec(key, height=height))
    need = {"band": any(r["lo"] is not None for r in rows), "raw": False, "main": True, "lone": False,
            "nonfinite": any(r["bad"] is not None for r in rows)}
    spec["layer"] = [layer for layer in spec["layer"] if need.get(layer["name"], True)]
    for layer in spec["layer"]:
        layer.pop("params", None)  # zoom / legend selection mean nothing in an image
        opacity = layer.get("encoding", {}).get("opacity")
        if isinstance(opacity, dict) and "condition" in opacity:
            del layer["encoding"]["opacity"]
    spec.pop("params", None)
    charts.without_page_params(spec)  # the fitted y range and the hovered-run layer are the page's
    color = spec["encoding"]["color"]
    color["scale"] = {"domain": labels, "range": colors}
    if len(labels) == 1:
        color["legend"] = None
    spec["width"] = width
    spec["autosize"] = {"type": "pad"}
    spec["datasets"] = {"rows": rows}
    spec["background"] = "white"
    return spec


# characters XML 1.0 does not allow (C0 controls but tab, newline and carriage return; lone
# surrogates; U+FFFE, U+FFFF): vl-convert draws text through an SVG parser that panics on them, and
# the panic aborts the process (`reportgen summary` of a run named with a terminal escape died)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# Vega's runtime fails on a title that is the name of a JavaScript object's built-in ("Operator not
# defined": a metric named toString or valueOf): a zero-width space after it is not such a name
_PROTO_NAMES = frozenset(("constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toString",
                          "toLocaleString", "valueOf", "__proto__", "__defineGetter__", "__defineSetter__",
                          "__lookupGetter__", "__lookupSetter__"))


def xml_safe(value: Any) -> Any:
    """``value`` (a spec: dicts, lists, strings, numbers) with every character XML cannot hold, in
    keys and strings, replaced by U+FFFD."""
    if isinstance(value, str):
        return _NOT_XML.sub("\ufffd", value)
    if isinstance(value, dict):
        return {xml_safe(k): xml_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [xml_safe(v) for v in value]
    return value


def render_chart(spec: dict[str, Any], fmt: str) -> bytes:
    """PNG (2x scale) or SVG bytes for a Vega-Lite spec (its text made XML-safe first)."""
    import vl_convert

    spec = xml_safe(spec)
    title = spec.get("title")
    if isinstance(title, dict) and title.get("text") in _PROTO_NAMES:
        spec["title"] = {**title, "text": title["text"] + "\u200b"}
    if fmt == "png":
        return bytes(vl_convert.vegalite_to_png(spec, scale=2))
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"image format {fmt!r}: expected one of {', '.join(IMAGE_FORMATS)}")


def has_data(series: Any) -> bool:
    return bool(len(series.values)) and bool(np.isfinite(series.values).any())
