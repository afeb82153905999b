"""Deterministic min/max downsampling that never hides a spike.

The series is cut into equal-width buckets of consecutive points; each bucket
keeps its first point, its minimum and its maximum (in their original order),
and the last point of the series is always kept. Non-finite values (NaN,
±Infinity) are always kept, so the site can mark them as gaps.
"""
from __future__ import annotations

import numpy as np


def downsample_indices(y: np.ndarray, target: int) -> np.ndarray:
    """Indices of the points to keep, sorted, at most about ``target`` long."""
    n = len(y)
    if n <= target:
        return np.arange(n)
    y = np.asarray(y, dtype=float)
    buckets = max(1, target // 3)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep = [np.array([0, n - 1])]
    finite = np.isfinite(y)
    yf = np.where(finite, y, np.nan)
    starts = edges[:-1]
    keep.append(starts)
    # argmin/argmax per bucket via reduceat on an index trick
    for lo, hi in zip(edges[:-1], edges[1:]):
        seg = yf[lo:hi]
        if seg.size == 0 or np.all(np.isnan(seg)):
            continue
        keep.append(np.array([lo + np.nanargmin(seg), lo + np.nanargmax(seg)]))
    if not finite.all():
        keep.append(np.flatnonzero(~finite))
    return np.unique(np.concatenate(keep))


def downsample(x: np.ndarray, y: np.ndarray, target: int) -> tuple[np.ndarray, np.ndarray]:
    idx = downsample_indices(y, target)
    return np.asarray(x)[idx], np.asarray(y)[idx]
