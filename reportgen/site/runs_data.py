"""The runs of a table page (index, project pages, compare) at any scale.

* **Default selection**: each chart draws the ``chart_runs`` most recent of its runs (``created``
  descending, then site order) until the user selects others, as wandb draws a bounded number of
  runs per chart. ``assets/runs-data.js`` computes the same set in the page (``RG.defaultRuns``).
* **The runs table's data**: up to :data:`INLINE_TABLE_RUNS` runs it is embedded in the page as
  before; with more, the page embeds only the runs drawn by default (:func:`charts_drawn`) and the table (every run, in
  a compact row format, with the metrics each run logged) is a data file,
  ``data/table/<scope>.js``, loaded after the first charts. The compare page shares the index's
  file and loads the runs' configs from ``data/table/configs.js``.
"""
from __future__ import annotations

import heapq
import math
from typing import Any

import orjson

from .fmt import is_number
from .rundata import RunInfo, metric_id
from .write import write_if_changed

INLINE_TABLE_RUNS = 500  # more runs than this: the table data is a file loaded after the first charts
# field order of a row in the table data file (the page turns rows back into run entries)
FIELDS = ["f", "id", "name", "label", "color", "project", "group", "tags", "state", "created", "duration",
          "warn", "why", "alerts", "alert", "ints"]


def created(r: RunInfo) -> float:
    """A run's start time for ordering runs by recency (-inf when run.json has none usable)."""
    c = r.meta.get("created")
    return float(c) if is_number(c) and math.isfinite(c) else -math.inf


def recency(runs: list[RunInfo]) -> list[str]:
    """Site keys of the runs, most recent first (``created`` descending, then site order)."""
    return [runs[i].file for i in sorted(range(len(runs)), key=lambda i: (-created(runs[i]), i))]


def default_drawn(runs: list[RunInfo], n: int) -> list[str]:
    """Site keys of the ``n`` most recent runs."""
    return recency(runs)[:n]


def charts_drawn(runs: list[RunInfo], sections: list[dict[str, Any]], n: int) -> tuple[list, set[str]]:
    """What a page with many runs embeds for its charts to draw their default selection at first
    paint, before the table file loads: each chart's ``n`` most recent runs (per section, per chart,
    in the chart's order: the runs ``RG.defaultRuns(among)`` picks for it), and the runs whose entries
    the page holds, those and the ``n`` most recent of all (the table's ticks). At most ``n`` runs a
    chart, so a metric only older runs logged is drawn from the first paint, not when the table's
    data arrives (its chart and section appearing then would move the page under the reader)."""
    order = recency(runs)
    rank = {f: i for i, f in enumerate(order)}
    embedded = set(order[:n])
    per_chart = []
    for sec in sections:
        charts = []
        for c in sec["charts"]:  # (ranks, not a key function: 10,000 runs x 100 charts in 0.1 s)
            mine = {order[i] for i in heapq.nsmallest(n, [rank[f] for f in c["runs"] if f in rank])}
            charts.append([f for f in c["runs"] if f in mine])
            embedded |= mine
        per_chart.append(charts)
    return per_chart, embedded


def lazy(runs: list[RunInfo]) -> bool:
    return len(runs) > INLINE_TABLE_RUNS


def scope_id(kind: str, folder: str | None) -> str:
    """The data id of a page's table file: ``table/all`` (index, compare) or ``table/p-<folder>`` (the
    project's site folder: ``pages.project_folders``)."""
    return f"table/p-{folder}" if kind == "project" and folder is not None else "table/all"


def table_payload(entries: list[dict[str, Any]], runs: list[RunInfo], cols: dict[str, list[str]]) -> dict[str, Any]:
    """Every run's table row, compactly: ``fields`` names the columns of ``rows``; ``s``/``c`` are
    lists aligned with ``cols``; ``m`` lists indexes into ``metrics`` (the charts each run is in)."""
    metrics = table_metrics(runs)
    index = {k: i for i, k in enumerate(metrics)}
    return payload_of([table_row(e, r, cols, index) for e, r in zip(entries, runs)], cols, metrics)


def table_metrics(runs: list[RunInfo]) -> list[str]:
    return sorted(set().union(*(r.counts()[0] for r in runs)))


def table_row(e: dict[str, Any], r: RunInfo, cols: dict[str, list[str]], index: dict[str, int]) -> list:
    """One run's row of the table file (``e``: its run entry; ``index``: metric -> position)."""
    return [*(e.get(f) for f in FIELDS), [e["s"].get(k) for k in cols["summary"]],
            [e["c"].get(k) for k in cols["config"]], sorted(index[k] for k in r.metrics)]


def payload_of(rows: list[list], cols: dict[str, list[str]], metrics: list[str]) -> dict[str, Any]:
    return {"fields": FIELDS + ["s", "c", "m"], "cols": cols, "metrics": [metric_id(k) for k in metrics],
            "rows": rows}


def row_json(row: list) -> bytes:
    """A table row as it is written in the table file (:func:`write_rows_file`): kept so between
    builds (memo.py), a rebuild after one run changed neither loads 10,000 rows as lists nor
    serializes them again (incr20)."""
    return orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY)


def write_rows_file(out, data_id: str, rows: list[bytes], cols: dict[str, list[str]], metrics: list[str]) -> str:
    """:func:`write_data_file` of ``payload_of(rows, cols, metrics)``, the rows given as
    :func:`row_json` (the same bytes)."""
    head = orjson.dumps(payload_of([], cols, metrics))
    assert head.endswith(b'"rows":[]}')  # (rows is the payload's last key)
    return _write_js(out, data_id, head[:-2] + b",".join(rows) + b"]}")


def write_data_file(out, data_id: str, payload: Any) -> str:
    """``data/<data_id>.js`` calling ``RG.receive(id, payload)``; returns its site path."""
    return _write_js(out, data_id, orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY))


def _write_js(out, data_id: str, body: bytes) -> str:
    """``data/<data_id>.js`` calling ``RG.receive(id, <body: JSON>)``, written when it changed; its site path."""
    rel = f"data/{data_id}.js"
    write_if_changed(out / rel, b"RG.receive(" + orjson.dumps(data_id) + b"," + body + b");\n")
    return rel


def share_specs(sections: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Page weight: metric charts whose Vega-Lite specs differ only in their title (the key) get
    no spec of their own (``spec`` None); the page carries the shared one once (``#rg-spec-base``,
    title text empty) and ``charts.js`` puts each chart's key in. 10 charts per run page: ~30 KB
    -> ~8 KB, 220 MB less for 10,000 runs. Returns the shared spec (None: nothing shared)."""
    def untitled(spec: Any, key: str) -> Any:
        if not isinstance(spec, dict) or not isinstance(spec.get("title"), dict) or spec["title"].get("text") != key:
            return None
        # build19: a shallow copy with a new title compares the same, without deep-copying every
        # chart's spec (1,000 deep copies were ~15% of a 100-run build's CPU)
        return {**spec, "title": {**spec["title"], "text": ""}}

    base = None
    for sec in sections:
        for c in sec["charts"]:
            bare = untitled(c.get("spec"), c["key"])
            if bare is None:
                continue
            if base is None:
                base = bare
            if bare == base:
                c["spec"] = None
    return base
