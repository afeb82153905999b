"""Compact binary columns for the site's data files (decoded by ``assets/loader.js``).

A column is ``{"t": type, "b": base64 of little-endian bytes, "o": offset}`` (``o`` only when
not 0); the value at ``i`` is ``o + v[i]`` for the plain types and ``o + v[0] + ... + v[i]``
for the delta types (``d1``/``d2``/``d4``: int8/int16/int32 differences), times ``s`` when given. Plain types:
``f2`` (float16), ``f4`` (float32), ``f8`` (float64), ``u1`` (uint8). Type ``a`` has no bytes: an
arithmetic sequence of ``n`` values ``o + i * d`` (a plain range of steps, rows logged every k-th
step, a clock that ticks evenly). ``"e": k`` (integer types only) divides every value by ``10 ** k``:
decimals stored exactly as integers. ``"z"``: positions whose value is not finite (``null`` in the
page; for the float types a non-finite value decodes to ``null`` by itself). Non-finite kinds are
listed separately (see ``rundata``).

Numbers are stored exactly when they can be (:func:`numbers_many`): values that are integers, or
decimals of at most ``k`` digits after the point (logged as ``round(x, 4)``, wall clock to the
millisecond), are integers over ``10 ** k``, delta-coded in the narrowest int type; the page divides
(``q / 10 ** k`` is the float64 the history held, both divisions being correctly rounded). Any
other series is float32 (float64 beyond float32's range).

Base64 inside a ``.js`` file keeps the site loadable from ``file://`` (a ``<script>``, no
``fetch``); typed arrays decode it in the browser with no library.
"""
from __future__ import annotations

import base64
import binascii
import math
from typing import Any

import numpy as np

F4_MAX = 3.0e38  # beyond float32's range (or below its precision floor) a column is float64
F4_MIN = 1.0e-37


