"""Atomic file writes: a page or data file is either the old one or the new one, never half.

A write that fails (a full disk, EIO, a read-only folder) leaves no part of itself behind (the new
file or the temporary one is removed) and raises :class:`WriteFailed`, which names the file: the
builder ends with that one line for a site file and warns for a cache file (builder.py, cache.py).
"""
from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

#: the errors of a file system that takes no more (full, over quota, over the file-size limit, read-only)
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


class WriteFailed(OSError):
    """Writing a file failed; ``filename`` is the file, ``strerror`` the OS error."""


def failed(exc: OSError, path: os.PathLike | str, tmp: os.PathLike | str | None = None) -> WriteFailed:
    """``exc`` as a :class:`WriteFailed` of ``path`` (a write's OSError often names no file, or names the
    temporary file ``tmp``: then ``path``; a folder that could not be made stays named)."""
    if isinstance(exc, WriteFailed):
        return exc
    named = exc.filename if exc.filename is not None and exc.filename != (tmp and os.fspath(tmp)) else path
    return WriteFailed(exc.errno, exc.strerror or str(exc), os.fspath(named))


def os_error(exc: OSError) -> str:
    """``"ENOSPC: No space left on device"``: the OS error of a failed write, as errors and warnings show it."""
    return f"{errno.errorcode.get(exc.errno or 0, type(exc).__name__)}: {exc.strerror or exc}"


def failed_write(exc: OSError, path: os.PathLike | str) -> str:
    """``"<file>: ENOSPC: No space left on device"``: a failed write of the build cache's ``path``, as
    the build's one warning of its cache names it (``cache.RunCache.error``, ``records.save``)."""
    return f"{exc.filename or os.fspath(path)}: {os_error(exc)}"


def discard(path: os.PathLike | str) -> None:
    """Delete ``path`` if it can be (a failed write's file: on a read-only disk even a missing file's
    unlink fails, which must not hide the write's error)."""
    try:
        os.unlink(path)
    except OSError:
        pass


@contextmanager
def writing(dest: Path, tmp: Path | None = None, only_no_room: bool = False) -> Iterator[None]:
    """Errors of the block, which writes ``dest`` (through ``tmp``, removed on failure), as
    :class:`WriteFailed`. ``only_no_room``: the block also reads other files (a run file copied or
    converted), so only :data:`NO_ROOM` errors and those naming ``dest`` or ``tmp`` are the write's."""
    try:
        yield
    except OSError as exc:
        if tmp is not None:
            discard(tmp)
        ours = {os.fspath(p) for p in (dest, tmp) if p is not None}
        if only_no_room and exc.errno not in NO_ROOM and exc.filename not in ours:
            raise
        raise failed(exc, dest, tmp) from exc


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically (temp file + rename); a new file is written directly,
    since no page links to it yet (pages are written last) and replacing is slow on some disks."""
    try:  # (a plain try, not writing(): a build writes thousands of files)
        try:  # (no stat and no mkdir first: a build creates thousands of files in folders that exist)
            fh = open(path, "xb")
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(path, "xb")
        except FileExistsError:
            fh = None
        if fh is not None:
            try:
                with fh:
                    fh.write(data)
            except BaseException:
                discard(path)  # (made by this open: no half of it is left)
                raise
            return
    except OSError as exc:
        raise failed(exc, path) from exc
    replace_bytes(path, data)


def replace_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` through a temporary file beside it and a rename."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with writing(path, tmp):
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)


def write_text(path: Path, text: str) -> None:
    # "replace": a lone surrogate (e.g. from an undecodable folder name) becomes "?", never a crash
    write_if_changed(path, text.encode("utf-8", "replace"))


def write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_bytes(path, data)
    return True
