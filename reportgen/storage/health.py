"""Whether a run folder can be written right now: one warning when writes start failing,
one when they work again, and the record of it that goes into ``run.json`` (``storage``).

A full disk, a quota, a removed network mount: the writer keeps what it could not
write in memory and retries; the training loop is never interrupted. See
docs/format.md ("When the disk is full").
"""
from __future__ import annotations

import sys
import threading
import time
import warnings
from typing import Any, Callable

from .moved import named
from .safety import printable


def _warn(message: str) -> None:
    # (escaped: it names the run folder and an exception's text, on the user's terminal; the folder by
    # its place, not the /proc/self/fd/<n> it is written by: storage.moved)
    message = named(message)
    try:  # from the writer thread there is no user frame to point at: name the package
        warnings.warn_explicit(printable(message), UserWarning, "reportgen", 0, module="reportgen")
    except Exception:  # noqa: BLE001 - warnings turned into errors: never raise into the training loop
        print(f"UserWarning: {printable(message)}", file=sys.stderr)


class StorageHealth:
    """Failing / recovered state of one run folder's writes (thread-safe)."""

    def __init__(self, where: str, warn: Callable[[str], None] = _warn, clock: Callable[[], float] = time.time):
        self.where = where
        self.failing = False
        self.error: str | None = None
        self.failures = 0  # failing periods so far
        self.failed_at: float | None = None
        self.recovered_at: float | None = None
        self.rows_lost = 0
        self._warn = warn
        self._clock = clock
        self._lock = threading.RLock()  # reentrant: a signal handler's flush may fail while it is held
        self._warned_lost = False
        #: rows written so far (set by the writer), to say how many waited in memory
        self.count: Callable[[], int] = lambda: 0
        self._count_at_failure = 0

    def failed(self, what: str, exc: BaseException) -> None:
        """A write of ``what`` (a file name) failed; warns on the first failure of a failing period."""
        with self._lock:
            self.error = named(f"{what}: {exc.__class__.__name__}: {exc}")
            if self.failing:
                return
            self.failing = True
            self.failures += 1
            self.failed_at = self._clock()
            self.recovered_at = None
            self._count_at_failure = self.count()
            message = (f"reportgen: cannot write to run folder {self.where} ({self.error}). Logging goes on: "
                       "rows are kept in memory and written when writing works again")
        self._warn(message)

    def recovered(self) -> bool:
        """Everything pending was written; warns once (True) if that ends a failing period."""
        with self._lock:
            if not self.failing:
                return False
            self.failing = False
            self.recovered_at = self._clock()
            rows = self.count() - self._count_at_failure
            took = self.recovered_at - (self.failed_at or self.recovered_at)
            lost = f"{self.rows_lost} rows were lost (memory limit)" if self.rows_lost else "no row was lost"
            message = (f"reportgen: writing to run folder {self.where} works again after {took:.1f} s; "
                       f"{rows} rows logged meanwhile were written, {lost}")
        self._warn(message)
        return True

    def recreated(self, what: str, message: str) -> None:
        """``what`` was deleted under the writer and made anew, or moved and followed: a failure
        that is over (warns)."""
        with self._lock:
            self.error = named(f"{what}: {message}")
            self.failures += 1
            self.failed_at = self._clock()
            if not self.failing:
                self.recovered_at = self.failed_at
        self._warn(f"reportgen: {message}")

    def lost(self, rows: int, why: str) -> None:
        """``rows`` history rows will never be written (memory limit reached, or the run ended while failing)."""
        if rows <= 0:
            return
        with self._lock:
            self.rows_lost += rows
            first = not self._warned_lost
            self._warned_lost = True
        if first or why == "finish":
            self._warn(f"reportgen: {rows} history rows of run folder {self.where} are lost ({why}; "
                       f"{self.error or 'writes failing'})")

    def fields(self) -> dict[str, Any]:
        """``{"storage": {...}}`` for run.json once a write has failed, else ``{}``."""
        if not self.failures:
            return {}
        return {"storage": {"error": self.error, "failing": self.failing, "failures": self.failures,
                            "failed_at": self.failed_at, "recovered_at": self.recovered_at,
                            "rows_lost": self.rows_lost}}