def _b64(arr: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")


def col(t: str, arr: np.ndarray, offset: float = 0.0) -> dict[str, Any]:
    out: dict[str, Any] = {"t": t, "b": _b64(arr.astype({"f2": "<f2", "f4": "<f4", "f8": "<f8", "u1": "u1",
                                                            "d1": "<i1", "d2": "<i2", "d4": "<i4"}[t]))}
    if offset:
        out["o"] = float(offset) if not float(offset).is_integer() else int(offset)
    return out


def needs_f8(v: np.ndarray) -> bool:
    """Whether a finite nonzero value of the float64 array ``v`` is outside float32's range (above
    :data:`F4_MAX` or below :data:`F4_MIN` in magnitude): float32 would make it Infinity or 0."""
    if not v.size:
        return False
    a = np.abs(v)
    top = a.max()
    if top <= F4_MAX:  # (every value finite, none too big: three passes, the common case)
        return bool(a.min() < F4_MIN and ((a < F4_MIN) & (a > 0.0)).any())
    ok = np.isfinite(v) & (a > 0.0)
    return float(np.max(a, where=ok, initial=0.0)) > F4_MAX or float(np.min(a, where=ok, initial=np.inf)) < F4_MIN


def floats(v: np.ndarray) -> dict[str, Any]:
    """float32 when every finite value survives it within float32's precision, else float64."""
    v = np.asarray(v, dtype=float)
    return col("f8" if needs_f8(v) else "f4", v)


def ints_or_floats(v: np.ndarray) -> dict[str, Any]:
    """Integers (steps, counters) delta-coded in the narrowest int type; anything else as floats."""
    return numbers_many([np.asarray(v, dtype=float)], 0)[0]


def times(v: np.ndarray) -> dict[str, Any]:
    """Wall-clock seconds, to the millisecond: exact integer milliseconds, delta-coded."""
    return times_many([v])[0]


def half(v: np.ndarray) -> dict[str, Any]:
    """float16 scaled by a power of two (``"s"``: the factor to multiply by when decoding) so that the
    largest magnitude sits near float16's top: 3 significant digits for values down to ~1e-8 of the
    largest (smoothed curves, drawn and hovered at chart resolution)."""
    v = np.asarray(v, dtype=float)
    fin = np.abs(v[np.isfinite(v)])
    top = float(fin.max()) if fin.size else 0.0
    if top == 0.0:
        return col("f2", v)
    k = int(_half_exponents(np.array([top]))[0])
    out = col("f2", _below_top(np.ldexp(v, k), k))
    if k:
        out["s"] = math.ldexp(1.0, -k)
    return out


#: the largest scaling :func:`half` uses: its decoding factor ``2 ** -k`` is still a number (a subnormal)
HALF_K_MAX = 1074


def _half_exponents(top: np.ndarray) -> np.ndarray:
    """Per largest magnitude ``top`` (> 0), the ``k`` that puts ``top * 2 ** k`` near float16's top:
    ``floor(log2(32768 / top))``. Below ~1e-304, ``32768 / top`` is no number (a series of values
    near 1e-306 stopped the build with an OverflowError): ``15 - log2(top)`` then, at most
    :data:`HALF_K_MAX`. Scaling is by ``ldexp`` (``2.0 ** k`` itself overflows past 1023)."""
    with np.errstate(over="ignore", divide="ignore"):
        q = 32768.0 / top
        k = np.where(np.isfinite(q), np.floor(np.log2(q)), np.floor(15.0 - np.log2(top)))
    return np.minimum(k, HALF_K_MAX).astype(np.int64)


#: a scaled value at float64's top (1.797e308, scale 2 ** 1009) rounds to float16's 32768, which
#: the page decodes as 2 ** 1024 = Infinity (a gap in the smoothed line): such columns stop at the
#: float16 below it (1.7966e308; float16 keeps 3 digits anyway)
F2_TOP = 32752.0


def _below_top(scaled: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """``scaled`` (values times ``2 ** k``, per value) with what decodes past float64's top cut to :data:`F2_TOP`."""
    over = np.asarray(k) <= -1009
    if not over.any():
        return scaled
    cap = np.where(over, F2_TOP, np.inf)
    return np.clip(scaled, -cap, cap)


# -- many columns at once (a run's metrics): the same output as the functions above, with the
# -- numpy work done once over their concatenation (a build makes ~100 columns per run) ---------

def _segments(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cat = np.concatenate(arrays).astype(float, copy=False) if arrays else np.zeros(0)
    lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    starts = np.cumsum(lens) - lens
    return cat, starts, lens


def _b64s(arr: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> list[str]:
    """Base64 of each segment of ``arr`` (slices of one buffer, no copy of each: ~100 a run)."""
    item = arr.itemsize
    raw = np.ascontiguousarray(arr).tobytes()  # (bytes slices: b2a_base64 reads a memoryview's slower)
    b64 = binascii.b2a_base64
    return [b64(raw[s * item:(s + n) * item], newline=False).decode("ascii")
            for s, n in zip(starts.tolist(), lens.tolist())]


def _magnitudes(arrays: list[np.ndarray]):
    """(concatenated, starts, lengths, |values| with non-finite ones as 0) of ``arrays``; None when
    there is none or one is empty (the callers then encode each array on its own)."""
    if not arrays or any(len(a) == 0 for a in arrays):
        return None
    cat, starts, lens = _segments(arrays)
    a = np.abs(cat)
    a[~np.isfinite(cat)] = 0.0
    return cat, starts, lens, a


def floats_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """:func:`floats` of each array."""
    batch = _magnitudes(arrays)
    if batch is None:
        return [floats(a) for a in arrays]
    cat, starts, lens, a = batch
    big = np.maximum.reduceat(a, starts) > F4_MAX
    a[a == 0.0] = np.inf
    small = np.minimum.reduceat(a, starts) < F4_MIN
    with np.errstate(over="ignore"):  # the columns beyond float32 are written as float64 below
        f4 = _b64s(cat.astype("<f4"), starts, lens)
    return [col("f8", arrays[i]) if big[i] or small[i] else {"t": "f4", "b": f4[i]} for i in range(len(arrays))]


DECIMALS = 9  # at most, decimals a series of values is stored exactly with (more: float32)
_INT_TYPES = (("d1", 2 ** 7, "<i1"), ("d2", 2 ** 15, "<i2"), ("d4", 2 ** 31, "<i4"))
_INT_HIS = np.array([hi for _t, hi, _dt in _INT_TYPES])


def _decimals_needed(cat: np.ndarray, fin: np.ndarray, decimals: int) -> np.ndarray:
    """Per value, the fewest decimals ``k <= decimals`` with ``round(v * 10**k) / 10**k == v``
    exactly in float64 and the integer within 2**53; ``decimals + 1`` when none; 0 when not finite.

    Integers pass at ``k = 0``; a value that is not exact with ``decimals`` digits (while its
    integer stays far below 2**53, so that rounding cannot be the cause) is not exact with fewer."""
    need = np.zeros(len(cat), dtype=np.int64)
    left = np.flatnonzero(fin)
    with np.errstate(over="ignore", invalid="ignore"):
        def exact(idx: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
            v = cat[idx]
            p = 10.0 ** k
            q = np.rint(v * p)
            a = np.abs(q)
            return (q / p == v) & (a < 2.0 ** 53), a < 2.0 ** 50
        ok, _ = exact(left, 0)
        left = left[~ok]
        if left.size and decimals > 0:
            ok, small = exact(left, decimals)
            never = ~ok & small
            need[left[never]] = decimals + 1
            left = left[~never]
        for k in range(1, decimals + 1):
            if not left.size:
                break
            ok, _ = exact(left, k)
            need[left[ok]] = k
            left = left[~ok]
    need[left] = decimals + 1
    return need


SAMPLE = 16
_POW10 = 10.0 ** np.arange(23, dtype=float)  # 10.0 ** k by lookup (all exact), not a pow per value


def _array_decimals(cat: np.ndarray, fin: np.ndarray, starts: np.ndarray, lens: np.ndarray,
                    decimals: int) -> np.ndarray:
    """Per array (segments of ``cat``), the fewest decimals that give every finite value back
    (:func:`_decimals_needed`), ``decimals + 1`` when none. Each array's first values decide
    first (a float series fails there, at no further cost); an array that passes is checked whole
    at that count, and only its values that fail it are searched further (exact with ``k``
    decimals means exact with more)."""
    n = len(starts)
    ends = starts + lens - 1
    samp = np.minimum(starts[:, None] + np.arange(SAMPLE)[None, :], ends[:, None]).ravel()
    k = _decimals_needed(cat[samp], fin[samp], decimals).reshape(n, SAMPLE).max(axis=1)
    cand = np.flatnonzero((k <= decimals) & (lens > SAMPLE))
    if cand.size:
        clen = lens[cand]
        # the candidates' positions in ``cat``, their segments one after the other (one arange for all)
        sel = np.arange(int(clen.sum()), dtype=np.int64) + np.repeat(starts[cand] - (np.cumsum(clen) - clen), clen)
        kk = np.repeat(k[cand], clen)
        with np.errstate(over="ignore", invalid="ignore"):
            v = cat[sel]
            p = _POW10[kk]
            q = np.rint(v * p)
            bad = fin[sel] & ~((q / p == v) & (np.abs(q) < 2.0 ** 53))
        if bad.any():
            more = np.zeros(len(sel), dtype=np.int64)
            more[bad] = _decimals_needed(v[bad], np.ones(int(bad.sum()), dtype=bool), decimals)
            seg = np.cumsum(np.r_[0, lens[cand][:-1]])
            k[cand] = np.maximum(k[cand], np.maximum.reduceat(more, seg))
    return k


def numbers_many(arrays: list[np.ndarray], decimals: int = 0) -> list[dict[str, Any]]:
    """Each array exactly when it can be: as integers over ``10 ** k`` (``k <= decimals``, the
    fewest that give every finite value back), delta-coded in the narrowest int type, or type
    ``a`` when the differences are all equal; non-finite values (at most a tenth of a series)
    listed in ``z``. Any other array: :func:`floats`."""
    out: list[dict[str, Any] | None] = [None] * len(arrays)
    idx = [i for i, a in enumerate(arrays) if len(a)]
    if idx:
        cat, starts, lens = _segments([arrays[i] for i in idx])
        fin = np.isfinite(cat)
        k = _array_decimals(cat, fin, starts, lens, decimals)
        nfin = np.add.reduceat(fin.astype(np.int64), starts)
        ok = (k <= decimals) & (nfin > 0) & ((lens - nfin) * 10 <= lens)
        if not ok.all():  # only the arrays stored as integers go on (the others: floats, below)
            keep = np.flatnonzero(ok)
            idx, k, nfin = [idx[j] for j in keep], k[keep], nfin[keep]
            fin = np.concatenate([fin[starts[j]:starts[j] + lens[j]] for j in keep]) if keep.size else fin[:0]
            cat, starts, lens = _segments([arrays[i] for i in idx])
    if idx:
        allfin = bool(nfin.sum() == len(cat))
        if allfin:  # (the common case: no gap to fill)
            filled = cat
        else:
            pos = np.arange(len(cat))
            seg0 = np.repeat(starts, lens)
            prev = np.maximum.accumulate(np.where(fin, pos, -1))  # a gap takes its neighbour's integer
            nxt = np.minimum.accumulate(np.where(fin, pos, len(cat))[::-1])[::-1]
            filled = cat[np.where(prev >= seg0, prev, np.minimum(nxt, len(cat) - 1))]
        k0 = int(k[0])
        with np.errstate(over="ignore", invalid="ignore"):
            if (k == k0).all():  # one scale for every array (integers: none)
                iv = (np.rint(filled * 10.0 ** k0) if k0 else np.rint(filled)).astype(np.int64)
            else:
                iv = np.rint(filled * np.repeat(_POW10[k], lens)).astype(np.int64)
        d = np.empty_like(iv)
        np.subtract(iv[1:], iv[:-1], out=d[1:])
        d[starts] = 0  # (d[0] among them)
        m = np.maximum.reduceat(np.abs(d), starts)
        second = np.minimum(starts + 1, len(cat) - 1)
        dd = d.copy()
        dd[starts] = d[second]  # each series' first difference stands in for its (zero) start
        even = (np.minimum.reduceat(dd, starts) == np.maximum.reduceat(dd, starts)) & (nfin == lens)
        # (per array, Python numbers taken out in one go; the narrowest int type of each by one search)
        firsts, steps, ns, ks, nfins = (iv[starts].tolist(), d[second].tolist(), lens.tolist(), k.tolist(),
                                        nfin.tolist())
        types = np.searchsorted(_INT_HIS, m, side="right").tolist()  # len(_INT_TYPES): none fits
        typed: list[list[int]] = [[] for _ in _INT_TYPES]
        for j, (i, is_even) in enumerate(zip(idx, even.tolist())):
            first, n = firsts[j], ns[j]
            if is_even:
                c: dict[str, Any] = {"t": "a", "n": n, "o": first, "d": steps[j] if n > 1 else 0}
            else:
                t = types[j]
                if t == len(_INT_TYPES):  # integers too far apart for int32 differences: exact as float64
                    out[i] = col("f8", np.asarray(arrays[i], dtype=float))
                    continue
                c = {"t": _INT_TYPES[t][0], "b": ""}  # (its bytes below)
                typed[t].append(j)
                if first:
                    c["o"] = first
            if ks[j]:
                c["e"] = ks[j]
            if nfins[j] < n:
                c["z"] = np.flatnonzero(~fin[starts[j]:starts[j] + n]).tolist()
            out[i] = c
        for (_t, _hi, dt), sel in zip(_INT_TYPES, typed):  # the bytes of each int type's columns in one pass
            if sel:
                for j, b in zip(sel, _b64s(d.astype(dt), starts[sel], lens[sel])):
                    out[idx[j]]["b"] = b
    rest = [i for i, o in enumerate(out) if o is None]
    for i, c in zip(rest, floats_many([np.asarray(arrays[i], dtype=float) for i in rest])):
        out[i] = c
    return out  # type: ignore[return-value]


def ints_or_floats_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """:func:`ints_or_floats` of each array."""
    return numbers_many(arrays, 0)


def values_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """Metric values: exact decimals (up to :data:`DECIMALS`) when they are, else float32/64."""
    return numbers_many(arrays, DECIMALS)


def half_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """:func:`half` of each array."""
    batch = _magnitudes(arrays)
    if batch is None:
        return [half(a) for a in arrays]
    cat, starts, lens, a = batch
    top = np.maximum.reduceat(a, starts)
    if not (top > 0).all():
        return [half(a) for a in arrays]
    k = _half_exponents(top)
    if -1022 <= k.min() and k.max() <= 1023 and k.min() > -1009:
        # times 2 ** k, a normal number: as exact as ldexp (both round a result below float64's normal
        # range alike), ~10x faster (nothing to cut to F2_TOP above k = -1009)
        scaled = cat * np.repeat(np.ldexp(1.0, k), lens)
    else:
        kk = np.repeat(k, lens)
        scaled = _below_top(np.ldexp(cat, kk), kk)
    enc = _b64s(scaled.astype("<f2"), starts, lens)
    out = []
    for i, b in enumerate(enc):
        c: dict[str, Any] = {"t": "f2", "b": b}
        if k[i]:
            c["s"] = math.ldexp(1.0, -int(k[i]))
        out.append(c)
    return out


def counts(c: np.ndarray) -> dict[str, Any]:
    """Points per bucket of a downsampled series (at least one bucket): uint8 when every count is
    below 256, else int32 differences."""
    return col("u1", c) if c.max() < 256 else col("d4", np.diff(c, prepend=0))


def counts_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """:func:`counts` of each array (the uint8 ones in one pass: a build has ~20 such columns a run)."""
    if not arrays or any(len(a) == 0 for a in arrays):
        return [counts(a) for a in arrays]
    cat = np.concatenate(arrays)
    lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    starts = np.cumsum(lens) - lens
    small = np.maximum.reduceat(cat, starts) < 256
    u1 = iter(_b64s(cat.astype("u1"), starts[small], lens[small]))
    return [{"t": "u1", "b": next(u1)} if ok else counts(a) for a, ok in zip(arrays, small.tolist())]


def times_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """:func:`times` of each array: rounded to the millisecond, exact integer milliseconds."""
    arrays = [np.asarray(a, dtype=float) for a in arrays]
    if len(arrays) > 1:  # one rounding pass over them all (elementwise: the same values)
        lens = np.cumsum([len(a) for a in arrays])[:-1]
        return numbers_many(np.split(np.round(np.concatenate(arrays), 3), lens), 3)
    return numbers_many([np.round(a, 3) for a in arrays], 3)
