"""Debiased exponential moving average (TensorBoard's smoothing), over the RAW series.

TensorBoard (``vz_line_chart2``): for each finite value ``y``,
``last = last * w + (1 - w) * y``, ``n += 1``, ``smoothed = last / (1 - w ** n)``;
non-finite values are skipped (they do not move the average). A constant series
stays flat thanks to the debiasing.

The site ships smoothed values only for the points kept by downsampling, but they
are computed over every raw point, for a fixed set of slider weights
(:data:`WEIGHTS`), so the smoothed curve does not depend on ``--samples``
(TensorBoard issue #1518). :func:`ema_at` is vectorized: block-wise cumulative
products, a short carry loop over blocks (see :func:`ema_many`).
"""
from __future__ import annotations

import math

import numpy as np

# Slider positions besides 0 (no smoothing).
WEIGHTS: tuple[float, ...] = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


def ema_reference(y, w: float) -> list[float]:
    """The plain loop, for tests: smoothed value at every index (NaN where y is non-finite)."""
    out: list[float] = []
    last = 0.0
    k = 0
    for v in y:
        v = float(v)
        if not math.isfinite(v):
            out.append(math.nan)
            continue
        last = last * w + (1 - w) * v
        k += 1
        out.append(last / (1 - w ** k) if w > 0 else v)
    return out


BLOCK = 512


def ema_many(y: np.ndarray, weights, idx: np.ndarray) -> np.ndarray:
    """Debiased EMA of the raw series ``y`` for each weight, evaluated at indices ``idx``.

    Returns an array (len(weights), len(idx)); NaN where ``y[idx]`` is not finite.
    Cost: one matrix product over the blocks of ``y`` for all weights, a carry
    recursion over ``len(y) / BLOCK`` blocks, and ``len(idx) * BLOCK`` work for
    the partial blocks ending at the requested points.
    """
    y = np.asarray(y, dtype=float)
    idx = np.asarray(idx, dtype=np.int64)
    weights = [float(w) for w in weights]
    out = np.full((len(weights), len(idx)), np.nan)
    finite = np.isfinite(y)
    all_finite = bool(finite.all())
    z = y if all_finite else y[finite]
    m = len(z)
    if m == 0 or len(idx) == 0:
        return out
    if all_finite:
        sel = np.ones(len(idx), dtype=bool)
        fi = idx
    else:
        pos = np.cumsum(finite) - 1  # position of each raw index among the finite values
        sel = finite[idx]
        fi = pos[idx[sel]]
    # Block size balances the Python carry loop (m / B steps) against the vector work (len(idx) * B).
    B = int(min(BLOCK, max(16, 2 ** round(math.log2(math.sqrt(100.0 * m / max(1, len(idx))))))))
    nb = -(-m // B)
    Z = np.zeros(nb * B)
    Z[:m] = z
    Z = Z.reshape(nb, B)
    j = np.arange(B, dtype=float)
    W = np.asarray(weights)
    # Block sums for every weight: E[b, k] = sum_i w_k ** (B-1-i) * z[b*B + i]
    P = W[None, :] ** (B - 1 - j)[:, None]  # (B, K)
    E = (Z @ P).T.tolist()  # K lists of nb floats
    b = fi // B
    r = fi % B
    # Each requested point's block, zeroed after the point: partial sums are then one product.
    M = Z[b] * (j[None, :] <= r[:, None])
    scalable = W >= 0.3  # w ** -(B-1) stays finite
    partial = np.zeros((len(fi), len(weights)))
    if scalable.any():
        Ws = W[scalable]
        partial[:, scalable] = (M @ (Ws[None, :] ** -j[:, None])) * Ws[None, :] ** r[:, None].astype(float)
    for k in np.flatnonzero(~scalable):
        w = W[k]
        expo = np.maximum(r[:, None] - j[None, :], 0)
        partial[:, k] = (M * (w ** expo)).sum(axis=1)
    for k, w in enumerate(weights):
        if w <= 0:
            out[k, sel] = z[fi]
            continue
        a = w ** B
        carry = [0.0] * nb  # numerator (without the 1-w factor) at the start of block b
        c = 0.0
        ends = E[k]
        for bb in range(1, nb):
            c = a * c + ends[bb - 1]
            carry[bb] = c
        num = (1.0 - w) * (partial[:, k] + w ** (r + 1.0) * np.asarray(carry)[b])
        out[k, sel] = num / (1.0 - w ** (fi + 1.0))
    return out


def ema_at(y: np.ndarray, w: float, idx: np.ndarray) -> np.ndarray:
    """:func:`ema_many` for one weight."""
    return ema_many(y, [w], idx)[0]
