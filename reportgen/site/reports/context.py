"""What directive renderers need from the build: runs, metric charts, the page and the site folder.

Runs come from the site builder as :class:`~reportgen.site.rundata.RunInfo` (what the
pages know: meta, config, summary, the metrics it logged) plus the label and colour
the whole site uses (``pages.labels_and_colors``). A report needs a run's full history
only for ``media`` / ``custom`` directives at a step; it is read then, once per run.
Metric charts reuse the site's data files (``data/runs/<run>.js``) and
runtime (assets/charts.js), so nothing chart-specific is written here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..panels.sitefiles import MissingFile, RunFiles
from ..rundata import RunInfo
from ..urls import rel


@dataclass
class ReportContext:
    out: Path  # the site folder
    page: str  # site path of the report page, e.g. "reports/sweep.html"
    name: str  # report name (the page's stem)
    env: Any  # the Jinja environment
    runs: list[RunInfo]  # the builder's runs in site order (label, colour and url set)
    metric_keys: list[str]  # every numeric metric of the site, sorted
    defaults: dict[str, Any] = field(default_factory=dict)  # front-matter run selection
    warnings: list[str] = field(default_factory=list)
    used_ids: dict[str, int] = field(default_factory=dict)
    charts: int = 0  # metric charts on the page (the page then shows the chart controls)
    presets: Path | None = None  # reportgen build --presets DIR (custom charts use it as run pages do)
    written: set[str] = field(default_factory=set)  # site paths of files written under reports/
    holes: bool = True  # False for a site published to a URL: a file that is mostly holes is not shown
    #: site paths of run files the report links (``run_item``'s ``src``), and of those its run items made
    #: or used: the builder deletes the ones that neither a report nor a run page links (a thumbnail
    #: made for an image the run page does not show, its per-key limit reached, was published alone)
    linked: set[str] = field(default_factory=set)
    made: set[str] = field(default_factory=set)
    #: the build's checks of run files, shared with the run pages (site/verdicts.py): an image
    #: its run page shows, or two embeds of one record, is read once
    verdicts: Any = None

    def url(self, target: str) -> str:
        return rel(self.page, target)

    def render(self, template: str, **ctx: Any) -> Markup:
        html = self.env.get_template(template).render(**ctx, page=self.page, url=self.url)
        return Markup(html.strip())

    def missing(self, message: str, *, inline: bool = False) -> Markup:
        return self.render("partials/report_missing.html", m={"message": message, "inline": inline})

    def unique_id(self, base: str) -> tuple[str, int]:
        n = self.used_ids.get(base, 0)
        self.used_ids[base] = n + 1
        return (base if n == 0 else f"{base}-{n + 1}"), n

    def files(self, run: RunInfo) -> RunFiles:
        """The files of ``run`` as the site may publish them (where run pages put them)."""
        return RunFiles(self.out, Path(run.path), run.file, holes=self.holes, verdicts=self.verdicts)

    def read_run_json(self, run: RunInfo, rel_path: Any) -> Any:
        """A JSON file of the run folder (``MissingFile`` when absent or outside the folder), bounded
        as the run page's (:meth:`RunFiles.read_json`)."""
        return self.files(run).read_json(rel_path)

    def copy_run_file(self, run: RunInfo, rel_path: Any) -> str | None:
        """Copy ``rel_path`` (relative to the run folder) into the site where the run page's media
        panels put it (``media/<run>/...``); return its site path.

        ``None`` when the path is unsafe (absolute, ``..``) or the file does not exist.
        """
        if isinstance(rel_path, str):
            rel_path = rel_path.replace("\\", "/")
        try:
            site = self.files(run).copy(rel_path)
        except MissingFile:
            return None
        self.linked.add(site)  # (kept by the builder, which deletes run files no page links)
        return site

    def run_item(self, run: RunInfo, record: dict[str, Any]) -> dict[str, Any]:
        """The run page's item of ``record`` (``kinds.Kind.item``): its files checked and published as
        the run page's media are (a site going to a URL: no file that is mostly holes), or a
        ``missing`` item saying why not. The report links its ``src``."""
        from ..panels.items import ItemMaker

        files = self.files(run)
        item = ItemMaker(files, self.presets).make(record, f"run {run.id}", "report")
        self.made.update(files.used)
        if isinstance(item.get("src"), str):
            self.linked.add(item["src"])
        return item

    def run_html(self, run: RunInfo, rel_path: Any, style: str = "") -> str | None:
        """The ``srcdoc`` of a logged HTML file of ``run`` (see site/publish.py), or None."""
        from ..publish import html_document

        try:
            return html_document(self.files(run).read_bytes(rel_path), style)
        except (MissingFile, OSError):
            return None


def finite_json(value: Any) -> Any:
    """A copy with NaN/±Infinity replaced by None (Vega specs are plain JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value

