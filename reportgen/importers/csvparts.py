"""A CSV file read a part at a time, in memory bounded whatever its size (``reportgen import csv``).

The file is opened once (:func:`~reportgen.storage.safety.open_regular`: a regular file, checked on
its descriptor) and read once, a block of whole rows at a time (:mod:`.csvblocks`: a row longer than
16 MiB is read cell by cell, a cell longer than 1 MiB left out with a warning), each block parsed by
pandas. pandas types each part on its own, so a column's type is settled by the first part that holds
a value of it, and kept in the parts after:

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

import io
import os
from pathlib import Path

from ..storage.safety import open_regular
from .csvblocks import CELL_MAX, ROW_MAX, BigRow, Blocks, line_ends
from ..storage.sparse import mostly_holes
from .common import SOURCE_MAX, Problems

CSV_MAX = SOURCE_MAX  # bytes of a sparse CSV read (the rows after them are not: a sparse file is free to make)
PART_CELLS = 250_000  # cells (rows x columns) of a CSV parsed at a time
PART_ROWS = 100_000  # rows parsed at a time at the most (a table of few columns)


def _integers(cells):
    """Whether each of the text ``cells`` (a Series) is written as an integer."""
    return cells.str.fullmatch(r"\s*[+-]?\d+\s*")

def _all_integers(cells):
    """For each column of the 2-D object array ``cells`` (text, or NaN where empty), whether every cell
    of it is written as an integer (matched at once: a match a column cost ~1 ms a column)."""
    import numpy as np
    import pandas as pd

    present = pd.notna(cells)
    ok = np.ones(cells.shape, dtype=bool)
    ok[present] = _integers(pd.Series(cells[present], dtype=object).astype(str)).to_numpy(dtype=bool)
    return ok.all(axis=0)


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
        self._kinds: dict = {}  # column -> "integer", "float", "text" or "other", settled by its first values
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
        self._kinds, self.rows = {}, 0
        self._not_utf8 = NotUtf8()
        self._not_utf8.check(self._head, 1)
        rising, last = True, None
        text = {run_col} if run_col is not None else set()
        for block in self._blocks():
            start = self.rows
            part = self._parse(block, start, dtype=dict.fromkeys(text, str) or None)
            settled = self._settle(part, {step_col, run_col}, block, start)
            if settled:  # (columns that are text from here on: this part's cells as written)
                text |= settled
                part = self._parse(block, start, dtype=dict.fromkeys(text, str))
            part = self._typed(part, text | {step_col}, start)
            if step_col in part and rising:
                rising, last = steps_rise(part[step_col], last)
            self.rows += len(part)
            yield part
        self.ordered = rising
        self._not_utf8.warn(self.path, self.problems)

    def _settle(self, part, skip: set, block: bytes, start: int) -> set:
        """Settle the type of the columns of ``part`` not settled yet that hold a value; the ones
        settled as text. Columns of numbers are settled all at once (taken out one at a time, a
        20,000-column table spent ~1 ms a column); a column of text is taken alone."""
        cols = part.columns.tolist()
        dtypes = [d.kind for d in part.dtypes]
        todo = [j for j, col in enumerate(cols) if col not in self._kinds and col not in skip]
        text = set()
        for j in todo:
            if dtypes[j] in "iu":
                self._kinds[cols[j]] = "integer"
            elif dtypes[j] == "b":
                self._kinds[cols[j]] = "other"
            elif dtypes[j] != "f":
                kind = self._kind_of_text(part.iloc[:, j])
                if kind is not None:
                    self._kinds[cols[j]] = kind
                    if kind == "text":
                        text.add(cols[j])
        # (integral floats with an empty cell: integers unless a cell is written as a float)
        holed = self._settle_floats(part, [j for j in todo if dtypes[j] == "f"], cols)
        if holed:  # (one parse of the block as text for all of them: a parse each made 30,000 columns take minutes)
            cells = self._parse(block, start, usecols=holed, dtype=dict.fromkeys(holed, str))
            for col, whole in zip(cells.columns.tolist(), _all_integers(cells.to_numpy(dtype=object))):
                self._kinds[col] = "integer" if whole else "float"
        return text

    def _settle_floats(self, part, floats: list, cols: list) -> list:
        """Settle the columns at ``floats`` (read as floats) that hold a value: floats, but for those whose
        values are all integral with an empty cell, which are returned (their cells as written tell)."""
        import numpy as np

        if not floats:
            return []
        values = part.iloc[:, floats].to_numpy(dtype=float)
        empty = np.isnan(values)
        integral = (np.where(empty, 0.0, values) == np.round(np.where(empty, 0.0, values))).all(axis=0)
        holed = []
        for j, some, whole, holes in zip(floats, (~empty).any(axis=0), integral, empty.any(axis=0)):
            if some and whole and holes:
                holed.append(cols[j])
            elif some:
                self._kinds[cols[j]] = "float"
        return holed

    @staticmethod
    def _kind_of_text(s):
        """The kind of a column read as text ``s`` (None: no value)."""
        import pandas as pd

        cells = s.dropna()
        if not len(cells):
            return None
        numbers = pd.to_numeric(cells, errors="coerce")
        if pd.api.types.infer_dtype(cells, skipna=True) == "boolean":
            return "other"
        if numbers.notna().sum() * 2 > len(cells):
            return "integer" if _integers(cells[numbers.notna()].astype(str)).all() else "float"
        return "text"

    def _typed(self, part, skip: set, start: int):
        """``part`` with its columns of the types settled: text cells of number columns left out
        (warned of), integers and floats as settled; text cells longer than :data:`CELL_MAX` left out.
        The columns a type changes are converted a kind at a time, each kind as one 2-D array, and put
        in a new frame at once: set one at a time into ``part``, each cost as much as the columns
        already set (a CSV of 100,000 columns and one row took 10 minutes to import), and taken out
        and converted one at a time, a 20,000-column table spent ~1 ms a column in every part."""
        import numpy as np
        import pandas as pd

        cols = part.columns.tolist()
        dtypes = [d.kind for d in part.dtypes]
        texts = [j for j, k in enumerate(dtypes) if k not in "iufb"]
        changed: dict = {}  # position -> Series (a column taken alone: long text cells, text in numbers)
        for j in self._long_cells(part, texts):
            s = part.iloc[:, j]
            long = (s.str.len() > CELL_MAX).to_numpy()
            for i in np.flatnonzero(long):
                self._left_out(start + i + 1, cols[j], f"a cell of {len(s.iat[i]):,} characters (more than "
                               f"{CELL_MAX >> 20} MiB)")
            changed[j] = s.where(~long)
        to_float, holed = [], []  # positions of integer columns settled floats; of integral floats (with holes)
        for j, col in enumerate(cols):
            kind = self._kinds.get(col)
            if col in skip or kind not in ("integer", "float"):
                continue
            if dtypes[j] not in "iuf":
                s = changed.get(j, part.iloc[:, j])
                numbers = pd.to_numeric(s, errors="coerce")
                for i in np.flatnonzero((s.notna() & numbers.isna()).to_numpy()):
                    cell = str(s.iat[i])
                    self._left_out(start + i + 1, col, f"{cell[:80]!r}{'...' if len(cell) > 80 else ''} is not a "
                                   "number, in a column of numbers")
                if kind == "float" or numbers.dtype.kind != "f":
                    changed[j] = numbers.astype(float) if kind == "float" else numbers
                    continue
                changed[j] = numbers  # (settled below with the float columns of integers)
                holed.append(j)
            elif kind == "float" and dtypes[j] != "f":
                to_float.append(j)
            elif kind == "integer" and dtypes[j] == "f":
                holed.append(j)
        blocks = []  # (positions, 2-D array) of columns converted together
        if to_float:
            blocks.append((to_float, part.iloc[:, to_float].to_numpy(dtype=float)))
        if holed:
            blocks.extend(self._integers(part, holed, changed, cols))
        if not changed and not blocks:
            return part
        return _replaced(part, changed, blocks)

    def _long_cells(self, part, texts: list) -> list:
        """The positions among ``texts`` (columns of text) of the columns holding a cell longer than
        :data:`CELL_MAX`, found over all of them at once."""
        import numpy as np

        if not texts:
            return []
        cells = part.iloc[:, texts].to_numpy(dtype=object)
        if not cells.size:
            return []
        size = np.frompyfunc(lambda v: len(v) if type(v) is str else 0, 1, 1)
        long = (size(cells).astype(np.int64) > CELL_MAX).any(axis=0)
        return [texts[j] for j in np.flatnonzero(long)]

    def _integers(self, part, holed: list, changed: dict, cols: list):
        """The columns at ``holed`` (settled integers, read as floats: a hole made them so) as integers
        with None in their holes, as one object array; a column holding a fraction or an integer too
        large for a float to hold is settled floats from here on, and kept as it is."""
        import numpy as np

        values = np.empty((len(part), len(holed)))
        read = [k for k, j in enumerate(holed) if j not in changed]  # (others held text: their numbers)
        values[:, read] = part.iloc[:, [holed[k] for k in read]].to_numpy(dtype=float)
        for k, j in enumerate(holed):
            if j in changed:
                values[:, k] = changed[j].to_numpy(dtype=float)
        present = ~np.isnan(values)
        whole = np.where(present, values, 0.0)
        fits = ((whole == np.round(whole)) & (np.abs(whole) < 2 ** 53)).all(axis=0)
        for j in np.flatnonzero(~fits):
            self._kinds[cols[holed[j]]] = "float"  # (a fraction in a column of integers: floats from here on)
        keep = np.flatnonzero(fits)
        if not len(keep):
            return []
        out = np.full((len(values), len(keep)), None, dtype=object)
        ints = whole[:, keep].astype(np.int64).astype(object)
        out[present[:, keep]] = ints[present[:, keep]]
        for j in keep:
            changed.pop(holed[j], None)
        return [([holed[j] for j in keep], out)]


def _replaced(part, changed: dict, blocks: list):
    """``part`` with the columns at the positions of ``changed`` (position -> column) and ``blocks``
    (positions, 2-D array) replaced, made at once: the columns left as they were, each block and the
    columns changed alone put side by side, then in ``part``'s order."""
    import numpy as np
    import pandas as pd

    n = part.shape[1]
    moved = np.zeros(n, dtype=bool)
    frames, order = [], []
    for at, values in blocks:
        frames.append(pd.DataFrame(values, index=part.index, columns=range(len(at))))
        order.extend(at)
    if changed:
        at = list(changed)
        frames.append(pd.DataFrame({k: changed[j] for k, j in enumerate(at)}, index=part.index))
        order.extend(at)
    moved[order] = True
    kept = np.flatnonzero(~moved)
    frames.insert(0, part.iloc[:, kept].set_axis(range(len(kept)), axis=1))
    order = np.concatenate([kept, np.asarray(order, dtype=np.int64)])
    out = pd.concat(frames, axis=1, ignore_index=True)
    at = np.empty(n, dtype=np.int64)
    at[order] = np.arange(n)
    out = out.iloc[:, at]
    out.columns = part.columns
    return out
