"""Following folders with watchdog; a burst of file events becomes one rebuild.

:class:`Debouncer` runs its callback once the events have been quiet for
``delay`` seconds (or at the latest ``max_wait`` seconds after the first event of
a burst, so a run that writes continuously still updates). It runs on one
thread that sleeps on a condition while nothing happens: idle CPU is zero.
Events that arrive during a rebuild cause exactly one more rebuild afterwards,
started no sooner than half the time the last rebuild took (so rebuilds use at most
about two thirds of a core however fast runs write).

The delays are short on purpose: eight runs of a sweep each flush once a second
at their own phase, so the folder is never quiet for long; the old 0.2 s quiet
period / 2 s cap made every point wait for the 2 s cap (3.4 s median from log()
to the page). A flush writes its files within a few milliseconds, so 50 ms of
quiet joins them, and 0.25 s is the most any event waits.
"""
from __future__ import annotations

import os
import threading
import time
import warnings
from pathlib import Path
from typing import Callable

from watchdog.events import (EVENT_TYPE_CLOSED, EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED,
                             EVENT_TYPE_MOVED, FileSystemEvent, FileSystemEventHandler)
from watchdog.observers import Observer

# watchdog's inotify observer warns once per folder it may not read (a shared drive's), with a repr of
# its whole watch table: screens of text at every start of ``serve --watch``, nothing the user can act
# on (the build names such folders itself). Those folders are not followed; the others are.
warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning, module=r"watchdog\.")

DEBOUNCE = 0.05
MAX_WAIT = 0.25
THROTTLE = 0.5  # rebuilding back to back takes at most 2/3 of a core
# Reading files (opened / closed-without-write / attrib) must not trigger a rebuild:
# the build itself reads every run folder.
RELEVANT = {EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED, EVENT_TYPE_CLOSED}


class Debouncer:
    def __init__(self, callback: Callable[[], None], delay: float = DEBOUNCE, max_wait: float = MAX_WAIT,
                 clock: Callable[[], float] = time.monotonic):
        self.callback = callback
        self.delay = delay
        self.max_wait = max_wait
        self.clock = clock
        self._cond = threading.Condition()
        self._first: float | None = None  # time of the first pending event
        self._last = 0.0  # time of the latest pending event
        self._stopped = False
        self._not_before = 0.0  # throttle: the end of the last callback plus THROTTLE x its duration
        self.busy = False  # the callback (a rebuild) is running
        self._thread = threading.Thread(target=self._loop, name="reportgen-debounce", daemon=True)

    def start(self) -> "Debouncer":
        self._thread.start()
        return self

    def poke(self) -> None:
        """Record one file event."""
        with self._cond:
            now = self.clock()
            if self._first is None:
                self._first = now
            self._last = now
            self._cond.notify()

    def due_in(self, now: float) -> float | None:
        """Seconds until the pending burst is due (<= 0: now), None when nothing is pending."""
        if self._first is None:
            return None
        due = min(self._last + self.delay, self._first + self.max_wait)
        return max(due, self._not_before) - now

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    wait = self.due_in(self.clock())
                    if wait is not None and wait <= 0:
                        break
                    self._cond.wait(wait)  # None: sleep until poked
                if self._stopped:
                    return
                self._first = None
            started = self.clock()
            self.busy = True
            try:
                self.callback()
            finally:
                self.busy = False
                ended = self.clock()
                with self._cond:
                    self._not_before = ended + THROTTLE * (ended - started)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop; wait up to ``timeout`` seconds for a callback (a rebuild) still running."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=timeout)


class _Forward(FileSystemEventHandler):
    """Pass on events about the watched folders or anything inside them."""

    def __init__(self, poke: Callable[[], None], folders: list[Path]):
        self.poke = poke
        self.folders = tuple(str(f) for f in folders)
        self.prefixes = tuple(str(f) + os.sep for f in folders)

    def wanted(self, path: str) -> bool:
        return bool(path) and (path in self.folders or path.startswith(self.prefixes))

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in RELEVANT:
            return
        if event.is_directory and event.event_type == EVENT_TYPE_MODIFIED:
            return  # a directory's mtime moved: the file events say more
        paths = [os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")]
        if any(self.wanted(p) for p in paths):
            self.poke()


class Watcher:
    """Watch folders recursively; also notice a watched folder being removed and created again."""

    def __init__(self, folders: list[Path], poke: Callable[[], None]):
        self.folders = [Path(f).absolute() for f in folders]
        self.poke = poke
        self.handler = _Forward(self._on_event, self.folders)
        self.observer = Observer()
        self._watches: dict[Path, object] = {}
        self._lock = threading.Lock()

    def start(self) -> "Watcher":
        parents = {f.parent for f in self.folders}
        for parent in sorted(parents):
            if parent.is_dir():  # non-recursive: sees the watched folders come and go
                self.observer.schedule(self.handler, str(parent), recursive=False)
        for folder in self.folders:
            self._schedule(folder)
        self.observer.start()
        return self

    def _schedule(self, folder: Path) -> None:
        if folder.is_dir():
            self._watches[folder] = (self.observer.schedule(self.handler, str(folder), recursive=True),
                                     _identity(folder))

    def _on_event(self) -> None:
        self._refresh()
        self.poke()

    def _refresh(self) -> None:
        """Re-watch a folder that was deleted and created again (its inode changed)."""
        with self._lock:
            for folder in self.folders:
                watch = self._watches.get(folder)
                ident = _identity(folder)
                if watch is not None and watch[1] == ident and self._alive(watch[0]):
                    continue
                if watch is not None:
                    try:
                        self.observer.unschedule(watch[0])
                    except (KeyError, ValueError, OSError):
                        pass
                    del self._watches[folder]
                if ident is not None:
                    self._schedule(folder)

    def _alive(self, watch: object) -> bool:
        """watchdog stops following a folder that was deleted (even if one with its inode returns)."""
        return any(e.watch == watch and e.is_alive() for e in self.observer.emitters)

    def stop(self, timeout: float = 5.0) -> None:
        self.observer.stop()
        self.observer.join(timeout=timeout)  # daemon threads: a slow join does not keep the process


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        st = folder.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
