"""The pixel rule for float arrays (docs/media.md), after the in-place rewrite of issue 19."""
from __future__ import annotations

import numpy as np

from reportgen.media.image import array_to_uint8

nan, inf = float("nan"), float("inf")


def test_floats_in_unit_range_are_scaled_and_rounded():
    out = array_to_uint8(np.array([[0.0, 0.5, 1.0, 0.0019607843, 0.2]]))
    assert out.dtype == np.uint8 and out.tolist() == [[0, 128, 255, 0, 51]]
    assert array_to_uint8(np.array([[0.25, 1.0]], dtype=np.float32)).tolist() == [[64, 255]]
    assert array_to_uint8(np.array([[0.5, 1.0]], dtype=np.float16)).tolist() == [[128, 255]]


def test_other_floats_are_0_255_values_clipped():
    assert array_to_uint8(np.array([[1.5, 300.7, -3.0, 254.5]])).tolist() == [[2, 255, 0, 254]]


def test_non_finite_values_nan_black_infinities_clipped_range_from_finite_values():
    # the finite values (0.5) lie in [0, 1]: scaled; NaN -> 0, +inf -> 255, -inf -> 0
    assert array_to_uint8(np.array([[nan, 0.5], [inf, -inf]])).tolist() == [[0, 128], [255, 0]]
    assert array_to_uint8(np.array([[inf, 2.0]])).tolist() == [[255, 2]]  # 2.0: not scaled
    assert array_to_uint8(np.array([[nan, nan]])).tolist() == [[0, 0]]
    assert array_to_uint8(np.zeros((0, 3))).shape == (0, 3)


def test_input_array_is_left_unchanged():
    arr = np.array([[nan, 0.5, inf]])
    array_to_uint8(arr)
    assert np.isnan(arr[0, 0]) and arr[0, 1] == 0.5 and arr[0, 2] == inf
