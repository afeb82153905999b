"""How much of a file is data, and whether it is mostly holes (a sparse file).

A sparse file is free to make (``truncate -s 4G``, a few KB in a zip), so what the builder and the
importers do with a large file depends on how much of it is data: a site file over 64 MiB that is mostly
holes is not published to a URL (``site/publish.py``), a CSV that is mostly holes is read only up to
64 MiB (``importers/csvparts.py``).

The data is measured by walking the file's extents with ``lseek(SEEK_DATA)`` / ``lseek(SEEK_HOLE)``:
the holes the file system reports, whatever the disk holds. ``st_blocks`` (bytes allocated on disk) is
not the same thing: on ZFS or btrfs with compression, a real 1 GiB video that compresses well takes a
fraction of its size on disk and looked "mostly holes". ``st_blocks`` is used only where ``SEEK_DATA``
is not supported (no such constant, or ``EINVAL`` from the file system), and past :data:`MAX_EXTENTS`.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

#: extents walked at the most (a file of many small holes); past them, what was counted or the
#: allocated bytes (``st_blocks``), whichever is larger, stands for the file's data
MAX_EXTENTS = 1024


def _allocated(st: os.stat_result) -> int:
    """Bytes allocated on disk (``st_blocks``); the size where the platform does not say."""
    blocks = getattr(st, "st_blocks", None)
    return st.st_size if blocks is None else blocks * 512


def data_bytes(fd: int, enough: int | None = None, max_extents: int = MAX_EXTENTS,
               st: os.stat_result | None = None) -> int:
    """The bytes of the open file ``fd`` that are data, not holes. The walk stops once ``enough`` bytes
    of data are found (the result is then at least ``enough``: enough to decide) or after
    ``max_extents`` extents. The descriptor's offset is left where it was. ``st``: its ``fstat``, when
    the caller has it."""
    st = st or os.fstat(fd)
    here = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        return _walk(fd, st, st.st_size if enough is None else enough, max_extents)
    except (AttributeError, OSError) as exc:  # (no SEEK_DATA on this platform, or EINVAL: not on this file system)
        if isinstance(exc, OSError) and exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise
        return _allocated(st)
    finally:
        os.lseek(fd, here, os.SEEK_SET)


def _walk(fd: int, st: os.stat_result, enough: int, max_extents: int) -> int:
    seek_data, seek_hole = os.SEEK_DATA, os.SEEK_HOLE
    size, data, pos = st.st_size, 0, 0
    for _ in range(max_extents):
        if pos >= size or data >= enough:
            return data
        try:
            pos = os.lseek(fd, pos, seek_data)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            return data  # (ENXIO: nothing but a hole up to the end)
        if pos >= size:  # (data past the size measured: the file grew since)
            return data
        end = min(os.lseek(fd, pos, seek_hole), size)
        data += end - pos
        pos = end
    return data if pos >= size or data >= enough else max(data, _allocated(st))


def mostly_holes(fd: int) -> int | None:
    """The bytes of data of the open file ``fd`` when less than half of it is data (a sparse file),
    else None."""
    st = os.fstat(fd)
    half = st.st_size // 2
    data = data_bytes(fd, enough=half, st=st)
    return data if data < half else None


def copy_keeping_holes(src: Path, dest: Path) -> None:
    """``shutil.copyfile``, but the holes of a sparse ``src`` stay holes in ``dest``: a run folder's 1 TB
    media file made of holes costs no disk, and was written dense into the site (the disk filled).
    File systems without ``SEEK_DATA`` get a plain copy. ``src`` is a real path (checked inside its run
    folder): it is opened without following a link in its last part, as a regular file (a link or a pipe
    swapped in after the check is not read)."""
    from .safety import open_regular

    with open_regular(src, follow=False) as fi, open(dest, "wb") as fo:
        if not hasattr(os, "SEEK_DATA"):
            shutil.copyfileobj(fi, fo, 1 << 20)
            return
        fd, size = fi.fileno(), os.fstat(fi.fileno()).st_size
        try:
            pos = os.lseek(fd, 0, os.SEEK_DATA) if size else 0
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # (ENXIO: nothing but a hole up to the end)
                fi.seek(0)
                shutil.copyfileobj(fi, fo, 1 << 20)  # (no SEEK_DATA here: EINVAL)
                return
            pos = size
        while pos < size:
            end = os.lseek(fd, pos, os.SEEK_HOLE)
            fi.seek(pos)
            fo.seek(pos)
            left = end - pos
            while left > 0:
                block = fi.read(min(left, 1 << 20))
                if not block:  # (the file shrank while read)
                    break
                fo.write(block)
                left -= len(block)
            try:
                pos = os.lseek(fd, end, os.SEEK_DATA)
            except OSError:  # ENXIO: holes up to the end
                break
        fo.truncate(size)
