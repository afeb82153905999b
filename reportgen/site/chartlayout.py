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


def counters(runs: list[RunInfo]) -> set[str]:
    """Keys used as an x axis: monotone step-like counters and define_metric step metrics."""
    out: set[str] = set().union(*[getattr(r, "xkeys", ()) for r in runs])  # (in C: 10,000 runs, incr20)
    return out.union(*[d.values() for r in runs if (d := getattr(r, "dx", None))])


def tally(runs: list[RunInfo]) -> dict[str, tuple[list[str], int, int, set]]:
    """Per key: the runs showing it (site order), their points, their non-finite values, their step
    metrics for it.

    Runs that log the same keys with the same step metrics (at 10,000 runs, nearly all of them) are
    tallied together, their counts summed column by column (in C), from ``RunInfo.counts`` (which a
    run from the build snapshot has without unpacking its ``metrics``, incr20)."""
    groups: dict[tuple, list] = {}
    for r in runs:
        keys, ns, nfs = r.counts()
        dx = getattr(r, "dx", None)
        sig = (keys, tuple(dx.items()) if dx else ())
        g = groups.get(sig)
        if g is None:
            g = groups[sig] = [[], [], []]
        g[0].append(r.file)
        g[1].append(ns)
        g[2].append(nfs)
    acc: dict[str, list] = {}
    for (keys, dx_items), (files, ns, nfs) in groups.items():
        dx = dict(dx_items)
        for key, n, nf in zip(keys, map(sum, zip(*ns)), map(sum, zip(*nfs))):
            a = acc.get(key)
            if a is None:
                a = acc[key] = [[], 0, 0, set()]
            a[0].append(files)
            a[1] += n
            a[2] += nf
            a[3].add(dx.get(key))
    if len(groups) > 1:  # each key's runs back in site order (several groups may show it)
        order = {r.file: i for i, r in enumerate(runs)}
    out: dict[str, tuple[list[str], int, int, set]] = {}
    for k, a in acc.items():
        parts = a[0]
        files = parts[0] if len(parts) == 1 else sorted((f for p in parts for f in p), key=order.__getitem__)
        out[k] = (files, a[1], a[2], a[3])
    return out


def chart_vm(key: str, runs: list[RunInfo], lower: dict[str, list[str]], *, title: str | None = None,
             tallied: dict[str, tuple] | None = None) -> dict[str, Any]:
    """A metric chart's view-model (``tallied``: :func:`tally` of ``runs``, made once per page)."""
    files, points, nonfinite, found = (tallied if tallied is not None else tally(runs)).get(key, ([], 0, 0, set()))
    twins = [k for k in lower.get(key.lower(), []) if k != key]
    return {
        "id": metric_id(key), "key": key,
        "runs": list(files),
        "points": points,
        "note": (f"Not merged with {', '.join(twins)} (names differ only in case)" if twins else ""),
        "nonfinite": nonfinite,
        "spec": charts.metric_chart_spec(title or key),
        "dx": next(iter(found)) if len(found) == 1 else None,
        # workspace panels only (_panel_vm): element id, name in the URL, overlaid keys, settings
        "dom_id": None, "panel": None, "overlay": None, "settings": None,
    }


def _panel_vm(p: Panel, runs: list[RunInfo], lower, seen: dict[str, int],
              tallied: dict[str, tuple] | None = None) -> dict[str, Any] | None:
    tallied = tallied if tallied is not None else tally(runs)
    keys = [k for k in p.keys if k in tallied]
    if not keys:
        return None
    if len(keys) == 1:
        vm = chart_vm(keys[0], runs, lower, title=p.title, tallied=tallied)
    else:
        parts = [chart_vm(k, runs, lower, tallied=tallied) for k in keys]
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


def site_metrics(runs: list[RunInfo], cap: int) -> tuple[set[str] | None, int]:
    """The metrics the all-runs pages chart when ``runs`` log more than ``cap`` of them: those logged
    by the most runs (then by name); None when all of them are. Also how many there are."""
    count: dict[str, int] = {}
    for r in runs:
        for key in r.counts()[0]:
            count[key] = count.get(key, 0) + 1
    if len(count) <= cap:
        return None, len(count)
    return set(sorted(count, key=lambda k: (-count[k], k))[:cap]), len(count)


def chart_sections(runs: list[RunInfo], workspace: Workspace | None = None,
                   only: set[str] | None = None) -> list[dict[str, Any]]:
    """Charts of every numeric metric of ``runs`` (``only``: of those): workspace sections, then by
    key prefix, counters last."""
    tallied = tally(runs)
    if only is not None:
        tallied = {k: v for k, v in tallied.items() if k in only}
    keys = sorted(tallied)
    lower: dict[str, list[str]] = {}
    for k in keys:
        lower.setdefault(k.lower(), []).append(k)
    out: list[dict[str, Any]] = []
    placed: set[str] = set()
    seen: dict[str, int] = {}
    for sec in (workspace.sections if workspace else []):
        vms = [vm for vm in (_panel_vm(p, runs, lower, seen, tallied) for p in sec.panels) if vm is not None]
        placed |= {p.keys[0] for p in sec.panels if len(p.keys) == 1}
        if vms:
            out.append({"name": sec.name, "charts": vms})
    steps = counters(runs)
    auto: dict[str, list] = {}
    last: list = []
    for key in keys:
        if key in placed:
            continue
        (last if key in steps else auto.setdefault(_section(key), [])).append(
            chart_vm(key, runs, lower, tallied=tallied))
    out += [{"name": n, "charts": cs} for n, cs in sorted(auto.items(), key=lambda kv: _section_order(kv[0]))]
    if last:
        out.append({"name": COUNTERS, "charts": last})
    return out
