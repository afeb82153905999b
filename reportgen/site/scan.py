"""The gather phase's one pass over the runs root: the run folders (as
:func:`reportgen.storage.reader.list_run_dirs` lists them) with the signature of the files the build
reads (size and mtime of run.json, config, summary, history, media) and of those the run page shows
(:func:`reportgen.site.story.signature`), from one ``scandir`` per run folder and one ``stat`` per
file that exists: at 10,000 runs this is the part of a rebuild that grows with the runs, so it
avoids ``pathlib`` and a failing ``stat`` per missing file.

With a build cache, each run folder's mtime and the signature files it holds are kept in
``<cache dir>/scan.bin``: a folder whose mtime did not change (and did not change within
:data:`RACY_NS` of that listing) holds the same files, so only those are stat'ed, without listing
the folder (incr20). A file appended to keeps its folder's mtime, which is why every file is
still stat'ed; a file created, deleted or renamed into place changes it.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ..storage.remote import segmented_run
from ..storage.format import CONFIG_JSON, HISTORY_JSONL, MEDIA_DIR, RUN_JSON, SUMMARY_JSON
from ..storage.safety import denied_reason, is_inside
from ..storage.segments import SEGMENT_DIRS
from . import records
from .story import ALERTS, OUTPUT_LOG, SYSTEM, TAIL

SIG_FILES = (("run", RUN_JSON), ("config", CONFIG_JSON), ("summary", SUMMARY_JSON), ("history", HISTORY_JSONL),
             ("media", MEDIA_DIR))
STORY_FILES = (OUTPUT_LOG, TAIL, SYSTEM, ALERTS)  # (scan_run builds both signatures from these, in order)


# the folders of a run in the segmented layout (shared runs: storage/segments.py) are recorded too, so
# that the scan tells whether the root needs joining first (``segmented``) without a stat of its own
_WANTED = frozenset(name for _key, name in SIG_FILES) | frozenset(STORY_FILES) | frozenset(SEGMENT_DIRS)
RACY_NS = 2_000_000_000  # a folder changed this close to its listing is listed again regardless
RECORD_VERSION = 2


def _listed(run_dir: str, kept: tuple | None, since: int) -> tuple[dict[str, tuple[int, int]], tuple] | None:
    """The signature files of a run folder with their (size, mtime), and the folder's record."""
    try:
        mtime = os.stat(run_dir).st_mtime_ns  # before listing: a change after it shows next time
    except OSError:
        return None
    found: dict[str, tuple[int, int]] = {}
    if kept is not None and kept[0] == mtime and mtime < since - RACY_NS:
        sep = run_dir + os.sep
        for name in kept[1]:  # the same entries as at the last listing: their stat only
            try:
                st = os.stat(sep + name)  # follows a link, as Path.stat does
            except OSError:
                continue  # (a link to nothing, as when listed)
            found[name] = (st.st_size, st.st_mtime_ns)
        return found, kept
    names = []
    try:
        with os.scandir(run_dir) as it:
            for e in it:  # a stat only for the files the signatures name (incr20)
                if e.name in _WANTED:
                    if e.name in SEGMENT_DIRS and not _is_dir(e):  # (as has_segmented: folders only)
                        continue
                    names.append(e.name)
                    try:
                        st = e.stat()  # follows a link, as Path.stat does
                    except OSError:
                        continue
                    found[e.name] = (st.st_size, st.st_mtime_ns)
    except OSError:
        return None
    return found, (mtime, tuple(names))


