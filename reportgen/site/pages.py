"""View-models for the pages: plain dicts and lists, no file access.

Every page gets ``site`` (embedded as JSON for the page runtime) and the chart
sections it shows. See docs/site.md for the contract.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from . import chartlayout, charts, story
from .clip import clip_key
from ..storage.format import flatten, is_system_key
from .fmt import fmt_duration, fmt_time, fmt_value, is_number
from . import run_stats, sweep_pages
from .overviews import shards
from .config import LITE_SAMPLES, MAX_COLUMNS, MAX_FULL_RUNS, PICKER_ROWS
from ..storage.safety import slug, unique_name
from .rundata import RunInfo, beyond_js, safe_name, summary_items, table_value
from .runs_data import created
from .smoothing import WEIGHTS
from .urls import rel, run_page



def project_page(folder: str) -> str:
    """The page of the project whose site folder is ``folder`` (:func:`project_folders`)."""
    return f"projects/{folder}/index.html"


def project_folders(names) -> dict[str, str]:
    """Each project's site folder: its :func:`safe_name`, unless that equals another project's but for
    case (``Mnist`` and ``mnist``: one folder on a case-insensitive file system, where one project's
    pages overwrote the other's); then a slug of the name plus 8 hex digits of its hash, whatever
    other projects the site has (unique as run keys are: ``unique_name``)."""
    folded = Counter(safe_name(n).lower() for n in set(names))
    seen: set[str] = set()
    return {n: unique_name(slug(n, keep="_.-", hashed=True) if folded[safe_name(n).lower()] > 1 else n, seen)
            for n in sorted(set(names))}


def order_runs(infos: list[RunInfo]) -> list[RunInfo]:
    return sorted(infos, key=lambda r: (r.project, r.meta.get("created") if is_number(r.meta.get("created")) else 0,
                                        r.id, r.file))


def labels_and_colors(runs: list[RunInfo]) -> dict[str, tuple[str, str]]:
    return {r.file: (label, color) for r, label, color in zip(runs, run_labels(runs), run_colors(runs))}


def run_labels(runs: list[RunInfo], width: int | None = None) -> list[str]:
    """Each run's label (``runs`` in site order): its name, or "name (id)" when other runs share the
    name. ``width`` (the Markdown summary's): a name longer than that is cut there with a hash of the
    whole name (``clip_key``: two names that differ past it stay apart), and a shared name is cut to
    leave room for its "(id)", so the id that tells the runs apart is always shown."""
    names = [r.name for r in runs]  # (each name once: a property reading run.json's meta, incr20)
    counts = Counter(names)
    if width is None:
        return [name if counts[name] == 1 else f"{name} ({r.id})" for r, name in zip(runs, names)]
    labels = []
    for r, name in zip(runs, names):
        suffix = "" if counts[name] == 1 else f" ({clip_key(r.id, width // 2)})"
        labels.append(clip_key(name, width - len(suffix)) + suffix)
    return labels


def run_colors(runs: list[RunInfo]) -> list[str]:
    """Each run's colour (``runs`` in site order). Runs take colours in the order they were
    created (``created``, as ``runs_data.default_drawn`` ranks the runs charts draw by default):
    each takes the least recently taken colour that none of the runs created just before it has
    -- the last ``len(PALETTE) // 2 - 1`` of the site and the last as many of its project. So the
    runs drawn by default (the 10 most recent) differ in colour on the index and on every project
    page, and a run keeps its colour when newer runs are added (it depends only on older ones).
    A site of one project cycles through the palette in start order."""
    from collections import deque

    palette = charts.PALETTE
    window = len(palette) // 2 - 1  # the site's and the project's: 2 x 9 < 20, a colour is always left

    # oldest first, ties in site order: a run added with the same start time (or none, as every run of
    # an import may have) comes after the others and changes no colour. The runs drawn by default
    # (created descending, ties in site order) are then consecutive here, but when they end inside a
    # second group of equal start times.
    order = sorted(range(len(runs)), key=lambda i: (created(runs[i]), i))
    lru = list(range(len(palette)))  # colours, the least recently taken first
    site: deque[int] = deque(maxlen=window)
    projects: dict[Any, deque[int]] = {}
    out = [""] * len(runs)
    for i in order:
        project = projects.get(runs[i].project)
        if project is None:
            project = projects[runs[i].project] = deque(maxlen=window)
        taken = set(site)
        taken.update(project)
        c = next(k for k in lru if k not in taken)
        lru.remove(c)
        lru.append(c)
        site.append(c)
        project.append(c)
        out[i] = palette[c]
    return out


def x_options(runs: list[RunInfo]) -> list[dict[str, str]]:
    step_label = "Step (or the metric's step_metric)" if any(getattr(r, "dx", None) for r in runs) else "Step"
    opts = [{"key": "_step", "label": step_label}]
    if any(r.has_runtime for r in runs):
        opts.append({"key": "_runtime", "label": "Relative time (s)"})
    if any(r.has_timestamp for r in runs):
        opts.append({"key": "_timestamp", "label": "Wall time"})
    for k in sorted(set().union(*(r.xkeys for r in runs))):
        opts.append({"key": k, "label": k})
    return opts


def chart_sections(runs: list[RunInfo], labels: dict[str, tuple[str, str]],
                   workspace=None, only: set[str] | None = None) -> list[dict[str, Any]]:
    """Charts of every numeric metric of ``runs`` (``only``: of those) in sections
    (``site/chartlayout.py``): the workspace file's sections first, then by key prefix, step
    counters last."""
    return chartlayout.chart_sections(runs, workspace, only)


def run_columns(r: RunInfo) -> tuple[list[str], list[str]]:
    """The runs-table columns one run has: summary keys (not media), config keys."""
    return ([k for k, v in flatten(r.summary).items() if not is_system_key(k) and not (isinstance(v, dict) and "_type" in v)],
            [k for k in flatten(r.config) if not is_system_key(k)])


def table_columns(runs: list[RunInfo], columns_of=run_columns) -> dict[str, list[str]]:
    per_run = [columns_of(r) for r in runs]
    # (set().union: the keys are gathered in C, 10,000 runs per rebuild, incr20)
    return {"summary": sorted(set().union(*[s for s, _ in per_run])),
            "config": sorted(set().union(*[c for _, c in per_run]))}


def _finite(v: Any) -> bool:
    return is_number(v) and math.isfinite(v)


def _duration(m: dict[str, Any]) -> float | None:
    created = m.get("created")
    end = m.get("heartbeat") or m.get("updated")
    if _finite(created) and _finite(end) and end >= created:
        return float(end - created)
    return None


def run_entry(r: RunInfo, labels, page: str, cols: dict[str, list[str]] | None) -> dict[str, Any]:
    label, color = labels[r.file]
    m = r.meta
    created = m.get("created")
    entry = {
        "f": r.file, "id": r.id, "name": r.name, "label": label, "color": color,
        "project": r.project, "group": str(m.get("group") or ""),
        "tags": [str(t) for t in m.get("tags") or []] if isinstance(m.get("tags"), list) else [],
        "state": r.status, "created": float(created) if _finite(created) else None,
        "duration": _duration(m), "url": rel(page, run_page(r.file)), "warn": len(r.warnings),
    }
    entry.update(story.index_fields(Path(r.path), r.meta, r.status))  # "why" it ended, alerts
    if cols is not None:
        s, c = flatten(r.summary), flatten(r.config)
        entry["s"] = {k: table_value(s[k]) for k in cols["summary"] if k in s}
        entry["c"] = {k: table_value(c[k]) for k in cols["config"] if k in c}
        # the columns (ids as assets/table-columns.js makes them) whose cell is an int given as its digits: a
        # number to the table (sorted and filtered as one), not text
        ints = [f"{kind}:{k}" for kind, vals, got in (("summary", s, entry["s"]), ("config", c, entry["c"]))
                for k in got if beyond_js(vals[k])]
        if ints:
            entry["ints"] = ints
        entry.update(run_stats.table_fields(r, cols["summary"]))  # min/max/last/best, sweep (groups16)
    return entry


def site_json(runs: list[RunInfo], all_runs: list[RunInfo], labels, page: str, kind: str,
              table: bool = True, workspace=None, memo=None, story_sigs=None,
              only: set[str] | None = None, columns_of=None) -> dict[str, Any]:
    """The page's site JSON. ``memo`` (memo.py): each run's columns and entry are made again only
    when what they are made from changed (``story_sigs``: the signature of each run's alerts etc.).
    ``only``: the runs to embed entries of (the others are in the table file); columns and x axes
    are still those of every run. ``columns_of(run)``: its table columns (kept by the caller), else
    kept in ``memo``."""
    if memo is None:
        cols = table_columns(runs) if table else None
        entries = [run_entry(r, labels, page, cols) for r in runs]
    else:
        cols = table_columns(runs, columns_of or (lambda r: memo.get("cols", r.file, memo.run_key(r),
                                                                      lambda: run_columns(r)))) if table else None
        folder, ckey = page.rsplit("/", 1)[0] if "/" in page else "", repr(cols)
        entries = [memo.get("entry", f"{folder}|{r.file}", (memo.run_key(r), (story_sigs or {}).get(r.file), labels[r.file], ckey),
                            lambda r=r: run_entry(r, labels, page, cols)) for r in runs if only is None or r.file in only]
    return {
        "kind": kind,
        "runs": entries,
        "cols": cols or {"summary": [], "config": []},
        "maxColumns": MAX_COLUMNS,
        "limits": {"maxFullRuns": MAX_FULL_RUNS, "liteSamples": LITE_SAMPLES, "pickerRows": PICKER_ROWS},
        "xopts": x_options(runs),
        "weights": list(WEIGHTS),
        "data": rel(page, "data/"),
        "compare": rel(page, "compare.html"),
        # the workspace file's page defaults (smooth, log, x, outliers); assets/chart-panel.js
        "chartDefaults": dict(workspace.defaults) if workspace is not None else {},
        # groups16: the sweep view over any selection of runs (sweeps/_all.html), when built
        "analyse": rel(page, p) if (p := sweep_pages.all_runs_page(len(all_runs))) else None,
        "ovShards": shards(len(all_runs)),  # overview files per metric (site/overviews.py, assets/loader.js)
    }


def meta_items(r: RunInfo, duration: str) -> list[tuple[str, str]]:
    m = r.meta
    items = [("id", r.id), ("project", r.project), ("state", r.status)]
    if m.get("created"):
        items.append(("started", fmt_time(m.get("created"))))
    if duration:
        items.append(("duration", duration))
    for key in ("group", "host", "python", "exit_code"):
        if m.get(key) not in (None, "", []):
            items.append((key, str(m[key])))
    if isinstance(m.get("tags"), list) and m["tags"]:
        items.append(("tags", ", ".join(map(str, m["tags"]))))
    if m.get("command"):
        cmd = m["command"]
        items.append(("command", " ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd)))
    git = m.get("git") or {}
    if isinstance(git, dict) and git.get("commit"):
        items.append(("git commit", f"{str(git.get('commit'))[:12]}{' (' + str(git['branch']) + ')' if git.get('branch') else ''}"
                                    f"{' dirty' if git.get('dirty') else ''}"))
    if m.get("notes"):
        items.append(("notes", str(m["notes"])))
    return items


def run_context(r: RunInfo, labels, page: str, project_url: str) -> dict[str, Any]:
    label, color = labels[r.file]
    duration = fmt_duration(_duration(r.meta))
    return {
        "run": {"file": r.file, "label": label, "color": color, "state": r.status, "warnings": r.warnings,
                "project": r.project, "project_url": project_url},
        "meta": meta_items(r, duration),
        "config": [(k, fmt_value(v)) for k, v in flatten(r.config).items()],
        "summary": summary_items(r.summary),
        "groups": r.groups,
    }


def projects(runs: list[RunInfo]) -> list[dict[str, Any]]:
    """Each project (in site order): its name, site folder (``dir``), page and run counts."""
    out: dict[str, dict[str, Any]] = {}
    for r in runs:
        project = r.project
        p = out.get(project)
        if p is None:  # (not a new dict per run: 10,000 runs, incr20)
            p = out[project] = {"name": project, "runs": 0, "finished": 0, "running": 0, "crashed": 0}
        p["runs"] += 1
        status = r.status
        if status in ("finished", "running", "crashed"):
            p[status] += 1
    folders = project_folders(out)
    for name, p in out.items():
        p["dir"] = folders[name]
        p["page"] = project_page(folders[name])
    return list(out.values())

