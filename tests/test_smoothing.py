import numpy as np
import pytest

from reportgen.site.downsample import downsample
from reportgen.site.smoothing import WEIGHTS, ema_at, ema_chunk, ema_many, ema_reference


@pytest.mark.parametrize("w", [0.0, 0.1, 0.5, 0.9, 0.99, 0.999])
def test_matches_tensorboard_loop(w):
    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=30_000)) + rng.normal(size=30_000) * 3
    y[[5, 777, 20_000]] = [np.nan, np.inf, -np.inf]
    idx = np.unique(np.r_[0, 5, 6, 776, 777, 778, rng.integers(0, len(y), 300), len(y) - 1])
    ref = np.array(ema_reference(y, w))[idx]
    got = ema_at(y, w, idx)
    assert np.array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    assert np.allclose(got[ok], ref[ok], rtol=1e-9, atol=1e-9)


def test_constant_series_stays_flat():
    y = np.full(100_000, 3.25)
    out = ema_many(y, WEIGHTS, np.arange(0, 100_000, 997))
    assert np.allclose(out, 3.25, rtol=0, atol=1e-12)


def test_smoothing_does_not_depend_on_downsampling_level():
    """TensorBoard #1518: the smoothed value at a point is the same whatever --samples is."""
    rng = np.random.default_rng(3)
    y = np.sin(np.arange(1_000_000) / 20_000) + rng.normal(0, 0.5, 1_000_000)
    coarse, fine = downsample(y, 60), downsample(y, 3000)
    common = np.intersect1d(coarse.idx, fine.idx)
    assert len(common) >= 10
    for w in (0.9, 0.999):
        a = ema_at(y, w, coarse.idx)[np.isin(coarse.idx, common)]
        b = ema_at(y, w, fine.idx)[np.isin(fine.idx, common)]
        assert np.allclose(a, b, rtol=1e-12, atol=1e-12)
        ref = np.array(ema_reference(y, w))[common]
        assert np.allclose(a, ref, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("w", [0.0, 0.1, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("first,spacing", [(0, 1), (0, 8), (5, 64), (63, 64), (300, 4096)])
def test_evenly_spaced_positions_match_the_loop(w, first, spacing):
    """Bucket starts (evenly spaced, then the last point) take the segment scan; it agrees with the
    loop, also continued from a carried state (a history read in two chunks)."""
    from reportgen.site.smoothing import ema_chunk

    rng = np.random.default_rng(first + spacing)
    y = np.cumsum(rng.normal(size=20_000)) + 100
    ref = np.array(ema_reference(y, w))
    cut = 7_777
    out = []
    num, cnt = None, None
    for a, b in ((0, cut), (cut, len(y))):
        pos = np.arange(first, b - a, spacing)
        pos = np.append(pos, b - a - 1)
        sm, num, cnt = ema_chunk(y[None, a:b], [w], pos, num, cnt)
        out.append((pos + a, sm[0, 0]))
    idx = np.concatenate([p for p, _ in out])
    got = np.concatenate([v for _, v in out])
    assert np.allclose(got, ref[idx], rtol=1e-10, atol=1e-10)


def test_the_pages_smoothing_cases_are_the_reference_loops_outputs():
    """tests/js/smooth_cases.json (what tests/js/smooth.test.js checks assets/smooth.js against)
    holds ema_reference's outputs: the page's EMA is checked against the build's own loop."""
    import json
    import math
    from pathlib import Path

    cases = json.loads((Path(__file__).parent / "js" / "smooth_cases.json").read_text())["cases"]
    assert {c["name"] for c in cases} >= {"gaps", "starts with gaps", "constant stays flat", "noisy with gaps"}
    for c in cases:
        y = [float(v) for v in c["y"]]
        ref = ema_reference(y, c["w"])
        assert [None if math.isnan(v) else v for v in ref] == c["want"], (c["name"], c["w"])


@pytest.mark.parametrize("spacing", [1, 8, None])  # None: irregular positions (the block-wise path)
def test_values_near_the_largest_double_are_smoothed_without_overflow(spacing):
    """Series near ±1.8e308 (and, in the same batch, near 1e-305): the weighted sums on the way to
    the average overflowed ("RuntimeWarning: overflow encountered in matmul" on the build's
    terminal) and the smoothing was Infinity or NaN. Each such series is smoothed scaled by a power
    of two: the loop's values, no warning, the others in the batch untouched; across chunks too."""
    import warnings

    from reportgen.site.smoothing import ema_chunk

    big = float(np.finfo(float).max)
    n = 3000
    i = np.arange(n, dtype=float)
    ys = np.stack([np.where(i % 2, big, -big), big - (n - i) * 1e304, 1e-308 * i, np.sin(i / 50),
                   np.array([1e-300, big, -big, 0.5, np.nan])[i.astype(int) % 5]])
    rng = np.random.default_rng(1)
    cut = 1234
    for w in (0.5, 0.999):
        got, num, cnt = [], None, None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for a, b in ((0, cut), (cut, n)):
                if spacing:
                    pos = np.append(np.arange(0, b - a, spacing), b - a - 1)
                else:
                    pos = np.unique(np.r_[0, rng.integers(0, b - a, 200), b - a - 1])
                sm, num, cnt = ema_chunk(ys[:, a:b], [w], pos, num, cnt)
                got.append((pos + a, sm[:, 0]))
        idx = np.concatenate([p for p, _ in got])
        out = np.concatenate([v for _, v in got], axis=1)
        for row, y in zip(out, ys):
            ref = np.array(ema_reference(y, w))[idx]
            assert np.array_equal(np.isnan(row), np.isnan(ref))
            ok = ~np.isnan(ref)
            assert np.isfinite(row[ok]).all()
            scale = np.abs(y[np.isfinite(y)]).max()  # (1e-300 beside 1.8e308 is 0 in either)
            assert np.allclose(row[ok], ref[ok], rtol=1e-9, atol=1e-15 * scale)


@pytest.mark.parametrize("seed", range(4))
def test_series_of_a_batch_chunked_match_the_loop_fresh_or_carried(seed):
    """ema_chunk over a batch of series (a build's track), cut into chunks: series that start fresh
    (one divisor for all) and series with values before the chunk, finite or not, small or near
    the largest double, each give the reference loop's values at the positions asked."""
    rng = np.random.default_rng(seed)
    k, n = 6, 1500
    y = rng.standard_normal((k, n)) * np.array([1.0, 1e-300, 1e300, 1.0, 5.0, 1e-5])[:, None]
    y[3, rng.random(n) < 0.05] = np.nan
    y[4, :400] = np.nan  # nothing before the second chunk: that series starts fresh there
    cuts = [0, 300, 301, 1100, n]
    num = cnt = None
    got = [[] for _ in range(k)]
    for a, b in zip(cuts[:-1], cuts[1:]):
        pos = np.arange(0, b - a, 7)
        sm, num, cnt = ema_chunk(y[:, a:b], WEIGHTS, pos, num, cnt)
        for j in range(k):
            got[j].append(sm[j])
    for j in range(k):
        for wi, w in enumerate(WEIGHTS):
            ref = np.array(ema_reference(y[j], w))
            at = np.concatenate([a + np.arange(0, b - a, 7) for a, b in zip(cuts[:-1], cuts[1:])])
            mine = np.concatenate([g[wi] for g in got[j]])
            assert np.allclose(mine, ref[at], rtol=1e-9, atol=0, equal_nan=True), (j, w)
