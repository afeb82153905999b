"""``reportgen export RUNS --format parquet|csv -o DIR``: run folders as open tables.

Layout (``<ext>`` is ``parquet`` or ``csv``; see docs/import-export.md):

- ``DIR/runs.<ext>``: one row per run: ``run_id, name, project, group, job_type, tags,
  notes, state, created, updated``, then ``config/<key>`` and ``summary/<key>`` columns
  (nested keys flattened with ``/``).
- ``DIR/history/<run_id>.<ext>``: one row per history row: ``run_id, _step, _timestamp,
  _runtime`` and one column per logged key. ``pd.read_parquet(DIR / "history")``
  reads all runs as one table.

Numbers, strings and booleans keep their type; a column mixing types, and logged
objects (images, tables, histograms...: ``{"_type": ...}`` records whose ``path`` is
relative to the run folder), become JSON text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..storage.format import RunPaths, flatten
from ..storage.jsonio import dumps
from ..storage.reader import iter_history, list_run_dirs, read_run
from ..storage.safety import unique_name, write_own

META_FIELDS = ("name", "project", "group", "job_type", "tags", "notes", "state", "created", "updated")


@dataclass
class ExportResult:
    runs: int = 0
    rows: int = 0
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _cell(v: Any) -> Any:
    if isinstance(v, (dict, list, tuple)):
        return dumps(v).decode("utf-8")
    return v


def _frame(rows: list[dict[str, Any]]):
    """A DataFrame whose columns each hold one kind of value (else JSON text)."""
    import pandas as pd

    df = pd.DataFrame.from_records([{k: _cell(v) for k, v in r.items()} for r in rows])
    for col in df.columns:
        kinds = {("num" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__)
                 for v in df[col] if v is not None and not (isinstance(v, float) and v != v)}
        if kinds == {"num"} and df[col].dtype == object and any(isinstance(v, int) and not -2**63 <= v < 2**63
                                                               for v in df[col]):
            kinds.add("int beyond 64 bits")  # (Parquet cannot hold it: OverflowError) kept exact as text
        if len(kinds) > 1:
            df[col] = [None if v is None or (isinstance(v, float) and v != v) else
                       (v if isinstance(v, str) else dumps(v).decode("utf-8")) for v in df[col]]
    return df


def _write(df, out: Path, rel: str, fmt: str) -> Path:
    """``out/rel`` written whole: made beside its name and renamed over it (storage.safety.write_own),
    so a link or a pipe planted in the output folder (``.runs.parquet.tmp`` was written through by
    name, a file where ``history/`` should be was a FileExistsError) is never written through: it is
    replaced, or refused with NotRegularFile naming it."""
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError("writing Parquet needs pyarrow: pip install 'reportgen[parquet]' "
                              "(or use --format csv)") from None
        return write_own(out, rel, lambda fh: df.to_parquet(fh, index=False))
    return write_own(out, rel, lambda fh: df.to_csv(fh, index=False))


def _history_row(run_id: str, row: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """A history row under its run's id: a key ``run_id`` the run logged itself (a history line of
    ``{"run_id": "b", ...}``) took the column's place, and the row was exported as run b's; it is kept
    as ``run_id (logged)``, with one warning."""
    flat = flatten(row)
    if "run_id" in flat:
        name = "run_id (logged)"
        while name in flat:
            name += "'"
        flat[name] = flat.pop("run_id")
        told = f"history key 'run_id' is exported as {name!r} (the column run_id is the run's id)"
        if told not in warnings:
            warnings.append(told)
    return {"run_id": run_id, **flat}


def export_runs(runs: Path, out: Path, fmt: str = "parquet") -> ExportResult:
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"--format: expected parquet or csv, got {fmt!r}")
    result = ExportResult()
    table: list[dict[str, Any]] = []
    files: set[str] = set()  # history file names so far (lower case: case-insensitive disks too)
    for run_dir in list_run_dirs(runs, result.warnings):
        rec = read_run(run_dir, with_history=False)
        result.warnings += [f"{rec.id}: {w}" for w in rec.warnings]
        row: dict[str, Any] = {"run_id": rec.id}
        for f in META_FIELDS:
            v = rec.meta.get(f)
            row[f] = ",".join(map(str, v)) if f == "tags" and isinstance(v, list) else v
        row["name"] = rec.name
        row["project"] = rec.project
        row.update({f"config/{k}": v for k, v in flatten(rec.config).items()})
        row.update({f"summary/{k}": v for k, v in flatten(rec.summary).items()})
        table.append(row)
        hist_warnings: list[str] = []
        rows = [_history_row(rec.id, r, hist_warnings) for r in iter_history(RunPaths(run_dir).history,
                                                                           warnings=hist_warnings)]
        result.warnings += [f"{rec.id}: {w}" for w in hist_warnings]
        if rows:  # the id comes from run.json (untrusted: "../../x" wrote outside DIR): a safe, unique name
            name = unique_name(rec.id, files)  # (two folders with one id: a copied run)
            if name != rec.id:
                result.warnings.append(f"{rec.id!r}: its history is exported as history/{name}.{fmt} "
                                       "(the id is not a safe file name, or another run has it)")
            result.files.append(_write(_frame(rows), out, f"history/{name}.{fmt}", fmt))
        result.rows += len(rows)
        result.runs += 1
    target = _write(_frame(table) if table else _frame([{"run_id": None}]).iloc[0:0], out, f"runs.{fmt}", fmt)
    result.files.insert(0, target)
    return result
