"""The segmented run layout (object stores, many writers): names, order and joining.

Object stores cannot append, so every append-only file of a run folder is stored as
numbered, immutable segments, each one uploaded whole (one PUT) or not at all::

    <run>/history/000001.jsonl  000002.jsonl ...   = history.jsonl, in order
    <run>/system/000001.jsonl ...                  = system.jsonl
    <run>/alerts/000001.jsonl ...                  = alerts.jsonl
    <run>/output/000001.log ...                    = output.log
    <run>/run.json, config.json, summary.json ...  whole objects, replaced (a PUT is atomic)
    <run>/media/..., <run>/files/...               immutable, deterministic names
    <run>/writers/<label>/...                      the same, for each labelled writer of a shared run

Joining the segments ``1, 2, ... n`` of a stream gives the local file byte for byte.
A reader stops at the first missing number (a gap) and warns: what follows a gap is
ignored, so what it reads is always a prefix of what the writer wrote. See docs/format.md.
"""
from __future__ import annotations

import re
from typing import Iterable, TypeVar

#: local append-only file -> (segment folder, segment suffix)
STREAMS: dict[str, tuple[str, str]] = {
    "history.jsonl": ("history", ".jsonl"),
    "system.jsonl": ("system", ".jsonl"),
    "alerts.jsonl": ("alerts", ".jsonl"),
    "output.log": ("output", ".log"),
}
#: files stored whole and replaced when they change
WHOLE_FILES = ("run.json", "config.json", "summary.json", "artifacts.json", "output.log.tail", "import.json")
#: folders of immutable files shared by every writer of the run (records point into them)
TREES = ("media", "files")
#: labelled writers of a shared run keep their own streams under ``writers/<label>/``
WRITERS_DIR = "writers"
# the folders that mark a run folder in the segmented layout (remote.has_segmented, the build's scan)
SEGMENT_DIRS = (WRITERS_DIR, "history")
#: name of the unlabelled (primary) writer's stream in merged views; no label can take it
PRIMARY = "_"
SEQ_DIGITS = 6
DEFAULT_UPLOAD_INTERVAL = 5.0  # seconds between segments of a stream (at most)
DEFAULT_SEGMENT_BYTES = 8 * 2**20  # a segment is cut early once this much is waiting

_LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
T = TypeVar("T")


def validate_label(label: object) -> str:
    """A writer label (``rank1``, ``node-3``) is a folder name: same rule as a run id."""
    if not isinstance(label, str) or not _LABEL_RE.match(label):
        raise ValueError(f"x_label={label!r}: expected 1-64 characters of letters, digits, '_', '-' or '.', "
                         "starting with a letter or digit")
    return label


def segment_name(seq: int, suffix: str) -> str:
    return f"{seq:0{SEQ_DIGITS}d}{suffix}"


def parse_seq(name: str, suffix: str) -> int | None:
    """The number of a segment file name (``000012.jsonl`` -> 12), None for anything else."""
    if not name.endswith(suffix):
        return None
    stem = name[: -len(suffix)]
    if len(stem) < SEQ_DIGITS or not stem.isdigit() or int(stem) < 1:
        return None
    return int(stem)


def ordered(found: dict[int, T], start: int = 1) -> tuple[list[tuple[int, T]], str | None]:
    """The segments ``start, start+1, ...`` present without a gap, and a warning if later ones were
    left out because a number is missing (a reader never reads past a gap)."""
    out: list[tuple[int, T]] = []
    seq = start
    while seq in found:
        out.append((seq, found[seq]))
        seq += 1
    later = sorted(n for n in found if n > seq)
    if later:
        return out, (f"segment {segment_name(seq, '')} is missing; ignored {len(later)} later "
                     f"segment(s) ({segment_name(later[0], '')}...)")
    return out, None


def stream_of(folder: str) -> tuple[str, str] | None:
    """``(local file name, suffix)`` of a segment folder name (``history`` -> ``history.jsonl``)."""
    for local, (name, suffix) in STREAMS.items():
        if name == folder:
            return local, suffix
    return None


def split_lines(data: bytes, limit: int) -> Iterable[bytes]:
    """``data`` cut into pieces of at most ``limit`` bytes at line ends (a longer line stays whole)."""
    start, n = 0, len(data)
    while start < n:
        if n - start <= limit:
            yield data[start:]
            return
        cut = data.rfind(b"\n", start, start + limit)
        if cut < 0:
            cut = data.find(b"\n", start + limit)
            if cut < 0:
                yield data[start:]
                return
        yield data[start: cut + 1]
        start = cut + 1
