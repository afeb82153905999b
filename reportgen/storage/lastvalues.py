"""The summary of a run whose writer did not get to write it: last values from history.

``summary.json`` is rewritten by the writer every heartbeat (15 s) and at ``finish()``
(also on SIGTERM). A run killed with ``SIGKILL`` (or out of memory, or a lost machine)
leaves a summary older than its history (``{}`` if it died in its first 15 s). Readers
therefore complete the summary of a run whose writer is gone (``run_status`` says
``crashed`` or ``stale`` while run.json still says ``running``, or there is no
run.json): every history row with a ``_step`` above the summary's ``_step`` is applied
on top, in order, exactly as the writer would have done (the last logged value wins).
History is read backwards from its end, so this costs only the rows written since the
last summary. A live writer's summary is left as it wrote it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from .jsonio import decode_line
from .safety import MAX_LINE, open_regular

_BLOCK = 1 << 16
_DONE_STATES = ("finished", "crashed")


def _int_step(row: dict[str, Any]) -> int | None:
    step = row.get("_step")
    return step if isinstance(step, int) and not isinstance(step, bool) else None


def _rows_backwards(path: Path, exact_ints: bool | str = False) -> Iterator[dict[str, Any]]:
    """History rows from the last complete line to the first; bad lines are skipped (``exact_ints``:
    as ``jsonio.loads``).

    Read in blocks from the end. A line is assembled from pieces (never by re-copying what was
    read), and one longer than MAX_LINE is dropped as its pieces arrive: memory stays bounded."""
    try:
        fh = open_regular(path)  # a named pipe would block
    except OSError:
        return
    with fh:
        pos = fh.seek(0, os.SEEK_END)
        in_tail = True  # after the last newline: nothing, or a torn line still being written
        carry: list[bytes] = []  # pieces of the line being assembled, last piece first
        carry_len, skipping = 0, False
        while pos > 0:
            start = max(0, pos - _BLOCK)
            fh.seek(start)
            block = fh.read(pos - start)
            pos = start
            parts = block.split(b"\n")
            if len(parts) == 1:  # no newline: all of it belongs to the line being assembled
                if not (in_tail or skipping):
                    carry.append(block)
                    carry_len += len(block)
                    if carry_len > MAX_LINE:
                        carry, carry_len, skipping = [], 0, True
                continue
            if not (in_tail or skipping):
                row = _decode(parts[-1] + b"".join(reversed(carry)), exact_ints)
                if row is not None:
                    yield row
            in_tail, skipping = False, False
            for line in reversed(parts[1:-1]):
                row = _decode(line, exact_ints)
                if row is not None:
                    yield row
            carry, carry_len = [parts[0]], len(parts[0])
        if carry and not (in_tail or skipping):
            row = _decode(b"".join(reversed(carry)), exact_ints)
            if row is not None:
                yield row


def _decode(line: bytes, exact_ints: bool | str = False) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        row = decode_line(line, exact_ints)
    except (ValueError, RecursionError):
        return None
    return row if isinstance(row, dict) else None


def run_status(meta: dict[str, Any]) -> str:
    from .reader import run_status as status  # reader imports this module

    return status(meta)


def complete_summary(summary: dict[str, Any], meta: dict[str, Any], history: str | os.PathLike,
                     rows: Iterable[dict[str, Any]] | None = None, exact_ints: bool | str = False) -> dict[str, Any]:
    """``summary`` with the rows logged after it applied, for runs the writer did not end.

    ``rows``: the history already read (in file order), else the file is read backwards, its integers
    past 64 bits read as ``exact_ints`` says (``jsonio.loads``: as the summary itself was read)."""
    if meta.get("state") in _DONE_STATES or (meta and run_status(meta) == "running"):
        return summary  # ended properly, or its writer is alive and keeps summary.json current
    known = summary.get("_step")
    known = known if isinstance(known, int) and not isinstance(known, bool) else -1
    latest: dict[str, Any] = {}  # walking backwards, the first value seen for a key is its last
    source = reversed(rows if isinstance(rows, list) else list(rows)) if rows is not None \
        else _rows_backwards(Path(history), exact_ints)
    for row in source:
        step = _int_step(row)
        if step is None:
            continue
        if step <= known:
            break
        for k, v in row.items():
            if k not in latest:
                latest[k] = v
    return {**summary, **latest} if latest else summary
