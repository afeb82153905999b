"""Buckets cut and coarsened without copies (issue 19, build CPU): a slice of a state shares its
arrays, coarsening it leaves the state it came from as it was, and the result is what a state fed
the same points at the coarser width holds (non-finite slots merged only when used)."""
import numpy as np
import pytest

from reportgen.site import encode
from reportgen.site.downsample import NAN, Buckets, kept_all, width


def _fed(y: np.ndarray, target: int, cuts: list[int]) -> Buckets:
    b = Buckets(len(y), target)
    at = 0
    for m in [*cuts, y.shape[1]]:
        m = min(m, y.shape[1]) - at
        if m > 0:
            b.prepare(m)
            b.feed(y[:, at:at + m], np.arange(at, at + m, dtype=np.int64) + 7)
            at += m
    return b


def _state(b: Buckets) -> tuple:
    return b.w, b.n, b.idx.copy(), b.row.copy(), b.val.copy(), b.extra.copy()


def _same(a: tuple, b: tuple) -> bool:
    return a[:2] == b[:2] and all(np.array_equal(x, y, equal_nan=True) for x, y in zip(a[2:], b[2:]))


@pytest.mark.parametrize("nonfinite", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_a_slice_coarsened_is_a_state_fed_at_that_width(seed, nonfinite):
    rng = np.random.default_rng(seed)
    k, n, target = int(rng.integers(1, 6)), int(rng.integers(300, 5000)), int(rng.integers(30, 300))
    y = np.round(rng.standard_normal((k, n)), 1)  # (ties: the first of equal minima and maxima)
    if nonfinite:
        m = rng.random((k, n))
        y[m < 0.01] = np.nan
        y[(m >= 0.01) & (m < 0.015)] = np.inf
        y[(m >= 0.015) & (m < 0.02)] = -np.inf
    b = _fed(y, target, sorted(rng.integers(1, n, 3).tolist()))
    before = _state(b)
    part = b.take(slice(None))
    assert np.shares_memory(part.val, b.val) and part.k == k
    coarse_target = max(10, target // int(2 ** rng.integers(1, 4)))
    w = width(n, coarse_target)
    assert w >= b.w
    part.coarsen(w)
    assert _same(_state(b), before)  # the state the slice came from is untouched
    direct = _fed(y, coarse_target, [n])
    assert direct.w == w
    assert _same(_state(part)[:5], _state(direct)[:5])
    assert (part.idx[:, NAN:] >= 0).any() == bool(nonfinite and (~np.isfinite(y)).any())
    got = kept_all(part, n + 6, y[:, -1])
    want = kept_all(direct, n + 6, y[:, -1])
    for g, e in zip(got, want):
        for a, c in zip(g, e):
            assert np.array_equal(a, c, equal_nan=True)


def test_a_slice_of_series_is_theirs_alone():
    rng = np.random.default_rng(3)
    y = rng.standard_normal((6, 4000))
    b = _fed(y, 200, [1000])
    part = b.take(slice(2, 5))
    assert part.k == 3 and np.shares_memory(part.idx, b.idx)
    alone = _fed(y[2:5], 200, [1000])
    assert _same(_state(part), _state(alone))
    # a slice fed on changes its own series' last bucket in place, never the others'
    others = _state(b.take([0, 1, 5]))
    more = rng.standard_normal((3, 3))
    part.prepare(3)
    part.feed(more, np.arange(4000, 4003) + 7)
    alone.prepare(3)
    alone.feed(more, np.arange(4000, 4003) + 7)
    assert _same(_state(part), _state(alone))
    assert _same(_state(b.take([0, 1, 5])), others)


def test_counts_many_is_counts_of_each():
    rng = np.random.default_rng(0)
    arrays = [rng.integers(1, 5, int(n)) for n in rng.integers(1, 400, 30)]
    arrays[3] = np.array([1, 300, 2])  # past uint8: int32 differences
    arrays[7] = np.array([255, 0, 4])
    got = encode.counts_many(arrays)
    assert got == [encode.counts(a) for a in arrays]
    assert got[3]["t"] == "d4" and got[7]["t"] == "u1"


@pytest.mark.parametrize("f8", [False, True])
def test_first_buckets_taken_as_made_pickle_as_concatenated(f8):
    """A state's first buckets are kept as made (not concatenated to none): the cache's bytes are
    those of a state fed in several chunks, float32 or float64 smoothing alike."""
    import pickle

    rng = np.random.default_rng(11)
    y = rng.standard_normal((3, 3000)) * (1e300 if f8 else 1.0)
    states = []
    for cuts in ([3000], [1000, 2000], [1, 1500]):
        b = Buckets(3, 300, extra=2)
        at = 0
        for end in cuts + [3000]:
            m = end - at
            if m <= 0:
                continue
            b.prepare(m)
            starts = b.starts(m)
            b.feed(y[:, at:end], np.arange(at, end, dtype=np.int64), np.repeat(y[:, None, at + starts], 2, axis=1))
            at = end
        assert b.extra.dtype == (np.float64 if f8 else np.float32) and b.idx.flags.c_contiguous
        states.append(pickle.dumps(b, protocol=pickle.HIGHEST_PROTOCOL))
    assert states[0] == states[1] == states[2]
