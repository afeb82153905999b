"""A local copy of a URL runs root in the plain run-folder format, synced incrementally.

``Mirror(url, cache_dir).sync()`` lists the root once (``find``: one paginated listing,
sizes and ETags included) and reads only objects whose size/ETag it has not seen:

- new segments of a stream are appended to the joined local file (``history.jsonl``...),
  so an incremental build sees a history that only grew; a consumed segment that changed
  or vanished rebuilds that stream; a gap stops the stream there (warning);
- whole files (run.json...) and media/files are downloaded when they changed, and
  removed when they were removed from the root;
- a shared run (``writers/<label>/``) is merged into one run folder (:mod:`.merge`).

Layout of ``cache_dir``: ``runs/`` (the runs root to build from), ``streams/<run>/<writer>/``
(each writer's joined files), ``state.json``. Object keys are untrusted: a name that is not
a safe single path component is skipped with a warning.
"""
from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import segments as seg
from .format import validate_run_id
from .merge import merge_run
from .remote import open_root

STATE_VERSION = 1
SYNC_THREADS = 16  # runs synced at once (requests in flight)


def _sig(info: dict[str, Any]) -> list:
    tag = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified") or ""
    return [int(info.get("size") or 0), str(tag)]


def _safe(parts: list[str]) -> bool:
    return all(p and p not in (".", "..") and "\\" not in p and "\x00" not in p for p in parts)


