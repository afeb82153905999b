"""What changed between two builds of a site: file manifests and their difference.

A manifest maps each site-relative path to ``(size, mtime_ns, digest)``. Digests
are only recomputed for files whose size or mtime moved since the previous
manifest of the same folder, so a rebuild that rewrites few files is cheap to
scan. Files over ``HASH_MAX`` (64 MiB) are not hashed: their digest is their size and mtime (a run's
sparse 1 TB video, a few KB in a zip, was read whole, twice, before ``serve`` answered: 3 s per 2 GiB).
:func:`diff` compares manifests of two folders by digest.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .etags import HASH_MAX

Entry = tuple[int, int, str]
Manifest = dict[str, Entry]


def _digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan(root: Path, previous: Manifest | None = None) -> Manifest:
    """The manifest of every file under ``root`` (paths use ``/``), dot files and folders excepted."""
    previous = previous or {}
    out: Manifest = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))  # build caches, temp files
        for name in sorted(f for f in filenames if not f.startswith(".")):
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            try:
                st = full.stat()
            except FileNotFoundError:
                continue
            old = previous.get(rel)
            if old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns:
                out[rel] = old
            elif st.st_size > HASH_MAX:  # told apart by size and mtime (a copy keeps the mtime: _copy)
                out[rel] = (st.st_size, st.st_mtime_ns, f"{st.st_size:x}-{st.st_mtime_ns:x}")
            else:
                out[rel] = (st.st_size, st.st_mtime_ns, _digest(full))
    return out


@dataclass
class Changes:
    """Site paths that differ between two builds."""

    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)

    def all(self) -> list[str]:
        return sorted({*self.changed, *self.added, *self.removed})


def diff(old: Manifest, new: Manifest) -> Changes:
    """Paths whose content differs, appeared or disappeared from ``old`` to ``new``."""
    return Changes(
        changed=sorted(p for p in new if p in old and old[p][2] != new[p][2]),
        added=sorted(p for p in new if p not in old),
        removed=sorted(p for p in old if p not in new),
    )
