"""Mapping request paths to files inside the site, safely, and naming their content types.

Pure functions: :func:`site_path` turns the path of an HTTP request into a
site-relative path (or ``None`` when it must not be served), :func:`resolve`
finds the file, refusing anything that lands outside the site folder, and
:func:`content_type` names the type of a file.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from ..site.content_types import CONTENT_TYPES, DEFAULT_TYPE, content_type  # noqa: F401 (one table)


def site_path(raw: str) -> str | None:
    """The site-relative path a request asks for, or ``None`` if it is not allowed.

    ``raw`` is the request target (``/runs/a/index.html?x=1``). It is
    percent-decoded exactly once; a ``..`` segment (or any segment starting with
    a dot), a backslash, a NUL byte or a drive letter after decoding is refused, so ``%2e%2e/``, ``..%2f``, ``..%5c``
    and friends never climb out. Double-encoded input stays literal (``%2e`` is
    then a file name that does not exist). ``""`` means the site root.
    """
    if not raw.startswith("/"):
        return None  # absolute-form (http://host/...) and other oddities are refused
    try:
        path = unquote(raw.split("?", 1)[0].split("#", 1)[0], errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    if "\x00" in path or "\\" in path:
        return None
    parts = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg.startswith(".") or ":" in seg:
            return None  # "..", and dot files such as the build cache are never served
        parts.append(seg)
    return "/".join(parts)


def resolve(root: Path, rel: str) -> Path | None:
    """The file under ``root`` for a site path from :func:`site_path`, or ``None``.

    Directories map to their ``index.html``. The resolved path (symlinks
    followed) must stay inside ``root``. A path the system cannot look up (a
    name longer than the file system allows, a link loop) is no file either: a
    request must not make the server fail (a 500 and a traceback on the
    developer's terminal) for a name any client can send.
    """
    base = root.resolve()
    try:
        target = (base / rel).resolve() if rel else base
        if target != base and base not in target.parents:
            return None
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None
    except (OSError, RuntimeError):  # ENAMETOOLONG, ELOOP; RuntimeError: a link loop (Python < 3.13)
        return None
