"""``reportgen.plot.*`` chart helpers and ``reportgen.plot_table``.

Each helper builds a :class:`~reportgen.media.table.Table` and returns a
:class:`~reportgen.media.custom_chart.CustomChart` on one of the built-in
presets. Curves and matrices are computed with numpy (see :mod:`.metrics`).
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping, Sequence

import numpy as np

from . import metrics
from .base import as_array
from .custom_chart import CustomChart
from .table import MAX_ROWS, Table

__all__ = ["line", "scatter", "bar", "histogram", "line_series", "pr_curve", "roc_curve",
           "confusion_matrix", "plot_table", "CustomChart"]


def plot_table(vega_spec_name: str, data_table: Table, fields: Mapping[str, Any],
               string_fields: Mapping[str, Any] | None = None) -> CustomChart:
    """A custom chart from a preset name, a Table and ``{field: column}``."""
    return CustomChart(vega_spec_name, data_table, fields, string_fields)


def _title(title: Any) -> dict[str, str]:
    if title is None:
        return {"title": ""}
    if not isinstance(title, str):
        raise TypeError(f"title: expected a string, got {type(title).__name__}")
    return {"title": title}


def _table(table: Any) -> Table:
    if not isinstance(table, Table):
        raise TypeError(f"table: expected a reportgen.Table, got {type(table).__name__}")
    return table


def line(table: Table, x: str, y: str, stroke: str | None = None, title: str | None = None) -> CustomChart:
    return plot_table("reportgen/line", _table(table), {"x": x, "y": y, "stroke": stroke}, _title(title))


def scatter(table: Table, x: str, y: str, title: str | None = None) -> CustomChart:
    return plot_table("reportgen/scatter", _table(table), {"x": x, "y": y}, _title(title))


def bar(table: Table, label: str, value: str, title: str | None = None) -> CustomChart:
    return plot_table("reportgen/bar", _table(table), {"label": label, "value": value}, _title(title))


def histogram(table: Table, value: str, title: str | None = None) -> CustomChart:
    return plot_table("reportgen/histogram", _table(table), {"value": value}, _title(title))


def _array(value: Any, arg: str, ndim: tuple[int, ...]) -> np.ndarray:
    arr = as_array(value, arg, "an array")
    if arr.ndim not in ndim:
        raise ValueError(f"{arg}: expected {' or '.join(f'{n}-D' for n in ndim)} values, got shape {arr.shape}")
    return arr


def line_series(xs: Sequence[Any], ys: Sequence[Sequence[float]], keys: Sequence[str] | None = None,
                title: str | None = None, xname: str | None = None) -> CustomChart:
    """Several lines: ``xs`` shared by all (or one list per line), ``ys`` one list per line."""
    ys = [list(np.asarray(y, dtype=float).ravel()) for y in ys]
    if not ys:
        raise ValueError("ys: expected at least one series")
    xs_list = list(xs)
    per_line = bool(xs_list) and np.ndim(xs_list[0]) == 1
    if keys is None:
        keys = [f"key_{i}" for i in range(len(ys))]
    keys = [str(k) for k in keys]
    if len(keys) != len(ys):
        raise ValueError(f"keys: expected {len(ys)} names (one per series), got {len(keys)}")
    table = Table(columns=["step", "lineKey", "lineVal"])
    for i, (key, y) in enumerate(zip(keys, ys)):
        x = list(xs_list[i]) if per_line else xs_list
        if len(x) != len(y):
            raise ValueError(f"xs/ys: series {i} ({key!r}) has {len(x)} x values and {len(y)} y values")
        for xv, yv in zip(x, y):
            table.add_data(xv, key, yv)
    return plot_table("reportgen/line_series", table, {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"},
                      {**_title(title), "xname": xname or "x"})


def _class_setup(y_true: Any, y_probas: Any, labels: Sequence[str] | None, classes_to_plot: Any
                 ) -> tuple[np.ndarray, np.ndarray, list[str], list[int]]:
    y_true = _array(y_true, "y_true", (1,))
    probas = _array(y_probas, "y_probas", (1, 2)).astype(float)
    if probas.ndim == 1:  # binary: scores of the positive class
        probas = np.stack([1.0 - probas, probas], axis=1)
        default_plot = [1]
    else:
        default_plot = None
    n, k = probas.shape
    if y_true.shape[0] != n:
        raise ValueError(f"y_true has {y_true.shape[0]} samples but y_probas has {n}")
    if labels is not None:
        labels = [str(v) for v in labels]
        if len(labels) != k:
            raise ValueError(f"labels: expected {k} names (one per column of y_probas), got {len(labels)}")
    names = labels or [str(i) for i in range(k)]
    if y_true.dtype.kind in "USO":  # labels given as names
        lookup = {name: i for i, name in enumerate(names)}
        bad = sorted({str(v) for v in y_true if str(v) not in lookup})
        if bad:
            raise ValueError(f"y_true: {bad} are not among the labels {names}")
        y_idx = np.array([lookup[str(v)] for v in y_true])
    else:
        y_idx = y_true.astype(int)
        if np.any(y_idx != y_true) or y_idx.min() < 0 or y_idx.max() >= k:
            raise ValueError(f"y_true: expected class indices 0..{k - 1} (columns of y_probas), "
                             f"got values {np.unique(y_true)[:10].tolist()}")
    if classes_to_plot is None:
        classes = default_plot or sorted(int(c) for c in np.unique(y_idx))
    else:
        classes = []
        for c in classes_to_plot:
            if isinstance(c, str):
                if c not in names:
                    raise ValueError(f"classes_to_plot: {c!r} is not among the labels {names}")
                classes.append(names.index(c))
            elif 0 <= int(c) < k:
                classes.append(int(c))
            else:
                raise ValueError(f"classes_to_plot: {c!r} is not a class index 0..{k - 1}")
    return y_idx, probas, names, classes


def _curve_chart(kind: str, y_true, y_probas, labels, classes_to_plot, title) -> CustomChart:
    y_idx, probas, names, classes = _class_setup(y_true, y_probas, labels, classes_to_plot)
    cols = ["class", "recall", "precision"] if kind == "pr" else ["class", "fpr", "tpr"]
    table = Table(columns=cols)
    budget = max(MAX_ROWS // max(len(classes), 1), 2)
    for c in classes:
        truth = y_idx == c
        if kind == "pr":
            p, r, _ = metrics.precision_recall_curve(truth, probas[:, c])
            xs, ys = r, p
        else:
            xs, ys, _ = metrics.roc_curve(truth, probas[:, c])
            if np.isnan(xs).any() or np.isnan(ys).any():
                warnings.warn(f"roc_curve: class {names[c]!r} has no {'negatives' if np.isnan(xs).any() else 'positives'}; "
                              "its curve is undefined and left out", stacklevel=3)
                continue
        for i in metrics.thin(len(xs), budget):
            table.add_data(names[c], float(xs[i]), float(ys[i]))
    preset = "reportgen/pr_curve" if kind == "pr" else "reportgen/roc_curve"
    return plot_table(preset, table, {"x": cols[1], "y": cols[2], "class": "class"}, _title(title))


def pr_curve(y_true: Any = None, y_probas: Any = None, labels: Sequence[str] | None = None,
             classes_to_plot: Sequence[Any] | None = None, title: str | None = None) -> CustomChart:
    """Precision-recall curve per class (one-vs-rest), as ``sklearn.metrics.precision_recall_curve``."""
    return _curve_chart("pr", y_true, y_probas, labels, classes_to_plot, title)


def roc_curve(y_true: Any = None, y_probas: Any = None, labels: Sequence[str] | None = None,
              classes_to_plot: Sequence[Any] | None = None, title: str | None = None) -> CustomChart:
    """ROC curve per class (one-vs-rest), as ``sklearn.metrics.roc_curve``."""
    return _curve_chart("roc", y_true, y_probas, labels, classes_to_plot, title)


def confusion_matrix(probs: Any = None, y_true: Any = None, preds: Any = None,
                     class_names: Sequence[str] | None = None, title: str | None = None) -> CustomChart:
    """Counts of (actual, predicted) pairs; pass ``probs`` (argmax is taken) or ``preds``."""
    if preds is not None and class_names is None and probs is not None and \
            all(isinstance(v, str) for v in preds):
        # confusion_matrix(predictions, ground_truth, class_names) as in the wandb docs' example
        class_names, preds = list(preds), None
    if (probs is None) == (preds is None):
        raise ValueError("confusion_matrix: pass exactly one of probs= (scores per class) or preds= (class ids)")
    if y_true is None:
        raise ValueError("y_true: required (the true class ids)")
    y = _array(y_true, "y_true", (1,))
    if probs is not None:
        p = _array(probs, "probs", (2,))
        if class_names is not None and p.shape[1] != len(class_names):
            raise ValueError(f"probs: has {p.shape[1]} columns but class_names has {len(class_names)} names")
        pred = np.argmax(p, axis=1)
        n_classes = p.shape[1]
    else:
        pred = _array(preds, "preds", (1,))
        n_classes = len(class_names) if class_names is not None else int(max(pred.max(), y.max())) + 1
    if len(pred) != len(y):
        raise ValueError(f"y_true has {len(y)} samples but the predictions have {len(pred)}")
    for arg, arr in (("y_true", y), ("preds", pred)):
        if arr.dtype.kind not in "iub" and not np.all(np.asarray(arr, dtype=float) == np.rint(np.asarray(arr, dtype=float))):
            raise ValueError(f"{arg}: expected integer class ids")
        if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
            raise ValueError(f"{arg}: class ids must be in 0..{n_classes - 1}, got {arr.min()}..{arr.max()}")
    names = [str(c) for c in class_names] if class_names is not None else [f"Class {i}" for i in range(n_classes)]
    m = metrics.confusion_matrix(y, pred, n_classes)
    table = Table(columns=["Actual", "Predicted", "nPredictions"])
    for i in range(n_classes):
        for j in range(n_classes):
            table.add_data(names[i], names[j], int(m[i, j]))
    return plot_table("reportgen/confusion_matrix", table,
                      {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"}, _title(title))
