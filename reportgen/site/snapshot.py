"""The build snapshot: ``<cache dir>/snapshot.pkl``, one file read at the start of a rebuild.

It holds what the previous build knew about every run (its :class:`RunInfo` without the overview
series, with the signature of its files) and the record of the overview shards
(``overviews.py``), so a rebuild after one run changed reads one file instead of one cache entry
per run; the per-run entries (``cache.py``) are read only for runs whose files changed. A missing
or unreadable snapshot only makes the rebuild slower (every run's entry is read, as before).
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from .cache import CACHE_VERSION
from .write import write_bytes

NAME = "snapshot.pkl"


def load(root: Path, samples: int, enabled: bool = True) -> dict[str, Any]:
    """``{"runs": {file: RunInfo}, "overviews": {site path: digest}, "memo": memo.Memo's values}``
    ({} when there is none)."""
    if not enabled:
        return {}
    try:
        with open(Path(root) / NAME, "rb") as fh:
            obj = pickle.load(fh)
    except Exception:  # missing, truncated, another version: read the per-run entries
        return {}
    if not isinstance(obj, dict) or obj.get("version") != CACHE_VERSION or obj.get("samples") != samples:
        return {}
    from .rundata import RunInfo

    runs = {}
    for state in obj.get("runs", ()):
        info = RunInfo.__new__(RunInfo)
        info.__dict__.update(state)
        runs[info.file] = info
    return {"runs": runs, "overviews": obj.get("overviews") or {}, "memo": obj.get("memo") or {}}


def save(root: Path, samples: int, runs: list, overviews: dict[str, str], memo: dict | None = None,
         enabled: bool = True) -> None:
    if not enabled:
        return
    states = [{**r.__dict__, "lite": dict.fromkeys(r.lite), "_history": None} for r in runs]
    Path(root).mkdir(parents=True, exist_ok=True)
    write_bytes(Path(root) / NAME, pickle.dumps({"version": CACHE_VERSION, "samples": samples, "runs": states,
                                                 "overviews": overviews, "memo": memo or {}},
                                                protocol=pickle.HIGHEST_PROTOCOL))
