"""Content ETags for ``serve``: the same bytes get the same tag, whichever build slot serves them.

``serve --watch`` swaps two build folders; an ETag made of size and mtime differed between
them for the very same file (the Vega runtime, the page scripts), so after every rebuild each
tab downloaded and compiled those again, and Chromium's code cache, keyed on the response,
started over. The tag is now a hash of the content, remembered per (path, size, mtime) so a
file is hashed once, not on every request. Files over :data:`HASH_MAX` are tagged by size and mtime.
"""
from __future__ import annotations

import hashlib
import threading
from pathlib import Path

MAX = 4096  # remembered files; the oldest half is forgotten past this
#: files larger than this are not hashed (nor read whole to serve them: handler.WHOLE_MAX): their tag is
#: made of size and mtime. A run's 2 GiB video (or a sparse 4 GiB one, which costs no disk) was read
#: whole into memory to be hashed, for a Range request of 1 KiB
HASH_MAX = 64 << 20


def content_tag(data: bytes) -> str:
    """The ETag of these bytes: a hash of the content."""
    return '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'


def asset_version(path: Path, data: bytes) -> str:
    """The hash a page puts after ``?v=`` when it asks for this file of ``assets/`` (site/assets.py:
    of the content; of the Vega runtime, of the vl-convert version in its stamp file)."""
    from ..site.assets import VEGA_BUNDLE
    from ..site.bundle import version

    if path.name == VEGA_BUNDLE:
        try:
            return version(path.with_name(VEGA_BUNDLE + ".version").read_bytes())[:10]
        except OSError:
            return ""
    return version(data)[:10]


class ETags:
    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int], tuple[str, str]] = {}
        self._lock = threading.Lock()

    def entry(self, path: Path) -> tuple[str, str]:
        """The ETag of the file at ``path`` and its :func:`asset_version` (both hashed when its size
        or mtime is new)."""
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            entry = self._known.get(key)
        if entry is None and st.st_size > HASH_MAX:  # (no asset is this large: no version)
            entry = (f'"{st.st_size:x}-{st.st_mtime_ns:x}"', "")
        elif entry is None:
            data = path.read_bytes()
            entry = (content_tag(data), asset_version(path, data))
            with self._lock:
                if len(self._known) >= MAX:
                    for k in list(self._known)[: MAX // 2]:
                        del self._known[k]
                self._known[key] = entry
        return entry
