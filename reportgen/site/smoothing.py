"""Debiased exponential moving average (TensorBoard's smoothing), over the RAW series.

TensorBoard (``vz_line_chart2``): for each finite value ``y``,
``last = last * w + (1 - w) * y``, ``n += 1``, ``smoothed = last / (1 - w ** n)``;
non-finite values are skipped (they do not move the average). A constant series
stays flat thanks to the debiasing.

The site ships smoothed values only for the points kept by downsampling, but they
are computed over every raw point, for a fixed set of slider weights
(:data:`WEIGHTS`), so the smoothed curve does not depend on ``--samples``
(TensorBoard issue #1518). :func:`ema_chunk` is vectorised over series and weights and
carries its state from one chunk of a history to the next, so a long history is smoothed as
it streams by.

Values near the largest double (``1.7e308``) are smoothed too: the average of such values is a
number, but the weighted sums on the way to it are up to ``1 / (1 - w)`` times larger (and the
block sums ``0.3 ** -255`` times), which overflowed (a raw ``RuntimeWarning`` on the terminal and
no smoothed curve). A series whose magnitudes in a chunk pass :data:`SAFE_MAX` is smoothed scaled
down by a power of two and scaled back, which changes no digit (a value below ~1e-150 in such a
series becomes 0, as it is beside the others anyway).
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


BLOCK = 256  # at most, points per block: w ** -(BLOCK - 1) stays far from float64's range for w >= SCALABLE
SCALABLE = 0.3


def _carry(E: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``C[:, b] = sum_{l < b} a ** (b - 1 - l) * E[:, l]`` (the weighted sum of every block before
    block ``b``), as a log-step scan (Hillis-Steele) instead of a loop over blocks."""
    S = E
    p = a.copy()
    s = 1
    nb = E.shape[1]
    while s < nb:
        T = S.copy()
        T[:, s:] += p * S[:, :-s]
        S, p, s = T, p * p, s * 2
    C = np.zeros_like(E)
    C[:, 1:] = S[:, :-1]
    return C


