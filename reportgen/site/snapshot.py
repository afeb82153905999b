"""The build snapshot: ``<cache dir>/snapshot/``, read at the start of a rebuild.

It holds what the previous build knew about every run (its :class:`RunInfo` without the overview
series, with the signature of its files), the record of the overview shards (``overviews.py``) and
the page inputs kept between builds (``memo.py``), so a rebuild after one run changed reads these
files instead of one cache entry per run; the per-run entries (``cache.py``) are read only for
runs whose files changed. Runs are kept in :data:`BUCKETS` files by a hash of their key and a
rebuild rewrites only the files of runs that changed (10,000 runs: ~30 MB in all). A missing or
unreadable snapshot only makes the rebuild slower (every run's entry is read, as before).
"""
from __future__ import annotations

import marshal
import pickle
import zlib
from pathlib import Path
from typing import Any

from .cache import STAMP
from .write import write_bytes

NAME = "snapshot"
BUCKETS = 32
HASH = "crc32/packed"  # how run keys are put in buckets, and runs packed (a snapshot made otherwise is not read)


def _bucket(name: str) -> int:
    """The bucket of a run key, or of a memo name ``<folder>|<run key>``."""
    return zlib.crc32(name.rsplit("|", 1)[-1].encode("utf-8", "surrogatepass")) % BUCKETS


def _dumps(obj: Any) -> bytes:
    """marshal (twice as fast to read as pickle) for plain data, else pickle."""
    try:
        return b"M" + marshal.dumps(obj)
    except ValueError:  # a type marshal does not know (a str subclass, a numpy scalar...)
        return b"P" + pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def _read(path: Path, samples: int) -> dict | None:
    try:
        raw = path.read_bytes()
        obj = marshal.loads(raw[1:]) if raw[:1] == b"M" else pickle.loads(raw[1:])
    except Exception:  # missing, truncated, another version: read the per-run entries
        return None
    if not isinstance(obj, dict) or obj.get("version") != STAMP or obj.get("samples") != samples:
        return None
    return obj


def load(root: Path, samples: int, enabled: bool = True) -> dict[str, Any]:
    """``{"runs": {file: RunInfo}, "overviews": {site path: runs in it}, "memo": memo.Memo's values}``
    ({} when there is none)."""
    if not enabled:
        return {}
    folder = Path(root) / NAME
    head = _read(folder / "index.pkl", samples)
    if head is None or head.get("buckets") != BUCKETS or head.get("hash") != HASH:
        return {}
    from .rundata import RunInfo

    runs: dict[str, Any] = {}
    memo: dict[str, dict] = {space: dict(names) for space, names in (head.get("memo") or {}).items()}
    layout: list[tuple[list[str], dict[str, list[str]]]] = []  # per bucket: its runs, its memo names
    for b in range(BUCKETS):
        part = _read(folder / f"b{b}.pkl", samples)
        if part is None:
            return {}
        files = []
        for state in part["runs"]:
            info = RunInfo.__new__(RunInfo)
            info.__dict__.update(state)
            runs[info.file] = info
            files.append(info.file)
        for space, names in part["memo"].items():
            memo.setdefault(space, {}).update(names)
        layout.append((files, {space: list(names) for space, names in part["memo"].items()}))
    return {"runs": runs, "overviews": head.get("overviews") or {}, "memo": memo, "layout": layout}


