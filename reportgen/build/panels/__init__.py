"""Media and custom-chart panels of a run page (images, audio, tables, 3D, ...).

``run_panels(record, site)`` turns the media records of one run into panel
view-models for ``templates/partials/panels.html``; files are copied into the
site by the caller-provided :class:`PanelSite`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...storage.reader import RunRecord


@dataclass
class PanelSite:
    out: Path  # the site folder
    page: str  # site path of the page the panels go on


def run_panels(record: RunRecord, site: PanelSite) -> list[dict[str, Any]]:
    """Panel view-models for one run, in display order (none yet: media panels land with their issue)."""
    return []