def _ema_finite(z: np.ndarray, W: np.ndarray, q: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``(1 - w) * (w ** (q + 1) * u + sum_{i <= q} w ** (q - i) * z[:, i])`` for series ``z``
    ``(K, m)`` of finite values, positions ``q`` and carried-in sums ``u`` ``(K, nw)``: ``(K, len(q), nw)``.

    Block-wise: one matrix product gives every block's weighted sum for all weights, a scan
    chains them (vectorised over series, blocks and weights), and the partial block ending at
    each position is one more product."""
    k, m = z.shape
    # Block size: partial blocks cost len(q) * B, the scan over blocks m / B * log(m / B) (measured best)
    B = int(min(BLOCK, max(32, 2 ** int(math.log2(max(1.0, m / max(1, len(q)) / 2))))))
    nb = -(-m // B)
    Z = np.zeros((k, nb * B))
    Z[:, :m] = z
    Z = Z.reshape(k, nb, B)
    j = np.arange(B, dtype=float)
    E = Z @ (W[None, :] ** (B - 1 - j)[:, None])  # (K, nb, nw): sum_i w ** (B-1-i) * z[b*B + i]
    C = _carry(E, W ** B)
    b, r = q // B, q % B
    M = Z[:, b, :] * (j[None, :] <= r[:, None])  # each position's block, zeroed after it: (K, Q, B)
    partial = np.zeros((k, len(q), len(W)))
    scal = W >= SCALABLE
    wr = W[None, :] ** r[:, None].astype(float)  # (Q, nw)
    if scal.any():
        partial[:, :, scal] = (M @ (W[None, scal] ** -j[:, None])) * wr[:, scal]
    for kk in np.flatnonzero(~scal):
        expo = np.maximum(r[:, None] - j[None, :], 0)
        partial[:, :, kk] = (M * (W[kk] ** expo)[None]).sum(axis=2)
    s = partial + (wr * W[None, :])[None] * C[:, b, :]
    return (1.0 - W) * (s + W[None, None, :] ** (q[:, None] + 1.0) * u[:, None, :])


TINY = 1e-300  # decay factors below this are 0 (their products would be slow subnormals)


def _powers(W: np.ndarray, n: int) -> np.ndarray:
    """``W ** (n - 1 - i)`` for ``i < n``: ``(n, nw)`` (the weight of each point of a segment of ``n``
    points at the segment's last point)."""
    return W[None, :] ** np.arange(n - 1, -1, -1, dtype=float)[:, None]


def _ema_segments(z: np.ndarray, W: np.ndarray, q: np.ndarray, u: np.ndarray) -> np.ndarray | None:
    """:func:`_ema_finite` when the positions ``q`` are evenly spaced (bucket starts) but for a few
    at the end (the chunk's last point), else None. The series is cut into segments that end at the
    positions: one matrix product gives every segment's weighted sum for all weights, a scan chains
    them. Only powers ``w ** k`` with ``k >= 0`` are used, whatever the spacing."""
    k, m = z.shape
    nq = len(q)
    if nq < 3 or q[0] < 0 or q[-1] >= m:
        return None
    step = int(q[1] - q[0])
    if step < 1:
        return None
    d = np.diff(q)
    irregular = np.flatnonzero(d != step)
    J = int(irregular[0]) + 1 if irregular.size else nq  # q[:J] are evenly spaced
    if J < 2 or nq - J > 4 or (d[J - 1:] < 0).any():
        return None
    q0 = int(q[0])
    nw = len(W)
    out = np.empty((nq, k, nw))  # positions first: the scan runs over rows of k * nw contiguous sums
    out[0] = z[:, :q0 + 1] @ _powers(W, q0 + 1)
    out[1:J] = (z[:, q0 + 1:q0 + 1 + (J - 1) * step].reshape(k, J - 1, step) @ _powers(W, step)).transpose(1, 0, 2)
    E = out[:J].reshape(J, k * nw)
    p = np.tile(W ** step, k)  # the weight of each column of E
    s = 1
    while s < J:  # inclusive scan of S_j = W ** step * S_(j-1) + E_j (Hillis-Steele)
        E[s:] += p * E[:-s]
        p = p * p
        p[p < TINY] = 0.0
        s *= 2
    prev, last = int(q[J - 1]), out[J - 1]
    for j in range(J, nq):  # the few positions after the evenly spaced ones
        g = int(q[j]) - prev
        last = last * W ** g + (z[:, prev + 1:prev + 1 + g] @ _powers(W, g) if g else 0.0)
        out[j] = last
        prev = int(q[j])
    with np.errstate(divide="ignore"):
        decay = np.exp(np.log(W)[None, :] * (q[:, None] + 1.0))  # W ** (q + 1), (nq, nw)
    out += decay[:, None, :] * u[None, :, :]
    out *= 1.0 - W
    return out.transpose(1, 0, 2)


def ema_chunk(y: np.ndarray, weights, pos: np.ndarray, num0: np.ndarray | None = None,
              cnt0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The debiased EMA of ``K`` series ``y`` ``(K, m)`` for each weight at positions ``pos``,
    continuing from a carried state: ``num0`` ``(K, nw)`` (the running average before debiasing)
    and ``cnt0`` ``(K,)`` (finite values seen). Returns ``(smoothed (K, nw, len(pos)), num, cnt)``,
    the last two being the state after the chunk; NaN where ``y`` is not finite. A series is
    cut into chunks anywhere and gives the same values (the build streams long histories)."""
    y = np.asarray(y, dtype=float)
    num0 = None if num0 is None else np.asarray(num0, dtype=float)
    if not y.size:
        return _ema_chunk(y, weights, pos, num0, cnt0)
    a = np.abs(y)
    if a.max() <= SAFE_MAX and (num0 is None or not (np.abs(num0) > SAFE_MAX).any()):
        return _ema_chunk(y, weights, pos, num0, cnt0)  # (every value finite and below: the common case)
    top = np.max(a, axis=1, where=np.isfinite(y), initial=0.0)
    if num0 is not None:
        top = np.maximum(top, np.max(np.abs(num0), axis=1, initial=0.0))
    if not (top > SAFE_MAX).any():
        return _ema_chunk(y, weights, pos, num0, cnt0)
    # each such series scaled by 2 ** -e below 1 (exactly: a power of two), the others as they are
    e = np.where(top > SAFE_MAX, np.frexp(top)[1], 0)
    out, num, cnt = _ema_chunk(np.ldexp(y, -e[:, None]), weights, pos,
                               None if num0 is None else np.ldexp(num0, -e[:, None]), cnt0)
    with np.errstate(over="ignore"):  # an average is within the values: only rounding passes the top
        out = np.clip(np.ldexp(out, e[:, None, None]), -F8_MAX, F8_MAX)
        num = np.clip(np.ldexp(num, e[:, None]), -F8_MAX, F8_MAX)
    return out, num, cnt


#: magnitudes smoothed as they are; above, scaled first (the block sums reach 0.3 ** -255 ~ 1e133
#: times a value, the scan 1 / (1 - 0.999) times)
SAFE_MAX = 2.0 ** 500
F8_MAX = float(np.finfo(np.float64).max)


def _ema_chunk(y: np.ndarray, weights, pos: np.ndarray, num0: np.ndarray | None = None,
               cnt0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`ema_chunk` of values below :data:`SAFE_MAX`."""
    y = np.asarray(y, dtype=float)
    k, m = y.shape
    W = np.asarray([float(w) for w in weights])
    pos = np.asarray(pos, dtype=np.int64)
    num0 = np.zeros((k, len(W))) if num0 is None else np.asarray(num0, dtype=float)
    cnt0 = np.zeros(k, dtype=np.int64) if cnt0 is None else np.asarray(cnt0, dtype=np.int64)
    out = np.full((k, len(W), len(pos)), np.nan)
    num, cnt = num0.copy(), cnt0.copy()
    if m == 0:
        return out, num, cnt
    u = num0 / (1.0 - W)
    finite = np.isfinite(y)
    dense = finite.all(axis=1)
    if dense.any():
        rows = np.flatnonzero(dense)
        q = np.append(pos, m - 1)
        z = y if len(rows) == k else y[rows]
        v = _ema_segments(z, W, q, u[rows])
        if v is None:
            v = _ema_finite(z, W, q, u[rows])  # (K', Q, nw)
        if not cnt0[rows].any():  # (no value before this chunk: W ** 0 is 1, the same divisor for every series)
            den = 1.0 - (W[None, :] ** (q[:, None] + 1.0))[None]
        else:
            den = 1.0 - (W[None, :] ** cnt0[rows, None].astype(float))[:, None, :] * (W[None, :] ** (q[:, None] + 1.0))[None]
        out[rows if len(rows) < k else slice(None)] = (v[:, :-1] / den[:, :-1]).transpose(0, 2, 1)
        num[rows] = v[:, -1]
        cnt[rows] += m
    for row in np.flatnonzero(~dense):
        fin = finite[row]
        z = y[row, fin]
        if not z.size:
            continue
        fpos = np.cumsum(fin) - 1
        sel = fin[pos]
        q = np.append(fpos[pos[sel]], len(z) - 1)
        v = _ema_segments(z[None, :], W, q, u[row:row + 1])
        v = (v if v is not None else _ema_finite(z[None, :], W, q, u[row:row + 1]))[0]  # (Q, nw)
        den = 1.0 - W[None, :] ** (cnt0[row] + q[:, None] + 1.0)
        out[row][:, sel] = (v[:-1] / den[:-1]).T
        num[row] = v[-1]
        cnt[row] += len(z)
    return out, num, cnt


def ema_many(y: np.ndarray, weights, idx: np.ndarray) -> np.ndarray:
    """Debiased EMA of the raw series ``y`` for each weight, evaluated at indices ``idx``:
    an array ``(len(weights), len(idx))``, NaN where ``y[idx]`` is not finite."""
    return ema_chunk(np.asarray(y, dtype=float)[None, :], weights, idx)[0][0]


def ema_at(y: np.ndarray, w: float, idx: np.ndarray) -> np.ndarray:
    """:func:`ema_many` for one weight."""
    return ema_many(y, [w], idx)[0]
