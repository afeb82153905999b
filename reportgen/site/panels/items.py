"""One logged record -> one item view-model (files copied into the site on the way).

Items are plain JSON for ``assets/panels.js``; every path in them is a site path
(the page adds its own relative prefix). A missing file or an unknown ``_type``
becomes a ``missing``/``unsupported`` item plus a warning, never an exception.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ...storage.safety import MAX_DEPTH, too_deep
from .. import kinds
from ..exc_text import exc_text
from ..urls import slug
from ..write import WriteFailed
from .sitefiles import MissingFile, RunFiles, short_hash


def clean(v: Any) -> Any:
    """JSON-safe copy for embedding in pages: non-finite floats become None."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    return v


class ItemMaker:
    """Turns one record into its item through the kinds registry; the context a kind's ``item()`` gets."""

    def __init__(self, files: RunFiles, presets: Path | None = None):
        self.files = files
        self.presets = presets
        # items by record, with the files they use: the same record at many steps (a static table
        # logged every epoch, or 2,000 history lines naming one 100 KB table: 200 MB of data files)
        # is made once
        self._made: dict[str, tuple[dict[str, Any], list[str]]] = {}
        self._open = 0  # items being made: a table's cells are made inside the table's item

    def warn(self, where: str, msg: str) -> None:
        self.files.warnings.append(f"{where}: {msg}")

    def make(self, rec: dict[str, Any], where: str, name: str) -> dict[str, Any]:
        """``where`` names the key and step for warnings; ``name`` is unique per item (data file names).
        A record made before (equal JSON) gives the same item: its data files are written once.

        The files an item uses are published only if it is shown, and those of an item made inside
        another (a table's image cell) only if that one is shown too: a cell's image whose table then
        could not be shown was published, linked from nowhere."""
        if too_deep(rec, MAX_DEPTH):  # (its key below, and the kinds, would overflow the stack)
            msg = f"a {str(rec.get('_type'))[:100]} record nested deeper than {MAX_DEPTH} levels; not shown"
            self.warn(where, msg)
            return {"t": "missing", "msg": msg, "type": rec.get("_type")}
        try:
            key = json.dumps(rec, sort_keys=True, default=str)
        except (TypeError, ValueError, RecursionError):  # keys of mixed types: made every time
            key = None
        mark = len(self.files.touched)
        if key is not None and key in self._made:
            item, used = self._made[key]
            self.files.touched.extend(used)  # (a record made inside a table that failed, shown here)
        else:
            self._open += 1
            try:
                item = self._make(rec, where, name)
            finally:
                self._open -= 1
            if key is not None:
                self._made[key] = item, self.files.touched[mark:]
        if not self._open:  # (inside another item, that item's fate decides)
            self.files.settle(mark, shown=True)
        return dict(item)

    def _make(self, rec: dict[str, Any], where: str, name: str) -> dict[str, Any]:
        """The item of ``rec``; one that cannot be shown gives back the files it touched."""
        t = rec.get("_type")
        kind = kinds.get(t)
        if kind is None:
            self.warn(where, f"unsupported media type {t!r}")
            return {"t": "unsupported", "type": str(t)}
        mark = len(self.files.touched)  # the files it copies or makes: published only if it is shown
        try:
            return kind.item(self, rec, where, name)
        except MissingFile as exc:
            self.files.settle(mark, shown=False)
            self.warn(where, self.why(exc))
            return {"t": "missing", "msg": self.why(exc), "type": t}
        except WriteFailed:  # the site's own file system: the build ends, naming the file (builder.py)
            raise
        except Exception as exc:  # a broken file must not break the build
            self.files.settle(mark, shown=False)
            why = self.why(exc)  # (never the builder's absolute paths: the page shows it)
            self.warn(where, f"could not show {t}: {exc.__class__.__name__}: {why}")
            return {"t": "missing", "msg": f"could not show {t}: {why}", "type": t}

    def why(self, exc: BaseException) -> str:
        """The text of ``exc`` as a page may show it: files named by their path in the run folder
        (or the site), never by the builder's absolute path (:func:`..exc_text.exc_text`)."""
        return exc_text(exc, self.files.run_dir, self.files.out)

    def json(self, path: Any, max_bytes: int | None = None) -> Any:
        """A JSON file of the run (``path`` relative to the run folder), of at most ``max_bytes``
        (``publish.READ_MAX`` by default)."""
        return self.files.read_json(path, max_bytes)  # (bounded: a sparse 8 GB table was read whole)

    def json_object(self, value: Any, problem: str, max_bytes: int | None = None) -> dict:
        """A JSON object stored inline or (a string) as a file path in the run; ``problem`` if neither."""
        if isinstance(value, str):
            value = self.json(value, max_bytes)
        if not isinstance(value, dict):
            raise ValueError(problem)
        return value


def item_name(key: str, step: Any, index: int) -> str:
    """A file-system-safe, deterministic name for an item's data file."""
    return f"{slug(key, max_len=32, fallback='key')}_{step}_{index}_{short_hash(f'{key}|{step}|{index}', 8)}"
