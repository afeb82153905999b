"""A CSV file read a part at a time, in memory bounded whatever its size (``reportgen import csv``).

The file is opened once (:func:`~reportgen.storage.safety.open_regular`: a regular file, checked on
its descriptor) and read twice through that descriptor, a part of rows at a time:

- the first pass settles each column's type as reading the file whole would have: pandas infers a
  type per part, so a column of numbers with one text cell was text in that part alone (``"0.5"``
  there, ``0.5`` elsewhere), a column of integers with an empty cell floats in that part alone (``3.0``
  and ``3`` in the history), and a run column's ``1`` became ``1.0`` (another run) where a cell was
  empty. It also counts the rows and tells whether the steps never go down (then the rows can be
  written as they are read; else they are sorted on disk first: :mod:`.steporder`).
- the second yields the parts, each column of the type the whole file gives it, and no more rows
  than the first pass counted (a file still being written gains none between the passes).

A file that is mostly holes (``truncate -s 2G``: free to make) is read only to its first
:data:`CSV_MAX` bytes (the complete lines in them, with a warning): its data is what the file system
holds, not what it says. A file of real rows is read whole, however large: no part of it is in memory
at once but a part of rows (an export of 2 GiB and more was cut at 2 GiB, after being read whole
into memory).
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from ..storage.safety import open_regular
from ..storage.sparse import mostly_holes
from .common import SOURCE_MAX, Problems

CSV_MAX = SOURCE_MAX  # bytes of a sparse CSV read (the rows after them are not: a sparse file is free to make)
PART_CELLS = 250_000  # cells (rows x columns) of a CSV parsed at a time
PART_ROWS = 100_000  # rows parsed at a time at the most (a table of few columns)

_NUMBER = {"integer", "floating"}


def part_rows(columns: int) -> int:
    """Rows of a part of a table of ``columns`` columns: :data:`PART_CELLS` cells (a table of 5,000
    columns parsed 100,000 rows at a time held 500M cells), at most :data:`PART_ROWS` rows."""
    return max(1, min(PART_ROWS, PART_CELLS // max(1, columns)))


def _kind(series) -> str:
    """What a column of one part holds: "empty" (no value), "integer", "floating", "boolean", "string",
    or another of pandas' ``infer_dtype`` names (a mix)."""
    import pandas as pd

    if series.dtype.kind in "iu":
        return "integer"
    if series.dtype.kind == "f":
        return "empty" if series.isna().all() else "floating"
    if series.dtype.kind == "b":
        return "boolean"
    kind = pd.api.types.infer_dtype(series, skipna=True)
    return "empty" if kind == "empty" else kind


def _whole_type(kinds: set[str]) -> str | None:
    """The type the whole file gives a column whose parts held ``kinds`` (None: what each part has,
    the same as the whole file's): numbers of both kinds are floats; numbers, booleans and text
    mixed are the cells' text, as pandas keeps them when a column is not all numbers or booleans."""
    if kinds == {"integer", "empty"}:  # (integers with empty cells are floats)
        return "float64"
    kinds = kinds - {"empty"}
    if len(kinds) <= 1:
        return None
    return "float64" if kinds <= _NUMBER else "object"


def steps_rise(column, last=None) -> tuple[bool, object]:
    """Whether the numbers of the step column ``column`` never go down, from ``last`` (the previous
    part's last step; None: none), and its last step. Cells that are no number or infinite are left
    aside (their rows are skipped)."""
    import numpy as np
    import pandas as pd

    steps = pd.to_numeric(column, errors="coerce")
    steps = steps[np.isfinite(steps)]
    if not len(steps):
        return True, last
    return bool(steps.is_monotonic_increasing and (last is None or steps.iat[0] >= last)), steps.iat[-1]


class CsvTable:
    """The CSV file ``path`` opened for reading a part at a time: :attr:`columns` (its header), then
    :meth:`scan` (the first pass) and :meth:`parts` (the second). A context manager (closes the file)."""

    def __init__(self, path: Path, problems: Problems):
        self.path = path
        self._fh = open_regular(path)  # (one open: a regular file, checked on its descriptor)
        try:
            self._src = self._prefix_of_sparse(problems)
            import pandas as pd

            self.columns = list(pd.read_csv(self._src, nrows=0).columns)
            self._src.seek(0)
        except BaseException:
            self._fh.close()
            raise
        self.rows = 0
        self.ordered = True
        self._dtype: dict = {}
        self._chunk = part_rows(len(self.columns))

    def _prefix_of_sparse(self, problems: Problems):
        """What is read of the file: the file, or (mostly holes, larger than :data:`CSV_MAX`) its complete
        lines within its first :data:`CSV_MAX` bytes, with a warning."""
        fd = self._fh.fileno()
        size = os.fstat(fd).st_size
        # (mostly holes: measured by SEEK_DATA, not st_blocks, which a dense CSV on a compressing file
        # system is also short of)
        if size <= CSV_MAX or mostly_holes(fd) is None:
            return self._fh
        data = self._fh.read(CSV_MAX + 1)
        if len(data) <= CSV_MAX:  # (it shrank since)
            return io.BytesIO(data)
        problems.warn(f"{self.path}: larger than {CSV_MAX >> 20} MiB ({size:,} bytes); only "
                      f"the rows in its first {CSV_MAX >> 20} MiB are imported")
        return io.BytesIO(data[:data.rfind(b"\n", 0, CSV_MAX) + 1])

    def __enter__(self) -> "CsvTable":
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()

    def _read(self, **kwargs):
        import pandas as pd

        self._src.seek(0)
        return pd.read_csv(self._src, chunksize=self._chunk, **kwargs)

    def scan(self, step_col: str | None) -> None:
        """The first pass: each column's type over the whole file, the rows, and whether the numbers
        of ``step_col`` (None: the row number) never go down (cells that are no number are left aside:
        their rows are skipped)."""
        kinds: dict = {}
        last = None
        with self._read() as parts:
            for part in parts:
                self.rows += len(part)
                for col in part.columns:
                    kinds.setdefault(col, set()).add(_kind(part[col]))
                if step_col is not None and self.ordered:
                    self.ordered, last = steps_rise(part[step_col], last)
        self._dtype = {c: t for c, k in kinds.items() if (t := _whole_type(k)) is not None}

    def parts(self):
        """The second pass: the rows :meth:`scan` counted, a part at a time, each column of the type the
        whole file gives it."""
        if not self.rows:
            return
        with self._read(dtype=self._dtype or None, nrows=self.rows) as parts:
            yield from parts
