"""The first two phases of ``build()``: *gather* (which run folders, what the cache still
holds) and *data* (parse what changed, write chart data files, order and label the runs).

Each phase is a function with a typed input and output; problems go to the build's one
warning channel (:class:`Warnings`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Container
from typing import Any

from ..storage.format import RunPaths
from ..storage.reader import read_run
from ..storage.safety import is_safe_name, printable, reading_inside, unique_names
from . import chartlayout, pages
from .assets import write_assets
from . import snapshot
from .cache import RunCache, fingerprint, read_tail
from .clip import clip_run
from .config import LITE_SAMPLES, MAX_SITE_METRICS, BuildConfig
from .executor import run_jobs
from .history import Columns, parse_history
from .overviews import write_overviews
from .progress import Progress
from .runagg import RunAgg
from .rundata import RunInfo, encode_items, run_steps, step_metric_names
from . import listings
from .memo import Memo
from .write import write_bytes, write_if_changed



@dataclass
class Warnings:
    """The build's one warning channel: every phase (and the reports) adds here."""

    items: list[str] = field(default_factory=list)

    def add(self, source: str, message: str) -> None:
        # (names and keys from run folders: no control characters reach the terminal or the page)
        self.items.append(printable(f"{source}: {message}" if source else message))

    def extend(self, source: str, messages: list[str]) -> None:
        for m in messages:
            self.add(source, m)


@dataclass
class RunJob:
    """One run folder to (re)parse: the input of :func:`parse_run` (picklable, for the pool)."""

    run_dir: Path
    run_file: str  # the run's site key (file and URL name)
    samples: int
    out: Path
    cache_enabled: bool
    cache_dir: Path
    sig: dict[str, Any]  # signature of the folder's files now
    cached: Any  # the cache entry of the previous build, or None
    root: Path | None = None  # the runs root it was listed in (None: a local copy of the run)


@dataclass
class Parsed:
    """The output of :func:`parse_run`."""

    info: RunInfo
    appended: bool  # parsed from the previous end of history.jsonl only
    stale: set[str]  # data files of the previous build this run no longer has
    cache_error: str | None = None  # its cache entry could not be written (RunCache.error): warned once


@dataclass
class Gathered:
    """The output of :func:`gather`: every run folder, keyed, and what needs parsing."""

    files: list[str]  # site key per run folder, in folder order
    cached: list[RunInfo | None]  # the cached info of unchanged runs (None: in ``jobs``)
    jobs: list[RunJob]
    cache: RunCache
    page_keys: dict[str, str]  # site path -> hash of its inputs, from the previous build
    old_overviews: set[str]
    story: dict[str, tuple] = field(default_factory=dict)  # run key -> signature of what its page shows
    ov_record: dict[str, str] | None = None  # the previous build's overview shards (overviews.py)
    known: set[str] | None = None  # runs of the previous build's snapshot (None: no snapshot)
    memo: dict = field(default_factory=dict)  # the previous build's page inputs (memo.py)
    moved: set[str] = field(default_factory=set)  # unchanged runs whose folder path changed (snapshot.py)
    layout: list | None = None  # the previous snapshot's runs and memo names per bucket (snapshot.py)
    old_infos: dict[str, RunInfo] = field(default_factory=dict)  # the previous snapshot's runs


@dataclass
class SiteData:
    """The output of :func:`write_data`: the runs in site order with their labels and colours."""

    runs: list[RunInfo]
    labels: dict[str, tuple[str, str]]  # run key -> (label, colour)
    overviews: list[str]  # per-metric overview files written
    keep: set[str]  # every data file the site now has
    stale: set[str]  # data files known to be gone
    reparsed: list[str] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    ov_record: dict[str, str] = field(default_factory=dict)  # for the next build (overviews.py)
    site_metrics: set[str] | None = None  # the metrics the all-runs pages chart (None: all of them)
    forget: list[str] = field(default_factory=list)  # cache entries of runs that are gone (RunCache.forget)


