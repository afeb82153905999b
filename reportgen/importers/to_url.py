"""``reportgen import ... -o s3://bucket/prefix``: imports into a URL runs root.

The import runs as on disk, into a local staging copy of the imported runs
(``<cache>/import-stage/<hash of URL>/runs``); then each run that changed is uploaded
as the SDK uploads runs on a URL root (:class:`reportgen.storage.uploader.RunUploader`,
docs/format.md): the new history lines as the next numbered segment, new media and
files, then the JSON files that changed (``import.json`` included, ``run.json`` last).
What was uploaded is kept in ``state.json`` beside the staging copy, so a re-import
uploads only what is new.

When the staging copy is missing (another machine, a fresh CI job), the imported runs
already on the URL (those with an ``import.json``) are first copied back from a synced
local copy of the root (:func:`reportgen.storage.remote.materialize`), so the import is
incremental there too. Runs the import did not write are never touched. One importer
per URL root at a time.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any, Callable

from ..storage import segments as seg
from ..storage.jsonio import write_json_atomic
from ..storage.remote import cache_home, join, materialize, open_root, url_key

STATE_VERSION = 1


def _state(path: Path, url: str) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("version") == STATE_VERSION and state.get("url") == url:
            return state
    except (OSError, ValueError):
        pass
    return {"version": STATE_VERSION, "url": url, "runs": {}}


def _seed(fs, root: str, url: str, runs: Path, names: list[str], state: dict[str, Any]) -> None:
    """Copy imported runs that are on the URL but not staged here back into the staging copy."""
    mirror = materialize(url)
    for name in names:
        src = mirror / name
        if not (src / "import.json").is_file():
            continue  # not written by an import: never ours to continue
        dst = runs / name
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)
        resume = {}
        for local, (folder, suffix) in seg.STREAMS.items():
            try:
                listed = fs.ls(join(root, name, folder), detail=False)
            except FileNotFoundError:
                listed = []
            seqs = [s for s in (seg.parse_seq(p.rsplit("/", 1)[-1], suffix) for p in listed) if s is not None]
            size = (dst / local).stat().st_size if (dst / local).is_file() else 0
            resume[local] = [size, max(seqs, default=0) + 1]
        sent = {p.relative_to(dst).as_posix(): [p.stat().st_size, p.stat().st_mtime_ns]
                for p in dst.rglob("*") if p.is_file()}
        state["runs"][name] = {"resume": resume, "sent": sent}


def import_to_url(opts, run_local: Callable[[Any], Any]):
    """Run ``run_local`` (the on-disk import) into the staging copy, then upload what changed."""
    from ..storage.uploader import RunUploader

    url = str(opts.out).rstrip("/")
    fs, root = open_root(url)
    stage = cache_home() / "import-stage" / url_key(url)
    runs = stage / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    state_file = stage / "state.json"
    state = _state(state_file, url)
    try:
        on_url = [p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(root, detail=False)]
    except FileNotFoundError:
        on_url = []
    unknown = [n for n in on_url if n not in state["runs"] and not n.startswith((".", "_"))]
    if unknown:
        _seed(fs, root, url, runs, unknown, state)
        write_json_atomic(state_file, state)
    result = run_local(dataclasses.replace(opts, out=runs))
    for name in result.runs:
        known = state["runs"].get(name, {})
        up = RunUploader(runs / name, fs, join(root, name), join(root, name), url=url,
                         resume={k: tuple(v) for k, v in (known.get("resume") or {}).items()})
        up._sent = {k: tuple(v) for k, v in (known.get("sent") or {}).items()}
        up.sync(final=True)
        state["runs"][name] = {"resume": {s.local.name: [s.offset, s.seq] for s in up.streams},
                               "sent": {k: list(v) for k, v in up._sent.items()}}
        write_json_atomic(state_file, state)  # after each run: an interrupted upload resumes there
    return result
