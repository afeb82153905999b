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
