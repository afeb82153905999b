"""Writing a run folder: metadata, config and summary atomically; history appended.

History lines are queued in memory and written by one background thread at most
``flush_interval`` seconds after they were logged, in a single ``write()`` of
whole lines (no fsync on that path). The same thread rewrites ``summary.json``
when the automatic summary changed, after each flush (so a run killed in its first
seconds leaves its last values there too, not ``{}``), and ``run.json`` with a fresh
``heartbeat`` every ``heartbeat_interval`` seconds. :meth:`RunWriter.close`
flushes and fsyncs.

Storage failures (disk full, quota, a removed mount) never reach the training loop
once the writer runs (:meth:`RunWriter.start`): history bytes that could not be
written stay in memory (up to ``MAX_UNWRITTEN_BYTES``) and are written, in order,
when writing works again; a line cut by a partial write is truncated away, so the
file holds whole lines only (:mod:`reportgen.storage.appender`). See
:mod:`reportgen.storage.health` for the warnings.
"""
from __future__ import annotations

import os
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable

from .appender import DEFAULT_FLUSH_INTERVAL, MAX_UNWRITTEN_BYTES, HistoryAppender
from .format import FORMAT_VERSION, RunPaths
from .health import StorageHealth, _warn
from .jsonio import write_json_atomic
from .moved import FolderHandle
from .safety import printable

DEFAULT_HEARTBEAT_INTERVAL = 15.0
#: The automatic summary is rewritten with the heartbeat when it changed. Not faster: every
#: rewrite changes the runs table, which makes pages open in ``serve --watch`` reload; readers
#: complete the summary of a run whose writer died from its history instead (storage.lastvalues).

#: how many forks this process is from the one that imported reportgen (one more in each child)
_forks = 0


def _forked() -> None:
    global _forks
    _forks += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)

