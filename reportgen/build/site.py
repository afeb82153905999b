"""``build(config)``: the one entry point used by ``reportgen build`` and ``reportgen serve``."""
from __future__ import annotations

import hashlib
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..storage.jsonio import dumps
from . import charts
from .assets import write_assets
from .collect import (RunView, fmt_duration, fmt_time, fmt_value, flatten, is_number, load_runs,
                      numeric_series)
from .config import BuildConfig
from .downsample import downsample
from .panels import PanelSite, run_panels, write_compare_pages
from .render import PageWriter, make_env
from .urls import run_page


@dataclass
class BuildResult:
    out: Path
    runs: int = 0
    metrics: int = 0
    pages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 0


def _metric_id(key: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in key).strip("-")[:40] or "metric"
    return f"{safe}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"


def _unique_labels(records) -> list[str]:
    names = [r.name for r in records]
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return [n if counts[n] == 1 else f"{n} ({r.id})" for n, r in zip(names, records)]


def _section(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else "Charts"


def _log(cfg: BuildConfig, msg: str) -> None:
    if not cfg.quiet:
        print(msg, file=sys.stderr)


def _write_data_js(out: Path, rel_path: str, chart_id: str, payload: dict[str, Any]) -> None:
    target = out / rel_path
    target.parent.mkdir(parents=True, exist_ok=True)
    # NaN/Infinity tokens are valid JavaScript literals, so non-finite values survive.
    body = dumps(payload).decode("utf-8")
    target.write_text(f"RG.receive({dumps(chart_id).decode()},{body});\n", encoding="utf-8")


def build(cfg: BuildConfig) -> BuildResult:
    t0 = time.perf_counter()
    out = cfg.out
    result = BuildResult(out)
    if not cfg.runs.exists():
        raise FileNotFoundError(f"runs folder {str(cfg.runs)!r} does not exist")
    out.mkdir(parents=True, exist_ok=True)
    records = load_runs(cfg.runs)
    records.sort(key=lambda r: (r.project, r.meta.get("created") or 0, r.id))
    labels = _unique_labels(records)
    views = [RunView(rec, i, labels[i], charts.run_color(i), numeric_series(rec.history))
             for i, rec in enumerate(records)]
    for v in views:
        for w in v.record.warnings:
            result.warnings.append(f"run {v.id}: {w}")

    metric_keys = sorted({k for v in views for k in v.series})
    write_assets(out)
    shutil.rmtree(out / "data", ignore_errors=True)

    chart_vms = []
    for key in metric_keys:
        cid = _metric_id(key)
        data_path = f"data/metrics/{cid}.js"
        runs_payload = []
        for v in views:
            s = v.series.get(key)
            if s is None:
                continue
            x, y = downsample(s.steps, s.values, cfg.samples)
            runs_payload.append({"id": v.id, "label": v.label, "x": x.tolist(), "y": y.tolist()})
        _write_data_js(out, data_path, cid, {"key": key, "runs": runs_payload})
        present = [v for v in views if key in v.series]
        chart_vms.append({
            "id": cid, "key": key, "section": _section(key), "data": data_path,
            "run_ids": [v.id for v in present],
            "spec": charts.line_chart_spec(key, [v.label for v in present], [v.color for v in present]),
        })

    sections: dict[str, list] = {}
    for c in chart_vms:
        sections.setdefault(c["section"], []).append(c)
    section_list = [{"name": name, "charts": cs} for name, cs in sorted(sections.items(), key=lambda kv: (kv[0] != "Charts", kv[0]))]

    summary_cols = sorted({k for v in views for k, val in flatten(v.record.summary).items()
                           if not k.startswith("_") and (is_number(val) or isinstance(val, (str, bool)))})
    config_cols = sorted({k for v in views for k in flatten(v.record.config)})
    run_rows = [_run_row(v, summary_cols, config_cols) for v in views]

    env = make_env()
    writer = PageWriter(env, out, cfg.extra_head)
    common = {"title": cfg.title, "generated": "reportgen"}
    writer.write("index.html", "index.html", {
        **common, "runs": run_rows, "summary_cols": summary_cols, "config_cols": config_cols,
        "sections": section_list,
    })
    result.pages.append("index.html")
    panel_sites = {v.id: PanelSite(out, run_page(v.id), presets=cfg.presets) for v in views}
    panels_by_run = {v.id: run_panels(v.record, panel_sites[v.id]) for v in views}
    result.pages.extend(write_compare_pages(writer, common, [(v.id, v.label, panels_by_run[v.id]) for v in views]))
    for v in views:
        result.warnings.extend(f"run {v.id}: {w}" for w in panel_sites[v.id].warnings)
    for v, row in zip(views, run_rows):
        page = run_page(v.id)
        own = []
        for c in chart_vms:
            if v.id in c["run_ids"]:
                own.append({**c, "run_ids": [v.id],
                            "spec": charts.line_chart_spec(c["key"], [v.label], [v.color])})
        own_sections: dict[str, list] = {}
        for c in own:
            own_sections.setdefault(c["section"], []).append(c)
        writer.write("run.html", page, {
            **common, "run": row,
            "config": [(k, fmt_value(val)) for k, val in flatten(v.record.config).items()],
            "summary": [(k, fmt_value(val)) for k, val in flatten(v.record.summary).items() if not k.startswith("_")],
            "meta": _meta_items(v),
            "sections": [{"name": n, "charts": cs} for n, cs in sorted(own_sections.items(), key=lambda kv: (kv[0] != "Charts", kv[0]))],
            "panels": panels_by_run[v.id],
        })
        result.pages.append(page)

    result.runs = len(views)
    result.metrics = len(metric_keys)
    result.seconds = time.perf_counter() - t0
    for w in result.warnings:
        _log(cfg, f"warning: {w}")
    _log(cfg, f"built {result.runs} runs, {result.metrics} metrics, {len(result.pages)} pages "
              f"into {out} in {result.seconds:.1f}s")
    return result


def _run_row(v: RunView, summary_cols: list[str], config_cols: list[str]) -> dict[str, Any]:
    m = v.meta
    created = m.get("created")
    end = m.get("heartbeat") or m.get("updated")
    duration = (end - created) if is_number(created) and is_number(end) else None
    summary = flatten(v.record.summary)
    config = flatten(v.record.config)

    def cell(val: Any) -> dict[str, Any]:
        sort = val if is_number(val) and np.isfinite(val) else (None if val is None else str(val))
        return {"text": "" if val is None else fmt_value(val), "sort": sort}

    return {
        "id": v.id, "name": v.record.name, "label": v.label, "color": v.color,
        "project": v.record.project, "state": v.record.state,
        "group": m.get("group") or "", "tags": m.get("tags") or [],
        "created": fmt_time(created), "created_ts": created if is_number(created) else None,
        "duration": fmt_duration(duration), "duration_s": duration,
        "url": run_page(v.id), "warnings": v.record.warnings,
        "summary": [cell(summary.get(k)) for k in summary_cols],
        "config": [cell(config.get(k)) for k in config_cols],
    }


def _meta_items(v: RunView) -> list[tuple[str, str]]:
    m = v.meta
    items = [("id", v.id), ("project", v.record.project), ("state", v.record.state),
             ("created", fmt_time(m.get("created")))]
    for key in ("group", "host", "python", "exit_code"):
        if m.get(key) not in (None, "", []):
            items.append((key, str(m[key])))
    if m.get("tags"):
        items.append(("tags", ", ".join(map(str, m["tags"]))))
    if m.get("command"):
        cmd = m["command"]
        items.append(("command", " ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd)))
    git = m.get("git") or {}
    if isinstance(git, dict) and git.get("commit"):
        items.append(("git", f"{git.get('commit', '')[:12]} {git.get('branch') or ''}{' (dirty)' if git.get('dirty') else ''}"))
    if m.get("notes"):
        items.append(("notes", str(m["notes"])))
    return items
