"""``build(config)``: the one entry point used by ``reportgen build`` and ``reportgen serve``.

Steps: for each run folder, reuse the cache or (re)parse its history and write its
chart data files; then render every page (index, project overviews, compare page,
run pages) and remove files of runs or metrics that are gone. Every file is written
atomically, so a browser (or ``serve``) never sees a half-written page.
"""
from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..storage.format import RunPaths
from ..reports import build_reports
from ..storage.reader import RunRecord, list_run_dirs, read_run
from ..storage.safety import is_safe_name, unique_names
from . import artifacts_pages, pages, story
from .assets import write_assets
from .cache import RunCache, read_tail, signature
from .collect import flatten, fmt_value
from .config import BuildConfig
from .history import Columns, parse_history
from .panels import PanelSite, run_panels, write_compare_pages
from .progress import Progress
from .render import PageWriter, make_env
from .manifest import Manifest
from .rundata import RunInfo, process_run, write_overviews
from .urls import run_page
from .write import write_bytes, write_if_changed


POOL_MIN_BYTES = 64 * 1024 * 1024  # below this much history, a process pool costs more than it saves


@dataclass
class BuildResult:
    out: Path
    runs: int = 0
    metrics: int = 0
    media: int = 0
    pages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reparsed: list[str] = field(default_factory=list)  # run folders parsed (fully or from an offset)
    appended: list[str] = field(default_factory=list)  # of those, parsed from the previous end
    seconds: float = 0.0
    strict: bool = False

    @property
    def exit_code(self) -> int:
        return 1 if self.strict and self.warnings else 0


def _cached_info(run_dir: Path, run_file: str, cache: RunCache, out: Path) -> tuple[Any, dict, Any]:
    """``(info or None, signature, cache entry)``: the info when the run folder is unchanged."""
    sig = signature(run_dir)
    cached = cache.load_info(run_file)
    if cached and cached["sig"] == sig and all((out / p).exists() for p in cached["info"].data_files):
        cached["info"].sig = sig
        return cached["info"], sig, cached
    return None, sig, cached


def _process_run(run_dir: Path, run_file: str, samples: int, out: Path, cache_enabled: bool,
                 sig: dict, cached: Any) -> tuple[RunInfo, bool, set[str]]:
    """Parse (from the cached offset when history only grew) and write one run's data files.

    Runs in a worker process for big builds; returns ``(info, appended, stale data files)``."""
    cache = RunCache(out, samples, enabled=cache_enabled)
    history = RunPaths(run_dir).history
    cols = None
    appended = False
    if cached and sig["history"] and cached["sig"]["history"] and sig["history"][0] >= cached["end"] \
            and read_tail(history, cached["end"]) == cached["tail"]:
        cols = cache.load_cols(run_file)
        if cols is not None and cols.end == cached["end"]:
            appended = True
        else:
            cols = None
    cols = parse_history(history, cols or Columns())
    rec = read_run(run_dir, with_history=False)
    info = RunInfo(file=run_file, path=str(run_dir), meta=rec.meta, config=rec.config, summary=rec.summary,
                   warnings=list(rec.warnings))
    process_run(info, cols, samples, out, write_bytes)
    info.sig = sig
    stale = set(cached["info"].data_files) - set(info.data_files) if cached else set()
    cache.save(run_file, sig, info, cols, read_tail(history, cols.end))
    return info, appended, stale


def _worker(args: tuple) -> tuple[RunInfo, bool, set[str]]:
    return _process_run(*args)


