"""Runs roots given as URLs (``s3://bucket/prefix``, ``gs://``, ``az://``, any fsspec file system).

- :func:`is_url` / :func:`local_path`: ``file:///x`` is the local folder ``/x`` (plain format);
  every other ``scheme://`` is opened through fsspec.
- :func:`open_root`: ``(filesystem, path)``; a missing driver raises ImportError naming the
  reportgen extra that installs it (``pip install 'reportgen[s3]'``).
- :func:`materialize` (``reportgen.storage.mirror``): a local, incrementally synced copy of a URL
  root in the plain run-folder format, for the builder, ``reportgen.Api`` and ``export``.

Options for the file system come from fsspec's own configuration (``~/.config/fsspec/*.json``
or ``FSSPEC_S3_ENDPOINT_URL``-style environment variables) and the usual credentials
(``AWS_*``, ``GOOGLE_APPLICATION_CREDENTIALS``...).
"""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: protocol -> the reportgen extra that installs its fsspec driver
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure",
          "abfss": "azure", "adl": "azure"}
CACHE_ENV = "REPORTGEN_CACHE_DIR"


def is_url(root: Any) -> bool:
    """True for ``scheme://...`` strings other than ``file://`` (those are local folders)."""
    return isinstance(root, str) and bool(_URL_RE.match(root)) and not root.lower().startswith("file://")


DB_SCHEMES = ("postgresql", "postgres", "mysql", "mariadb", "mssql", "oracle")
_DB_URL_RE = re.compile(r"^([a-z][a-z0-9]*)(\+[a-z0-9_]+)?://", re.IGNORECASE)


def is_db_url(value: Any) -> bool:
    """Whether ``value`` is a database URI (``postgresql://...``, ``mysql+pymysql://...``): an MLflow
    tracking server's store (``importers/mlflow_server.py``), not a runs root on object storage."""
    m = _DB_URL_RE.match(value) if isinstance(value, str) else None
    return bool(m) and m.group(1).lower() in DB_SCHEMES


def local_path(root: Any) -> Any:
    """``file:///x/runs`` -> ``Path('/x/runs')``; anything else unchanged."""
    if isinstance(root, str) and root.lower().startswith("file://"):
        return Path(unquote(urlparse(root).path) or "/")
    return root


def protocol(url: str) -> str:
    return url.split("://", 1)[0].lower()


def _extra_error(url: str, exc: BaseException) -> ImportError:
    proto = protocol(url)
    if proto in EXTRAS:
        how = f"install it with: pip install 'reportgen[{EXTRAS[proto]}]'"
    else:
        how = "install the fsspec driver package it names"
    return ImportError(f"runs root {url!r}: the {proto}:// file system needs an extra package; {how} ({exc})")


def url_fs(url: str, **options: Any) -> tuple[Any, str]:
    """fsspec's ``url_to_fs``; for ``gs://`` at an endpoint other than Google's (``STORAGE_EMULATOR_HOST``
    or ``endpoint_url``: an emulator, fake-gcs-server, an in-house GCS-compatible server), gcsfs's plain
    JSON-API file system. gcsfs 2026's default one (``ExtendedGcsFileSystem``, unless
    ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false``) asks Google's Storage Control gRPC API what kind of bucket
    it works in before opening, listing or deleting; a server without that API (over TLS on the same
    port) fails the call, which it retries for 60 s, then does not remember: every operation waited a
    minute, and a site of 100 files took hours to publish. Zonal and hierarchical buckets, what it asks
    about, exist only at Google. (ImportError: no driver for the protocol; ValueError: unknown protocol.)"""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(url, **options)
    if type(fs).__module__ == "gcsfs.extended_gcsfs" and (
            fs.storage_options.get("endpoint_url")
            or os.environ.get("STORAGE_EMULATOR_HOST", "") not in ("", "default")):
        from gcsfs.core import GCSFileSystem

        fs = GCSFileSystem(**fs.storage_options)
    return fs, path


def open_root(url: str) -> tuple[Any, str]:
    """``(fsspec filesystem, path without protocol)`` for a URL root (trailing ``/`` removed)."""
    try:
        import fsspec  # noqa: F401
    except ImportError as exc:
        raise _extra_error(url, exc) from None
    try:
        fs, path = url_fs(url)
    except ImportError as exc:
        raise _extra_error(url, exc) from None
    except ValueError as exc:  # "Protocol not known: nope"
        raise ValueError(f"runs root {url!r}: expected a local folder or an fsspec URL (s3://, gs://, az://...): "
                         f"{exc}") from None
    return fs, path.rstrip("/")


def join(*parts: str) -> str:
    """``a/b/c`` from path parts (an absolute first part stays absolute: local file systems)."""
    parts = [p for p in parts if p]
    lead = "/" if parts and parts[0].startswith("/") else ""
    return lead + "/".join(p.strip("/") for p in parts)


