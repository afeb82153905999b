"""How many rows a logged Vega-Lite spec's transforms make in the page, and what they cost.

A few transforms multiply the rows they get: ``fold`` by the number of fields it folds,
``quantile`` and ``density`` make ``1/step`` or ``steps`` rows per group, and ``loess`` costs
rows times rows. A 300-field fold over 3,000 logged rows (900,000 points) hung the run page's tab
for half a minute, ``{"quantile": "a", "step": 1e-8}`` over two rows and a million density steps
hung it for good. :func:`rows_problem` follows each view's rows through its transforms (a view
gets its parent's rows unless it has its own data) and says what goes beyond :data:`MAX_ROWS` or
:data:`MAX_LOESS_COST`.

Groups are counted in the inline data when the ``groupby`` fields are there, else taken to be
as many as the rows. ``flatten`` is not counted (its arrays come from the data, which is as
large as it is; expressions that make arrays are refused by :mod:`.vegaexpr`).
"""
from __future__ import annotations

import math
from typing import Any

#: rows a chain of transforms may make from the data it gets
MAX_ROWS = 200_000
#: rows times rows times the bandwidth of a loess transform
MAX_LOESS_COST = 2e8
_CHILDREN = ("layer", "concat", "hconcat", "vconcat")


def rows_problem(spec: dict) -> str | None:
    """Why ``spec``'s transforms would make too many rows in the page, or None."""
    datasets = spec.get("datasets") if isinstance(spec.get("datasets"), dict) else {}
    return _view(spec, 1, [], datasets, "")


def _num(v: Any, default: float) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else default


def _data_rows(data: Any, datasets: dict) -> tuple[float, list] | None:
    """(row count, the rows when inline) of a view's own data, or None when it has none."""
    if not isinstance(data, dict):
        return None
    values = data.get("values")
    if values is None and isinstance(data.get("name"), str):
        values = datasets.get(data["name"])
    if isinstance(values, list):
        return float(len(values)), values
    if isinstance(values, str):  # inline CSV/TSV text
        return float(values.count("\n") + 1), []
    seq = data.get("sequence")
    if isinstance(seq, dict):
        start, stop, step = _num(seq.get("start"), 0), _num(seq.get("stop"), 0), _num(seq.get("step"), 1)
        n = (stop - start) / step if step else math.inf
        return (n if n == n and n > 0 else 0.0), []
    return None


def _groups(groupby: Any, rows: list, n: float) -> float:
    if not groupby:
        return 1.0
    if not isinstance(groupby, list) or not rows or not all(isinstance(g, str) for g in groupby):
        return n
    if not all(isinstance(r, dict) and all(g in r for g in groupby) for r in rows):
        return n  # a field a transform makes: as many groups as rows, at most
    seen = {tuple(repr(r[g]) for g in groupby) for r in rows}
    return float(min(len(seen), n))


def _view(view: dict, n: float, rows: list, datasets: dict, path: str) -> str | None:
    own = _data_rows(view.get("data"), datasets)
    if own is not None:
        n, rows = own
    transforms = view.get("transform")
    for i, t in enumerate(transforms if isinstance(transforms, list) else []):
        if not isinstance(t, dict):
            continue
        where = f"{path}transform[{i}]"
        if isinstance(t.get("fold"), list):
            n *= max(len(t["fold"]), 1)
        elif "quantile" in t:
            probs, step = t.get("probs"), _num(t.get("step"), 0.01)
            if isinstance(probs, list):
                count = float(len(probs))
            else:
                count = 1 / step if step > 0 else math.inf
            n = count * _groups(t.get("groupby"), rows, n)
        elif "density" in t:
            steps = _num(t.get("steps"), 0) or max(_num(t.get("maxsteps"), 200), _num(t.get("minsteps"), 25))
            n = steps * _groups(t.get("groupby"), rows, n)
        elif "loess" in t:
            cost = n * n * min(max(_num(t.get("bandwidth"), 0.3), 0.0), 1.0)
            if not cost <= MAX_LOESS_COST:
                return f"{where}: a loess over {n:,.0f} rows, {cost:.3g} steps in the page (at most {MAX_LOESS_COST:.0e})"
            continue
        else:
            continue
        if not n <= MAX_ROWS:  # NaN too
            return f"{where}: the transforms make {n:,.0f} rows in the page, more than {MAX_ROWS:,}"
    for key in _CHILDREN:
        children = view.get(key)
        for j, child in enumerate(children if isinstance(children, list) else []):
            if isinstance(child, dict):
                problem = _view(child, n, rows, datasets, f"{path}{key}[{j}].")
                if problem:
                    return problem
    inner = view.get("spec")  # facet and repeat
    if isinstance(inner, dict):
        return _view(inner, n, rows, datasets, f"{path}spec.")
    return None