def scan_run(run_dir: str, kept: tuple | None = None, since: int = 0,
             record: dict[str, tuple] | None = None, name: str | None = None) -> tuple[dict[str, Any], tuple] | None:
    """(build signature, story signature) of one run folder; None when it is not a run folder.
    ``kept``/``since``: the folder's record from a previous scan and when that scan started;
    ``record``: where this scan's record of the folder goes (by folder name: ``name``, else the
    path's last part)."""
    listed = _listed(run_dir, kept, since)
    if listed is None:
        return None
    found, rec = listed
    if record is not None:
        record[name if name is not None else os.path.basename(run_dir)] = rec
    get = found.get
    # (literals, not comprehensions over SIG_FILES / STORY_FILES: 10,000 folders per rebuild, incr20)
    sig = {"run": get(RUN_JSON), "config": get(CONFIG_JSON), "summary": get(SUMMARY_JSON),
           "history": get(HISTORY_JSONL), "media": get(MEDIA_DIR)}
    if sig["run"] is None and (sig["history"] is None or sig["history"][0] == 0):  # RunPaths.is_run:
        return None  # an empty history without run.json is a run the SDK is still creating
    return sig, (_story(OUTPUT_LOG, get(OUTPUT_LOG)), _story(TAIL, get(TAIL)), _story(SYSTEM, get(SYSTEM)),
                 _story(ALERTS, get(ALERTS)))


def _story(name: str, st: tuple[int, int] | None) -> tuple:
    return (name, st[0], st[1]) if st else (name, None)


def scan_runs(root: Path, warnings: list[str] | None = None, record: Path | None = None,
              flags: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any], tuple]]:
    """Every run folder under ``root`` (sorted by name; ``root`` itself when it is a run) with its
    two signatures. A folder that is a link out of ``root`` is skipped with a warning. Paths are
    strings (incr20: a ``Path`` per run folder was a third of the scan at 10,000 runs).
    ``record``: the file keeping each folder's listing between scans (None: every folder listed).
    ``flags["segmented"]``: whether ``root``, or a folder in it, holds a run in the segmented
    layout (as ``storage.remote.has_segmented`` tells); ``flags["record_error"]``: the record's write
    error, if it failed (``records.save``)."""
    root = Path(root)
    base = str(root)
    mine: dict[str, tuple] = {}
    own = scan_run(base, record=mine, name="")
    # (as has_segmented: the root's own folders when it holds run.json or history.jsonl, else its runs')
    root_is_run = bool(mine) and any(n in (RUN_JSON, HISTORY_JSONL) for n in mine[""][1])
    if flags is not None:  # (or the root is a shared run's folder given as RUNS: its writers/ alone)
        flags["segmented"] = _segmented(mine) and (root_is_run or segmented_run(base))
    if own is not None:
        return [(base, *own)]
    started = time.time_ns()
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return []
    kept, since = records.load(record, RECORD_VERSION, base) or ({}, 0)
    now: dict[str, tuple] = {}
    out = []
    for e in entries:
        try:
            if not e.is_dir():
                continue
        except OSError:
            continue
        path = e.path  # (os.scandir's own join of root and name)
        found = scan_run(path, kept.get(e.name), since, now, e.name)
        if found is None:
            denied = denied_reason(path)
            if denied and warnings is not None:  # (a folder of a shared drive the user may not read)
                warnings.append(f"run folder {e.name!r} cannot be read ({denied}); skipped")
            continue
        if e.is_symlink() and not is_inside(root, root / e.name):
            if warnings is not None:
                warnings.append(f"run folder {e.name!r} is a link to a folder outside the runs root (skipped)")
            continue
        out.append((path, *found))
    if flags is not None and not root_is_run:
        flags["segmented"] = flags["segmented"] or _segmented(now)
    # the same record, and no folder listed again for having changed close to the old listing: the
    # file stands (its older listing time is safe); else it is written with this listing's time
    limit = since - RACY_NS
    if record is not None and (now != kept or any(rec[0] >= limit for rec in now.values())):
        error = records.save(Path(record), RECORD_VERSION, base, started, now)
        if error is not None and flags is not None:
            flags["record_error"] = error
    return out


def _segmented(listed: dict[str, tuple]) -> bool:
    return any(name in SEGMENT_DIRS for rec in listed.values() for name in rec[1])


def _is_dir(e: os.DirEntry) -> bool:
    try:
        return e.is_dir()
    except OSError:
        return False
