"""Deterministic min/max downsampling that never hides a spike.

The series is cut into ``target // 3`` buckets of consecutive points (equal
counts, not equal steps). Each bucket keeps its first point, its minimum and
its maximum; the series' last point is always kept; each bucket also keeps its
first NaN, first +Infinity and first -Infinity so the site can mark the gap.
For every kept point the min and max of its bucket are returned too: the page
draws them as the min-max band (what downsampling folded away).
Pure numpy, no randomness: the same input gives the same output.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Downsampled:
    idx: np.ndarray  # kept indices into the input, ascending
    lo: np.ndarray | None  # bucket minimum per kept point (NaN: bucket had no finite value); None if nothing folded
    hi: np.ndarray | None


def _first_per_bucket(cand: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """Of the candidate indices (ascending), the first one in each bucket."""
    if cand.size == 0:
        return cand
    b = bucket[cand]  # ascending, since the candidates are
    first = np.empty(len(b), dtype=bool)
    first[0] = True
    np.not_equal(b[1:], b[:-1], out=first[1:])
    return cand[first]


def downsample(y: np.ndarray, target: int) -> Downsampled:
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n <= target:
        return Downsampled(np.arange(n), None, None)
    nb = max(1, target // 3)
    bucket = (np.arange(n, dtype=np.int64) * nb) // n
    starts = np.searchsorted(bucket, np.arange(nb))
    finite = np.isfinite(y)
    ymin = np.where(finite, y, np.inf)
    ymax = np.where(finite, y, -np.inf)
    bmin = np.minimum.reduceat(ymin, starts)
    bmax = np.maximum.reduceat(ymax, starts)
    keep = [starts, np.array([n - 1])]
    keep.append(_first_per_bucket(np.flatnonzero(finite & (ymin == bmin[bucket])), bucket))
    keep.append(_first_per_bucket(np.flatnonzero(finite & (ymax == bmax[bucket])), bucket))
    if not finite.all():
        keep.append(_first_per_bucket(np.flatnonzero(np.isnan(y)), bucket))
        keep.append(_first_per_bucket(np.flatnonzero(y == np.inf), bucket))
        keep.append(_first_per_bucket(np.flatnonzero(y == -np.inf), bucket))
    idx = np.concatenate(keep)
    idx.sort()
    idx = idx[np.concatenate(([True], idx[1:] != idx[:-1]))]
    empty = ~np.isfinite(bmin)  # buckets without any finite value
    lo = np.where(empty, np.nan, bmin)[bucket[idx]]
    hi = np.where(empty, np.nan, bmax)[bucket[idx]]
    return Downsampled(idx, lo, hi)
