"""Rules for untrusted run folders: safe names, paths that stay inside, bounded nesting.

Run folders, reports and presets come from other people (see docs/site.md, "Trust").
Everything that turns something read from them into a file-system path or a site path
goes through this module:

- :func:`safe_name`: a name that is used as it is when it is already safe
  (``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}``), else a slug plus a short hash of the original;
- :func:`inside`: a relative path from a record, resolved (links followed) and refused
  unless it stays inside its base folder;
- :func:`too_deep`: values nested deeper than :data:`MAX_DEPTH` are refused by the readers
  (one warning per line or file) instead of overflowing the stack of every later step.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Deepest nesting (dicts and lists) a reader accepts in a history line, config, summary or run.json.
MAX_DEPTH = 100


class UnsafePath(ValueError):
    """A path from a run folder (or a reports/presets folder) that leaves its folder."""


def is_safe_name(name: Any) -> bool:
    return isinstance(name, str) and bool(SAFE_NAME.match(name)) and name not in (".", "..")


def safe_name(name: Any) -> str:
    """A file-system and URL safe, stable name: ``name`` itself when already safe, else a slug
    of it plus 8 hex digits of its hash (so different names never share a slug)."""
    name = str(name)
    if is_safe_name(name):
        return name
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")[:40] or "x"
    return f"{slug}-{hashlib.sha1(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def safe_file_name(part: str) -> str:
    """:func:`safe_name` of a file name that keeps a (safe) extension: ``a b.png`` -> ``a-b-<hash>.png``."""
    if is_safe_name(part):
        return part
    stem, dot, ext = part.rpartition(".")
    if not (dot and stem and re.fullmatch(r"[A-Za-z0-9]{1,10}", ext)):
        return safe_name(part)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:40] or "x"
    return f"{slug}-{hashlib.sha1(part.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}.{ext}"


def unique_names(names: list[str]) -> list[str]:
    """:func:`safe_name` of each, de-duplicated deterministically (in the given order)."""
    out, seen = [], set()
    for n in names:
        name = safe_name(n)
        while name.lower() in seen:  # also unique on case-insensitive file systems
            name = safe_name(name + "_")
        seen.add(name.lower())
        out.append(name)
    return out


def check_relative(rel: Any, folder: str = "its folder") -> PurePosixPath:
    """``rel`` as a relative POSIX path with no ``..``, no NUL and no drive; else UnsafePath."""
    if not isinstance(rel, str) or not rel or "\x00" in rel:
        raise UnsafePath(f"file path {rel!r} is not a usable relative path")
    p = PurePosixPath(rel.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        raise UnsafePath(f"file path {rel!r} leaves {folder}")
    return p


def inside(base: str | os.PathLike, rel: Any, folder: str = "its folder") -> Path:
    """The real path of ``base/rel`` when it exists and stays inside ``base`` after following
    every link; :class:`UnsafePath` when it leaves, FileNotFoundError when it does not exist."""
    p = check_relative(rel, folder)
    root = Path(base).resolve()
    try:
        real = (root / p).resolve(strict=True)
    except (OSError, RuntimeError, ValueError) as exc:  # missing, link loop, odd characters
        raise FileNotFoundError(f"missing file {rel}") from exc
    if real != root and root not in real.parents:
        raise UnsafePath(f"file path {rel!r} is a link to a file outside {folder} (not published)")
    return real


def is_inside(root: str | os.PathLike, path: str | os.PathLike) -> bool:
    """Does ``path`` (links followed) stay inside ``root`` (links followed)?"""
    try:
        r, p = Path(root).resolve(), Path(path).resolve()
    except (OSError, RuntimeError):
        return False
    return p == r or r in p.parents


def linked_out(path: str | os.PathLike) -> bool:
    """Is ``path`` a link to something outside its own folder (a run file that must not be read)?"""
    p = Path(path)
    return p.is_symlink() and not is_inside(p.parent, p)


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when dicts/lists in ``value`` nest deeper than ``limit`` (iterative: never recurses)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            items = v.values()
        elif isinstance(v, (list, tuple)):
            items = v
        else:
            continue
        if depth > limit:
            return True
        stack.extend((x, depth + 1) for x in items if isinstance(x, (dict, list, tuple)))
    return False
