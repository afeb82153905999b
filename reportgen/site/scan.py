"""The gather phase's one pass over the runs root: the run folders (as
:func:`reportgen.storage.reader.list_run_dirs` lists them) with the signature of the files the build
reads (size and mtime of run.json, config, summary, history, media) and of those the run page shows
(:func:`reportgen.site.story.signature`), from one ``scandir`` per run folder and one ``stat`` per
file that exists: at 10,000 runs this is the part of a rebuild that grows with the runs, so it
avoids ``pathlib`` and a failing ``stat`` per missing file.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..storage.format import CONFIG_JSON, HISTORY_JSONL, MEDIA_DIR, RUN_JSON, SUMMARY_JSON
from ..storage.safety import is_inside
from .story import ALERTS, OUTPUT_LOG, SYSTEM, TAIL

SIG_FILES = (("run", RUN_JSON), ("config", CONFIG_JSON), ("summary", SUMMARY_JSON), ("history", HISTORY_JSONL),
             ("media", MEDIA_DIR))
STORY_FILES = (OUTPUT_LOG, TAIL, SYSTEM, ALERTS)


_WANTED = frozenset(name for _key, name in SIG_FILES) | frozenset(STORY_FILES)


def scan_run(run_dir: str) -> tuple[dict[str, Any], tuple] | None:
    """(build signature, story signature) of one run folder; None when it is not a run folder."""
    found: dict[str, tuple[int, int]] = {}
    try:
        with os.scandir(run_dir) as it:
            for e in it:  # a stat only for the files the signatures name (incr20)
                if e.name in _WANTED:
                    try:
                        st = e.stat()  # follows a link, as Path.stat does
                    except OSError:
                        continue
                    found[e.name] = (st.st_size, st.st_mtime_ns)
    except OSError:
        return None
    get = found.get
    sig = {key: get(name) for key, name in SIG_FILES}
    if sig["run"] is None and (sig["history"] is None or sig["history"][0] == 0):  # RunPaths.is_run:
        return None  # an empty history without run.json is a run the SDK is still creating
    story = tuple((name, *st) if (st := get(name)) else (name, None) for name in STORY_FILES)
    return sig, story


def scan_runs(root: Path, warnings: list[str] | None = None) -> list[tuple[str, dict[str, Any], tuple]]:
    """Every run folder under ``root`` (sorted by name; ``root`` itself when it is a run) with its
    two signatures. A folder that is a link out of ``root`` is skipped with a warning. Paths are
    strings (incr20: a ``Path`` per run folder was a third of the scan at 10,000 runs)."""
    root = Path(root)
    base = str(root)
    own = scan_run(base)
    if own is not None:
        return [(base, *own)]
    try:
        with os.scandir(root) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return []
    out = []
    for e in entries:
        try:
            if not e.is_dir():
                continue
        except OSError:
            continue
        found = scan_run(e.path)
        if found is None:
            continue
        if e.is_symlink() and not is_inside(root, root / e.name):
            if warnings is not None:
                warnings.append(f"run folder {e.name!r} is a link to a folder outside the runs root (skipped)")
            continue
        out.append((os.path.join(base, e.name), *found))
    return out
