"""Writing a run folder: metadata, config and summary atomically; history appended.

History lines are queued in memory and written by one background thread at most
``flush_interval`` seconds after they were logged, in a single ``write()`` of
whole lines (no fsync on that path). The same thread rewrites ``summary.json``
when the automatic summary changed (at most once a second) and ``run.json`` with
a fresh ``heartbeat`` every ``heartbeat_interval`` seconds. :meth:`RunWriter.close`
flushes and fsyncs.

Storage failures (disk full, quota, a removed mount) never reach the training loop
once the writer runs (:meth:`RunWriter.start`): history bytes that could not be
written stay in memory (up to ``MAX_UNWRITTEN_BYTES``) and are written, in order,
when writing works again; a line cut by a partial write is truncated away, so the
file holds whole lines only. See :mod:`reportgen.storage.health` for the warnings.
"""
from __future__ import annotations

import os
import threading
import time
import warnings
from collections import deque
from pathlib import Path
from typing import Any, Callable

from .format import FORMAT_VERSION, RunPaths
from .health import StorageHealth
from .jsonio import encode_line, write_json_atomic

DEFAULT_FLUSH_INTERVAL = 1.0
DEFAULT_HEARTBEAT_INTERVAL = 15.0
#: History bytes kept in memory while writes fail; rows beyond are dropped (and counted).
MAX_UNWRITTEN_BYTES = 256 * 2**20
#: The automatic summary is rewritten at most this often (seconds) when it changed.
SUMMARY_INTERVAL = 1.0


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


class HistoryAppender:
    """Append-only ``history.jsonl``: lines queued by the caller, written by :meth:`flush`."""

    def __init__(self, path: Path, flush_interval: float = DEFAULT_FLUSH_INTERVAL, *, start_thread: bool = True,
                 health: StorageHealth | None = None, max_unwritten: int = MAX_UNWRITTEN_BYTES):
        self.path = path
        self.flush_interval = float(flush_interval)
        self.health = health or StorageHealth(str(path.parent))
        self.max_unwritten = int(max_unwritten)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        self.torn_bytes_removed = _cut_torn_tail(self._fd, path)
        self._queue: deque[bytes] = deque()
        #: queue one encoded line (``deque.append``: thread-safe, no lock on the hot path)
        self.append_encoded = self._queue.append
        self._write_lock = threading.Lock()
        self._unwritten = b""  # whole lines (or the rest of one cut line) taken from the queue, not yet written
        self._unwritten_rows = 0
        self._last_failed = False
        self.rows_written = 0  # lines handed to the OS so far (readable by tests and tools)
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
        if self._fd < 0:
            return 0
        q = self._queue
        n = len(q)
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

    def _write(self, data: bytes, rows: int) -> int:
        view = memoryview(data)
        off, total = 0, len(data)
        try:
            while off < total:
                off += os.write(self._fd, view[off:])
        except OSError as exc:
            line_start = data.rfind(b"\n", 0, off) + 1  # where the line cut by the failure begins
            if off > line_start:
                try:  # remove the fragment: the file keeps whole lines only
                    os.ftruncate(self._fd, os.fstat(self._fd).st_size - (off - line_start))
                    off = line_start
                except OSError:
                    pass  # keep the offset: the next write completes the line byte-exactly
            self._unwritten = data[off:]
            left = self._unwritten.count(b"\n")
            self._unwritten_rows = left
            self.rows_written += rows - left
            self._last_failed = True
            self.health.failed(self.path.name, exc)
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


