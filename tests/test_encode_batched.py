"""The batched encoders (a build encodes every column of a batch of runs in one call per encoder,
issue 19) give each array's own encoding byte for byte: scaled float16 taken by a multiply where the
scale is a normal number (``ldexp`` otherwise, as :func:`encode.half` does), integers' narrowest
type and arithmetic sequences chosen for all arrays at once."""
import math

import numpy as np
import orjson
import pytest

from reportgen.site import encode


def _magnitudes(rng, n_arrays: int) -> list[np.ndarray]:
    out = []
    for _ in range(n_arrays):
        n = int(rng.integers(1, 40))
        a = rng.standard_normal(n) * 10.0 ** int(rng.integers(-323, 308))
        a[rng.random(n) < 0.3] *= 10.0 ** float(rng.integers(-30, 3))  # values far below the top: subnormal scaled
        r = rng.random()
        if r < 0.1:
            a[0] = math.nan
        elif r < 0.15:
            a[0] = math.inf
        elif r < 0.2:
            a[0] = 0.0
        out.append(a)
    return out


@pytest.mark.parametrize("seed", range(8))
def test_half_many_is_half_of_each_at_every_magnitude(seed):
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore", invalid="ignore"):
        arrays = _magnitudes(rng, 200)
    # the scale's bounds: tops near float64's (k <= -1009: cut to F2_TOP), its subnormals (k > 1023) and between
    arrays += [np.array([1.7e308, -1e300]), np.array([2.0 ** -1008, 3.0]), np.array([5e-324, 1e-320]),
               np.array([2.0 ** -1050]), np.array([2.0 ** 1000, 2.0 ** -60])]
    for chunk in (arrays, arrays[:50], arrays[-5:], arrays[-3:-1]):
        got = encode.half_many(chunk)
        assert orjson.dumps(got) == orjson.dumps([encode.half(a) for a in chunk])


def test_numbers_many_types_offsets_and_gaps_as_each_alone():
    rng = np.random.default_rng(7)
    arrays = [np.arange(0, 900, 3.0), np.cumsum(rng.integers(-100, 100, 300)).astype(float),
              np.cumsum(rng.integers(-30_000, 30_000, 300)).astype(float),
              np.cumsum(rng.integers(-2 ** 30, 2 ** 30, 300)).astype(float),
              np.array([0.0, 2.0 ** 40, 3.0]), np.array([7.0]), 1.7e9 + np.round(np.cumsum(rng.random(200)), 3),
              np.round(rng.normal(size=100), 3)]
    arrays[1][[5, 9]] = math.nan
    for fn in (encode.ints_or_floats_many, encode.times_many, encode.values_many):
        alone = [fn([a])[0] for a in arrays]
        got = fn(arrays)
        assert orjson.dumps(got) == orjson.dumps(alone)  # (Python ints: orjson refuses numpy's)
        assert [list(c) for c in got] == [list(c) for c in alone]  # the same keys in the same order
    types = [c["t"] for c in encode.ints_or_floats_many(arrays[:6])]
    assert types == ["a", "d1", "d2", "d4", "f8", "a"]