def gather(cfg: BuildConfig, warnings: Warnings, present: Container[str] | None = None,
           listed: tuple[list, list[str]] | None = None, snap: dict | None = None) -> Gathered:
    """Phase 1: list the run folders, give each its site key (a safe, unique name made from the
    folder's name, never from data in it) and take what the cache still holds for unchanged ones.
    ``present``: the site paths in the output folder now (the manifest's listing at the start of
    the build), so an unchanged run's data files are looked up there, not stat'ed one by one.
    ``listed``: the run folders and the scan's warnings, and ``snap``: the build snapshot, when the
    builder already has them (``listings.py``)."""
    # one scandir per run folder, or a stat per file of a folder unchanged since the last build (scan.py)
    found, skipped = listed if listed is not None else listings.scan(cfg.runs, listings.scan_record(cfg))[:2]
    warnings.extend("", skipped)
    # the run's site key: pages, media, data, reports
    files = unique_names([os.path.basename(d) for d, _sig, _story in found])
    cache = RunCache(cfg.cache_dir, cfg.samples, enabled=cfg.cache)
    if snap is None:
        snap = snapshot.load(cfg.cache_dir, cfg.samples, enabled=cfg.cache)  # every run's info in one file
    known = snap.get("runs", {})
    out = str(cfg.out)
    exists = present.__contains__ if present is not None else (lambda p: os.path.exists(os.path.join(out, p)))
    cached_infos: list[RunInfo | None] = []
    jobs: list[RunJob] = []
    story: dict[str, tuple] = {}
    moved: set[str] = set()
    for (d, sig, st), f in zip(found, files):
        story[f] = st
        info = known.get(f)
        if info is not None and info.sig == sig and info.path == d and \
                all(map(exists, info.data_files)):
            cached_infos.append(info)
            continue
        entry = cache.load_info(f)
        if entry and entry["sig"] == sig and all(map(exists, entry["info"].data_files)):
            entry["info"].sig = sig
            if entry["info"].path != d:  # the runs root was moved (or is reached by another path):
                entry["info"].path = d  # read the run's files where they are now; the snapshot
                moved.add(f)  # keeps the new path (else every rebuild came here for every run)
            cached_infos.append(entry["info"])
            continue
        cached_infos.append(None)
        jobs.append(RunJob(Path(d), f, cfg.samples, cfg.out, cfg.cache, cfg.cache_dir, sig, entry, Path(cfg.runs)))
    page_keys, old_overviews = cache.load_pages_and_overviews()
    return Gathered(files, cached_infos, jobs, cache, page_keys, set(old_overviews), story,
                    snap.get("overviews") if snap else None, set(known) if snap else None, snap.get("memo") or {},
                    moved, snap.get("layout"), known)


def parse_run(job: RunJob, write=write_bytes, cache: RunCache | None = None) -> Parsed:
    """Parse one run (from the cached offset when history only grew) and write its data files.

    Runs in a worker process for big builds (``executor.py``, in batches: ``batch.py``); on a Dask
    worker, ``write`` and ``cache`` collect the files and the cache entry for the client to write."""
    cache = cache or RunCache(job.cache_dir, job.samples, enabled=job.cache_enabled)
    steps = parse_steps(job, cache, write, *resume(job, cache))
    _kind, items = next(steps)
    try:
        steps.send(encode_items(items))
    except StopIteration as done:
        return done.value
    raise RuntimeError("parse_steps yields once per step")


