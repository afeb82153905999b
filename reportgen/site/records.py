"""Listing records kept in the build cache between builds (``scan.bin``: the run folders,
``site-folders.bin``: the site's folders), as ``marshal`` data.

A record says which folder it describes and when its listing started (``since``); one of another
version or another folder, or unreadable, is None and the caller lists everything again. Writing
is atomic and never fails a build: without a record the next listing is only slower. A write that
failed (a full or read-only cache folder) is returned, named as the cache's other writes are
(``write.failed_write``), for the build's one warning of a cache it could not write (builder.py).
"""
from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

from .write import failed_write, write_bytes


def load(path: Path | None, version: int, folder: str) -> tuple[dict[str, Any], int] | None:
    """``(entries, since)`` of the record at ``path`` if it is ``version``'s and describes ``folder``."""
    if path is None:
        return None
    try:
        obj = marshal.loads(Path(path).read_bytes())
        if obj.get("version") == version and obj.get("folder") == folder and isinstance(obj.get("entries"), dict) \
                and isinstance(obj.get("since"), int):
            return obj["entries"], obj["since"]
    except (OSError, ValueError, EOFError, TypeError, AttributeError):
        pass
    return None


def save(path: Path, version: int, folder: str, since: int, entries: dict[str, Any]) -> str | None:
    """Write the record; the write's error if it failed (``"<file>: ENOSPC: No space left on device"``)."""
    try:
        data = marshal.dumps({"version": version, "folder": os.fspath(folder), "since": since, "entries": entries})
    except ValueError:  # (entries of a type marshal does not take: no record, as an unreadable one)
        return None
    try:
        write_bytes(Path(path), data)
    except OSError as exc:
        return failed_write(exc, path)
    return None
