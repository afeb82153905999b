"""A CSV file read a part at a time, in memory bounded whatever its size (``reportgen import csv``).

The file is opened once (:func:`~reportgen.storage.safety.open_regular`: a regular file, checked on
its descriptor) and read once, a block of whole rows at a time (:mod:`.csvblocks`: a row longer than
16 MiB is read cell by cell, a cell longer than 1 MiB left out with a warning), each block parsed by
pandas. pandas types each part on its own, so a column's type is settled by the first part that holds
a value of it, and kept in the parts after (:mod:`.csvkinds`):

- numbers (most of its cells are numbers): a cell that is no number is left out of its row, with a
  warning naming the row, the column and the cell (the column stayed numbers in the parts without
  such a cell and became text in the part with one); integers stay integers where a part's empty
  cell makes pandas read them as floats, and floats stay floats where a part holds only integers.
- text (most of its cells are not numbers): the cells' text, read as text in every part after it
  (a part of numbers alone would read them as numbers).

The run column (``--run-col``) is read as text: a run is named by its cell as written (``7``; pandas
made it ``7.0`` where a cell of the column was empty). Whether the steps never go down is found as
the rows are read (:attr:`CsvTable.ordered`), or by :meth:`CsvTable.scan_steps`, which reads the step
column alone.

Bytes that are not UTF-8 (a Latin-1 ``café``, one corrupt byte) are read as replacement characters
(U+FFFD), so a text cell keeps the rest of its text and a number cell holding them is left out as text
in a column of numbers is; one warning names the file and the first line holding them (the file was
skipped whole).

A file that is mostly holes (``truncate -s 2G``: free to make) is read only to its first
:data:`CSV_MAX` bytes (the complete lines in them, with a warning): its data is what the file system
holds, not what it says.
"""
from __future__ import annotations

import functools
import io
import os
from pathlib import Path

from ..storage.safety import open_regular
from .csvblocks import CELL_MAX, ROW_MAX, BigRow, Blocks, line_ends
from .csvkinds import ColumnKinds
from ..storage.sparse import mostly_holes
from .common import SOURCE_MAX, Problems

CSV_MAX = SOURCE_MAX  # bytes of a sparse CSV read (the rows after them are not: a sparse file is free to make)
PART_CELLS = 250_000  # cells (rows x columns) of a CSV parsed at a time
PART_ROWS = 100_000  # rows parsed at a time at the most (a table of few columns)


