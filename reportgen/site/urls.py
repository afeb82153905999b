"""Every link in the site goes through :func:`rel`, so the folder works under any URL prefix."""
from __future__ import annotations

import functools
import posixpath

from ..storage.safety import slug  # noqa: F401  (the one slug helper, re-exported for the site)


@functools.lru_cache(maxsize=1 << 16)  # build19: pure, and called ~100 times per page
def rel(from_page: str, target: str) -> str:
    """Relative URL from the page at site path ``from_page`` to site path ``target``."""
    base = posixpath.dirname(from_page) or "."
    out = _relpath(target, base)
    if target.endswith("/") and not out.endswith("/"):
        out += "/"
    return out


def _relpath(target: str, base: str) -> str:
    """``posixpath.relpath(target, base)`` for plain site paths (no ``.``/``..``/empty segment, not
    absolute), without its ``abspath`` (a ``getcwd`` per call); any other path goes to relpath."""
    t = target[:-1] if target.endswith("/") else target
    tp = t.split("/")
    bp = [] if base == "." else base.split("/")
    if not t or not base or t[0] == "/" or base[0] == "/" or any(p in ("", ".", "..") for p in tp) or \
            any(p in ("", ".", "..") for p in bp):
        return posixpath.relpath(target, base)
    i = 0
    for a, b in zip(tp, bp):
        if a != b:
            break
        i += 1
    return "/".join([".."] * (len(bp) - i) + tp[i:]) or "."


def run_page(run_id: str) -> str:
    return f"runs/{run_id}/index.html"

