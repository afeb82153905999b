"""Where the per-run work of a build (``phases.parse_run``, in batches of runs: ``batch.py``) runs.

* in this process, for small builds;
* a local process pool (``fork``, one worker per CPU up to 4) when the histories are big enough
  for it to pay (the default);
* an existing Dask distributed cluster with ``--scheduler ADDRESS`` (``BuildConfig.scheduler``;
  ``pip install 'reportgen[dask]'``).

On Dask a worker reads a local runs root at the same path the client gave (so it must be on a
file system every worker mounts at that path); a URL root (``s3://...``) it reads from the URL
itself, never from the client's mirror (``storage/runsource.py``: the client sends the run's
small files and the list of history segments it synced; the worker joins the segments into its
own folder, incrementally). The worker parses the run and sends back its data files as bytes
and its cache entry; the client writes both exactly as a local build does, so the site is the
same byte for byte. A worker that cannot read a run fails the build with an error naming the
worker and the folder or URL (never a site with runs missing).

Workers that see the client's site and cache folders at the same paths (a ``LocalCluster``, or
a cluster on a shared file system: checked with a marker file holding a random token in each)
write the data files and cache entries themselves, as the process pool's workers do, instead
of sending them back: about 0.5 MB per small run that would otherwise pass through the client.
"""
from __future__ import annotations

import gc
import multiprocessing as mp
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .cache import RunCache
from .shared_fs import place_markers, remove_markers, sees_markers
from .write import write_bytes

POOL_MIN_BYTES = 64 * 1024 * 1024  # below this much history, a process pool costs more than it saves
DASK_EXTRA = "dask"


class BuildError(RuntimeError):
    """The build cannot go on (a Dask scheduler that cannot be reached, a worker that cannot read
    a run folder): one clear message, no traceback at the command line."""


def cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def local_pool(jobs: list, workers: int | None = None, force: bool = False):
    """A process pool when it pays: several runs with big histories, 2+ CPUs, no other threads
    (``fork`` with threads running is unsafe; ``serve`` builds sequentially), polars' own threads
    included (``columnar.pool_started``: a process that read with polars before builds on its own).
    ``force``: whenever it is possible (the benchmark compares it with Dask on the same number of
    workers)."""
    from . import columnar

    n = workers or min(cpus(), 4)
    if len(jobs) < 2 or n < 2 or threading.active_count() > 1 or "fork" not in mp.get_all_start_methods():
        return None
    size = sum(job.sig["history"][0] for job in jobs if job.sig["history"])
    if size < POOL_MIN_BYTES and not force or columnar.pool_started():
        return None

    return ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("fork"), initializer=columnar.pool_worker)


BATCH = 32  # at most, runs per task (batch.py)


