"""One run folder -> a small :class:`RunInfo` (what pages need) and its chart data files.

Chart data lives in one file per (metric, run): ``data/metrics/<metric-id>/<run-file>.js``
(points) and ``data/smooth/<metric-id>/<run-file>.js`` (smoothed values, loaded
only when the smoothing slider is used). Paths depend only on the metric key
and the run folder name, so they are stable across rebuilds.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..storage.reader import RunMeta, run_status
from ..storage.safety import safe_name  # noqa: F401  (re-exported: pages, projects)
from .collect import flatten, fmt_value, is_number
from .stepmetric import default_x_map, step_metric_defs
from .downsample import downsample
from .history import Columns
from .smoothing import WEIGHTS, ema_many

# `_type`s documented in docs/media-format.md; anything else is shown as "unsupported".
KNOWN_TYPES = frozenset({
    "histogram", "gallery", "image", "audio", "video", "table", "html", "molecule", "object3d",
    "custom_chart", "vega_lite", "svg", "plotly", "tensor",
})
# Monotone metrics with these names can be chosen as the x axis.
X_NAME = re.compile(r"(^|[/_.-])(epoch|epochs|step|steps|global_step|batch|batches|iter|iteration|iterations|"
                    r"sample|samples|examples|tokens|images|seen|trainer/global_step)$", re.I)
# Points per line in the overview files (charts showing more than a few runs at once).
LITE_SAMPLES = 100
def metric_id(key: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")[:40] or "metric"
    return f"{safe}-{hashlib.sha1(key.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def data_path(kind: str, key: str, run_file: str) -> str:
    return f"data/{kind}/{metric_id(key)}/{run_file}.js"


def overview_path(kind: str, key: str) -> str:
    return f"data/{kind}/{metric_id(key)}.js"


def write_overviews(out: Path, runs: list[RunInfo], write) -> list[str]:
    """One file per metric with the coarse series of every run (``data/overview/<metric-id>.js``)
    and one with their smoothed values (``data/overview-smooth/<metric-id>.js``)."""
    written = []
    for key in sorted({k for r in runs for k in r.lite}):
        present = [r for r in runs if key in r.lite]
        points = {r.file: {k: v for k, v in r.lite[key].items() if k != "s"} for r in present}
        smooth = {r.file: r.lite[key]["s"] for r in present}
        mid = metric_id(key)
        for kind, payload in (("overview", {"key": key, "runs": points}),
                              ("overview-smooth", {"w": list(WEIGHTS), "runs": smooth})):
            rel = overview_path(kind, key)
            body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
            write(out / rel, b"RG.receive(" + orjson.dumps(f"{kind}/{mid}") + b"," + body + b");\n")
            written.append(rel)
    return written


@dataclass
class RunInfo(RunMeta):
    """Everything the pages need about one run; small, cached between builds."""

    file: str  # safe folder name: run page, data files, selection
    path: str
    meta: dict[str, Any]
    config: dict[str, Any]
    summary: dict[str, Any]
    warnings: list[str]
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> {n, last, min, max}
    xkeys: list[str] = field(default_factory=list)  # monotone counters usable as x axis
    dx: dict[str, str] = field(default_factory=dict)  # metric -> its define_metric step_metric (an x key)
    groups: list[dict[str, Any]] = field(default_factory=list)  # non-numeric entries
    nrows: int = 0
    has_runtime: bool = False
    has_timestamp: bool = False
    data_files: list[str] = field(default_factory=list)
    sig: Any = None  # signature of the run folder's files (set by the builder)
    media: int = 0  # media panels on the run page
    lite: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> coarse series for overviews
    media_rows: list[dict[str, Any]] = field(default_factory=list)  # {_step, key: media} rows with media

    @property
    def id(self) -> str:
        return str(self.meta.get("id") or Path(self.path).name)

    @property
    def state(self) -> str:
        """The state to show: ``running`` runs whose writer was killed read as ``crashed``,
        and those whose heartbeat stopped as ``stale`` (see storage.reader.run_status)."""
        return run_status(self.meta)


def _monotone(v: np.ndarray) -> bool:
    f = v[np.isfinite(v)]
    return f.size >= 2 and bool(np.all(f[1:] >= f[:-1])) and f[-1] > f[0]


def _ffill_rows(rows: np.ndarray, vals: np.ndarray, nrows: int) -> np.ndarray:
    """Row-aligned values of a sparse column, carried forward (the last logged value)."""
    out = np.full(nrows, np.nan)
    out[rows] = vals
    ok = np.isfinite(out)
    last = np.where(ok, np.arange(nrows), -1)
    np.maximum.accumulate(last, out=last)
    res = out[np.maximum(last, 0)]
    res[last < 0] = np.nan
    return res


def _compact_x(v: np.ndarray) -> np.ndarray | list:
    if v.size and np.all(np.isfinite(v)) and np.all(v == np.round(v)) and np.abs(v).max() < 2 ** 53:
        return v.astype(np.int64)
    return v


def _x_columns(xrows: dict[str, np.ndarray], kept_rows: np.ndarray) -> dict[str, Any]:
    x = {}
    for name, arr in xrows.items():
        xv = arr[kept_rows]
        if name in ("_runtime", "_timestamp"):
            xv = np.round(xv, 3)
        x[name] = _compact_x(xv)
    return x


def _nonfinite_marks(y: np.ndarray) -> list[list]:
    bad = np.flatnonzero(~np.isfinite(y))
    return [[int(i), "NaN" if math.isnan(y[i]) else ("Infinity" if y[i] > 0 else "-Infinity")] for i in bad]


def _unsupported(kind: str) -> bool:
    return kind not in ("string", "bool", "other") and kind not in KNOWN_TYPES


def summarize_groups(cols: Columns, numeric_keys: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Non-numeric logged entries ("loss (string)") and warnings for unknown `_type`s."""
    entries, warnings = [], []
    for key in sorted(cols.groups):
        for g, (count, last, _row) in sorted(cols.groups[key].items()):
            unsupported = _unsupported(g)
            entries.append({"key": key, "type": g, "count": count,
                            "label": f"{key} ({g})" if key in numeric_keys or len(cols.groups[key]) > 1 else key,
                            "last": "unsupported" if unsupported else fmt_value(last),
                            "unsupported": unsupported})
            if unsupported:
                warnings.append(f"key {key!r}: unknown _type {g!r} (shown as unsupported)")
    return entries, warnings


