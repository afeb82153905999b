"""Markdown reports: front matter, ``{{< directive >}}`` panels, sanitised HTML (see docs/reports.md)."""
from .build import build_reports

__all__ = ["build_reports"]
