"""Directives that show metrics: ``chart``, ``runs`` (a table) and ``value`` (inline)."""
from __future__ import annotations

import math
import re
from typing import Any

from markupsafe import Markup

from .. import charts
from ...storage.format import flatten, is_system_key
from ..fmt import fmt_time, fmt_value, is_number
from ..rundata import metric_id
from .context import ReportContext
from .directives import Directive
from .select import describe, match_keys, select_runs, split_list

ATTRS = {
    "chart": {"metric", "title", "runs", "run", "tags", "tag", "group", "project"},
    "runs": {"columns", "sort", "limit", "runs", "run", "tags", "tag", "group", "project"},
    "value": {"key", "format", "agg", "runs", "run", "tags", "tag", "group", "project"},
}
META_COLUMNS = {"name", "id", "state", "project", "group", "tags", "created"}
AGGREGATES = ("min", "max", "mean", "first", "last")


def _warn(ctx: ReportContext, d: Directive, message: str) -> None:
    ctx.warnings.append(f"line {d.line}: {d.kind}: {message}")


def render_chart(ctx: ReportContext, d: Directive) -> Markup:
    if not d.attrs.get("metric"):
        _warn(ctx, d, 'missing metric="..." (a metric key or glob)')
        return ctx.missing(f'chart: missing metric="..." in {d.raw}')
    patterns = split_list(d.attrs["metric"])
    runs, sel = select_runs(ctx.runs, d.attrs, ctx.defaults)
    if not runs:
        _warn(ctx, d, f"no run matches {describe(sel)}")
        return ctx.missing(f"chart: no run matches {describe(sel)}")
    keys = match_keys(ctx.metric_keys, patterns)
    present_keys = [k for k in keys if any(k in r.metrics for r in runs)]
    missing = []
    if not present_keys:
        msg = (f"no metric matches {', '.join(patterns)!s}" if not keys
               else f"the selected runs ({describe(sel)}) never logged {', '.join(patterns)}")
        _warn(ctx, d, msg)
        missing.append(f"chart: {msg}")
    vms = []
    for key in present_keys:
        present = [r for r in runs if key in r.metrics]
        mid = metric_id(key)
        dom_id, _ = ctx.unique_id(f"chart-{mid}")  # the same metric twice on a page: distinct elements
        title = d.attrs.get("title") or key
        if len(present_keys) > 1 and d.attrs.get("title"):
            title = f"{d.attrs['title']}: {key}"
        # the site's chart: data file data/runs/<run>.js, drawn by assets/charts.js
        vms.append({"id": mid, "dom_id": dom_id, "key": key, "runs": [r.file for r in present],
                    "nonfinite": sum(r.metrics[key].get("nonfinite", 0) for r in present), "note": "",
                    "spec": charts.metric_chart_spec(title)})
    ctx.charts += len(vms)
    return ctx.render("partials/report_charts.html", charts=vms, missing=missing)


def lookup(run: Any, column: str) -> tuple[bool, Any]:
    """Resolve a column/key for one run: meta names, ``config.X``, ``summary.X``, else summary then config."""
    if column in META_COLUMNS:
        meta = run.meta
        value = {"name": run.label, "id": run.id, "state": run.status, "project": run.project,
                 "group": meta.get("group") or "", "tags": ", ".join(map(str, meta.get("tags") or [])),
                 "created": fmt_time(meta.get("created"))}[column]
        return True, value
    summary, config = flatten(run.summary), flatten(run.config)
    for prefix, source in (("summary.", summary), ("config.", config)):
        if column.startswith(prefix):
            key = column[len(prefix):]
            return (key in source), source.get(key)
    if column in summary:
        return True, summary[column]
    if column in config:
        return True, config[column]
    return False, None


def _default_columns(runs: list[Any]) -> list[str]:
    keys = sorted({k for v in runs for k, val in flatten(v.summary).items()
                   if not is_system_key(k) and is_number(val)})
    return ["name", "state", *keys[:8]]


