"""What directive renderers need from the build: runs, metric charts, the page and the site folder.

``views`` are the builder's ``RunView`` objects (``.id``, ``.label``, ``.color``,
``.record`` (a ``RunRecord``), ``.series`` {metric: Series}); ``chart_vms`` are the
builder's metric-chart view-models ``{id, key, data, run_ids, spec}`` whose data
files (``RG.receive(id, payload)``) are already written into the site.
"""
from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from markupsafe import Markup

from ..build.urls import rel


@dataclass
class ReportContext:
    out: Path  # the site folder
    page: str  # site path of the report page, e.g. "reports/sweep.html"
    name: str  # report name (the page's stem)
    env: Any  # the Jinja environment
    views: list[Any]
    charts_by_key: dict[str, dict[str, Any]]
    defaults: dict[str, Any] = field(default_factory=dict)  # front-matter run selection
    warnings: list[str] = field(default_factory=list)
    used_ids: dict[str, int] = field(default_factory=dict)

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

    def copy_run_file(self, run: Any, rel_path: Any) -> str | None:
        """Copy ``rel_path`` (relative to the run folder) into the site; return its site path.

        ``None`` when the path is unsafe (absolute, ``..``) or the file does not exist.
        """
        if not isinstance(rel_path, str) or not rel_path:
            return None
        p = PurePosixPath(rel_path.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or not p.parts:
            return None
        src = Path(run.record.path) / Path(*p.parts)
        if not src.is_file():
            return None
        site_path = f"media/{run.id}/{p.as_posix()}"
        dest = self.out / site_path
        if not dest.exists() or dest.stat().st_size != src.stat().st_size:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        return site_path


def finite_json(value: Any) -> Any:
    """A copy with NaN/±Infinity replaced by None (Vega specs are plain JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(v) for v in value]
    return value


Renderer = Callable[[ReportContext, Any], Markup]
