"""A run folder that left its path while the run writes it.

``umount -l`` of the file system under a running run detaches it: the writer's open files
(``history.jsonl``, ``output.log``, ``system.jsonl``) go on into the folder on the detached
file system, where they are kept (on a disk, found again when it is mounted back), while the
path now names the empty mount point (or another mount). ``mv runs/a runs/b`` of a running run
does the same within one file system. Files written by name (``run.json``, ``summary.json``,
media, ``files/``) then went to a new folder made at the old path: the run was split in two,
its end state, summary and later media away from its history, without a word.

:class:`FolderHandle` holds a descriptor of the run folder; :meth:`FolderHandle.moved` tells
when the folder still exists but its path names something else (a folder deleted is not
moved: it is made anew at its path, :mod:`reportgen.storage.appender`), and
:meth:`FolderHandle.where` gives a path that reaches the folder where it is now (Linux:
``/proc/self/fd/<fd>``), for the writer to go on writing everything there. Media and ``save()``
copies are written through :meth:`FolderHandle.reach` from the start: a file written between the
``mv`` and the writer noticing it went by name to a new folder at the old path, its history row
pointing at nothing in the run. :meth:`FolderHandle.place` is the folder's own path now, for
``run.dir`` and ``run.folder``, and for messages: :func:`named` puts it in place of the
``/proc/self/fd/<fd>`` paths a failed write's error names.
"""
from __future__ import annotations

import errno
import os
import re
from pathlib import Path

_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
PROC_FD = Path("/proc/self/fd")
_PROC_FD_PATH = re.compile(r"/proc/self/fd/([0-9]+)(?![0-9])")
_held: dict[int, "FolderHandle"] = {}  # descriptor -> the handle holding it, for named()


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


class FolderHandle:
    """An open descriptor of one run folder (none where folders cannot be opened)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.fd: int | None = None
        self.reopen()

    def reopen(self) -> None:
        """Hold the folder now at :attr:`path` (after it was deleted and made anew)."""
        self.close()
        try:
            self.fd = os.open(self.path, _FLAGS)
        except (OSError, ValueError):
            self.fd = None
        else:
            _held[self.fd] = self

    def moved(self) -> bool:
        """True when the folder still exists but :attr:`path` no longer names it."""
        if self.fd is None:
            return False
        try:
            st = os.fstat(self.fd)
        except OSError:
            return False
        if not st.st_nlink:  # deleted (rm -rf): made anew at its path, not followed
            return False
        try:
            return not _same(os.stat(self.path), st)
        except OSError as exc:
            return exc.errno in (errno.ENOENT, errno.ENOTDIR)  # not an I/O error of a network mount

    def where(self) -> Path | None:
        """A path reaching the folder where it is now, or None where there is none (no ``/proc``)."""
        fd = self.fd  # (closed by finish() meanwhile: None, not a TypeError)
        if fd is None:
            return None
        here = PROC_FD / str(fd)
        try:
            return here if _same(os.stat(here), os.fstat(fd)) else None
        except OSError:
            return None

    def reach(self) -> Path:
        """The path to write the folder's files by: :meth:`where` while the folder exists, so a file
        lands in it wherever it goes meanwhile; :attr:`path` when it was deleted (made anew there, as
        the history is) or cannot be held."""
        fd = self.fd
        try:
            if fd is None or not os.fstat(fd).st_nlink:
                return self.path
        except OSError:
            return self.path
        return self.where() or self.path

    def place(self) -> Path | None:
        """The folder's own path now: :attr:`path` while it names the folder, else where ``mv`` took it
        (the kernel's name for the descriptor, checked to name the folder), else a path reaching it (a
        detached file system has none: :meth:`where`); None when it is not held (closed, no ``/proc``)."""
        here = self.where()
        if here is None:
            return None
        if not self.moved():
            return self.path
        try:
            real = Path(os.readlink(here))
            if real.is_absolute() and _same(os.stat(real), os.stat(here)):
                return real
        except OSError:
            pass
        return here

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            if _held.get(fd) is self:
                del _held[fd]
            try:
                os.close(fd)
            except OSError:
                pass


def named(text: str) -> str:
    """``text`` (a message for the user, or run.json's storage record) with each ``/proc/self/fd/<fd>``
    of a run folder held here replaced by the folder's place (:meth:`FolderHandle.place`): files are
    written by that path (:meth:`FolderHandle.reach`), so an error of a failed write named it, a path
    that does not say which folder, and names another one, or none, once the run ended."""
    if str(PROC_FD) not in text:
        return text

    def place(match: re.Match) -> str:
        handle = _held.get(int(match.group(1)))
        where = handle.place() if handle is not None else None
        return match.group(0) if where is None else str(where)

    return _PROC_FD_PATH.sub(place, text)
