"""Deterministic min/max downsampling that never hides a spike, computed on a stream.

A series of ``n`` points is cut into buckets of ``width(n, target)`` consecutive points: every
point its own bucket while ``n <= target`` (nothing is folded), else the smallest power of two
that makes at most ``target // 3`` buckets. Each bucket keeps its first point, its minimum and
its maximum (the first of equals) and its first NaN, first +Infinity and first -Infinity (so
the site can mark the gap); the series' last point is always kept. The page draws a bucket's
min and max as the min-max band (what downsampling folded away).

Because widths are powers of two, a bucket of width ``2w`` is two buckets of width ``w``: a
:class:`Buckets` state is extended chunk by chunk (the history is never held whole) and merged
pairwise when it grows past the limit, and the result depends only on the series and
``target``, not on how it was chunked. Pure numpy, no randomness. :class:`Buckets` holds ``K``
series that share their indices (metrics logged in the same rows) and works on all at once.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIRST, MIN, MAX, NAN, PINF, NINF = range(6)
SLOTS = 6
NONE = -1


def width(n: int, target: int) -> int:
    """Bucket width for ``n`` points and at most ``target`` points kept."""
    if n <= target:
        return 1
    nb = max(1, target // 3)
    w = 2
    while -(-n // w) > nb:
        w *= 2
    return w


@dataclass
class Downsampled:
    idx: np.ndarray  # kept indices into the input, ascending
    lo: np.ndarray | None  # bucket minimum per kept point (NaN: bucket had no finite value); None if nothing folded
    hi: np.ndarray | None
    counts: np.ndarray | None = None  # kept points per bucket (None: nothing folded)


def _combine(ia, ra, va, ib, rb, vb):
    """Bucket ``a`` followed by bucket ``b`` as one bucket (arrays ``(K, SLOTS, m)``); in place on a."""
    take = vb[:, MIN] < va[:, MIN]
    for arr_a, arr_b in ((ia, ib), (ra, rb), (va, vb)):
        arr_a[:, MIN] = np.where(take, arr_b[:, MIN], arr_a[:, MIN])
    take = vb[:, MAX] > va[:, MAX]
    for arr_a, arr_b in ((ia, ib), (ra, rb), (va, vb)):
        arr_a[:, MAX] = np.where(take, arr_b[:, MAX], arr_a[:, MAX])
    for s in (FIRST, NAN, PINF, NINF):
        take = ia[:, s] < 0
        if take.any():
            for arr_a, arr_b in ((ia, ib), (ra, rb), (va, vb)):
                arr_a[:, s] = np.where(take, arr_b[:, s], arr_a[:, s])


def _empty(k: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    idx = np.full((k, SLOTS, m), NONE, dtype=np.int64)
    val = np.full((k, SLOTS, m), np.nan)
    val[:, MIN] = np.inf
    val[:, MAX] = -np.inf
    return idx, idx.copy(), val


def rows_state(rows: np.ndarray, n: int) -> dict:
    """Rows ``rows`` (``n`` of them, ascending) for the cache: the first when they are consecutive."""
    if n and len(rows) == n and int(rows[-1]) - int(rows[0]) == n - 1:
        return {"r0": int(rows[0]), "n": n}
    return {"rows": rows.astype(np.int32) if int(rows.max(initial=0)) < 2 ** 31 else rows, "n": n}


def rows_of(st: dict, n: int) -> np.ndarray:
    if "r0" in st:
        return np.arange(st["r0"], st["r0"] + n, dtype=np.int64)
    return np.asarray(st["rows"], dtype=np.int64)


def extra_store(v: np.ndarray) -> np.ndarray:
    """The extra columns (smoothed values) as :class:`Buckets` keeps them: float32, or float64 when a
    finite one is outside float32's range (a series near 1e308: float32 made its smoothing Infinity,
    with a raw "overflow encountered in cast" on the terminal; near 1e-40: 0). Buckets that keep
    float64 once keep it; the page gets both as scaled float16 (encode.half_many)."""
    from .encode import needs_f8

    v = np.asarray(v, dtype=float)
    return v.copy() if needs_f8(v) else v.astype(np.float32)


class Buckets:
    """The bucket state of ``K`` series sharing indices ``0..n-1``: per bucket and slot the kept
    point's index, row and value (``idx``/``row``/``val``, shape ``(K, SLOTS, nb)``; index -1: no
    such point), plus what the caller keeps per bucket start (``extra``, shape ``(K, E, nb)``)."""

    def __init__(self, k: int, target: int, extra: int = 0):
        self.k, self.target, self.n, self.w = k, target, 0, 1
        self.idx, self.row, self.val = _empty(k, 0)
        self.extra = np.zeros((k, extra, 0), dtype=np.float32)  # smoothed values: drawn as float16 (see extra_store)

    def __getstate__(self) -> dict:
        """Compact for the cache (values stay exact: a run continued from the cache gives the same
        bytes as a fresh one). A series kept whole (``w == 1``) is its values and rows only (every
        slot follows from them). Else a bucket's first point is at ``bucket * w``, the other slots'
        indices are stored as offsets in the bucket in the smallest unsigned type, rows as one
        offset from the indices when the series is logged in consecutive rows, and the non-finite
        slots only when used."""
        st: dict = {"k": self.k, "target": self.target, "n": self.n, "w": self.w, "extra": self.extra}
        if self.w == 1:
            rows = self.row[0, FIRST] if self.k else np.zeros(0, np.int64)
            st["y"] = self.val[:, FIRST]
            st.update(rows_state(rows, self.n))
            return st
        idx, row, val = self.idx, self.row, self.val
        if not (idx[:, NAN:] >= 0).any():
            idx, row, val = idx[:, :NAN], row[:, :NAN], val[:, :NAN]
        start = np.arange(self.nb, dtype=np.int64) * self.w
        ok = idx >= 0
        if not (idx[:, FIRST] == start).all():  # never, by construction; stored as it is if it were
            st.update(idx=idx, row=row, val=val)
            return st
        dtype = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if np.iinfo(t).max > self.w)
        st["off"] = np.where(ok, idx - start, np.iinfo(dtype).max)[:, 1:].astype(dtype)
        st["val"] = val
        d = (row - idx)[ok]
        if d.size and (d == d[0]).all():
            st["roff"] = int(d[0])
        else:
            st["row"] = row.astype(np.int32) if int(row.max(initial=0)) < 2 ** 31 else row
        return st

    def __setstate__(self, st: dict) -> None:
        self.__init__(st["k"], st["target"])
        if "y" in st:  # kept whole: fed again from its points
            self.feed(st["y"], rows_of(st, st["n"]), None)
            self.extra = st["extra"]
            return
        self.n, self.w = st["n"], st["w"]
        if "idx" in st:
            used, nb = st["idx"].shape[1:]
        else:
            used, nb = st["off"].shape[1] + 1, st["off"].shape[2]
        start = np.arange(nb, dtype=np.int64) * self.w
        idx, row, val = _empty(self.k, nb)
        if "idx" in st:
            idx[:, :used], row[:, :used], val[:, :used] = st["idx"], st["row"], st["val"]
            self.idx, self.row, self.val, self.extra = idx, row, val, st["extra"]
            return
        off = st["off"].astype(np.int64)
        sub = np.where(off == np.iinfo(st["off"].dtype).max, NONE, off + start)
        idx[:, FIRST] = start
        idx[:, 1:used] = sub
        val[:, :used] = st["val"]
        if "roff" in st:
            row[:, :used] = np.where(idx[:, :used] >= 0, idx[:, :used] + st["roff"], NONE)
        else:
            row[:, :used] = st["row"]
        self.idx, self.row, self.val = idx, row, val
        self.extra = st["extra"]

    @property
    def nb(self) -> int:
        return self.idx.shape[2]

    def take(self, sel: list[int] | slice) -> "Buckets":
        """The series ``sel`` (a list of positions, or a slice of them) as a state of their own. A slice
        shares the arrays (views, no copy: a state is never written in place but for its last bucket,
        which is its own series' rows): a batch's track cut into its runs' (``runagg.feed_fresh``),
        or every series of a track coarsened for the overviews (``RunAgg.kept``)."""
        out = Buckets.__new__(Buckets)
        out.k = len(range(self.k)[sel]) if isinstance(sel, slice) else len(sel)
        out.target, out.n, out.w = self.target, self.n, self.w
        out.idx, out.row, out.val, out.extra = self.idx[sel], self.row[sel], self.val[sel], self.extra[sel]
        return out

    def coarsen(self, w: int) -> "Buckets":
        """Merge buckets until their width is ``w`` (a power-of-two multiple); in place. Merging
        ``f`` neighbours at once gives what merging pairs ``log2(f)`` times gives (the first of equal
        minima and maxima, the first point of each other slot)."""
        if self.w >= w:
            return self
        f = w // self.w
        nb = self.nb
        if nb:
            nbn = -(-nb // f)
            # the non-finite slots only when some bucket has such a point (else they stay empty: no
            # point, NaN, as merging empty ones gives)
            used = SLOTS if (self.idx[:, NAN:] >= 0).any() else NAN
            idx, row, val = self.idx[:, :used], self.row[:, :used], self.val[:, :used]
            if nbn * f > nb:  # empty buckets to fill the last group
                pad = _empty(self.k, nbn * f - nb)
                idx, row, val = (np.concatenate([a, p[:, :used]], axis=2) for a, p in zip((idx, row, val), pad))
            shape = (self.k, used, nbn, f)
            ix, rw, vl = idx.reshape(shape), row.reshape(shape), val.reshape(shape)
            pos = np.argmax(ix >= 0, axis=3)  # FIRST, NAN, PINF, NINF: the first bucket that has one
            pos[:, MIN] = np.argmin(vl[:, MIN], axis=2)
            pos[:, MAX] = np.argmax(vl[:, MAX], axis=2)
            pos = pos[..., None]
            merged = [np.take_along_axis(A, pos, axis=3)[..., 0] for A in (ix, rw, vl)]
            if used < SLOTS:
                full = _empty(self.k, nbn)
                for A, M in zip(full, merged):
                    A[:, :used] = M
                merged = full
            self.idx, self.row, self.val = merged
            self.extra = self.extra[:, :, 0::f]
        self.w = w
        return self

    def starts(self, m: int) -> np.ndarray:
        """Positions (0..m-1) in the next ``m`` points where a bucket starts, at the width
        :meth:`feed` will use for them (call :meth:`coarsen` for it first)."""
        first = -(-self.n // self.w) * self.w
        return np.arange(first, self.n + m, self.w, dtype=np.int64) - self.n

    def prepare(self, m: int) -> None:
        """Coarsen to the width that ``n + m`` points need."""
        self.coarsen(width(self.n + m, self.target))

    def feed(self, y: np.ndarray, rows: np.ndarray, extra: np.ndarray | None = None) -> None:
        """Append ``m`` points of each series (``y``: ``(K, m)``; ``rows``: their row numbers, ``(m,)``);
        ``extra``: ``(K, E, len(starts(m)))``, stored with each new bucket start. Call
        :meth:`prepare` first."""
        k, m = y.shape
        if m == 0:
            return
        w, n0 = self.w, self.n
        s = n0 % w  # points already in the last (partial) bucket
        if w > 1 and m >= 2 * w and np.isfinite(y).all():
            # whole buckets of finite values are reduced in place (views, no padded copies); the
            # partial buckets at either end go the general way
            h = min(m, (w - s) % w)
            nf = (m - h) // w
            if h:
                self.feed(y[:, :h], rows[:h], None if extra is None else extra[:, :, :0])
            self._feed_whole(y[:, h:h + nf * w], rows[h:h + nf * w], None if extra is None else extra[:, :, :nf])
            if h + nf * w < m:
                self.feed(y[:, h + nf * w:], rows[h + nf * w:], None if extra is None else extra[:, :, nf:])
            return
        nbk = -(-(s + m) // w)
        size = nbk * w
        gidx = np.arange(n0 - s, n0 - s + size, dtype=np.int64)
        valid = (gidx >= n0) & (gidx < n0 + m)
        grow = np.full(size, NONE, dtype=np.int64)
        grow[s:s + m] = rows
        idx, row, val = _empty(k, nbk)
        finite = np.isfinite(y)
        allfin = bool(finite.all())
        if w == 1:  # every point its own bucket: all slots the point itself (or none)
            idx[:, FIRST] = gidx[None, :]
            row[:, FIRST] = grow[None, :]
            val[:, FIRST] = y
            for slot, sentinel in ((MIN, np.inf), (MAX, -np.inf)):
                idx[:, slot] = np.where(finite, gidx[None, :], NONE)
                row[:, slot] = np.where(finite, grow[None, :], NONE)
                val[:, slot] = np.where(finite, y, sentinel)
            if not allfin:
                for slot, mask in ((NAN, np.isnan(y)), (PINF, y == np.inf), (NINF, y == -np.inf)):
                    idx[:, slot] = np.where(mask, gidx[None, :], NONE)
                    row[:, slot] = np.where(mask, grow[None, :], NONE)
                    val[:, slot] = np.where(mask, y, np.nan)
        else:
            yp = np.full((k, size), np.nan)
            yp[:, s:s + m] = y
            fin = np.zeros((k, size), dtype=bool)
            fin[:, s:s + m] = finite
            gi = gidx.reshape(nbk, w)
            gr = grow.reshape(nbk, w)
            # first point of each bucket (in this chunk)
            fpos = np.zeros(nbk, dtype=np.int64)
            fpos[0] = s
            idx[:, FIRST] = gi[np.arange(nbk), fpos][None, :]
            row[:, FIRST] = gr[np.arange(nbk), fpos][None, :]
            val[:, FIRST] = yp.reshape(k, nbk, w)[:, np.arange(nbk), fpos]
            for slot, fill, pick in ((MIN, np.inf, np.argmin), (MAX, -np.inf, np.argmax)):
                yy = np.where(fin, yp, fill).reshape(k, nbk, w) if not allfin or s or size > s + m else \
                    yp.reshape(k, nbk, w)
                pos = pick(yy, axis=2)
                v = np.take_along_axis(yy, pos[:, :, None], axis=2)[:, :, 0]
                ok = v != fill
                idx[:, slot] = np.where(ok, gi[np.arange(nbk)[None, :], pos], NONE)
                row[:, slot] = np.where(ok, gr[np.arange(nbk)[None, :], pos], NONE)
                val[:, slot] = np.where(ok, v, fill)
            if not allfin:
                for slot, mask in ((NAN, np.isnan(yp)), (PINF, yp == np.inf), (NINF, yp == -np.inf)):
                    mask &= valid[None, :]
                    mk = mask.reshape(k, nbk, w)
                    pos = np.argmax(mk, axis=2)
                    ok = np.take_along_axis(mk, pos[:, :, None], axis=2)[:, :, 0]
                    idx[:, slot] = np.where(ok, gi[np.arange(nbk)[None, :], pos], NONE)
                    row[:, slot] = np.where(ok, gr[np.arange(nbk)[None, :], pos], NONE)
                    val[:, slot] = np.where(ok, np.take_along_axis(yp.reshape(k, nbk, w), pos[:, :, None], axis=2)[:, :, 0], np.nan)
        ex = self.extra.shape[1]
        new_extra = np.zeros((k, ex, nbk), dtype=np.float32)
        if s:  # the first new bucket continues the last one
            _combine(self.idx[:, :, -1:], self.row[:, :, -1:], self.val[:, :, -1:],
                     idx[:, :, :1], row[:, :, :1], val[:, :, :1])
            idx, row, val, new_extra = idx[:, :, 1:], row[:, :, 1:], val[:, :, 1:], new_extra[:, :, 1:]
        self._append(idx, row, val, new_extra, extra, n0 + m)

    def _feed_whole(self, y: np.ndarray, rows: np.ndarray, extra: np.ndarray | None) -> None:
        """:meth:`feed` of finite values that fill whole buckets, starting at a bucket start."""
        k, m = y.shape
        w, n0 = self.w, self.n
        nf = m // w
        yv = y.reshape(k, nf, w)
        idx, row, val = _empty(k, nf)
        off = np.arange(0, m, w, dtype=np.int64)
        idx[:, FIRST] = n0 + off
        row[:, FIRST] = rows[off]
        val[:, FIRST] = yv[:, :, 0]
        for slot, pick in ((MIN, np.argmin), (MAX, np.argmax)):
            at = off + pick(yv, axis=2)  # (k, nf): the first of equals
            idx[:, slot] = n0 + at
            row[:, slot] = rows[at]
            val[:, slot] = np.take_along_axis(y, at, axis=1)
        self._append(idx, row, val, np.zeros((k, self.extra.shape[1], nf), dtype=np.float32), extra, n0 + m)

    def _append(self, idx, row, val, new_extra: np.ndarray, extra: np.ndarray | None, n: int) -> None:
        """New buckets after the kept ones (``extra``: their extra columns, else zeros); ``n`` points seen."""
        if new_extra.shape[1] and extra is not None:
            extra = extra_store(extra)  # (a new array)
            if extra.shape == new_extra.shape:
                new_extra = extra
            else:
                new_extra = new_extra.astype(extra.dtype, copy=False)
                new_extra[:] = extra
        if not self.nb and self.extra.dtype == np.float32:  # a state's first buckets: what concatenating
            # them to none gives (the same dtypes, each a new C-ordered array), without copying them again
            self.idx, self.row, self.val, self.extra = (np.ascontiguousarray(a) for a in (idx, row, val, new_extra))
            self.n = n
            return
        self.idx = np.concatenate([self.idx, idx], axis=2)
        self.row = np.concatenate([self.row, row], axis=2)
        self.val = np.concatenate([self.val, val], axis=2)
        self.extra = np.concatenate([self.extra, new_extra], axis=2)
        self.n = n

    def kept(self, j: int, last: tuple[int, int, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Series ``j``'s kept points: (indices, rows, values, points per bucket or None when
        nothing was folded); ``last``: the series' last point (index ``n - 1``, row, value), always kept."""
        return kept_all(self.take([j]), last[1], np.array([last[2]]))[0]


def kept_all(b: Buckets, last_row: int, last_val: np.ndarray) -> list[tuple]:
    """:meth:`Buckets.kept` of every series at once (the last point: index ``n - 1``, row
    ``last_row``, values ``last_val``)."""
    if b.w == 1:
        return [(b.idx[j, FIRST], b.row[j, FIRST], b.val[j, FIRST], None) for j in range(b.k)]
    k, nb = b.k, b.nb
    s = SLOTS if (b.idx[:, NAN:] >= 0).any() else NAN
    if s == NAN:
        return _kept_finite(b, last_row, last_val)
    last = np.full((k, 1, nb), NONE, dtype=np.int64)
    last[:, 0, -1] = b.n - 1
    lrow = np.full((k, 1, nb), NONE, dtype=np.int64)
    lrow[:, 0, -1] = last_row
    lval = np.full((k, 1, nb), np.nan)
    lval[:, 0, -1] = last_val
    idx = np.concatenate([b.idx[:, :s], last], axis=1)
    order = np.argsort(idx, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    row = np.take_along_axis(np.concatenate([b.row[:, :s], lrow], axis=1), order, axis=1)
    val = np.take_along_axis(np.concatenate([b.val[:, :s], lval], axis=1), order, axis=1)
    ok = idx >= 0
    ok[:, 1:] &= idx[:, 1:] != idx[:, :-1]
    counts = ok.sum(axis=1)
    ok, idx, row, val = (a.transpose(0, 2, 1).reshape(k, -1) for a in (ok, idx, row, val))
    return [(idx[j][ok[j]], row[j][ok[j]], val[j][ok[j]], counts[j]) for j in range(k)]



def _kept_finite(b: Buckets, last_row: int, last_val: np.ndarray) -> list[tuple]:
    """:func:`kept_all` when no bucket holds a non-finite value: each bucket's points are its first,
    its minimum and maximum in index order, and the last point (the last bucket), so no sort is needed."""
    k, nb = b.k, b.nb
    lo_is_min = b.idx[:, MIN] <= b.idx[:, MAX]
    out = []
    for a, last in ((b.idx, b.n - 1), (b.row, last_row), (b.val, last_val)):
        x = np.empty((k, nb, 4), dtype=a.dtype)
        x[:, :, 0] = a[:, FIRST]
        x[:, :, 1] = np.where(lo_is_min, a[:, MIN], a[:, MAX])
        x[:, :, 2] = np.where(lo_is_min, a[:, MAX], a[:, MIN])
        x[:, :, 3] = NONE if a.dtype.kind == "i" else np.nan
        x[:, -1, 3] = last
        out.append(x)
    idx, row, val = out
    ok = idx >= 0
    ok[:, :, 1:] &= idx[:, :, 1:] != idx[:, :, :-1]
    # (the four slots added one by one and the kept points taken by position: a sum over an axis of
    # 4 and three boolean selections were most of this function, perf34; the same arrays)
    counts = ok[:, :, 0].astype(np.int_) + ok[:, :, 1] + ok[:, :, 2] + ok[:, :, 3]
    ends = np.cumsum(counts.sum(axis=1)).tolist()
    at = np.flatnonzero(ok.ravel())
    idx, row, val = idx.ravel()[at], row.ravel()[at], val.ravel()[at]
    return [(idx[a:e], row[a:e], val[a:e], counts[j]) for j, (a, e) in enumerate(zip([0] + ends[:-1], ends))]


def downsample(y: np.ndarray, target: int) -> Downsampled:
    """One whole series, downsampled (what the streamed build computes chunk by chunk)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    b = Buckets(1, target)
    b.prepare(n)
    b.feed(y[None, :], np.arange(n, dtype=np.int64))
    if n == 0:
        return Downsampled(np.zeros(0, np.int64), None, None)
    idx, _, v, counts = b.kept(0, (n - 1, n - 1, float(y[-1])))
    if counts is None:
        return Downsampled(idx, None, None)
    bucket = idx // b.w
    bmin, bmax = b.val[0, MIN], b.val[0, MAX]
    empty = ~np.isfinite(bmin)
    return Downsampled(idx, np.where(empty, np.nan, bmin)[bucket], np.where(empty, np.nan, bmax)[bucket], counts)
