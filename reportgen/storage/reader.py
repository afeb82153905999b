"""Reading run folders, tolerantly.

Readers never crash on a run folder: a torn last line, a bad JSON line, a
missing or broken ``run.json`` become entries in ``warnings``. History can be
read incrementally from a byte offset (``read_history(path, offset)``).
"""
from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .format import FORMAT_VERSION, RunPaths
from .jsonio import TooDeep, decode_line, has_long_int, read_json
from .lastvalues import complete_summary
from .safety import MAX_DEPTH, denied_reason, MAX_LINE, NOT_REGULAR, FileTooBig, NotRegularFile, is_inside, linked_out, next_data, open_regular, special_file, too_deep, too_long

LINKED_OUT = "is a link to a file outside the run folder (not read)"


@dataclass
class HistoryChunk:
    rows: list[dict[str, Any]]
    end: int  # byte offset just after the last complete line consumed
    warnings: list[str] = field(default_factory=list)


def iter_history_lines(path: Path, offset: int = 0) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(end_offset, line)`` for each complete line after ``offset``; ``line`` is None for a
    line longer than ``MAX_LINE`` (skipped without reading it into memory)."""
    try:
        fh = open_regular(path)
    except (FileNotFoundError, NotRegularFile):
        return
    with fh:
        fh.seek(offset)
        pos = offset
        while True:
            line = fh.readline(MAX_LINE + 1)  # bounded: a line without end must not fill memory
            if len(line) > MAX_LINE:
                skipped = len(line)
                while not line.endswith(b"\n"):  # skip the rest of an over-long line
                    at = fh.tell()
                    skipped += next_data(fh, at) - at  # (holes of a sparse file: jumped, not read)
                    line = fh.readline(1 << 20)
                    if not line:
                        return  # it never ends: a torn tail, not consumed
                    skipped += len(line)
                pos += skipped
                yield pos, None  # the caller warns (too_long)
                continue
            if not line.endswith(b"\n"):
                return  # torn or in-progress last line (or the end): not consumed
            pos += len(line)
            yield pos, line


def _scan(path: Path, offset: int, warnings: list[str],
          exact_ints: bool = False) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(end_offset, row or None)`` for every complete line; blank and bad lines give None."""
    if linked_out(path):
        warnings.append(f"{path.name} {LINKED_OUT}")
        return
    if special_file(path):
        warnings.append(f"{path.name} {NOT_REGULAR}")
        return
    start = offset
    deep = DeepKeys()
    for lines, exact in _batches(iter_history_lines(path, offset), exact_ints):
        for end, line in lines:
            if line is None:
                warnings.append(f"{path.name}: {too_long(start)}")
                yield end, None
            else:
                yield end, (decode_row(line, path.name, start, warnings, deep, exact) if line.strip() else None)
            start = end
    deep.tell(path.name, warnings)


#: the lines :func:`_batches` looks at together (fewer when they reach 1 MiB)
BATCH_LINES = 256


def _batches(lines: Iterator[tuple[int, bytes | None]], exact_ints: bool) -> Iterator[tuple[Iterable, bool]]:
    """``(lines, exact)``: the lines in batches, ``exact`` where a batch holds an integer orjson reads as a
    float (``jsonio.has_long_int``), for its lines to be read with their integers exact (``exact_ints``;
    else all lines as one batch, read as they come). Looked for a batch at a time: a line at a time, the
    look made the Api's history read 1.2x slower; most histories hold no such integer."""
    if not exact_ints:
        yield lines, False
        return
    batch: list[tuple[int, bytes | None]] = []
    size = 0
    for item in lines:
        batch.append(item)
        size += len(item[1] or b"")
        if len(batch) == BATCH_LINES or size >= 1 << 20:
            yield batch, has_long_int(b"".join(line for _, line in batch if line is not None))
            batch, size = [], 0
    yield batch, has_long_int(b"".join(line for _, line in batch if line is not None))


def _note_torn_tail(path: Path, end: int, warnings: list[str]) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = end
    if size > end:
        warnings.append(f"{path.name}: skipped an incomplete last line ({size - end} bytes)")


def iter_history(path: str | os.PathLike, offset: int = 0, warnings: list[str] | None = None,
                 exact_ints: bool = False) -> Iterator[dict[str, Any]]:
    """Stream the rows of a history file (constant memory); problems go to ``warnings``. ``exact_ints``:
    integers past 64 bits as the ints they are (the Api's reading: ``jsonio.loads``), not floats."""
    path = Path(path)
    problems = warnings if warnings is not None else []
    end = offset
    for end, row in _scan(path, offset, problems, exact_ints):  # noqa: B007 (the last offset is used below)
        if row is not None:
            yield row
    _note_torn_tail(path, end, problems)


