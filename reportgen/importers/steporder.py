"""Rows of a table put in (run, step) order on disk, in memory bounded whatever their number.

:class:`RunImport` writes a run's history in step order and drops a row below a step it has written,
so the rows of a table whose steps go down (a file reversed, a long table of several runs, an MLflow
export grouped by metric) must all be sorted before the first part is written. They were sorted in
memory, the whole table at once. Here each part of rows is sorted and written to a file of a private
temporary folder (``TMPDIR``), in slices of :data:`SLICE` rows, and the files are merged (at most
:data:`FAN_IN` at once, in rounds when there are more), so no more than ``FAN_IN * SLICE`` rows are
read back at a time. The files are pickles this process wrote a moment before, in a folder only its
user can open; they are removed as they are merged, and the folder at the end.
"""
from __future__ import annotations

import heapq
import os
import pickle
import shutil
import tempfile
from operator import itemgetter
from typing import Any, Iterable, Iterator

SLICE = 1024  # rows of a sorted file read back at a time
FAN_IN = 32  # sorted files merged at once

Row = tuple  # (run, step, seq, time, values): sorted by run, then step, then seq (the row's place in the source)
_KEY = itemgetter(0, 1, 2)


class StepOrder:
    """Parts of rows given with :meth:`add`, read back in order with :meth:`rows`. A context manager
    (removes its files)."""

    def __init__(self):
        self._dir: str | None = None
        self._files: list[str] = []
        self._made = 0

    def __enter__(self) -> "StepOrder":
        return self

    def __exit__(self, *exc) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def add(self, rows: list[Row]) -> None:
        """One part of rows (sorted here, in place)."""
        if rows:
            rows.sort(key=_KEY)
            self._files.append(self._write(rows))

    def _write(self, rows: Iterable[Row]) -> str:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="reportgen-import-")  # (mode 0700)
        path = os.path.join(self._dir, f"{self._made}.rows")
        self._made += 1
        with open(path, "wb") as fh:
            batch: list[Any] = []
            for row in rows:
                batch.append(row)
                if len(batch) == SLICE:
                    pickle.dump(batch, fh, pickle.HIGHEST_PROTOCOL)
                    batch = []
            if batch:
                pickle.dump(batch, fh, pickle.HIGHEST_PROTOCOL)
        return path

    @staticmethod
    def _read(path: str) -> Iterator[Row]:
        with open(path, "rb") as fh:
            os.unlink(path)  # (read to its end, or left when the import stops: the folder goes at the end)
            while True:
                try:
                    batch = pickle.load(fh)
                except EOFError:
                    return
                yield from batch

    def rows(self) -> Iterator[Row]:
        """Every row added, in order (once)."""
        files, self._files = self._files, []
        while len(files) > FAN_IN:  # (files of earlier rows first: seq keeps the order of equal steps anyway)
            merged = self._write(heapq.merge(*map(self._read, files[:FAN_IN]), key=_KEY))
            files = files[FAN_IN:] + [merged]
        yield from heapq.merge(*map(self._read, files), key=_KEY)
