"""Live import for ``reportgen serve --watch SOURCE``: follow a TensorBoard logdir, a wandb
folder or an MLflow store that a training run is still writing.

``serve`` calls :func:`follow_for_serve` with its RUNS argument. When that folder holds
no reportgen run folders but is recognised as another tracker's (:func:`detect`), it
is imported into a cache runs root (``$REPORTGEN_CACHE_DIR`` or
``~/.cache/reportgen``, then ``follow/<name>-<hash>``) and that root is served instead;
with ``--watch`` a background thread re-imports every ``interval`` seconds. Each pass
appends only what is new, and a pass that finds nothing writes nothing, so the serve
watcher rebuilds only when the source grew; a run the pass no longer finds at the source (deleted,
or no longer read: a link out of a logdir without ``--follow-links``) is removed from the cache root
(:meth:`Follower.prune`), so the site shows what the source holds now.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import threading
from pathlib import Path

from . import ImportOptions, detect, import_source
from .common import IMPORT_JSON, RunImport, printable
from .mlflow_sql import DB_NAMES
from ..tell import say, tell
from ..storage.remote import is_db_url
from ..storage.rootpin import RootPin

INTERVAL = 2.0


def cache_root(source: Path) -> Path:
    base = os.environ.get("REPORTGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "reportgen")
    if is_db_url(source):  # a tracking server's database: named by its host and database, keyed by the URI
        from .mlflow_server import redacted

        key = redacted(str(source))
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in key.split("://", 1)[-1].split("@")[-1])[:60]
    else:
        src = Path(source).resolve()
        key, name = str(src), src.name
    digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return Path(base) / "follow" / f"{name or 'source'}-{digest}"


class Follower:
    """Imports ``kind`` from ``source`` into ``out`` now and (after :meth:`start`) every ``interval`` s."""

    def __init__(self, kind: str, source: Path, out: Path, interval: float = INTERVAL, follow_links: bool = False):
        self.kind, self.out, self.interval, self.follow_links = kind, Path(out), interval, follow_links
        self.source = source if is_db_url(source) else Path(source)
        # where the folder leads now: swapped for a link to another folder later, it is not imported from
        self.pin = None if is_db_url(source) else RootPin(self.source, "the followed folder")
        self._seen: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0

    def _warn(self, message: str, label: str = "warning") -> None:
        message = printable(message)  # (names from the source: no control characters on the terminal)
        if message not in self._seen:  # (once, not at every pass)
            self._seen.add(message)
            tell(f"{self.kind}: {message}", label)

    def _note(self, message: str) -> None:
        self._warn(message, "note")

    def poll(self) -> int:
        """One incremental import pass; returns the number of new rows."""
        moved = self.pin.moved() if self.pin is not None else None
        if moved is not None:
            self._warn(moved)
            return 0
        opts = ImportOptions(source=self.kind, path=self.source, out=self.out, quiet=True, follow=True,
                             follow_links=self.follow_links, warn=self._warn, note=self._note)
        try:
            result = import_source(opts)
        except Exception as exc:  # noqa: BLE001 - the watcher keeps going; the next pass retries
            self._warn(f"import failed ({type(exc).__name__}: {exc}); retrying")
            return 0
        self.passes += 1
        if result.listed is not None:
            self.prune_store(result.found, result.listed)
        else:
            self.prune(result.found)
        return result.rows

    def prune_store(self, found: set[str], listed: str) -> list[str]:
        """Remove from the cache root the runs this follower imported from a database store that the pass,
        which listed the store's runs to the end, did not come to (``found``): deleted there
        (``mlflow.delete_run``, its experiment deleted) or gone (``mlflow gc``). Only folders holding an
        ``import.json`` of this kind whose source is a run of this database (``listed``, ``<database>#``)
        are touched. A pass that could not list the store (unreachable, an error) comes not here, and
        keeps every run. Returns the run ids removed."""
        removed = []
        for entry in self._not_found(found, self.out):
            src = _source(Path(entry.path), self.kind)
            if src is not None and src["path"].startswith(listed):
                self._remove(entry, f"{printable(src['path'])} is deleted or gone")
                removed.append(entry.name)
        return removed

    def _not_found(self, found: set[str], what) -> list:
        """The folders of the cache root (not links) that are no run of ``found``, by name; none when
        ``what`` (the source, or the cache root) cannot be listed now, with a warning."""
        try:
            os.listdir(what)
            with os.scandir(self.out) as it:
                return sorted((e for e in it if e.name not in found and e.is_dir(follow_symlinks=False)),
                              key=lambda e: e.name)
        except OSError as exc:
            self._warn(f"{what}: cannot be listed now ({exc}); the runs imported from it are kept")
            return []

    def _remove(self, entry, why: str) -> None:
        shutil.rmtree(entry.path, ignore_errors=True)
        tell(f"{self.kind}: {why}: its imported run {entry.name} is removed from the site", "note")

    def prune(self, found: set[str]) -> list[str]:
        """Remove from the cache root the runs this follower imported from its source that the pass did
        not come to (``found``): their source run is gone, or no longer read (a link out of the logdir
        without ``--follow-links``, a run folder left without event files). Only folders holding an
        ``import.json`` of this source are touched; when the source, or a run's place in it, cannot be
        listed now (an I/O error), everything is kept, with a warning. Returns the run ids removed.
        (A database store: :meth:`prune_store`.)"""
        from .mlflow_sql import sql_store

        if is_db_url(self.source) or not self.source.is_dir() or sql_store(self.source) is not None:
            return []  # (one file, or a database not listed to the end: its runs are not places to look at)
        entries = self._not_found(found, self.source)
        root = self.source.resolve()  # (after the listing: a source that cannot be listed is told)
        removed = []
        for entry in entries:
            place = _source_place(Path(entry.path), self.kind, root)
            if place is None:
                continue
            label = printable(place.relative_to(root).as_posix())
            try:
                os.listdir(place)
                why = "is no longer read (see the warnings above)"
            except (FileNotFoundError, NotADirectoryError):
                why = "is gone"
            except OSError as exc:
                self._warn(f"{label}: cannot be listed now ({exc}); its imported run {entry.name} is kept")
                continue
            self._remove(entry, f"{printable(self.source.name)}/{label} {why}")
            removed.append(entry.name)
        return removed

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="reportgen-follow", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def _source(run_dir: Path, kind: str) -> dict | None:
    """The source recorded in the cache root's ``run_dir`` (its ``import.json``) when it is an import of
    ``kind`` naming its source's path; else None."""
    src = RunImport._read(run_dir / IMPORT_JSON).get("source")
    if not isinstance(src, dict) or src.get("kind") != kind or not isinstance(src.get("path"), str):
        return None
    return src


def _source_place(run_dir: Path, kind: str, root: Path) -> Path | None:
    """Where the source run of the cache root's ``run_dir`` was (a path inside the source folder
    ``root``), from its ``import.json``; None when the folder is no import of ``kind`` from ``root``."""
    src = _source(run_dir, kind)
    if src is None:
        return None
    place = Path(src["path"])
    if kind == "tensorboard":
        if not isinstance(src.get("run"), str):
            return None
        place = place / src["run"]
    place = Path(os.path.normpath(place))
    if kind == "mlflow" and place.parent == root and place.name.startswith(tuple(f"{n}#" for n in DB_NAMES)):
        return None  # (a run of the folder's database: no place; pruned only after a pass that listed it)
    return place if place == root or root in place.parents else None


def follow_for_serve(runs: Path, watch: bool, follow_links: bool = False, quiet: bool = False) -> Path:
    """The runs root ``serve`` should build: ``runs`` itself when it holds run folders, or else the cache
    root a source is imported into. (``reportgen build``, which has listed RUNS already, calls
    :func:`import_tracker` itself.)"""
    from ..storage.reader import list_run_dirs

    if is_db_url(runs):
        return import_tracker(runs, watch, quiet, follow_links) or Path(runs)
    runs = Path(runs)
    if list_run_dirs(runs):
        return runs
    return import_tracker(runs, watch, quiet, follow_links) or runs


def import_tracker(runs: Path, watch: bool = False, quiet: bool = False, follow_links: bool = False) -> Path | None:
    """When ``runs`` is another tracker's folder (:func:`detect`): it imported (what is new since the
    last time) into its cache runs root, which is returned; else None. ``reportgen build`` calls it
    when RUNS held no run folder, ``serve`` (with ``watch``: followed from now on) before it starts;
    ``follow_links``: their ``--follow-links`` (a logdir's links out of it are read)."""
    runs = runs if is_db_url(runs) else Path(runs)
    kind = detect(runs)
    if kind is None:
        return None
    out = cache_root(runs)
    out.mkdir(parents=True, exist_ok=True)
    follower = Follower(kind, runs, out, follow_links=follow_links)
    if not quiet:
        if is_db_url(runs):
            from .mlflow_server import redacted

            what = f"{redacted(runs)} is an MLflow tracking server's database"
        else:
            what = f"{runs} is a {kind} folder"
        say(f"{what}: importing it into {out}" + (" and following it" if watch else ""), err=True)
    follower.poll()
    if watch:
        follower.start()
    return out
