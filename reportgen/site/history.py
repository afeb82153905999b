"""Fast columnar parsing of ``history.jsonl`` for the builder.

Lines are parsed in chunks: a chunk of complete lines is handed to orjson as
one JSON array (one C call for ~100k rows); a chunk containing NaN/Infinity
tokens, a bad line or a blank line is halved until the odd lines are decoded
line by line, with the same tolerance and warnings as
:func:`reportgen.storage.reader.read_history`.
Columns are extracted per key with C-level list operations, never per value in
Python, except for keys whose values mix types. A chunk whose every key holds plain
numbers is read by a columnar reader instead when one is installed (:mod:`columnar`,
polars: the ``fast`` extra), with no Python object per value at all.

The result, :class:`Columns`, can be extended with the rows appended after
``end`` (incremental builds parse only the new bytes).
"""
from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from pathlib import Path
from operator import itemgetter
from typing import Any

import numpy as np
import orjson

from ..storage.format import is_system_key
from ..storage.reader import LINKED_OUT, parse_row
from ..storage.safety import (MAX_DEPTH, MAX_LINE, NOT_REGULAR, NotRegularFile, UnsafePath, check_relative,
                               linked_out, next_data, open_regular, too_deep, too_long)
from . import columnar

ROW_COLS = ("_step", "_runtime", "_timestamp")
CHUNK_BYTES = 16 * 1024 * 1024
_NONE = type(None)


def is_media(v: Any) -> bool:
    """A media record (a dict with a ``_type``) or a non-empty list of them."""
    if isinstance(v, dict):
        return isinstance(v.get("_type"), str)
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) and isinstance(x.get("_type"), str) for x in v)


