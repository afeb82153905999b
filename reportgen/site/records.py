"""Listing records kept in the build cache between builds (``scan.bin``: the run folders,
``site-folders.bin``: the site's folders), as ``marshal`` data.

A record says which folder it describes and when its listing started (``since``); one of another
version or another folder, or unreadable, is None and the caller lists everything again. Writing
is atomic and never fails a build: without a record the next listing is only slower.
"""
from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

from .write import write_bytes


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


def save(path: Path, version: int, folder: str, since: int, entries: dict[str, Any]) -> None:
    try:
        write_bytes(Path(path), marshal.dumps({"version": version, "folder": os.fspath(folder), "since": since,
                                               "entries": entries}))
    except (OSError, ValueError):
        pass
