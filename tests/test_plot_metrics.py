"""PR / ROC / confusion matrix: numpy implementations against hand-computed values
(scikit-learn's documented examples), plus an optional cross-check with scikit-learn."""
from __future__ import annotations

import numpy as np
import pytest

from reportgen.media import metrics


def test_precision_recall_known_values():
    # sklearn.metrics.precision_recall_curve docstring example
    p, r, t = metrics.precision_recall_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert np.allclose(p, [0.5, 2 / 3, 0.5, 1.0, 1.0])
    assert np.allclose(r, [1.0, 1.0, 0.5, 0.5, 0.0])
    assert np.allclose(t, [0.1, 0.35, 0.4, 0.8])


def test_precision_recall_ties_and_no_positives():
    # ties collapse to one threshold: scores 0.5 x2 (one pos, one neg), 0.9 (pos)
    p, r, t = metrics.precision_recall_curve([1, 0, 1], [0.5, 0.5, 0.9])
    assert np.allclose(t, [0.5, 0.9]) and np.allclose(p, [2 / 3, 1.0, 1.0]) and np.allclose(r, [1.0, 0.5, 0.0])
    p, r, _ = metrics.precision_recall_curve([0, 0], [0.2, 0.7])
    assert np.allclose(r, [1.0, 1.0, 0.0]) and np.allclose(p, [0.0, 0.0, 1.0])


def test_roc_known_values():
    # sklearn.metrics.roc_curve docstring example (pos_label=2)
    fpr, tpr, thr = metrics.roc_curve(np.array([1, 1, 2, 2]) == 2, [0.1, 0.4, 0.35, 0.8])
    assert np.allclose(fpr, [0.0, 0.0, 0.5, 0.5, 1.0])
    assert np.allclose(tpr, [0.0, 0.5, 0.5, 1.0, 1.0])
    assert thr[0] == np.inf and np.allclose(thr[1:], [0.8, 0.4, 0.35, 0.1])


def test_roc_drops_collinear_points():
    y, s = [1, 1, 1, 0, 0, 0], [0.9, 0.8, 0.7, 0.3, 0.2, 0.1]
    fpr, tpr, _ = metrics.roc_curve(y, s)
    assert np.allclose(fpr, [0, 0, 0, 1]) and np.allclose(tpr, [0, 1 / 3, 1, 1])
    fpr, tpr, _ = metrics.roc_curve(y, s, drop_intermediate=False)
    assert len(fpr) == 7
    fpr, _, _ = metrics.roc_curve([1, 1], [0.2, 0.3])
    assert np.isnan(fpr).all()


def test_confusion_matrix_known_values():
    # sklearn.metrics.confusion_matrix docstring example
    m = metrics.confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], 3)
    assert m.tolist() == [[2, 0, 0], [0, 0, 1], [1, 0, 2]]


def test_thin_keeps_ends():
    idx = metrics.thin(1000, 10)
    assert idx[0] == 0 and idx[-1] == 999 and len(idx) == 10
    assert metrics.thin(5, 10).tolist() == [0, 1, 2, 3, 4]


def test_errors():
    with pytest.raises(ValueError, match="differ in length"):
        metrics.precision_recall_curve([0, 1], [0.1])
    with pytest.raises(ValueError, match="NaN"):
        metrics.roc_curve([0, 1], [0.1, np.nan])


def test_matches_scikit_learn_when_installed():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    for _ in range(20):
        y = rng.integers(0, 2, 60)
        s = np.round(rng.random(60), 1)  # many ties
        for a, b in zip(metrics.precision_recall_curve(y, s), skm.precision_recall_curve(y, s)):
            assert np.allclose(a, b)
        for a, b in zip(metrics.roc_curve(y, s), skm.roc_curve(y, s)):
            assert np.allclose(a, b)
        pred = rng.integers(0, 3, 60)
        truth = rng.integers(0, 3, 60)
        assert np.array_equal(metrics.confusion_matrix(truth, pred, 3), skm.confusion_matrix(truth, pred, labels=[0, 1, 2]))
