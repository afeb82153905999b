"""How many rows a logged Vega-Lite spec's transforms make in the page, and what they cost.

A few transforms multiply the rows they get: ``fold`` by the number of fields it folds,
``quantile`` and ``density`` make ``1/step`` or ``steps`` rows per group, ``impute`` (a transform
or an encoding's ``impute``) a row per group and key (each ``groupby`` combination times each
distinct ``key`` value and ``keyvals``), and ``loess`` costs rows times rows. A 300-field fold over 3,000 logged rows (900,000 points) hung the run page's tab
for half a minute, ``{"quantile": "a", "step": 1e-8}`` over two rows and a million density steps
hung it for good, and so did an ``impute`` grouped by a field with a value per row over 3,000
rows (9 million rows: an encoding's impute 84 s, a transform's for good). :func:`rows_problem` follows each view's rows through its transforms (a view
gets its parent's rows unless it has its own data) and says what goes beyond :data:`MAX_ROWS` or
:data:`MAX_LOESS_COST`.

A spec whose inline data has more than :data:`MAX_INLINE_ROWS` rows in all is refused too: the
page draws every one of them.

Groups are counted in the inline data when the ``groupby`` fields are there, else taken to be
as many as the rows. ``flatten`` is not counted (its arrays come from the data, which is as
large as it is; expressions that make arrays are refused by :mod:`.vegaexpr`).
"""
from __future__ import annotations

import math
from typing import Any

#: rows a chain of transforms may make from the data it gets
MAX_ROWS = 200_000
#: rows of inline data (``data.values``, ``datasets``) in one spec: a logged chart of a million
#: points took the run page's tab a minute to draw, a line of 100,000 points 25 s, of 30,000 4 s
#: (wandb's own tables stop at 10,000 rows)
MAX_INLINE_ROWS = 20_000
#: rows times rows times the bandwidth of a loess transform
MAX_LOESS_COST = 2e8
_CHILDREN = ("layer", "concat", "hconcat", "vconcat")


def rows_problem(spec: dict) -> str | None:
    """Why ``spec``'s inline data or transforms would make too many rows in the page, or None."""
    datasets = spec.get("datasets") if isinstance(spec.get("datasets"), dict) else {}
    problem = _view(spec, 1, [], datasets, "")
    inline = _inline_count(spec)
    if problem is None and inline > MAX_INLINE_ROWS:
        problem = f"its inline data has {inline:,} rows, more than the {MAX_INLINE_ROWS:,} a chart in the page draws"
    return problem


def _count(values: Any) -> int:
    if isinstance(values, list):
        return len(values)
    return values.count("\n") + 1 if isinstance(values, str) else 0


def _inline_count(spec: dict) -> int:
    """Rows of every ``data.values`` and ``datasets`` entry of the spec."""
    total, stack = 0, [spec]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if isinstance(v.get("data"), dict):
                total += _count(v["data"].get("values"))
            if isinstance(v.get("datasets"), dict):
                total += sum(_count(x) for x in v["datasets"].values())
            stack.extend(x for k, x in v.items() if k not in ("data", "datasets"))
        elif isinstance(v, list):
            stack.extend(x for x in v if isinstance(x, (dict, list)))
    return total


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


def _distinct(field: Any, rows: list, n: float) -> float:
    """How many distinct values ``field`` has in the inline rows (``n`` when they cannot tell)."""
    if not isinstance(field, str) or not rows or not all(isinstance(r, dict) and field in r for r in rows):
        return n
    return float(min(len({repr(r[field]) for r in rows}), n))


def _keyvals(keyvals: Any) -> float:
    if isinstance(keyvals, list):
        return float(len(keyvals))
    if isinstance(keyvals, dict):  # {"start", "stop", "step"}: a sequence
        start, stop, step = _num(keyvals.get("start"), 0), _num(keyvals.get("stop"), 0), _num(keyvals.get("step"), 1)
        count = (stop - start) / step if step else math.inf
        return max(count, 0.0) if count == count else math.inf  # NaN: refused
    return 0.0


def _imputed(params: dict, key: Any, groupby: Any, rows: list, n: float) -> float:
    """Rows after an impute: the rows it got plus one per group and key at most."""
    return n + _groups(groupby, rows, n) * (_distinct(key, rows, n) + _keyvals(params.get("keyvals")))


def _encoding_impute(view: dict, n: float, rows: list, path: str) -> str | None:
    """An encoding's ``impute`` (on x or y): keyed by the other position's field, grouped by the
    fields of every other channel."""
    enc = view.get("encoding")
    if not isinstance(enc, dict):
        return None
    for channel, fdef in enc.items():
        if not (isinstance(fdef, dict) and isinstance(fdef.get("impute"), dict)):
            continue
        other = enc.get("y" if channel == "x" else "x")
        key = other.get("field") if isinstance(other, dict) else None
        groupby = [d.get("field") for c, d in enc.items() if c not in ("x", "y", "x2", "y2") and isinstance(d, dict)
                   and d.get("field") is not None]
        made = _imputed(fdef["impute"], key, groupby, rows, n)
        if not made <= MAX_ROWS:
            return f"{path}encoding.{channel}.impute: makes {made:,.0f} rows in the page, more than {MAX_ROWS:,}"
    return None


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
        elif "impute" in t:
            n = _imputed(t, t.get("key"), t.get("groupby"), rows, n)
        elif "loess" in t:
            cost = n * n * min(max(_num(t.get("bandwidth"), 0.3), 0.0), 1.0)
            if not cost <= MAX_LOESS_COST:
                return f"{where}: a loess over {n:,.0f} rows, {cost:.3g} steps in the page (at most {MAX_LOESS_COST:.0e})"
            continue
        else:
            continue
        if not n <= MAX_ROWS:  # NaN too
            return f"{where}: the transforms make {n:,.0f} rows in the page, more than {MAX_ROWS:,}"
    problem = _encoding_impute(view, n, rows, path)
    if problem:
        return problem
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