def render_runs(ctx: ReportContext, d: Directive) -> Markup:
    runs, sel = select_runs(ctx.runs, d.attrs, ctx.defaults)
    if not runs:
        _warn(ctx, d, f"no run matches {describe(sel)}")
        return ctx.missing(f"runs table: no run matches {describe(sel)}")
    columns = split_list(d.attrs["columns"]) if d.attrs.get("columns") else _default_columns(runs)
    if "name" not in columns:
        columns = ["name", *columns]
    for col in columns:
        if not any(lookup(v, col)[0] for v in runs):
            _warn(ctx, d, f"column {col!r} matches no summary or config key of the selected runs")
    rows = []
    for v in runs:
        cells = []
        for col in columns:
            found, val = lookup(v, col)
            sort = val if is_number(val) and math.isfinite(val) else (None if val in (None, "") else str(val))
            cells.append({"text": fmt_value(val) if found else "—", "sort": sort if found else None,
                          "link": col == "name"})
        rows.append({"id": v.file, "color": v.color, "url": v.url, "cells": cells})
    sort = d.attrs.get("sort")
    if sort:
        desc = sort.startswith("-")
        col = sort.lstrip("-+")
        if col in columns:
            i = columns.index(col)
            nums = [r for r in rows if is_number(r["cells"][i]["sort"])]
            rest = [r for r in rows if not is_number(r["cells"][i]["sort"])]
            nums.sort(key=lambda r: r["cells"][i]["sort"], reverse=desc)
            rest.sort(key=lambda r: str(r["cells"][i]["sort"] or ""), reverse=desc)
            rows = nums + rest
        else:
            _warn(ctx, d, f"sort column {col!r} is not one of the table's columns")
    if d.attrs.get("limit"):
        try:
            rows = rows[:max(0, int(d.attrs["limit"]))]
        except ValueError:
            _warn(ctx, d, f"limit: expected an integer, got {d.attrs['limit']!r}")
    labels = [{"label": c.split(".", 1)[1] if c.startswith(("config.", "summary.")) else c, "title": c}
              for c in columns]
    return ctx.render("partials/report_runs.html", t={"columns": labels, "rows": rows})


_FORMAT_RE = re.compile(r"^[<>=^]?[+\- ]?#?0?(\d*)[,_]?(?:\.(\d+))?[bdeEfFgGnoxX%]?$")
#: widest width and precision a report's format may ask for: format=".2000000000f" made one
#: directive a 2 GB string (seconds of CPU, and a 2 GB page); a few of them, a build killed for memory
MAX_FORMAT_DIGITS = 100


def format_value(value: Any, spec: str | None) -> str:
    """Format a summary value; ``spec`` is a Python format spec such as ``.3f`` or ``.1%``."""
    if spec and is_number(value) and math.isfinite(value):
        m = _FORMAT_RE.match(spec)
        if not m:
            raise ValueError(f'format="{spec}": expected a number format such as ".3f", ".1%" or ",d"')
        if any(g and int(g) > MAX_FORMAT_DIGITS for g in m.groups()):
            raise ValueError(f'format="{spec[:40]}": width and precision are at most {MAX_FORMAT_DIGITS}')
        if spec[-1:] in "bdoxX" and float(value).is_integer():
            value = int(value)
        try:
            return format(value, spec)
        except ValueError as exc:
            raise ValueError(f'format="{spec}": {exc}') from None
    return fmt_value(value)


def render_value(ctx: ReportContext, d: Directive) -> Markup:
    key = d.attrs.get("key")
    if not key:
        _warn(ctx, d, 'missing key="..." (a summary or config key)')
        return ctx.missing(f'value: missing key="..." in {d.raw}', inline=True)
    runs, sel = select_runs(ctx.runs, d.attrs, ctx.defaults)
    if not runs:
        _warn(ctx, d, f"no run matches {describe(sel)}")
        return ctx.missing(f"value {key}: no run matches {describe(sel)}", inline=True)
    found = [(v, val) for v in runs for ok, val in [lookup(v, key)] if ok]
    if not found:
        _warn(ctx, d, f"no selected run ({describe(sel)}) has {key!r} in its summary or config")
        return ctx.missing(f"value: no {key!r} in {describe(sel)}", inline=True)
    agg = d.attrs.get("agg")
    if agg is not None and agg not in AGGREGATES:
        _warn(ctx, d, f'agg="{agg}": expected one of {", ".join(AGGREGATES)}')
        return ctx.missing(f"value {key}: unknown agg {agg!r}", inline=True)
    if len(found) > 1 and agg is None:
        _warn(ctx, d, f"the selection ({describe(sel)}) matches {len(found)} runs; choose one run or add "
                      f"agg=\"max\" (one of {', '.join(AGGREGATES)})")
        return ctx.missing(f"value {key}: {len(found)} runs match; add agg=", inline=True)
    value = found[0][1]
    title = f"{key} of {found[0][0].label}"
    if agg and len(found) >= 1:
        numbers = [val for _, val in found if is_number(val) and math.isfinite(val)]
        if agg in ("first", "last"):
            v, value = found[0] if agg == "first" else found[-1]
            title = f"{key} of {v.label}"
        elif not numbers:
            _warn(ctx, d, f"agg={agg} needs numbers; {key!r} is not numeric")
            return ctx.missing(f"value {key}: not numeric", inline=True)
        else:
            value = {"min": min, "max": max, "mean": lambda xs: sum(xs) / len(xs)}[agg](numbers)
            title = f"{agg} of {key} over {len(numbers)} runs"
    try:
        text = format_value(value, d.attrs.get("format"))
    except ValueError as exc:
        _warn(ctx, d, str(exc))
        text = fmt_value(value)
    return ctx.render("partials/report_value.html", val={"text": text, "title": title})
