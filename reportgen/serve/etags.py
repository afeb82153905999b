"""Content ETags for ``serve``: the same bytes get the same tag, whichever build slot serves them.

``serve --watch`` swaps two build folders; an ETag made of size and mtime differed between
them for the very same file (the Vega runtime, the page scripts), so after every rebuild each
tab downloaded and compiled those again, and Chromium's code cache, keyed on the response,
started over. The tag is now a hash of the content, remembered per (path, size, mtime) so a
file is hashed once, not on every request.
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

MAX = 4096  # remembered files; the oldest half is forgotten past this


def content_tag(data: bytes) -> str:
    """The ETag of these bytes: a hash of the content."""
    return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'


class ETags:
    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    def tag(self, path: Path) -> str:
        """The ETag of the file at ``path`` (hashed when its size or mtime is new)."""
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            tag = self._known.get(key)
        if tag is None:
            tag = content_tag(path.read_bytes())
            with self._lock:
                if len(self._known) >= MAX:
                    for k in list(self._known)[: MAX // 2]:
                        del self._known[k]
                self._known[key] = tag
        return tag
