"""Where the SDK writes a run whose root is a URL (or a labelled writer of a shared run).

The run is written exactly as on disk into a local staging folder,
``<cache>/staging/<hash of root>/<label or _>/<run_id>/``, and a :class:`RunUploader`
thread turns it into the segmented layout at the root (docs/format.md, "Runs on object
storage"). Resuming a run first joins its segments back into the staging folder, so the
writer continues after its last step and its last segment number.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from . import segments as seg
from .lock import WriterLock
from .remote import cache_home, join, local_path, open_root, url_key
from .uploader import RunUploader


class RemoteTarget:
    """A URL (or labelled local) runs root as seen by one writer."""

    def __init__(self, root: Any, label: str | None = None):
        root = local_path(root)
        if isinstance(root, Path):  # a labelled writer on a local root: segments on the local disk
            from fsspec.implementations.local import LocalFileSystem

            root.mkdir(parents=True, exist_ok=True)
            self.fs, self.path, self.url = LocalFileSystem(auto_mkdir=True), str(root.resolve()), str(root)
        else:
            self.fs, self.path = open_root(root)
            self.url = root.rstrip("/")
        self.label = seg.validate_label(label) if label is not None else None
        self.stage_root = cache_home() / "staging" / url_key(self.url) / (self.label or seg.PRIMARY)
        self.stage_root.mkdir(parents=True, exist_ok=True)

    def run_dest(self, run_id: str) -> str:
        return join(self.path, run_id)

    def stream_dest(self, run_id: str) -> str:
        base = self.run_dest(run_id)
        return join(base, seg.WRITERS_DIR, self.label) if self.label else base

    def stream_exists(self, run_id: str) -> bool:
        dest = self.stream_dest(run_id)
        return any(self.fs.exists(join(dest, name)) for name in ("run.json", "history"))

    def prepare(self, run_id: str) -> dict[str, tuple[int, int]]:
        """Empty the staging folder of ``run_id`` (unless a live local writer holds it) and put back
        this writer's stream from the root, joined; returns ``{file: (size, next segment)}``."""
        folder = self.stage_root / run_id
        if folder.exists():
            WriterLock(folder, run_id).release()  # raises RunLockedError while a writer holds it
            shutil.rmtree(folder)
        dest = self.stream_dest(run_id)
        self.fs.invalidate_cache()
        if not self.stream_exists(run_id):
            return {}
        folder.mkdir(parents=True)
        for name in seg.WHOLE_FILES:
            path = join(dest, name)
            if self.fs.exists(path):
                (folder / name).write_bytes(self.fs.cat_file(path))
        resume: dict[str, tuple[int, int]] = {}
        for local, (name, suffix) in seg.STREAMS.items():
            found = {}
            try:
                for entry in self.fs.ls(join(dest, name), detail=False):
                    n = seg.parse_seq(entry.rsplit("/", 1)[-1], suffix)
                    if n is not None:
                        found[n] = entry
            except FileNotFoundError:
                continue
            parts, _gap = seg.ordered(found)  # after a gap nothing counts: continue after the prefix
            size = 0
            with open(folder / local, "wb") as out:
                for _n, entry in parts:
                    size += out.write(self.fs.cat_file(entry))
            resume[local] = (size, len(parts) + 1)
        return resume

    def uploader(self, run_id: str, *, interval: float, max_bytes: int,
                 resume: dict[str, tuple[int, int]] | None = None) -> RunUploader:
        timeout = os.environ.get("REPORTGEN_UPLOAD_TIMEOUT", "")
        try:
            final_timeout = float(timeout) if timeout else 60.0
        except ValueError:
            raise ValueError(f"$REPORTGEN_UPLOAD_TIMEOUT: expected a number of seconds, got {timeout!r}") from None
        return RunUploader(self.stage_root / run_id, self.fs, self.stream_dest(run_id), self.run_dest(run_id),
                           url=join(self.url, run_id), interval=interval, max_bytes=max_bytes, resume=resume,
                           final_timeout=final_timeout)