def parse_row(line: bytes, name: str, offset: int, warnings: list[str], exact_ints: bool = False) -> dict[str, Any] | None:
    """One history line as a dict (its values as deep as the decoder takes: the caller leaves out
    those nested deeper than :data:`MAX_DEPTH`), or None with a warning naming the file and byte offset."""
    try:
        row = decode_line(line, exact_ints)
    except TooDeep:  # (deeper than the decoder goes: no key of it can be told apart)
        warnings.append(f"{name}: skipped a line nested deeper than {MAX_DEPTH} levels (byte {offset})")
        return None
    except ValueError:
        warnings.append(f"{name}: skipped a line that is not valid JSON (byte {offset})")
        return None
    if not isinstance(row, dict):
        warnings.append(f"{name}: skipped a line that is not a JSON object (byte {offset})")
        return None
    return row


def decode_row(line: bytes, name: str, offset: int, warnings: list[str], deep: DeepKeys,
               exact_ints: bool = False) -> dict[str, Any] | None:
    """:func:`parse_row` without the keys whose values nest deeper than :data:`MAX_DEPTH` (the line
    being the first level), which ``deep`` collects (bug: one such value skipped its whole line,
    the loss and accuracy of that step gone from ``Api``)."""
    row = parse_row(line, name, offset, warnings, exact_ints)
    if row is not None and too_deep(row):
        row = deep.left_out(row, offset)
    return row


class DeepKeys:
    """The values of one history file left out for nesting deeper than :data:`MAX_DEPTH`: the
    first few named with where their row is (``unit``: their line's byte offset; the importers: its
    step), all counted, told in one warning (:meth:`tell`)."""

    NAMED = 3

    def __init__(self, unit: str = "byte") -> None:
        self.unit = unit
        self.named: list[str] = []
        self.count = 0

    def left_out(self, row: dict[str, Any], at: int) -> dict[str, Any]:
        deep = _deep_keys(row)
        for k in deep[:self.NAMED - len(self.named)]:
            self.named.append(f"{str(k)[:80]!r} ({self.unit} {at})")
        self.count += len(deep)
        drop = set(deep)
        return {k: v for k, v in row.items() if k not in drop}

    def tell(self, name: str, warnings: list[str], outcome: str = "left out (the rest of their lines is read)") -> None:
        if self.count:
            warnings.append(f"{name}: {_listed(self.named, self.count)}: nested deeper than {MAX_DEPTH} "
                            f"levels; {outcome}")


def _deep_keys(data: dict[str, Any]) -> list[str]:
    """The keys of ``data`` (a JSON object read whole: the first level) whose values nest deeper than
    :data:`MAX_DEPTH` in it."""
    return [k for k, v in data.items() if too_deep(v, MAX_DEPTH - 1)]


def _listed(named: list[str], count: int) -> str:
    return ", ".join(named) + (f" and {count - len(named)} more" if count > len(named) else "")


def read_history(path: str | os.PathLike, offset: int = 0) -> HistoryChunk:
    """Every row after ``offset``, and the offset just after the last complete line (for incremental reads)."""
    path = Path(path)
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    end = offset
    for end, row in _scan(path, offset, warnings):  # noqa: B007 (the last offset is used below)
        if row is not None:
            rows.append(row)
    _note_torn_tail(path, end, warnings)
    return HistoryChunk(rows, end, warnings)


def _read_json_dict(path: Path, warnings: list[str], exact_ints: bool | str = False) -> dict[str, Any]:
    if not path.exists():
        return {}
    if linked_out(path):
        warnings.append(f"{path.name} {LINKED_OUT}")
        return {}
    try:
        data = read_json(path, max_bytes=MAX_LINE, exact_ints=exact_ints)  # a few KB normally
    except NotRegularFile:
        warnings.append(f"{path.name} {NOT_REGULAR}")
        return {}
    except FileTooBig:
        warnings.append(f"{path.name}: larger than {MAX_LINE >> 20} MiB; not read")
        return {}
    except TooDeep:
        warnings.append(f"{path.name}: ignored, nested deeper than {MAX_DEPTH} levels")
        return {}
    except (ValueError, OSError) as exc:
        warnings.append(f"{path.name}: unreadable ({exc.__class__.__name__})")
        return {}
    if not isinstance(data, dict):
        warnings.append(f"{path.name}: expected a JSON object")
        return {}
    return without_deep_keys(data, path.name, warnings)


def without_deep_keys(data: dict[str, Any], name: str, warnings: list[str]) -> dict[str, Any]:
    """The JSON object ``data`` of the file ``name`` without its keys whose values nest deeper than
    :data:`MAX_DEPTH`, named in one warning (bug: one such config value, which the SDK wrote up to
    255 levels deep, made every reader ignore the whole file: the run's lr and best score gone)."""
    if not too_deep(data):
        return data
    deep = _deep_keys(data)
    warnings.append(f"{name}: {_listed([repr(str(k)[:80]) for k in deep[:3]], len(deep))}: "
                    f"nested deeper than {MAX_DEPTH} levels; left out")
    drop = set(deep)
    return {k: v for k, v in data.items() if k not in drop}


class RunMeta:
    """Display defaults read from ``run.json`` (``meta``), shared by every reader's run object."""

    meta: dict[str, Any]
    id: str

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.id)

    @property
    def project(self) -> str:
        return str(self.meta.get("project") or "uncategorized")

    @property
    def state(self) -> str:
        """The state as stored in run.json (see :attr:`status` for what a reader should show)."""
        return str(self.meta.get("state") or "unknown")

    @property
    def status(self) -> str:
        """``running``, ``finished``, ``crashed`` or ``stale``: the stored state, corrected for
        writers that were killed or stopped beating (see :func:`run_status`)."""
        return run_status(self.meta)


