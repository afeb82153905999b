"""``build_reports``: every ``*.md`` in the reports folder becomes ``reports/<name>.html``.

Called once by the site builder (reportgen/build/site.py) on every build, after the
metric data files are written and before ``index.html`` (which lists the reports).
Reports are always re-rendered: they are few and may reference any run. Problems
are build warnings, never exceptions.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..build import pages
from ..storage.safety import is_inside
from .context import ReportContext, ReportRun
from .render import render_report

REPORTS_DIR = "reports"


def reports_source(cfg: Any) -> Path:
    """``--reports DIR``, else ``RUNS/reports``."""
    return Path(cfg.reports) if getattr(cfg, "reports", None) else Path(cfg.runs) / REPORTS_DIR


def report_name(stem: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")[:100] or "report"


def find_reports(folder: Path, warnings: list[str] | None = None) -> list[Path]:
    """``*.md`` in ``folder``; a file that is a link to somewhere outside it is skipped (warned)."""
    if not folder.is_dir():
        return []
    out = []
    for p in sorted(folder.glob("*.md")):
        if not p.is_file():
            continue
        if not is_inside(folder, p):
            if warnings is not None:
                warnings.append(f"report {p.name}: a link to a file outside the reports folder (skipped)")
            continue
        out.append(p)
    return out


def build_reports(cfg: Any, runs: list[Any], labels: dict[str, tuple[str, str]], writer: Any,
                  result: Any, manifest: Any = None) -> list[dict[str, Any]]:
    """Write the report pages; return ``[{name, title, description, url, warnings}]`` for the index.

    ``runs`` are the builder's ``RunInfo`` in site order, ``labels`` maps run file -> (label, colour)."""
    out = Path(cfg.out)
    folder = reports_source(cfg)
    if not getattr(cfg, "reports", None) and folder.is_dir() and not is_inside(cfg.runs, folder):
        result.warnings.append(f"{REPORTS_DIR}: a link to a folder outside the runs folder (skipped)")
        sources = []
    else:
        sources = find_reports(folder, result.warnings)
    written: set[str] = set()  # site paths written now: pages and copied images
    listed = _write_reports(cfg, sources, folder, out, runs, labels, writer, result, written)
    if manifest is not None:  # pages and images of reports that are gone (only files reportgen wrote)
        for rel in manifest.owned_under(REPORTS_DIR):
            if rel not in written:
                manifest.remove(rel)
    return listed


def _write_reports(cfg: Any, sources: list[Path], folder: Path, out: Path, runs: list[Any],
                   labels: dict[str, tuple[str, str]], writer: Any, result: Any,
                   written: set[str]) -> list[dict[str, Any]]:
    if not sources:
        return []
    report_runs = [ReportRun(r, *labels[r.file]) for r in runs]
    metric_keys = sorted({k for r in runs for k in r.metrics})
    listed: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # source stem -> page name
    for source in sources:
        base = name = report_name(source.stem)
        n = 1
        while name in names.values():
            n += 1
            name = f"{base}-{n}"
        if n > 1:
            result.warnings.append(f"report {source.name}: name clash, written as {REPORTS_DIR}/{name}.html")
        names[source.stem] = name
    for source in sources:
        name = names[source.stem]
        page = f"{REPORTS_DIR}/{name}.html"
        ctx = ReportContext(out=out, page=page, name=name, env=writer.env, runs=report_runs,
                            metric_keys=metric_keys, written=written)
        rendered = render_report(source, folder, ctx, names)
        writer.write("report.html", page, {
            "title": getattr(cfg, "title", "reportgen"), "kind": "report",
            # the page runtime (assets/charts.js) needs every run's label and colour and the x options
            "site": pages.site_json(runs, runs, labels, page, "report", table=False),
            "has_charts": ctx.charts > 0,
            "report": {"name": name, "title": rendered.title, "description": rendered.description,
                       "source": source.name, "body": rendered.body, "problems": rendered.warnings},
        })
        for w in rendered.warnings:
            result.warnings.append(f"report {source.name}: {w}")
        result.pages.append(page)
        written.add(page)
        listed.append({"name": name, "title": rendered.title, "description": rendered.description,
                       "url": page, "warnings": len(rendered.warnings)})
    return listed