def batches(jobs: list, parts: int = 1) -> list[list]:
    """``jobs`` cut into consecutive batches of at most :data:`BATCH`, at least ~8 per worker (``parts``)
    so that the workers finish together."""
    size = max(1, min(BATCH, len(jobs) // (8 * parts) if parts > 1 else BATCH))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def run_jobs(jobs: list, scheduler: str | None = None, workers: int | None = None,
             force_pool: bool = False) -> Iterator[Any]:
    """``parse_run(job)`` for every job, results in job order; run in batches (``batch.py``)."""
    from .batch import parse_batch

    if scheduler:
        yield from dask_jobs(jobs, scheduler)
        return
    pool = local_pool(jobs, workers, force_pool)
    if pool is None:
        from . import columnar

        with columnar.rows_only_below(sum(_left(j) for j in jobs)):
            for batch in batches(jobs):
                yield from parse_batch(batch)
        return
    # The parent's objects go to the permanent generation before the workers fork: the workers'
    # collections never walk them, so the pages they share stay shared (no copy-on-write faults).
    gc.freeze()
    try:
        for results in pool.map(parse_batch, batches(jobs, pool._max_workers)):
            yield from results
    finally:
        pool.shutdown()
        gc.unfreeze()


# --- Dask -----------------------------------------------------------------------------------

class _ShippedCache(RunCache):
    """The cache as a Dask worker sees it: the client sent the cached columns it may append to;
    what would be saved is sent back for the client to save."""

    def __init__(self, job, cols):
        super().__init__(job.cache_dir, job.samples, enabled=job.cache_enabled)
        self._cols = cols
        self.saved: tuple | None = None

    def load_cols(self, run_file: str):
        return self._cols

    def save(self, run_file, sig, info, cols, tail) -> None:
        if self.enabled:
            cols.root = None  # a Path of the worker's; not needed by the client
            self.saved = (run_file, sig, info, cols, tail)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except Exception:  # not on a worker (called directly)
        return "this process"


def _worker_dir() -> Path:
    """Where a worker keeps the runs it read from a URL root (its own local directory)."""
    try:
        from distributed import get_worker

        base = Path(get_worker().local_directory)
    except Exception:  # not on a worker (called directly)
        import tempfile

        base = Path(tempfile.gettempdir())
    return base / "reportgen-runs"


def _from_url(job, source, base: Path, worker: str):
    """``job`` reading its run from the URL (``source``) into this worker's folder ``base``."""
    import dataclasses

    from ..storage.runsource import fetch

    try:
        local = fetch(source, base)
    except Exception as e:  # noqa: BLE001 - any file-system error: one clear message
        raise BuildError(f"Dask worker {worker} cannot read run {source.run!r} from {source.url}: "
                         f"{type(e).__name__}: {e} (the workers need the file system's configuration and "
                         "credentials too)") from e
    return dataclasses.replace(job, run_dir=local, root=None)  # (a copy of the run: no runs root)


def parse_remote(batch: list[tuple], markers: tuple[list[str], str] | None = None
                 ) -> list[tuple[Any, dict[str, bytes] | None, tuple | None]]:
    """On a Dask worker: parse each (job, cached columns[, URL source]) of ``batch``; return per job
    the parse result, the data files it wrote (site path -> bytes) and the cache entry to save --
    or (result, None, None) when it sees the client's folders (``markers``) and wrote them itself.
    The batch is parsed as the pool's batches are (``batch.py``)."""
    from .batch import parse_batch

    direct = markers is not None and sees_markers(*markers)
    out = []
    fetched = {}
    sources = [(i, item[2]) for i, item in enumerate(batch) if len(item) > 2 and item[2] is not None]
    if sources:  # the batch's runs read from the URL at once (small objects: latency-bound)
        from concurrent.futures import ThreadPoolExecutor

        base, worker = _worker_dir(), _worker_name()  # get_worker() works in the task's thread only
        with ThreadPoolExecutor(max_workers=min(8, len(sources))) as pool:
            fetched = dict(zip((i for i, _ in sources),
                               pool.map(lambda item: _from_url(batch[item[0]][0], item[1], base, worker), sources)))
    jobs, shown, writes, caches, sent = [], [], [], [], []
    for i, (job, cols, *_rest) in enumerate(batch):
        run_dir = Path(job.run_dir)
        shown.append(run_dir)
        if i in fetched:
            job = fetched[i]
        elif not run_dir.is_dir() or not os.access(run_dir, os.R_OK | os.X_OK):
            raise BuildError(
                f"Dask worker {_worker_name()} cannot read run folder {str(run_dir)!r}: with --scheduler the "
                "runs root must be readable by every worker at the same path (a shared file system "
                "mounted at the same place) or be a URL (s3://..., gs://...)")
        jobs.append(job)
        if direct:  # as in the process pool: data files and cache entry written here
            writes.append(None)
            caches.append(None)
            sent.append(None)
            continue
        files: dict[str, bytes] = {}
        base = Path(job.out)

        def write(path: Path, data: bytes, files=files, base=base) -> None:
            files[Path(path).relative_to(base).as_posix()] = bytes(data)

        writes.append(write)
        caches.append(_ShippedCache(job, cols))
        sent.append(files)
    for parsed, run_dir, cache, files in zip(parse_batch(jobs, writes, caches), shown, caches, sent):
        parsed.info.path = str(run_dir)  # the client's run folder: its pages read it (same site)
        out.append((parsed, files, cache.saved if cache is not None else None))
    return out


def _left(job) -> int:
    """At most, bytes of ``job``'s history to parse: what follows the cached end when the cache kept
    the columns to continue from, else all of it."""
    size = job.sig["history"][0] if job.sig.get("history") else 0
    return size - job.cached["end"] if _may_append(job) and job.cached.get("cols") else size


def _may_append(job) -> bool:
    """Could ``parse_run`` continue from the cached end (the history only grew)? Then the worker
    needs the cached columns (checked again there, against the file's bytes)."""
    c, sig = job.cached, job.sig
    return bool(c and sig["history"] and c["sig"]["history"] and sig["history"][0] >= c["end"])


def _client(address: str):
    try:
        from distributed import Client
    except ImportError as e:
        raise BuildError(f"--scheduler needs Dask distributed, which is not installed: "
                         f"pip install 'reportgen[{DASK_EXTRA}]' ({e})") from e
    _reachable(address)
    try:
        return Client(address, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise BuildError(f"--scheduler {address}: cannot connect to a Dask scheduler there ({e})") from e


def _reachable(address: str) -> None:
    """Fail at once (not after the client's connect timeout) when nothing listens at a tcp address."""
    import socket
    from urllib.parse import urlsplit

    if "://" not in address:
        address = "tcp://" + address
    u = urlsplit(address)
    if u.scheme not in ("tcp", "tls") or not u.hostname:
        return  # other comms (inproc, ucx, ws): left to distributed
    try:
        socket.create_connection((u.hostname, u.port or 8786), timeout=10).close()
    except OSError as e:
        raise BuildError(f"--scheduler {address}: cannot connect to a Dask scheduler there ({e})") from e


def _sources(jobs: list) -> list:
    """Per job, the URL source a worker reads the run from (runs of a URL root's mirror), else None."""
    from ..storage.runsource import mirror_state, source_of

    state = mirror_state(Path(jobs[0].run_dir).parent)
    if state is None:
        return [None] * len(jobs)
    return [source_of(state, Path(j.run_dir)) for j in jobs]


def dask_jobs(jobs: list, address: str, direct: bool | None = None) -> Iterator[Any]:
    """Run the jobs on the Dask cluster at ``address``; their results in job order. ``direct``:
    None = workers that see the site and cache folders write there; False = always send back."""
    if not jobs:
        return
    client = _client(address)
    markers = None
    try:
        nworkers = max(1, len(client.scheduler_info(n_workers=-1)["workers"])) if hasattr(client, "scheduler_info") else 1
        size = max(1, min(64, len(jobs) // (8 * nworkers)))  # few tasks per worker: scheduler overhead
        local = RunCache(jobs[0].cache_dir, jobs[0].samples, enabled=jobs[0].cache_enabled)
        sources = _sources(jobs)
        markers = place_markers(jobs[0]) if direct is not False else None
        if markers is not None and not all(client.run(sees_markers, *markers).values()):
            remove_markers(markers)  # some worker does not see our folders: results come back as bytes
            markers = None
        batches = []
        for i in range(0, len(jobs), size):  # workers writing directly load the cached columns themselves
            batches.append([(j, local.load_cols(j.run_file) if markers is None and _may_append(j) else None,
                             sources[i + k]) for k, j in enumerate(jobs[i:i + size])])
        futures = client.map(parse_remote, batches, [markers] * len(batches), pure=False)
        for k in range(len(futures)):
            try:
                results = futures[k].result()
            except BuildError:
                raise
            except Exception as e:  # noqa: BLE001 - a worker's error, re-raised with what failed
                names = ", ".join(b[0].run_file for b in batches[k][:3])
                raise BuildError(f"Dask worker failed on run(s) {names}: {type(e).__name__}: {e}") from e
            futures[k] = None  # release the result on the cluster
            for parsed, files, saved in results:
                job_out = Path(jobs[0].out)
                for rel, data in (files or {}).items():
                    write_bytes(job_out / rel, data)
                if saved is not None:
                    local.save(*saved)
                    parsed.cache_error = parsed.cache_error or local.error
                yield parsed
    finally:
        remove_markers(markers)
        client.close()
