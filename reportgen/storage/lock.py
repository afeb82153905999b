"""One writer per history stream: an exclusive ``flock`` on ``run.lock`` in the run folder.

The SDK takes the lock before it reads a run back (``resume=``) and holds it for the
writer's lifetime. The operating system drops it when the process ends, however it
ends (``SIGKILL`` included), so a crashed run can always be resumed; a second process
opening the same run while the first is alive gets :class:`RunLockedError` naming the
run and the holder (pid, host, start time) instead of interleaving two histories.

The lock file stays in the folder after the run (deleting it would race with a
process that just opened it). The writer also holds a ``flock`` on the run folder itself:
a ``run.lock`` deleted while its run is written (someone cleaning up "stale" lock files)
let a second writer create a new one, lock that, and interleave its rows with the
first's; the folder's lock still refuses it. (Where a folder cannot be locked, on some
network file systems, ``run.lock`` alone decides.) It belongs to the stream it protects: today one
history per run, so ``run.lock``; a future many-writers layout takes one lock per
writer stream (``<stream>.lock``). Where ``fcntl`` does not exist (Windows) no lock
is taken.

:func:`os_lock` / :func:`os_unlock` are the blocking lock of any open file (the sweeps' ``lock`` and
``journal.flock``), with ``msvcrt.locking`` where there is no ``flock``. :func:`held` holds such a lock
for a block (the joined copy of a runs root while one process syncs it), saying first whom it waits for.
"""
from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .safety import open_own

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = "run.lock"


class RunLockedError(RuntimeError):
    """Another live process is writing this run (stream)."""


#: how long a refused writer waits for the holder's details: the holder takes the lock, then writes
#: them (:func:`_stamp`), so a second process can find the file empty, or a dead holder's details
HOLDER_WAIT = 2.0


def _details(fh) -> dict | None:
    """The holder's details in the lock file: None while they are not written (an empty file, a torn
    write) or are a previous holder's (a pid of this host that is no longer alive)."""
    try:
        fh.seek(0)
        info = json.loads(fh.read(4096) or b"null")
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not info:
        return None
    pid = info.get("pid")
    if info.get("host") == socket.gethostname() and isinstance(pid, int) and not isinstance(pid, bool) and pid > 0:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None  # the last holder's, before the new one truncated the file
        except (OSError, OverflowError):
            pass  # alive (EPERM: another user's), or not a pid of this system
    return info


def _holder(fh, wait: float = HOLDER_WAIT) -> str:
    """Who holds the lock of ``fh``: "pid 12 on host, since 2024-01-31 12:05:00", each part that the
    file (another process's: untrusted) does not give left out; its details are waited for up to
    ``wait`` seconds, then said to be still being written."""
    deadline = time.monotonic() + wait
    info = _details(fh)
    while info is None and time.monotonic() < deadline:
        time.sleep(0.02)
        info = _details(fh)
    if info is None:
        return "its details are still being written"
    parts = []
    pid, host, since = info.get("pid"), info.get("host"), info.get("since")
    if isinstance(pid, int) and not isinstance(pid, bool):
        parts.append(f"pid {pid}")
    if isinstance(host, str) and host:
        parts.append(f"on {host[:200]}")
    try:  # any number (1e308 is beyond any date), or anything else
        if isinstance(since, (int, float)) and not isinstance(since, bool):
            parts.append("since " + time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(since)))
    except (OverflowError, OSError, ValueError):
        pass
    return ", ".join(parts).replace(", on ", " on ") if parts else "its details are not readable"


def _stamp(fh) -> None:
    """Write who holds the lock (pid, host, since) into its file, for :func:`_holder`."""
    try:
        fh.truncate(0)
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}).encode())
        fh.flush()
    except OSError:
        pass  # the holder's details are a courtesy; the lock itself is held


def _lock_folder(folder: str | os.PathLike, run_id: str) -> int | None:
    """An exclusive ``flock`` on the run folder itself, whose descriptor is returned (None where a
    folder cannot be locked); RunLockedError when a live writer holds it, as after its ``run.lock``
    was deleted and made again by us."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RunLockedError(
            f"init(): run {run_id!r} is being written by another process (it holds the run folder "
            f"{folder}; its lock file run.lock was deleted). Two writers would interleave one history: "
            "finish or stop that process first, or log to another id") from None
    except OSError:
        os.close(fd)
        return None  # a file system that cannot lock a folder: run.lock alone decides
    return fd


class WriterLock:
    """The held lock of one writer stream; :meth:`release` (or process exit) frees it."""

    def __init__(self, folder: str | os.PathLike, run_id: str, name: str = LOCK_NAME):
        self.path = Path(folder) / name
        self._fh = None
        self._folder_fd: int | None = None
        if fcntl is None:
            return
        fh = os.fdopen(open_own(self.path, os.O_RDWR | os.O_APPEND), "a+b")  # 0o666 & ~umask, never via a link
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fh)
            fh.close()
            raise RunLockedError(
                f"init(): run {run_id!r} is being written by another process ({holder}; lock "
                f"{self.path}). Two writers would interleave one history: finish or stop that "
                "process first, or log to another id") from None
        except OSError:
            fh.close()  # a file system without flock support: go on without the lock
            return
        self._fh = fh
        try:
            self._folder_fd = _lock_folder(folder, run_id)
        except RunLockedError:
            self.release()  # our run.lock too
            raise
        _stamp(fh)

    @property
    def held(self) -> bool:
        return self._fh is not None

    def release(self) -> None:
        fd, self._folder_fd = self._folder_fd, None
        if fd is not None:
            try:
                os.close(fd)  # (closing the descriptor releases its flock)
            except OSError:
                pass
        fh, self._fh = self._fh, None
        if fh is not None:
            for step in (lambda: fcntl.flock(fh.fileno(), fcntl.LOCK_UN), fh.close):
                try:
                    step()
                except OSError:
                    pass  # closing the descriptor (or the process ending) releases it anyway


def os_lock(fd: int) -> None:
    """Block until this process holds the exclusive OS lock of the open file ``fd`` (``flock``;
    ``msvcrt.locking`` of its first byte on Windows). The OS drops it when the holder dies."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    import msvcrt  # pragma: no cover - Windows

    while True:  # pragma: no cover - Windows (LK_LOCK gives up after 10 s)
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
            return
        except OSError:
            time.sleep(0.05)


def os_unlock(fd: int) -> None:
    """Release :func:`os_lock` of ``fd``."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return
    import msvcrt  # pragma: no cover - Windows

    os.lseek(fd, 0, os.SEEK_SET)
    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


@contextmanager
def held(path: str | os.PathLike, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the exclusive ``flock`` of the file ``path`` (made if missing, never through a link) for the
    block. When another process holds it, ``waiting`` is told who (pid, host, since) before this one
    blocks until it is released, which the OS does when the holder ends, however it ends. Where the
    file system cannot lock (some network file systems, Windows), the block runs without the lock."""
    if fcntl is None:
        yield
        return
    with os.fdopen(open_own(path, os.O_RDWR | os.O_APPEND), "a+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting(_holder(fh))
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except OSError:
            yield  # a file system without flock support
            return
        _stamp(fh)
        yield  # (closing the file releases the lock)
