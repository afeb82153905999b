"""One task of the build's per-run work is a batch of runs (``executor.py`` hands batches to the
process pool's workers and to the build's own process), so that what costs the same for a small
run as for a big one is paid once per batch:

* the histories parsed from their first byte (or a small rest of them) are read ahead, and a
  group of them (up to :data:`GROUP_BYTES`) goes through one polars read
  (:func:`~reportgen.site.columnar.read_many`), which is what the run's own read would give;
* the first chunks of the runs that have no state yet are fed to their tracks together (series of
  several runs logged in the same rows go through one track: ``runagg.feed_fresh``); the rest of
  each history (if it grew meanwhile) is parsed as on its own (``phases.parse_steps``);
* the data columns of every run of the batch are encoded in the same calls
  (:func:`~reportgen.site.rundata.encode_items`: the same bytes however they are batched);
* then each run's data files and cache entry are written.

The site and the cache are the same byte for byte as when the runs are parsed one by one.
"""
from __future__ import annotations

from ..storage.format import RunPaths
from ..storage.safety import linked_out, open_regular, reading_inside
from . import columnar
from .cache import RunCache, fingerprint
from .history import CHUNK_BYTES
from .phases import Parsed, RunJob, parse_steps, resume
from .runagg import feed_fresh
from .rundata import encode_items
from .write import write_bytes

READ_AHEAD_MAX = 4 * 1024 * 1024  # a history with more than this left to parse is read on its own, in chunks
# Memory: a pool worker's peak was 76 MB parsing run by run, 166 MB with 16 MB groups and every run of a
# 32-run batch held until it was encoded, 124 MB with these (1,000 runs x 10 metrics x 2,000 steps)
GROUP_BYTES = CHUNK_BYTES // 2  # at most, bytes of histories in one polars read
FLUSH_VALUES = 250_000  # at most, values waiting to be encoded (~5 such runs; then the runs so far are written)
BAD_TOKENS = (b"NaN", b"Infinity")  # a chunk holding them needs the row-by-row reader (columnar.py)


def _left(job: RunJob, end: int) -> int:
    """Bytes of ``job``'s history after ``end`` when a batched read may take them, else 0."""
    sig = job.sig.get("history")
    left = sig[0] - end if sig else 0
    return left if columnar.MIN_BYTES <= left <= READ_AHEAD_MAX else 0


def _read_ahead(job: RunJob, end: int) -> bytes | None:
    """The complete lines of ``job``'s history after ``end`` when a batched read may take them:
    a regular file inside the run folder with at most :data:`READ_AHEAD_MAX` bytes after ``end``,
    enough of them for the columnar reader."""
    history = RunPaths(job.run_dir).history
    if linked_out(history):
        return None
    try:
        with reading_inside(job.run_dir, job.root or job.run_dir), open_regular(history) as fh:
            fh.seek(end)
            data = fh.read(READ_AHEAD_MAX + 1)
    except OSError:
        return None
    if len(data) > READ_AHEAD_MAX:
        return None
    data = data[:data.rfind(b"\n") + 1]
    return data if len(data) >= columnar.MIN_BYTES else None


def _groups(sizes: list[int]) -> list[list[int]]:
    """Consecutive positions of ``sizes`` in groups of at most :data:`GROUP_BYTES` (a position of
    size 0 is in a group of its own)."""
    groups: list[list[int]] = []
    cur: list[int] = []
    total = 0
    for i, n in enumerate(sizes):
        if not n or (cur and total + n > GROUP_BYTES):
            if cur:
                groups.append(cur)
            cur, total = [], 0
        if not n:
            groups.append([i])
            continue
        cur.append(i)
        total += n
    if cur:
        groups.append(cur)
    return groups


def _first_chunks(jobs: list[RunJob], ends: list[int]) -> list:
    """Per job, ``(size, columns, fingerprint)`` of its history's first chunk read with the others of the
    group (``phases.parse_steps``'s ``first``; the fingerprint of those bytes when they start the file, else
    None), or None (the run reads it on its own)."""
    ahead = [_read_ahead(j, e) for j, e in zip(jobs, ends)]
    ok = [i for i, d in enumerate(ahead) if d is not None]
    frames = columnar.read_many([ahead[i] for i in ok]) if len(ok) > 1 else None
    if frames is None and len(ok) > 1:  # some history needs the row reader: the others read together
        # (looked for only now: a search of every history costs a fifth of polars' read)
        ok = [i for i in ok if not any(t in ahead[i] for t in BAD_TOKENS)]
        frames = columnar.read_many([ahead[i] for i in ok]) if len(ok) > 1 else None
    out: list = [None] * len(jobs)
    for i, fr in zip(ok, frames or ()):  # (from the first byte: the fingerprint of what was read, cache.py)
        out[i] = (len(ahead[i]), fr, fingerprint(ahead[i]) if not ends[i] else None)
    return out


def parse_batch(jobs: list[RunJob], writes: list | None = None, caches: list[RunCache | None] | None = None
                ) -> list[Parsed]:
    """``phases.parse_run`` of each job (``writes``/``caches``: per job, as its arguments), with
    the histories read and the data columns encoded for the whole batch at once."""
    writes = [w or write_bytes for w in writes or [None] * len(jobs)]
    caches = [c or RunCache(j.cache_dir, j.samples, enabled=j.cache_enabled)
              for j, c in zip(jobs, caches or [None] * len(jobs))]
    starts = [resume(j, c) for j, c in zip(jobs, caches)]
    out: list[Parsed] = []
    pending: list[tuple] = []  # (steps, request) of the runs parsed and not yet written
    values = 0
    # group by group (the group's bytes are let go before the next is read), in job order
    for group in _groups([_left(j, cols.end) for j, (cols, _a) in zip(jobs, starts)]):
        first = _first_chunks([jobs[i] for i in group], [starts[i][0].end for i in group]) if len(group) > 1 \
            else [None]
        steps = [parse_steps(jobs[i], caches[i], writes[i], *starts[i], first=f) for i, f in zip(group, first)]
        asks = [next(st) for st in steps]
        feeds = [k for k, ask in enumerate(asks) if ask[0] == "feed"]
        if feeds:  # the group's first chunks fed together, then each run parses the rest of its history
            feed_fresh([asks[k][1:] for k in feeds])
            for k in feeds:
                asks[k] = next(steps[k])
        for st, (_kind, request) in zip(steps, asks):
            pending.append((st, request))
            values += sum(len(a) for _fn, a in request)
        if values > FLUSH_VALUES:  # runs with very many metrics: their state is let go sooner
            out += _finish(pending)
            pending, values = [], 0
    return out + _finish(pending)


def _finish(pending: list[tuple]) -> list[Parsed]:
    """One encoding call per encoder for the runs ``pending``, then each run's files and cache entry."""
    encoded = encode_items([item for _steps, req in pending for item in req])
    out = []
    at = 0
    for steps, req in pending:
        try:
            steps.send(encoded[at:at + len(req)])
        except StopIteration as done:
            out.append(done.value)
        else:
            raise RuntimeError("parse_steps yields once")
        at += len(req)
    return out