def summary_warnings(summary: dict[str, Any]) -> list[str]:
    out = []
    for k, v in flatten(summary).items():
        if isinstance(v, dict) and "_type" in v and _unsupported(str(v["_type"])):
            out.append(f"summary {k!r}: unknown _type {v['_type']!r} (shown as unsupported)")
    return out


def _write(out: Path, rel: str, data_id: str, payload: dict[str, Any], write) -> None:
    body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    write(out / rel, b"RG.receive(" + orjson.dumps(data_id) + b"," + body + b");\n")


def _step_value(s: float) -> int | float:
    s = float(s)
    return int(s) if s.is_integer() else s


def process_run(info: RunInfo, cols: Columns, samples: int, out: Path, write) -> None:
    """Fill ``info`` from the parsed columns and write the run's chart data files with ``write``."""
    nrows = cols.nrows
    info.nrows = nrows
    steps = cols.steps()
    info.media_rows = [{"_step": _step_value(steps[r]), **cols.media[r]} for r in sorted(cols.media)]
    xrows: dict[str, np.ndarray] = {"_step": steps}
    rt, ts = cols.row_col("_runtime"), cols.row_col("_timestamp")
    info.has_runtime = bool(np.isfinite(rt).any())
    info.has_timestamp = bool(np.isfinite(ts).any())
    if info.has_runtime:
        xrows["_runtime"] = rt
    if info.has_timestamp:
        xrows["_timestamp"] = ts
    keys = sorted(cols.numeric)
    info.xkeys = []
    steps_named = set(step_metric_defs(info.meta).values())
    for key in keys:
        rows, vals = cols.series(key)
        if (X_NAME.search(key) or key in steps_named) and _monotone(vals):
            info.xkeys.append(key)
            xrows[key] = _ffill_rows(rows, vals, nrows)
    info.dx = default_x_map(keys, info.meta, set(info.xkeys))
    info.metrics = {}
    info.lite = {}
    info.data_files = []
    weights = list(WEIGHTS)
    for key in keys:
        rows, vals = cols.series(key)
        ds = downsample(vals, samples)
        kept_rows = rows[ds.idx]
        y = vals[ds.idx]
        fin = vals[np.isfinite(vals)]
        info.metrics[key] = {
            "n": int(len(vals)),
            "last": float(fin[-1]) if fin.size else None,
            "min": float(fin.min()) if fin.size else None,
            "max": float(fin.max()) if fin.size else None,
            "nonfinite": int(len(vals) - fin.size),
        }
        lite = downsample(vals, min(samples, LITE_SAMPLES))
        both = np.union1d(ds.idx, lite.idx)
        sm_both = ema_many(vals, weights, both).astype(np.float32)
        sm = np.ascontiguousarray(sm_both[:, np.searchsorted(both, ds.idx)])
        payload = {"key": key, "run": info.file, "n": int(len(vals)), "x": _x_columns(xrows, kept_rows), "y": y,
                   "nf": _nonfinite_marks(y), "lo": ds.lo, "hi": ds.hi}
        yl = vals[lite.idx]
        info.lite[key] = {"n": int(len(vals)), "x": _x_columns(xrows, rows[lite.idx]), "y": yl,
                          "nf": _nonfinite_marks(yl),
                          "s": np.ascontiguousarray(sm_both[:, np.searchsorted(both, lite.idx)])}
        rel = data_path("metrics", key, info.file)
        _write(out, rel, f"metrics/{metric_id(key)}/{info.file}", payload, write)
        srel = data_path("smooth", key, info.file)
        _write(out, srel, f"smooth/{metric_id(key)}/{info.file}", {"w": weights, "s": sm}, write)
        info.data_files += [rel, srel]
    info.groups, gw = summarize_groups(cols, set(keys))
    info.warnings = info.warnings + cols.problems() + gw + summary_warnings(info.summary)


def summary_items(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Summary rows for the run page; tensor records show their statistics."""
    items = []
    for k, v in flatten(summary).items():
        if k.startswith("_"):
            continue
        item: dict[str, Any] = {"key": k, "text": fmt_value(v), "stats": None, "unsupported": False}
        if isinstance(v, dict) and "_type" in v:
            t = str(v["_type"])
            if t == "tensor":
                shape = v.get("shape")
                item["text"] = f"tensor {v.get('dtype', '')} {list(shape) if isinstance(shape, list) else ''}".strip()
                item["stats"] = [(s, fmt_value(v[s])) for s in
                                 ("min", "max", "mean", "std", "p5", "p25", "p50", "p75", "p95") if s in v]
            elif _unsupported(t):
                item["text"] = f"unsupported ({t})"
                item["unsupported"] = True
        items.append(item)
    return items


def table_value(v: Any) -> Any:
    """A summary/config cell for the runs table: numbers stay numbers (NaN/inf as text)."""
    if is_number(v):
        return float(v) if math.isfinite(v) else fmt_value(float(v))
    if v is None:
        return None
    return fmt_value(v)
