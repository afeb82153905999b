"""A run's history reduced as it streams by: what the site draws, in memory bounded by
``--samples``, whatever the number of steps.

The history parser (:mod:`history`) hands over each chunk of rows in columns; :meth:`RunAgg.consume`
folds them into

* per metric, the downsampling buckets (:class:`~reportgen.site.downsample.Buckets`), with the
  smoothed value (every slider weight, :mod:`smoothing`) at each bucket start and at the last point,
  the smoothing state carried to the next chunk, and the metric's statistics (n, last, min, max);
  metrics logged in the same rows share one state and are computed together (a track). While a
  series is kept whole (at most ``--samples`` points) no smoothing is computed or kept: the site
  stores none for it (the page smooths its points), and every point is in the bucket state, so the
  smoothing is computed exactly from them when the series first needs it (it grows past
  ``--samples``, or the coarser overview resolution folds it);
* the x values (step, runtime, wall time, monotone counters carried forward) of the rows that
  some bucket still keeps.

The whole state is small (it is the incremental-build cache: a run whose history grew continues
from it) and the result does not depend on how the history was cut into chunks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .config import MAX_METRICS
from .downsample import FIRST, Buckets, extra_store, kept_all, rows_of, rows_state, width
from .smoothing import WEIGHTS, ema_chunk

NW = len(WEIGHTS)
ROW_X = ("_step", "_runtime", "_timestamp")
TOO_MANY = "history.jsonl: more than"


class Track:
    """Metrics that have been logged in the same rows so far: one state for all of them."""

    def __init__(self, keys: list[str], samples: int):
        k = len(keys)
        self.keys = keys
        self.b = Buckets(k, samples)  # smoothing columns (``extra``) only once the series is folded
        self.num = np.zeros((k, NW))
        self.cnt = np.zeros(k, dtype=np.int64)
        self.last_row = -1
        self.last_val = np.full(k, np.nan)
        self.ema_last = np.full((k, NW), np.nan)
        self.fin_last = np.full(k, np.nan)
        self.fin_min = np.full(k, np.inf)
        self.fin_max = np.full(k, -np.inf)
        self.nonfinite = np.zeros(k, dtype=np.int64)

    def take(self, keys: list[str], a: int, b: int) -> "Track":
        """The series ``a`` to ``b`` (named ``keys``) as a track of their own."""
        t = Track.__new__(Track)
        for name in self.__dict__:  # (in the order __init__ sets them: pickled as a track fed alone is)
            v = getattr(self, name)
            setattr(t, name, keys if name == "keys" else self.b.take(slice(a, b)) if name == "b" else
                    v if name == "last_row" else v[a:b].copy())
        return t

    def split(self) -> list["Track"]:
        out = []
        for j, key in enumerate(self.keys):
            t = Track.__new__(Track)
            t.keys = [key]
            t.b = self.b.take([j])
            t.last_row = self.last_row
            for name in ("num", "cnt", "last_val", "ema_last", "fin_last", "fin_min", "fin_max", "nonfinite"):
                setattr(t, name, getattr(self, name)[j:j + 1].copy())
            out.append(t)
        return out

    def feed(self, rows: np.ndarray, y: np.ndarray) -> None:
        m = len(rows)
        if not m:
            return
        b = self.b
        if b.w == 1:
            w = width(b.n + m, b.target)
            if w == 1:  # still kept whole: no smoothing (see the module's docstring)
                b.feed(y, rows)
            else:  # folded from now on: the smoothing of the points so far, from the points themselves
                sm, self.num, self.cnt = smooth_whole(b, w)
                b.prepare(m)
                b.extra = extra_store(sm[:, :, :b.nb])
        if b.w > 1:
            b.prepare(m)
            starts = b.starts(m)
            pos = starts if starts.size and starts[-1] == m - 1 else np.append(starts, m - 1)
            sm, self.num, self.cnt = ema_chunk(y, WEIGHTS, pos, self.num, self.cnt)
            b.feed(y, rows, sm[:, :, :len(starts)])
            self.ema_last = sm[:, :, -1].copy()  # (contiguous: pickled as a track cut from a batch's is)
        self.last_row = int(rows[-1])
        self.last_val = y[:, -1].copy()
        finite = np.isfinite(y)
        if finite.all():
            self.fin_last = y[:, -1].copy()
            self.fin_min = np.minimum(self.fin_min, y.min(axis=1))
            self.fin_max = np.maximum(self.fin_max, y.max(axis=1))
        else:
            self.nonfinite += m - finite.sum(axis=1)
            self.fin_min = np.minimum(self.fin_min, np.where(finite, y, np.inf).min(axis=1))
            self.fin_max = np.maximum(self.fin_max, np.where(finite, y, -np.inf).max(axis=1))
            has = finite.any(axis=1)
            lastpos = m - 1 - np.argmax(finite[:, ::-1], axis=1)
            self.fin_last = np.where(has, y[np.arange(len(y)), lastpos], self.fin_last)

    def rows_kept(self) -> np.ndarray:
        r = self.b.row.ravel()
        return np.append(r[r >= 0], self.last_row)


@dataclass
class Kept:
    """One metric's kept points at one resolution: indices, rows, values, points per bucket
    (None: nothing folded), and the smoothed values (weights x anchors) at the anchors (each
    bucket's first point and the last point)."""

    idx: np.ndarray
    rows: np.ndarray
    y: np.ndarray
    counts: np.ndarray | None
    smooth: np.ndarray


def smooth_whole(b: Buckets, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The smoothing of a state that keeps every point (``b.w == 1``) at the starts of buckets of
    width ``w`` and at the last point: ``(K, NW, buckets + 1)``, and the state after the last point
    (as :func:`~reportgen.site.smoothing.ema_chunk` returns them)."""
    n = b.n
    y = b.val[:, FIRST, :n]
    pos = np.arange(0, n, w, dtype=np.int64)
    if not n:
        return np.zeros((b.k, NW, 1)), np.zeros((b.k, NW)), np.zeros(b.k, dtype=np.int64)
    return ema_chunk(y, WEIGHTS, np.append(pos, n - 1))


def _kept_all(t: "Track", b: Buckets, ema_last: np.ndarray | None = None) -> list[Kept]:
    n = b.n
    sm = b.extra
    if b.w > 1 and (n - 1) % b.w:
        sm = np.concatenate([sm, (t.ema_last if ema_last is None else ema_last)[:, :, None]], axis=2)
    return [Kept(i, r, y, c, sm[j]) for j, (i, r, y, c) in enumerate(kept_all(b, t.last_row, t.last_val))]


@dataclass
class XState:
    """A candidate x axis (a counter metric): its last value (carried forward) and whether it has
    only grown so far."""

    last: float = float("nan")
    first: float = float("nan")
    ok: bool = True


@dataclass
class RunAgg:
    samples: int
    lite_samples: int
    tracks: list[Track] = field(default_factory=list)
    where: dict[str, tuple[int, int]] = field(default_factory=dict)  # metric -> (track, position)
    xcand: dict[str, XState] = field(default_factory=dict)
    x_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # rows some bucket keeps
    x_vals: dict[str, np.ndarray] = field(default_factory=dict)  # x axis -> values at x_rows
    has_runtime: bool = False
    has_timestamp: bool = False

    def __getstate__(self) -> dict:
        """For the cache: the kept rows as their first when consecutive, and an x column that is the
        row number plus a constant (``_step`` usually) as that constant (bit for bit)."""
        st = dict(self.__dict__)
        rows = self.x_rows
        st["x_rows"] = rows_state(rows, len(rows))
        vals: dict = {}
        for name, v in self.x_vals.items():
            c = float(v[0] - rows[0]) if len(v) and v.dtype == np.float64 else 0.0
            if len(v) and v.dtype == np.float64 and np.array_equal((rows + c).view(np.int64), v.view(np.int64)):
                vals[name] = c
            else:
                vals[name] = v
        st["x_vals"] = vals
        return st

    def __setstate__(self, st: dict) -> None:
        rows = rows_of(st["x_rows"], st["x_rows"].get("n", 0))
        st = {**st, "x_rows": rows,
              "x_vals": {name: rows + v if isinstance(v, float) else v for name, v in st["x_vals"].items()}}
        self.__dict__.update(st)

    def min_bytes(self) -> int:
        """At least the bytes the state takes pickled (:meth:`__getstate__`): each track's smoothing
        and the first value of each bucket, which are pickled as they are."""
        return sum(t.b.extra.nbytes + t.b.val[:, FIRST].nbytes for t in self.tracks if t is not None)

    # -- streaming ------------------------------------------------------------------------------
    def consume(self, cols, is_x: Callable[[str], bool]) -> None:
        """Fold the rows ``cols`` holds (a chunk: rows ``cols.row_base`` to ``cols.nrows``) in, then
        drop them from ``cols``."""
        staged = self.stage(cols, is_x)
        if staged is None:
            return
        for rows, keys, vals in staged[1]:
            self._feed(keys, rows, np.vstack(vals))
        self.settle(cols, staged)

    def stage(self, cols, is_x: Callable[[str], bool]):
        """:meth:`consume` up to feeding the tracks: the chunk's x values and its metrics grouped by
        the rows they are logged in, ``(x values, [(rows, keys, values)])``; None (and ``cols``
        dropped) when the chunk has no row. :func:`feed_fresh` feeds the groups of several runs."""
        base, n = cols.row_base, cols.nrows - cols.row_base
        if n <= 0:
            cols.drop_consumed()
            return None
        xv = {"_step": cols.steps()}
        for r in cols.media:
            if r >= base:
                cols.media_steps[r] = float(xv["_step"][r - base])
        for name in ROW_X[1:]:
            v = cols.row_col(name)
            xv[name] = v
            if name == "_runtime":
                self.has_runtime = self.has_runtime or bool(np.isfinite(v).any())
            else:
                self.has_timestamp = self.has_timestamp or bool(np.isfinite(v).any())
        groups: dict = {}
        for key in self._charted(cols):
            rows, vals = cols.series(key)
            if is_x(key):
                xv[key] = self._x_carry(key, rows - base, vals, n)
            gk = "" if len(rows) == n else rows.tobytes()
            g = groups.setdefault(gk, (rows, [], []))
            g[1].append(key)
            g[2].append(vals)
        for name, st in self.xcand.items():  # counters not logged in this chunk: carried forward
            if name not in xv:
                xv[name] = np.full(n, st.last)
        return xv, list(groups.values())

    def _charted(self, cols) -> list[str]:
        """The chunk's metrics, sorted, but for those beyond :data:`MAX_METRICS` per run: the keys
        kept are the first logged (first row, then name), whatever the chunks the history came in."""
        keys = sorted(cols.numeric)
        new = [k for k in keys if k not in self.where]
        room = MAX_METRICS - len(self.where)
        if len(new) <= room:
            return keys
        new.sort(key=lambda k: (int(cols.numeric[k][0][0][0]), k))
        left = set(new[max(room, 0):])
        if not any(w.startswith(TOO_MANY) for w in cols.warnings):
            cols.warnings.append(f"{TOO_MANY} {MAX_METRICS:,} metrics; those first logged after them are not "
                                 f"charted (the first left out: {new[max(room, 0)]!r})")
        return [k for k in keys if k not in left]

    def settle(self, cols, staged) -> None:
        """:meth:`consume` after the tracks were fed: keep the x values the buckets need."""
        self._keep_x(cols.row_base, cols.nrows - cols.row_base, staged[0])
        cols.drop_consumed()

    def _x_carry(self, key: str, local: np.ndarray, vals: np.ndarray, n: int) -> np.ndarray:
        st = self.xcand.setdefault(key, XState())
        fin = vals[np.isfinite(vals)]
        if fin.size:
            if np.isnan(st.first):
                st.first = float(fin[0])
            if st.ok and ((not np.isnan(st.last) and fin[0] < st.last) or np.any(fin[1:] < fin[:-1])):
                st.ok = False
        out = np.full(n, np.nan)
        out[local] = vals
        ok = np.isfinite(out)
        lastpos = np.where(ok, np.arange(n), -1)
        np.maximum.accumulate(lastpos, out=lastpos)
        res = out[np.maximum(lastpos, 0)]
        res[lastpos < 0] = st.last
        if fin.size:
            st.last = float(fin[-1])
        return res

    def _feed(self, keys: list[str], rows: np.ndarray, y: np.ndarray) -> None:
        places = [self.where.get(k) for k in keys]
        tids = {p[0] for p in places if p is not None}
        if len(tids) == 1 and None not in places and self.tracks[next(iter(tids))].keys == keys:
            self.tracks[next(iter(tids))].feed(rows, y)
            return
        if not tids:
            t = Track(keys, self.samples)
            self._add(t)
            t.feed(rows, y)
            return
        for tid in tids:  # the metrics no longer go together: one track each from now on
            old = self.tracks[tid]
            if len(old.keys) > 1:
                self.tracks[tid] = None
                for t in old.split():
                    self._add(t)
        for j, key in enumerate(keys):
            p = self.where.get(key)
            if p is None:
                t = Track([key], self.samples)
                self._add(t)
            else:
                t = self.tracks[p[0]]
            t.feed(rows, y[j:j + 1])

    def _add(self, t: Track) -> None:
        self.tracks.append(t)
        for j, k in enumerate(t.keys):
            self.where[k] = (len(self.tracks) - 1, j)

    def _keep_x(self, base: int, n: int, xv: dict[str, np.ndarray]) -> None:
        """Keep the x values of this chunk's rows that a bucket kept; forget rows no bucket keeps."""
        live = [t for t in self.tracks if t is not None]
        ref = np.concatenate([t.rows_kept() for t in live]) if live else np.zeros(0, np.int64)
        mark = np.zeros(n, dtype=bool)
        mark[ref[ref >= base] - base] = True
        new = np.flatnonzero(mark) + base
        old = np.isin(self.x_rows, ref)
        nold = int(old.sum())
        vals = {}
        for name in sorted(set(self.x_vals) | set(xv)):  # (sorted: the same cache bytes in every process)
            prev = self.x_vals.get(name)
            prev = prev[old] if prev is not None else np.full(nold, np.nan)
            cur = xv[name][new - base] if name in xv else np.full(len(new), np.nan)
            vals[name] = np.concatenate([prev, cur])
        self.x_rows = np.concatenate([self.x_rows[old], new])
        self.x_vals = vals

    # -- results --------------------------------------------------------------------------------
    def metrics(self) -> list[str]:
        return sorted(self.where)

    def xkeys(self) -> list[str]:
        """Counters usable as an x axis: logged, grown, never decreasing."""
        out = []
        for key in self.metrics():
            st = self.xcand.get(key)
            if st is not None and st.ok and st.last > st.first:
                out.append(key)
        return out

    def stats(self, key: str) -> dict:
        t, j = self._at(key)
        fin = t.b.n - int(t.nonfinite[j])
        return {"n": int(t.b.n), "last": float(t.fin_last[j]) if fin else None,
                "min": float(t.fin_min[j]) if fin else None, "max": float(t.fin_max[j]) if fin else None,
                "nonfinite": int(t.nonfinite[j])}

    def _at(self, key: str) -> tuple[Track, int]:
        tid, j = self.where[key]
        return self.tracks[tid], j

    def kept(self, lite: bool = False) -> list[tuple[list[str], list[Kept]]]:
        """Per track, its metrics and their kept points at ``--samples`` or, with ``lite``, at the
        overview resolution (every metric of a track at once)."""
        out = []
        for t in self.tracks:
            if t is None:
                continue
            b = t.b
            wl = width(b.n, self.lite_samples)
            ema_last = None
            if lite and wl > b.w:
                sm = None
                if b.w == 1:  # kept whole at --samples, folded in the overview: its smoothing now
                    sm, _, _ = smooth_whole(b, wl)
                b = b.take(slice(None)).coarsen(wl)
                if sm is not None:
                    b.extra, ema_last = extra_store(sm[:, :, :b.nb]), sm[:, :, -1]
            out.append((t.keys, _kept_all(t, b, ema_last)))
        return out

    def x_at(self, rows: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
        pos = np.searchsorted(self.x_rows, rows)
        nan = np.full(len(rows), np.nan)
        return {name: self.x_vals[name][pos] if name in self.x_vals else nan for name in names}


def feed_fresh(items: list[tuple["RunAgg", list[tuple]]]) -> None:
    """:meth:`RunAgg.consume`'s feeding of the staged groups (:meth:`RunAgg.stage`) of several runs
    that have no track yet (their first chunk): groups of different runs logged in the same rows,
    with all their values finite or not, go through one :class:`Track` (what the tracks of small
    runs cost is mostly per call, not per value), which is then cut into each run's tracks. Every
    series is computed on its own in a track, so each run's state is what its own feeding makes."""
    together: dict[tuple, list[tuple[int, int, np.ndarray]]] = {}
    made: list[list] = []
    for a, (agg, groups) in enumerate(items):
        made.append([None] * len(groups))
        for g, (rows, keys, vals) in enumerate(groups):
            y = np.vstack(vals)
            if agg.tracks:  # (not a fresh run: fed as consume feeds it)
                agg._feed(keys, rows, y)
                continue
            key = (agg.samples, len(rows), rows.tobytes(), bool(np.isfinite(y).all()))
            together.setdefault(key, []).append((a, g, y))
    for (samples, _n, _rb, _fin), parts in together.items():
        a0, g0, _y = parts[0]
        rows = items[a0][1][g0][0]
        keys = [k for a, g, _y in parts for k in items[a][1][g][1]]
        big = Track(keys, samples)
        big.feed(rows, parts[0][2] if len(parts) == 1 else np.vstack([y for _a, _g, y in parts]))
        at = 0
        for a, g, y in parts:
            made[a][g] = big.take(items[a][1][g][1], at, at + len(y))
            at += len(y)
    for (agg, _groups), tracks in zip(items, made):
        for t in tracks:
            if t is not None:
                agg._add(t)
