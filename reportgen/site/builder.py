"""``build(config)``: the one entry point used by ``reportgen build``, ``reportgen serve`` and
``reportgen.build()`` (docs/api.md).

It runs four named phases, each a function with a typed input and output:

1. :func:`~reportgen.site.phases.gather` -- run folders, their site keys, what the cache holds;
2. :func:`~reportgen.site.phases.write_data` -- parse what changed, write assets and chart data;
3. :func:`write_pages` -- reports, overview pages, media comparison pages, run pages;
4. :func:`cleanup` -- delete data files of runs and metrics that are gone (only files the
   builder wrote: ``manifest.py``), save the page keys and the manifest.

Every file is written atomically (``site/write.py``), so a browser (or ``serve``) never sees a
half-written page; warnings of every phase go through one channel (``phases.Warnings``).
"""
from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..storage.format import flatten
from ..storage.safety import is_inside, reading_from
from ..tell import tell_all, waiting_line
from . import artifacts_pages, pages, runs_data, snapshot, story, sweep_pages, workspace
from .cache import failed_warning, os_error, unusable
from .config import BuildConfig
from .fmt import fmt_value
from . import listings
from .manifest import Manifest
from .memo import Memo, sweep_files_key
from .overviews import shards
from .phases import Gathered, SiteData, Warnings, gather, write_data
from .progress import Progress
from .render import PageWriter
from .shared_fs import remove_stale_markers
from .reports import build_reports
from .sectionsmemo import SectionsMemo
from .urls import rel, run_page
from .verdicts import Verdicts
from .write import WriteFailed, writing


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
    published: Any = None  # publish_url.Published when the site went to a URL (-o s3://...)

    @property
    def exit_code(self) -> int:
        return 1 if self.strict and self.warnings else 0


@dataclass
class Pages:
    """The output of :func:`write_pages`."""

    written: list[str]  # every page of the site (rendered now or unchanged since the last build)
    keys: dict[str, str]  # run page -> hash of its inputs (pages whose inputs did not change are skipped)
    media: int  # media panels on run pages
    kept_run_pages: set[str] = field(default_factory=set)  # run pages not rendered again (their file stands)
    # Manifest.remove_unlinked_media's arguments: done in cleanup(), once every page is written (a build
    # stopped by a full disk leaves the old pages, and the media files they link)
    unlinked: tuple | None = None


def _template_stamp() -> str:
    """Part of every page key: the version, the templates and the page assets (pages name each
    asset with its content's hash: assets.asset_versions), and vl-convert's version (the Vega
    runtime's)."""
    from .._resources import assets_dir, templates_dir
    from .._version import __version__

    from .assets import _vl_convert_version

    parts = [__version__, _vl_convert_version()] + [f"{p.relative_to(d)}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
                             for d in (templates_dir(), assets_dir()) for p in sorted(d.rglob("*")) if p.is_file()]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


def _media_value(v) -> bool:
    return isinstance(v, dict) and ("_type" in v or any(_media_value(x) for x in v.values()))


def _has_media(r) -> bool:
    # (a summary value that is a dict with "_type", at any depth: what flatten() would find)
    return any(g["type"] not in ("string", "bool", "other") for g in r.groups) or \
        any(_media_value(v) for v in r.summary.values())


def _sections(memo: SectionsMemo, env, r, make) -> dict[str, Any]:
    """A run page's chart sections in its context: their markup, made once per run shape (the run's
    metrics with their points and non-finite values, its x axes: all ``chartlayout.chart_sections``
    takes from the run but its name), or the sections to render."""
    dx = getattr(r, "dx", None)
    shape = (r.counts(), tuple(dx.items()) if dx else (), tuple(getattr(r, "xkeys", ()) or ()))
    sections, spec_base, html = memo.page(env, shape, make, r.file)
    return {"sections": sections, "spec_base": spec_base, **({"sections_html": html} if html is not None else {})}