class Mirror:
    def __init__(self, url: str, cache_dir: Path):
        self.url = url
        self.fs, self.path = open_root(url)
        self.cache = Path(cache_dir)
        self.runs = self.cache / "runs"
        self.streams = self.cache / "streams"
        self.state_file = self.cache / "state.json"

    def _load_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_file.read_text())
            if state.get("version") == STATE_VERSION and state.get("url") == self.url:
                return state
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.runs, ignore_errors=True)  # unknown state: start over
        shutil.rmtree(self.streams, ignore_errors=True)
        return {"version": STATE_VERSION, "url": self.url, "files": {}, "streams": {}, "writers": {}}

    def _save_state(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_name(".state.json.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_file)

    def sync(self, warnings: list[str] | None = None) -> Path:
        warnings = warnings if warnings is not None else []
        self.cache.mkdir(parents=True, exist_ok=True)
        self.runs.mkdir(exist_ok=True)
        state = self._load_state()
        self.fs.invalidate_cache()  # listings cached by fsspec would hide new segments
        try:
            listing = self.fs.find(self.path, detail=True)
        except FileNotFoundError:
            listing = {}
        by_run: dict[str, dict[tuple[str, ...], dict]] = {}
        plain: dict[tuple[str, ...], dict] = {}
        base = len(self.path) + 1
        for key, info in listing.items():
            if info.get("type") == "directory":
                continue
            parts = key[base:].split("/")
            if not _safe(parts):
                warnings.append(f"{self.url}: skipped object {key!r} (not a safe path)")
                continue
            if len(parts) == 1:
                plain[tuple(parts)] = info
                continue
            by_run.setdefault(parts[0], {})[tuple(parts[1:])] = info
        seen_files: set[str] = set()
        todo = []
        for top, objects in sorted(by_run.items()):
            names = {p[0] for p in objects}
            if {"run.json", seg.WRITERS_DIR, "history"} & names:
                try:
                    validate_run_id(top)
                except ValueError:
                    warnings.append(f"{self.url}: skipped {top!r}: not a valid run id")
                    continue
                todo.append((top, objects))
            else:  # _artifacts/, sweeps/...: copied as they are
                plain.update({(top, *p): i for p, i in objects.items()})
        # runs are independent (their own folders and state keys): synced by a few threads, so the
        # requests of many small runs overlap (one GET at a time took ~30 min for 10,000 runs)
        with ThreadPoolExecutor(max_workers=SYNC_THREADS) as pool:
            for _ in pool.map(lambda item: self._sync_run(item[0], item[1], state, warnings, seen_files), todo):
                pass
        for parts, info in plain.items():
            self._fetch(parts, info, self.runs.joinpath(*parts), state, seen_files)
        for rel in set(state["files"]) - seen_files:  # removed from the root
            state["files"].pop(rel)
            (self.cache / rel).unlink(missing_ok=True)
        for run in set(state["writers"]) - set(by_run):
            state["writers"].pop(run)
            shutil.rmtree(self.runs / run, ignore_errors=True)
            shutil.rmtree(self.streams / run, ignore_errors=True)
            for key in [k for k in state["streams"] if k.startswith(run + "/")]:
                state["streams"].pop(key)
        self._save_state(state)
        return self.runs

    # -- one object --------------------------------------------------------------------------
    def _fetch(self, parts: tuple[str, ...], info: dict, dest: Path, state: dict, seen: set[str]) -> bool:
        rel = dest.relative_to(self.cache).as_posix()
        seen.add(rel)
        sig = _sig(info)
        if state["files"].get(rel) == sig and dest.exists():
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.write_bytes(self.fs.cat_file(info["name"]))
        os.replace(tmp, dest)
        state["files"][rel] = sig
        return True

    def _sync_stream(self, key: str, found: dict[int, dict], dest: Path, state: dict, warnings: list[str]) -> bool:
        """Append the new segments of one stream to ``dest``; True if it changed."""
        st = state["streams"].get(key)
        if st is not None and (not dest.exists() or dest.stat().st_size != st["size"] or any(
                _sig(found[int(n)]) != sig if int(n) in found else True for n, sig in st["sigs"].items())):
            st = None  # consumed segments changed: rebuild
        if st is None:
            st = {"size": 0, "sigs": {}}
            dest.unlink(missing_ok=True)
        parts, gap = seg.ordered(found, len(st["sigs"]) + 1)
        if gap:
            warnings.append(f"{dest.name} of {key}: {gap}")
        if not parts and dest.exists():
            state["streams"][key] = st
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "ab") as out:
            for n, info in parts:
                st["size"] += out.write(self.fs.cat_file(info["name"]))
                st["sigs"][str(n)] = _sig(info)
        state["streams"][key] = st
        return True

    def _sync_run(self, run: str, objects: dict, state: dict, warnings: list[str], seen: set[str]) -> None:
        writers: dict[str, dict[tuple[str, ...], dict]] = {}
        shared: dict[tuple[str, ...], dict] = {}
        for parts, info in objects.items():
            if parts[0] == seg.WRITERS_DIR and len(parts) >= 3:
                try:
                    seg.validate_label(parts[1])
                except ValueError:
                    warnings.append(f"{self.url}: skipped writer {parts[1]!r} of run {run}")
                    continue
                writers.setdefault(parts[1], {})[parts[2:]] = info
            elif parts[0] in seg.TREES or parts[0] == seg.WRITERS_DIR:
                shared[parts] = info
            else:
                writers.setdefault(seg.PRIMARY, {})[parts] = info
        for parts, info in shared.items():
            if parts[0] in seg.TREES:
                self._fetch(parts, info, self.runs.joinpath(run, *parts), state, seen)
        changed = False
        for w, objs in writers.items():
            folder = self.streams / run / w
            streams: dict[str, dict[int, dict]] = {local: {} for local in seg.STREAMS}
            for parts, info in objs.items():
                stream = seg.stream_of(parts[0]) if len(parts) == 2 else None
                if stream is not None:
                    n = seg.parse_seq(parts[1], stream[1])
                    if n is not None:
                        streams[stream[0]][n] = info
                elif len(parts) == 1 and (parts[0] in seg.WHOLE_FILES or parts[0] in seg.STREAMS):
                    # a whole file; also history.jsonl... of a run copied in the plain format
                    changed |= self._fetch(parts, info, folder / parts[0], state, seen)
            for local, found in streams.items():
                if found:
                    changed |= self._sync_stream(f"{run}/{w}/{local}", found, folder / local, state, warnings)
        names = sorted(writers)
        if state["writers"].get(run) != names:
            changed = True
            state["writers"][run] = names
        if changed:
            self._assemble(run, {w: self.streams / run / w for w in names}, warnings)

    def _assemble(self, run: str, writers: dict[str, Path], warnings: list[str]) -> None:
        out = self.runs / run
        out.mkdir(parents=True, exist_ok=True)
        if list(writers) == [seg.PRIMARY]:  # one writer: its files are the run's (hard links)
            src = writers[seg.PRIMARY]
            for name in (*seg.WHOLE_FILES, *seg.STREAMS):
                target = out / name
                if not (src / name).exists():
                    continue
                if target.exists() and os.path.samefile(src / name, target):
                    continue
                tmp = out / f".{name}.link"
                tmp.unlink(missing_ok=True)
                try:
                    os.link(src / name, tmp)
                except OSError:
                    shutil.copyfile(src / name, tmp)
                os.replace(tmp, target)
            return
        warnings.extend(f"run {run}: {w}" for w in merge_run(writers, out))
