"""The incremental-build cache: ``<cache dir>/<run-file>/``, outside the site.

The cache dir is ``--cache-dir DIR`` (``BuildConfig.cache_dir``), else
``<user cache>/builds/<hash of the site folder's absolute path>`` where the user cache is
``$REPORTGEN_CACHE_DIR``, ``$XDG_CACHE_HOME/reportgen`` or ``~/.cache/reportgen``: the site
folder is always safe to publish as it is, and two sites never share a cache.

Per run folder it keeps ``info.pkl`` (the small :class:`RunInfo` plus the
signature of the folder's files) and ``cols.pkl`` (the history reduced to what the site
draws -- :class:`~reportgen.site.runagg.RunAgg`, bounded by ``--samples`` whatever the number of
steps -- its non-numeric entries and media, and the byte offset where parsing stopped). A run whose files are unchanged is
not read at all; a run whose ``history.jsonl`` only grew is parsed from the old
end; anything else is parsed again from scratch.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from ..storage.safety import open_regular
from .history import Columns
from .write import write_bytes

CACHE_VERSION = 13  # bump when RunInfo, Columns or the data-file format change
CACHE_FILES = ("info.pkl", "cols.pkl")  # per run folder
TAIL = 64  # bytes before the parsed end, to check that history was only appended to


def user_cache() -> Path:
    """The per-user cache folder (also holds the Vega bundle)."""
    base = os.environ.get("REPORTGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "reportgen")
    return Path(base)


def default_cache_dir(site: Path) -> Path:
    key = hashlib.sha1(str(Path(site).resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return user_cache() / "builds" / key


def read_tail(history: Path, end: int) -> bytes:
    """The first and the last ``TAIL`` bytes before ``end``: kept with a cache entry, and compared
    before parsing only what was appended (a history rewritten from the start shows in its head)."""
    try:
        with open_regular(history) as fh:
            head = fh.read(min(end, TAIL))
            fh.seek(max(0, end - TAIL))
            return head + fh.read(min(end, TAIL))
    except OSError:
        return b""


class RunCache:
    def __init__(self, root: Path, samples: int, enabled: bool = True):
        self.root = Path(root)
        self.samples = samples
        self.enabled = enabled

    def _dir(self, run_file: str) -> Path:
        return self.root / run_file

    def _load(self, run_file: str, name: str) -> Any:
        if not self.enabled:
            return None
        try:
            with open(self._dir(run_file) / name, "rb") as fh:
                obj = pickle.load(fh)
        except Exception:  # missing, truncated or from another version: rebuild
            return None
        if not isinstance(obj, dict) or obj.get("version") != CACHE_VERSION or obj.get("samples") != self.samples:
            return None
        return obj

    def load_info(self, run_file: str) -> dict[str, Any] | None:
        """``{"sig", "info", "end", "tail"}`` or None."""
        return self._load(run_file, "info.pkl")

    def load_cols(self, run_file: str) -> Columns | None:
        obj = self._load(run_file, "cols.pkl")
        return obj["cols"] if obj else None

    def save(self, run_file: str, sig: dict[str, Any], info: Any, cols: Columns, tail: bytes) -> None:
        if not self.enabled:
            return
        d = self._dir(run_file)
        d.mkdir(parents=True, exist_ok=True)
        root, cols.root = cols.root, None
        try:
            write_bytes(d / "cols.pkl", pickle.dumps({"version": CACHE_VERSION, "samples": self.samples,
                                                      "cols": cols}, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            cols.root = root
        write_bytes(d / "info.pkl", pickle.dumps({"version": CACHE_VERSION, "samples": self.samples, "sig": sig,
                                                  "info": info, "end": cols.end, "tail": tail},
                                                 protocol=pickle.HIGHEST_PROTOCOL))

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
            self.root.mkdir(parents=True, exist_ok=True)
            write_bytes(self.root / "pages.pkl", pickle.dumps({"version": CACHE_VERSION, "samples": self.samples,
                                                               "pages": keys, "overviews": overviews}))

    def _load_root(self, name: str) -> Any:
        if not self.enabled:
            return None
        try:
            with open(self.root / name, "rb") as fh:
                obj = pickle.load(fh)
        except Exception:
            return None
        if not isinstance(obj, dict) or obj.get("version") != CACHE_VERSION or obj.get("samples") != self.samples:
            return None
        return obj

    def prune(self, keep: set[str], only: set[str] | None = None) -> set[str]:
        """Forget runs that are gone; returns their data files (to delete). Only the cache's own
        files are deleted (``--cache-dir`` may name a folder that holds other things too).
        ``only``: the runs to look at (the builder's snapshot knows which were there), not every
        folder of the cache (incr19: 10,000 runs)."""
        gone: set[str] = set()
        if not self.root.is_dir():
            return gone
        for d in (self.root.iterdir() if only is None else (self.root / n for n in sorted(only))):
            if d.is_dir() and not d.is_symlink() and d.name not in keep:  # pages.pkl is a file: kept
                old = self.load_info(d.name)
                if old:
                    gone.update(old["info"].data_files)
                for name in CACHE_FILES:
                    (d / name).unlink(missing_ok=True)
                try:
                    os.rmdir(d)
                except OSError:
                    pass  # not ours alone
        return gone
