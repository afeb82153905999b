"""What a check of a run file found (its image header, whether its video plays), made once per build
and, for checks that import PyAV, kept between builds.

One :class:`Verdicts` serves every run page and report of a build (issue 19): a file a report embeds
and its run page shows, or two embeds of one record, is opened and checked once, not once per item
maker. A verdict is the file's as it is now: keyed by its path, size, ``mtime_ns`` and inode, so a
file changed or replaced is checked again. Those asked to be ``kept`` (a video's: reading its header
imports PyAV and FFmpeg) go into the build memo (``memo.py``, saved in the build snapshot), so a
no-op rebuild neither opens such a file nor imports PyAV. A file changed within :data:`RACY_NS` of
the check (as the site listing's folders) is not kept: a change in the same clock tick would keep
its size and mtime. Only a verdict about the file's content is kept (the check's result, or a
``ValueError`` naming why it cannot be shown): an ``OSError`` (a permission, a link swapped in) is
checked again next time.
"""
from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any, Callable

from .manifest import RACY_NS

SPACE = "verdict"  # the memo's space of kept verdicts


@functools.cache
def av_version() -> str | None:
    """The installed PyAV's version (None: not installed), part of a kept verdict's key: a verdict made
    without PyAV ("published unchecked") or by another FFmpeg is made again once that changes. Found
    without importing it (its module's spec, its package's metadata): a no-op rebuild still does not."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    try:
        return version("av") if find_spec("av") is not None else None
    except (PackageNotFoundError, ValueError):  # (ValueError: a module 'av' without a spec)
        return None


def _kept() -> dict[str, type]:
    """The exceptions a kept verdict may be, by name: raised again as they were (the page says the same)."""
    from ..media.avsafe import Refused  # (no PyAV: the module imports it only to open a file)

    return {cls.__name__: cls for cls in (ValueError, Refused)}


class Verdicts:
    def __init__(self, memo: Any = None):
        """``memo``: the build's :class:`~reportgen.site.memo.Memo` (None: nothing kept between builds)."""
        self.memo = memo
        self._now: dict[tuple, tuple[bool, Any]] = {}  # (what, file, size, mtime, inode) -> (ok, result or exception)

    def check(self, run: str, what: str, src: Path, check: Callable[[Path], Any], keep: bool = False) -> Any:
        """``check(src)``'s result, or the exception it raised, for ``src`` (a run file of the run with
        site key ``run``) as it is now; ``what`` names the check (and anything it depends on beside the
        file: the video's format). ``keep``: the verdict is kept between builds."""
        st = os.stat(src)
        stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
        key = (what, os.fspath(src), *stamp)
        found = self._now.get(key)
        if found is None:
            try:
                if keep and self.memo is not None and time.time_ns() - st.st_mtime_ns > RACY_NS:
                    # (named with the run's key last: kept in that run's bucket of the snapshot)
                    name, value = self.memo.get(SPACE, f"{what}:{os.fspath(src)}|{run}", (*stamp, av_version()),
                                                lambda: self._verdict(check, src))
                    found = (True, value) if name is None else (False, _kept()[name](value))
                else:
                    found = (True, check(src))
            except Exception as exc:  # (raised again to each item that asks: checked once)
                found = (False, exc)
            self._now[key] = found
        if not found[0]:
            raise found[1]
        return found[1]

    def _verdict(self, check: Callable[[Path], Any], src: Path) -> tuple[str | None, Any]:
        """What the memo keeps: ``(None, result)``, or ``(exception class name, text)``; any other
        exception is raised (and not kept)."""
        try:
            return None, check(src)
        except ValueError as exc:
            if _kept().get(type(exc).__name__) is not type(exc):
                raise
            return type(exc).__name__, str(exc)
