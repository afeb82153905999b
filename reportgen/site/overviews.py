"""The per-metric overview files (every run's coarse series), sharded so a rebuild rewrites only
what changed.

A chart drawing more than ``MAX_FULL_RUNS`` runs reads, per metric, ``data/overview/<metric-id>.js``
(each run's ``LITE_SAMPLES``-point series) and ``data/overview-smooth/<metric-id>.js`` (the
smoothing of the series that were downsampled; the page smooths the others itself). With many runs one such file would hold every run: 10,000 runs make 20 MB per metric,
all rewritten whenever one run changes. Above :data:`SHARD_RUNS` runs the files are split into
``shards(n)`` shards, ``data/overview/<metric-id>~<k>.js``; run ``f`` is in shard
``fnv1a32(f) % shards`` (``assets/loader.js`` computes the same, ``RGLoader.overviewId``), so a run
never moves between shards unless the shard count changes (a power of two: rarely).

A rebuild writes only the shards holding a run that was parsed again, or whose list of runs
changed (a run added, deleted or reordered); the other runs' series in such a shard are taken from
the shard file the previous build wrote (decoded and encoded again with orjson, which gives the
same bytes), so unchanged runs are never loaded from the cache. The output is byte for byte the
one a clean build writes (``tests/test_incremental_equal.py``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

import orjson

SHARD_RUNS = 256  # runs per overview file, at most about (one file per metric up to this many runs)
_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 0x01000193


def fnv1a32(text: str) -> int:
    """32-bit FNV-1a of the UTF-16 code units of ``text`` (run keys are ASCII: its bytes)."""
    h = _FNV_OFFSET
    for ch in text:
        h = ((h ^ (ord(ch) & 0xFFFF)) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def shards(n_runs: int) -> int:
    """Overview shards per metric for a site of ``n_runs`` runs: 1, or a power of two."""
    need = -(-n_runs // SHARD_RUNS)
    k = 1
    while k < need:
        k *= 2
    return k


def data_id(kind: str, mid: str, shard: int, n: int) -> str:
    return f"{kind}/{mid}" if n == 1 else f"{kind}/{mid}~{shard}"


def _script_parts(did: str) -> tuple[bytes, bytes]:
    return b"RG.receive(" + orjson.dumps(did) + b",", b");\n"


def _read_old(path: Path, did: str) -> dict[str, Any]:
    """The ``runs`` map of a shard file the previous build wrote ({} when missing or not ours)."""
    head, tail = _script_parts(did)
    try:
        raw = path.read_bytes()
        if raw.startswith(head) and raw.endswith(tail):
            runs = orjson.loads(raw[len(head):-len(tail)]).get("runs")
            return runs if isinstance(runs, dict) else {}
    except (OSError, orjson.JSONDecodeError, AttributeError):
        pass
    return {}


ORDER = ""  # the record's entry for the runs' site order (not a site path)


def write_overviews(out: Path, runs: list, write: Callable[[Path, bytes], Any], *, fresh: set[str] | None = None,
                    previous: dict[str, tuple] | None = None, lite_of: Callable[[str], dict | None] | None = None,
                    old_keys: Callable[[str], Any] | None = None,
                    only: set[str] | None = None) -> tuple[list[str], dict[str, tuple]]:
    """Write the overview files of ``runs`` (site order). ``fresh``: runs whose ``lite`` was built
    in this build (None: all of them); ``previous``: the previous build's record (site path ->
    the runs in the file); ``lite_of(file)``: a run's cached lite series, for an
    unchanged run that its old shard file does not hold; ``old_keys(file)``: the metrics of a
    run's overview series in the previous build (None: unknown). Returns the files of the site and
    the record for the next build. ``only``: the metrics the all-runs pages chart (None: all; a
    site over the cap writes its files anew each build)."""
    order = tuple(r.file for r in runs)
    if fresh is not None and previous is not None and old_keys is not None and previous.get(ORDER) == order \
            and only is None:
        done = _write_changed(out, runs, write, fresh, previous, lite_of, old_keys)
        if done is not None:
            return done
    n = shards(len(runs))
    shard_of = {r.file: (fnv1a32(r.file) % n if n > 1 else 0) for r in runs}
    members: dict[tuple[str, int], list] = {}
    for r in runs:  # site order within each (metric, shard)
        for key in r.lite:
            if only is None or key in only:
                members.setdefault((key, shard_of[r.file]), []).append(r)
    written: list[str] = []
    record: dict[str, tuple] = {ORDER: order}
    by_file = {r.file: r for r in runs}
    touched = None if fresh is None or previous is None else \
        {(key, shard_of[f]) for f in fresh if f in by_file for key in by_file[f].lite}
    if only is not None:
        touched = None
    for key, shard in sorted(members):
        group = members[(key, shard)]
        files = tuple(r.file for r in group)  # the runs in the file, in order
        rels = _rels(key, shard, n)
        written += rels.values()
        for rel in rels.values():
            record[rel] = files
        if touched is not None and (key, shard) not in touched and \
                all(previous.get(rel) == files and os.path.exists(os.path.join(out, rel)) for rel in rels.values()):
            continue  # the same runs, none changed: the file is the same
        _write_shard(out, key, shard, n, group, write, fresh is not None, lite_of)
    return written, record


def _ids(key: str, shard: int, n: int) -> dict[str, str]:
    """The data ids of one (metric, shard)'s two files."""
    from .rundata import metric_id

    mid = metric_id(key)
    return {kind: data_id(kind, mid, shard, n) for kind in ("overview", "overview-smooth")}