class RunWriter:
    """Owns one run folder on disk and its background flush/heartbeat thread."""

    def __init__(self, root: Path, *, flush_interval: float = DEFAULT_FLUSH_INTERVAL,
                 heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL, clock: Callable[[], float] = time.time,
                 lock: Any = None, max_unwritten: int = MAX_UNWRITTEN_BYTES):
        if not flush_interval > 0:
            raise ValueError(f"flush_interval: expected a positive number of seconds, got {flush_interval!r}")
        if not heartbeat_interval > 0:
            raise ValueError(f"heartbeat_interval: expected a positive number of seconds, got {heartbeat_interval!r}")
        self.paths = RunPaths(Path(root))
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self.flush_interval = float(flush_interval)
        self.heartbeat_interval = float(heartbeat_interval)
        self.summary_interval = min(self.heartbeat_interval, max(self.flush_interval, SUMMARY_INTERVAL))
        self._clock = clock
        self.lock = lock  # the writer lock (storage.lock.WriterLock), released by release()
        self.health = StorageHealth(str(self.paths.root))
        self.history = HistoryAppender(self.paths.history, flush_interval, start_thread=False,
                                       health=self.health, max_unwritten=max_unwritten)
        self.health.count = lambda: self.history.rows_written
        if self.history.torn_bytes_removed:
            warnings.warn(f"{self.paths.history}: removed an incomplete last line "
                          f"({self.history.torn_bytes_removed} bytes) left by a writer that was killed mid-write",
                          UserWarning, stacklevel=4)
        self.append_encoded = self.history.append_encoded
        self._meta: dict[str, Any] | None = None
        self._meta_lock = threading.RLock()  # reentrant: a signal handler may write while it is held
        self._json_lock = threading.RLock()
        self._unsaved: dict[Path, Any] = {}  # JSON files whose last write failed -> content to retry
        self._absorb = False  # once started, storage errors are recorded, never raised
        self._periodic: Callable[[], None] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def errors(self) -> list[str]:
        """The last storage error, if writes ever failed."""
        return [self.health.error] if self.health.error else []

    # -- atomic JSON files -------------------------------------------------------------
    def _save_json(self, path: Path, obj: Any) -> bool:
        with self._json_lock:
            try:
                write_json_atomic(path, obj)
            except OSError as exc:
                if not self._absorb:
                    raise  # during init(): a folder that cannot be written is the caller's error
                self._unsaved[path] = obj
                self.health.failed(path.name, exc)
                return False
            self._unsaved.pop(path, None)
            return True

    def write_meta(self, meta: dict[str, Any]) -> None:
        with self._meta_lock:
            self._meta = {"format": FORMAT_VERSION, **meta}
            self._save_json(self.paths.run_json, {**self._meta, **self.health.fields()})

    def update_meta(self, **fields: Any) -> None:
        with self._meta_lock:
            self._meta = {**(self._meta or {"format": FORMAT_VERSION}), **fields}
            self._save_json(self.paths.run_json, {**self._meta, **self.health.fields()})

    def heartbeat(self) -> None:
        now = self._clock()
        self.update_meta(heartbeat=now, updated=now)

    def write_config(self, config: dict[str, Any]) -> None:
        self._save_json(self.paths.config_json, config)

    def write_summary(self, summary: dict[str, Any]) -> None:
        self._save_json(self.paths.summary_json, summary)

    def _retry(self) -> None:
        """Write again the JSON files whose last write failed, then check whether all is written."""
        with self._json_lock:
            for path, obj in list(self._unsaved.items()):
                if path == self.paths.run_json:
                    self.update_meta()  # the newest metadata, with the storage record
                elif self._unsaved.get(path) is obj and not self._save_json(path, obj):
                    return
            if self.health.failing and not self._unsaved and self.history.all_written:
                if self.health.recovered():
                    self.update_meta()  # record the recovery in run.json

    # -- history -------------------------------------------------------------------------
    def append_row(self, row: dict[str, Any]) -> None:
        self.history.append(row)

    def media_dir(self, kind: str) -> Path:
        d = self.paths.media / kind
        d.mkdir(parents=True, exist_ok=True)
        return d

    # -- background thread -------------------------------------------------------------
    def start(self, periodic: Callable[[], None] | None = None) -> None:
        """Start flushing history every ``flush_interval`` s; call ``periodic()`` every
        ``summary_interval`` s (the run persists its summary there if it changed) and
        refresh the heartbeat every ``heartbeat_interval`` s. From now on storage errors
        are recorded (``health``), never raised."""
        self._periodic = periodic
        self._absorb = True
        self._thread = threading.Thread(target=self._loop, name="reportgen-writer", daemon=True)
        self._thread.start()

    def _tick(self) -> None:
        self.history.flush()
        if self._unsaved or self.health.failing:
            self._retry()

    def _loop(self) -> None:
        last_beat = last_summary = self._clock()
        while not self._stop.wait(self.flush_interval):
            try:
                self._tick()
                now = self._clock()
                if now - last_summary >= self.summary_interval:
                    last_summary = now
                    if self._periodic is not None:
                        self._periodic()
                if now - last_beat >= self.heartbeat_interval:
                    last_beat = now
                    self.heartbeat()
            except Exception as exc:  # noqa: BLE001 - the writer thread must outlive any one failure
                self.health.failed("writer thread", exc)

    def flush(self) -> None:
        self.history.flush()

    def close(self) -> None:
        """Stop the thread, flush and fsync history (never raises over storage)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._absorb = True
        self.history.close()
        self._retry()

    def release(self) -> None:
        """Give up the writer lock (after the final run.json)."""
        if self.lock is not None:
            self.lock.release()
