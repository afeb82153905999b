import numpy as np
import pytest

from reportgen.site.downsample import downsample


def test_short_series_kept_whole():
    d = downsample(np.arange(10.0), 1000)
    assert d.idx.tolist() == list(range(10)) and d.lo is None and d.hi is None


def test_one_step_spike_in_a_million_survives():
    y = np.random.default_rng(0).normal(0, 1, 1_000_000)
    y[654_321] = 1e6
    y[123_457] = -1e6
    d = downsample(y, 1000)
    assert len(d.idx) <= 1000 + 2
    assert 654_321 in d.idx and 123_457 in d.idx
    assert d.idx[0] == 0 and d.idx[-1] == len(y) - 1
    # the band of every kept point covers its value and the spike's bucket shows the spike
    k = int(np.flatnonzero(d.idx == 654_321)[0])
    assert d.hi[k] == 1e6
    ok = np.isfinite(y[d.idx])
    assert np.all(d.lo[ok] <= y[d.idx][ok]) and np.all(y[d.idx][ok] <= d.hi[ok])


def test_deterministic():
    y = np.random.default_rng(1).normal(size=200_000)
    a, b = downsample(y, 500), downsample(y.copy(), 500)
    assert np.array_equal(a.idx, b.idx) and np.array_equal(a.lo, b.lo) and np.array_equal(a.hi, b.hi)


def test_non_finite_values_are_kept_as_marks():
    y = np.linspace(0, 1, 100_000)
    y[500] = np.nan
    y[50_000] = np.inf
    y[90_000] = -np.inf
    d = downsample(y, 300)
    kept = y[d.idx]
    assert np.isnan(kept).sum() == 1 and (kept == np.inf).sum() == 1 and (kept == -np.inf).sum() == 1
    assert np.isfinite(d.lo).all()  # bands come from the finite values of the bucket


def test_all_nan_bucket_has_no_band_and_bounded_size():
    y = np.full(100_000, np.nan)
    d = downsample(y, 300)
    assert len(d.idx) <= 300 + 2
    assert np.isnan(d.lo).all() and np.isnan(d.hi).all()


@pytest.mark.parametrize("target", [10, 99, 1000])
def test_size_bound(target):
    d = downsample(np.random.default_rng(2).normal(size=50_000), target)
    assert len(d.idx) <= target + 2


@pytest.mark.parametrize("nonfinite", [False, True])
def test_kept_points_match_a_plain_loop(nonfinite):
    """Each bucket keeps its first point, its first minimum and first maximum (and its first NaN/±Inf),
    and the series' last point; fed in uneven chunks and coarsened several levels at once."""
    from reportgen.site.downsample import Buckets, kept_all

    rng = np.random.default_rng(7 + nonfinite)
    k, n, target = 3, 7_001, 300
    y = np.round(rng.normal(size=(k, n)) * 3)  # ties: the first of equals is kept
    if nonfinite:
        y[rng.random((k, n)) < 0.002] = np.nan
        y[0, 17] = np.inf
    b = Buckets(k, target)
    a = 0
    for cut in (5, 6, 700, 2_500, n):
        b.prepare(cut - a)
        b.feed(y[:, a:cut], np.arange(a, cut) * 2)
        a = cut
    b.coarsen(b.w * 8)
    got = kept_all(b, 2 * (n - 1), y[:, -1])
    for j in range(k):
        want = {n - 1}
        for s in range(0, n, b.w):
            seg = y[j, s:s + b.w]
            fin = np.isfinite(seg)
            want.add(s)
            if fin.any():
                want.add(s + int(np.flatnonzero(seg == seg[fin].min())[0]))
                want.add(s + int(np.flatnonzero(seg == seg[fin].max())[0]))
            for bad in (np.isnan(seg), seg == np.inf, seg == -np.inf):
                if bad.any():
                    want.add(s + int(np.flatnonzero(bad)[0]))
        idx, rows, vals, counts = got[j]
        assert idx.tolist() == sorted(want)
        assert np.array_equal(rows, idx * 2) and np.array_equal(vals, y[j, idx], equal_nan=True)
        assert counts.sum() == len(idx)