__all__ = ["RunWriter", "HistoryAppender", "DEFAULT_FLUSH_INTERVAL", "DEFAULT_HEARTBEAT_INTERVAL",
           "MAX_UNWRITTEN_BYTES"]


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
        self._clock = clock
        self.lock = lock  # the writer lock (storage.lock.WriterLock), released by release()
        self.health = StorageHealth(str(self.paths.root))
        self.history = HistoryAppender(self.paths.history, flush_interval, start_thread=False,
                                       health=self.health, max_unwritten=max_unwritten)
        self.health.count = lambda: self.history.rows_written
        if self.history.torn_bytes_removed:
            warnings.warn(printable(f"{self.paths.history}: removed an incomplete last line ({self.history.torn_bytes_removed}"
                                    " bytes) left by a writer that was killed mid-write"), UserWarning, stacklevel=4)
        self.append_encoded = self.history.append_encoded
        self.folder = FolderHandle(self.paths.root)  # the folder wherever it goes (umount -l, mv): moved.py
        self.on_moved: Callable[[Path], None] | None = None  # told the path that reaches it then
        self._moved = False
        self._meta: dict[str, Any] | None = None
        # one reentrant lock for every JSON file (a signal handler may write while it is held;
        # one lock, so metadata and retries can never wait for each other in opposite orders)
        self._json_lock = self._meta_lock = threading.RLock()
        self._unsaved: dict[Path, Any] = {}  # JSON files whose last write failed -> content to retry
        self._saved: dict[Path, Any] = {}  # the last content of each JSON file, to write anew
        self._recreated = 0  # history recreations handled (the folder was deleted: JSON files too)
        self._absorb = False  # once started, storage errors are recorded, never raised
        self._periodic: Callable[[], None] | None = None
        self._often: Callable[[], None] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._forks, self._pid, self._warned_foreign = _forks, os.getpid(), False

    def foreign(self, what: str, *, warn: bool = True) -> bool:
        """True in a process forked from the writer's (a DataLoader or ``multiprocessing`` worker):
        it must not write the parent's run, whose history it would duplicate. Warns once."""
        if self._forks == _forks:
            return False
        if warn and not self._warned_foreign:
            self._warned_foreign = True
            _warn(f"reportgen: {what} ignored: run folder {self.paths.root} is written by process "
                  f"{self._pid}, and this process ({os.getpid()}) is a fork of it. Call reportgen.init() "
                  "here for a run of its own")
        return True

    @property
    def errors(self) -> list[str]:
        """The last storage error, if writes ever failed."""
        return [self.health.error] if self.health.error else []

    # -- atomic JSON files -------------------------------------------------------------
    def _save_json(self, path: Path, obj: Any) -> bool:
        if self.foreign(f"writing {path.name}"):
            return False
        with self._json_lock:
            try:
                write_json_atomic(path, obj)
            except OSError as exc:
                if not self._absorb:
                    raise  # during init(): a folder that cannot be written is the caller's error
                if not self._moved and path.parent == self.paths.root:
                    self.follow_if_moved()  # (the folder left its path since the last flush: written there)
                    if self._moved and path.parent != self.paths.root:
                        return self._save_json(self.paths.root / path.name, obj)
                self._unsaved[path] = obj
                self.health.failed(path.name, exc)
                return False
            self._unsaved.pop(path, None)
            self._saved[path] = obj
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
            if self.history.recreated != self._recreated:  # the run folder was deleted: its JSON files too
                self._recreated = self.history.recreated
                self._unsaved = {**self._saved, **self._unsaved}
                self.folder.reopen()
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

    # -- background thread -------------------------------------------------------------
    def start(self, periodic: Callable[[], None] | None = None, often: Callable[[], None] | None = None) -> None:
        """Start flushing history every ``flush_interval`` s, calling ``often()`` after each flush (the
        run persists its summary there if it changed and a write is cheap enough); every
        ``heartbeat_interval`` s call ``periodic()`` (the summary if it changed, whatever it costs)
        and refresh the heartbeat. From now on storage errors are recorded (``health``), never raised."""
        self._periodic = periodic
        self._often = often
        self._absorb = True
        self._thread = threading.Thread(target=self._loop, name="reportgen-writer", daemon=True)
        self._thread.start()

    @property
    def moved(self) -> bool:
        """True once the run folder was noticed to have left its path (:meth:`follow_if_moved`)."""
        return self._moved

    def follow_if_moved(self) -> None:
        """The run folder left its path (``umount -l`` of its file system, ``mv``) while its history
        goes on into it: write every file there too, instead of splitting the run (storage.moved).
        Checked at each flush, and by ``run.dir`` (a path the script writes in by name)."""
        if self._moved or not self.folder.moved():  # (the lock only then: a flush never waits for a JSON write)
            return
        with self._json_lock:  # (the writer thread, run.dir and a JSON write may notice it at once)
            if not self._moved and self.folder.moved():
                self._moved = True
                self._follow()

    def _follow(self) -> None:
        old, where = self.paths.root, self.folder.where()
        said = (f"run folder {old} is no longer at its path after {self.history.rows_written} rows (its file "
                "system was unmounted with umount -l, or the folder was moved): the run goes on writing into "
                "that folder where it is now")
        if where is None:  # no /proc: only the files already open follow it
            self.health.recreated("run folder", f"{said}; run.json, summary.json and media go to {old}")
            return
        with self._json_lock:
            self.paths = RunPaths(where)
            self.history.path = self.paths.history
            self._unsaved = {where / p.name: obj for p, obj in {**self._saved, **self._unsaved}.items()}
            self._saved = {}
        if self.on_moved is not None:
            self.on_moved(where)
        self.health.recreated("run folder", f"{said}, run.json, summary.json and media included; nothing "
                              f"more is written at {old}")

    def _tick(self) -> None:
        self.history.recreate_if_deleted()
        self.follow_if_moved()
        self.history.flush()
        if self._unsaved or self.health.failing or self.history.recreated != self._recreated:
            self._retry()

    def _loop(self) -> None:
        last_beat = self._clock()
        while not self._stop.wait(self.flush_interval):
            try:
                self._tick()
                if self._often is not None:
                    self._often()
                now = self._clock()
                if now - last_beat >= self.heartbeat_interval:
                    last_beat = now
                    if self._periodic is not None:
                        self._periodic()
                    self.heartbeat()
            except Exception as exc:  # noqa: BLE001 - the writer thread must outlive any one failure
                self.health.failed("writer thread", exc)

    def flush(self) -> None:
        self.history.flush()

    def close(self, join_timeout: float = 10.0) -> None:
        """Stop the thread, flush and fsync history (never raises over storage)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=join_timeout)
        self._absorb = True
        try:
            self.follow_if_moved()  # (moved since the last tick: the last files go where the history is)
        except Exception as exc:  # noqa: BLE001 - never raises over storage
            self.health.failed("run folder", exc)
        self.history.close()
        self._retry()

    def release(self) -> None:
        """Give up the writer lock (after the final run.json)."""
        self.folder.close()
        if self.lock is not None:
            self.lock.release()
