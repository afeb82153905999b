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
"""
from __future__ import annotations

import asyncio
import inspect
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from . import segments as seg
from .listing import list_objects
from .lock import held
from .format import validate_run_id
from .merge import merge_run
from .remote import open_root
from .safety import open_regular, reading_inside
from .sparse import copy_keeping_holes, mostly_holes

STATE_VERSION = 1
LOCK_FILE = "sync.lock"  # in the copy's folder: one process syncs (and reads the state of) a copy at a time
READ_BATCH = 32  # objects read at once (requests in flight)
GROUP_RUNS = 500  # runs planned, read and written together...
GROUP_BYTES = 64 * 2**20  # ...or runs holding this many bytes to read; objects read whole are held this many at a time
WHOLE_BYTES = 8 * 2**20  # an object of a URL root over this is copied a piece at a time, never held whole


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


def _read_kwargs(fs: Any, method: str = "cat_file") -> dict[str, Any]:
    """s3fs reads an object with a HEAD first (for a parallel ranged read of big objects) unless
    ``max_concurrency=1``: one GET each, the listing already gave their sizes."""
    try:
        params = inspect.signature(getattr(fs, "_" + method, getattr(fs, method))).parameters
    except (TypeError, ValueError):
        return {}
    return {"max_concurrency": 1} if "max_concurrency" in params else {}


def read_many(fs: Any, paths: list[str]) -> dict[str, bytes]:
    """The bytes of every object in ``paths``: one GET each, READ_BATCH in flight (the event loop
    of an async file system such as s3fs, else threads). A missing object raises."""
    if not paths:
        return {}
    kw = _read_kwargs(fs)
    if getattr(fs, "async_impl", False) and getattr(fs, "loop", None) is not None:
        from fsspec.asyn import sync

        async def gather() -> list[bytes]:
            gate = asyncio.Semaphore(READ_BATCH)

            async def one(path: str) -> bytes:
                async with gate:
                    return await fs._cat_file(path, **kw)

            return await asyncio.gather(*(one(p) for p in paths))

        return dict(zip(paths, sync(fs.loop, gather)))
    if len(paths) == 1:
        return {paths[0]: fs.cat_file(paths[0], **kw)}
    with ThreadPoolExecutor(max_workers=min(READ_BATCH, len(paths))) as pool:
        return dict(zip(paths, pool.map(lambda p: fs.cat_file(p, **kw), paths)))


def _sig(info: dict[str, Any]) -> list:
    tag = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified") or ""
    return [int(info.get("size") or 0), str(tag)]


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


class _Unwritten(Exception):
    """Writing the joined copy failed (not reading the root): ``error`` is the OSError."""

    def __init__(self, error: OSError):
        self.error = error


def _write(out: BinaryIO, block: bytes) -> int:
    try:
        return out.write(block)
    except OSError as exc:
        raise _Unwritten(exc) from exc


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


def _is_local(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


#: a segment of a local root over this size that is mostly holes is not joined (the SDK cuts segments
#: at 8 MiB, ``x_segment_bytes``): a sparse 3 GiB one costs no disk, and would be written dense
SPARSE_SEGMENT = 64 << 20


def _sparse(fh: BinaryIO) -> str | None:
    size = os.fstat(fh.fileno()).st_size
    data = mostly_holes(fh.fileno()) if size > SPARSE_SEGMENT else None
    return None if data is None else f"{size:,} bytes, of which {data:,} hold data (a sparse file); not read"


class _Piecewise:
    """An object of a URL root too large to read whole (over WHOLE_BYTES): copied with ``get_file``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Mirror:
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

    def _read(self, infos: list[dict]) -> dict[str, bytes | Path | _Piecewise]:
        """The objects' bytes; a local root's files, and a URL root's objects over WHOLE_BYTES, are not
        read here but copied when written (:meth:`_put_file`, :meth:`_put_stream`: bounded memory)."""
        if self._local:
            return {i["name"]: Path(i["name"]) for i in infos}
        big = {i["name"]: _Piecewise(i["name"]) for i in infos if int(i.get("size") or 0) > WHOLE_BYTES}
        return {**read_many(self.fs, [i["name"] for i in infos if i["name"] not in big]), **big}

    def _write(self, files: list[tuple[dict, str]], streams: list[tuple[str, Path, list[tuple[int, dict]]]],
               state: dict, warnings: list[str] | None) -> None:
        """Read and write whole files (``(info, path under the cache)``) and the segments of streams, in
        order; of a URL root, the objects read whole are held GROUP_BYTES at a time (READ_BATCH in flight)."""
        items = [(info, (rel,)) for info, rel in files]
        items += [(info, (key, dest, n)) for key, dest, parts in streams for n, info in parts]
        batch: list[tuple[dict, tuple]] = []
        held = 0
        for k, item in enumerate(items):
            batch.append(item)
            size = int(item[0].get("size") or 0)
            held += 0 if self._local or size > WHOLE_BYTES else size
            if held >= GROUP_BYTES or k == len(items) - 1:
                data = self._read([info for info, _ in batch])
                parts: dict[str, tuple[Path, list[tuple[int, dict]]]] = {}
                for info, target in batch:
                    if len(target) == 1:
                        self._put_file(info, target[0], data[info["name"]], state, warnings)
                    else:
                        parts.setdefault(target[0], (target[1], []))[1].append((target[2], info))
                for key, (dest, found) in parts.items():
                    self._put_stream(key, dest, found, data, state, warnings)
                batch, held = [], 0

    def _download(self, name: str, dest: Path, warnings: list[str] | None) -> bool:
        """Copy the object ``name`` into ``dest`` a piece at a time (one GET); False if it failed."""
        try:
            self.fs.get_file(name, str(dest), **_read_kwargs(self.fs, "get_file"))
            return True
        except OSError as exc:
            _discard(dest)
            if warnings is None:
                raise
            warnings.append(f"{self.url}: cannot read {name!r} ({exc}); tried again at the next sync")
            return False

    def _skipped(self, src: Path, why: object, warnings: list[str] | None) -> None:
        if warnings is not None:
            rel = os.path.relpath(src, self.path).replace(os.sep, "/")
            warnings.append(f"{self.url}: skipped {rel!r}: {why}")

    def _load_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_file.read_text())
            if state.get("version") == STATE_VERSION and state.get("url") == self.url and state.get("run") == self.run:
                return state
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.runs, ignore_errors=True)  # unknown state: start over
        shutil.rmtree(self.streams, ignore_errors=True)
        return {"version": STATE_VERSION, "url": self.url, "run": self.run, "files": {}, "streams": {}, "writers": {}}

    def _save_state(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_name(".state.json.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_file)

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
        seen_files: set[str] = set()
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
        for run in set(state["writers"]) - set(by_run):
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

    def _unwritten(self, what: str, exc: OSError, warnings: list[str]) -> None:
        """A failure of the joined copy itself (its folder full, read-only, a file where a folder is
        expected): named, and the rest goes on; what was not written is tried again at the next sync."""
        warnings.append(f"{self.url}: cannot write the joined copy of {what} in {self.cache} ({exc}); "
                        "tried again at the next sync")

    # -- whole files (``rel``: the path under the cache folder, with ``/``) ---------------------
    def _want_file(self, info: dict, rel: str, state: dict, seen: set[str]) -> bool:
        """Whether ``rel`` must be (re)read: its size/ETag differs from the one last written.
        (Strings, not Paths: this runs for every object of every run on each sync.)"""
        seen.add(rel)
        return not (state["files"].get(rel) == _sig(info) and os.path.exists(os.path.join(self._base, rel)))

    def _put_file(self, info: dict, rel: str, data: bytes | Path | _Piecewise, state: dict,
                  warnings: list[str] | None = None) -> None:
        dest = self.cache / rel
        tmp = dest.with_name(f".{dest.name}.tmp")
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                tmp.write_bytes(data)
            elif isinstance(data, _Piecewise):
                if not self._download(data.name, tmp, warnings):
                    return None
            else:  # a local root's file, as a run folder's is read: a regular file really inside the root
                try:
                    with reading_inside(self.path, self.path):
                        copy_keeping_holes(data, tmp)
                except OSError as exc:  # (swapped for a link or a pipe, or removed, since the listing)
                    _discard(tmp)
                    return self._skipped(data, exc, warnings)
            os.replace(tmp, dest)
        except OSError as exc:  # writing the copy failed
            _discard(tmp)
            if warnings is None:
                raise
            return self._unwritten(repr(rel), exc, warnings)
        state["files"][rel] = _sig(info)

    def _fetch(self, parts: tuple[str, ...], info: dict, dest: Path, state: dict, seen: set[str]) -> bool:
        """One whole file: read (one GET) only if its size/ETag changed; True if it was."""
        rel = dest.relative_to(self.cache).as_posix()
        if not self._want_file(info, rel, state, seen):
            return False
        self._write([(info, rel)], [], state, None)
        return True

    # -- append-only streams -----------------------------------------------------------------
    def _want_stream(self, key: str, found: dict[int, dict], dest: Path, state: dict,
                     warnings: list[str]) -> list[tuple[int, dict]] | None:
        """The segments of one stream to read and append to ``dest`` (None: nothing changed).
        Consumed segments that changed or vanished (or a local file not as left) restart it."""
        st = state["streams"].get(key)
        try:
            size = os.stat(dest).st_size
        except FileNotFoundError:
            size = None
        if st is not None and (size != st["size"] or any(
                _sig(found[int(n)]) != sig if int(n) in found else True for n, sig in st["sigs"].items())):
            st = None  # consumed segments changed: rebuild
        if st is None:
            st = {"size": 0, "sigs": {}}
            if size is not None:
                os.unlink(dest)
                size = None
        state["streams"][key] = st
        parts, gap = seg.ordered(found, len(st["sigs"]) + 1)
        if gap:
            warnings.append(f"{os.path.basename(dest)} of {key}: {gap}")
        if not parts and size is not None:
            return None
        return parts

    def _put_stream(self, key: str, dest: Path, parts: list[tuple[int, dict]],
                    data: dict[str, bytes | Path | _Piecewise],
                    state: dict, warnings: list[str] | None = None) -> None:
        st = state["streams"][key]
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with open(dest, "ab") as out:
                for n, info in parts:
                    part = data[info["name"]]
                    if isinstance(part, bytes):
                        st["size"] += out.write(part)
                    elif isinstance(part, _Piecewise):
                        if not self._append_object(part.name, dest, out, st, warnings):
                            return  # (the stream stops there: the next sync tries that segment again)
                    elif not self._append(part, out, st, warnings):
                        return  # (the stream stops there: the next sync tries that segment again)
                    st["sigs"][str(n)] = _sig(info)
        except (OSError, _Unwritten) as exc:  # writing the copy failed: the stream is joined again next time
            state["streams"][key] = {"size": -1, "sigs": {}}
            if warnings is None:
                raise
            self._unwritten(repr(dest.relative_to(self.cache).as_posix()), getattr(exc, "error", exc), warnings)

    def _append(self, src: Path, out: BinaryIO, st: dict, warnings: list[str] | None) -> bool:
        """Append the local segment ``src`` to ``out`` a piece at a time; False if it was not read."""
        try:
            with reading_inside(self.path, self.path), open_regular(src, follow=False) as fh:
                why = _sparse(fh)
                if why is not None:  # left out for good: the stream goes on after it
                    self._skipped(src, why, warnings)
                    return True
                while block := fh.read(1 << 20):
                    st["size"] += _write(out, block)
                return True
        except OSError as exc:  # (swapped for a link or a pipe, or removed, since the listing)
            self._skipped(src, exc, warnings)
            return False

    def _append_object(self, name: str, dest: Path, out: BinaryIO, st: dict, warnings: list[str] | None) -> bool:
        """Append the segment ``name`` of a URL root to ``out`` through a local copy of it; False if not read."""
        part = dest.with_name(f".{dest.name}.part")
        if not self._download(name, part, warnings):
            return False
        try:
            with open(part, "rb") as fh:
                while block := fh.read(1 << 20):
                    st["size"] += out.write(block)
        finally:
            _discard(part)
        return True

    def _sync_stream(self, key: str, found: dict[int, dict], dest: Path, state: dict, warnings: list[str]) -> bool:
        """Append the new segments of one stream to ``dest``; True if it changed."""
        parts = self._want_stream(key, found, dest, state, warnings)
        if parts is None:
            return False
        self._write([], [(key, dest, parts)], state, warnings)
        return True

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
