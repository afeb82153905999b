"""Histogram: binned at log time; only edges and counts are stored."""
from __future__ import annotations

import math

from typing import Any, Sequence

import numpy as np

from ..storage import kinds
from .base import Media, MediaContext, to_numpy

MAX_BINS = 512
DEFAULT_BINS = 64


class Histogram(Media):
    TYPE = kinds.HISTOGRAM

    MAX_LENGTH = MAX_BINS

    def __init__(self, sequence: Sequence[float] | np.ndarray | None = None,
                 np_histogram: tuple[Sequence[float], Sequence[float]] | None = None,
                 num_bins: int = DEFAULT_BINS):
        if not isinstance(num_bins, (int, np.integer)) or isinstance(num_bins, bool) or num_bins < 1:
            raise ValueError(f"num_bins: expected a positive integer, got {num_bins!r}")
        if num_bins > MAX_BINS:
            raise ValueError(f"num_bins: at most {MAX_BINS} bins are supported, got {num_bins}")
        if np_histogram is not None:
            if sequence is not None:
                raise ValueError("pass either a sequence or np_histogram=(counts, edges), not both")
            try:
                counts, edges = np_histogram
            except (TypeError, ValueError):
                raise ValueError("np_histogram: expected a (counts, bin_edges) pair as returned by np.histogram") from None
            try:
                counts = np.asarray(_plain(counts), dtype=float)
                edges = np.asarray(_plain(edges), dtype=float)
            except (TypeError, ValueError):
                raise TypeError("np_histogram: counts and bin edges must be numbers") from None
            if counts.ndim != 1 or edges.ndim != 1 or len(edges) != len(counts) + 1:
                raise ValueError(
                    f"np_histogram: expected len(bin_edges) == len(counts) + 1, got {len(edges)} edges and {len(counts)} counts")
            if not (np.all(np.isfinite(counts)) and np.all(np.isfinite(edges))):
                raise ValueError("np_histogram: counts and bin edges must be finite")
            if np.any(np.diff(edges) < 0):
                raise ValueError("np_histogram: bin edges must be increasing")
            if len(counts) > MAX_BINS:
                raise ValueError(f"np_histogram: at most {MAX_BINS} bins are supported, got {len(counts)}")
        else:
            if sequence is None:
                raise ValueError("Histogram needs a sequence of numbers or np_histogram=(counts, edges)")
            arr = to_numpy(sequence)
            try:
                values = np.asarray(sequence if arr is None else arr, dtype=float).ravel()
            except (TypeError, ValueError):
                raise TypeError(f"sequence: expected numbers, got {type(sequence).__name__}") from None
            finite = values[np.isfinite(values)]
            if finite.size == 0:
                counts, edges = np.zeros(int(num_bins)), np.linspace(0.0, 1.0, int(num_bins) + 1)
            elif math.isfinite(float(finite.max()) - float(finite.min())):
                counts, edges = np.histogram(finite, bins=int(num_bins))
            else:  # the range passes the largest double (values near ±1.7e308): numpy's own edges
                # overflowed ("Too many bins for data range"); spaced here without subtracting the ends
                lo, hi = float(finite.min()), float(finite.max())
                t = np.linspace(0.0, 1.0, int(num_bins) + 1)
                edges = lo * (1.0 - t) + hi * t
                edges[0], edges[-1] = lo, hi
                counts, _ = np.histogram(finite, bins=edges)
        # counts as given: whole numbers as ints, weighted/density histograms keep their floats
        self.counts = [int(c) if float(c).is_integer() else float(c) for c in counts]
        self.bins = [int(e) if isinstance(e, (int, np.integer)) and not isinstance(e, bool) else float(e)
                     for e in (_plain(edges) if np_histogram is not None else edges)]

    @property
    def histogram(self) -> list[float]:
        """The count in each bin (``wandb.Histogram.histogram``)."""
        return self.counts

    @histogram.setter
    def histogram(self, value: Sequence[float]) -> None:
        self.counts = list(value)

    def to_record(self, ctx: MediaContext | None = None) -> dict[str, Any]:
        return {"_type": self.TYPE, "bins": self.bins, "values": self.counts}


def _plain(values):
    """A tensor or array-like as a numpy array / list, so torch.histc results are accepted too."""
    arr = to_numpy(values)
    return arr if arr is not None else values
