"""The columnar fast path for ``history.jsonl`` chunks: polars (the ``fast`` extra) reads a
chunk of complete lines straight into columns, no Python object per value.

It is taken only when the result is exactly what the row-by-row reader
(:mod:`history`) would make: every key holds plain numbers (or nulls). Anything else -- a NaN
token, a bad or non-object line, strings, bools, nested objects, media records, numbers
beyond float64 -- makes :func:`read` return None and the chunk is parsed row by row, with
that reader's tolerance and warnings. Without polars installed it always returns None.
"""
from __future__ import annotations

import io
import os
import sys
from contextlib import contextmanager
from typing import Any

import numpy as np
import orjson

MIN_BYTES = 256 * 1024  # below this, importing and starting polars costs more than it saves
# a build parsing less than this in a process that has not imported polars reads its rows with orjson:
# importing polars and its first read cost ~0.1 s of CPU, which its speed (~5 ms a MB less) repays
# only past ~20 MB (an append that parses one 841 KB history again: 0.13 s with polars, 0.01 s without)
IMPORT_BYTES = 16 << 20
LATE_KEYS_BYTES = 64 << 20  # a read whose schema comes from every row may hold this much, or 8x its data
_pl: Any = None
_rows_only = False  # (rows_only: this build reads no chunk with polars)


@contextmanager
def rows_only_below(nbytes: int):
    """While a build parses at most ``nbytes`` of history in this process: when that is less than
    :data:`IMPORT_BYTES` and polars is not imported yet, :func:`read` and :func:`read_many` leave every
    chunk to the row reader (the same columns), so polars is not imported for it."""
    global _rows_only
    was = _rows_only
    _rows_only = nbytes < IMPORT_BYTES and "polars" not in sys.modules
    try:
        yield
    finally:
        _rows_only = was


def _polars() -> Any:
    global _pl
    if _rows_only and _pl is None:
        return False
    if _pl is None:
        try:
            import polars
        except ImportError:  # the fast extra is not installed: the row-by-row reader does it all
            polars = False
        _pl = polars
    return _pl


def _count_commas(data: bytes, step: int = 256 << 10) -> int:
    """Commas in ``data`` (numpy: one compare, ~3x faster than ``bytes.count``), in slices whose
    temporaries stay in the CPU cache (256 KB: ~2.0 ms per 8.5 MB chunk, 4 MB slices ~3.2 ms)."""
    a = np.frombuffer(data, dtype=np.uint8)
    return sum(int(np.count_nonzero(a[i:i + step] == 44)) for i in range(0, len(a), step))


def pool_worker() -> None:
    """In a build's process-pool worker, before it reads anything: polars single-threaded (the pool
    is the parallelism; its own threads on top made 2 workers x 2 threads compete for 2 CPUs: with
    one thread, a wide build took 6.6 s CPU instead of 7.4 at a load of 2-3; on a busier machine, where
    the workers seldom run at once, the difference vanishes). The thread count is fixed when polars is
    imported, so it is imported here, in the worker (~0.2 s CPU each), unless this process already had
    it (polars' docs also advise against forking a process that imported it)."""
    if "polars" not in sys.modules:
        os.environ.setdefault("POLARS_MAX_THREADS", "1")
    _polars()


def pool_started() -> bool:
    """Has polars started its thread pool in this process (a read by a build before this one, or the
    user's own polars)? Then a forked child that reads with polars waits for ever on threads it did
    not inherit (a small build, then a big one, in one Python process hung). Its threads are named
    ``polars-<n>``; importing polars alone starts none of them. True when it cannot be told (no
    ``/proc``)."""
    if "polars" not in sys.modules:
        return False
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return True
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/comm", "rb") as fh:
                name = fh.read().strip()
        except OSError:
            continue  # (a thread that ended meanwhile)
        if name.startswith(b"polars-") and name[7:].isdigit():
            return True
    return False


_KINDS: dict[Any, str] = {}


def _kind(pl: Any, dtype: Any) -> str:
    """"number", "null" or "other" for a polars dtype (memoised: the check is per column and chunk)."""
    kind = _KINDS.get(dtype)
    if kind is None:
        if dtype == pl.Null:
            kind = "null"
        elif dtype == pl.Boolean:
            kind = "other"
        elif hasattr(dtype, "is_numeric"):
            kind = "number" if dtype.is_numeric() else "other"
        else:
            kind = "number" if dtype in set(pl.datatypes.group.NUMERIC_DTYPES) else "other"
        try:
            _KINDS[dtype] = kind
        except TypeError:  # an unhashable dtype (nested): not memoised
            pass
    return kind


def read(data: bytes) -> tuple[dict[str, tuple[np.ndarray, np.ndarray | None]], int] | None:
    """``({key: (float64 values, valid mask or None)}, rows)`` for a chunk of complete lines, or
    None when the chunk needs the row-by-row reader."""
    pl = _polars()
    if not pl or data[:1] != b"{":
        # (not a row first -- a blank line, or compressed bytes: polars inflates gzip, zlib and zstd
        # input before reading it, and a 16 MB chunk of a compressed history could inflate to many GB
        # before the cell check refused it; the row reader reads such a chunk as lines, as before)
        return None
    # A flat row of numbers has one cell more than it has commas: the count of cells read must match,
    # else a key first seen after the rows polars inferred its schema from was dropped -- then the
    # schema is inferred from every row (slower) when that frame stays small (_late_keys_fit), and
    # checked again; else the row reader reads the chunk. (A comma inside a string, a
    # null, a nested object: no match either, and such chunks are not plain numbers anyway.)
    res = _frame(pl, data)
    if res is None:
        return None
    df = res[0]
    out: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    height = df.height
    for s in df.get_columns():
        kind = _kind(pl, s.dtype)
        if kind == "null":
            continue
        if kind != "number":
            return None
        nulls = s.null_count()
        vals = s.cast(pl.Float64).to_numpy()
        if nulls:
            valid = ~s.is_null().to_numpy()
            vals = np.where(valid, vals, np.nan)
            out[s.name] = (vals, valid)
        else:
            out[s.name] = (np.ascontiguousarray(vals, dtype=float), None)
    return out, height


