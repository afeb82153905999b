"""The listings a build starts with, made in forked child processes while this one goes on.

A build starts by listing the run folders (``scan.py``: the signature of every file it reads) and
the output folder (``manifest.py``: what is the user's, what is the builder's), and by loading the
build snapshot (``snapshot.py``). At 10,000 runs the listings are ~60,000 ``stat`` calls, and the
snapshot and the builder's imports as much time again, one after the other (incr20: together
nearly half of a rebuild after one run changed). They do not depend on each other, so on 2+ CPUs:

* ``reportgen build`` starts both listings (:func:`start`) before it imports the builder, each in a
  child process forked at once (nothing is written before they are made, as before);
* the builder takes their results (``marshal``, through a pipe) after it loaded the snapshot;
  without :func:`start` (``reportgen.build()``, ``serve``), it forks the scan then, and lists the
  output folder itself meanwhile.

A listing is made in this process instead when fork is not available, when other threads run
(``serve`` builds in a thread, and fork is unsafe with threads), on one CPU, and when its child
fails for any reason (then its result is dropped and the listing made again here).
"""
from __future__ import annotations

import marshal
import multiprocessing as mp
import os
import threading
from pathlib import Path
from typing import Any, Callable

from .manifest import Manifest
from .scan import scan_runs


def scan(runs: Path, record: Path | None) -> tuple[list, list[str], bool, str | None]:
    """(run folders as ``scan_runs`` lists them, its warnings, whether the root holds runs in the
    segmented layout, the error of its record's write if it failed: warned of with the cache's)."""
    skipped: list[str] = []
    flags: dict[str, Any] = {}
    found = scan_runs(runs, skipped, record, flags)
    return found, skipped, flags.get("segmented", False), flags.get("record_error")


def can_fork() -> bool:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cpus >= 2 and threading.active_count() == 1 and "fork" in mp.get_all_start_methods()


class Forked:
    """``fn(*args)`` in a forked child (when :func:`can_fork`), its result (plain data) sent back
    through a pipe; :meth:`result` waits for it, or makes it here when the child could not."""

    def __init__(self, fn: Callable[..., Any], *args: Any):
        self.fn, self.args = fn, args
        self.pid: int | None = None
        self.fd: int | None = None
        if not can_fork():
            return
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            return
        if pid == 0:  # the child: make, send, and leave without running any exit handler
            code = 1
            try:
                os.close(r)
                data = marshal.dumps(fn(*args))
                with os.fdopen(w, "wb") as fh:
                    fh.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        self.pid, self.fd = pid, r

    def result(self) -> Any:
        if self.pid is not None:
            pid, self.pid = self.pid, None
            try:
                with os.fdopen(self.fd, "rb") as fh:
                    data = fh.read()
            finally:
                _pid, status = os.waitpid(pid, 0)
            if status == 0:
                try:
                    return marshal.loads(data)
                except (EOFError, ValueError, TypeError):
                    pass
        return self.fn(*self.args)


def _site(out: Path, record: Path | None) -> tuple:
    return Manifest(out, record).state()


_STARTED: dict[tuple, Forked] = {}  # listings started by start(), until the build takes them


def scan_record(cfg) -> Path | None:
    """Where the run folders' listing is kept between builds of ``cfg`` (``scan.py``)."""
    return cfg.cache_dir / "scan.bin" if cfg.cache else None


def site_record(cfg) -> Path | None:
    """Where the output folder's listing is kept between builds of ``cfg`` (``manifest.py``)."""
    return cfg.cache_dir / "site-folders.bin" if cfg.cache else None


def start(cfg) -> None:
    """Start both listings of the build of ``cfg`` (a ``BuildConfig``) about to run, when they can
    be forked; the build takes them (else it lists as without)."""
    if can_fork():
        runs, out, scan_rec, site_rec = Path(cfg.runs), Path(cfg.out), scan_record(cfg), site_record(cfg)
        _STARTED[("scan", runs, scan_rec)] = Forked(scan, runs, scan_rec)
        _STARTED[("site", out, site_rec)] = Forked(_site, out, site_rec)


def scan_forked(runs: Path, record: Path | None) -> Forked:
    """The scan of ``runs`` (started by :func:`start`, else now); ``.result()``: :func:`scan`'s."""
    return _STARTED.pop(("scan", Path(runs), record), None) or Forked(scan, runs, record)


def site_listing(out: Path, record: Path | None) -> Forked | None:
    """The output folder's listing started by :func:`start` (``Manifest(out, record, state=.result())``),
    else None."""
    return _STARTED.pop(("site", Path(out), record), None)
