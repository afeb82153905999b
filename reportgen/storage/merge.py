"""One run written by several writers (ranks, nodes): their streams merged into one run folder.

Each writer of a shared run has its own files (``writers/<label>/`` in the segmented
layout). :func:`merge_run` writes the plain run folder readers know:

- history rows are merged by ``_step`` (one row per step; ``_timestamp``/``_runtime`` the
  latest); a metric logged by more than one writer keeps its name for the first writer
  (the unlabelled one, else the lowest label) and is stored as ``key@label`` for the others
  (``loss``, ``loss@rank1``; a metric named ``_lr`` too: only ``_step``, ``_timestamp``,
  ``_runtime`` and ``_wandb`` are not metrics); keys are compared as ``a/b`` paths;
- system metrics: every writer's samples on one time axis; a key sampled by more than one
  writer (all of them, usually) is ``system/cpu@rank1`` for the others;
- alerts: all, in time order, each with ``writer``; output: the writers' logs one after another;
- config: the union (the first writer wins a conflict); summary: the same renaming rule;
- run.json: the first writer's, with ``state`` ``running`` while any writer runs (``crashed``
  if one crashed), the earliest ``created``, the latest heartbeat, and ``writers`` listing each.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable

from .format import flatten, is_system_key
from .jsonio import encode_line, write_json_atomic
from .reader import _read_json_dict, iter_history, run_status
from .segments import PRIMARY

TIME_KEYS = ("_step", "_timestamp", "_runtime")


def writer_order(names: Iterable[str]) -> list[str]:
    return sorted(names, key=lambda n: (n != PRIMARY, n))


def _rename_map(per_writer: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    """(writer, key) -> stored name, for keys more than one writer has."""
    owners: dict[str, list[str]] = {}
    for w in writer_order(per_writer):
        for key in per_writer[w]:
            owners.setdefault(key, []).append(w)
    return {(w, key): f"{key}@{w}" for key, ws in owners.items() if len(ws) > 1 for w in ws[1:]}


def _name(renames: dict[tuple[str, str], str], w: str, key: str) -> str:
    return key if is_system_key(key) else renames.get((w, key), key)


def _write_lines(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        for row in rows:
            fh.write(encode_line(row))
    os.replace(tmp, path)


def _merge_history(writers: dict[str, Path], out: Path, warnings: list[str]) -> tuple[dict, set[str]]:
    rows = {w: [flatten(r) for r in iter_history(d / "history.jsonl", warnings=warnings)] for w, d in writers.items()}
    keys = {w: {k for r in rs for k in r if not is_system_key(k)} for w, rs in rows.items()}
    renames = _rename_map(keys)
    merged: dict[Any, dict[str, Any]] = {}
    for w in writer_order(rows):
        for r in rows[w]:
            step = r.get("_step")
            if not isinstance(step, int) or isinstance(step, bool):
                continue
            row = merged.setdefault(step, {"_step": step})
            for k, v in r.items():
                if k in ("_timestamp", "_runtime"):
                    if isinstance(v, (int, float)) and not (isinstance(row.get(k), (int, float)) and row[k] >= v):
                        row[k] = v
                elif k != "_step":
                    row[_name(renames, w, k)] = v
    _write_lines(out / "history.jsonl", (merged[s] for s in sorted(merged)))
    last: dict[str, Any] = {}
    for s in sorted(merged):
        last.update(merged[s])
    return last, {k for (_w, k) in renames}


def _merge_timed(writers: dict[str, Path], name: str, out: Path, tag: str | None, warnings: list[str]) -> None:
    rows = {w: list(iter_history(d / name, warnings=warnings)) for w, d in writers.items() if (d / name).exists()}
    if not rows:
        return
    renames = _rename_map({w: {k for r in rs for k in r if not is_system_key(k)} for w, rs in rows.items()})
    allrows = []
    for w in writer_order(rows):
        for r in rows[w]:
            row = {_name(renames, w, k): v for k, v in r.items()} if tag is None else {**r, tag: w}
            allrows.append(row)
    allrows.sort(key=lambda r: r["_timestamp"] if isinstance(r.get("_timestamp"), (int, float)) else 0)
    _write_lines(out / name, allrows)


def _merge_output(writers: dict[str, Path], out: Path) -> None:
    parts = []
    for w in writer_order(writers):
        for name in ("output.log", "output.log.tail"):
            p = writers[w] / name
            if p.exists():
                head = b"" if w == PRIMARY and name == "output.log" else f"[reportgen: {name} of writer {w}]\n".encode()
                parts.append(head + p.read_bytes())
    if parts:
        tmp = out / ".output.log.tmp"
        tmp.write_bytes(b"\n".join(parts))
        os.replace(tmp, out / "output.log")


def _merge_meta(metas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    order = writer_order(metas)
    base = dict(metas[order[0]])
    statuses = {w: run_status(m) for w, m in metas.items()}
    live = [w for w in order if statuses[w] == "running"]
    if live:
        state, src = "running", metas[live[0]]
        base.update({k: src.get(k) for k in ("host", "pid", "heartbeat", "heartbeat_interval") if k in src})
    else:
        state = "crashed" if any(s in ("crashed", "stale") for s in statuses.values()) else "finished"
        codes = [m.get("exit_code") for m in metas.values() if m.get("exit_code")]
        base["exit_code"] = codes[0] if codes else (0 if state == "finished" else base.get("exit_code"))
    base["state"] = state
    times = [m.get("created") for m in metas.values() if isinstance(m.get("created"), (int, float))]
    if times:
        base["created"] = min(times)
    for key in ("updated", "heartbeat"):
        vals = [m.get(key) for m in metas.values() if isinstance(m.get(key), (int, float))]
        if vals and not live:
            base[key] = max(vals)
    base["writers"] = {w: {"state": statuses[w], **{k: m.get(k) for k in ("host", "pid", "heartbeat", "exit_code")}}
                       for w, m in ((w, metas[w]) for w in order)}
    return base


def merge_run(writers: dict[str, Path], out: Path) -> list[str]:
    """Write the merged run folder ``out`` from each writer's folder (``{label or PRIMARY: folder}``)."""
    warnings: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    metas = {w: _read_json_dict(d / "run.json", warnings) for w, d in writers.items()}
    last, collided = _merge_history(writers, out, warnings)
    _merge_timed(writers, "system.jsonl", out, None, warnings)
    _merge_timed(writers, "alerts.jsonl", out, "writer", warnings)
    _merge_output(writers, out)
    config: dict[str, Any] = {}
    summaries = {w: _read_json_dict(d / "summary.json", warnings, exact_ints=True) for w, d in writers.items()}
    for w in reversed(writer_order(writers)):
        config.update(_read_json_dict(writers[w] / "config.json", warnings, exact_ints=True))
    renames = _rename_map({w: {k for k in s if not is_system_key(k)} | (collided & set(s)) for w, s in summaries.items()})
    summary = dict(last)
    for w in writer_order(summaries):
        for k, v in summaries[w].items():
            if not is_system_key(k):
                summary[_name(renames, w, k)] = v
    write_json_atomic(out / "config.json", config)
    write_json_atomic(out / "summary.json", summary)
    write_json_atomic(out / "run.json", _merge_meta(metas))
    return warnings
