"""One run folder -> a small :class:`RunInfo` (what pages need) and its chart data files.

Chart data lives in one or two files per run: ``data/runs/<run-file>.js`` (every metric's kept
points, x columns, min/max band, as compact binary columns, see :mod:`encode`) and, when some
metric was downsampled, ``data/smooth/<run-file>.js`` (their smoothed values over the raw series,
loaded only when the smoothing slider is used; a series kept whole is smoothed in the page,
``assets/smooth.js``); plus two files per metric with every run's coarse series
(``data/overview*/<metric-id>.js``).
Their size per (run, metric) is bounded by ``--samples``, whatever the number of steps. Paths
depend only on the metric key and the run folder name, so they are stable across rebuilds.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..storage.format import flatten, is_system_key
from ..storage.jsonio import IntText
from ..storage.reader import RunMeta
from ..storage.safety import safe_name  # noqa: F401  (re-exported: pages, projects)
from . import kinds
from .fmt import fmt_value, is_number
from .stepmetric import default_x_map, step_metric_defs
from . import encode
from .history import Columns
from .runagg import Kept, RunAgg
from .urls import run_page, slug
from .smoothing import WEIGHTS

# Monotone metrics with these names can be chosen as the x axis.
DATA_VERSION = 3  # the data files' encoding (docs/site.md, "Data files"); assets/loader.js decodes it
X_NAME = re.compile(r"(^|[/_.-])(epoch|epochs|step|steps|global_step|batch|batches|iter|iteration|iterations|"
                    r"sample|samples|examples|tokens|images|seen|trainer/global_step)$", re.I)


@functools.lru_cache(maxsize=65536)
def metric_id(key: str) -> str:
    return slug(key, fallback="metric", hashed=True)


def run_data_path(kind: str, run_file: str) -> str:
    """``data/runs/<run>.js`` (every metric of the run) or ``data/smooth/<run>.js`` (their smoothing)."""
    return f"data/{kind}/{run_file}.js"


def overview_path(kind: str, key: str) -> str:
    return f"data/{kind}/{metric_id(key)}.js"


def _script(data_id: str, payload: dict[str, Any]) -> bytes:
    return b"RG.receive(" + orjson.dumps(data_id) + b"," + orjson.dumps(payload) + b");\n"


@dataclass
class RunInfo(RunMeta):
    """The one run model of the site: everything run pages, reports and overview pages need about
    a run; small, cached between builds. ``state`` is what run.json says, ``status`` what to show
    (both from :class:`~reportgen.storage.reader.RunMeta`); ``file`` is the run's site key."""

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
    label: str = ""  # the run's label and colour on every page (set by the builder, pages.labels_and_colors)
    color: str = ""
    _history: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        return str(self.meta.get("id") or Path(self.path).name)

    @property
    def url(self) -> str:
        """Site path of the run page."""
        return run_page(self.file)

    @property
    def history(self) -> list[dict[str, Any]]:
        """The run's whole history, read on first use (reports need it only for a key that is
        not in ``media_rows``); never cached between builds."""
        if self._history is None:
            from ..storage.reader import read_run

            self._history = read_run(self.path).history
        return self._history

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_history": None}

    def __getattr__(self, name: str) -> Any:
        """A field the build snapshot keeps packed (:data:`COLD`: ``snapshot.py`` loads a run's
        other fields only), unpacked on first use: a rebuild after one run changed reads them for
        that run alone (incr20: unpacking every run's were a third of loading the snapshot)."""
        d = self.__dict__
        if "_cold" in d and not name.startswith("__"):
            self.unpack()
            if name in d:
                return d[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def unpack(self) -> None:
        """Unpack the fields the snapshot kept packed, if any (a field set since it was loaded keeps
        its new value)."""
        packed = self.__dict__.pop("_cold", None)
        if packed is not None:
            from .snapshot import thaw

            for k, v in thaw(packed).items():
                self.__dict__.setdefault(k, v)

    def counts(self) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
        """The numeric keys in order, with their points and non-finite values (from ``metrics``,
        or, for a run from the snapshot whose ``metrics`` are still packed, as the snapshot kept them)."""
        d = self.__dict__
        if "metrics" not in d and "_counts" in d:
            return d["_counts"]
        m = self.metrics
        return tuple(m), tuple(v["n"] for v in m.values()), tuple(v["nonfinite"] for v in m.values())


#: RunInfo fields the build snapshot keeps packed until used (``RunInfo.__getattr__``)
COLD = frozenset({"config", "summary", "metrics", "groups", "lite", "media_rows"})


_X_ENCODERS = {"_timestamp": encode.times_many, "_runtime": encode.times_many}  # both to the millisecond


def encode_items(items: list[tuple[Any, np.ndarray]]) -> list[dict[str, Any]]:
    """``encoder([array])[0]`` for each (encoder, array) of ``items``, with one call per encoder
    (each array is encoded on its own: the output is the same however they are batched, so the
    items of several runs go through the same calls: ``batch.py``)."""
    by: dict[Any, list[int]] = {}
    for i, (fn, _a) in enumerate(items):
        by.setdefault(fn, []).append(i)
    out: list[dict[str, Any]] = [{}] * len(items)
    for fn, idx in by.items():
        for i, e in zip(idx, fn([items[i][1] for i in idx])):
            out[i] = e
    return out


def row_table(rows: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sorted union of the row sets ``rows`` and each set's positions in it. Rows in a span not
    much wider than their count (a run's kept rows) are marked in a mask, a few linear passes
    instead of a sort of them all (perf34); else sorted: the same arrays either way."""
    if not rows:
        return np.zeros(0, np.int64), []
    cat = np.concatenate(rows)
    if cat.size:
        lo, hi = int(cat.min()), int(cat.max())
        if hi - lo <= 4 * cat.size + 4096:
            mask = np.zeros(hi - lo + 1, dtype=bool)
            mask[cat - lo] = True
            table = (np.flatnonzero(mask) + lo).astype(cat.dtype, copy=False)
            pos = (np.cumsum(mask) - 1).astype(np.intp, copy=False)
            return table, [pos[r - lo] for r in rows]
    table = np.sort(cat)
    table = table[np.r_[True, table[1:] != table[:-1]]] if table.size else table
    return table, [np.searchsorted(table, r) for r in rows]


def _x_items(agg: RunAgg, rows: list[np.ndarray], names: list[str],
             extra: list[np.ndarray] = ()) -> list[tuple[Any, np.ndarray]]:
    """What to encode for the x columns at each of ``rows`` (one row set per series) and the
    ``extra`` integer columns (:func:`_x_columns`)."""
    ends = np.cumsum([len(r) for r in rows]).tolist()
    spans = list(zip([0] + ends[:-1], ends))
    vals = agg.x_at(np.concatenate(rows) if rows else np.zeros(0, np.int64), names)
    items = [(_X_ENCODERS.get(name, encode.ints_or_floats_many), vals[name][a:e]) for name in names for a, e in spans]
    return items + [(encode.ints_or_floats_many, x) for x in extra]


def _x_columns(enc: list[dict[str, Any]], nrows: int, names: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The encoded x columns per row set (name -> column) and the extra columns, from the
    encodings of :func:`_x_items`."""
    out: list[dict[str, Any]] = [{} for _ in range(nrows)]
    it = iter(enc)
    for name in names:
        for o in out:
            o[name] = next(it)
    return out, list(it)


def _smooth_filled(sms: list[np.ndarray]) -> list[np.ndarray]:
    """Smoothed values at the anchors, one row per weight, raveled; a non-finite point keeps the
    value before it (the average does not move there; the page leaves such points out of the line)."""
    filled = []
    for sm in sms:
        ok = np.isfinite(sm)
        if not ok.all():
            last = np.where(ok, np.arange(sm.shape[1])[None, :], -1)
            np.maximum.accumulate(last, axis=1, out=last)
            sm = np.take_along_axis(sm, np.maximum(last, 0), axis=1)
            sm[last < 0] = np.nan
        filled.append(sm.ravel())
    return filled


def _stored(kept: list[Kept]) -> list[np.ndarray]:
    """The smoothing the site stores: only for downsampled series (``counts`` set). A series kept
    whole is smoothed in the page from its points (``assets/smooth.js``), which gives the same
    values as the build's EMA over the raw series, since every raw point is there."""
    return [k.smooth for k in kept if k.counts is not None]


def _place_smoothing(kept: list[Kept], enc: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    it = iter(enc)
    return [next(it) if k.counts is not None else None for k in kept]


def _series_many(kept: list[Kept], ns: list[int], ys: list[dict[str, Any]], cs: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """Downsampled series' encoded values (``ys``) and bucket counts (``cs``: those of the series
    that have them, in order; :func:`encode.counts_many`)."""
    finite = not kept or bool(np.isfinite(np.concatenate([k.y for k in kept])).all())  # (one pass for all)
    cit = iter(cs)
    out = []
    for k, n, y in zip(kept, ns, ys):
        enc: dict[str, Any] = {"n": int(n), "y": y, "nf": [] if finite else _nonfinite_marks(k.y)}
        if k.counts is not None:
            # the band needs no bytes: each bucket keeps its minimum and maximum point, so the page
            # takes a bucket's min and max from its kept points (assets/loader.js)
            enc["c"] = next(cit)
        out.append(enc)
    return out


def _nonfinite_marks(y: np.ndarray) -> list[list]:
    if np.isfinite(y).all():
        return []
    bad = np.flatnonzero(~np.isfinite(y))
    return [[int(i), "NaN" if math.isnan(y[i]) else ("Infinity" if y[i] > 0 else "-Infinity")] for i in bad]


def _unsupported(kind: str) -> bool:
    """A ``_type`` the kinds registry does not know (the other groups are plain values)."""
    return kind not in ("string", "bool", "other") and not kinds.known(kind)


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


def _step_value(s: float) -> int | float:
    s = float(s)
    return int(s) if s.is_integer() else s


def step_metric_names(meta: dict[str, Any]):
    """Which metric keys may be x axes (by name; :meth:`RunAgg.xkeys` keeps those that only grew)."""
    named = set(step_metric_defs(meta).values())
    return lambda key: bool(X_NAME.search(key)) or key in named


def process_run(info: RunInfo, cols: Columns, agg: RunAgg, out: Path, write) -> None:
    """Fill ``info`` from the streamed history (``agg``; ``cols``: its non-numeric entries, media
    and problems) and write the run's chart data files with ``write``."""
    steps = run_steps(info, cols, agg, out, write)
    items = next(steps)
    try:
        steps.send(encode_items(items))
    except StopIteration:
        pass


def run_steps(info: RunInfo, cols: Columns, agg: RunAgg, out: Path, write):
    """:func:`process_run` as a generator: it yields the columns to encode (a list of (encoder,
    array), :func:`encode_items`) once and is sent their encodings, so that the columns of several
    runs are encoded in the same calls (``batch.py``); then it writes the data files."""
    info.nrows = cols.nrows
    info.media_rows = [{"_step": _step_value(s), **cols.media[r]} for r, s in sorted(cols.media_steps.items())]
    info.has_runtime, info.has_timestamp = agg.has_runtime, agg.has_timestamp
    keys = agg.metrics()
    info.xkeys = agg.xkeys()
    xnames = ["_step"] + [n for n, on in (("_runtime", info.has_runtime), ("_timestamp", info.has_timestamp)) if on]
    xnames += info.xkeys
    info.dx = default_x_map(keys, info.meta, set(info.xkeys))
    info.metrics = {}
    info.lite = {}
    weights = list(WEIGHTS)
    # every track's series (full and lite), smoothing and x columns encoded together: a few numpy
    # passes per run (or per batch of runs) instead of a few per track and column (the bytes are the same)
    groups = [(tkeys, fulls, lites) for (tkeys, fulls), (_, lites) in zip(agg.kept(), agg.kept(lite=True))]
    tkeys = [key for g in groups for key in g[0]]
    fulls = [k for g in groups for k in g[1]]
    lites = [k for g in groups for k in g[2]]
    ns = []
    for key in tkeys:
        info.metrics[key] = st = agg.stats(key)
        ns.append(st["n"])
    nk = len(tkeys)
    order = sorted(range(nk), key=tkeys.__getitem__)  # the same bytes however the metrics were grouped
    # One row table per run: the x columns at the union of every metric's kept rows (metrics logged
    # together share them); each metric stores its points' positions in that table.
    table, positions = row_table([fulls[i].rows for i in order])
    series = fulls + lites
    folded = _smooth_filled(_stored(series))
    xrows = [k.rows for k in lites] + [table]
    counted = [k.counts for k in series if k.counts is not None]
    items = [(encode.values_many, k.y) for k in series] + [(encode.half_many, f) for f in folded]
    items += [(encode.counts_many, c) for c in counted]
    items += _x_items(agg, xrows, xnames, positions)
    enc = yield items
    ny, nh, nc = len(series), len(folded), len(counted)
    encs = _series_many(series, ns + ns, enc[:ny], enc[ny + nh:ny + nh + nc])
    sms = _place_smoothing(series, enc[ny:ny + nh])
    xs, rs = _x_columns(enc[ny + nh + nc:], len(xrows), xnames)
    full: dict[str, dict[str, Any]] = {}
    smooth: dict[str, dict[str, Any]] = {}
    for i, key in enumerate(tkeys):
        enc, lenc, sm, lsm = encs[i], encs[nk + i], sms[i], sms[nk + i]
        if sm is not None:
            smooth[metric_id(key)] = sm
        lenc["x"] = xs[i]
        if lsm is not None:
            lenc["s"] = lsm
        info.lite[key] = lenc
        enc["key"] = key
        full[key] = enc
    keys_sorted = [tkeys[i] for i in order]
    smooth = {metric_id(k): smooth[metric_id(k)] for k in keys_sorted if metric_id(k) in smooth}
    info.metrics = {k: info.metrics[k] for k in keys_sorted}
    info.lite = {k: info.lite[k] for k in keys_sorted}
    metrics_payload = {}
    for key, r in zip(keys_sorted, rs):
        enc = full[key]
        enc["r"] = r
        metrics_payload[metric_id(key)] = enc
    payload = {"v": DATA_VERSION, "run": info.file, "w": weights, "x": xs[-1], "m": metrics_payload}
    if smooth:  # some metric was downsampled: its smoothing (over the raw series) is in data/smooth
        payload["s"] = 1
    rel, srel = run_data_path("runs", info.file), run_data_path("smooth", info.file)
    write(out / rel, _script(f"runs/{info.file}", payload))
    info.data_files = [rel]
    if smooth:
        write(out / srel, _script(f"smooth/{info.file}", {"v": DATA_VERSION, "w": weights, "m": smooth}))
        info.data_files.append(srel)
    info.groups, gw = summarize_groups(cols, set(keys))
    info.warnings = info.warnings + cols.problems() + gw + summary_warnings(info.summary)


def summary_items(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Summary rows for the run page; tensor records show their statistics."""
    items = []
    for k, v in flatten(summary).items():
        if is_system_key(k):
            continue
        item: dict[str, Any] = {"key": k, "text": fmt_value(v), "stats": None, "unsupported": False}
        if isinstance(v, dict) and "_type" in v:
            kind = kinds.get(v["_type"])
            item["text"] = kinds.text(v)
            item["unsupported"] = not kinds.known(v["_type"])
            if kind is not None and hasattr(kind, "stats"):
                item["stats"] = [(s, fmt_value(x)) for s, x in kind.stats(v)]
        items.append(item)
    return items


#: the integers a browser holds exactly (JavaScript's Number.MAX_SAFE_INTEGER + 1)
JS_EXACT = 2**53


def beyond_js(v: Any) -> bool:
    """Is ``v`` an integer the browser cannot hold exactly (as a Number), which :func:`table_value` gives as
    its digits: an int beyond 2**53, or one past a double read as its digits (``jsonio.IntText``)?"""
    if isinstance(v, int) and not isinstance(v, bool):
        return not -JS_EXACT <= v <= JS_EXACT
    return isinstance(v, IntText)


def table_value(v: Any) -> Any:
    """A summary/config cell for the runs table: numbers stay numbers (NaN/inf as text), an int an int
    (999, not 999.0: the data keeps it, as wandb's Api returns it, and the browser shows and exports it
    as such); an int the browser cannot hold exactly (2**64, 10**400) is its exact digits, as text."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v if -JS_EXACT <= v <= JS_EXACT else str(v)
    if is_number(v):
        return float(v) if math.isfinite(v) else fmt_value(float(v))
    if v is None:
        return None
    return fmt_value(v)
