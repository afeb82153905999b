"""Append-only ``history.jsonl``: lines queued in memory, written in order, never torn.

:class:`HistoryAppender` is the history half of :class:`reportgen.storage.writer.RunWriter`.
A write that fails (disk full...) keeps the unwritten bytes in memory, in order, and
cuts a line the failure left half-written, so the file holds whole lines only and
continues exactly where it stopped once writing works again.
"""
from __future__ import annotations

import os
import threading
from collections import deque
from pathlib import Path

from .health import StorageHealth
from .safety import open_own
from .jsonio import encode_line

DEFAULT_FLUSH_INTERVAL = 1.0
#: History bytes kept in memory while writes fail; rows beyond are dropped (and counted).
MAX_UNWRITTEN_BYTES = 256 * 2**20
#: Lines joined into one write() at most (perf19, issue 19: bounds a flush's extra memory)
FLUSH_LINES = 4096


def _cut_torn_tail(fd: int, path: Path) -> int:
    """Truncate an incomplete last line (left by a writer killed mid-write); returns bytes removed.

    Only the holder of the run's writer lock appends, so nobody can complete that line."""
    size = os.fstat(fd).st_size
    if not size:
        return 0
    with open(path, "rb") as fh:
        pos = size
        while pos > 0:
            start = max(0, pos - 65536)
            fh.seek(start)
            block = fh.read(pos - start)
            if pos == size and block.endswith(b"\n"):
                return 0
            nl = block.rfind(b"\n")
            if nl >= 0:
                keep = start + nl + 1
                break
            pos = start
        else:
            keep = 0
    os.ftruncate(fd, keep)
    return size - keep


def append_whole_lines(fd: int, data: bytes) -> tuple[int, OSError | None]:
    """Append ``data`` (whole lines) to ``fd``; returns how many of its bytes are in the file, and the
    error that stopped the write, if one did. A line the failure left half-written is cut off
    again, so the file holds whole lines only and the next write continues it cleanly (if even
    the cut fails, the count ends mid-line: writing from there completes the line byte-exactly)."""
    view = memoryview(data)
    off, total = 0, len(data)
    try:
        while off < total:
            off += os.write(fd, view[off:])
    except OSError as exc:
        line_start = data.rfind(b"\n", 0, off) + 1  # where the line cut by the failure begins
        if off > line_start:
            try:  # remove the fragment: the file keeps whole lines only
                os.ftruncate(fd, os.fstat(fd).st_size - (off - line_start))
                off = line_start
            except OSError:
                pass
        return off, exc
    return off, None


def _open(path: Path) -> int:
    return open_own(path)


def _same_file(st: os.stat_result, path: Path) -> bool:
    try:
        other = os.stat(path)
    except FileNotFoundError:
        return False
    return (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino)


