"""A local copy of a URL runs root in the plain run-folder format, synced incrementally.

``Mirror(url, cache_dir).sync()`` lists the root once (:func:`.listing.list_objects`: one
recursive, paginated listing, sizes and ETags included) and reads only objects whose size/ETag
it has not seen, with one GET each (no HEAD: the listing gave the size), many at once (:func:`read_many`), those
read whole held GROUP_BYTES at a time and an object over WHOLE_BYTES copied a piece at a time; an
unchanged object costs no request at all:

- new segments of a stream are appended to the joined local file (``history.jsonl``...),
  so an incremental build sees a history that only grew; a consumed segment that changed
  or vanished rebuilds that stream; a gap stops the stream there (warning);
- whole files (run.json...) and media/files are downloaded when they changed, and
  removed when they were removed from the root;
- a shared run (``writers/<label>/``) is merged into one run folder (:mod:`.merge`).

Layout of ``cache_dir``: ``runs/`` (the runs root to build from), ``streams/<run>/<writer>/``
(each writer's joined files), ``state.json``, ``sync.lock`` (held while one process syncs the copy: two
builds of one root at once appended a segment twice, a second one waits, :func:`.lock.held`). Object keys are untrusted: a name that is not
a safe single path component is skipped with a warning. A local root (shared runs on this disk,
``remote.resolve_runs``) is as untrusted as any run folder: a symbolic link is not followed and
only regular files are read (a named pipe would block the sync for ever, ``/dev/zero`` never end),
each skipped with a warning; a file is opened without following a link swapped in after the
listing, read only when it is really inside the root, and copied a piece at a time, its holes kept
(a sparse 3 GiB file was read into memory whole); a segment that is mostly holes is not joined.

Its parts: :mod:`.mirror_plan` (the listing split into runs, each run's plan from the listing alone),
:mod:`.mirror_state` (``state.json``: what was written), :mod:`.mirror_copy` (reading objects, writing
files and streams, in pieces).
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from . import segments as seg
from .listing import list_objects
from .lock import held
from .merge import merge_run
from .mirror_copy import GROUP_BYTES, READ_BATCH, WHOLE_BYTES, CopyMixin, _is_local, read_many  # noqa: F401
from .mirror_plan import PlanMixin, _RunPlan, refused  # noqa: F401  (read_many, refused, ...: re-exported)
from .mirror_state import STATE_VERSION, StateMixin  # noqa: F401
from .remote import open_root

LOCK_FILE = "sync.lock"  # in the copy's folder: one process syncs (and reads the state of) a copy at a time
GROUP_RUNS = 500  # runs planned, read and written together, or GROUP_BYTES to read (.mirror_copy)


class Mirror(PlanMixin, StateMixin, CopyMixin):
    """``run``: the root is itself one run folder (a shared run given as RUNS), joined as ``runs/<run>``."""

    def __init__(self, url: str, cache_dir: Path, run: str | None = None):
        self.url = url
        self.run = run
        self.fs, self.path = open_root(url)
        self._local = _is_local(self.fs)
        self.cache = Path(cache_dir)
        self._base = str(self.cache)
        self.runs = self.cache / "runs"
        self.streams = self.cache / "streams"
        self.state_file = self.cache / "state.json"

    def locked(self, waiting: Callable[[str], None] | None = None):
        """Hold the copy's lock (a context manager): its state and files are this process's until released.
        Another process syncing it is waited for, ``waiting`` first given a line saying so (the caller
        tells it: storage does not print)."""
        def holder(who: str) -> None:
            if waiting is not None:
                waiting(f"waiting for another process syncing the joined copy of {self.url} in {self.cache} ({who})")

        self.cache.mkdir(parents=True, exist_ok=True)
        return held(self.cache / LOCK_FILE, holder)

    def sync(self, warnings: list[str] | None = None, waiting: Callable[[str], None] | None = None) -> Path:
        with self.locked(waiting):
            return self._sync(warnings if warnings is not None else [])

    def _sync(self, warnings: list[str]) -> Path:
        self.runs.mkdir(exist_ok=True)
        state = self._load_state()
        self.fs.invalidate_cache()  # listings cached by fsspec would hide new segments
        try:
            listing = list_objects(self.fs, self.path)
        except FileNotFoundError:
            listing = {}
        todo, plain, tops = self._split(listing, warnings)
        seen_files: set[str] = set()
        # Every run is planned from the listing alone (an unchanged object costs no request: its
        # size/ETag is the key); the objects to read are then fetched together, READ_BATCH in
        # flight, for a group of runs at a time (bounded memory), and written.
        group: list[_RunPlan] = []
        pending = 0
        for run, objects in todo:
            try:
                plan = self._plan_run(run, objects, state, warnings, seen_files)
            except OSError as exc:  # (the copy's folder of the run is not what it was: a file where a folder was)
                self._unwritten(f"run {run!r}", exc, warnings)
                state["writers"].pop(run, None)
                continue
            group.append(plan)
            pending += plan.nbytes
            if pending >= GROUP_BYTES or len(group) >= GROUP_RUNS:
                self._run_group(group, state, warnings)
                group, pending = [], 0
        self._run_group(group, state, warnings)
        files = [(info, "runs/" + "/".join(parts)) for parts, info in plain.items()]
        self._write([(info, rel) for info, rel in files if self._want_file(info, rel, state, seen_files)], [],
                    state, warnings)
        for rel in set(state["files"]) - seen_files:  # removed from the root
            state["files"].pop(rel)
            try:
                (self.cache / rel).unlink(missing_ok=True)
            except OSError as exc:
                self._unwritten(f"the copy of {rel!r} (removed from the root)", exc, warnings)
        for run in set(state["writers"]) - tops:
            state["writers"].pop(run)
            shutil.rmtree(self.runs / run, ignore_errors=True)
            shutil.rmtree(self.streams / run, ignore_errors=True)
            for key in [k for k in state["streams"] if k.startswith(run + "/")]:
                state["streams"].pop(key)
        try:
            self._save_state(state)
        except OSError as exc:  # (the next sync reads everything again)
            self._unwritten("its state", exc, warnings)
        return self.runs

    def _run_group(self, plans: list[_RunPlan], state: dict, warnings: list[str]) -> None:
        """Read what a group of runs needs (concurrently), write it, assemble the runs that changed."""
        self._write([(info, rel) for p in plans for info, rel, _c in p.files],
                    [stream for p in plans for stream in p.streams], state, warnings)
        for p in plans:
            if p.changed:
                try:
                    self._assemble(p.run, {w: self.streams / p.run / w for w in p.writers}, warnings)
                except OSError as exc:  # assembled again at the next sync
                    state["writers"].pop(p.run, None)
                    self._unwritten(f"run {p.run!r}", exc, warnings)

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