def cache_home() -> Path:
    """``$REPORTGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/reportgen``, else ``~/.cache/reportgen``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reportgen"


def url_key(url: str) -> str:
    """A short, stable folder name for a URL root."""
    return hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]


def materialize(url: str, cache_dir: str | os.PathLike | None = None, *, warnings: list[str] | None = None,
                waiting: Callable[[str], None] | None = None) -> Path:
    """Sync ``url`` into ``cache_dir`` (default: the user cache) and return the local runs root.

    Only objects whose size/ETag changed since the last call are read; new history segments
    are appended to the local ``history.jsonl``; shared runs are merged. See :mod:`.mirror`. Another
process syncing the same copy is waited for, ``waiting`` given a line saying so first."""
    from .mirror import Mirror

    if not is_url(url):
        return Path(local_path(url))
    if cache_dir is None:
        cache_dir = cache_home() / "mirror" / url_key(url)
    return Mirror(url, Path(cache_dir)).sync(warnings, waiting)


def resolve_runs(root: Any, cache_dir: str | os.PathLike | None = None,
                 warnings: list[str] | None = None, segmented: bool = True,
                 waiting: Callable[[str], None] | None = None) -> Path:
    """What readers call with a RUNS argument: a local Path as is, a URL materialized.
    ``segmented``: a local root holding runs in the segmented layout is joined into a local copy
    too (False: the caller checks that itself, as the builder's scan does: ``BuildConfig.join_segmented``)."""
    if root is None:
        from .format import DEFAULT_ROOT, ROOT_ENV
        root = os.environ.get(ROOT_ENV) or DEFAULT_ROOT
    root = local_path(os.fspath(root) if isinstance(root, os.PathLike) else root)
    if is_url(root):
        return materialize(root, cache_dir, warnings=warnings, waiting=waiting)
    root = Path(root)
    if segmented and has_segmented(root):  # labelled writers of a shared run wrote segments on this disk
        from .mirror import Mirror

        uri = root.resolve().as_uri()
        run = (root.resolve().name or "run") if segmented_run(root) else None  # (a shared run given as RUNS)
        cache = Path(cache_dir or cache_home() / "mirror" / url_key(uri))
        try:
            joined = Mirror(uri, cache, run=run).sync(warnings, waiting)
        except OSError as exc:  # (its folder cannot be made: readers never raise on a runs root)
            if warnings is not None:
                warnings.append(f"{root}: cannot make the joined copy of its shared runs in {cache} ({exc}); "
                                "runs in the segmented layout (writers/, history/) are left out")
            return root
        return joined / run if run else joined
    return root


def _segmented(run: Path) -> bool:
    from .segments import SEGMENT_DIRS

    return any((run / name).is_dir() for name in SEGMENT_DIRS)


def _writers(folder: str) -> bool:
    """Whether ``folder`` is the ``writers/`` folder of a shared run (a writer folder in it, holding
    run.json or a ``history/`` folder), not a run named ``writers`` (which holds run.json itself)."""
    isfile, isdir = os.path.isfile, os.path.isdir
    try:
        if isfile(os.path.join(folder, "run.json")) or isfile(os.path.join(folder, "history.jsonl")):
            return False
        with os.scandir(folder) as it:
            return any(e.is_dir() and (isfile(os.path.join(e.path, "run.json")) or isdir(os.path.join(e.path, "history")))
                       for e in it)
    except OSError:
        return False


def segmented_run(folder: Any) -> bool:
    """Whether a local folder is itself one run in the segmented layout (a shared run folder given as
    RUNS): run.json or history.jsonl beside a segment folder, or a ``writers/`` folder of writers."""
    folder = os.fspath(folder)
    if os.path.exists(os.path.join(folder, "run.json")) or os.path.exists(os.path.join(folder, "history.jsonl")):
        return _segmented(Path(folder))
    from .segments import WRITERS_DIR

    return os.path.isdir(os.path.join(folder, WRITERS_DIR)) and _writers(os.path.join(folder, WRITERS_DIR))


def has_segmented(root: Path) -> bool:
    """Whether a local root (or run folder) holds runs in the segmented layout (shared runs)."""
    from .segments import SEGMENT_DIRS

    try:
        if segmented_run(root):
            return True
        if (root / "run.json").exists() or (root / "history.jsonl").exists():
            return False
        # incr19: os.scandir and string paths (10,000 run folders on every build); incr20: no join
        isdir, subs = os.path.isdir, [os.sep + name for name in SEGMENT_DIRS]
        with os.scandir(root) as it:
            return any(e.is_dir() and any(isdir(e.path + sub) for sub in subs) for e in it)
    except OSError:
        return False
