"""The contract every loggable object follows.

A media object validates its arguments in its constructor (raising a
``ValueError``/``TypeError`` that names the argument) and, when logged, turns
itself into a plain JSON record with :meth:`Media.to_record`. Files are written
under ``<run>/media/<kind>/`` with deterministic names built from the key, the
step, the index in a list and a content hash (never random), and referenced by
their path relative to the run folder.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

_SLUG_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def slug(text: str, max_len: int = 48) -> str:
    s = _SLUG_RE.sub("_", text).strip("._") or "key"
    return s[:max_len]


def content_hash(data: bytes, n: int = 12) -> str:
    return hashlib.sha256(data).hexdigest()[:n]


@dataclass
class MediaContext:
    """Where and under which name a logged object writes its files."""

    run_dir: Path
    key: str
    step: int | None
    index: int | None = None

    def file_name(self, ext: str, data: bytes, suffix: str = "") -> str:
        parts = [slug(self.key)]
        parts.append("summary" if self.step is None else str(self.step))
        if self.index is not None:
            parts.append(str(self.index))
        if suffix:
            parts.append(slug(suffix))
        parts.append(content_hash(data))
        return "_".join(parts) + "." + ext.lstrip(".")

    def write_bytes(self, kind: str, ext: str, data: bytes, suffix: str = "") -> str:
        """Write ``data`` under ``media/<kind>/`` and return its run-relative path."""
        folder = self.run_dir / "media" / kind
        folder.mkdir(parents=True, exist_ok=True)
        name = self.file_name(ext, data, suffix)
        target = folder / name
        if not target.exists():
            tmp = target.with_name("." + name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(target)
        return f"media/{kind}/{name}"

    def child(self, index: int) -> "MediaContext":
        return MediaContext(self.run_dir, self.key, self.step, index)


class Media:
    """Base class of every loggable object."""

    TYPE: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("TYPE") and not getattr(cls, "_abstract", False):
            raise TypeError(f"{cls.__name__} must declare a TYPE tag")

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError
