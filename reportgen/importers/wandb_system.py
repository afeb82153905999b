"""A wandb run's system metrics -> the run folder's ``system.jsonl``, as reportgen's SDK writes it.

wandb records them as ``stats`` records of its ``.wandb`` log (keys ``cpu``, ``gpu.0.temp``,
``proc.memory.rssMB``...) and, before 0.13, also as lines of ``files/wandb-events.jsonl`` (the same
names under ``system.``, with ``_timestamp`` and ``_runtime``). Both become rows of ``system.jsonl``:
``_timestamp``, ``_runtime`` (seconds since the run began) and the values under ``system/<name>``,
wandb's names kept but for the few the SDK's monitor names otherwise (:data:`RENAMED`), so the run
page charts them as it charts the SDK's (``site/story.py``). Values are kept as they are, but for
nested ones: wandb before 0.13 sampled ``network`` as ``{"sent": ..., "recv": ...}`` (a stats record's
value; some ``wandb-events.jsonl`` lines hold ``"system.network": {...}``), which wandb's own sender
flattened to ``system.network.sent``: they are flattened so too (``system/network.sent``), as the
monitor of wandb 0.13 and later names them.
"""
from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path
from typing import Any

from ..sdk.system_metrics import SYSTEM_JSONL
from ..storage.format import flatten
from ..storage.jsonio import encode_line
from ..storage.reader import read_history
from ..storage.safety import MAX_LINE, is_inside, open_own
from .common import Problems, RunImport

EVENTS = "wandb-events.jsonl"
#: where imports before system.jsonl (3cccf68) wrote the log's stats records, in the imported run's files/:
#: a row a sample, ``_timestamp`` and wandb's names under ``system/`` as they were (``system/memory_percent``,
#: ``system/network`` a dict), read by nothing
OLD_FILE = "wandb-system-metrics.jsonl"
#: wandb's names whose meaning the SDK's monitor writes under another name (docs/format.md): wandb-core's
#: machine memory in use, and the use of ``/`` older wandb wrote as ``disk``
RENAMED = {"memory_percent": "memory", "disk": "disk.usagePercent"}
_LATEST_TIME = 253402300800.0  # 10000-01-01: a sample time no date has (1e300) is no time of a sample


def system_key(name: str) -> str:
    """The ``system.jsonl`` key of wandb's system metric ``name`` (``system.`` prefix or not)."""
    name = name[len("system."):] if name.startswith("system.") else name
    return "system/" + RENAMED.get(name, name)


def _time(v: Any) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) < _LATEST_TIME:
        return float(v)
    return None


class SystemSamples:
    """The samples of one import of one run, appended to its ``system.jsonl`` by :meth:`write`."""

    def __init__(self, imp: RunImport, label: str, problems: Problems) -> None:
        self.imp, self.label, self.problems = imp, label, problems
        self.samples: list[tuple[float, dict[str, Any]]] = []

    def add(self, timestamp: float, values: dict[str, Any]) -> None:
        """One sample at ``timestamp`` (seconds since the epoch), ``values`` under wandb's names (nested
        ones flattened: ``{"network": {"sent": 1}}`` is ``network.sent``; their depth is the readers'
        bound, checked as they were read)."""
        self.samples.append((timestamp, {system_key(k): v for k, v in flatten(values, sep=".").items()}))

    def read_old_import(self, files: Path | None) -> Path | None:
        """The samples an import made before system.jsonl existed wrote to the imported run's
        ``files/wandb-system-metrics.jsonl`` (:data:`OLD_FILE`), and that file (None: there is none). It
        is such an import's when import.json says nothing of system metrics (no ``stats``, ``events`` or
        ``system_size``) and the source's own ``files/`` has no file of that name (copied, it is the
        user's). Its log's stats records were read then: ``wandb-events.jsonl`` (the same samples) is not
        read. The file is removed once its samples are in system.jsonl (:meth:`drop_old_import`)."""
        state = self.imp.state
        path = self.imp.paths.files / OLD_FILE
        if self.imp.refused or any(k in state for k in ("stats", "events", "system_size")) \
                or path.is_symlink() or not path.is_file() or not is_inside(self.imp.dir, path) \
                or (files is not None and os.path.lexists(files / OLD_FILE)):
            return None
        chunk = read_history(path)  # (as any file of the run: bounded lines, deep keys left out)
        for message in chunk.warnings:
            self.problems.warn(f"{self.label}: files/{message}")
        for row in chunk.rows:
            ts = _time(row.get("_timestamp"))
            values = {k[len("system/"):]: v for k, v in row.items() if k.startswith("system/")}
            if ts is not None and values:
                self.add(ts, values)
        return path

    def drop_old_import(self, path: Path) -> None:
        """Remove the old import's file ``path`` (:meth:`read_old_import`), its samples written."""
        try:
            os.unlink(path)
        except OSError as exc:
            self.problems.warn(f"{self.label}: files/{OLD_FILE}: {exc}; not removed (its samples are in "
                               f"{SYSTEM_JSONL})")

    def read_events(self, files: Path, offset: int | None) -> int | None:
        """The samples of ``files/wandb-events.jsonl`` after byte ``offset`` (untrusted: a line that is
        no JSON object, nested too deep, longer than the readers read or torn is skipped; a sample without
        a time is too), and the offset after its last complete line (``offset`` when there is no file)."""
        path = files / EVENTS
        if not os.path.lexists(path):
            return offset
        offset = offset or 0
        try:
            if os.path.getsize(path) < offset:
                offset = 0  # (rewritten since the last import)
        except OSError:
            pass
        chunk = read_history(path, offset)  # (bounded lines, links out and pipes refused, deep keys left out)
        for message in chunk.warnings:  # (a line each: the first few named, the others counted)
            if ": skipped a line " in message:
                self.problems.some(self.label, f"bad lines of files/{EVENTS}", f"{self.label}: files/{message}")
            else:
                self.problems.warn(f"{self.label}: files/{message}")
        untimed = 0
        for row in chunk.rows:
            ts, runtime = _time(row.get("_timestamp")), _time(row.get("_runtime"))
            if ts is None and runtime is not None and self.imp.t0 is not None:
                ts = self.imp.t0 + runtime
            values = {k: v for k, v in row.items() if not k.startswith("_")}
            if ts is None:
                untimed += bool(values)
            elif values:
                self.add(ts, values)
        if untimed:
            self.problems.warn(f"{self.label}: files/{EVENTS}: {untimed} sample{'s' if untimed != 1 else ''} "
                               "without a _timestamp (a number of seconds since 1970) skipped")
        return chunk.end

    def write(self, mark: Any = None) -> int | None:
        """Append the samples to the run's ``system.jsonl`` (``_runtime`` from the run's start), as the SDK's
        monitor does; a sample whose line would be longer than the readers read is left out. ``mark`` is
        the file's size after the last import's append (import.json's ``system_size``); the size now is
        returned for the next one (``mark`` when nothing was written).

        The samples are appended before import.json says how far the source was read, so an import killed
        between the two reads them again: the rows past ``mark`` (all rows without one) are what such an
        import wrote, and a sample whose ``_timestamp`` one of them holds is not appended again (each row
        standing for one sample: two samples of one time are both kept); a torn line past ``mark`` (a write
        cut short) is cut off rather than glued to the next row. Rows before ``mark`` are not read."""
        if not self.samples or self.imp.refused:
            return mark
        t0 = self.imp.t0 if _time(self.imp.t0) is not None else min(ts for ts, _ in self.samples)
        lines, long = [], 0
        for ts, values in self.samples:
            line = encode_line({"_timestamp": ts, "_runtime": max(0.0, ts - t0), **values})
            if len(line) > MAX_LINE:
                long += 1
            else:
                lines.append((ts, line))
        self.samples.clear()
        if long:
            self.problems.warn(f"{self.label}: {long} system metrics sample{'s' if long != 1 else ''} longer than {MAX_LINE >> 20} MiB "
                 "left out")
        path = self.imp.dir / SYSTEM_JSONL
        try:
            fd = open_own(path, os.O_RDWR | os.O_APPEND)  # (no link followed, no pipe opened)
        except OSError as exc:
            self.problems.warn(f"{self.label}: {SYSTEM_JSONL}: {exc}; system metrics not written")
            return mark
        try:
            written = _written_since(fd, path, mark)
            out = [line for ts, line in lines if not _taken(written, ts)]
            for line in out:
                os.write(fd, line)
            if out:
                os.fsync(fd)  # (on disk before import.json says the samples are written)
            return os.fstat(fd).st_size
        except OSError as exc:
            self.problems.warn(f"{self.label}: {SYSTEM_JSONL}: {exc}; system metrics not all written")
            return None
        finally:
            os.close(fd)


def _written_since(fd: int, path: Path, mark: Any) -> Counter:
    """How many rows of each ``_timestamp`` ``system.jsonl`` (open as ``fd``) holds past byte ``mark`` (from
    its start when there is no mark, or the file is shorter than it: rewritten since), its torn last line
    past ``mark`` cut off, and a line before ``mark`` that ends unterminated ended (the rows appended then
    start a line of their own)."""
    size = os.fstat(fd).st_size
    start = mark if isinstance(mark, int) and not isinstance(mark, bool) and 0 <= mark <= size else 0
    if size == start:
        if size and os.pread(fd, 1, size - 1) != b"\n":
            os.write(fd, b"\n")
        return Counter()
    chunk = read_history(path, start)
    if chunk.end < size:
        os.ftruncate(fd, chunk.end)
        if chunk.end and os.pread(fd, 1, chunk.end - 1) != b"\n":
            os.write(fd, b"\n")
    return Counter(row.get("_timestamp") for row in chunk.rows)


def _taken(written: Counter, ts: float) -> bool:
    if written[ts] > 0:
        written[ts] -= 1
        return True
    return False
