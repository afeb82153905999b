"""Html: a string, a file object or a path, stored as a file and shown by the site
in a sandboxed iframe. ``inject=True`` (the default) asks the site to add its
default stylesheet; ``inject=False`` shows the page as written. A string ending in
``.html`` is read as a path unless ``data_is_not_path=True`` (as in wandb)."""
from __future__ import annotations

import os
from typing import Any

from .base import Media, MediaContext, extension

_HTML_EXT = ("html", "htm")


class Html(Media):
    TYPE = "html"

    def __init__(self, data: Any, inject: bool = True, data_is_not_path: bool = False):
        if not isinstance(inject, bool):
            raise TypeError(f"inject: expected True or False, got {inject!r}")
        if not isinstance(data_is_not_path, bool):
            raise TypeError(f"data_is_not_path: expected True or False, got {data_is_not_path!r}")
        self.inject = inject
        if data_is_not_path and isinstance(data, os.PathLike):
            raise TypeError("data: data_is_not_path=True needs the HTML as a string, got a path object")
        if not data_is_not_path and (isinstance(data, os.PathLike) or (
                isinstance(data, str) and extension(data) in _HTML_EXT and "\n" not in data and "<" not in data)):
            path = os.fspath(data)
            if not os.path.isfile(path):
                raise ValueError(f"data: HTML file not found: {path!r}")
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", errors="replace")
        elif isinstance(data, str):
            text = data
        elif isinstance(data, (bytes, bytearray)):
            text = bytes(data).decode("utf-8", errors="replace")
        elif hasattr(data, "read"):
            if hasattr(data, "seek"):
                try:
                    data.seek(0)  # as wandb: the whole file, even when it was read before
                except (OSError, ValueError):
                    pass
            content = data.read()
            if isinstance(content, (bytes, bytearray)):
                content = bytes(content).decode("utf-8", errors="replace")
            if not isinstance(content, str):
                raise TypeError(f"data: the file object returned {type(content).__name__}, expected str or bytes")
            text = content
        else:
            raise TypeError(f"data: expected an HTML string, a file object or a path, got {type(data).__name__}")
        self.html = text

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        return {
            "_type": self.TYPE,
            "path": ctx.write_bytes("html", "html", self.html.encode("utf-8")),
            "inject": self.inject,
        }

    def __repr__(self) -> str:
        return f"<Html {len(self.html)} chars inject={self.inject}>"
