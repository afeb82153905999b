"""Media and custom-chart panels of a run page (images, audio, tables, 3D, ...).

``run_panels(record, site)`` turns the media records of one run into panel
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

from ...storage.reader import RunRecord
from ...storage.safety import safe_name
from ..collect import flatten
from . import histograms
from .charts import write_plotly_asset
from .gather import gather_media
from .items import ItemMaker, clean, item_name
from .sitefiles import RunFiles, short_hash

NEEDS = {"object3d": "viewer3d", "plotly": "plotly", "chart": "vega", "heatmap": "vega"}


@dataclass
class PanelSite:
    out: Path  # the site folder
    page: str  # site path of the page the panels go on
    presets: Path | None = None  # reportgen build --presets DIR
    warnings: list[str] = field(default_factory=list)  # problems found while building panels


def _needs(kind: str, frames: list[dict[str, Any]]) -> list[str]:
    types = {it.get("t") for f in frames for it in f["items"]}
    out = set()
    if kind in NEEDS:
        out.add(NEEDS[kind])
    if "3d" in types:
        out.add("viewer3d")
    if "plotly" in types:
        out.add("plotly")
    if "vega" in types:
        out.add("vega")
    return sorted(out)


def run_panels(record: RunRecord, site: PanelSite, run_key: str | None = None) -> list[dict[str, Any]]:
    """Panel view-models for one run, in display order (history keys, then summary-only keys).

    ``run_key`` is the run's site key (the builder's safe, unique folder name; ``site/media/<key>/``).
    Without it the run folder's name is made safe (never the id from run.json: that is data)."""
    key = run_key or safe_name(Path(record.path).name)
    files = RunFiles(site.out, Path(record.path), key)
    maker = ItemMaker(files, site.presets)
    panels = []
    for ks in gather_media(record.history, record.summary):
        pid = "p-" + short_hash(f"{key}|{ks.key}|{ks.kind}")
        vm: dict[str, Any] = {"kind": ks.kind, "id": pid, "key": ks.key, "title": ks.key, "summary": ks.summary,
                              "frames": [], "data": None, "data_id": None, "compare": None, "run": key}
        if ks.kind == "heatmap":
            rows = histograms.heatmap_rows([(f.step, f.records[0]) for f in ks.frames])
            if not rows:
                files.warnings.append(f"{ks.key}: histograms without usable bins")
            name = "hist_" + item_name(ks.key, "all", 0)
            vm["data_id"], vm["data"] = files.write_data(
                name, {"spec": histograms.heatmap_spec(ks.key), "rows": clean(rows)})
            vm["nsteps"] = len(ks.frames)
            last = flatten(record.summary).get(ks.key)  # the summary's histogram, drawn beside its value
            if isinstance(last, dict) and last.get("_type") == "histogram":
                vm["bars"] = histograms.bars_svg_data(last)
        else:
            if ks.kind in ("unsupported",):
                pass
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
    return panels


def compare_page(key: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in key).strip("-")[:40] or "media"
    return f"compare/{safe}-{short_hash(key, 8)}.html"


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