def _pool(jobs: list[tuple]):
    """A process pool when it pays: several runs with big histories, 2+ CPUs, no other threads
    (``fork`` with threads running is unsafe; ``serve`` builds sequentially)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if len(jobs) < 2 or cpus < 2 or threading.active_count() > 1 or "fork" not in mp.get_all_start_methods():
        return None
    size = 0
    for job in jobs:
        h = job[5]["history"]
        size += h[0] if h else 0
    if size < POOL_MIN_BYTES:
        return None
    return ProcessPoolExecutor(max_workers=min(cpus, 4), mp_context=mp.get_context("fork"))


def _template_stamp() -> str:
    from .._resources import templates_dir

    parts = [f"{p.relative_to(templates_dir())}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
             for p in sorted(templates_dir().rglob("*.html"))]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


def _remove_stale(out: Path, keep: set[str], stale: set[str] | None, manifest: Manifest) -> None:
    """Delete data files of runs and metrics that are gone: the known ``stale`` ones, or (None)
    every file under data/ not in ``keep``. Only files the builder wrote (``manifest``) go."""
    if stale is not None:
        for rel in sorted(stale - keep):
            manifest.remove(rel)
        return
    data = out / "data"
    if not data.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(data, topdown=False):
        for f in filenames:
            rel = (Path(dirpath) / f).relative_to(out).as_posix()
            if rel not in keep:
                manifest.remove(rel)


def build(cfg: BuildConfig) -> BuildResult:
    t0 = time.perf_counter()
    out = cfg.out
    result = BuildResult(out, strict=cfg.strict)
    if not cfg.runs.exists():
        raise FileNotFoundError(f"runs folder {str(cfg.runs)!r} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(out)  # before anything is written: what is the user's, what is ours
    progress = Progress(quiet=cfg.quiet)
    dirs = list_run_dirs(cfg.runs, result.warnings)
    files = unique_names([d.name for d in dirs])  # the run's site key: pages, media, data, reports
    cache = RunCache(out, cfg.samples, enabled=cfg.cache, manifest=manifest)
    stale: set[str] = set()
    page_keys = cache.load_pages()
    old_overviews = set(cache.load_overviews())
    slots: list[RunInfo | None] = []
    jobs: list[tuple] = []
    for d, f in zip(dirs, files):
        info, sig, cached = _cached_info(d, f, cache, out)
        slots.append(info)
        if info is None:
            jobs.append((d, f, cfg.samples, out, cfg.cache, sig, cached))
    done = len(dirs) - len(jobs)
    metrics: set[str] = {k for r in slots if r is not None for k in r.metrics}
    progress.update(f"runs {done}/{len(dirs)} (unchanged), parsing {len(jobs)}")
    pool = _pool(jobs)
    results = pool.map(_worker, jobs) if pool is not None else map(_worker, jobs)
    fresh: dict[str, RunInfo] = {}
    try:
        for job, (info, appended, old) in zip(jobs, results):
            fresh[job[1]] = info
            result.reparsed.append(job[1])
            if appended:
                result.appended.append(job[1])
            stale |= old
            done += 1
            metrics.update(info.metrics)
            progress.update(f"runs {done}/{len(dirs)}, metrics {len(metrics)}")
    finally:
        if pool is not None:
            pool.shutdown()
    infos = [r if r is not None else fresh[f] for r, f in zip(slots, files)]
    stale |= cache.prune(set(files))
    runs = pages.order_runs(infos)
    for r in runs:
        if not is_safe_name(r.meta.get("id", r.file)):
            result.warnings.append(f"run {r.file}: run.json id {r.meta.get('id')!r} is not a safe name; "
                                   f"its pages and files use {r.file!r}")
        for w in r.warnings:
            result.warnings.append(f"run {r.file}: {w}")
    labels = pages.labels_and_colors(runs)
    write_assets(out)
    overviews = write_overviews(out, runs, write_if_changed)  # data before the pages that load it
    keep = {p for r in runs for p in r.data_files} | set(overviews)

    env = make_env()
    writer = PageWriter(env, out, cfg.extra_head)
    common = {"title": cfg.title}
    arts = artifacts_pages.collect(cfg.runs, runs)  # artifact store of the runs root, if any
    if arts:
        common["artifacts_nav"] = artifacts_pages.INDEX_PAGE
    projects = pages.projects(runs)
    multi = len(projects) > 1
    progress.update(f"pages: index, {len(projects) if multi else 0} projects, {len(runs)} runs")

    # Markdown reports (reports/<name>.html), listed on the index page. They are few and may
    # reference any run, so they are always re-rendered (no page skipping).
    reports = build_reports(cfg, runs, labels, writer, result, manifest)

    def overview(page: str, scope: list, kind: str, heading: str, project=None) -> None:
        writer.write("index.html", page, {
            **common, "heading": heading, "kind": kind, "project": project,
            "projects": projects if (multi and kind == "index") else [],
            "reports": reports if kind == "index" else [],
            "site": pages.site_json(scope, runs, labels, page, kind),
            "sections": pages.chart_sections(scope, labels),
        })
        result.pages.append(page)

    overview("index.html", runs, "index", "All runs")
    if multi:
        for p in projects:
            scope = [r for r in runs if r.project == p["name"]]
            overview(p["page"], scope, "project", p["name"], project=p)
    writer.write("index.html", "compare.html", {
        **common, "heading": "Compare runs", "kind": "compare", "project": None, "projects": [],
        "site": pages.site_json(runs, runs, labels, "compare.html", "compare"),
        "sections": pages.chart_sections(runs, labels),
        "configs": {r.file: {k: fmt_value(v) for k, v in flatten(r.config).items()} for r in runs},
    })
    result.pages.append("compare.html")
    media = 0
    stamp = _template_stamp()
    # Media panels of every run that logged media, before any run page: the same-key-across-runs
    # pages need all of them (cheap on rebuilds: files are copied and derived only once).
    panel_sets: dict[str, list] = {}
    for r in runs:
        has_media = any(g["type"] not in ("string", "bool", "other") for g in r.groups) or \
            any(isinstance(v, dict) and "_type" in v for v in flatten(r.summary).values())
        if not has_media:
            continue
        ps = PanelSite(out, run_page(r.file), presets=cfg.presets)
        # From what the builder already has: the media rows of the parsed (and cached) history;
        # the run folder is not read again.
        rec = RunRecord(Path(r.path), r.id, r.meta, r.config, r.summary, r.media_rows, 0, [])
        panel_sets[r.file] = run_panels(rec, ps, r.file)
        result.warnings.extend(f"run {r.file}: {w}" for w in ps.warnings)
    result.pages.extend(write_compare_pages(
        writer, common, [(r.file, labels[r.file][0], panel_sets.get(r.file, [])) for r in runs],
        lambda page: {"kind": "media", "site": pages.site_json([], runs, labels, page, "media", table=False)}))
    new_keys: dict[str, str] = {}
    for r in runs:
        page = run_page(r.file)
        panels = panel_sets.get(r.file, [])
        # A run page depends only on its run folder, its label/colour, its media panels (their
        # compare links) and the site layout: skip rendering when none changed.
        key = hashlib.sha1(repr((r.sig, story.signature(Path(r.path)), labels[r.file], multi, r.project, cfg.title, cfg.extra_head, stamp,
                                 pages.project_page(r.project), [p.get("compare") for p in panels],
                                 artifacts_pages.run_key(arts, r.id)))
                           .encode("utf-8", "surrogatepass")).hexdigest()
        new_keys[page] = key
        r.media = len(panels)
        media += len(panels)
        if page_keys.get(page) == key and (out / page).exists():
            result.pages.append(page)
            continue
        writer.write("run.html", page, {
            **common, **pages.run_context(r, labels, page), "multi": multi, "kind": "run",
            "story": story.run_story(Path(r.path), r.meta, r.state),
            "site": pages.site_json([r], runs, labels, page, "run", table=False),
            "sections": pages.chart_sections([r], labels),
            "panels": panels, "artifacts": arts.for_run(r.id),
        })
        result.pages.append(page)

    result.pages.extend(artifacts_pages.write_pages(
        writer, common, arts, lambda page: pages.site_json([], runs, labels, page, "artifacts", table=False)))
    cache.save_pages(new_keys, sorted(overviews))
    _remove_stale(out, keep, (stale | old_overviews) if page_keys else None, manifest)
    manifest.save()
    if manifest.warning():
        result.warnings.append(manifest.warning())
    result.runs = len(runs)
    result.metrics = len({k for r in runs for k in r.metrics})
    result.media = media
    result.seconds = time.perf_counter() - t0
    progress.done()
    for w in result.warnings:
        progress.line(f"warning: {w}")
    progress.line(f"built {result.runs} runs, {result.metrics} metrics, {result.media} media panels, "
                  f"{len(result.pages)} pages into {out} in {result.seconds:.1f}s"
                  f" ({len(result.reparsed)} runs parsed, {len(result.appended)} incrementally)")
    return result

