"""The sweep's Optuna journal, written only by reportgen's own rules.

Optuna's ``JournalFileBackend`` locks its appends with ``JournalFileSymlinkLock``: it creates
``optuna.journal.lock`` as a symbolic link and, while that name exists, retries. A shared sweep
folder holding that name as a *broken* link (a hostile folder, or one moved after an agent was
killed in an append: the link names the journal by its old path) made every agent spin forever,
since the lock's grace period only starts once ``stat`` of the link succeeds. And its forced
release renames whatever the name is.

Here the journal is appended under an OS lock (``flock``; ``msvcrt.locking`` on Windows) on the
regular file ``journal.flock`` in the sweep folder, opened with :func:`open_own` (never through a
link, never a pipe). The OS releases it when its holder dies, so it can never be stale: there is no
timeout to guess and nothing to break into. ``optuna.journal.lock`` is neither created, followed,
renamed nor deleted; when one is there, :func:`optuna_lock_note` says so. The journal itself is
opened with :func:`open_own` for every append and every read (Optuna reads the descriptor opened
so, by its ``/proc/self/fd`` path), so a journal swapped for a link after the sweep was opened is
refused too, neither appended to nor read. The OS lock itself is :func:`storage.lock.os_lock`.
"""
from __future__ import annotations

import json
import os
import shlex
import stat
import threading
from typing import Any, Iterator

from ..storage.lock import os_lock, os_unlock
from ..storage.safety import NotRegularFile, open_own, printable

JOURNAL = "optuna.journal"
JOURNAL_LOCK = "journal.flock"
OPTUNA_LOCK = JOURNAL + ".lock"  # JournalFileSymlinkLock's name: never used by reportgen


def _what(path: str) -> str:
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            return f"a symbolic link (to {os.readlink(path)!r})"
    except OSError:
        pass
    return "not a regular file (a pipe, socket, device or folder)"


def open_lock_file(path: str | os.PathLike) -> int:
    """The sweep's lock file ``path`` opened (created) for an OS lock: a link or a pipe under its name
    is refused with :class:`NotRegularFile` naming it and saying how to remove it."""
    path = os.fspath(path)
    try:
        return open_own(path, os.O_RDONLY if os.name == "posix" else os.O_RDWR)
    except NotRegularFile:
        raise NotRegularFile(printable(f"{path}: {_what(path)}; reportgen does not lock or write through it: "
                                       f"remove it (rm {shlex.quote(path)}) or create a new sweep")) from None


class JournalLock:
    """Optuna's journal file lock interface (``acquire``/``release``), held with an OS lock on
    ``journal.flock``; one per backend, usable from several threads."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._held = threading.local()

    def acquire(self) -> bool:
        fd = open_lock_file(self.path)
        try:
            os_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        self._held.fd = fd
        return True

    def release(self) -> None:
        fd = getattr(self._held, "fd", None)
        if fd is None:
            return
        self._held.fd = None
        try:
            os_unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> "JournalLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _fd_path(fd: int) -> str | None:
    """A path that opens the open file ``fd`` itself (Linux ``/proc/self/fd/N``, ``/dev/fd/N``), else None."""
    for path in (f"/proc/self/fd/{fd}", f"/dev/fd/{fd}"):
        if os.path.exists(path):
            return path
    return None


def backend(folder: str | os.PathLike):
    """The ``JournalFileBackend`` of the sweep folder ``folder``: appends under :class:`JournalLock`,
    each, and every read, through :func:`open_own` (a journal that is a link or a pipe raises
    NotRegularFile naming it)."""
    from optuna.storages.journal import JournalFileBackend

    class Backend(JournalFileBackend):
        def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
            # Optuna opens (and stats) the journal by name: one swapped for a link after the sweep was
            # opened was read from wherever the link led. It reads the file opened here (open_own: no
            # link, no pipe) by its /proc/self/fd/N path, the same file whatever the name is now (where
            # there is no such path, by name: just checked, a swap in between is not caught)
            fd = open_own(self._own_path, os.O_RDONLY)
            try:
                self._file_path = _fd_path(fd) or self._own_path
                yield from super().read_logs(log_number_from)
            finally:
                self._file_path = self._own_path
                os.close(fd)

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            data = ("\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n").encode("utf-8")
            with self._own_lock:
                fd = open_own(self._own_path)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fsync(fd)
                finally:
                    os.close(fd)

    path = os.path.join(os.fspath(folder), JOURNAL)
    # a shared sweep folder's optuna.journal linked to ~/.bashrc got every trial appended to it
    os.close(open_own(path, os.O_RDONLY))  # created here (Optuna's own creation follows links)
    lock = JournalLock(os.path.join(os.fspath(folder), JOURNAL_LOCK))
    store = Backend(path, lock_obj=lock)  # (not Optuna's JournalFileSymlinkLock)
    store._own_path, store._own_lock = path, lock
    return store


def optuna_lock_note(folder: str | os.PathLike, sweep_id: str) -> str | None:
    """A line for the user when the sweep folder holds Optuna's own ``optuna.journal.lock``."""
    path = os.path.join(os.fspath(folder), OPTUNA_LOCK)
    try:
        st = os.lstat(path)
    except OSError:
        return None
    what = "a file"
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(path)
        except OSError:  # pragma: no cover - removed meanwhile
            return None
        broken = "" if os.path.exists(path) else "broken "
        what = f"a {broken}link to {target!r}"
    return printable(f"reportgen: sweep {sweep_id}: ignoring {path} ({what}): it is Optuna's own journal lock, "
                     f"left by an Optuna script or an older reportgen; reportgen locks the journal with "
                     f"{JOURNAL_LOCK} (an OS lock) and never touches it. If no Optuna script of yours writes "
                     f"to this sweep, remove it: rm {shlex.quote(path)}")