def resume(job: RunJob, cache: RunCache) -> tuple[Columns, bool]:
    """The columns to parse ``job``'s history into: the cached ones when the history was only
    appended to since (then True), else new ones (from the first byte)."""
    history = RunPaths(job.run_dir).history
    cached, sig = job.cached, job.sig
    # only appended to: untouched, or grown past the parsed end with the same bytes before it (as
    # read_tail hashes them: an edit in the middle and rows appended kept the old values, bug); a
    # history rewritten at the same size has a new mtime and is parsed again
    if cached and sig["history"] and cached["sig"]["history"] \
            and (sig["history"] == cached["sig"]["history"] or sig["history"][0] > cached["end"]) \
            and read_tail(history, cached["end"]) == cached["tail"]:
        cols = cache.load_cols(job.run_file)
        if cols is not None and cols.end == cached["end"]:
            return cols, True
    return Columns(), False


def parse_steps(job: RunJob, cache: RunCache, write, cols: Columns, appended: bool, first=None):
    """:func:`parse_run` from :func:`resume`'s columns, as a generator that lets a batch of runs
    (``batch.py``) share its steps; it returns the :class:`Parsed`. It yields

    * with ``first`` (``(size, columns, fingerprint)``: the history's complete lines after ``cols.end``,
      read and put in columns with other runs' histories, ``columnar.read_many``, and the fingerprint of
      those bytes when they start the file, ``cache.fingerprint``): ``("feed", agg, groups)``,
      the groups of metrics to feed to the run's tracks (``runagg.feed_fresh``), and is sent
      nothing; then the history after them is parsed as usual;
    * ``("encode", items)``: the run's columns to encode (``rundata.run_steps``), and is sent
      their encodings."""
    history = RunPaths(job.run_dir).history
    cached, sig = job.cached, job.sig
    # the folder, swapped for a link out of the root since it was listed, is not read (safety.reading_inside)
    with reading_inside(job.run_dir, job.root or job.run_dir):
        rec = read_run(job.run_dir, with_history=False)
    if cols.agg is None:
        cols.agg = RunAgg(job.samples, min(job.samples, LITE_SAMPLES))
    is_x = step_metric_names(rec.meta)
    read = None  # (the fingerprint of the history's bytes from the first, made as the batch read them)
    if first is not None:  # what parse_history does with a chunk, the feeding left to the batch
        size, (frame, nrows), read = first
        read = (cols.end + size, read) if read is not None else None
        cols.add_frame(frame, nrows)
        cols.end += size
        staged = cols.agg.stage(cols, is_x)
        if staged is not None:
            yield "feed", cols.agg, staged[1]
            cols.agg.settle(cols, staged)

    def seen(start: int, data: bytes) -> None:
        nonlocal read  # (a history parsed from its first byte: the fingerprint of what was read, not read again)
        if not start:
            fp = fingerprint(data)
            read = (len(data), fp) if fp is not None else None

    with reading_inside(job.run_dir, job.root or job.run_dir):  # streamed: bounded memory
        cols = parse_history(history, cols, sink=lambda c: c.agg.consume(c, is_x), seen=seen)
    meta, config, summary, cut = clip_run(rec.meta, rec.config, rec.summary)  # what a browser lays out (clip.py)
    info = RunInfo(file=job.run_file, path=str(job.run_dir), meta=meta, config=config, summary=summary,
                   warnings=list(rec.warnings) + cut)
    steps = run_steps(info, cols, cols.agg, job.out, write)
    enc = yield "encode", next(steps)
    try:
        steps.send(enc)
    except StopIteration:
        pass
    info.sig = sig
    stale = set(cached["info"].data_files) - set(info.data_files) if cached else set()
    # (the blocks resume checked are not hashed again)
    known = (cached["end"], cached["tail"]) if appended else None
    tail = read[1] if read is not None and read[0] == cols.end else read_tail(history, cols.end, known)
    cache.save(job.run_file, sig, info, cols, tail)
    return Parsed(info, appended, stale, cache.error)


def _cached_lite(cache: RunCache, run_file: str) -> dict | None:
    entry = cache.load_info(run_file)
    return getattr(entry["info"], "lite", None) if entry else None


