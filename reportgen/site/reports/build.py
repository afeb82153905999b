"""``build_reports``: every ``*.md`` in the reports folder becomes ``reports/<name>.html``.

Called once by the site builder (reportgen/site/builder.py) on every build, after the
metric data files are written and before ``index.html`` (which lists the reports).
Reports are always re-rendered: they are few and may reference any run. Problems
are build warnings, never exceptions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...storage.safety import is_inside
from .. import pages
from ..config import BuildConfig
from ..manifest import Manifest
from ..phases import Warnings
from ..render import PageWriter
from ..rundata import RunInfo
from ..urls import slug

REPORTS_DIR = "reports"


@dataclass
class Reports:
    """What :func:`build_reports` wrote: the index entries and the pages."""

    listed: list[dict[str, Any]] = field(default_factory=list)  # [{name, title, description, url, warnings}]
    pages: list[str] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)  # run files the reports link (ReportContext.linked)
    made: set[str] = field(default_factory=set)  # run files their run items made or used (ReportContext.made)


def reports_source(cfg: BuildConfig) -> Path:
    """``--reports DIR``, else ``RUNS/reports``."""
    return Path(cfg.reports) if cfg.reports else Path(cfg.runs) / REPORTS_DIR


def report_name(stem: str) -> str:
    return slug(stem, keep="_.-", max_len=100, fallback="report")


def find_reports(folder: Path, warnings: Warnings | None = None) -> list[Path]:
    """``*.md`` in ``folder``; a file that is a link to somewhere outside it is skipped (warned)."""
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.glob("*.md")):
        if not p.is_file():
            continue
        if not is_inside(folder, p):
            if warnings is not None:
                warnings.add(f"report {p.name}", "a link to a file outside the reports folder (skipped)")
            continue
        out.append(p)
    return out


def build_reports(cfg: BuildConfig, runs: list[RunInfo], labels: dict[str, tuple[str, str]], writer: PageWriter,
                  warnings: Warnings, manifest: Manifest | None = None, verdicts: Any = None) -> Reports:
    """Write the report pages; return them and their entries for the index page. Pages and images
    of reports that are gone are deleted (only files reportgen wrote: ``manifest``).

    ``runs`` are the builder's ``RunInfo`` in site order, ``labels`` maps run file -> (label, colour);
    ``verdicts``: the build's checks of run files, shared with the run pages (``site/verdicts.py``)."""
    out = Path(cfg.out)
    folder = reports_source(cfg)
    if not cfg.reports and folder.is_dir() and not is_inside(cfg.runs, folder):
        warnings.add(REPORTS_DIR, "a link to a folder outside the runs folder (skipped)")
        sources = []
    else:
        sources = find_reports(folder, warnings)
    written: set[str] = set()  # site paths written now: pages and copied images
    done = _write_reports(cfg, sources, folder, out, runs, labels, writer, warnings, written, verdicts)
    if manifest is not None:
        for rel in manifest.owned_under(REPORTS_DIR):
            if rel not in written:
                manifest.remove(rel)
    return done


def _write_reports(cfg: BuildConfig, sources: list[Path], folder: Path, out: Path, runs: list[RunInfo],
                   labels: dict[str, tuple[str, str]], writer: PageWriter, warnings: Warnings,
                   written: set[str], verdicts: Any = None) -> Reports:
    done = Reports()
    if not sources:
        return done
    from .context import ReportContext  # markdown and its extensions: only when there are reports (incr19)
    from .render import render_report
    metric_keys = sorted({k for r in runs for k in r.metrics})
    names: dict[str, str] = {}  # source stem -> page name
    for source in sources:
        base = name = report_name(source.stem)
        n = 1
        while name.lower() in {v.lower() for v in names.values()}:  # unique on case-insensitive disks too
            n += 1
            name = f"{base}-{n}"
        if n > 1:
            warnings.add(f"report {source.name}", f"name clash, written as {REPORTS_DIR}/{name}.html")
        names[source.stem] = name
    for source in sources:
        name = names[source.stem]
        page = f"{REPORTS_DIR}/{name}.html"
        ctx = ReportContext(out=out, page=page, name=name, env=writer.env, runs=runs,
                            metric_keys=metric_keys, presets=cfg.presets, written=written,
                            holes=not cfg.publish_url, linked=done.linked, made=done.made, verdicts=verdicts)
        rendered = render_report(source, folder, ctx, names)
        writer.write("report.html", page, {
            "title": cfg.title, "kind": "report",
            # the page runtime (assets/charts.js) needs every run's label and colour and the x options
            "site": pages.site_json(runs, runs, labels, page, "report", table=False),
            "has_charts": ctx.charts > 0,
            "report": {"name": name, "title": rendered.title, "description": rendered.description,
                       "source": source.name, "body": rendered.body, "problems": rendered.warnings},
        })
        warnings.extend(f"report {source.name}", rendered.warnings)
        done.pages.append(page)
        written.add(page)
        done.listed.append({"name": name, "title": rendered.title, "description": rendered.description,
                            "url": page, "warnings": len(rendered.warnings)})
    return done
