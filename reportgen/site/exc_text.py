"""Why a run file could not be shown, as pages and build warnings say it.

An exception's text often names the file it failed on by the builder's absolute path (Pillow's
``cannot identify image file <_io.BufferedReader name='/home/me/runs/x/media/a.png'>``, an
``OSError``'s filename), and that text went into published pages. :func:`exc_text` names a file by
its path inside the folder it belongs to (the run folder, the site folder), any other absolute path
by its last part, never by the builder's own path.
"""
from __future__ import annotations

import os
import re
from typing import Any

#: an open file as Python prints it: <_io.BufferedReader name='/abs/a.png'> (or name=5, a descriptor)
_FILE_REPR = re.compile(r"<_io\.\w+ name=(?:'([^']*)'|\"([^\"]*)\"|[^>]*)>")
_FFMPEG_ERRNO = re.compile(r"\[Errno -?\d{6,}\] ")
_OBJECT_REPR = re.compile(r"\s*<_io\.\w+ object at 0x[0-9a-fA-F]+>")
#: an absolute POSIX path not inside a URL (http://host/x) or a relative path (a/b)
_ABSOLUTE = re.compile(r"(?<![\w:/.~-])/(?:[^\s'\"<>,;()\[\]{}]+)")


def _is_unidentified(exc: BaseException) -> bool:
    from PIL import UnidentifiedImageError

    return isinstance(exc, UnidentifiedImageError)


def exc_text(exc: BaseException, *folders: Any) -> str:
    """The text of ``exc`` without the builder's absolute paths: a path inside one of ``folders``
    (their real paths too) as its path there, any other absolute path as its file name."""
    if _is_unidentified(exc):
        return "not an image Pillow can read (cannot identify image file)"
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return local_paths(str(exc), *folders)


def local_paths(text: str, *folders: Any) -> str:
    """``text`` with each absolute path named as :func:`exc_text` names it (and without FFmpeg's error
    numbers, tags read as integers: "[Errno 1094995529] Invalid data found")."""
    text = _FFMPEG_ERRNO.sub("", _OBJECT_REPR.sub("", text))
    text = _FILE_REPR.sub(lambda m: f"'{m.group(1) or m.group(2) or ''}'" if (m.group(1) or m.group(2)) else "",
                          text)
    roots = set()
    for f in folders:
        if f is not None:
            roots.update({os.fspath(f), os.path.realpath(f)})
    for root in sorted((r.rstrip("/") for r in roots if len(r.rstrip("/")) > 1), key=len, reverse=True):
        text = text.replace(root + "/", "")  # (the longest first: a run folder inside the runs root)
    return _ABSOLUTE.sub(lambda m: m.group().rstrip("/").rsplit("/", 1)[-1] or "/", text)
