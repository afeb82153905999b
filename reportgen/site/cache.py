"""The incremental-build cache: ``<cache dir>/<run-file>/``, outside the site.

The cache dir is ``--cache-dir DIR`` (``BuildConfig.cache_dir``), else
``<user cache>/builds/<hash of the site folder's absolute path>`` where the user cache is
``$REPORTGEN_CACHE_DIR``, ``$XDG_CACHE_HOME/reportgen`` or ``~/.cache/reportgen``: the site
folder is always safe to publish as it is, and two sites never share a cache.

Per run folder it keeps one file, ``runs/<run-file>.pkl``, of two pickles one after the other:
the entry (the small :class:`RunInfo`, the signature of the folder's files, the byte offset where
parsing stopped and a fingerprint of the bytes before it, :func:`read_tail`), read alone by
:meth:`RunCache.load_info`; then the history reduced to what the site draws
(:class:`~reportgen.site.history.Columns` with its :class:`~reportgen.site.runagg.RunAgg`, bounded
by ``--samples`` whatever the number of steps, its non-numeric entries and media). One file and no folder per run: creating files and folders is
much of a small run's build (cpu19: it was a folder and two files). A run whose files are
unchanged is not read at all; a run whose ``history.jsonl`` only grew is parsed from the old end;
anything else is parsed again from scratch.

The columns are kept only where continuing from them saves a parse worth their bytes
(:func:`keeps_columns`): a history of 2,000 steps is ~4 times its columns (the smoothing at every
slider weight, the values of each bucket), parsing it again costs ~10 ms, and 1,000 such runs kept
214 MB of columns, a quarter of their histories (cache1). Such a run's file is its entry alone,
and an append to it is parsed from the first byte (the same site: an append gives a full parse's
bytes).
"""
from __future__ import annotations

import os
import pickle
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import xxhash

from .._version import __version__
from ..storage.safety import open_regular
from .config import default_cache_dir, user_cache  # noqa: F401  (re-exported: assets, render, benchmarks)
from .history import Columns
from .write import failed_write, os_error  # (os_error re-exported: builder.py)
from .write import write_bytes

CACHE_VERSION = 22  # bump when RunInfo, Columns, the data-file format, the cache's layout or a kept view-model change
# what a cache entry must have been written by: this format, and this release of reportgen (an upgrade
# may change what is cached, a page's media items or a run's story, without a format change)
STAMP = (CACHE_VERSION, __version__)
RUNS_DIR = "runs"  # <cache>/runs/<run-file>.pkl: one file per run folder
OLD_FILES = ("info.pkl", "cols.pkl")  # the layout before version 14: <cache>/<run-file>/ with these
# What a cache entry keeps of history.jsonl's parsed bytes, to tell that the file was only appended
# to since (read_tail): an edit in the middle of a history that then grew kept its old values on the
# site until a build without the cache (the first and last 64 bytes alone were compared)
TAIL = 64  # bytes kept as they are from the start and from before the parsed end
BLOCK = 1 << 20  # up to WHOLE bytes, the hash of each block of this size is kept (an append reads
WHOLE = 64 << 20  # its last block again, not the others); past WHOLE, one hash of WINDOWS windows
WINDOWS, WINDOW = 64, 4096  # of WINDOW bytes at fixed fractions of the end (docs/site.md says what
DIGEST = 8  # each is sure to see): bytes of an XXH3-64 hash (~20 GB/s here; zlib's CRC-32 ~4,
# blake2b ~0.9: a full build hashes every byte it parses, and CRC-32 cost a build of 845 MB 7% more CPU)
# the columns are kept when they are at most 1/KEEP_RATIO of the history parsed, or small, or the
# history so big that parsing it again would cost more than reading them (keeps_columns)
KEEP_RATIO = 10
KEEP_SMALL = 64 * 1024
KEEP_BIG = 32 * 1024 * 1024


def unusable(folder: Path) -> str | None:
    """Why the cache cannot be kept in ``folder`` (None: it can): made if missing, a file made and
    removed in it. (``$REPORTGEN_CACHE_DIR`` naming a file, a read-only place: the build goes on without.)"""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return os_error(exc)
    return None


def failed_warning(folder: Path, error: str) -> str:
    """The build's one warning when a write into the cache ``folder`` failed during the build
    (``error``: :attr:`RunCache.error`, the first one)."""
    return (f"build cache {folder}: cannot write {error}; the site is built in full, and the next build may list "
            "the folders again and parse again runs whose cache entries were not written: free space there, or "
            "give --cache-dir DIR (or $REPORTGEN_CACHE_DIR) a folder it can write")


