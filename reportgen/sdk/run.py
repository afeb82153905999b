"""A run: one folder of history, config, summary and metadata."""
from __future__ import annotations

import math
import os
import platform
import socket
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from ..storage import format as fmt
from ..storage.writer import RunWriter
from .summary import Summary

_current: "Run | None" = None


def _now() -> float:
    return time.time()


class Run:
    def __init__(self, *, project: str | None = None, name: str | None = None, id: str | None = None,
                 dir: str | os.PathLike | None = None, config: Any = None, group: str | None = None,
                 tags: list[str] | tuple[str, ...] | None = None, notes: str | None = None,
                 flush_interval: float = 1.0):
        self.id = fmt.validate_run_id(id) if id is not None else fmt.new_run_id()
        self.project = project or "uncategorized"
        self.name = name or self.id
        self.group = group
        self.tags = list(tags or [])
        self.notes = notes
        self.root = fmt.resolve_root(dir)
        self.dir = self.root / self.id
        self._writer = RunWriter(self.dir, flush_interval=flush_interval)
        self._start = _now()
        self._step = 0
        self._finished = False
        self.config = dict(config or {})
        self._writer.write_config(self.config)
        self.summary = Summary({}, self._writer.write_summary)
        self._write_meta("running")

    # -- metadata ------------------------------------------------------------------
    def _write_meta(self, state: str, exit_code: int | None = None) -> None:
        now = _now()
        self._writer.write_meta({
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "group": self.group,
            "tags": self.tags,
            "notes": self.notes,
            "state": state,
            "created": self._start,
            "updated": now,
            "heartbeat": now,
            "exit_code": exit_code,
            "host": socket.gethostname(),
            "python": platform.python_version(),
            "command": [sys.executable, *sys.argv],
        })

    # -- logging -------------------------------------------------------------------
    def log(self, data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        if self._finished:
            warnings.warn(f"run {self.id} is finished; log() ignored", stacklevel=2)
            return
        if not isinstance(data, dict):
            raise TypeError(f"log(): expected a dict of metrics, got {type(data).__name__}")
        now = _now()
        row: dict[str, Any] = {"_step": self._step, "_timestamp": now, "_runtime": now - self._start}
        for key, value in data.items():
            if not isinstance(key, str):
                warnings.warn(f"log(): key {key!r} is not a string; skipped", stacklevel=2)
                continue
            if isinstance(value, bool) or value is None or isinstance(value, (int, float, str)):
                row[key] = value
            elif hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
                row[key] = value.item()
            else:
                warnings.warn(f"log(): key {key!r}: values of type {type(value).__name__} are not supported yet; skipped",
                              stacklevel=2)
        self._writer.append_row(row)
        self.summary._set_from_history(row)
        self._step += 1

    # -- lifecycle -----------------------------------------------------------------
    def finish(self, exit_code: int = 0) -> None:
        global _current
        if self._finished:
            return
        self._finished = True
        self._writer.write_summary(self.summary.as_dict())
        self._writer.close()
        self._write_meta("finished" if exit_code == 0 else "crashed", exit_code)
        if _current is self:
            _current = None
            _set_module_run(None)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.finish(0 if exc_type is None else 1)

    def __repr__(self) -> str:
        return f"<reportgen.Run {self.project}/{self.id} name={self.name!r}>"


def _set_module_run(run: Run | None) -> None:
    import reportgen
    reportgen.run = run


def init(**kwargs: Any) -> Run:
    global _current
    if _current is not None:
        _current.finish()
    _current = Run(**kwargs)
    _set_module_run(_current)
    return _current


def log(data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    if _current is None:
        raise RuntimeError("reportgen.log() called before reportgen.init()")
    _current.log(data, step=step, commit=commit)


def finish(exit_code: int = 0) -> None:
    if _current is not None:
        _current.finish(exit_code)
