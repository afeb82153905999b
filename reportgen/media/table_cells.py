"""Cells of a :class:`~reportgen.media.table.Table`: what a cell may hold, how it is kept in
memory and how it is written (media as records, N-d arrays as ``tensor`` records), and how
``data=``/``columns=`` arguments (lists, arrays, DataFrames) become rows and names."""
from __future__ import annotations

import datetime as _dt
import math
import numbers
from typing import Any, Iterable

import numpy as np

from .base import Media, MediaContext, to_numpy

MAX_INLINE_VECTOR = 150  # wandb's _MAX_EMBEDDING_DIMENSIONS
PLAIN = frozenset({str, int, float, bool, type(None)})
_PLAIN = PLAIN


def _json_value(value: Any, where: str) -> Any:
    """A list/dict cell as plain JSON (numpy values and arrays converted)."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, dict):
        return {str(k): _json_value(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    arr = to_numpy(value)
    if arr is not None:
        return arr.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(f"{where}: lists and dicts in cells may hold numbers, strings, bools, None, "
                    f"lists and dicts, got {type(value).__name__}")


def _cell(value: Any, where: str) -> Any:
    """A cell as kept in memory: plain values, lists, dicts, arrays or Media objects."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Media):
        if getattr(value, "TYPE", None) == "table":
            raise TypeError(f"{where}: a Table cannot contain another Table")
        return value
    if isinstance(value, np.generic):
        value = value.item()
        if type(value) in _PLAIN:
            return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if type(value).__name__ in ("Timestamp", "Timedelta"):  # pandas
        return str(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        _json_value(value, where)  # validate now; stored as given
        return list(value) if isinstance(value, tuple) else value
    arr = to_numpy(value)
    if arr is not None:
        if arr.ndim == 0:
            return _cell(arr.item(), where)
        if arr.dtype.kind not in "biufcUS":
            raise TypeError(f"{where}: array cells must hold numbers, bools or strings, got dtype {arr.dtype}")
        return arr
    raise TypeError(f"{where}: cells must be numbers, strings, bools, None, lists, dicts, arrays "
                    f"or media objects, got {type(value).__name__}")


def _columns(columns: Any) -> list[str]:
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Iterable):
        raise TypeError(f"columns: expected a list of column names, got {type(columns).__name__}")
    cols = list(columns)
    out = []
    for c in cols:
        if isinstance(c, bool) or not isinstance(c, (str, int, float, np.generic)):
            raise TypeError(f"columns: names must be strings (or numbers, which become strings), got {c!r}")
        out.append(str(c.item() if isinstance(c, np.generic) else c))
    dupes = sorted({c for c in out if out.count(c) > 1})
    if dupes:
        raise ValueError(f"columns: duplicate names {dupes}")
    return out


def _stored_cell(v: Any, ctx: MediaContext | None, i: int, j: int) -> Any:
    if isinstance(v, Media):
        if ctx is None:
            raise ValueError("a table with media cells needs a run folder to store them")
        return v.to_record(ctx.sub(f"r{i}c{j}"))
    if isinstance(v, np.ndarray):
        if (v.ndim == 1 and v.size <= MAX_INLINE_VECTOR) or ctx is None or v.dtype.kind in "US":
            return v.tolist()
        from ..sdk.values import tensor_record

        return tensor_record(v, ctx.sub(f"r{i}c{j}"))
    if isinstance(v, (list, dict)):
        return _json_value(v, f"row {i}, column {j}")
    return v


def _rows(data: Any) -> list[Any]:
    """``data=`` as a list of rows: a list of sequences, a 2-D (or higher) array or tensor."""
    arr = to_numpy(data) if not isinstance(data, (list, tuple)) else None
    if arr is not None:
        if arr.ndim < 2:
            raise ValueError(f"data: expected an array of rows (2-D or more), got shape {arr.shape}")
        return arr.tolist() if arr.ndim == 2 else [list(r) for r in arr]
    if isinstance(data, (str, bytes, dict)) or not isinstance(data, Iterable):
        raise TypeError(f"data: expected a list of rows, a numpy array or a DataFrame, got {type(data).__name__}")
    rows = []
    for i, row in enumerate(data):
        if type(row) is list or type(row) is tuple:
            rows.append(row)
            continue
        if isinstance(row, np.ndarray):
            row = list(row) if row.ndim else [row]
        if isinstance(row, (str, bytes, dict)) or not isinstance(row, Iterable):
            raise TypeError(f"data: row {i} is {type(row).__name__}, expected a list of cell values")
        rows.append(row if isinstance(row, (list, tuple)) else list(row))
    return rows


def _is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "itertuples") and hasattr(value, "columns")


def _is_numeric(series: Any) -> bool:
    try:
        from pandas.api.types import is_bool_dtype, is_numeric_dtype
        return bool(is_numeric_dtype(series.dtype)) and not is_bool_dtype(series.dtype)
    except ImportError:  # pragma: no cover
        return False


def _is_na(value: Any, numeric: bool) -> bool:
    """Missing values from a DataFrame: NaN stays NaN in numeric columns, else None."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return not numeric
    return type(value).__name__ in ("NaTType", "NAType")
