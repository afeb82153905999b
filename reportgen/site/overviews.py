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


def write_overviews(out: Path, runs: list, write: Callable[[Path, bytes], Any], *, fresh: set[str] | None = None,
                    previous: dict[str, tuple] | None = None, lite_of: Callable[[str], dict | None] | None = None,
                    ) -> tuple[list[str], dict[str, tuple]]:
    """Write the overview files of ``runs`` (site order). ``fresh``: runs whose ``lite`` was built
    in this build (None: all of them); ``previous``: the previous build's record (site path ->
    the runs in the file); ``lite_of(file)``: a run's cached lite series, for an
    unchanged run that its old shard file does not hold. Returns the files of the site and the
    record for the next build."""
    from .rundata import DATA_VERSION, metric_id
    from .smoothing import WEIGHTS

    n = shards(len(runs))
    shard_of = {r.file: (fnv1a32(r.file) % n if n > 1 else 0) for r in runs}
    members: dict[tuple[str, int], list] = {}
    for r in runs:  # site order within each (metric, shard)
        for key in r.lite:
            members.setdefault((key, shard_of[r.file]), []).append(r)
    written: list[str] = []
    record: dict[str, tuple] = {}
    weights = list(WEIGHTS)
    by_file = {r.file: r for r in runs}
    touched = None if fresh is None or previous is None else \
        {(key, shard_of[f]) for f in fresh if f in by_file for key in by_file[f].lite}
    for key, shard in sorted(members):
        group = members[(key, shard)]
        mid = metric_id(key)
        files = tuple(r.file for r in group)  # the runs in the file, in order
        ids = {kind: data_id(kind, mid, shard, n) for kind in ("overview", "overview-smooth")}
        rels = {kind: f"data/{did}.js" for kind, did in ids.items()}
        written += rels.values()
        for rel in rels.values():
            record[rel] = files
        if touched is not None and (key, shard) not in touched and \
                all(previous.get(rel) == files and os.path.exists(os.path.join(out, rel)) for rel in rels.values()):
            continue  # the same runs, none changed: the file is the same
        old_pts = _read_old(out / rels["overview"], ids["overview"]) if fresh is not None else {}
        old_sm = _read_old(out / rels["overview-smooth"], ids["overview-smooth"]) if fresh is not None else {}
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
        for kind, payload in (("overview", {"v": DATA_VERSION, "key": key, "w": weights, "runs": points}),
                              ("overview-smooth", {"v": DATA_VERSION, "w": weights, "runs": smooth})):
            head, tail = _script_parts(ids[kind])
            write(out / rels[kind], head + orjson.dumps(payload) + tail)
    return written, record
