"""Writing a run folder: metadata, config and summary atomically; history appended.

History rows are buffered in memory and written by a background thread at most
``flush_interval`` seconds after they were logged (no fsync on that path);
:meth:`RunWriter.close` flushes and fsyncs.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from .format import FORMAT_VERSION, RunPaths
from .jsonio import encode_line, write_json_atomic


class HistoryAppender:
    """Append-only ``history.jsonl`` with a bounded flush interval."""

    def __init__(self, path: Path, flush_interval: float = 1.0):
        self.path = path
        self.flush_interval = float(flush_interval)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._buf: list[bytes] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="reportgen-flush", daemon=True)
        self._thread.start()

    def append(self, row: dict) -> None:
        line = encode_line(row)
        with self._lock:
            self._buf.append(line)

    def append_encoded(self, line: bytes) -> None:
        with self._lock:
            self._buf.append(line)

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._buf or self._fd < 0:
                return
            data = b"".join(self._buf)
            self._buf.clear()
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()
        with self._lock:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1


class RunWriter:
    """Owns one run folder on disk."""

    def __init__(self, root: Path, *, flush_interval: float = 1.0):
        self.paths = RunPaths(Path(root))
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self.history = HistoryAppender(self.paths.history, flush_interval)

    def write_meta(self, meta: dict[str, Any]) -> None:
        write_json_atomic(self.paths.run_json, {"format": FORMAT_VERSION, **meta})

    def write_config(self, config: dict[str, Any]) -> None:
        write_json_atomic(self.paths.config_json, config)

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json_atomic(self.paths.summary_json, summary)

    def append_row(self, row: dict[str, Any]) -> None:
        self.history.append(row)

    def media_dir(self, kind: str) -> Path:
        d = self.paths.media / kind
        d.mkdir(parents=True, exist_ok=True)
        return d

    def close(self) -> None:
        self.history.close()
