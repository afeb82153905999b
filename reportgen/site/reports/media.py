"""Directives that show logged objects: ``media`` (images, audio, video, html, tables at a
step) and ``custom`` (a ``vega_lite`` or ``custom_chart`` record, drawn with its data inline)."""
from __future__ import annotations

from typing import Any

from markupsafe import Markup

from ...storage.format import flatten
from .. import kinds
from ..exc_text import exc_text
from ..fmt import fmt_value
from ..urls import slug
from .context import ReportContext, finite_json
from .directives import Directive
from .select import describe, select_runs

ATTRS = {
    "media": {"key", "step", "runs", "run", "tags", "tag", "group", "project"},
    "custom": {"key", "step", "title", "runs", "run", "tags", "tag", "group", "project"},
}
MAX_RUNS = 12


def _warn(ctx: ReportContext, d: Directive, message: str) -> None:
    ctx.warnings.append(f"line {d.line}: {d.kind}: {message}")


def find_record(run: Any, key: str, step: str | None) -> tuple[Any, Any, str | None]:
    """``(record, step, problem)`` for ``key`` of one run.

    ``step`` is an integer, ``"last"`` (the default: the last row that logged the key)
    or ``"summary"``.
    """
    if step == "summary":
        value = flatten(run.summary).get(key)
        return (value, None, None) if value is not None else (None, None, f"no {key!r} in the summary")
    # The rows that logged media come with the builder's parsed history; the whole history is read
    # only for a key that never logged media there (to say what it is instead).
    rows = _rows_with(run.media_rows, key) or _rows_with(run.history, key)
    if step in (None, "", "last"):
        if rows:
            return rows[-1][1], rows[-1][0], None
        value = flatten(run.summary).get(key)
        if isinstance(value, dict) and "_type" in value:
            return value, None, None
        return None, None, f"{key!r} was never logged"
    try:
        want = int(step)
    except (TypeError, ValueError):
        return None, None, f'step="{step}": expected an integer, "last" or "summary"'
    for s, value in rows:
        if s == want:
            return value, s, None
    if not rows:
        return None, None, f"{key!r} was never logged"
    steps = [s for s, _ in rows]
    nearest = min(steps, key=lambda s: abs(s - want) if isinstance(s, (int, float)) else 1e18)
    return None, None, f"{key!r} has no entry at step {want} (logged at steps {_steps_text(steps)}; nearest {nearest})"


def _rows_with(history: list[dict[str, Any]], key: str) -> list[tuple[Any, Any]]:
    rows = []
    for i, r in enumerate(history):
        flat = r if key in r else flatten(r)
        if key in flat:
            rows.append((r.get("_step", i), flat[key]))
    return rows


def _steps_text(steps: list[Any]) -> str:
    return ", ".join(map(str, steps)) if len(steps) <= 6 else \
        ", ".join(map(str, steps[:3])) + ", …, " + ", ".join(map(str, steps[-2:]))


def _media_item(ctx: ReportContext, run: Any, key: str, record: Any, step: Any) -> dict[str, Any]:
    """The report entry of one run's ``record``: its kind (``kinds.Kind.report``) fills it in."""
    item: dict[str, Any] = {"run_label": run.label, "run_url": run.url, "color": run.color,
                            "step": step, "missing": None, "kind": "other", "files": [], "note": "",
                            "rows": [], "columns": [], "template": None}
    if not isinstance(record, dict) or "_type" not in record:
        item["note"] = f"{key} = {fmt_value(record)} (not a media object)"
        return item
    tag = record["_type"]
    items = record.get("items")
    records = (items if isinstance(items, list) else []) if tag == kinds.tags.GALLERY else [record]
    records = [r for r in records if isinstance(r, dict)]
    found = {str(r.get("_type")) for r in records}
    if tag == kinds.tags.GALLERY and len(found) == 1:
        tag = found.pop()
    kind = kinds.get(tag)
    if kind is None:
        item["note"] = f"{tag} objects are shown on the run page." if tag == kinds.tags.GALLERY else \
            f"unsupported ({tag})"
        return item
    item.update(kind=tag, template=kind.report_template)
    return kind.report(ctx, run, key, records, item)


def _key_and_runs(ctx: ReportContext, d: Directive, name: str, what: str):
    """``(key, runs, selection, None)`` for a directive naming a logged key, or a placeholder as the last item."""
    key = d.attrs.get("key")
    if not key:
        _warn(ctx, d, f'missing key="..." (the key the {what} was logged under)')
        return None, [], None, ctx.missing(f'{name.split()[0]}: missing key="..." in {d.raw}')
    runs, sel = select_runs(ctx.runs, d.attrs, ctx.defaults)
    if not runs:
        _warn(ctx, d, f"no run matches {describe(sel)}")
        return key, [], sel, ctx.missing(f"{name} {key}: no run matches {describe(sel)}")
    return key, runs, sel, None


