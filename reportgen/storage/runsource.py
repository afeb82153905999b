"""One run of a URL runs root as a Dask worker reads it: from the URL, not from the client's mirror.

The client of a build from ``s3://...`` keeps a local mirror (:mod:`.mirror`) for the pages, but
a worker on another machine cannot see that folder. So for every run to parse the client sends
a :class:`RunSource`: the URL, the run's small whole files (``run.json``, ``config.json``,
``summary.json``, as the client's mirror holds them, merged for shared runs), the history
segments the client's mirror consumed (per writer: numbers with size/ETag), and the names of
the run's media files (the parse checks that media named by a row exist; their bytes are not
needed to parse). The worker (:func:`fetch`) joins the history segments itself, reading them
from the URL through fsspec into its own local folder, incrementally: a segment whose ETag it
has already joined is not read again. A shared run's writers are merged by step exactly as the
client's mirror merges them (:func:`.merge._merge_history`), so the worker parses the same bytes
and the site is the same as a build on one machine.

Workers need the file system's configuration and credentials themselves (fsspec's config files
or ``FSSPEC_S3_*``/``AWS_*`` environment variables on every worker), like any Dask job reading S3.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import segments as seg
from .merge import _merge_history
from .mirror import Mirror
from .remote import url_key

SMALL_FILES = ("run.json", "config.json", "summary.json")
HISTORY = "history.jsonl"


@dataclass
class RunSource:
    url: str  # the runs root
    run: str  # the run's folder name under it
    files: dict[str, bytes]  # SMALL_FILES as the client's mirror holds them
    # writer -> ["whole", [size, tag]] (a history.jsonl object) or ["segments", {n: [size, tag]}]
    history: dict[str, list]
    media: list[str] = field(default_factory=list)  # relative paths of media/ and files/ in the run


def mirror_state(runs: Path) -> dict[str, Any] | None:
    """The state of the mirror whose runs root is ``runs`` (``<cache>/runs``), or None if ``runs``
    is not a mirror of a URL root."""
    runs = Path(runs)
    try:
        state = json.loads((runs.parent / "state.json").read_text())
    except (OSError, ValueError):
        return None
    if runs.name != "runs" or not isinstance(state, dict) or not isinstance(state.get("url"), str):
        return None
    return state


def _tree(run_dir: Path) -> list[str]:
    out = []
    for top in seg.TREES:
        base = run_dir / top
        if base.is_dir():
            for dirpath, _dirs, names in os.walk(base):
                out += [(Path(dirpath) / n).relative_to(run_dir).as_posix() for n in names]
    return sorted(out)


def source_of(state: dict[str, Any], run_dir: Path) -> RunSource | None:
    """What a worker needs to parse ``run_dir`` (a run folder of the mirror) from the URL itself."""
    run = run_dir.name
    writers = state.get("writers", {}).get(run)
    if not writers:
        return None
    history: dict[str, list] = {}
    for w in writers:
        st = state.get("streams", {}).get(f"{run}/{w}/{HISTORY}")
        whole = state.get("files", {}).get(f"streams/{run}/{w}/{HISTORY}")
        if st is not None:
            history[w] = ["segments", dict(st["sigs"])]
        elif whole is not None:
            history[w] = ["whole", whole]
        else:
            history[w] = ["segments", {}]  # a writer with no history yet
    files = {}
    for name in SMALL_FILES:
        try:
            files[name] = (run_dir / name).read_bytes()
        except FileNotFoundError:
            pass
    return RunSource(state["url"], run, files, history, _tree(run_dir))


def _write(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def fetch(src: RunSource, base: Path) -> Path:
    """Make ``<base>/<url key>/<run>/runs/<run>``: the run folder to parse, history read from the URL."""
    m = Mirror(src.url, Path(base) / url_key(src.url) / src.run)
    with m.locked():  # (two builds' workers on one machine fetching the run at once)
        return _fetch_locked(src, m)


def _fetch_locked(src: RunSource, m: Mirror) -> Path:
    state = m._load_state()
    warnings: list[str] = []  # the client's sync already reported gaps and bad objects
    folders: dict[str, Path] = {}
    run_path = f"{m.path}/{src.run}"
    for w, (kind, sigs) in src.history.items():
        if w != seg.PRIMARY:
            seg.validate_label(w)
        prefix = run_path if w == seg.PRIMARY else f"{run_path}/{seg.WRITERS_DIR}/{w}"
        folder = m.streams / w
        dest = folder / HISTORY
        if kind == "whole":
            m._fetch((HISTORY,), {"name": f"{prefix}/{HISTORY}", "size": sigs[0], "ETag": sigs[1]}, dest, state, set())
        elif sigs:
            name, suffix = seg.STREAMS[HISTORY]
            found = {int(n): {"name": f"{prefix}/{name}/{seg.segment_name(int(n), suffix)}", "size": s[0], "ETag": s[1]}
                     for n, s in sigs.items()}
            m._sync_stream(f"{src.run}/{w}/{HISTORY}", found, dest, state, warnings)
        folders[w] = folder
    m._save_state(state)
    out = m.runs / src.run
    out.mkdir(parents=True, exist_ok=True)
    for name in SMALL_FILES:
        if name in src.files:
            _write(out / name, src.files[name])
        else:
            (out / name).unlink(missing_ok=True)
    if list(folders) == [seg.PRIMARY]:
        src_h = folders[seg.PRIMARY] / HISTORY
        if src_h.exists():
            tmp = out / f".{HISTORY}.link"
            tmp.unlink(missing_ok=True)
            try:
                os.link(src_h, tmp)
            except OSError:
                shutil.copyfile(src_h, tmp)
            os.replace(tmp, out / HISTORY)
        else:
            (out / HISTORY).unlink(missing_ok=True)
    else:
        _merge_history(folders, out, warnings)
    for top in seg.TREES:  # presence only (see the module docstring)
        shutil.rmtree(out / top, ignore_errors=True)
    for rel in src.media:
        if any(part in ("", ".", "..") for part in rel.split("/")):
            continue  # the client's own listing of its folder: never, but a worker checks anyway
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.touch()
    return out
