"""Live import for ``reportgen serve --watch SOURCE``: follow a TensorBoard logdir, a wandb
folder or an MLflow store that a training run is still writing.

``serve`` calls :func:`follow_for_serve` with its RUNS argument. When that folder holds
no reportgen run folders but is recognised as another tracker's (:func:`detect`), it
is imported into a cache runs root (``$REPORTGEN_CACHE_DIR`` or
``~/.cache/reportgen``, then ``follow/<name>-<hash>``) and that root is served instead;
with ``--watch`` a background thread re-imports every ``interval`` seconds. Each pass
appends only what is new, and a pass that finds nothing writes nothing, so the serve
watcher rebuilds only when the source grew.
"""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from . import ImportOptions, detect, import_source
from .common import printable
from ..tell import say, tell
from ..storage.remote import is_db_url

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
        opts = ImportOptions(source=self.kind, path=self.source, out=self.out, quiet=True, follow=True,
                             follow_links=self.follow_links, warn=self._warn, note=self._note)
        try:
            result = import_source(opts)
        except Exception as exc:  # noqa: BLE001 - the watcher keeps going; the next pass retries
            self._warn(f"import failed ({type(exc).__name__}: {exc}); retrying")
            return 0
        self.passes += 1
        return result.rows

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


def follow_for_serve(runs: Path, watch: bool, follow_links: bool = False) -> Path:
    """The runs root ``serve`` should build: ``runs`` itself, or the cache root a source is imported into."""
    from ..storage.reader import list_run_dirs

    if is_db_url(runs):
        return import_tracker(runs, watch, follow_links=follow_links) or Path(runs)
    runs = Path(runs)
    if list_run_dirs(runs):
        return runs
    return import_tracker(runs, watch, follow_links=follow_links) or runs


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