def part_rows(columns: int) -> int:
    """Rows of a part of a table of ``columns`` columns: :data:`PART_CELLS` cells (a table of 5,000
    columns parsed 100,000 rows at a time held 500M cells), at most :data:`PART_ROWS` rows."""
    return max(1, min(PART_ROWS, PART_CELLS // max(1, columns)))


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


class NotUtf8:
    """Where the bytes of a CSV that are not UTF-8 are: the first line holding them (:attr:`where`) and
    how many sequences of them there are (:attr:`count`)."""

    def __init__(self) -> None:
        self.where: str | None = None
        self.count = 0

    def check(self, data: bytes, line: int, row: bool = False) -> None:
        """``data``, which starts at the file's line ``line`` (``row``: it is one row read cell by cell,
        named by the line it starts at)."""
        try:
            data.decode("utf-8")
            return
        except UnicodeDecodeError as exc:
            if self.where is None:
                line += 0 if row else data.count(b"\n", 0, exc.start)
                self.where = f"the row at line {line:,}" if row else f"line {line:,}"
        self.count += data.decode("utf-8", "replace").count("\ufffd") - data.count("\ufffd".encode())

    def warn(self, path: Path, problems: Problems) -> None:
        if self.where is not None:
            many = f" ({self.count:,} such sequences in the file)" if self.count > 1 else ""
            problems.warn(f"{path}: {self.where}: bytes that are not UTF-8{many}; read as replacement characters "
                          "(U+FFFD), a cell of a column of numbers holding them left out")


class CsvTable:
    """The CSV file ``path`` opened for reading a part at a time: :attr:`columns` (its header), then
    :meth:`parts`. A context manager (closes the file)."""

    def __init__(self, path: Path, problems: Problems):
        import pandas as pd

        self.path = path
        self.problems = problems
        self._fh = open_regular(path)  # (one open: a regular file, checked on its descriptor)
        try:
            self._src = line_ends(self._prefix_of_sparse(problems))
            head = Blocks(self._src).header()
            self._head, self._data_at, self._data_line = head, len(head), 1 + head.count(b"\n")
            self.columns = list(pd.read_csv(io.BytesIO(head), nrows=0, encoding_errors="replace").columns)
        except BaseException:
            self._fh.close()
            raise
        self.rows = 0
        self.ordered: bool | None = None  # whether the steps never go down (None: not known yet)
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

    def _blocks(self, warn: bool = True):
        """The CSV bytes of each block of rows, from the first under the header (:mod:`.csvblocks`); the
        cells that a row too long to hold left out are warned of (with ``warn``)."""
        self._src.seek(self._data_at)
        line = self._data_line
        for block in Blocks(self._src).blocks(self._chunk, len(self.columns)):
            if isinstance(block, BigRow):
                for i, size in block.refused if warn else ():
                    self._left_out(self.rows + 1, self.columns[i] if i < len(self.columns) else i,
                                   f"a cell of {size:,} bytes (more than {CELL_MAX >> 20} MiB, or past "
                                   f"{ROW_MAX >> 20} MiB in its row)")
                lines, block = block.lines, block.csv()
                if warn:
                    self._not_utf8.check(block, line, row=True)
            else:
                lines = block.count(b"\n")
                if warn:
                    self._not_utf8.check(block, line)
            line += lines
            yield block

    def _parse(self, block: bytes, start: int, **kwargs):
        import pandas as pd

        try:
            return pd.read_csv(io.BytesIO(block), header=None, names=self.columns, index_col=False,
                               encoding_errors="replace", **kwargs)
        except pd.errors.EmptyDataError:  # (blank lines only)
            return pd.DataFrame(columns=self.columns)
        except pd.errors.ParserError as exc:
            raise ValueError(f"{exc} (lines counted from row {start + 1}, the first under the header)") from None

    def _as_text(self, block: bytes, start: int, columns: list):
        """The ``columns`` of ``block`` parsed as text."""
        return self._parse(block, start, usecols=columns, dtype=dict.fromkeys(columns, str))

    def _left_out(self, row: int, column, what: str) -> None:
        self.problems.some(str(self.path), "cells left out",
                           f"{self.path}: row {row}, column {column!r}: {what}; left out")

    def scan_steps(self, step_col: str | None) -> None:
        """Whether the numbers of ``step_col`` (None: the row number) never go down, read from that column
        alone (:attr:`ordered`)."""
        self.ordered, last = True, None
        if step_col is None:
            return
        rows = 0
        for block in self._blocks(warn=False):
            part = self._parse(block, rows, usecols=[step_col])
            rows += len(part)
            self.ordered, last = steps_rise(part[step_col], last)
            if not self.ordered:
                return

    def parts(self, step_col: str | None = None, run_col: str | None = None):
        """The rows, a part at a time, each column of the type its first values settled (the module's
        doc); ``step_col`` is left as each part reads it, ``run_col`` read as text. Sets :attr:`ordered`
        once every part is read."""
        kinds, self.rows = ColumnKinds(self._left_out), 0
        self._not_utf8 = NotUtf8()
        self._not_utf8.check(self._head, 1)
        rising, last = True, None
        text = {run_col} if run_col is not None else set()
        for block in self._blocks():
            start = self.rows
            part = self._parse(block, start, dtype=dict.fromkeys(text, str) or None)
            settled = kinds.settle(part, {step_col, run_col}, functools.partial(self._as_text, block, start))
            if settled:  # (columns that are text from here on: this part's cells as written)
                text |= settled
                part = self._parse(block, start, dtype=dict.fromkeys(text, str))
            part = kinds.typed(part, text | {step_col}, start)
            if step_col in part and rising:
                rising, last = steps_rise(part[step_col], last)
            self.rows += len(part)
            yield part
        self.ordered = rising
        self._not_utf8.warn(self.path, self.problems)