def write_pages(cfg: BuildConfig, data: SiteData, page_keys: dict[str, str], warnings: Warnings,
                progress: Progress, manifest: Manifest | None = None, story_sigs: dict[str, tuple] | None = None,
                memo: Memo | None = None) -> Pages:
    """Phase 3: every page, after the data files they load."""
    out, runs, labels = cfg.out, data.runs, data.labels
    memo = memo if memo is not None else Memo()
    stamp = _template_stamp()
    # every page but the run pages (keyed below) is skipped when made from the same context (render.py)
    writer = PageWriter(None, out, cfg.extra_head, keys=page_keys if cfg.cache else None, stamp=stamp)
    common = {"title": cfg.title}
    arts = artifacts_pages.collect(cfg.runs, runs)  # artifact store of the runs root, if any
    warnings.extend("", arts.problems)  # (also listed on artifacts/index.html)
    if arts:
        common["artifacts_nav"] = artifacts_pages.INDEX_PAGE
    projects = pages.projects(runs)
    multi = len(projects) > 1
    project_urls = {p["name"]: p["page"] for p in projects}  # (unique even under case folding)
    written: list[str] = []
    ws = workspace.load(cfg.runs, cfg.reports, warnings.add)  # charts18: saved views (site/workspace.py)
    progress.update(f"pages: index, {len(projects) if multi else 0} projects, {len(runs)} runs")

    # Markdown reports (reports/<name>.html), listed on the index page. They are few and may
    # reference any run, so they are always re-rendered (no page skipping).
    # each run file's checks (its image header, whether its video plays): once a build for the run pages
    # and the reports together, a video's kept between builds in the memo (issue 19)
    verdicts = Verdicts(memo)
    reports = build_reports(cfg, runs, labels, writer, warnings, manifest, verdicts)
    written += reports.pages
    # one page per sweep id in run.json (written below); made again when a run or a sweep file changed
    sweeps = memo.get("sweeps", "", (tuple((r.file, r.path, r.sig.get("run"), r.sig.get("config"), r.sig.get("summary"))
                                           for r in runs), sweep_files_key(cfg.runs)),
                      lambda: sweep_pages.collect(cfg.runs, runs))

    run_keys = {r.file: memo.run_key(r) for r in runs}  # (once per run: 10,000 runs, 4 uses each)
    # what the pages take from each run alone, kept together (one memo value per run, incr20): its
    # table columns, its config as the compare page shows it, whether it has media panels
    inputs = {r.file: memo.get("inputs", r.file, run_keys[r.file], lambda r=r: (
        pages.run_columns(r), {k: fmt_value(v) for k, v in flatten(r.config).items()}, _has_media(r)))
        for r in runs}
    sigs = story_sigs or {}
    tables: dict[str, str] = {}  # table data files written (runs_data.py): data id -> site path
    entries: dict[tuple, dict] = {}  # the site JSON of a scope, shared by the index and compare pages
    section_sets: dict[tuple, list] = {}  # chart sections of a scope, likewise
    drawn_sets: dict[tuple, set] = {}  # runs embedded in a scope's page with many runs, likewise
    drawn_runs: dict[tuple, list] = {}  # each chart's runs drawn by default in such a scope, likewise

    def write_table(tid: str, scope: list, page: str, cols: dict) -> str:
        """Write the table file; each run's row kept between builds (memo.py), as JSON, with what
        it is made from (its entry's inputs, the table's columns and metrics)."""
        metrics = runs_data.table_metrics(scope)
        index = {k: i for i, k in enumerate(metrics)}
        shared = (repr(cols), repr(metrics))
        return runs_data.write_rows_file(out, tid, [memo.get(
            "row-json", f"{tid}|{r.file}", (run_keys[r.file], sigs.get(r.file), labels[r.file], shared),
            lambda r=r: runs_data.row_json(runs_data.table_row(pages.run_entry(r, labels, page, cols), r, cols, index)))
            for r in scope], cols, metrics)

    def table_page(page: str, scope: list, kind: str, project=None) -> tuple[dict, list]:
        """Site JSON and chart sections of a page with the runs table: charts draw the default
        selection; with many runs the table's data is a file loaded after the first charts."""
        key = (page.rsplit("/", 1)[0] if "/" in page else "", tuple(r.file for r in scope))
        lazy = runs_data.lazy(scope)
        skey = tuple(r.file for r in scope)
        if skey not in section_sets:  # the index and compare pages share them: made once
            section_sets[skey] = pages.chart_sections(scope, labels, ws, data.site_metrics)
        if lazy and skey not in drawn_sets:  # likewise
            drawn_runs[skey], drawn_sets[skey] = runs_data.charts_drawn(scope, section_sets[skey], cfg.chart_runs)
        drawn = drawn_sets[skey] if lazy else None
        if key not in entries:  # run entries read each run's alerts: once per scope and folder
            entries[key] = pages.site_json(scope, runs, labels, page, kind, workspace=ws, memo=memo,
                                           story_sigs=story_sigs, only=drawn, columns_of=lambda r: inputs[r.file][0])
        site = {**entries[key], "kind": kind}
        site.update(total=len(scope), chartRuns=cfg.chart_runs, root=rel(page, "./"), table=None)
        # copies of the chart dicts: the caller changes their "runs" and "spec"
        sections = [{**sec, "charts": [dict(c) for c in sec["charts"]]} for sec in section_sets[skey]]
        if lazy:
            tid = runs_data.scope_id(kind, project["dir"] if project else None)
            if tid not in tables:
                tables[tid] = write_table(tid, scope, page, site["cols"])
            site["table"] = {"id": tid, "src": rel(page, tables[tid])}
            for sec, chart_runs in zip(sections, drawn_runs[skey]):
                for c, kept_runs in zip(sec["charts"], chart_runs):
                    c["runs"] = list(kept_runs)
        return site, sections

    def overview(page: str, scope: list, kind: str, heading: str, project=None) -> None:
        site, sections = table_page(page, scope, kind, project)
        writer.write("index.html", page, {
            **common, "heading": heading, "kind": kind, "project": project,
            "projects": projects if (multi and kind == "index") else [],
            "reports": reports.listed if kind == "index" else [],
            "sweeps": sweeps if kind == "index" else [],
            "site": site, "sections": sections, "spec_base": runs_data.share_specs(sections),
        })
        written.append(page)

    overview("index.html", runs, "index", "All runs")
    if multi:
        for p in projects:
            overview(p["page"], [r for r in runs if r.project == p["name"]], "project", p["name"], project=p)
    site, sections = table_page("compare.html", runs, "compare")
    configs = {r.file: inputs[r.file][1] for r in runs}
    if site["table"]:  # many runs: the configs are a data file too (loaded with the table)
        tables["table/configs"] = runs_data.write_data_file(out, "table/configs", configs)
        site["table"]["configs"] = {"id": "table/configs", "src": rel("compare.html", tables["table/configs"])}
    writer.write("index.html", "compare.html", {
        **common, "heading": "Compare runs", "kind": "compare", "project": None, "projects": [],
        "site": site, "sections": sections, "spec_base": runs_data.share_specs(sections),
        **({} if site["table"] else {"configs": configs}),
    })
    written.append("compare.html")
    data.keep.update(tables.values())  # cleanup() deletes them once they are no longer written
    data.overviews.extend(tables.values())
    # Media panels of every run that logged media, before any run page: the same-key-across-runs
    # pages need all of them (cheap on rebuilds: files are copied and derived only once).
    panel_sets: dict[str, list] = {}
    dropped: dict[str, tuple[str, ...]] = {}  # per run, the files of media items that could not be shown
    with_media = [r for r in runs if inputs[r.file][2]]
    shown: set[str] = set()  # the run files the run pages link
    unshown: set[str] = set()  # the files of run-page items that could not be shown
    if with_media:  # the media kinds and panels are imported only for a site with media (incr19)
        from .panels import PanelSite, run_panels, write_compare_pages

        for r in with_media:
            ps = PanelSite(out, run_page(r.file), presets=cfg.presets, holes=not cfg.publish_url, verdicts=verdicts)
            panel_sets[r.file] = run_panels(r, ps)
            warnings.extend(f"run {r.file}", ps.warnings)
            unshown.update(ps.unused)
            if ps.dropped:
                dropped[r.file] = tuple(ps.dropped)
            shown |= ps.used
        written += write_compare_pages(
            writer, common, [(r.file, labels[r.file][0], panel_sets.get(r.file, [])) for r in runs],
            lambda page: {"kind": "media", "site": pages.site_json([], runs, labels, page, "media", table=False)})
    # the run files no run page and no report links (manifest.py: one rule), deleted in cleanup()
    unlinked = None if manifest is None else ([r.file for r in runs], unshown | reports.made, shown | reports.linked)
    keys: dict[str, str] = {}
    media = 0
    # the site's files at the start of the build (the manifest's listing): no stat per run page
    exists = (lambda page: page in manifest.before) if manifest is not None else (lambda page: (out / page).exists())
    # what every run page shares, hashed once (10,000 run pages). Of the number of runs, only what a
    # run page shows of it: the all-runs sweep page's link and the overview shard count (incr20: the
    # count itself re-rendered every run page when one run was added)
    site_key = hashlib.sha1(repr((multi, cfg.title, cfg.extra_head, stamp, repr(ws),
                                  sweep_pages.all_runs_page(len(runs)), shards(len(runs)))).encode(
        "utf-8", "surrogatepass")).hexdigest()
    kept: set[str] = set()
    section_memo = SectionsMemo()  # the chart sections of run pages, rendered once per shape
    for r in runs:
        page = run_page(r.file)
        panels = panel_sets.get(r.file, [])
        # A run page depends only on its run folder, its label/colour, its media panels (their
        # compare links) and the site layout: skip rendering when none changed.
        ssig = sigs.get(r.file) or story.signature(Path(r.path))  # from the gather scan
        made = (run_keys[r.file], ssig, labels[r.file], (r.project, project_urls[r.project]), site_key,
                [p.get("compare") for p in panels] if panels else [],
                artifacts_pages.run_key(arts, r.id) if arts else "", dropped.get(r.file, ()))
        # (kept in the memo: comparing the inputs is cheaper than hashing their repr, 10,000 times)
        key = memo.get("page", r.file, made, lambda made=made, r=r: hashlib.sha1(repr((
            r.sig, made[1], r.status, made[2], made[3], site_key, made[5],
            made[6]) + ((made[7],) if made[7] else ())).encode("utf-8", "surrogatepass")).hexdigest())
        keys[page] = key
        r.media = len(panels)
        media += len(panels)
        written.append(page)
        if page_keys.get(page) == key and exists(page):
            kept.add(page)
            continue
        writer.render("run.html", page, {
            **common, **pages.run_context(r, labels, page, project_urls[r.project]), "multi": multi, "kind": "run",
            "story": story.run_story(Path(r.path), r.meta, r.status),
            "site": pages.site_json([r], runs, labels, page, "run", table=False, workspace=ws),
            **_sections(section_memo, writer.env, r, lambda r=r: pages.chart_sections([r], labels, ws)),
            "panels": panels, "artifacts": arts.for_run(r.id),
        })
    sweep_problems: list[str] = []
    written += sweep_pages.write_pages(sweeps, writer, common, sweep_problems,
                                       lambda page: pages.site_json([], runs, labels, page, "sweep", table=False))
    warnings.extend("", sweep_problems)
    written += artifacts_pages.write_pages(
        writer, common, arts, lambda page: pages.site_json([], runs, labels, page, "artifacts", table=False))
    return Pages(written, {**writer.new_keys, **keys}, media, kept, unlinked)