@dataclass
class RunRecord(RunMeta):
    """Everything read from one run folder, as plain data."""

    path: Path
    id: str
    meta: dict[str, Any]
    config: dict[str, Any]
    summary: dict[str, Any]
    history: list[dict[str, Any]]
    history_end: int
    warnings: list[str]


#: A ``running`` run whose heartbeat is older than this many heartbeat intervals is stale.
STALE_AFTER_INTERVALS = 4
#: Heartbeat interval assumed when run.json does not say (seconds).
DEFAULT_HEARTBEAT_INTERVAL = 15.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # (OverflowError: a pid no process has, 2**63 in run.json)
        return False
    except (PermissionError, OSError):
        return True
    return True


def run_status(meta: dict[str, Any], now: float | None = None) -> str:
    """What a reader should show for a run: the stored state, with two corrections for ``running``.

    - ``crashed`` if run.json names this host and a ``pid`` that no longer exists
      (the writer was killed without a chance to say so);
    - ``stale`` if the heartbeat is older than ``STALE_AFTER_INTERVALS`` x the run's
      ``heartbeat_interval`` (default 15 s, so 60 s): the writer is gone or hung.
    """
    state = str(meta.get("state") or "unknown")
    if state != "running":
        return state
    pid, host = meta.get("pid"), meta.get("host")
    if isinstance(pid, int) and host == socket.gethostname() and not _pid_alive(pid):
        return "crashed"
    beat = meta.get("heartbeat")
    interval = meta.get("heartbeat_interval")
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or not interval > 0:
        interval = DEFAULT_HEARTBEAT_INTERVAL
    if isinstance(beat, (int, float)) and not isinstance(beat, bool):
        now = time.time() if now is None else now
        # (compared, not subtracted: run.json read with its ints exact may hold 10**400, no float)
        if beat < now - STALE_AFTER_INTERVALS * min(interval, 1e300):
            return "stale"
    return state


def read_meta(path: Path, exact_ints: bool | str = False) -> tuple[dict[str, Any], list[str]]:
    """run.json and its problems; ``exact_ints``: as :func:`_read_json_dict` (the Api: ints as ints)."""
    paths = RunPaths(Path(path))
    warnings: list[str] = []
    if not paths.run_json.exists():
        warnings.append("run.json is missing")
        return {}, warnings
    meta = _read_json_dict(paths.run_json, warnings, exact_ints=exact_ints)
    fmt = meta.get("format")
    if meta and fmt not in (None, FORMAT_VERSION):
        warnings.append(f"run.json: format {fmt!r} is newer than this reader (format {FORMAT_VERSION})")
    return meta, warnings


def read_run(path: str | os.PathLike, *, with_history: bool = True, exact_ints: bool | str = "digits") -> RunRecord:
    """The run folder at ``path``. Its config and summary ints are read as the Api reads them (2**64, not
    1.8446744073709552e+19); one past a double as its digits (text: what the builder shows, never
    computes with), or as the int with ``exact_ints=True`` (a resumed run, which writes them back)."""
    root = Path(path)
    paths = RunPaths(root)
    meta, warnings = read_meta(root)
    config = _read_json_dict(paths.config_json, warnings, exact_ints=exact_ints)
    summary = _read_json_dict(paths.summary_json, warnings, exact_ints=exact_ints)
    history: list[dict[str, Any]] = []
    end = 0
    if with_history:
        chunk = read_history(paths.history)
        history, end = chunk.rows, chunk.end
        warnings.extend(chunk.warnings)
    summary = complete_summary(summary, meta, paths.history, history if with_history else None, exact_ints)
    run_id = str(meta.get("id") or root.name)
    return RunRecord(root, run_id, meta, config, summary, history, end, warnings)


def list_run_dirs(root: str | os.PathLike, warnings: list[str] | None = None) -> list[Path]:
    """Run folders directly under ``root`` (or ``root`` itself if it is a run), sorted.

    A folder that is a link to somewhere outside ``root`` is skipped (with a warning in
    ``warnings``): readers never follow a link out of the runs root."""
    root = Path(root)
    if RunPaths(root).is_run():
        return [root]
    if not root.is_dir():
        return []
    out = []
    for p in sorted(root.iterdir()):
        try:
            if not p.is_dir():
                continue
            run = RunPaths(p).is_run()
        except OSError:  # (a folder that may not be entered: its run.json cannot even be looked at)
            run = False
        if not run:  # why, asked only then (mode 0o600: listed, not entered)
            denied = denied_reason(p)
            if denied is not None and warnings is not None:
                warnings.append(f"run folder {p.name!r} cannot be read ({denied}); skipped")
            continue
        if p.is_symlink() and not is_inside(root, p):
            if warnings is not None:
                warnings.append(f"run folder {p.name!r} is a link to a folder outside the runs root (skipped)")
            continue
        out.append(p)
    return out
