"""Every link in the site goes through :func:`rel`, so the folder works under any URL prefix."""
from __future__ import annotations

import functools
import posixpath

from ..storage.safety import slug  # noqa: F401  (the one slug helper, re-exported for the site)


@functools.lru_cache(maxsize=1 << 16)  # build19: pure, and called ~100 times per page
def rel(from_page: str, target: str) -> str:
    """Relative URL from the page at site path ``from_page`` to site path ``target``."""
    base = posixpath.dirname(from_page) or "."
    out = posixpath.relpath(target, base)
    if target.endswith("/") and not out.endswith("/"):
        out += "/"
    return out


def run_page(run_id: str) -> str:
    return f"runs/{run_id}/index.html"