def cleanup(cfg: BuildConfig, g: Gathered, data: SiteData, done: Pages, manifest: Manifest,
            warnings: Warnings, memo: Memo | None = None) -> None:
    """Phase 4: delete the data files of runs and metrics that are gone (the known stale ones, or,
    without a previous build's record, every file under data/ not kept) -- only files the builder
    wrote (``manifest``); save the manifest; then the page keys, the snapshot, and forget the runs that
    are gone (a build stopped before then deletes them at the next build: the cache still knows them)."""
    out = cfg.out
    if done.unlinked is not None:
        manifest.remove_unlinked_media(*done.unlinked)
    if g.page_keys:
        for rel in sorted((data.stale | g.old_overviews) - data.keep):
            manifest.remove(rel)
    elif (out / "data").is_dir():
        for dirpath, _dirnames, filenames in os.walk(out / "data", topdown=False):
            for f in filenames:
                rel = (Path(dirpath) / f).relative_to(out).as_posix()
                if rel not in data.keep:
                    manifest.remove(rel)
    # pages the previous build wrote and this one did not (runs, sweeps, projects, media comparisons
    # that are gone; incr19: sweeps/_all.html stayed when the runs fell below 3), and the copied media
    # of runs that are gone: only what the builder wrote (bug: they stayed, and a published site
    # kept serving them)
    for page in sorted(set(g.page_keys) - set(done.keys)):
        manifest.remove(page)
        if page.startswith("runs/") and page.endswith("/index.html"):
            for rel_path in manifest.owned_under("media/" + page[len("runs/"):-len("/index.html")]):
                manifest.remove(rel_path)
    # the folders of run pages not rendered now: nothing of the builder's changed there
    g.cache.note(manifest.save({page[:-len("index.html")] for page in done.kept_run_pages}))
    if manifest.warning():
        warnings.add("", manifest.warning())
    g.cache.save_pages(done.keys, sorted(data.overviews))
    with g.cache.writing(cfg.cache_dir / snapshot.NAME):
        snapshot.save(cfg.cache_dir, cfg.samples, data.runs, data.ov_record, memo, fresh=set(data.reparsed) | g.moved,
                      known=g.known, enabled=cfg.cache, layout=g.layout)
    g.cache.forget(data.forget, old_layout=g.known is None)
    if g.cache.error is not None:  # (once, however many of its writes failed)
        warnings.add("", failed_warning(cfg.cache_dir, g.cache.error))