def read_tail(history: Path, end: int, known: tuple[int, bytes] | None = None) -> bytes:
    """The fingerprint of ``history``'s first ``end`` bytes, kept with a cache entry and compared
    before parsing only what was appended: the first and the last ``TAIL`` bytes before ``end``,
    then the XXH3-64 hash of each ``BLOCK`` of them (``end`` <= ``WHOLE``: any edit is seen, but for a
    hash collision) or of ``WINDOWS`` windows across them (larger: an edit outside them is not).
    ``known``: ``(end, fingerprint)`` of an earlier end of the same file whose blocks were checked
    against the file (``resume``): the blocks wholly before it are not read again."""
    try:
        with open_regular(history) as fh:
            head = fh.read(min(end, TAIL))
            fh.seek(max(0, end - TAIL))
            out = [head, fh.read(min(end, TAIL))]
            if end > WHOLE:
                h = xxhash.xxh3_64()
                for i in range(WINDOWS):
                    fh.seek((end - WINDOW) * i // (WINDOWS - 1))
                    h.update(fh.read(WINDOW))
                return b"".join(out) + h.digest()
            reuse = _blocks(*known)[:min(known[0], end) // BLOCK] if known else []
            out += reuse
            fh.seek(len(reuse) * BLOCK)
            out += [xxhash.xxh3_64_digest(fh.read(min(BLOCK, end - start)))
                    for start in range(len(reuse) * BLOCK, end, BLOCK)]
            return b"".join(out)
    except OSError:
        return b""


def fingerprint(data: bytes) -> bytes | None:
    """:func:`read_tail` of a history whose first ``len(data)`` bytes are ``data``, made from the bytes a
    parser read (a full build hashed every history after parsing it, reading it a second time), or
    None past :data:`WHOLE` (the sampled windows: read_tail reads them)."""
    end = len(data)
    if end > WHOLE:
        return None
    view = memoryview(data)
    return b"".join([data[:TAIL], data[max(0, end - TAIL):]] +
                    [xxhash.xxh3_64_digest(view[start:start + BLOCK]) for start in range(0, end, BLOCK)])


def _blocks(end: int, fingerprint: bytes) -> list[bytes]:
    """The block digests in a fingerprint :func:`read_tail` made of ``end`` bytes (none when it
    holds windows, or is not one of ``end`` bytes)."""
    at, n = 2 * min(end, TAIL), -(-end // BLOCK)
    if end > WHOLE or len(fingerprint) != at + n * DIGEST:
        return []
    return [fingerprint[at + i * DIGEST:at + (i + 1) * DIGEST] for i in range(n)]


def keeps_columns(size: int, history: int) -> bool:
    """Are columns of ``size`` bytes kept for ``history`` bytes parsed? Yes when they are at most a
    tenth of it (the cache stays small beside the runs), at most :data:`KEEP_SMALL` (the entry's
    file is written anyway), or when the history is :data:`KEEP_BIG` or more (parsing it again on an
    append would cost more than reading them); else an append parses the history again."""
    return size <= KEEP_SMALL or history >= KEEP_BIG or size * KEEP_RATIO <= history


class RunCache:
    def __init__(self, root: Path, samples: int, enabled: bool = True):
        self.root = Path(root)
        self.samples = samples
        self.enabled = enabled
        # the first write into the cache that failed ("<file>: ENOSPC: No space left on device"): the cache
        # is an optimisation, so a full disk, EIO or a read-only folder there is one warning (builder.py)
        # and the build goes on; a failed write leaves no part of its file (write.py), and an entry not
        # written leaves the previous one, whose signature no longer matches the run: it is parsed again
        self.error: str | None = None

    @contextmanager
    def writing(self, path: Path) -> Iterator[None]:
        """The block writes (or deletes) the cache's ``path``: an OSError is kept in :attr:`error`, not raised."""
        try:
            yield
        except OSError as exc:
            self.note(failed_write(exc, path))

    def note(self, error: str | None) -> None:
        """Keep ``error``, a failed write of the cache made elsewhere (the listings' records: records.py),
        as :attr:`error` unless one came first. (A cache found unusable is built without: the listings,
        started before that was known, may have failed to write their records there, already told.)"""
        if self.error is None and self.enabled:
            self.error = error

    def path(self, run_file: str) -> Path:
        """The run's cache file."""
        return self.root / RUNS_DIR / f"{run_file}.pkl"

    def _ok(self, obj: Any) -> bool:
        return isinstance(obj, dict) and obj.get("version") == STAMP and obj.get("samples") == self.samples

    def load_info(self, run_file: str) -> dict[str, Any] | None:
        """``{"sig", "info", "end", "tail", "cols"}`` or None (the file's first pickle only); "cols":
        whether the columns follow (:func:`keeps_columns`)."""
        if not self.enabled:
            return None
        try:
            with open(self.path(run_file), "rb") as fh:
                obj = pickle.load(fh)
        except Exception:  # missing, truncated or from another version: rebuild
            return None
        return obj if self._ok(obj) else None

    def load_cols(self, run_file: str) -> Columns | None:
        """The columns saved with the entry, or None (none kept: :func:`keeps_columns`)."""
        if not self.enabled:
            return None
        try:
            with open(self.path(run_file), "rb") as fh:
                head = pickle.load(fh)
                if not self._ok(head):
                    return None
                cols = pickle.load(fh)
        except Exception:  # missing, truncated or from another version: rebuild
            return None
        return cols if isinstance(cols, Columns) else None

    def save(self, run_file: str, sig: dict[str, Any], info: Any, cols: Columns, tail: bytes) -> None:
        if not self.enabled:
            return
        body = b""
        # (a lower bound first: the columns of a small run are not pickled only to be left out)
        if keeps_columns(cols.agg.min_bytes() if cols.agg is not None else 0, cols.end):
            root, cols.root = cols.root, None
            try:
                body = pickle.dumps(cols, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                cols.root = root
            if not keeps_columns(len(body), cols.end):
                body = b""
        head = pickle.dumps({"version": STAMP, "samples": self.samples, "sig": sig, "info": info, "end": cols.end,
                             "tail": tail, "cols": bool(body)}, protocol=pickle.HIGHEST_PROTOCOL)
        with self.writing(self.path(run_file)):
            write_bytes(self.path(run_file), head + body)

    def load_pages(self) -> dict[str, str]:
        return self.load_pages_and_overviews()[0]

    def load_overviews(self) -> list[str]:
        return self.load_pages_and_overviews()[1]

    def load_pages_and_overviews(self) -> tuple[dict[str, str], list[str]]:
        """The previous build's page keys and overview files (one read of ``pages.pkl``)."""
        obj = self._load_root("pages.pkl")
        return (obj.get("pages", {}), obj.get("overviews", [])) if obj else ({}, [])

    def save_pages(self, keys: dict[str, str], overviews: list[str]) -> None:
        if self.enabled:
            with self.writing(self.root / "pages.pkl"):
                self.root.mkdir(parents=True, exist_ok=True)
                write_bytes(self.root / "pages.pkl", pickle.dumps({"version": STAMP, "samples": self.samples,
                                                                   "pages": keys, "overviews": overviews}))

    def _load_root(self, name: str) -> Any:
        if not self.enabled:
            return None
        try:
            with open(self.root / name, "rb") as fh:
                obj = pickle.load(fh)
        except Exception:
            return None
        if not isinstance(obj, dict) or obj.get("version") != STAMP or obj.get("samples") != self.samples:
            return None
        return obj

    def gone(self, keep: set[str], only: set[str] | None = None) -> tuple[set[str], list[str]]:
        """The runs of the cache that are gone (not in ``keep``): their data files (to delete from the
        site) and their names (to :meth:`forget` once the site's files are deleted: a build stopped
        before then finds them again). ``only``: the runs to look at (the builder's snapshot knows which
        were there), not every file of the cache (incr19: 10,000 runs)."""
        files: set[str] = set()
        runs = self.root / RUNS_DIR
        if only is None:
            names = [p.name[:-4] for p in runs.iterdir() if p.name.endswith(".pkl")] if runs.is_dir() else []
        else:
            names = sorted(only)
        names = [name for name in names if name not in keep]
        for name in names:
            old = self.load_info(name)
            if old:
                files.update(old["info"].data_files)
        return files, names

    def forget(self, names: list[str], old_layout: bool = False) -> None:
        """Delete the entries of runs that are gone (:meth:`gone`), and with ``old_layout`` the per-run
        folders of the layout before version 14. Only the cache's own files are deleted
        (``--cache-dir`` may name a folder that holds other things too)."""
        if old_layout:
            self._remove_old_layout()
        for name in names:
            p = self.path(name)
            if not p.is_symlink():
                with self.writing(p):  # (a read-only cache: the entry stays, for a run that is gone)
                    p.unlink(missing_ok=True)

    def _remove_old_layout(self) -> None:
        if not self.root.is_dir():
            return
        for d in self.root.iterdir():
            if d.is_dir() and not d.is_symlink() and d.name != RUNS_DIR and \
                    any((d / name).is_file() for name in OLD_FILES):
                for name in OLD_FILES:
                    with self.writing(d / name):
                        (d / name).unlink(missing_ok=True)
                try:
                    os.rmdir(d)
                except OSError:
                    pass  # not ours alone
