"""wandb.plot's documented defaults: interpolated PR curves (interp_size), default class and
series names, default titles, and argument errors that name the argument."""
from __future__ import annotations

import numpy as np
import pytest

from reportgen.media import plot


def test_pr_curve_interpolated_like_wandb():
    chart = plot.pr_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    rows = chart.table.data
    assert len(rows) == 21 and chart.string_fields["title"] == "Precision-Recall Curve"
    recall = [r[1] for r in rows]
    assert recall == pytest.approx(np.round(np.linspace(1, 0, 21), 3).tolist())
    # precision at recall r is the best precision reached at recall >= r
    assert [r[2] for r in rows] == [0.667] * 10 + [1.0] * 11
    assert len(plot.pr_curve([0, 1, 1], [0.2, 0.6, 0.9], interp_size=5).table.data) == 5
    with pytest.raises(ValueError, match="interp_size"):
        plot.pr_curve([0, 1], [0.1, 0.9], interp_size=1)


def test_pr_curve_multiclass_matches_sklearn_interpolation():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 60)
    probs = rng.random((60, 3))
    rows = plot.pr_curve(y, probs, labels=["a", "b", "c"], interp_size=11).table.data
    for k, name in enumerate("abc"):
        p, r, _ = skm.precision_recall_curve(y == k, probs[:, k])
        p = np.maximum.accumulate(p)[::-1]
        r = r[::-1]
        want = p[np.searchsorted(r, np.linspace(0, 1, 11)[::-1], side="left")].round(3)
        assert [row[2] for row in rows if row[0] == name] == pytest.approx(want.tolist())


def test_confusion_matrix_default_class_names():
    chart = plot.confusion_matrix(y_true=[3, 7, 7], preds=[3, 3, 7])
    counts = {(a, p): n for a, p, n in chart.table.data}
    assert counts == {("Class_1", "Class_1"): 1, ("Class_1", "Class_2"): 0,
                      ("Class_2", "Class_1"): 1, ("Class_2", "Class_2"): 1}
    assert chart.string_fields["title"] == "Confusion Matrix Curve"
    probs = np.eye(4)[[0, 1, 1]]  # argmax never says 2 or 3: two classes, as in wandb
    assert {r[0] for r in plot.confusion_matrix(probs, [0, 1, 0]).table.data} == {"Class_1", "Class_2"}
    names = plot.confusion_matrix(y_true=["cat", "dog"], preds=["dog", "dog"], class_names=None)
    assert {r[0] for r in names.table.data} == {"Class_1", "Class_2"}


def test_line_series_default_names():
    chart = plot.line_series([0, 1], [[1, 2], [3, 4]])
    assert sorted({r[1] for r in chart.table.data}) == ["line_0", "line_1"]
    assert chart.string_fields == {"title": "", "xname": "x"}


@pytest.mark.parametrize("call, exc, match", [
    (lambda: plot.pr_curve(None, [[0.1, 0.9]]), ValueError, "y_true: required"),
    (lambda: plot.pr_curve([0, 1], None), ValueError, "y_probas: required"),
    (lambda: plot.roc_curve([0, 1], [[0.5, float("nan")], [0.2, 0.8]]), ValueError, "y_probas: contains NaN"),
    (lambda: plot.roc_curve([0, 1], [["a", "b"], ["c", "d"]]), (TypeError, ValueError), "y_probas"),
    (lambda: plot.line_series([0, 1], [["a", "b"]]), TypeError, r"ys\[0\]"),
    (lambda: plot.line_series([0, 1], 5), TypeError, "ys: expected a list"),
    (lambda: plot.line_series([[0, 1]], [[1, 2], [3, 4]]), ValueError, "xs: 1 x-series for 2"),
    (lambda: plot.confusion_matrix(probs=[[0.1, 0.9]], y_true=[1], preds=[1]), ValueError, "not both"),
    (lambda: plot.confusion_matrix(y_true=[0, 1], preds=[0, 1], class_names="ab"), TypeError, "class_names"),
])
def test_invalid_input_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_split_table_accepted():
    plot.pr_curve([0, 1], [0.2, 0.8], split_table=True)
    plot.roc_curve([0, 1], [0.2, 0.8], split_table=True)
    plot.confusion_matrix(y_true=[0, 1], preds=[0, 1], split_table=True)
