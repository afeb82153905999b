"""Which metric charts a page shows, in which sections and order (the ``sections`` view-model).

* The workspace file's sections first (``site/workspace.py``): its panels in its order, one key
  or several keys overlaid, each with its title and settings (the page's defaults for that panel).
* Then one chart per remaining numeric key, grouped by key prefix ("Charts" for keys without
  '/'), sections sorted by name.
* Step counters last, in their own section: the x-axis columns of the runs (monotone counters
  named like ``epoch``, ``global_step``, ``trainer/global_step``, or a define_metric
  step_metric) -- as lines they only show that a counter counts.
"""
from __future__ import annotations

from typing import Any

from . import charts
from .rundata import RunInfo, metric_id
from .workspace import Panel, Workspace

COUNTERS = "Step counters"


def _section(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else "Charts"


def _section_order(name: str) -> tuple[bool, str]:
    return (name != "Charts", name.lower())


def default_x(key: str, runs: list[RunInfo]) -> str | None:
    """The step_metric the runs showing ``key`` agree on (None when they differ or have none)."""
    found = {getattr(r, "dx", {}).get(key) for r in runs}
    return found.pop() if len(found) == 1 else None


def counters(runs: list[RunInfo]) -> set[str]:
    """Keys used as an x axis: monotone step-like counters and define_metric step metrics."""
    out = {k for r in runs for k in getattr(r, "xkeys", [])}
    out |= {v for r in runs for v in getattr(r, "dx", {}).values()}
    return out


def chart_vm(key: str, runs: list[RunInfo], lower: dict[str, list[str]], *, title: str | None = None) -> dict[str, Any]:
    present, points, nonfinite = [], 0, 0
    for r in runs:  # one pass (10,000 runs per chart on an index)
        m = r.metrics.get(key)
        if m is not None:
            present.append(r)
            points += m["n"]
            nonfinite += m["nonfinite"]
    twins = [k for k in lower.get(key.lower(), []) if k != key]
    return {
        "id": metric_id(key), "key": key,
        "runs": [r.file for r in present],
        "points": points,
        "note": (f"Not merged with {', '.join(twins)} (names differ only in case)" if twins else ""),
        "nonfinite": nonfinite,
        "spec": charts.metric_chart_spec(title or key),
        "dx": default_x(key, present),
        # workspace panels only (_panel_vm): element id, name in the URL, overlaid keys, settings
        "dom_id": None, "panel": None, "overlay": None, "settings": None,
    }


def _panel_vm(p: Panel, runs: list[RunInfo], lower, seen: dict[str, int]) -> dict[str, Any] | None:
    keys = [k for k in p.keys if any(k in r.metrics for r in runs)]
    if not keys:
        return None
    if len(keys) == 1:
        vm = chart_vm(keys[0], runs, lower, title=p.title)
    else:
        parts = [chart_vm(k, runs, lower) for k in keys]
        vm = {**parts[0], "key": "+".join(keys),
              "overlay": [{"key": k, "id": c["id"], "runs": c["runs"]} for k, c in zip(keys, parts)],
              "runs": sorted({f for c in parts for f in c["runs"]}),
              "points": sum(c["points"] for c in parts), "note": "",
              "nonfinite": sum(c["nonfinite"] for c in parts),
              "spec": charts.metric_chart_spec(p.title or " + ".join(keys))}
    name = "+".join(keys)
    seen[name] = seen.get(name, 0) + 1
    vm["panel"] = name if seen[name] == 1 else f"{name}#{seen[name]}"
    vm["dom_id"] = f"chart-{vm['id']}" + ("" if len(keys) == 1 and seen[name] == 1 else f"-p{sum(seen.values())}")
    vm["settings"] = p.settings or None
    return vm


def chart_sections(runs: list[RunInfo], workspace: Workspace | None = None) -> list[dict[str, Any]]:
    """Charts of every numeric metric of ``runs``: workspace sections, then by key prefix, counters last."""
    keys = sorted({k for r in runs for k in r.metrics})
    lower: dict[str, list[str]] = {}
    for k in keys:
        lower.setdefault(k.lower(), []).append(k)
    out: list[dict[str, Any]] = []
    placed: set[str] = set()
    seen: dict[str, int] = {}
    for sec in (workspace.sections if workspace else []):
        vms = [vm for vm in (_panel_vm(p, runs, lower, seen) for p in sec.panels) if vm is not None]
        placed |= {p.keys[0] for p in sec.panels if len(p.keys) == 1}
        if vms:
            out.append({"name": sec.name, "charts": vms})
    steps = counters(runs)
    auto: dict[str, list] = {}
    last: list = []
    for key in keys:
        if key in placed:
            continue
        (last if key in steps else auto.setdefault(_section(key), [])).append(chart_vm(key, runs, lower))
    out += [{"name": n, "charts": cs} for n, cs in sorted(auto.items(), key=lambda kv: _section_order(kv[0]))]
    if last:
        out.append({"name": COUNTERS, "charts": last})
    return out
