"""``build(config)``: the one entry point used by ``reportgen build`` and ``reportgen serve``.

Steps: for each run folder, reuse the cache or (re)parse its history and write its
chart data files; then render every page (index, project overviews, compare page,
run pages) and remove files of runs or metrics that are gone. Every file is written
atomically, so a browser (or ``serve``) never sees a half-written page.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..storage.format import RunPaths
from ..storage.reader import list_run_dirs, read_run
from . import pages
from .assets import write_assets
from .cache import RunCache, read_tail, signature
from .collect import flatten, fmt_value
from .config import BuildConfig
from .history import Columns, parse_history
from .panels import PanelSite, run_panels
from .progress import Progress
from .render import PageWriter, make_env
from .rundata import RunInfo, process_run, safe_name
from .urls import run_page
from .write import write_bytes


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


def _run_files(dirs: list[Path]) -> list[str]:
    """A unique, safe file name per run folder."""
    names, seen = [], set()
    for d in dirs:
        name = safe_name(d.name)
        while name in seen:
            name = safe_name(name + "_")
        seen.add(name)
        names.append(name)
    return names


def _load_run(run_dir: Path, run_file: str, cfg: BuildConfig, cache: RunCache, out: Path,
              result: BuildResult) -> RunInfo:
    sig = signature(run_dir)
    cached = cache.load_info(run_file)
    if cached and cached["sig"] == sig and all((out / p).exists() for p in cached["info"].data_files):
        return cached["info"]
    history = RunPaths(run_dir).history
    cols = None
    if cached and sig["history"] and cached["sig"]["history"] and sig["history"][0] >= cached["end"] \
            and read_tail(history, cached["end"]) == cached["tail"]:
        cols = cache.load_cols(run_file)
        if cols is not None and cols.end == cached["end"]:
            result.appended.append(run_file)
        else:
            cols = None
    cols = parse_history(history, cols or Columns())
    result.reparsed.append(run_file)
    rec = read_run(run_dir, with_history=False)
    info = RunInfo(file=run_file, path=str(run_dir), meta=rec.meta, config=rec.config, summary=rec.summary,
                   warnings=list(rec.warnings))
    process_run(info, cols, cfg.samples, out, write_bytes)
    cache.save(run_file, sig, info, cols, read_tail(history, cols.end))
    return info


def _remove_stale(out: Path, keep: set[str]) -> None:
    data = out / "data"
    if not data.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(data, topdown=False):
        for f in filenames:
            p = Path(dirpath) / f
            if p.relative_to(out).as_posix() not in keep:
                p.unlink()
        if Path(dirpath) != data and not os.listdir(dirpath):
            os.rmdir(dirpath)


def build(cfg: BuildConfig) -> BuildResult:
    t0 = time.perf_counter()
    out = cfg.out
    result = BuildResult(out, strict=cfg.strict)
    if not cfg.runs.exists():
        raise FileNotFoundError(f"runs folder {str(cfg.runs)!r} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    progress = Progress(quiet=cfg.quiet)
    dirs = list_run_dirs(cfg.runs)
    files = _run_files(dirs)
    cache = RunCache(out, cfg.samples, enabled=cfg.cache)
    infos: list[RunInfo] = []
    for i, (d, f) in enumerate(zip(dirs, files)):
        infos.append(_load_run(d, f, cfg, cache, out, result))
        progress.update(f"runs {i + 1}/{len(dirs)}, metrics {len({k for r in infos for k in r.metrics})}")
    cache.prune(set(files))
    runs = pages.order_runs(infos)
    for r in runs:
        for w in r.warnings:
            result.warnings.append(f"run {r.file}: {w}")
    labels = pages.labels_and_colors(runs)
    write_assets(out)

    env = make_env()
    writer = PageWriter(env, out, cfg.extra_head)
    common = {"title": cfg.title}
    projects = pages.projects(runs)
    multi = len(projects) > 1
    progress.update(f"pages: index, {len(projects) if multi else 0} projects, {len(runs)} runs")

    def overview(page: str, scope: list, kind: str, heading: str, project=None) -> None:
        writer.write("index.html", page, {
            **common, "heading": heading, "kind": kind, "project": project,
            "projects": projects if (multi and kind == "index") else [],
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
    for r in runs:
        page = run_page(r.file)
        # Panels look for media records in history: read it only for runs that logged media.
        has_media = any(g["type"] not in ("string", "bool", "other") for g in r.groups) or \
            any(isinstance(v, dict) and "_type" in v for v in flatten(r.summary).values())
        record = read_run(Path(r.path), with_history=has_media)
        panels = run_panels(record, PanelSite(out, page))
        media += len(panels)
        writer.write("run.html", page, {
            **common, **pages.run_context(r, labels, page), "multi": multi, "kind": "run",
            "site": pages.site_json([r], runs, labels, page, "run", table=False),
            "sections": pages.chart_sections([r], labels),
            "panels": panels,
        })
        result.pages.append(page)

    keep = {p for r in runs for p in r.data_files}
    _remove_stale(out, keep)
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