class HistoryAppender:
    """Append-only ``history.jsonl``: lines queued by the caller, written by :meth:`flush`."""

    def __init__(self, path: Path, flush_interval: float = DEFAULT_FLUSH_INTERVAL, *, start_thread: bool = True,
                 health: StorageHealth | None = None, max_unwritten: int = MAX_UNWRITTEN_BYTES):
        self.path = path
        self.flush_interval = float(flush_interval)
        self.health = health or StorageHealth(str(path.parent))
        self.max_unwritten = int(max_unwritten)
        self._fd = _open(path)
        self.torn_bytes_removed = _cut_torn_tail(self._fd, path)
        self._queue: deque[bytes] = deque()
        #: queue one encoded line (``deque.append``: thread-safe, no lock on the hot path)
        self.append_encoded = self._queue.append
        self._write_lock = threading.Lock()
        self._unwritten = b""  # whole lines (or the rest of one cut line) taken from the queue, not yet written
        self._unwritten_rows = 0
        self._last_failed = False
        self.rows_written = 0  # lines handed to the OS so far (readable by tests and tools)
        self.recreated = 0  # times the file was deleted (``rm -rf`` of the run folder) and made anew
        self._closed = False
        self._thread: threading.Thread | None = None
        if start_thread:  # standalone use; RunWriter drives flushes from its own thread
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._loop, name="reportgen-flush", daemon=True)
            self._thread.start()

    def append(self, row: dict) -> None:
        self._queue.append(encode_line(row))

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_interval):
            self.flush()

    @property
    def pending_rows(self) -> int:
        """Rows taken from the queue that could not be written yet (writes failing)."""
        return self._unwritten_rows

    @property
    def all_written(self) -> bool:
        """The last write succeeded and nothing waits in memory (queued lines aside)."""
        return not self._last_failed and not self._unwritten

    def flush(self, timeout: float = -1) -> int:
        """Write every queued line; returns how many reached the file. Safe to call from any thread.

        Never raises over storage: on failure the unwritten bytes are kept (in order) for the
        next call and ``health`` is told. ``timeout``: give up (0) if another flush holds the
        lock that long (a signal handler must not wait forever)."""
        if not self._write_lock.acquire(timeout=timeout):
            return 0
        try:
            return self._flush_locked()
        finally:
            self._write_lock.release()

    def _flush_locked(self) -> int:
        # perf19 (issue 19): a burst's queue is written in pieces of FLUSH_LINES lines, so the
        # flush holds at most one piece besides the queue, not a second copy of all of it
        written, left = self._flush_piece(), len(self._queue)
        while left > 0 and not self._last_failed and self._fd >= 0:
            left -= FLUSH_LINES
            written += self._flush_piece()
        return written

    def _flush_piece(self) -> int:
        if self._fd < 0:
            return 0
        q = self._queue
        n = len(q) if self._unwritten else min(len(q), FLUSH_LINES)  # writes failing: as before
        if not n and not self._unwritten:
            return 0
        chunk = b"".join([q.popleft() for _ in range(n)]) if n else b""
        if self._unwritten:
            if n and len(self._unwritten) + len(chunk) > self.max_unwritten:
                self.health.lost(n, f"more than {self.max_unwritten >> 20} MiB waiting to be written")
                chunk, n = b"", 0
            data, rows = self._unwritten + chunk, self._unwritten_rows + n
        else:
            data, rows = chunk, n
        return self._write(data, rows)

    def recreate_if_deleted(self) -> None:
        with self._write_lock:
            if self._fd >= 0:
                try:
                    self._recreate_if_deleted()
                except OSError as exc:
                    self.health.failed(self.path.name, exc)

    def _recreate_if_deleted(self) -> None:
        """The file, or the whole run folder, was deleted while the run wrote it: rows written
        to the deleted file can be read by nobody, so the file (and its folder) is made anew and
        the rows go on there (recorded: ``health``). Raises OSError if it cannot be made anew:
        the rows then wait in memory, as on a full disk."""
        st = os.fstat(self._fd)
        if st.st_nlink or _same_file(st, self.path):  # some network file systems report 0 links
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = _open(self.path)
        os.close(self._fd)
        self._fd = fd
        self.recreated += 1
        self.health.recreated(self.path.name, f"{self.path} was deleted while the run wrote it (after "
                              f"{self.rows_written} rows); it is made anew and the rows logged from now on go there")

    def _write(self, data: bytes, rows: int) -> int:
        try:
            self._recreate_if_deleted()
        except OSError as exc:
            off, error = 0, exc
        else:
            off, error = append_whole_lines(self._fd, data)
        if error is not None:
            self._unwritten = data[off:]
            left = self._unwritten.count(b"\n")
            self._unwritten_rows = left
            self.rows_written += rows - left
            self._last_failed = True
            self.health.failed(self.path.name, error)
            return rows - left
        self._unwritten = b""
        self._unwritten_rows = 0
        self._last_failed = False
        self.rows_written += rows
        return rows

    def fsync(self) -> None:
        with self._write_lock:
            if self._fd >= 0:
                try:
                    os.fsync(self._fd)
                except OSError as exc:
                    self._last_failed = True
                    self.health.failed(self.path.name, exc)

    def close(self) -> None:
        """Stop, write what is queued, fsync and close; rows that still cannot be written are counted lost."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
        self.flush()
        self.fsync()
        with self._write_lock:
            self.health.lost(self._unwritten_rows + len(self._queue), "finish")
            self._unwritten, self._unwritten_rows = b"", 0
            os.close(self._fd)
            self._fd = -1
