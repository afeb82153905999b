"""Atomic file writes: a page or data file is either the old one or the new one, never half."""
from __future__ import annotations

import os
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically (temp file + rename); a new file is written directly,
    since no page links to it yet (pages are written last) and replacing is slow on some disks."""
    try:  # (no stat and no mkdir first: a build creates thousands of files in folders that exist)
        fh = open(path, "xb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "xb")
    except FileExistsError:
        fh = None
    if fh is not None:
        with fh:
            fh.write(data)
        return
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
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
