"""Does a Dask worker see the client's folders? (``executor.dask_jobs``)

The client writes a marker file holding a random token into the site folder and the cache
folder; a worker that reads the same token at the same paths shares them (a ``LocalCluster``,
a shared file system) and writes the data files and cache entries itself, as a process pool's
worker does. The markers are removed when the per-run work is done; markers a killed client
left behind are removed by the next build of the same site (``remove_stale_markers``), before they
could be published.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

MARKER = ".reportgen-dask-"  # + token: a file in the site and cache folders during a Dask build
_MARKER_NAME = re.compile(re.escape(MARKER) + "[0-9a-f]{32}")


def sees_markers(paths: list[str], token: str) -> bool:
    """On a worker: whether it sees the client's marker files (the same folders at the same paths)."""
    try:
        return all(Path(p).read_text() == token for p in paths)
    except (OSError, UnicodeDecodeError):
        return False


def place_markers(job) -> tuple[list[str], str] | None:
    import secrets

    token = secrets.token_hex(16)
    dirs = [Path(job.out)] + ([Path(job.cache_dir)] if job.cache_enabled else [])
    paths = []
    try:
        for d in dirs:
            d.mkdir(parents=True, exist_ok=True)
            (d / (MARKER + token)).write_text(token)
            paths.append(str(d / (MARKER + token)))
    except OSError:
        remove_markers((paths, token))
        return None
    return paths, token


def remove_markers(markers) -> None:
    for p in markers[0] if markers else []:
        Path(p).unlink(missing_ok=True)


def remove_stale_markers(dirs) -> None:
    """Before a build writes anything: delete marker files (exactly our name: prefix + 32 hex
    digits) that a Dask client killed mid-build left in the site or cache folder. Only one build
    writes a site at a time, so any marker found here is stale."""
    for d in dirs:
        try:
            with os.scandir(d) as it:
                stale = [e.path for e in it if _MARKER_NAME.fullmatch(e.name) and not e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        for p in stale:
            try:
                os.unlink(p)
            except OSError:
                pass