def _rels(key: str, shard: int, n: int) -> dict[str, str]:
    return {kind: f"data/{did}.js" for kind, did in _ids(key, shard, n).items()}


def _write_changed(out: Path, runs: list, write, fresh: set[str], previous: dict[str, tuple], lite_of,
                   old_keys) -> tuple[list[str], dict[str, tuple]] | None:
    """The same runs in the same order as the previous build, and each run parsed again has series
    of the same metrics: every file holds the same runs, so only the shards of the runs parsed again
    are written, without grouping 10,000 runs' series by metric (incr20). None: not the case."""
    by_file = {r.file: r for r in runs}
    n = shards(len(runs))
    touched: set[tuple[str, int]] = set()
    for f in fresh:
        r = by_file.get(f)
        if r is None:
            continue
        old = old_keys(f)
        if old is None or set(old) != set(r.lite):
            return None
        shard = fnv1a32(f) % n if n > 1 else 0
        touched.update((key, shard) for key in r.lite)
    written = [rel for rel in previous if rel != ORDER]
    if not all(os.path.exists(os.path.join(out, rel)) for rel in written):
        return None
    for key, shard in sorted(touched):
        rels = _rels(key, shard, n)
        if any(rel not in previous for rel in rels.values()):
            return None
    for key, shard in sorted(touched):
        group = [by_file[f] for f in previous[_rels(key, shard, n)["overview"]]]
        _write_shard(out, key, shard, n, group, write, True, lite_of)
    return written, previous


def _write_shard(out: Path, key: str, shard: int, n: int, group: list, write, incremental: bool, lite_of) -> None:
    """Write the two files of one (metric, shard): the runs of ``group`` in order; with
    ``incremental``, a run whose series was not built now is taken from the old file."""
    from .rundata import DATA_VERSION
    from .smoothing import WEIGHTS

    ids = _ids(key, shard, n)
    rels = {kind: f"data/{did}.js" for kind, did in ids.items()}
    old_pts = _read_old(out / rels["overview"], ids["overview"]) if incremental else {}
    old_sm = _read_old(out / rels["overview-smooth"], ids["overview-smooth"]) if incremental else {}
    points: dict[str, Any] = {}
    smooth: dict[str, Any] = {}
    for r in group:
        lite = r.lite.get(key)
        # (a downsampled series, "c", has its smoothing stored; the others are smoothed in the page)
        if lite is None and r.file in old_pts and (r.file in old_sm or "c" not in old_pts[r.file]):
            points[r.file] = old_pts[r.file]
            if r.file in old_sm:
                smooth[r.file] = old_sm[r.file]
            continue
        if lite is None:  # unchanged, but not in its old shard file: from the cache
            lite = ((lite_of(r.file) if lite_of else None) or {}).get(key) or {}
        points[r.file] = {k: v for k, v in lite.items() if k != "s"}
        if lite.get("s") is not None:  # stored for downsampled series only; else smoothed in the page
            smooth[r.file] = lite["s"]
    weights = list(WEIGHTS)
    for kind, payload in (("overview", {"v": DATA_VERSION, "key": key, "w": weights, "runs": points}),
                          ("overview-smooth", {"v": DATA_VERSION, "w": weights, "runs": smooth})):
        head, tail = _script_parts(ids[kind])
        write(out / rels[kind], head + orjson.dumps(payload) + tail)
