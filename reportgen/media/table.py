"""Table: rows of numbers, strings, bools, None, lists, dicts, arrays and media objects.

Stored as a JSON file ``{"columns": [...], "data": [[...], ...]}``; a media cell
is stored as its own files and appears in the JSON as its record (names carry an
``r<row>c<col>`` suffix so they stay unique). An N-d array cell becomes a
``tensor`` record (a ``.npy`` file plus its shape and statistics); a 1-D numeric
array of at most 150 values (an embedding) is kept inline as a list, as wandb does.

Column types and the ``log_mode`` semantics follow ``wandb.Table``
(:mod:`.table_types`, docs/media.md "Table"); what a cell may hold is in :mod:`.table_cells`.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from . import table_types as tt
from .base import Media, MediaContext
from .table_cells import (PLAIN as _PLAIN, _cell, _columns, _is_dataframe, _is_na,
                          _is_numeric, _rows, _stored_cell)

DEFAULT_COLUMNS = ["Input", "Output", "Expected"]
MAX_ROWS = 10_000
LOG_MODES = ("IMMUTABLE", "MUTABLE", "INCREMENTAL")
_FAST_KIND = {int: "number", float: "number", str: "string", bool: "bool"}


def _per_column(value: Any, n: int, arg: str) -> list[Any]:
    if isinstance(value, list):
        if len(value) != n:
            raise ValueError(f"{arg}: expected one entry per column ({n}), got {len(value)}")
        return value
    return [value] * n


class Table(Media):
    """A table, as ``wandb.Table(columns=None, data=None, rows=None, dataframe=None, dtype=None,
    optional=True, allow_mixed_types=False, log_mode="IMMUTABLE")``."""

    TYPE = "table"
    MAX_ROWS = MAX_ROWS

    def __init__(self, columns: Sequence[Any] | None = None, data: Any = None,
                 rows: Sequence[Sequence[Any]] | None = None, dataframe: Any = None, dtype: Any = None,
                 optional: bool | list[bool] = True, allow_mixed_types: bool = False,
                 log_mode: str | None = "IMMUTABLE"):
        if log_mode not in LOG_MODES:
            raise ValueError(f"log_mode: expected one of {', '.join(LOG_MODES)}, got {log_mode!r}")
        if not isinstance(allow_mixed_types, bool):
            raise TypeError(f"allow_mixed_types: expected True or False, got {allow_mixed_types!r}")
        self.log_mode = log_mode
        self._logged: dict[Path, dict[str, Any]] = {}  # run folder -> record (IMMUTABLE re-logs reuse it)
        self._increments: dict[Path, list[str]] = {}  # INCREMENTAL: increment files written per run folder
        self._logged_rows: dict[Path, int] = {}
        self._warned_immutable = False
        self._pk: str | None = None
        self._fks: dict[str, tuple[Table, str]] = {}
        if rows is not None and data is not None:
            raise ValueError("pass either data= or rows= (they are the same thing), not both")
        data = rows if data is None else data
        if _is_dataframe(data):
            data, dataframe = None, data
        if dataframe is not None:
            if data is not None:
                raise ValueError("pass either dataframe= or data=, not both")
            if not _is_dataframe(dataframe):
                raise TypeError(f"dataframe: expected a pandas DataFrame, got {type(dataframe).__name__}")
            columns = list(dataframe.columns)  # as wandb: the frame's columns win
            numeric = [_is_numeric(dataframe.iloc[:, j]) for j in range(dataframe.shape[1])]
            data = [[None if _is_na(v, num) else v for v, num in zip(r, numeric)]
                    for r in dataframe.itertuples(index=False, name=None)]
        if data is not None:
            data = _rows(data)
        if columns is None:
            columns = list(DEFAULT_COLUMNS) if not data or len(data[0]) == 3 else \
                [f"c{i}" for i in range(len(data[0]))]
        self.columns: list[str] = _columns(columns)
        self.data: list[list[Any]] = []
        if allow_mixed_types:
            dtype = "any"
        opts = _per_column(optional, len(self.columns), "optional")
        dtypes = _per_column(dtype, len(self.columns), "dtype")
        self._types: dict[str, tt.ColumnType] = {}
        for name, d, o in zip(self.columns, dtypes, opts):
            if not isinstance(o, bool):
                raise TypeError(f"optional: expected True/False (or one per column), got {o!r}")
            t = tt.type_from_dtype(d, f"dtype for column {name!r}")
            t.optional = o
            self._types[name] = t
        if data is not None:
            if len(data) > self.MAX_ROWS and log_mode != "INCREMENTAL":
                raise ValueError(f"data: a table holds at most {self.MAX_ROWS:,} rows, got {len(data):,}")
            for row in data:
                self.add_data(*row)

    # -- mutation --------------------------------------------------------------------------------
    def _mutating(self, op: str) -> None:
        """wandb's log_mode rules: MUTABLE re-logs the new content, IMMUTABLE warns once that
        re-logging shows the first logged content, INCREMENTAL only appends."""
        if self.log_mode == "MUTABLE":
            self._logged.clear()
        elif self.log_mode == "IMMUTABLE" and self._logged and not self._warned_immutable:
            self._warned_immutable = True
            warnings.warn(f"Table.{op}: this table (log_mode='IMMUTABLE') was logged already; logging it "
                          "again shows the content it had then. Use Table(..., log_mode='MUTABLE') to "
                          "re-log changes, or 'INCREMENTAL' to append rows", stacklevel=3)

    def _no_incremental(self, op: str) -> None:
        if self.log_mode == "INCREMENTAL":
            raise ValueError(f"Table.{op}: not supported for tables with log_mode='INCREMENTAL' "
                             "(use 'MUTABLE' or 'IMMUTABLE')")

    def add_data(self, *row: Any) -> None:
        """Append one row; its length must match the columns and its values the column types."""
        i = len(self.data)
        if len(row) != len(self.columns):
            raise ValueError(f"add_data: row {i} has {len(row)} values, expected {len(self.columns)} "
                             f"(columns {self.columns})")
        if i >= self.MAX_ROWS and self.log_mode != "INCREMENTAL":
            raise ValueError(f"add_data: a table holds at most {self.MAX_ROWS:,} rows")
        cells = [v if type(v) in _PLAIN else _cell(v, f"row {i}, column {c!r}") for v, c in zip(row, self.columns)]
        types, new = self._types, None
        for v, c in zip(cells, self.columns):
            t = types[c]
            if t.kind == "any" or _FAST_KIND.get(type(v), "") == t.kind or (v is None and t.optional):
                continue  # the common case, checked without building messages
            if new is None:
                new = {}
            new[c] = tt.assign(t, v, f"add_data: row {i}, column {c!r}")
        if self._logged:
            self._mutating("add_data")
        if new:
            types.update(new)
        self.data.append(cells)

    def add_row(self, *row: Any) -> None:
        """Deprecated alias of :meth:`add_data` (as in wandb)."""
        self.add_data(*row)

    def add_column(self, name: str, data: Sequence[Any], optional: bool = False) -> None:
        """Append a column; ``data`` has one value per row (a list or an array)."""
        self._no_incremental("add_column")
        if not isinstance(name, str):
            raise TypeError(f"add_column: name must be a string, got {type(name).__name__}")
        if name in self.columns:
            raise ValueError(f"add_column: column {name!r} exists already")
        if isinstance(data, (str, bytes)) or not hasattr(data, "__len__"):
            raise TypeError(f"add_column: data must be a list or an array, got {type(data).__name__}")
        values = list(data)
        if self.columns and len(values) != len(self.data):
            raise ValueError(f"add_column: expected {len(self.data)} values, got {len(values)}")
        cells = [_cell(v, f"add_column: row {i}, column {name!r}") for i, v in enumerate(values)]
        t = tt.ColumnType("unknown", optional)
        for i, v in enumerate(cells):
            t = tt.assign(t, v, f"add_column: row {i}, column {name!r}")
        self._mutating("add_column")
        if not self.columns:
            self.data = [[] for _ in cells]
        self.columns.append(name)
        self._types[name] = t
        for r, v in zip(self.data, cells):
            r.append(v)

    def add_computed_columns(self, fn: Callable[[int, dict[str, Any]], dict[str, Any]]) -> None:
        """Add columns computed per row: ``fn(index, {column: value})`` returns ``{new column: value}``."""
        self._no_incremental("add_computed_columns")
        if not callable(fn):
            raise TypeError(f"fn: expected a function (index, row dict) -> dict, got {type(fn).__name__}")
        new: dict[str, list[Any]] = {}
        for i, row in enumerate(self.data):
            out = fn(i, dict(zip(self.columns, row)))
            if not isinstance(out, dict):
                raise TypeError(f"fn: must return a dict of new column values, returned {type(out).__name__} "
                                f"for row {i}")
            for k, v in out.items():
                new.setdefault(k, []).append(v)
        for k, vals in new.items():
            if len(vals) != len(self.data):
                raise ValueError(f"fn: column {k!r} was returned for {len(vals)} of {len(self.data)} rows")
        for k, vals in new.items():
            self.add_column(k, vals)

    def cast(self, col_name: Any, dtype: Any, optional: bool = False) -> tt.ColumnType:
        """Fix the type of column ``col_name`` (int, str, Image, an example value ...); existing
        values must fit it."""
        name = self._col(col_name, "cast")
        t = tt.type_from_dtype(dtype, "cast: dtype")
        t.optional = bool(optional)
        j = self.columns.index(name)
        for i, row in enumerate(self.data):
            t = tt.assign(t, row[j], f"cast: row {i}, column {name!r}", allow_hint=False)
        self._mutating("cast")
        self._types[name] = t
        return t

    def set_pk(self, col_name: Any) -> None:
        """Mark ``col_name`` as the primary key (its values are strings or numbers, not None)."""
        name = self._col(col_name, "set_pk")
        if self._pk is not None and self._pk != name:
            raise ValueError(f"set_pk: column {self._pk!r} is the primary key already")
        self.cast(name, tt.ColumnType("primary_key", optional=False))
        self._pk = name

    def set_fk(self, col_name: Any, table: "Table", table_col: str) -> None:
        """Mark ``col_name`` as a foreign key into ``table[table_col]``."""
        name = self._col(col_name, "set_fk")
        if not isinstance(table, Table):
            raise TypeError(f"set_fk: table must be a Table, got {type(table).__name__}")
        if table is self:
            raise ValueError("set_fk: a foreign key cannot point into the same table")
        table._col(table_col, "set_fk: table_col")
        if name == self._pk:
            raise ValueError(f"set_fk: column {name!r} is the primary key")
        self.cast(name, tt.ColumnType("foreign_key", optional=False))
        self._fks[name] = (table, str(table_col))

    # -- reading ---------------------------------------------------------------------------------
    def _col(self, name: Any, op: str) -> str:
        key = name if isinstance(name, str) else str(name)
        if key not in self.columns:
            raise KeyError(f"{op}: no column {name!r}; columns are {self.columns}")
        return key

    def get_column(self, name: Any, convert_to: str | None = None) -> list[Any] | np.ndarray:
        """The values of column ``name`` (``convert_to="numpy"`` for an array; images become pixels)."""
        if convert_to not in (None, "numpy"):
            raise ValueError(f"convert_to: expected None or 'numpy', got {convert_to!r}")
        j = self.columns.index(self._col(name, "get_column"))
        values = [r[j] for r in self.data]
        if convert_to == "numpy":
            return np.array([v.to_data_array() if hasattr(v, "to_data_array") else v for v in values])
        return values

    def get_index(self) -> list[int]:
        """Row indices, as wandb's ``get_index`` (plain ints here: links between tables are not drawn)."""
        return list(range(len(self.data)))

    def index_ref(self, index: int) -> int:
        if not 0 <= index < len(self.data):
            raise IndexError(f"index_ref: row {index} out of range 0..{len(self.data) - 1}")
        return index

    def get_dataframe(self):
        """The table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame.from_records(self.data, columns=self.columns)

    def iterrows(self):
        """Yield ``(index, row)`` pairs, as wandb.Table does."""
        for i, row in enumerate(self.data):
            yield i, row

    @property
    def column_types(self) -> dict[str, str]:
        """``{column: type}`` as stored (``number``, ``string``, ``image``, ``any``...)."""
        return {c: self._types[c].stored() for c in self.columns}

    def __len__(self) -> int:
        return len(self.data)

    # -- storing ---------------------------------------------------------------------------------
    def plain(self, ctx: MediaContext | None = None, start: int = 0, stop: int | None = None) -> dict[str, Any]:
        """``{"columns", "data"}`` (rows ``start:stop``) with media cells stored through ``ctx``."""
        rows = []
        for i, row in enumerate(self.data[start:stop], start):
            out = []
            for j, v in enumerate(row):
                if type(v) not in _PLAIN:
                    v = _stored_cell(v, ctx, i, j)
                out.append(v)
            rows.append(out)
        return {"columns": list(self.columns), "data": rows}

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        run = Path(ctx.run_dir)
        if self.log_mode == "INCREMENTAL":
            return self._increment(ctx, run)
        if self.log_mode == "IMMUTABLE" and run in self._logged:
            return dict(self._logged[run])
        record = self._record(ctx.write_json("tables", self.plain(ctx)), len(self.data))
        self._logged[run] = record
        return dict(record)

    def _record(self, path: str, nrows: int) -> dict[str, Any]:
        record: dict[str, Any] = {"_type": self.TYPE, "path": path, "columns": list(self.columns),
                                  "nrows": nrows, "column_types": self.column_types}
        if self.log_mode != "IMMUTABLE":
            record["log_mode"] = self.log_mode
        if self._pk is not None:
            record["primary_key"] = self._pk
        if self._fks:
            record["foreign_keys"] = {c: col for c, (_, col) in self._fks.items()}
        return record

    def _increment(self, ctx: MediaContext, run: Path) -> dict[str, Any]:
        start = self._logged_rows.get(run, 0)
        stop = min(len(self.data), start + self.MAX_ROWS)
        if stop < len(self.data):
            warnings.warn(f"Table: an increment holds at most {self.MAX_ROWS:,} rows; the other "
                          f"{len(self.data) - stop:,} new rows go into the next log", stacklevel=4)
        if run not in self._increments:  # a resumed run continues the increments logged before
            self._increments[run] = _resumed_increments(run, ctx.key)
        previous = self._increments[run]
        path = ctx.sub(f"i{len(previous)}").write_json("tables", self.plain(ctx, start, stop))
        record = self._record(path, stop - start)
        record.update(increment_num=len(previous), previous_increments=list(previous), row_offset=start)
        previous.append(path)
        self._logged_rows[run] = stop
        self._mutating("log")
        return record

    def __repr__(self) -> str:
        return f"<Table {len(self.data)} rows x {self.columns}>"


def _resumed_increments(run: Path, key: str) -> list[str]:
    """In a resumed run, the increment files of the INCREMENTAL table last logged under ``key``
    (from the summary the previous session left), as wandb continues them; else []."""
    from ..storage.jsonio import read_json

    try:
        if not read_json(run / "run.json").get("resumed"):
            return []
        rec = read_json(run / "summary.json").get(key)
    except (OSError, ValueError, AttributeError):
        return []
    if isinstance(rec, dict) and rec.get("_type") == "table" and rec.get("log_mode") == "INCREMENTAL" \
            and isinstance(rec.get("path"), str):
        return [p for p in rec.get("previous_increments") or [] if isinstance(p, str)] + [rec["path"]]
    return []
