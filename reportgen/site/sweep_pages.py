"""Sweep pages: ``sweeps/<id>.html`` for every sweep id found in the runs' run.json.

Each page shows, for a chosen summary metric: parameter importance (random-forest
importance + correlation, computed here at build time, see reportgen.sweeps.importance),
parallel coordinates of the sweep's parameters to the metric, a scatter of any parameter
or metric against another (drag a box on it to filter the runs table below), and the
runs table. Charts are Vega-Lite specs built here; assets/sweep.js swaps fields when the
reader picks another metric or axis. The sweep's own folder (``<runs>/sweeps/<id>/``,
written by the agent) adds its name, method and metric; it is read as untrusted input.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ..storage.safety import MAX_LINE, is_inside, reading_inside
from ..storage import format as fmt
from ..storage.jsonio import read_json
from ..storage.format import SUMMARY_OPS, flatten, is_system_key
from .fmt import fmt_value
from .run_stats import goals
from .urls import run_page

MAX_IMPORTANCE_METRICS = 8
ALL_ID = "_all"  # the page over all runs (no sweep id can start with "_")
ALL_RUNS_RANGE = (3, 1000)  # the all-runs page is built for this many runs (importance needs 3)
MAX_ALL_PARAMS = 16  # config keys that vary, on the all-runs page
# at most, on a sweep page (its selects, its table and its data hold every one, for every run: a run
# with 60,000 summary keys made a 49 MB page for 12 runs); the metrics most runs have are kept
MAX_SWEEP_METRICS = 100
MAX_SWEEP_PARAMS = 10_000  # (a sweep config's own list: a grid over 5,000 is shown whole)


def all_runs_page(n_runs: int) -> str | None:
    """``sweeps/_all.html`` (the sweep view over any selection of runs) if built for ``n_runs``."""
    lo, hi = ALL_RUNS_RANGE
    return page_of(ALL_ID) if lo <= n_runs <= hi else None


def page_of(sweep_id: str) -> str:
    return f"sweeps/{sweep_id}.html"


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _sweep_file(runs_root: Path, sweep_id: str) -> dict[str, Any]:
    path = Path(runs_root) / "sweeps" / sweep_id / "sweep.json"
    try:  # untrusted: never read through a link that leaves the runs root, nor more than a run.json
        # (a sparse 8 GiB sweep.json, a few KB in a zip, was read whole)
        # (checked where it really is when opened too: a folder swapped for a link out since the check)
        with reading_inside(runs_root, runs_root):
            data = read_json(path, MAX_LINE) if path.is_file() and is_inside(runs_root, path) else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _definition(sid: str, info: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[str]]:
    """``(info, its config, the config's metric, problems)`` of a sweep.json, each value of the wrong
    kind left out with a problem naming the file and the key (sweep.json is untrusted: a metric name
    that was a list stopped the whole build with "TypeError: unhashable type: 'list'")."""
    problems: list[str] = []

    def block(parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key)
        if value is not None and not isinstance(value, dict):
            problems.append(f"sweeps/{sid}/sweep.json: {where}: expected an object, got {type(value).__name__}; ignored")
        return dict(value) if isinstance(value, dict) else {}

    def text(parent: dict[str, Any], key: str, where: str) -> None:
        value = parent.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"sweeps/{sid}/sweep.json: {where}: expected a string, got {type(value).__name__}; ignored")
            del parent[key]

    info = dict(info)
    cfg = block(info, "config", "config")
    metric = block(cfg, "metric", "config.metric")
    text(info, "name", "name")
    text(cfg, "method", "config.method")
    text(metric, "name", "config.metric.name")
    text(metric, "goal", "config.metric.goal")
    return info, cfg, metric, problems


def _param_keys(cfg: dict[str, Any], configs: list[dict[str, Any]]) -> list[str]:
    """Flattened config keys of the sweep's parameters (else every key that varies)."""
    def walk(block: Any, prefix: str) -> list[str]:
        out: list[str] = []
        if isinstance(block, dict):
            for name, spec in block.items():
                if isinstance(spec, dict) and isinstance(spec.get("parameters"), dict):
                    out += walk(spec["parameters"], f"{prefix}{name}/")
                elif isinstance(spec, dict) and "value" not in spec:
                    out.append(f"{prefix}{name}")
        return out

    keys = walk(cfg.get("parameters"), "") if isinstance(cfg, dict) else []
    if keys:
        return keys
    seen: dict[str, set] = {}
    for c in configs:
        for k, v in c.items():
            seen.setdefault(k, set()).add(fmt_value(v))
    return sorted(k for k, vals in seen.items() if len(vals) > 1 and not is_system_key(k))  # "_lr", "__proto__" too


def _norm(values: list[Any]) -> list[float | None]:
    """Each value on [0, 1] along its axis: numbers by range, other values by sorted rank."""
    nums = [v for v in values if _number(v)]
    if nums and len(nums) == sum(v is not None for v in values):
        lo, hi = min(nums), max(nums)
        if math.isinf(hi - lo):  # values near ±1e308: the span is no number (inf / inf made NaN, and the
            # page's JSON refused it: the build stopped), its halves are (the same quotient, exactly)
            return [None if v is None else (v / 2 - lo / 2) / (hi / 2 - lo / 2) for v in values]
        return [None if v is None else (0.5 if hi == lo else (v - lo) / (hi - lo)) for v in values]
    labels = sorted({fmt_value(v) for v in values if v is not None})
    pos = {lbl: (i / (len(labels) - 1) if len(labels) > 1 else 0.5) for i, lbl in enumerate(labels)}
    return [None if v is None else pos[fmt_value(v)] for v in values]


def collect(runs_root: Path, runs: list) -> list[dict[str, Any]]:
    """One view-model per sweep id (runs in build order), for the sweep pages."""
    by_sweep: dict[str, list] = {}
    for r in runs:
        sid = r.meta.get("sweep_id")
        if isinstance(sid, str):
            try:
                by_sweep.setdefault(fmt.validate_run_id(sid), []).append(r)
            except ValueError:
                continue
    out = []
    groups = sorted(by_sweep.items())
    if all_runs_page(len(runs)):
        groups.append((ALL_ID, list(runs)))
    for sid, members in groups:
        info = _sweep_file(runs_root, sid) if sid != ALL_ID else {"name": "All runs"}
        info, cfg, metric, problems = _definition(sid, info)
        configs = [flatten(r.config) for r in members]
        summaries = [flatten(r.summary) for r in members]
        params = _param_keys(cfg, configs)
        cut = {"params": max(0, len(params) - MAX_SWEEP_PARAMS)}
        params = params[:MAX_ALL_PARAMS if sid == ALL_ID else MAX_SWEEP_PARAMS]
        counts: dict[str, int] = {}
        for s in summaries:
            for k, v in s.items():
                if _number(v) and not is_system_key(k):
                    counts[k] = counts.get(k, 0) + 1
        metrics = sorted(counts)
        # (by default the first metric by name, one of the user's _-prefixed ones only when there is no other)
        chosen = metric.get("name") if metric.get("name") in counts else \
            next((m for m in metrics if not m.startswith("_")), metrics[0] if metrics else None)
        if len(metrics) > MAX_SWEEP_METRICS:
            kept = set(sorted(metrics, key=lambda k: (k != chosen, -counts[k], k))[:MAX_SWEEP_METRICS])
            cut["metrics"] = len(metrics) - len(kept)
            metrics = [k for k in metrics if k in kept]
        if chosen in metrics:
            metrics.remove(chosen)
            metrics.insert(0, chosen)
        # a parameter and a metric of one name (the demo's learning_rate, a config value and a logged
        # schedule) are two columns: their fields are kept apart, p<i> and m<i>
        fields = {"params": {k: f"p{i}" for i, k in enumerate(params)},
                  "metrics": {k: f"m{i}" for i, k in enumerate(metrics)}}
        rows = []
        for r, c, s in zip(members, configs, summaries):
            row = {"id": r.id, "f": r.file, "name": r.name, "page": run_page(r.file), "state": r.state,
                   "early": bool(r.meta.get("early_terminated"))}
            # (a NaN or infinite config value as its text: the page's JSON has no such number)
            row.update({f: c.get(k) if isinstance(c.get(k), (int, str, bool)) or _number(c.get(k)) else
                        (fmt_value(c[k]) if k in c else None) for k, f in fields["params"].items()})
            row.update({f: s.get(k) if _number(s.get(k)) else None for k, f in fields["metrics"].items()})
            rows.append(row)
        for f in [*fields["params"].values(), *fields["metrics"].values()]:
            for row, z in zip(rows, _norm([row[f] for row in rows])):
                row["z_" + f] = z if z is None else round(z, 5)  # (a position on a chart's axis: 18 digits
                # of it made a third of the all-runs page at 1,000 runs)
        goal = metric.get("goal") if metric.get("goal") in ("minimize", "maximize") else default_goal(chosen, members)
        out.append({"id": sid, "page": page_of(sid), "name": str(info.get("name") or sid),
                    "method": str(cfg.get("method") or ""), "goal": goal,
                    "metric": chosen, "params": params, "metrics": metrics, "fields": fields,
                    "labels": field_labels(params, metrics), "rows": rows,
                    "configs": configs, "summaries": summaries, "all": sid == ALL_ID, "cut": cut, "problems": problems,
                    "heading": "Parameters and metrics of all runs" if sid == ALL_ID else ""})
    return out


def field_labels(params: list[str], metrics: list[str]) -> dict[str, str]:
    """{field: the name its axis, column and option show}: a parameter's or a metric's own name, and
    for a name that is both, "config: <name>" and "summary: <name>", the kinds the index's runs table
    gives config and summary columns (their headers' titles, its CSV and filter's prefixes)."""
    both = set(params) & set(metrics)
    out = {f"p{i}": f"config: {k}" if k in both else k for i, k in enumerate(params)}
    return out | {f"m{i}": f"summary: {k}" if k in both else k for i, k in enumerate(metrics)}


# metric names a user maximizes (wandb and Optuna have no default; ours without a goal is by name)
_MAXIMIZED = re.compile(r"(^|[^a-z])(acc|accuracy|auc|auroc|f1|precision|recall|score|reward|return|iou|map|"
                        r"bleu|rouge|r2|ndcg|mrr|psnr|ssim)([^a-z]|$)")


def default_goal(metric: str | None, members: list) -> str:
    """The goal of ``metric`` when the sweep config names none: a ``define_metric(goal=...)`` of the
    runs (the most common), else "maximize" for names like accuracy/f1/reward, else "minimize"."""
    if not metric:
        return "minimize"
    head, _, last = metric.rpartition("/")
    base = head if last in SUMMARY_OPS else metric
    votes: dict[str, int] = {}
    for r in members:
        gs = goals(r.meta)  # the summary column of a define_metric(summary="max") metric is "<name>/max"
        g = gs.get(metric) or gs.get(base)
        if g:
            votes[g] = votes.get(g, 0) + 1
    if votes:
        return max(sorted(votes), key=votes.__getitem__)
    return "maximize" if _MAXIMIZED.search(metric.lower()) else "minimize"


def importance(sweep: dict[str, Any], warnings: list[str]) -> dict[str, list[dict[str, Any]]]:
    if sweep["all"]:  # no random forests on every build: the page computes correlations itself
        return {}
    try:
        from ..sweeps.importance import parameter_importance
    except ImportError:  # pragma: no cover
        return {}
    out = {}
    configs = [{k: c.get(k) for k in sweep["params"] if k in c} for c in sweep["configs"]]
    for key in sweep["metrics"][:MAX_IMPORTANCE_METRICS]:
        try:
            out[key] = parameter_importance(configs, [s.get(key) for s in sweep["summaries"]])
        except ImportError as exc:
            warnings.append(f"sweep {sweep['id']}: {exc}")
            return {}
        except (ValueError, ArithmeticError) as exc:  # (values no forest takes: one metric's importance
            # never stops the build)
            warnings.append(f"sweep {sweep['id']}: the importance for {key!r} could not be computed "
                            f"({type(exc).__name__}: {exc}); not shown")
    return out


def specs(sweep: dict[str, Any]) -> dict[str, Any]:
    """Vega-Lite specs; ``assets/sweep.js`` fills in data and the chosen fields."""
    base = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "width": "container",
            "data": {"name": "runs"}, "config": {"view": {"stroke": None}}}
    # one segment a run between each two axes it has values on (a: the axis, z: the position on it;
    # b, z2: the next axis), made by sweep.js; x's domain, the axes in order, too
    parallel = {**base, "height": 260,
                "mark": {"type": "rule", "opacity": 0.6},
                "encoding": {"x": {"field": "a", "type": "nominal", "title": None,
                                   "axis": {"labelExpr": "AXISLABELS[datum.value] || datum.value", "labelAngle": 0}},
                             "x2": {"field": "b"},
                             "y": {"field": "z", "type": "quantitative", "title": "position on axis (min → max)",
                                   "scale": {"domain": [0, 1]}},
                             "y2": {"field": "z2"},
                             "color": {"field": "METRIC", "type": "quantitative", "title": "METRIC_TITLE"},
                             "tooltip": [{"field": "name", "title": "run"}]}}
    scatter = {**base, "height": 300, "params": [{"name": "brush", "select": {"type": "interval"}}],
               "mark": {"type": "point", "filled": True, "size": 60},
               "encoding": {"x": {"field": "X", "type": "quantitative", "title": "X_TITLE", "scale": {"zero": False}},
                            "y": {"field": "Y", "type": "quantitative", "title": "Y_TITLE", "scale": {"zero": False}},
                            "color": {"condition": {"param": "brush", "value": "#3b6fd4"}, "value": "#bbb"},
                            "tooltip": [{"field": "name", "title": "run"}]}}
    bars = {"$schema": base["$schema"], "width": "container", "data": {"name": "importance"},
            "height": {"step": 18},
            "transform": [{"fold": ["importance", "correlation"], "as": ["measure", "value"]}],
            "mark": "bar",
            "encoding": {"y": {"field": "param", "type": "nominal", "sort": None, "title": None},
                         "x": {"field": "value", "type": "quantitative", "title": None, "scale": {"domain": [-1, 1]}},
                         "yOffset": {"field": "measure"},
                         "color": {"field": "measure", "type": "nominal", "title": None,
                                   "scale": {"domain": ["importance", "correlation"],
                                             "range": ["#3b6fd4", "#e08a2c"]}},
                         "tooltip": [{"field": "param"}, {"field": "measure"},
                                     {"field": "value", "format": ".3f"}]}}
    return {"parallel": parallel, "scatter": scatter, "importance": bars}