def save(root: Path, samples: int, runs: list, overviews: dict, memo: Any = None, *,
         fresh: set[str] | None = None, known: set[str] | None = None, enabled: bool = True,
         layout: list | None = None) -> None:
    """Write the snapshot: every bucket without a previous snapshot (``known`` None), else only the
    buckets of runs parsed now (``fresh``), added, deleted, or whose page inputs were made again.
    ``layout``: the previous snapshot's runs and memo names per bucket (:func:`load`); with it only
    the names of the buckets written are looked at (incr20: not every run's every memo value)."""
    if not enabled:
        return
    folder = Path(root) / NAME
    folder.mkdir(parents=True, exist_ok=True)
    values = memo.new if memo is not None else {}
    touched = memo.touched if memo is not None else set()
    by_file = {r.file: r for r in runs}
    # a kind of page input no longer made (another version, another site layout): every bucket is
    # written again, without it (else the buckets not written now kept loading it)
    dropped = memo is not None and any(space not in values for space in memo.old)
    if known is None or dropped:
        dirty = set(range(BUCKETS))
    else:
        changed = set(fresh or ()) | (by_file.keys() ^ known) | touched
        dirty = {_bucket(n) for n in changed if n}
    parts: dict[int, dict] = {b: {"runs": [], "memo": {}} for b in dirty}
    if known is None or layout is None or len(layout) != BUCKETS:
        _fill_all(parts, runs, values)
    else:
        _fill_dirty(parts, by_file, values, layout, set(by_file.keys() - known) | touched)
    head_memo = {space: {"": entries[""]} for space, entries in values.items() if "" in entries}
    stamp = {"version": STAMP, "samples": samples}
    for b, part in parts.items():
        write_bytes(folder / f"b{b}.pkl", _dumps({**stamp, **part}))
    write_bytes(folder / "index.pkl", _dumps({**stamp, "buckets": BUCKETS, "hash": HASH, "overviews": overviews,
                                              "memo": head_memo}))


def _state(r) -> dict:
    """A run's state as the snapshot keeps it: the fields a rebuild reads for every run, and the
    others (:data:`~reportgen.site.rundata.COLD`) packed in one value, unpacked on first use
    (``RunInfo.__getattr__``); a run loaded and not used keeps its packed value as it was."""
    from .rundata import COLD

    d = r.__dict__
    if "_cold" in d:
        if not COLD.intersection(d):
            return {**d, "_history": None}
        r.unpack()  # a packed field was set since it was loaded: packed again with it
    hot = {k: v for k, v in d.items() if k not in COLD}
    hot["_history"] = None
    hot["_counts"] = r.counts()
    hot["_cold"] = _dumps({k: dict.fromkeys(d[k]) if k == "lite" else d[k] for k in COLD if k in d})
    return hot


def thaw(packed: bytes) -> dict:
    """The fields :func:`_state` packed."""
    return marshal.loads(packed[1:]) if packed[:1] == b"M" else pickle.loads(packed[1:])


def _fill_all(parts: dict[int, dict], runs: list, values: dict) -> None:
    """The buckets of ``parts`` from every run and memo name (no previous layout)."""
    of_run = {r.file: _bucket(r.file) for r in runs}  # (a run's memo names share its bucket)
    for r in runs:
        b = of_run[r.file]
        if b in parts:
            parts[b]["runs"].append(_state(r))
    for space, entries in values.items():
        for name, kv in entries.items():
            if not name:  # page-wide values (the sweeps): kept with the index
                continue
            b = of_run.get(name.rsplit("|", 1)[-1])
            if b is None:
                b = _bucket(name)
            if b in parts:
                parts[b]["memo"].setdefault(space, {})[name] = kv


def _fill_dirty(parts: dict[int, dict], by_file: dict, values: dict, layout: list, new_names: set[str]) -> None:
    """The buckets of ``parts`` from the names the previous snapshot had in them and the names new
    in this build (``new_names``: runs added, memo values made); a name no longer used is dropped.
    A name's bucket is its run key's (:func:`_bucket`), the same in both."""
    added: dict[int, list[str]] = {}
    for name in new_names:
        if name:
            b = _bucket(name)
            if b in parts:
                added.setdefault(b, []).append(name)
    for b, part in parts.items():
        old_files, old_memo = layout[b]
        extra = added.get(b, [])
        for f in dict.fromkeys([*old_files, *extra]):
            r = by_file.get(f)
            if r is not None:
                part["runs"].append(_state(r))
        for space, entries in values.items():
            kept = {}
            for name in dict.fromkeys([*old_memo.get(space, ()), *extra]):
                kv = entries.get(name)
                if kv is not None:
                    kept[name] = kv
            if kept:
                part["memo"][space] = kept
