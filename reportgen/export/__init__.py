"""Exports of run folders other than the HTML site: the Markdown summary for CI (see docs/ci.md)."""
from .summary_md import SummaryOptions, SummaryResult, write_summary

__all__ = ["SummaryOptions", "SummaryResult", "write_summary"]