def write_data(cfg: BuildConfig, g: Gathered, warnings: Warnings, progress: Progress, memo: Memo | None = None) -> SiteData:
    """Phase 2: parse the changed runs, write the assets, chart data and overview files. ``memo``:
    the site order and labels are kept there between builds (made again when a run folder's name,
    site key or run.json changed)."""
    total = len(g.files)
    done = total - len(g.jobs)
    metrics: set[str] = set().union(*(r.counts()[0] for r in g.cached if r is not None))  # (keys, in C)
    progress.update(f"runs {done}/{total} (unchanged), parsing {len(g.jobs)}")
    # where parse_run runs (this process, a process pool, a Dask cluster): executor.py
    results = run_jobs(g.jobs, cfg.scheduler, cfg.workers, cfg.force_pool)
    fresh: dict[str, RunInfo] = {}
    stale: set[str] = set()
    reparsed, appended = [], []
    try:
        for job, parsed in zip(g.jobs, results):
            fresh[job.run_file] = parsed.info
            reparsed.append(job.run_file)
            if parsed.appended:
                appended.append(job.run_file)
            stale |= parsed.stale
            if g.cache.error is None:  # (the first failed cache write of any run, wherever it was parsed)
                g.cache.error = parsed.cache_error
            done += 1
            metrics.update(parsed.info.metrics)
            progress.update(f"runs {done}/{total}, metrics {len(metrics)}")
    finally:
        results.close()
    infos = [r if r is not None else fresh[f] for r, f in zip(g.cached, g.files)]
    gone, forget = g.cache.gone(set(g.files), None if g.known is None else g.known - set(g.files))
    stale |= gone
    # the site order and each run's label and colour come from run.json and the folder alone: kept
    # while no run.json changed (incr20: 10,000 runs sorted and labelled again after one run grew)
    order_key = (ORDER_VERSION, tuple([(f, r.path, r.sig.get("run") if isinstance(r.sig, dict) else r.sig)
                                       for r, f in zip(infos, g.files)]))
    order, labels = (memo or Memo()).get("order", "", order_key, lambda: _order_and_labels(infos))
    by_file = dict(zip(g.files, infos))
    runs = [by_file[f] for f in order]
    for r in runs:
        if not is_safe_name(r.meta.get("id", r.file)):
            warnings.add(f"run {r.file}", f"run.json id {r.meta.get('id')!r} is not a safe name; "
                                          f"its pages and files use {r.file!r}")
        if r.warnings:
            warnings.extend(f"run {r.file}", r.warnings)
    for r in runs:
        r.label, r.color = labels[r.file]
    write_assets(cfg.out)
    only, total = chartlayout.site_metrics(runs, MAX_SITE_METRICS)
    if only is not None:
        warnings.add("site", f"the runs log {total:,} metrics: the all-runs pages chart the {MAX_SITE_METRICS:,} "
                             f"logged by the most runs; the other {total - MAX_SITE_METRICS:,} are on their runs' pages")
    # data before the pages that load it; only the shards holding a changed run (overviews.py)
    overviews, record = write_overviews(
        cfg.out, runs, write_if_changed, fresh=set(fresh) if g.ov_record is not None else None,
        previous=g.ov_record, lite_of=lambda f: _cached_lite(g.cache, f),
        old_keys=lambda f: (lambda o: None if o is None else o.lite)(g.old_infos.get(f)), only=only)
    keep = set().union(*(r.data_files for r in runs), overviews)
    return SiteData(runs, labels, overviews, keep, stale, reparsed, appended, ov_record=record, site_metrics=only,
                    forget=forget)


ORDER_VERSION = 2  # of how the order, labels and colours are made: a kept value of another is made again


def _order_and_labels(infos: list[RunInfo]) -> tuple[list[str], dict[str, tuple[str, str]]]:
    runs = pages.order_runs(infos)
    return [r.file for r in runs], pages.labels_and_colors(runs)
