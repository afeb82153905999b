"""Planning a sync of the joined copy from the root's listing alone (part of :class:`.mirror.Mirror`):
which objects are runs (and whose writers), which are copied as they are, which are refused (an unsafe
name, a link, no regular file), and for each run the files and segments to read."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import segments as seg
from .format import validate_run_id

class _RunPlan:
    """The objects one run needs read (whole files, segments per stream) and whether it changed."""

    __slots__ = ("run", "files", "streams", "writers", "changed", "nbytes")

    def __init__(self, run: str):
        self.run = run
        self.files: list[tuple[dict, str, bool]] = []  # (info, path under the cache, changes the run)
        self.streams: list[tuple[str, Path, list[tuple[int, dict]]]] = []
        self.writers: list[str] = []
        self.changed = False
        self.nbytes = 0

    def add_file(self, info: dict, rel: str, changes: bool) -> None:
        self.files.append((info, rel, changes))
        self.nbytes += int(info.get("size") or 0)
        self.changed |= changes

    def add_stream(self, key: str, dest: Path, parts: list[tuple[int, dict]]) -> None:
        self.streams.append((key, dest, parts))
        self.nbytes += sum(int(info.get("size") or 0) for _, info in parts)
        self.changed = True


def _safe(parts: list[str]) -> bool:
    return all(p and p not in (".", "..") and "\\" not in p and "\x00" not in p for p in parts)


def refused(info: dict[str, Any]) -> str | None:
    """Why a listed object is not read (None: it is). fsspec's local listing names a link
    (``islink``, of a file or a folder) and gives a pipe, socket or device the type ``other``."""
    if info.get("islink"):
        return "a symbolic link (not followed)"
    if info.get("type", "file") != "file":
        return "not a regular file (a pipe, socket or device); not read"
    return None


class PlanMixin:
    """How :class:`.mirror.Mirror` plans (``self.url``, ``self.path``, ``self.run``, ``self.cache``,
    ``self._local`` are the Mirror's; ``_want_file``/``_want_stream`` its :class:`.mirror_state.StateMixin`'s)."""

    def _split(self, listing: dict[str, dict], warnings: list[str]) -> tuple[list, dict, set[str]]:
        """The listing's runs (``(run, {parts under it: info})``, sorted), the objects copied as they are
        (``{parts: info}``) and every top folder holding objects."""
        by_run: dict[str, dict[tuple[str, ...], dict]] = {}
        plain: dict[tuple[str, ...], dict] = {}
        base = len(self.path) + 1
        for key, info in listing.items():
            if info.get("type") == "directory":
                continue
            parts = key[base:].split("/")
            if self.run is not None:
                parts.insert(0, self.run)
            if not _safe(parts):
                warnings.append(f"{self.url}: skipped object {key!r} (not a safe path)")
                continue
            why = refused(info)
            if why:
                warnings.append(f"{self.url}: skipped {'/'.join(parts)!r}: {why}")
                continue
            if len(parts) == 1:
                plain[tuple(parts)] = info
                continue
            by_run.setdefault(parts[0], {})[tuple(parts[1:])] = info
        todo = []
        for top, objects in sorted(by_run.items()):
            names = {p[0] for p in objects}
            if {"run.json", *seg.SEGMENT_DIRS} & names:
                try:
                    # (a local root's folder is named as the disk allows: the builder and Api read a plain
                    # root's run folders whatever their names, so one shared run does not drop the others)
                    if not self._local:
                        validate_run_id(top)
                except ValueError:
                    warnings.append(f"{self.url}: skipped {top!r}: not a valid run id")
                    continue
                todo.append((top, objects))
            else:  # _artifacts/, sweeps/...: copied as they are
                plain.update({(top, *p): i for p, i in objects.items()})
        return todo, plain, set(by_run)

    # -- runs --------------------------------------------------------------------------------
    def _plan_run(self, run: str, objects: dict, state: dict, warnings: list[str], seen: set[str]) -> _RunPlan:
        """What to read for one run, decided from the listing and the state alone."""
        plan = _RunPlan(run)
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
                rel = f"runs/{run}/" + "/".join(parts)
                if self._want_file(info, rel, state, seen):
                    plan.add_file(info, rel, changes=False)
        for w, objs in writers.items():
            folder = f"streams/{run}/{w}/"
            streams: dict[str, dict[int, dict]] = {local: {} for local in seg.STREAMS}
            for parts, info in objs.items():
                stream = seg.stream_of(parts[0]) if len(parts) == 2 else None
                if stream is not None:
                    n = seg.parse_seq(parts[1], stream[1])
                    if n is not None:
                        streams[stream[0]][n] = info
                elif len(parts) == 1 and (parts[0] in seg.WHOLE_FILES or parts[0] in seg.STREAMS):
                    # a whole file; also history.jsonl... of a run copied in the plain format
                    if self._want_file(info, folder + parts[0], state, seen):
                        plan.add_file(info, folder + parts[0], changes=True)
            for local, found in streams.items():
                if found:
                    key = f"{run}/{w}/{local}"
                    dest = self.cache / (folder + local)
                    todo = self._want_stream(key, found, dest, state, warnings)
                    if todo is not None:
                        plan.add_stream(key, dest, todo)
        plan.writers = sorted(writers)
        if state["writers"].get(run) != plan.writers:
            plan.changed = True
            state["writers"][run] = plan.writers
        return plan