# A line before each history of :func:`read_many` (the first row: the schema is inferred from the first
# rows): its rows are where one history starts. (A key of the same name in a history makes more of them
# than histories: then nothing is taken from the read.)
SEP_KEY = "\x00rg"
SEP = b'{"\\u0000rg":0}\n'


def read_many(datas: list[bytes]) -> list[tuple[dict[str, tuple[np.ndarray, np.ndarray | None]], int]] | None:
    """:func:`read` of each of ``datas`` (chunks of complete lines, each read on its own would give
    the same) with one polars read of them all, a separator line before each: a small history costs
    polars a fixed amount per read besides its bytes. None when any of them needs the row-by-row
    reader, or when polars is not installed (then each is read on its own)."""
    pl = _polars()
    if not pl or not datas:
        return None
    joined = b"".join([part for d in datas for part in (SEP, d)])
    res = _frame(pl, joined)
    if res is None:
        return None
    df, height = res
    sep = df.get_column(SEP_KEY) if SEP_KEY in df.columns else None
    if sep is None or sep.null_count() != height - len(datas):
        return None
    starts = np.flatnonzero(~sep.is_null().to_numpy()) + 1
    cols = []
    for s in df.get_columns():
        if s.name == SEP_KEY:
            continue
        kind = _kind(pl, s.dtype)
        if kind == "null":
            continue
        if kind != "number":
            return None
        nulls = s.null_count()
        if nulls == len(datas):
            # null in the separator lines alone (each holds only SEP_KEY), which no history's slice
            # below takes: no mask, and the nulls filled in polars (its own conversion of a column
            # with nulls to numpy goes value by value, half of this loop's time)
            cols.append((s.name, s.cast(pl.Float64).fill_null(np.nan).to_numpy(), None))
            continue
        vals = s.cast(pl.Float64).to_numpy()
        valid = ~s.is_null().to_numpy() if nulls else None
        cols.append((s.name, np.where(valid, vals, np.nan) if valid is not None else vals, valid))
    out = []
    for start, end in zip(starts.tolist(), starts[1:].tolist() + [height + 1]):
        end -= 1  # (the next history's separator)
        frame: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        for name, vals, valid in cols:
            ok = valid[start:end] if valid is not None else None
            if ok is not None and ok.all():
                ok = None
            if ok is not None and not ok.any():
                continue  # not in this history (its own read has no such column)
            frame[name] = (np.ascontiguousarray(vals[start:end], dtype=float), ok)
        out.append((frame, end - start))
    return out


def _frame(pl: Any, data: bytes):
    """``(frame, rows)`` of polars' read of ``data`` when it holds every cell of every line (see
    :func:`read`), else None."""
    commas = _count_commas(data)
    for infer in (100, None):
        try:
            df = pl.read_ndjson(io.BytesIO(data), infer_schema_length=infer)
        except Exception:  # noqa: BLE001 - NaN tokens, bad lines, mixed types: the row reader explains
            return None
        if sum(df.height - s.null_count() for s in df.get_columns()) == commas + df.height:
            return df, df.height
        if infer is not None and not _late_keys_fit(pl, df, data):
            return None
    return None


def _late_keys_fit(pl: Any, df: Any, data: bytes) -> bool:
    """Whether polars' read of ``data`` with the schema inferred from every row (``df``: the read
    from the first rows, which left cells out) stays near the size of ``data``: that frame holds
    every key in every row, and a key logged once in each of 50,000 rows made it 50,000 x 50,000
    floats (a 2.5 MB history took 24 GB). The rows ``df`` read short are parsed to count the keys
    they add; False also when there is none (a comma in a key: the row reader's case)."""
    a = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(a == 10)
    height = df.height
    if len(ends) != height or not height:
        return False
    commas = np.bincount(np.searchsorted(ends, np.flatnonzero(a == 44)), minlength=height)
    cells = df.select(pl.sum_horizontal(pl.all().is_not_null())).to_series().to_numpy()
    short = np.flatnonzero(cells < commas + 1).tolist()
    budget = max(8 * len(data), LATE_KEYS_BYTES) // (8 * height) - df.width  # keys the frame may add
    starts = [0, *(ends[:-1] + 1).tolist()]
    ends = ends.tolist()
    known = set(df.columns)
    new: set[str] = set()
    for at in range(0, len(short), 4096):  # (in blocks: a key in every row is seen in the first)
        try:
            rows = orjson.loads(b"[" + b",".join([data[starts[i]:ends[i]] for i in short[at:at + 4096]]) + b"]")
        except orjson.JSONDecodeError:  # a line polars took and orjson does not (a lone surrogate
            return False  # escaped in a key, "\\ud800"): the row reader, which warns about that line alone
        for row in rows:
            new.update(row.keys() - known)
        if len(new) > budget:
            return False
    return bool(new)
