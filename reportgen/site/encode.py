"""Compact binary columns for the site's data files (decoded by ``assets/loader.js``).

A column is ``{"t": type, "b": base64 of little-endian bytes, "o": offset}`` (``o`` only when
not 0); the value at ``i`` is ``o + v[i]`` for the plain types and ``o + v[0] + ... + v[i]``
for the delta types (``d1``/``d2``/``d4``: int8/int16/int32 differences), times ``s`` when given. Plain types:
``f2`` (float16), ``f4`` (float32), ``f8`` (float64), ``u1`` (uint8). Non-finite floats decode
to ``null`` in the page (their kind is listed separately, see ``rundata``).

Base64 inside a ``.js`` file keeps the site loadable from ``file://`` (a ``<script>``, no
``fetch``); typed arrays decode it in the browser with no library.
"""
from __future__ import annotations

import base64
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


def floats(v: np.ndarray) -> dict[str, Any]:
    """float32 when every finite value survives it within float32's precision, else float64."""
    v = np.asarray(v, dtype=float)
    a = np.abs(v[np.isfinite(v)])
    if a.size and (a.max() > F4_MAX or a[a > 0].min(initial=1.0) < F4_MIN):
        return col("f8", v)
    return col("f4", v)


def ints_or_floats(v: np.ndarray) -> dict[str, Any]:
    """Integers (steps, counters) delta-coded in the narrowest int type; anything else as floats."""
    v = np.asarray(v, dtype=float)
    if v.size and np.all(np.isfinite(v)) and np.all(v == np.round(v)) and np.abs(v).max() < 2 ** 52:
        iv = v.astype(np.int64)
        d = np.diff(iv, prepend=iv[0])
        m = int(np.abs(d).max()) if d.size else 0
        if m < 2 ** 31:
            t = "d1" if m < 2 ** 7 else "d2" if m < 2 ** 15 else "d4"
            return col(t, d, int(iv[0]))
        return col("f8", v)  # integers too far apart for int32 differences: exact as float64
    return floats(v)


def times(v: np.ndarray) -> dict[str, Any]:
    """Wall-clock seconds: float32 offsets from the first finite value (ms precision over days)."""
    v = np.asarray(v, dtype=float)
    fin = v[np.isfinite(v)]
    if not fin.size:
        return col("f4", v)
    base = float(np.floor(fin[0]))
    span = float(np.abs(fin - base).max())
    return col("f4", v - base, base) if span < 2 ** 22 else col("f8", v)


def half(v: np.ndarray) -> dict[str, Any]:
    """float16 scaled by a power of two (``"s"``: the factor to multiply by when decoding) so that the
    largest magnitude sits near float16's top: 3 significant digits for values down to ~1e-8 of the
    largest (smoothed curves, drawn and hovered at chart resolution)."""
    v = np.asarray(v, dtype=float)
    fin = np.abs(v[np.isfinite(v)])
    top = float(fin.max()) if fin.size else 0.0
    if top == 0.0:
        return col("f2", v)
    k = int(np.floor(np.log2(32768.0 / top)))
    out = col("f2", v * 2.0 ** k)
    if k:
        out["s"] = 2.0 ** -k
    return out


# -- many columns at once (a run's metrics): the same output as the functions above, with the
# -- numpy work done once over their concatenation (a build makes ~100 columns per run) ---------

def _segments(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cat = np.concatenate(arrays).astype(float, copy=False) if arrays else np.zeros(0)
    lens = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    starts = np.cumsum(lens) - lens
    return cat, starts, lens


def _b64s(arr: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> list[str]:
    item = arr.itemsize
    raw = np.ascontiguousarray(arr).tobytes()
    return [base64.b64encode(raw[s * item:(s + n) * item]).decode("ascii") for s, n in zip(starts.tolist(), lens.tolist())]


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


def ints_or_floats_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """:func:`ints_or_floats` of each array."""
    if not arrays or any(len(a) == 0 for a in arrays):
        return [ints_or_floats(a) for a in arrays]
    cat, starts, lens = _segments(arrays)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(cat) & (cat == np.round(cat)) & (np.abs(cat) < 2 ** 52)
    isint = np.minimum.reduceat(ok.view(np.int8), starts).astype(bool)
    iv = np.where(ok, cat, 0).astype(np.int64)
    d = np.diff(iv, prepend=iv[0])
    d[starts] = 0
    m = np.maximum.reduceat(np.abs(d), starts)
    out: list[dict[str, Any] | None] = [None] * len(arrays)
    for t, lo, hi, dt in (("d1", 0, 2 ** 7, "<i1"), ("d2", 2 ** 7, 2 ** 15, "<i2"), ("d4", 2 ** 15, 2 ** 31, "<i4")):
        sel = np.flatnonzero(isint & (m >= lo) & (m < hi))
        if sel.size:
            enc = _b64s(d.astype(dt), starts[sel], lens[sel])
            for i, b in zip(sel.tolist(), enc):
                out[i] = {"t": t, "b": b}
                first = int(iv[starts[i]])
                if first:
                    out[i]["o"] = first
    return [o if o is not None else ints_or_floats(arrays[i]) for i, o in enumerate(out)]


def half_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """:func:`half` of each array."""
    batch = _magnitudes(arrays)
    if batch is None:
        return [half(a) for a in arrays]
    cat, starts, lens, a = batch
    top = np.maximum.reduceat(a, starts)
    if not (top > 0).all():
        return [half(a) for a in arrays]
    k = np.floor(np.log2(32768.0 / top)).astype(np.int64)
    scaled = cat * np.repeat(np.exp2(k.astype(float)), lens)
    enc = _b64s(scaled.astype("<f2"), starts, lens)
    out = []
    for i, b in enumerate(enc):
        c: dict[str, Any] = {"t": "f2", "b": b}
        if k[i]:
            c["s"] = 2.0 ** -int(k[i])
        out.append(c)
    return out


def times_many(arrays: list[np.ndarray]) -> list[dict[str, Any]]:
    """:func:`times` of each array."""
    if not arrays or any(len(a) == 0 or not np.isfinite(a[0]) for a in arrays):
        return [times(a) for a in arrays]
    cat, starts, lens = _segments(arrays)
    base = np.floor(cat[starts])
    rel = cat - np.repeat(base, lens)
    a = np.abs(rel)
    a[~np.isfinite(rel)] = 0.0
    span = np.maximum.reduceat(a, starts)
    enc = _b64s(rel.astype("<f4"), starts, lens)
    out = []
    for i, b in enumerate(enc):
        if span[i] >= 2 ** 22:
            out.append(col("f8", arrays[i]))
            continue
        c: dict[str, Any] = {"t": "f4", "b": b}
        o = float(base[i])
        if o:
            c["o"] = int(o) if o.is_integer() else o
        out.append(c)
    return out