def _stopped(exc: WriteFailed, left: str, manifest: Manifest | None = None):
    """The build's error when writing the site failed (a full disk, EIO, a read-only folder): one line
    naming the file and the OS error, and what the build ``left``. Every file written is whole
    (write.py). With ``manifest`` (the data and pages were being written, nothing deleted yet), the
    files this build added are deleted: the previous site stands but for the files it replaced, and the
    next build, not finding them, writes them again as its own (left there, they were not the
    builder's to its listing, which would never have deleted them)."""
    from .executor import BuildError

    if manifest is not None:
        try:
            manifest.remove_new()
            manifest.save()
        except OSError:
            pass  # (the previous manifest stands)
    return BuildError(f"cannot write {exc.filename} ({os_error(exc)}); the build stopped {left}: free space "
                      "there, or build into another folder (-o)")


def _unlisted(exc: WriteFailed, manifest: Manifest):
    """The build's error when deleting a stale file or writing the manifest failed, every page written
    (manifest.py). The files this build added must not stay unlisted: the next build would take them for
    the user's and never delete them. So the manifest is written again (it can be after a stale file could
    not be deleted); if it cannot be, the files added are deleted, as a build stopped while writing
    deletes them, and the previous manifest stands."""
    try:
        manifest.save()
    except OSError:
        return _stopped(exc, "after writing every page; it could not list its files, so it deleted those it "
                        "added", manifest)
    return _stopped(exc, "after writing every page and listing its own, before deleting every stale file")


