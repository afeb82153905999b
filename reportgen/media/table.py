"""Table: rows of numbers, strings, bools, None and media objects.

Stored as a JSON file ``{"columns": [...], "data": [[...], ...]}``; a media cell
is stored as its own files and appears in the JSON as its record (names carry an
``r<row>c<col>`` suffix so they stay unique).
"""
from __future__ import annotations

import datetime as _dt
import math
import numbers
from typing import Any, Iterable, Sequence

import numpy as np

from ..storage import kinds
from .base import Media, MediaContext

DEFAULT_COLUMNS = ["Input", "Output", "Expected"]
MAX_ROWS = 10_000
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _cell(value: Any, where: str) -> Any:
    """A plain JSON-able cell (or a Media object kept for later); raise on other types."""
    if type(value) in _PLAIN:
        return value
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Media):
        if isinstance(value, Table):
            raise TypeError(f"{where}: a Table cannot contain another Table")
        return value
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, (bool, str)):
            return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _cell(value.item(), where)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if type(value).__name__ in ("Timestamp", "Timedelta"):  # pandas
        return str(value)
    raise TypeError(f"{where}: cells must be numbers, strings, bools, None or media objects, "
                    f"got {type(value).__name__}")


def _columns(columns: Any) -> list[str]:
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Iterable):
        raise TypeError(f"columns: expected a list of column names, got {type(columns).__name__}")
    cols = list(columns)
    if not cols:
        raise ValueError("columns: expected at least one column")
    out = []
    for c in cols:
        if isinstance(c, bool) or not isinstance(c, (str, int, float, np.generic)):
            raise TypeError(f"columns: names must be strings, got {c!r}")
        out.append(str(c))
    dupes = sorted({c for c in out if out.count(c) > 1})
    if dupes:
        raise ValueError(f"columns: duplicate names {dupes}")
    return out


class Table(Media):
    TYPE = kinds.TABLE

    def __init__(self, columns: Sequence[str] | None = None, data: Sequence[Sequence[Any]] | None = None,
                 rows: Sequence[Sequence[Any]] | None = None, dataframe: Any = None):
        if rows is not None and data is not None:
            raise ValueError("pass either data= or rows= (they are the same thing), not both")
        data = rows if data is None else data
        if dataframe is not None:
            if data is not None:
                raise ValueError("pass either dataframe= or data=, not both")
            if not hasattr(dataframe, "columns") or not hasattr(dataframe, "itertuples"):
                raise TypeError(f"dataframe: expected a pandas DataFrame, got {type(dataframe).__name__}")
            if columns is None:
                columns = [str(c) for c in dataframe.columns]
            numeric = [_is_numeric(dataframe[c]) for c in dataframe.columns]
            data = [[None if _is_na(v, num) else v for v, num in zip(r, numeric)]
                    for r in dataframe.itertuples(index=False, name=None)]
        if columns is None:
            columns = list(DEFAULT_COLUMNS) if not data else (
                list(DEFAULT_COLUMNS) if len(data[0]) == 3 else [f"c{i}" for i in range(len(data[0]))])
        self.columns: list[str] = _columns(columns)
        self.data: list[list[Any]] = []
        if data is not None:
            if isinstance(data, np.ndarray):
                if data.ndim != 2:
                    raise ValueError(f"data: expected a 2-D array of rows, got shape {data.shape}")
                data = data.tolist()
            if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
                raise TypeError(f"data: expected a list of rows, got {type(data).__name__}")
            data = list(data)
            if len(data) > MAX_ROWS:
                raise ValueError(f"data: a table holds at most {MAX_ROWS:,} rows, got {len(data):,}")
            for row in data:
                self.add_data(*(row.tolist() if isinstance(row, np.ndarray) else row))

    def add_data(self, *row: Any) -> None:
        """Append one row; its length must match the columns."""
        i = len(self.data)
        if len(row) != len(self.columns):
            raise ValueError(f"add_data: row {i} has {len(row)} values, expected {len(self.columns)} "
                             f"(columns {self.columns})")
        if i >= MAX_ROWS:
            raise ValueError(f"add_data: a table holds at most {MAX_ROWS:,} rows")
        self.data.append([v if type(v) in _PLAIN else _cell(v, f"row {i}, column {c!r}")
                          for v, c in zip(row, self.columns)])

    def add_column(self, name: str, data: Sequence[Any]) -> None:
        if name in self.columns:
            raise ValueError(f"add_column: column {name!r} exists already")
        data = list(data)
        if len(data) != len(self.data):
            raise ValueError(f"add_column: expected {len(self.data)} values, got {len(data)}")
        cells = [_cell(v, f"row {i}, column {name!r}") for i, v in enumerate(data)]
        self.columns.append(str(name))
        for r, v in zip(self.data, cells):
            r.append(v)

    def get_column(self, name: str, convert_to: str | None = None) -> list[Any] | np.ndarray:
        """The values of column ``name`` (``convert_to="numpy"`` for an array)."""
        if name not in self.columns:
            raise KeyError(f"get_column: no column {name!r}; columns are {self.columns}")
        j = self.columns.index(name)
        values = [r[j] for r in self.data]
        if convert_to == "numpy":
            return np.asarray(values)
        if convert_to is not None:
            raise ValueError(f"convert_to: expected None or 'numpy', got {convert_to!r}")
        return values

    def iterrows(self):
        """Yield ``(index, row)`` pairs, as wandb.Table does."""
        for i, row in enumerate(self.data):
            yield i, list(row)

    def __len__(self) -> int:
        return len(self.data)

    def plain(self, ctx: MediaContext | None = None) -> dict[str, Any]:
        """``{"columns", "data"}`` with media cells stored through ``ctx`` as records."""
        rows = []
        for i, row in enumerate(self.data):
            out = []
            for j, v in enumerate(row):
                if isinstance(v, Media):
                    if ctx is None:
                        raise ValueError("a table with media cells needs a run folder to store them")
                    v = v.to_record(ctx.sub(f"r{i}c{j}"))
                out.append(v)
            rows.append(out)
        return {"columns": list(self.columns), "data": rows}

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        return {
            "_type": self.TYPE,
            "path": ctx.write_json("tables", self.plain(ctx)),
            "columns": list(self.columns),
            "nrows": len(self.data),
        }

    def __repr__(self) -> str:
        return f"<Table {len(self.data)} rows x {self.columns}>"


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