def type_group(v: Any) -> str:
    """The display group of a non-numeric logged value."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        t = v.get("_type")
        return str(t) if isinstance(t, str) and t else "other"
    return "other"


@dataclass
class Columns:
    """Everything the site needs from one run's history, column by column."""

    nrows: int = 0
    end: int = 0  # byte offset after the last consumed line
    row_base: int = 0  # rows before this were handed on (:meth:`drop_consumed`); columns hold the rest
    rowcols: dict[str, list[np.ndarray]] = field(default_factory=dict)  # row-aligned, NaN = absent
    numeric: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)  # rows, values
    groups: dict[str, dict[str, list]] = field(default_factory=dict)  # key -> group -> [count, last, row]
    warnings: list[str] = field(default_factory=list)  # bad lines, kept across incremental parses
    torn: int = 0  # bytes of an incomplete last line at the last parse (not consumed)
    missing_media: list[str] = field(default_factory=list)  # relative paths (first 20)
    # row -> {flat key: media record(s)}: what the run page's media panels need, kept so that a
    # rebuild never reads the whole history again for them
    media: dict[int, dict[str, Any]] = field(default_factory=dict)
    media_steps: dict[int, float] = field(default_factory=dict)  # row -> its _step, for the rows in ``media``
    root: Path | None = None  # run folder, to check that media files exist
    agg: Any = None  # the streamed reduction of the rows handed on (runagg.RunAgg), cached with these

    def _check_media(self, key: str, rec: dict) -> None:
        p = rec.get("path")
        if isinstance(p, str) and p and len(self.missing_media) < 20 and p not in self.missing_media:
            try:
                check_relative(p)  # unsafe paths are refused (and named) by the media panels
            except UnsafePath:
                return
            if not os.path.isfile(self.root / p):  # (Path.is_file raises on a folder it may not search)
                self.missing_media.append(p)
        items = rec.get("items")  # galleries
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                self._check_media(key, item)

    # -- access -------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        out = list(self.warnings)
        if self.torn:
            out.append(f"history.jsonl: skipped an incomplete last line ({self.torn} bytes)")
        for p in self.missing_media:
            out.append(f"missing media file {p}")
        return out

    def compact(self) -> None:
        """Concatenate chunk pieces (call once after parsing)."""
        for k, parts in self.rowcols.items():
            if len(parts) > 1:
                self.rowcols[k] = [np.concatenate(parts)]
        for k, parts in self.numeric.items():
            if len(parts) > 1:
                self.numeric[k] = [(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))]

    def row_col(self, name: str) -> np.ndarray:
        """A row column (``_step``...) for rows ``row_base`` to ``nrows``; NaN where absent."""
        n = self.nrows - self.row_base
        parts = self.rowcols.get(name)
        if not parts:
            return np.full(n, np.nan)
        arr = parts[0] if len(parts) == 1 else np.concatenate(parts)
        if len(arr) < n:
            arr = np.concatenate([arr, np.full(n - len(arr), np.nan)])
        return arr

    def drop_consumed(self) -> None:
        """Forget the columns of the rows read so far (a streaming reader took them)."""
        self.numeric.clear()
        self.rowcols.clear()
        self.row_base = self.nrows

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        parts = self.numeric[key]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def steps(self) -> np.ndarray:
        """``_step`` per row; rows without one get their row index."""
        s = self.row_col("_step")
        bad = ~np.isfinite(s)
        if bad.any():
            s = s.copy()
            s[bad] = np.flatnonzero(bad) + self.row_base
        return s

    # -- building -----------------------------------------------------------------------------
    def _pad_rowcol(self, name: str, upto: int) -> None:
        have = self.row_base + sum(len(p) for p in self.rowcols.setdefault(name, []))
        if have < upto:
            self.rowcols[name].append(np.full(upto - have, np.nan))

    def add_rows(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        row0 = self.nrows
        n = len(rows)
        keys = sorted(set().union(*rows))
        if len(keys) > 1 and set(map(len, rows)) == {len(keys)}:
            # Every row has every key (the common case): one C call per row, then a transpose.
            columns = zip(*map(itemgetter(*keys), rows))
            for k, col in zip(keys, columns):
                self._add_column(k, col, row0, n)
        elif len(keys) <= 16 or 4 * sum(map(len, rows)) >= len(keys) * n:  # most keys in most rows
            for k in keys:
                self._add_column(k, [r.get(k) for r in rows], row0, n)
        else:  # keys that come and go (one per row, say): a list per key over every row would cost keys x rows
            per = _gather(rows)
            for k in keys:
                at, col = per[k]
                self._add_column(k, col, row0, n, at=at)
        self.nrows = row0 + n
        for name in ROW_COLS:
            if name in self.rowcols:
                self._pad_rowcol(name, self.nrows)

    def add_frame(self, frame: dict[str, tuple[np.ndarray, np.ndarray | None]], n: int) -> None:
        """Rows already in columns (the columnar fast path): key -> (float values, valid mask or None)."""
        row0 = self.nrows
        every = np.arange(row0, row0 + n, dtype=np.int64)  # the rows of a key logged in every row (shared)
        for key in sorted(frame):
            if is_system_key(key) and key not in ROW_COLS:
                continue
            vals, valid = frame[key]
            if valid is None:
                self._put_numeric(key, every, vals, row0, n)
            else:
                idx = np.flatnonzero(valid)
                if idx.size:
                    self._put_numeric(key, idx + row0, vals[idx], row0, n)
        self.nrows = row0 + n
        for name in ROW_COLS:
            if name in self.rowcols:
                self._pad_rowcol(name, self.nrows)

    def _too_deep(self, key: str, row: int) -> None:
        """A value nested deeper than MAX_DEPTH is dropped (its row's other keys are kept)."""
        if sum("nested deeper" in w for w in self.warnings) < 5:
            self.warnings.append(f"history.jsonl: {key!r}: skipped a value nested deeper than {MAX_DEPTH} "
                                 f"levels (row {row})")

    def _add_column(self, key: str, col, row0: int, n: int, depth: int = 1, at: list[int] | None = None) -> None:
        """``col``: the key's value in each of the ``n`` rows from ``row0`` (None where absent), or with
        ``at``, its values in the rows ``row0 + at[i]`` only."""
        if is_system_key(key) and key not in ROW_COLS:
            return  # system keys (_wandb, ...) are not metrics; a user's _lr is
        types = set(map(type, col))
        has_none = _NONE in types
        types.discard(_NONE)
        if not types:
            return
        if types <= {float, int}:
            if has_none:
                obj = np.array(col, dtype=object)
                idx = np.flatnonzero(np.not_equal(obj, None))
                vals = obj[idx].astype(float)
                if at is not None:
                    idx = np.asarray(at, dtype=np.int64)[idx]
            else:
                idx = np.arange(n, dtype=np.int64) if at is None else np.asarray(at, dtype=np.int64)
                try:
                    vals = np.array(col, dtype=float)
                except OverflowError:
                    vals = np.array([float(v) for v in col])
            self._put_numeric(key, idx + row0, vals, row0, n)
            return
        # Mixed or non-numeric values: one pass in Python over this column only.
        num_idx: list[int] = []
        num_val: list[float] = []
        nested: dict[int, dict] = {}
        for i, v in enumerate(col) if at is None else zip(at, col):
            t = type(v)
            if t is float or t is int:
                num_idx.append(i)
                num_val.append(float(v))
            elif v is None:
                continue
            elif t is dict and "_type" not in v:
                if depth >= MAX_DEPTH:
                    self._too_deep(key, row0 + i)
                else:
                    nested[i] = v
            elif (t is dict or t is list) and too_deep(v, MAX_DEPTH - depth):
                self._too_deep(key, row0 + i)
            else:
                g = type_group(v)
                if t is dict and self.root is not None:
                    self._check_media(key, v)
                if is_media(v):
                    self.media.setdefault(row0 + i, {})[key] = v
                slot = self.groups.setdefault(key, {}).setdefault(g, [0, None, -1])
                slot[0] += 1
                slot[1] = v
                slot[2] = row0 + i
        if num_idx:
            self._put_numeric(key, np.asarray(num_idx, dtype=np.int64) + row0, np.asarray(num_val, dtype=float), row0, n)
        if nested:  # each nested key over the rows that hold it (not over every row: keys x rows)
            rows_of = list(nested)  # (in row order)
            per = _gather(list(nested.values()))
            for sk in sorted(per):
                pos, sub = per[sk]
                self._add_column(f"{key}/{sk}", sub, row0, n, depth + 1, at=[rows_of[p] for p in pos])

    def _put_numeric(self, key: str, rows: np.ndarray, vals: np.ndarray, row0: int, n: int) -> None:
        """Values of ``key`` at ``rows`` (int64 row numbers, ``row0`` to ``row0 + n``; kept as given, so
        one array of every row can be shared by the keys logged in every row)."""
        if key in ROW_COLS:
            full = np.full(n, np.nan)
            full[rows - row0] = vals
            self._pad_rowcol(key, row0)
            self.rowcols[key].append(full)
            return
        if is_system_key(key):
            return
        self.numeric.setdefault(key, []).append((rows, vals))


def _gather(rows: list[dict[str, Any]]) -> dict[str, tuple[list[int], list]]:
    """key -> (the positions in ``rows`` of the rows that hold it, its values there), in one pass."""
    per: dict[str, tuple[list[int], list]] = {}
    for i, r in enumerate(rows):
        for k, v in r.items():
            e = per.get(k)
            if e is None:
                e = per[k] = ([], [])
            e[0].append(i)
            e[1].append(v)
    return per


def _decode_lines(data: bytes, base: int, name: str, warnings: list[str]) -> list[dict]:
    rows: list[dict] = []
    pos = base
    for line in data.split(b"\n")[:-1]:
        start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        row = parse_row(line, name, start, warnings)  # (values nested too deep: left out by add_rows)
        if row is not None:
            rows.append(row)
    return rows


SPLIT_BELOW = 64 * 1024  # chunks smaller than this that fail the fast path are decoded line by line


def _decode_chunk(data: bytes, base: int, name: str, warnings: list[str]) -> list[dict]:
    """``data`` ends with a newline. Fast path: the whole chunk as one JSON array; a chunk that
    fails (NaN tokens, a bad line) is halved at a line break and each half tried again, so a
    few odd lines cost little."""
    try:
        rows = orjson.loads(b"[" + data[:-1].replace(b"\n", b",") + b"]")
        if set(map(type, rows)) <= {dict}:
            return rows
    except orjson.JSONDecodeError:
        pass
    if len(data) < SPLIT_BELOW:
        return _decode_lines(data, base, name, warnings)
    cut = data.find(b"\n", len(data) // 2)
    if cut < 0 or cut == len(data) - 1:
        return _decode_lines(data, base, name, warnings)
    head = _decode_chunk(data[:cut + 1], base, name, warnings)
    head.extend(_decode_chunk(data[cut + 1:], base + cut + 1, name, warnings))
    return head


def parse_history(path: str | os.PathLike, cols: Columns | None = None, *,
                  chunk_bytes: int = CHUNK_BYTES, sink=None, seen=None) -> Columns:
    """Parse ``path`` from ``cols.end`` (0 for a new :class:`Columns`) to its last complete line.

    With ``sink``, ``sink(cols)`` is called after each chunk and takes its rows' columns
    (:meth:`Columns.drop_consumed`): the history is never held whole. With ``seen``,
    ``seen(offset, chunk)`` is called with each chunk of complete lines read (the cache's
    fingerprint is made from them). Media records' files are looked up next to ``path`` (the run
    folder)."""
    path = Path(path)
    cols = cols if cols is not None else Columns()
    cols.root = path.parent
    cols.torn = 0
    if linked_out(path):
        if not any(LINKED_OUT in w for w in cols.warnings):
            cols.warnings.append(f"{path.name} {LINKED_OUT}")
        return cols
    try:
        fh = open_regular(path)  # a named pipe under the history's name would block the build
    except FileNotFoundError:
        return cols
    except NotRegularFile:
        cols.warnings.append(f"{path.name} {NOT_REGULAR}")
        return cols
    except OSError as exc:  # (unreadable: a permission, a file system gone; the build goes on)
        cols.warnings.append(f"{path.name}: unreadable ({exc.strerror or type(exc).__name__}); not read")
        return cols
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived dicts: the cyclic GC would rescan them again and again
    try:
        _parse_into(fh, cols, path.name, chunk_bytes, sink, seen)
    finally:
        if gc_was_enabled:
            gc.enable()
    cols.compact()
    return cols


def _parse_into(fh, cols: Columns, name: str, chunk_bytes: int, sink=None, seen=None) -> None:
    with fh:
        fh.seek(cols.end)
        pending = b""
        skipping, skip_start = False, 0  # inside a line longer than MAX_LINE: dropped, not kept
        while True:
            if skipping:  # (holes of a sparse file hold no newline: jumped, not read)
                cols.end = next_data(fh, cols.end)
            block = fh.read(chunk_bytes)
            if not block:
                break
            if skipping:
                nl = block.find(b"\n")
                if nl < 0:
                    cols.end += len(block)
                    continue
                cols.end += nl + 1
                block, skipping = block[nl + 1:], False
                cols.warnings.append(f"{name}: {too_long(skip_start)}")
                if not block:
                    continue
            data = pending + block
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > MAX_LINE:  # a sparse file or garbage without newlines: never held whole
                    skipping, skip_start, pending = True, cols.end, b""
                    cols.end += len(data)
                else:
                    pending = data
                continue
            complete, pending = data[:cut + 1], data[cut + 1:]
            if seen is not None:
                seen(cols.end, complete)
            fast = columnar.read(complete) if len(complete) >= columnar.MIN_BYTES else None
            if fast is not None:
                cols.add_frame(*fast)
            else:
                rows = _decode_chunk(complete, cols.end, name, cols.warnings)
                cols.add_rows(rows)
                del rows
            del complete, fast
            cols.end += cut + 1
            if sink is not None:
                sink(cols)
        cols.torn = len(pending)
