"""``init()`` on a URL root, or as a labelled writer of a shared run (storage20).

The run is written into a local staging folder as on disk; an uploader thread turns it
into segments at the root (:mod:`reportgen.storage.staging`, docs/format.md). Nothing
here runs on the training thread after ``init()``.
"""
from __future__ import annotations

import os
import socket
from typing import Any

from ..storage import format as fmt
from ..storage.remote import is_url, local_path


def writer_label(settings: Any, mode: str) -> str | None:
    """``settings.x_label`` / ``$REPORTGEN_LABEL``; in ``mode="shared"`` without one, ``rank<RANK>``
    (torchrun, accelerate, SLURM set ``RANK``) or ``<host>-<pid>``."""
    if settings.x_label:
        return settings.x_label
    if mode != "shared":
        return None
    rank = os.environ.get("RANK") or os.environ.get("SLURM_PROCID")
    if rank is not None and rank.strip().isdigit():
        return f"rank{int(rank)}"
    host = "".join(c if c.isalnum() or c in "-_." else "-" for c in socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}"


def open_target(dir: Any, settings: Any, mode: str):
    """A :class:`RemoteTarget` for a URL root or a labelled writer, else None (plain local run)."""
    root = local_path(os.fspath(dir) if isinstance(dir, os.PathLike) else dir)
    if root is None:
        root = local_path(os.environ.get(fmt.ROOT_ENV) or None)
    label = writer_label(settings, mode)
    if not is_url(root) and label is None:
        return None
    from ..storage.staging import RemoteTarget
    from .modes import writable_root

    if not is_url(root):
        root = writable_root(root)
    return RemoteTarget(root, label)
