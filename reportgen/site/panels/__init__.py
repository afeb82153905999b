"""Media and custom-chart panels of a run page (images, audio, tables, 3D, ...).

``run_panels(run, site)`` turns the media records of one run (the builder's ``RunInfo``) into panel
view-models for ``templates/partials/panels.html``; files are copied into the
site on the way (``site/media/<run_id>/...``, data scripts under
``site/media/<run_id>/data/``). ``write_compare_pages`` adds one page per media
key logged by several runs, showing those runs side by side at one step.

A panel view-model is a plain dict::

    {"kind": "images"|"audio"|"video"|"table"|"html"|"object3d"|"chart"|"svg"|"plotly"
             |"heatmap"|"sumhist"|"tensor"|"mixed"|"unsupported",
     "id": str, "key": str, "title": str, "summary": bool,
     "frames": [{"step": int|float|"summary", "items": [item, ...]}],   # see items.py
     "data": site path of a data script or None (heatmap), "data_id": str or None,
     "compare": site path of the same-key-across-runs page or None,
     "needs": ["viewer3d", "plotly", "vega"]}

All paths are site paths; templates turn them into page-relative links.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ...storage.format import flatten
from .. import kinds
from ..rundata import RunInfo
from ..urls import slug
from . import histograms
from .charts import write_plotly_asset
from .gather import cap, gather_media
from .items import ItemMaker, clean, item_name
from .sitefiles import RunFiles, short_hash



@dataclass
class PanelSite:
    out: Path  # the site folder
    page: str  # site path of the page the panels go on
    presets: Path | None = None  # reportgen build --presets DIR
    warnings: list[str] = field(default_factory=list)  # problems found while building panels
    #: site files that only items which could not be shown copied or made: the builder deletes them
    #: (through its manifest: only files it wrote), so the site publishes nothing its pages do not show
    unused: list[str] = field(default_factory=list)
    #: the files of every item that could not be shown: part of the run page's key (an image shown
    #: before and not now, its file changed under the same name, renders the page again)
    dropped: list[str] = field(default_factory=list)
    holes: bool = True  # False for a site published to a URL: a run file that is mostly holes is not shown
    used: set[str] = field(default_factory=set)  # site files of the items shown (and the panels' data)
    verdicts: Any = None  # the build's checks of run files, shared with the reports (site/verdicts.py)


def _needs(kind: str, frames: list[dict[str, Any]]) -> list[str]:
    """The browser code the panel needs, as its kinds declare it (``kinds.Kind.needs``)."""
    return kinds.needs_of(kind, {it.get("t") for f in frames for it in f["items"]})


def run_panels(run: RunInfo, site: PanelSite) -> list[dict[str, Any]]:
    """Panel view-models for one run, in display order (history keys, then summary-only keys).

    From what the builder already has: the media rows of the parsed (and cached) history;
    the run folder is read only for the files records point at. Site paths are keyed by the
    run's site key (``run.file``), as every other path of the site."""
    files = RunFiles(site.out, Path(run.path), run.file, holes=site.holes, verdicts=site.verdicts)
    maker = ItemMaker(files, site.presets)
    panels = []
    for ks in gather_media(run.media_rows, run.summary):
        left_out = cap(ks)  # (files per key and per step: config.MEDIA_PER_KEY, MEDIA_PER_STEP)
        if left_out:
            files.warnings.append(left_out)
        pid = "p-" + short_hash(f"{run.file}|{ks.key}|{ks.kind}")
        vm: dict[str, Any] = {"kind": ks.kind, "id": pid, "key": ks.key, "title": ks.key, "summary": ks.summary,
                              "frames": [], "data": None, "data_id": None, "compare": None, "run": run.file}
        if ks.kind == "heatmap":
            rows = histograms.heatmap_rows([(f.step, f.records[0]) for f in ks.frames])
            if not rows:
                files.warnings.append(f"{ks.key}: histograms without usable bins")
            name = "hist_" + item_name(ks.key, "all", 0)
            vm["data_id"], vm["data"] = files.write_data(
                name, {"spec": histograms.heatmap_spec(ks.key), "rows": clean(rows)})
            vm["nsteps"] = len(ks.frames)
            last = flatten(run.summary).get(ks.key)  # the summary's histogram, drawn beside its value
            if isinstance(last, dict) and kinds.panel_of(last.get("_type")) == "heatmap":
                vm["bars"] = histograms.bars_svg_data(last)
        else:
            for f in ks.frames:
                where = f"{ks.key} (step {f.step})"
                items = [maker.make(r, where, item_name(ks.key, f.step, i)) for i, r in enumerate(f.records)]
                vm["frames"].append({"step": f.step, "items": clean(items)})
        vm["needs"] = _needs(ks.kind, vm["frames"])
        if "plotly" in vm["needs"]:
            try:
                write_plotly_asset(site.out)
            except RuntimeError as exc:
                files.warnings.append(f"{ks.key}: {exc}")
        panels.append(vm)
    site.warnings.extend(f"media {w}" for w in files.warnings)
    site.unused.extend(files.unused())
    site.used.update(files.used, files.touched)
    site.dropped.extend(sorted(files.dropped))
    return panels


def compare_page(key: str) -> str:
    return f"compare/{slug(key, fallback='media', hashed=True)}.html"


def compare_sets(runs: list[tuple[str, str, list[dict[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    """Media keys logged by two or more runs -> one panel per run (titled with the run label).

    ``runs`` is ``[(run_id, label, panels), ...]`` in site order. Each run's own panel of such
    a key gets ``compare`` set to the comparison page.
    """
    by_key: dict[str, list[dict[str, Any]]] = {}
    for run_id, label, panels in runs:
        for p in panels:
            if p["kind"] in ("unsupported",):
                continue
            by_key.setdefault(p["key"], []).append({**p, "title": label, "run": run_id})
    out = {}
    for key in sorted(by_key):
        if len(by_key[key]) < 2:
            continue
        page = compare_page(key)
        out[page] = by_key[key]
        for _, _, panels in runs:
            for p in panels:
                if p["key"] == key:
                    p["compare"] = page
    return out


def write_compare_pages(writer, context: dict[str, Any], runs: list[tuple[str, str, list[dict[str, Any]]]],
                        page_context: Callable[[str], dict[str, Any]] | None = None) -> list[str]:
    """Write ``compare/<key>.html`` for every media key logged by several runs; return the pages.

    ``context`` is what every page template needs (``base.html``); ``page_context(page)`` may add
    page-dependent entries.
    """
    pages = []
    for page, panels in compare_sets(runs).items():
        extra = page_context(page) if page_context else {}
        writer.write("media_compare.html", page, {**context, **extra, "key": panels[0]["key"],
                                                  "panels": [{**p, "compare": None} for p in panels]})
        pages.append(page)
    return pages
