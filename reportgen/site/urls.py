"""Every link in the site goes through :func:`rel`, so the folder works under any URL prefix."""
from __future__ import annotations

import hashlib
import posixpath
import re


def rel(from_page: str, target: str) -> str:
    """Relative URL from the page at site path ``from_page`` to site path ``target``."""
    base = posixpath.dirname(from_page) or "."
    out = posixpath.relpath(target, base)
    if target.endswith("/") and not out.endswith("/"):
        out += "/"
    return out


def run_page(run_id: str) -> str:
    return f"runs/{run_id}/index.html"


def slug(text: str, *, keep: str = "", max_len: int = 40, fallback: str = "x", hashed: bool = False) -> str:
    """The site's one slug helper: runs of characters other than ASCII letters, digits and ``keep``
    become ``-`` (trimmed, cut to ``max_len``); ``hashed`` appends 8 hex digits of the text's SHA-1,
    so different texts never share a slug."""
    out = re.sub(f"[^A-Za-z0-9{re.escape(keep)}]+", "-", text).strip("-." if "." in keep else "-")[:max_len]
    out = out or fallback
    if hashed:
        out += "-" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return out
