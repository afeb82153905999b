"""Metric charts as image files, drawn by vl-convert from the site's own Vega-Lite specs."""
from __future__ import annotations

import copy
import hashlib
import math
from typing import Any, Sequence

import numpy as np

from ..build import charts
from ..build.downsample import downsample

IMAGE_FORMATS = ("png", "svg")
WIDTH = 640
HEIGHT = 240


def chart_file_name(key: str, fmt: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in key).strip("-")[:40] or "metric"
    while "--" in safe:
        safe = safe.replace("--", "-")
    return f"{safe}-{hashlib.sha1(key.encode()).hexdigest()[:8]}.{fmt}"


def chart_rows(runs: Sequence[tuple[str, Any]], samples: int) -> list[dict[str, Any]]:
    """Long rows ``{run, step, value}`` for one metric; non-finite values become gaps (None)."""
    rows: list[dict[str, Any]] = []
    for label, series in runs:
        x, y = downsample(series.steps, series.values, samples)
        for step, value in zip(x.tolist(), y.tolist()):
            rows.append({"run": label, "step": step, "value": value if math.isfinite(value) else None})
    return rows


def static_spec(key: str, labels: list[str], colors: list[str], rows: list[dict[str, Any]],
                *, width: int = WIDTH, height: int = HEIGHT) -> dict[str, Any]:
    """The site's line-chart spec with a fixed size and its data inline."""
    spec = copy.deepcopy(charts.line_chart_spec(key, labels, colors, height=height))
    spec["width"] = width
    spec["autosize"] = {"type": "pad"}
    spec["datasets"] = {"rows": rows}
    spec["background"] = "white"
    return spec


def render_chart(spec: dict[str, Any], fmt: str) -> bytes:
    """PNG (2x scale) or SVG bytes for a Vega-Lite spec."""
    import vl_convert

    if fmt == "png":
        return bytes(vl_convert.vegalite_to_png(spec, scale=2))
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode("utf-8")
    raise ValueError(f"image format {fmt!r}: expected one of {', '.join(IMAGE_FORMATS)}")


def has_data(series: Any) -> bool:
    return bool(len(series.values)) and bool(np.isfinite(series.values).any())