def write_pages(sweeps: list[dict[str, Any]], writer, common: dict[str, Any], warnings: list[str],
                site_json) -> list[str]:
    """One page per sweep; returns the pages written (problems go to ``warnings``)."""
    written = []
    for s in sweeps:
        warnings.extend(s.get("problems") or ())
        cut = s.get("cut") or {}
        if cut.get("metrics"):
            warnings.append(f"sweep {s['id']}: {len(s['metrics']) + cut['metrics']:,} summary metrics; its page shows "
                            f"the {MAX_SWEEP_METRICS} most runs have ({cut['metrics']:,} left out)")
        if cut.get("params") and not s["all"]:
            warnings.append(f"sweep {s['id']}: {len(s['params']) + cut['params']:,} parameters; its page shows the "
                            f"first {MAX_SWEEP_PARAMS} ({cut['params']:,} left out)")
        payload = {"id": s["id"], "all": s["all"], "metric": s["metric"], "params": s["params"], "metrics": s["metrics"],
                   "fields": s["fields"], "labels": s["labels"], "rows": s["rows"], "goal": s["goal"],
                   "importance": importance(s, warnings), "specs": specs(s)}
        writer.write("sweep.html", s["page"], {**common, "kind": "sweep", "sweep": s, "sweep_json": payload,
                                               "fmt": fmt_value, "site": site_json(s["page"])})
        written.append(s["page"])
    return written
