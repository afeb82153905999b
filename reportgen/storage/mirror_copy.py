"""Reading the objects of a runs root and writing them into its joined copy (part of :class:`.mirror.Mirror`).

Objects are read with one GET each (no HEAD: the listing gave the size), READ_BATCH at a time
(:func:`read_many`), those read whole held GROUP_BYTES at a time; an object over WHOLE_BYTES is copied
a piece at a time (``get_file``). A local root's file is copied from where it is when written, a
regular file really inside the root, a piece at a time with its holes kept; a segment that is mostly
holes is not joined. A failure to write the copy is a warning (:meth:`CopyMixin._unwritten`).
"""
from __future__ import annotations

import asyncio
import inspect
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from .mirror_state import _sig
from .safety import open_regular, reading_inside
from .sparse import copy_keeping_holes, mostly_holes

READ_BATCH = 32  # objects read at once (requests in flight)
# a group of runs (at most .mirror.GROUP_RUNS) holds this many bytes to read; objects read whole are held
GROUP_BYTES = 64 * 2**20  # this many at a time
WHOLE_BYTES = 8 * 2**20  # an object of a URL root over this is copied a piece at a time, never held whole


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


class _Unwritten(Exception):
    """Writing the joined copy failed (not reading the root): ``error`` is the OSError."""

    def __init__(self, error: OSError):
        self.error = error


def _write(out: BinaryIO, block: bytes) -> int:
    try:
        return out.write(block)
    except OSError as exc:
        raise _Unwritten(exc) from exc


def _pour(fh: BinaryIO, out: BinaryIO) -> int:
    """Append what is left of ``fh`` to ``out`` a MiB at a time; the bytes appended."""
    n = 0
    while block := fh.read(1 << 20):
        n += _write(out, block)
    return n


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


class CopyMixin:
    """How :class:`.mirror.Mirror` reads objects and writes files and streams of its copy (``self.fs``,
    ``self.path``, ``self.url``, ``self.cache``, ``self._local`` are the Mirror's)."""

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

    def _unwritten(self, what: str, exc: OSError, warnings: list[str]) -> None:
        """A failure of the joined copy itself (its folder full, read-only, a file where a folder is
        expected): named, and the rest goes on; what was not written is tried again at the next sync."""
        warnings.append(f"{self.url}: cannot write the joined copy of {what} in {self.cache} ({exc}); "
                        "tried again at the next sync")

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
                st["size"] += _pour(fh, out)
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
                st["size"] += _pour(fh, out)
        finally:
            _discard(part)
        return True