def render_media(ctx: ReportContext, d: Directive) -> Markup:
    key, runs, sel, placeholder = _key_and_runs(ctx, d, "media", "media")
    if placeholder is not None:
        return placeholder
    if len(runs) > MAX_RUNS:
        _warn(ctx, d, f"{len(runs)} runs match {describe(sel)}; showing the first {MAX_RUNS}")
        runs = runs[:MAX_RUNS]
    items = []
    for run in runs:
        record, step, problem = find_record(run, key, d.attrs.get("step"))
        if problem:
            _warn(ctx, d, f"run {run.id}: {problem}")
            items.append({"run_label": run.label, "run_url": run.url, "color": run.color,
                          "step": None, "missing": f"{key}: {problem}", "kind": "missing"})
            continue
        item = _media_item(ctx, run, key, record, step)
        if item["missing"]:
            _warn(ctx, d, item["missing"])
        items.append(item)
    return ctx.render("partials/report_media.html", p={"key": key, "entries": items})


def resolve_spec(ctx: ReportContext, run: Any, record: dict) -> tuple[dict | None, str | None]:
    """A complete Vega-Lite spec with its data as the named dataset ``rows``: the kind's own
    spec (``kinds.charts``), so a report draws a record exactly as the run page does (``--presets``)."""
    from ..panels.sitefiles import MissingFile

    kind = kinds.get(record.get("_type"))
    rows = None
    try:
        spec = kind.spec(record, lambda p: ctx.read_run_json(run, p), ctx.presets)
    except MissingFile as exc:
        return None, exc_text(exc, run.path, ctx.out)
    except (ValueError, KeyError, TypeError, OSError) as exc:  # (the report shows it: no builder's paths)
        return None, f"unreadable chart files ({exc.__class__.__name__}: {exc_text(exc, run.path, ctx.out)})"
    if not isinstance(spec, dict):
        return None, "the spec is not a JSON object"
    from ..vegaclean import SpecRefused, clean_spec, removed_note, schema_needed

    try:
        spec, removed = clean_spec(spec)  # logged specs are data: nothing may reach outside the site
    except SpecRefused as exc:
        return None, str(exc)
    if removed:
        ctx.warnings.append(f"run {run.id}: {removed_note(removed)}")
    if not schema_needed(spec):  # a concat spec without it would be drawn as a Vega spec
        spec.pop("$schema", None)
    data = spec.get("data")
    if rows is None and isinstance(data, dict) and isinstance(data.get("values"), list):
        rows = data["values"]
    if rows is None and isinstance(data, dict) and isinstance(data.get("name"), str):
        rows = (spec.get("datasets") or {}).get(data["name"])
    if rows is None and data is not None:
        return None, "the spec's data is neither inline values nor a named dataset of the record"
    if rows is not None:
        datasets = dict(spec.get("datasets") or {})
        datasets["rows"] = rows
        spec["datasets"] = datasets
        spec["data"] = {"name": "rows"}
    return finite_json(spec), None


def _custom_record(run: Any, key: str, step: str | None) -> tuple[Any, str | None]:
    record, _, problem = find_record(run, key, step)
    if problem and step is None:  # charts are often logged once, into the summary
        record, _, summary_problem = find_record(run, key, "summary")
        if summary_problem is None:
            problem = None
    if problem:
        return None, problem
    kind = kinds.get(record.get("_type")) if isinstance(record, dict) else None
    if not (kind is not None and kind.chart):
        got = record.get("_type") if isinstance(record, dict) else type(record).__name__
        return None, f"{key!r} is a {got}, not a custom chart (vega_lite or custom_chart)"
    return record, None


def render_custom(ctx: ReportContext, d: Directive) -> Markup:
    key, runs, sel, placeholder = _key_and_runs(ctx, d, "custom chart", "chart")
    if placeholder is not None:
        return placeholder
    parts: list[Markup] = []
    lacking: list[str] = []
    for run in runs[:MAX_RUNS]:
        record, problem = _custom_record(run, key, d.attrs.get("step"))
        if problem:  # with several runs selected, runs without the chart are skipped
            lacking.append(f"run {run.id}: {problem}")
            continue
        spec, problem = resolve_spec(ctx, run, record)
        if spec is None:
            _warn(ctx, d, f"run {run.id}: {problem}")
            parts.append(ctx.missing(f"custom chart {key} of {run.label}: {problem}"))
            continue
        base = "vega-" + slug(f"{run.id}-{key}", keep="-", max_len=60, fallback="chart")
        vid, _ = ctx.unique_id(base)
        title = d.attrs.get("title") or record.get("title") or key
        parts.append(ctx.render("partials/report_custom.html",
                                v={"id": vid, "title": title, "run_label": run.label,
                                   "run_url": run.url, "spec": spec}))
    if not parts:
        for problem in lacking[:3]:
            _warn(ctx, d, problem)
        parts.append(ctx.missing(f"custom chart {key}: " + "; ".join(lacking[:3])))
    return Markup('<div class="rg-grid rg-report-custom">') + Markup("").join(parts) + Markup("</div>")
