"""Classification curves and matrices with numpy only, following scikit-learn's
definitions (``sklearn.metrics.precision_recall_curve``, ``roc_curve``,
``confusion_matrix``). Pure functions, tested against hand-computed values.
"""
from __future__ import annotations

import numpy as np


def binary_clf_curve(y_true, y_score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positive counts at each distinct score threshold (descending)."""
    y_true = np.asarray(y_true).ravel().astype(bool)
    y_score = np.asarray(y_score, dtype=float).ravel()
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true and scores differ in length: {y_true.shape[0]} vs {y_score.shape[0]}")
    if y_true.size == 0:
        raise ValueError("y_true: no samples")
    if not np.all(np.isfinite(y_score)):
        raise ValueError("scores: contains NaN or infinite values")
    order = np.argsort(y_score, kind="mergesort")[::-1]
    y_score, y_true = y_score[order], y_true[order]
    distinct = np.where(np.diff(y_score))[0]
    threshold_idxs = np.r_[distinct, y_true.size - 1]
    tps = np.cumsum(y_true)[threshold_idxs].astype(float)
    fps = 1 + threshold_idxs - tps
    return fps, tps, y_score[threshold_idxs]


def precision_recall_curve(y_true, probas_pred) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(precision, recall, thresholds)`` as scikit-learn >= 1.3 returns them:
    recall decreasing, ending at (precision 1, recall 0); no positives -> recall 1."""
    fps, tps, thresholds = binary_clf_curve(y_true, probas_pred)
    ps = tps + fps
    precision = np.divide(tps, ps, out=np.zeros_like(tps), where=ps != 0)
    recall = np.ones_like(tps) if tps[-1] == 0 else tps / tps[-1]
    sl = slice(None, None, -1)
    return np.hstack((precision[sl], 1.0)), np.hstack((recall[sl], 0.0)), thresholds[sl]


def roc_curve(y_true, y_score, drop_intermediate: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(fpr, tpr, thresholds)`` as scikit-learn returns them (first threshold inf;
    collinear points dropped when ``drop_intermediate``; NaN rates when a class is absent)."""
    fps, tps, thresholds = binary_clf_curve(y_true, y_score)
    if drop_intermediate and len(fps) > 2:
        keep = np.where(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])[0]
        fps, tps, thresholds = fps[keep], tps[keep], thresholds[keep]
    tps = np.r_[0.0, tps]
    fps = np.r_[0.0, fps]
    thresholds = np.r_[np.inf, thresholds]
    fpr = np.full_like(fps, np.nan) if fps[-1] <= 0 else fps / fps[-1]
    tpr = np.full_like(tps, np.nan) if tps[-1] <= 0 else tps / tps[-1]
    return fpr, tpr, thresholds


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class i predicted as class j."""
    y_true = np.asarray(y_true).ravel().astype(int)
    y_pred = np.asarray(y_pred).ravel().astype(int)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and preds differ in length: {y_true.size} vs {y_pred.size}")
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def thin(n: int, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` evenly spread points of ``n``, first and last kept."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.rint(np.linspace(0, n - 1, max(limit, 2))).astype(int))
