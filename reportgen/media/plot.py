"""``reportgen.plot.*`` chart helpers and ``reportgen.plot_table``.

Each helper builds a :class:`~reportgen.media.table.Table` and returns a
:class:`~reportgen.media.custom_chart.CustomChart` on one of the built-in
presets. Curves and matrices are computed with numpy (see :mod:`.metrics`).
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping, Sequence

import numpy as np

from ..storage.safety import printable
from . import metrics
from .base import as_array
from .custom_chart import CustomChart
from .table import MAX_ROWS, Table

__all__ = ["line", "scatter", "bar", "histogram", "line_series", "pr_curve", "roc_curve",
           "confusion_matrix", "plot_table", "CustomChart"]


def plot_table(vega_spec_name: str, data_table: Table, fields: Mapping[str, Any],
               string_fields: Mapping[str, Any] | None = None, split_table: bool = False) -> CustomChart:
    """A custom chart from a preset name, a Table and ``{field: column}``. ``split_table`` (wandb:
    show the table in its own section) is accepted and has no effect: the site shows the table
    with the chart either way."""
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


def line(table: Table, x: str, y: str, stroke: str | None = None, title: str | None = None, split_table: bool = False) -> CustomChart:
    return plot_table("reportgen/line", _table(table), {"x": x, "y": y, "stroke": stroke}, _title(title))


def scatter(table: Table, x: str, y: str, title: str | None = None, split_table: bool = False) -> CustomChart:
    return plot_table("reportgen/scatter", _table(table), {"x": x, "y": y}, _title(title))


def bar(table: Table, label: str, value: str, title: str | None = None, split_table: bool = False) -> CustomChart:
    return plot_table("reportgen/bar", _table(table), {"label": label, "value": value}, _title(title))


def histogram(table: Table, value: str, title: str | None = None, split_table: bool = False) -> CustomChart:
    return plot_table("reportgen/histogram", _table(table), {"value": value}, _title(title))


def _array(value: Any, arg: str, ndim: tuple[int, ...]) -> np.ndarray:
    arr = as_array(value, arg, "an array")
    if arr.ndim not in ndim:
        raise ValueError(f"{arg}: expected {' or '.join(f'{n}-D' for n in ndim)} values, got shape {arr.shape}")
    return arr


def line_series(xs: Sequence[Any], ys: Sequence[Sequence[float]], keys: Sequence[str] | None = None,
                title: str = "", xname: str = "x", split_table: bool = False) -> CustomChart:
    """Several lines: ``xs`` shared by all (or one list per line), ``ys`` one list per line;
    series are named ``line_0``, ``line_1``... unless ``keys`` are given (as in wandb)."""
    if isinstance(ys, (str, bytes)) or not hasattr(ys, "__iter__"):
        raise TypeError(f"ys: expected a list of series (lists of numbers), got {type(ys).__name__}")
    series = []
    for i, y in enumerate(ys):
        try:
            series.append(np.asarray(as_array(y, f"ys[{i}]", "a list of numbers"), dtype=float).ravel().tolist())
        except (TypeError, ValueError):
            raise TypeError(f"ys[{i}]: expected a list of numbers") from None
    if not series:
        raise ValueError("ys: expected at least one series")
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"xs: expected a list of x values (or one list per series), got {type(xs).__name__}")
    xs_list = list(xs)
    per_line = bool(xs_list) and np.ndim(xs_list[0]) == 1 and not isinstance(xs_list[0], str)
    if per_line and len(xs_list) != len(series):
        raise ValueError(f"xs: {len(xs_list)} x-series for {len(series)} y-series")
    if keys is None:
        keys = [f"line_{i}" for i in range(len(series))]
    keys = [str(k) for k in keys]
    if len(keys) != len(series):
        raise ValueError(f"keys: expected {len(series)} names (one per series), got {len(keys)}")
    table = Table(columns=["step", "lineKey", "lineVal"], allow_mixed_types=True)
    for i, (key, y) in enumerate(zip(keys, series)):
        x = list(xs_list[i]) if per_line else xs_list
        if len(x) != len(y):
            raise ValueError(f"xs/ys: series {i} ({key!r}) has {len(x)} x values and {len(y)} y values")
        for xv, yv in zip(x, y):
            table.add_data(xv, key, yv)
    return plot_table("reportgen/line_series", table, {"step": "step", "lineKey": "lineKey", "lineVal": "lineVal"},
                      {**_title(title), "xname": str(xname)})


def _class_setup(y_true: Any, y_probas: Any, labels: Sequence[str] | None, classes_to_plot: Any
                 ) -> tuple[np.ndarray, np.ndarray, list[str], list[int]]:
    for arg, value in (("y_true", y_true), ("y_probas", y_probas)):
        if value is None:
            raise ValueError(f"{arg}: required")
    y_true = _array(y_true, "y_true", (1,))
    try:
        probas = _array(y_probas, "y_probas", (1, 2)).astype(float)
    except (TypeError, ValueError) as exc:
        raise type(exc)(str(exc) if str(exc).startswith("y_probas") else "y_probas: expected numbers") from None
    if not np.all(np.isfinite(probas)):
        raise ValueError("y_probas: contains NaN or infinite values")
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


def _interpolated_pr(truth: np.ndarray, scores: np.ndarray, interp_size: int) -> tuple[np.ndarray, np.ndarray]:
    """wandb's PR curve: precision made monotone (the best precision at this recall or higher),
    read at ``interp_size`` evenly spaced recall values from 1 down to 0."""
    p, r, _ = metrics.precision_recall_curve(truth, scores)
    p = np.maximum.accumulate(p)  # sklearn order: recall decreasing
    p, r = p[::-1], r[::-1]
    recall = np.linspace(0, 1, interp_size)[::-1]
    idx = np.minimum(np.searchsorted(r, recall, side="left"), len(p) - 1)
    return np.round(recall, 3), np.round(p[idx], 3)


def _curve_chart(kind, y_true, y_probas, labels, classes_to_plot, title, interp_size=None) -> CustomChart:
    y_idx, probas, names, classes = _class_setup(y_true, y_probas, labels, classes_to_plot)
    cols = ["class", "recall", "precision"] if kind == "pr" else ["class", "fpr", "tpr"]
    table = Table(columns=cols)
    budget = max(MAX_ROWS // max(len(classes), 1), 2)
    for c in classes:
        truth = y_idx == c
        if kind == "pr":
            if interp_size is None:
                p, r, _ = metrics.precision_recall_curve(truth, probas[:, c])
                xs, ys = r, p
            else:
                xs, ys = _interpolated_pr(truth, probas[:, c], interp_size)
        else:
            xs, ys, _ = metrics.roc_curve(truth, probas[:, c])
            if np.isnan(xs).any() or np.isnan(ys).any():
                warnings.warn(printable(f"roc_curve: class {names[c]!r} has no "
                                        f"{'negatives' if np.isnan(xs).any() else 'positives'}; its curve is undefined "
                                        "and left out"), stacklevel=3)
                continue
        for i in metrics.thin(len(xs), budget):
            table.add_data(names[c], float(xs[i]), float(ys[i]))
    preset = "reportgen/pr_curve" if kind == "pr" else "reportgen/roc_curve"
    return plot_table(preset, table, {"x": cols[1], "y": cols[2], "class": "class"}, _title(title))


def pr_curve(y_true: Any = None, y_probas: Any = None, labels: Sequence[str] | None = None,
             classes_to_plot: Sequence[Any] | None = None, interp_size: int | None = 21,
             title: str = "Precision-Recall Curve", split_table: bool = False) -> CustomChart:
    """Precision-recall curve per class (one-vs-rest). As wandb, precision is interpolated (the
    best precision at that recall or higher) at ``interp_size`` recall values 1, ..., 0;
    ``interp_size=None`` keeps every threshold (``sklearn.metrics.precision_recall_curve``)."""
    if interp_size is not None and (isinstance(interp_size, bool) or not isinstance(interp_size, (int, np.integer))
                                    or interp_size < 2):
        raise ValueError(f"interp_size: expected an integer >= 2 (or None for every threshold), got {interp_size!r}")
    return _curve_chart("pr", y_true, y_probas, labels, classes_to_plot, title,
                        None if interp_size is None else int(interp_size))


def roc_curve(y_true: Any = None, y_probas: Any = None, labels: Sequence[str] | None = None,
              classes_to_plot: Sequence[Any] | None = None, title: str = "ROC Curve",
              split_table: bool = False) -> CustomChart:
    """ROC curve per class (one-vs-rest), as ``sklearn.metrics.roc_curve``."""
    return _curve_chart("roc", y_true, y_probas, labels, classes_to_plot, title)


def confusion_matrix(probs: Any = None, y_true: Any = None, preds: Any = None,
                     class_names: Sequence[str] | None = None, title: str = "Confusion Matrix Curve",
                     split_table: bool = False) -> CustomChart:
    """Counts of (actual, predicted) pairs; pass ``probs`` (argmax is taken) or ``preds``.

    With ``class_names``, ids are 0..n-1 into them; without, the classes are the sorted
    distinct values of ``y_true`` and the predictions, named ``Class_1``, ``Class_2``... (wandb)."""
    if preds is not None and class_names is None and probs is not None and \
            all(isinstance(v, str) for v in preds):
        # confusion_matrix(predictions, ground_truth, class_names) as in the wandb docs' example
        class_names, preds = list(preds), None
    if probs is not None and preds is not None:
        raise ValueError("confusion_matrix: pass exactly one of probs= (scores per class) or preds= (class ids), not both")
    if probs is None and preds is None:
        raise ValueError("confusion_matrix: pass exactly one of probs= (scores per class) or preds= (class ids)")
    if y_true is None:
        raise ValueError("y_true: required (the true class ids)")
    y = _array(y_true, "y_true", (1,))
    if probs is not None:
        p = _array(probs, "probs", (2,))
        if class_names is not None and p.shape[1] != len(class_names):
            raise ValueError(f"probs: has {p.shape[1]} columns but class_names has {len(class_names)} names")
        pred = np.argmax(p, axis=1)
    else:
        pred = _array(preds, "preds", (1,))
    if len(pred) != len(y):
        raise ValueError(f"y_true has {len(y)} samples but the predictions have {len(pred)}")
    if class_names is not None:
        if isinstance(class_names, (str, bytes)):
            raise TypeError("class_names: expected a list of names, got a string")
        names = [str(c) for c in class_names]
        n_classes = len(names)
        for arg, arr in (("y_true", y), ("preds", pred)):
            if arr.dtype.kind not in "iub" and not (arr.dtype.kind == "f" and np.all(arr == np.rint(arr))):
                raise ValueError(f"{arg}: expected integer class ids (indices into class_names)")
            if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
                raise ValueError(f"{arg}: class ids must be in 0..{n_classes - 1}, got {arr.min()}..{arr.max()}")
        yi, pi = y.astype(int), pred.astype(int)
    else:
        values = sorted({v.item() if isinstance(v, np.generic) else v for v in [*y, *pred]}, key=_sort_key)
        lookup = {v: i for i, v in enumerate(values)}
        n_classes = len(values)
        names = [f"Class_{i + 1}" for i in range(n_classes)]
        yi = np.array([lookup[v.item() if isinstance(v, np.generic) else v] for v in y], dtype=int)
        pi = np.array([lookup[v.item() if isinstance(v, np.generic) else v] for v in pred], dtype=int)
    m = metrics.confusion_matrix(yi, pi, n_classes)
    table = Table(columns=["Actual", "Predicted", "nPredictions"])
    for i in range(n_classes):
        for j in range(n_classes):
            table.add_data(names[i], names[j], int(m[i, j]))
    return plot_table("reportgen/confusion_matrix", table,
                      {"Actual": "Actual", "Predicted": "Predicted", "nPredictions": "nPredictions"}, _title(title))


def _sort_key(v: Any) -> tuple[int, Any]:
    """Numbers before strings, each in their natural order."""
    return (0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0, str(v))
