"""Parameter importance of a set of runs for one metric, as wandb's sweep panel shows it.

For each config key: the **correlation** (Pearson) between the key and the metric, and an
**importance** from a random forest (scikit-learn ``RandomForestRegressor``) predicting
the metric from all keys at once (impurity-based feature importances, summing to 1).
Numbers and booleans are used as they are; other values (strings, lists) are one-hot
encoded, one column per value (``optimizer: adam``), as wandb does. Keys that never change,
system keys (``_wandb``: :func:`~reportgen.storage.format.is_system_key`) and runs without a
finite metric value are left out; a user's ``_lr`` or ``__proto__`` is a parameter like any
other. Computed at build time.
"""
from __future__ import annotations

import json
import math
from typing import Any, Sequence

from ..storage.format import flatten, is_system_key

MIN_RUNS = 3


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and (isinstance(v, bool) or math.isfinite(v))


def design_matrix(configs: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[float]]]:
    """Column names and rows (missing numbers filled with the column mean)."""
    flat = [flatten(c) for c in configs]
    keys = sorted({k for c in flat for k in c if not is_system_key(k)})  # (a parameter "__proto__" was left out)
    names: list[str] = []
    columns: list[list[float]] = []
    for key in keys:
        values = [c.get(key) for c in flat]
        present = [v for v in values if v is not None]
        if all(_is_number(v) for v in present):
            nums = [float(v) for v in present]
            mean = math.fsum(v / len(nums) for v in nums)  # (the sum of two 1e308 overflowed to inf)
            col = [float(v) if v is not None else mean for v in values]
            if len(set(col)) > 1:
                names.append(key)
                columns.append(col)
            continue
        labels = [json.dumps(v, sort_keys=True) if not isinstance(v, str) else v for v in values]
        distinct = sorted({lbl for lbl, v in zip(labels, values) if v is not None})
        if len(distinct) < 2:
            continue
        for label in distinct:
            names.append(f"{key}: {label}")
            columns.append([1.0 if lbl == label else 0.0 for lbl in labels])
    rows = [list(r) for r in zip(*columns)] if columns else [[] for _ in configs]
    return names, rows


def _scaled(values: list[float]) -> list[float]:
    """``values`` divided by the largest of them in size when that is above 1. Correlations and the
    forest's importances are the same for the scaled values, but sums of squares of numbers near the
    largest double (a metric of 1e308 and -1e308) overflowed (OverflowError stopped the whole build),
    and the forest's float32 could not hold them."""
    top = max((abs(v) for v in values), default=0.0)
    return [v / top for v in values] if top > 1 else values


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (sx * sy)


def parameter_importance(configs: Sequence[dict[str, Any]], metric: Sequence[Any],
                         seed: int = 0) -> list[dict[str, Any]]:
    """``[{"param", "importance", "correlation"}]``, most important first ([] if too few runs)."""
    if len(configs) != len(metric):
        raise ValueError(f"parameter_importance(): {len(configs)} configs but {len(metric)} metric values")
    keep = [i for i, v in enumerate(metric) if _is_number(v) and not isinstance(v, bool)]
    if len(keep) < MIN_RUNS:
        return []
    names, rows = design_matrix([configs[i] for i in keep])
    y = [float(metric[i]) for i in keep]
    if not names or len(set(y)) < 2:
        return []
    y = _scaled(y)
    rows = [list(r) for r in zip(*(_scaled(list(col)) for col in zip(*rows)))]
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError:
        raise ImportError("parameter importance needs scikit-learn: pip install 'reportgen[sweeps]'") from None
    model = RandomForestRegressor(n_estimators=100, random_state=seed)
    model.fit(rows, y)
    out = []
    importances = model.feature_importances_  # a property that walks every tree: read once (a sweep
    for j, name in enumerate(names):          # of 1,000 parameters took 40 s, of 20,000 ~15 min)
        corr = _pearson([r[j] for r in rows], y)
        out.append({"param": name, "importance": float(importances[j]),
                    "correlation": None if corr is None else float(corr)})
    out.sort(key=lambda d: -d["importance"])
    return out
