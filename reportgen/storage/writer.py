"""Writing a run folder: metadata, config and summary atomically; history appended.

History lines are queued in memory and written by one background thread at most
``flush_interval`` seconds after they were logged, in a single ``write()`` of
whole lines (no fsync on that path). The same thread rewrites ``run.json`` with a
fresh ``heartbeat`` every ``heartbeat_interval`` seconds and ``summary.json`` when
the automatic summary changed. :meth:`RunWriter.close` flushes and fsyncs.
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable

from .format import FORMAT_VERSION, RunPaths
from .jsonio import encode_line, write_json_atomic

DEFAULT_FLUSH_INTERVAL = 1.0
DEFAULT_HEARTBEAT_INTERVAL = 15.0


class HistoryAppender:
    """Append-only ``history.jsonl``: lines queued by the caller, written by :meth:`flush`."""

    def __init__(self, path: Path, flush_interval: float = DEFAULT_FLUSH_INTERVAL, *, start_thread: bool = True):
        self.path = path
        self.flush_interval = float(flush_interval)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._queue: deque[bytes] = deque()
        #: queue one encoded line (``deque.append``: thread-safe, no lock on the hot path)
        self.append_encoded = self._queue.append
        self._write_lock = threading.Lock()
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

    def flush(self) -> int:
        """Write every queued line; returns how many. Safe to call from any thread."""
        with self._write_lock:
            if self._fd < 0:
                return 0
            q = self._queue
            n = len(q)
            if not n:
                return 0
            data = b"".join([q.popleft() for _ in range(n)])
            view = memoryview(data)
            try:
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
            except OSError:
                if len(view) == len(data):  # nothing written: keep the lines for the next try
                    q.appendleft(data)
                raise  # a partial write leaves a torn line, which readers skip
            self.rows_written += n
            return n

    def fsync(self) -> None:
        with self._write_lock:
            if self._fd >= 0:
                os.fsync(self._fd)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
        self.flush()
        with self._write_lock:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1


class RunWriter:
    """Owns one run folder on disk and its background flush/heartbeat thread."""

    def __init__(self, root: Path, *, flush_interval: float = DEFAULT_FLUSH_INTERVAL,
                 heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL, clock: Callable[[], float] = time.time):
        if not flush_interval > 0:
            raise ValueError(f"flush_interval: expected a positive number of seconds, got {flush_interval!r}")
        if not heartbeat_interval > 0:
            raise ValueError(f"heartbeat_interval: expected a positive number of seconds, got {heartbeat_interval!r}")
        self.paths = RunPaths(Path(root))
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self.flush_interval = float(flush_interval)
        self.heartbeat_interval = float(heartbeat_interval)
        self._clock = clock
        self.history = HistoryAppender(self.paths.history, flush_interval, start_thread=False)
        self.append_encoded = self.history.append_encoded
        self._meta: dict[str, Any] | None = None
        self._meta_lock = threading.Lock()
        self._periodic: Callable[[], None] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []  # background write errors (disk full, folder removed...)

    # -- atomic JSON files -------------------------------------------------------------
    def write_meta(self, meta: dict[str, Any]) -> None:
        with self._meta_lock:
            self._meta = {"format": FORMAT_VERSION, **meta}
            write_json_atomic(self.paths.run_json, self._meta)

    def update_meta(self, **fields: Any) -> None:
        with self._meta_lock:
            self._meta = {**(self._meta or {"format": FORMAT_VERSION}), **fields}
            write_json_atomic(self.paths.run_json, self._meta)

    def heartbeat(self) -> None:
        now = self._clock()
        self.update_meta(heartbeat=now, updated=now)

    def write_config(self, config: dict[str, Any]) -> None:
        write_json_atomic(self.paths.config_json, config)

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json_atomic(self.paths.summary_json, summary)

    # -- history -------------------------------------------------------------------------
    def append_row(self, row: dict[str, Any]) -> None:
        self.history.append(row)

    # -- background thread -------------------------------------------------------------
    def start(self, periodic: Callable[[], None] | None = None) -> None:
        """Start flushing history every ``flush_interval`` s; every ``heartbeat_interval`` s call
        ``periodic()`` (the run persists its summary there) and refresh the heartbeat."""
        self._periodic = periodic
        self._thread = threading.Thread(target=self._loop, name="reportgen-writer", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        last_beat = self._clock()
        while not self._stop.wait(self.flush_interval):
            try:
                self.history.flush()
                if self._clock() - last_beat >= self.heartbeat_interval:
                    last_beat = self._clock()
                    if self._periodic is not None:
                        self._periodic()
                    self.heartbeat()
            except OSError as exc:  # keep the training loop alive; close() reports it again
                self.errors.append(f"{exc.__class__.__name__}: {exc}")

    def flush(self) -> None:
        self.history.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self.history.close()