def build(cfg: BuildConfig) -> BuildResult:
    """Build the site. The cyclic garbage collector is paused meanwhile (incr20): a rebuild of
    10,000 runs loads ~1.5 million small objects (snapshot.py) that are all alive until the end,
    and the collections their allocation triggers were a fifth of the rebuild; the build's data
    has no reference cycles to collect."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build(cfg)
    finally:
        if paused:
            gc.enable()


def _build(cfg: BuildConfig, early: list[str] | None = None) -> BuildResult:
    """``early``: warnings of the build's first steps (the build cache, the joined copy of shared runs),
    told first."""
    t0 = time.perf_counter()
    early = list(early or ())
    if not cfg.runs.exists():
        raise FileNotFoundError(f"runs folder {str(cfg.runs)!r} does not exist")
    if is_inside(cfg.out, cfg.runs):  # (-o RUNS, -o . with RUNS under it, -o ~, -o /)
        from .executor import BuildError

        raise BuildError(f"-o {str(cfg.out)!r}: the site folder holds the runs folder {str(cfg.runs)!r}. The site "
                         "writes runs/, data/ and assets/ there (a page into each run folder), and publishing it "
                         "would publish every run's files. Build into a folder beside the runs or inside them "
                         "(e.g. -o site).")
    try:
        with writing(cfg.out):
            cfg.out.mkdir(parents=True, exist_ok=True)
    except WriteFailed as exc:
        raise _stopped(exc, "before writing anything") from exc
    remove_stale_markers([cfg.out, cfg.cache_dir])  # left by a killed Dask client (shared_fs.py)
    # before anything is written: the run folders, and what is the user's, what is ours (the output
    # folder's listing, its folders kept in the cache), listed in forked children (listings.py)
    # while the snapshot loads here
    site_record = listings.site_record(cfg)
    scan = listings.scan_forked(cfg.runs, listings.scan_record(cfg))
    site = listings.site_listing(cfg.out, site_record)  # (started by the CLI, else listed below)
    why = unusable(cfg.cache_dir) if cfg.cache else None
    if why is not None:  # (readers and builds never fail over storage: the listings' records are tolerant)
        early.append(f"build cache {cfg.cache_dir}: cannot be written ({why}); built without it (every run "
                     "parsed in full): give --cache-dir DIR (or $REPORTGEN_CACHE_DIR) a folder it can write")
        cfg = dataclasses.replace(cfg, cache=False)
    snap = snapshot.load(cfg.cache_dir, cfg.samples, enabled=cfg.cache)
    manifest = Manifest(cfg.out, site_record, state=site.result() if site is not None else None)
    if manifest.links:  # (a site folder from elsewhere: a CI artifact, a repository's docs/)
        from .executor import BuildError

        shown = ", ".join(sorted(manifest.links)[:3]) + (" ..." if len(manifest.links) > 3 else "")
        raise BuildError(f"-o {str(cfg.out)!r}: the site folder holds links to folders ({shown}). The builder "
                         "writes only inside the site folder: through such a link it would write pages and data, "
                         "and delete stale files, wherever it leads. Remove the links, or build into another folder.")
    found, skipped, segmented, scan_error = scan.result()
    warnings = Warnings()
    if segmented and cfg.join_segmented:  # shared runs' segments on this disk: their joined copy
        from ..storage.remote import resolve_runs

        joined: list[str] = []
        runs = resolve_runs(cfg.runs, cfg.join_dir, warnings=joined, waiting=None if cfg.quiet else waiting_line)
        return _build(dataclasses.replace(cfg, runs=runs, join_segmented=False), early + joined)
    progress = Progress(quiet=cfg.quiet)
    g = gather(cfg, warnings, manifest.before, listed=(found, skipped), snap=snap)
    g.cache.note(scan_error)  # (the run folders' record: warned of with the cache's other writes)
    memo = Memo(g.memo if cfg.cache else None)  # page inputs kept from the previous build (memo.py)
    try:
        with reading_from(cfg.runs):  # a run folder swapped for a link out of it since the scan is not read
            data = write_data(cfg, g, warnings, progress, memo)
            done = write_pages(cfg, data, g.page_keys, warnings, progress, manifest, g.story, memo)
    except WriteFailed as exc:  # a site file (a cache file is a warning: cache.py); nothing deleted yet
        progress.done()
        raise _stopped(exc, "and left the site as it was but for the files it replaced, each whole", manifest) from exc
    try:
        cleanup(cfg, g, data, done, manifest, warnings, memo)
    except WriteFailed as exc:  # the manifest, a stale file: every page is written
        progress.done()
        raise _unlisted(exc, manifest) from exc
    result = BuildResult(cfg.out, strict=cfg.strict, runs=len(data.runs),
                         metrics=len(set().union(*(r.counts()[0] for r in data.runs))), media=done.media,
                         pages=done.written, warnings=warnings.items, reparsed=data.reparsed,
                         appended=data.appended, seconds=time.perf_counter() - t0)
    result.warnings[:0] = early
    if cfg.publish_url:  # -o URL: upload what changed (publish_url.py)
        from .publish_url import sync

        progress.update(f"publishing to {cfg.publish_url}")
        pub = sync(cfg.out, cfg.publish_url, cfg.storage_options)
        result.published = pub
        result.warnings.extend(pub.warnings)  # (site files not uploaded: a sparse video)
        progress.line(f"published to {cfg.publish_url}: {len(pub.uploaded)} files uploaded, "
                      f"{len(pub.deleted)} deleted, {pub.unchanged} unchanged")
    progress.done()
    if not cfg.quiet:  # (all of them escaped: a shared run's sync and the upload warn here too, not by Warnings)
        tell_all(result.warnings)
    progress.line(f"built {result.runs} runs, {result.metrics} metrics, {result.media} media panels, "
                  f"{len(result.pages)} pages into {cfg.out} in {result.seconds:.1f}s"
                  f" ({len(result.reparsed)} runs parsed, {len(result.appended)} incrementally)")
    return result
