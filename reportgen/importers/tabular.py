"""CSV and Parquet -> run folders (Parquet needs pyarrow: extra ``[parquet]``).

- One file per run (the run is named by the file's path relative to PATH), or one long
  table with ``--run-col`` (one run per value).
- ``--step-col`` (default ``_step`` or ``step`` when present, else the row number within
  the run) and ``--time-col`` (default ``_timestamp``, ``timestamp`` or ``time``; Unix
  seconds, milliseconds or dates). Every other column is a history key; empty cells
  are left out of the row.
- Neptune exporter Parquet (columns ``project_id, run_id, attribute_path,
  attribute_type, step, timestamp, *_value``) is recognised by its columns:
  ``float_series``/``string_series`` -> history, ``histogram_series`` -> Histogram,
  single values -> config, ``sys/*`` -> run metadata.
"""
from __future__ import annotations

import math
import os
from functools import partial
from pathlib import Path
from typing import Any, Callable

from ..storage.safety import open_regular
from ..storage.sparse import mostly_holes
from .common import SOURCE_MAX, Problems, RunImport, run_id_for, source_open, walk_files

NEPTUNE_COLUMNS = {"project_id", "run_id", "attribute_path", "attribute_type", "step"}
STEP_NAMES = ("_step", "step")
TIME_NAMES = ("_timestamp", "timestamp", "time")


CHUNK_ROWS = 100_000  # rows of a table turned into history rows (and, in step order, written) at a time
MAX_CELLS = 50_000_000  # rows x columns of one Parquet file (its footer says; a 1.7 MB file held 100M rows)
CSV_MAX = SOURCE_MAX  # bytes of a sparse CSV read (the rows after them are not: a sparse file is free to make)
CSV_DENSE_MAX = 2 << 30  # bytes of a CSV whose bytes are on disk (an export of real rows) read


def _csv_rows(path: Path, problems: Problems):
    """The rows of the CSV file ``path`` as a DataFrame, read up to a limit: :data:`CSV_MAX` bytes of a
    sparse file (``truncate -s 2G``: free to make, and it was read whole into memory), else
    :data:`CSV_DENSE_MAX` (a real export of many rows is read whole). Past the limit, the complete
    lines before it are kept, with a warning naming the file and the limit."""
    import io

    import pandas as pd

    with open_regular(path) as fh:  # (one open: a regular file, checked on its descriptor)
        size = os.fstat(fh.fileno()).st_size
        # (mostly holes: measured by SEEK_DATA, not st_blocks, which a dense CSV on a compressing file
        # system is also short of)
        limit = CSV_MAX if size > CSV_MAX and mostly_holes(fh.fileno()) is not None else CSV_DENSE_MAX
        data = fh.read(limit + 1)
    if len(data) > limit:
        data = data[:data.rfind(b"\n", 0, limit) + 1]
        problems.warn(f"{path}: larger than {limit >> 20} MiB ({size:,} bytes); only the rows in its first "
                      f"{limit >> 20} MiB are imported")
    return pd.read_csv(io.BytesIO(data))


def _too_big(path: Path) -> str | None:
    """Why the Parquet file ``path`` is too large to read into memory (None: it is not), from its
    footer: a dictionary-encoded Parquet column of 1.7 MB decodes to 100M rows and 10 GB."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    cells = meta.num_rows * meta.num_columns
    return f"{meta.num_rows} rows x {meta.num_columns} columns (more than {MAX_CELLS:,} cells)" \
        if cells > MAX_CELLS else None


def _read(path: Path, problems: Problems):
    import pandas as pd

    try:
        if path.suffix.lower() != ".parquet":
            return _csv_rows(path, problems)
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError("reading Parquet needs pyarrow: pip install 'reportgen[parquet]'") from None
        big = _too_big(path)
        if big:
            problems.skip(f"{path}: {big}; not read (split it into smaller files)")
            return None
        return pd.read_parquet(path)
    except ImportError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad file is one warning, the others go on
        problems.skip(f"{path}: cannot be read ({type(exc).__name__}: {exc}); skipped")
        return None


def _files(path: Path, kind: str, problems: Problems) -> list[Path]:
    """The file named, or the .csv/.parquet files under the folder named; in a folder, a link to a
    file outside it or a pipe is refused with a warning (:func:`common.source_open`)."""
    ext = ".csv" if kind == "csv" else ".parquet"
    if path.is_file():
        return [path]
    out = []
    for p in walk_files(path, problems.warn):  # (iterative, at most 64 folders deep)
        if p.suffix.lower() != ext:
            continue
        try:
            with source_open(p, path):
                out.append(p)
        except OSError as exc:
            problems.warn(f"{p}: {exc}; skipped")
    return out


def _seconds(series) -> Any:
    """Unix seconds from numbers (s or ms) or dates (each parsed on its own: ``format="mixed"``; a
    cell that is no date is NaN). The epoch is taken in the dates' own unit: in nanoseconds (its
    default), a date past 2262 or before 1677 (``9999-12-31``, a common "no end" value) raised
    OutOfBoundsDatetime, and the whole file was skipped."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series):
        s = series.astype(float)
        return s / 1000.0 if s.dropna().abs().median() > 1e11 else s
    t = pd.to_datetime(series, utc=True, errors="coerce", format="mixed")
    return (t - pd.Timestamp(0, tz="UTC").as_unit(t.dt.unit)).dt.total_seconds()


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (list, dict)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


class NotImported(ValueError):
    """A table (or one run of a long table) with nothing to import; the message says why."""


def _import_run(imp: RunImport, work: Callable[[], int], problems: Problems, result, label: str) -> None:
    """``work()`` (it imports one run into ``imp``, returns the rows written), counted in ``result``. A
    run that is skipped (an error, or nothing a run folder can hold: :class:`NotImported`) leaves no run
    folder: the one made for it is removed (an empty or half-written run folder was left in the runs
    root, or the ``serve``/``build`` cache, and listed as imported)."""
    try:
        rows = work()
    except Exception as exc:  # noqa: BLE001 - one hostile file (or run) never loses the others
        imp.discard()
        problems.skip(f"{label}: {exc if isinstance(exc, NotImported) else f'{type(exc).__name__}: {exc}'}; "
                      "skipped (no run written)")
        return
    result.rows += rows
    result.runs.append(imp.id)


NAMED_COLUMNS = 20  # columns an error about a column option lists (a table can have thousands)


def _check_columns(opts, cols: list) -> None:
    """NotImported when ``--step-col`` or ``--time-col`` names no column of ``cols``."""
    for arg, col in (("--step-col", opts.step_col), ("--time-col", opts.time_col)):
        if col is not None and col not in cols:
            shown = ", ".join(str(c)[:80] for c in cols[:NAMED_COLUMNS])
            more = f", and {len(cols) - NAMED_COLUMNS:,} more" if len(cols) > NAMED_COLUMNS else ""
            raise NotImported(f"{arg} {col!r} is not a column (columns: {shown}{more})")


def _import_frame(imp: RunImport, df, opts, problems: Problems, label: str) -> int:
    """The table ``df`` into ``imp``; NotImported when no row of it is one a run folder can hold (a header
    alone, no usable step, only values that cannot be stored) and the run is new (a run imported before
    may simply have nothing new)."""
    import pandas as pd

    cols = list(df.columns)
    _check_columns(opts, cols)
    step_col = opts.step_col or next((c for c in STEP_NAMES if c in cols), None)
    time_col = opts.time_col or next((c for c in TIME_NAMES if c in cols), None)
    if step_col is not None:
        steps = pd.to_numeric(df[step_col], errors="coerce")
    else:
        steps = pd.Series(range(len(df)), index=df.index)
    times = _seconds(df[time_col]) if time_col is not None else None
    value_cols = [c for c in cols if c not in (step_col, time_col, opts.run_col, "_runtime")]
    # a part of the rows at a time: all 3M rows of a 415 MB CSV as dicts, twice (the records and the
    # import's pending rows), peaked at 3.9 GB. Each part is also written before the next is converted
    # (a part ends where the step changes). Rows out of step order are sorted by step first (stably:
    # rows of one step keep their order, as they merge into one history row): they waited, all of them
    # as dicts, for the last part (a later row may be earlier), 2.8 GB for a 205 MB CSV.
    n, bad, written, start = len(df), 0, 0, 0
    table = df[value_cols]  # (once: a column selection copies the frame)
    ordered = n > CHUNK_ROWS
    if ordered and not steps.is_monotonic_increasing:
        order = steps.to_numpy().argsort(kind="stable")  # (rows without a step last; they are skipped)
        steps, table = steps.iloc[order], table.iloc[order]
        times = times.iloc[order] if times is not None else None
    while start < n:
        stop = min(n, start + CHUNK_ROWS)
        while ordered and stop < n and steps.iat[stop] == steps.iat[stop - 1]:
            stop += 1
        records = table.iloc[start:stop].to_dict("records")
        for i, (step, row) in enumerate(zip(steps.iloc[start:stop].tolist(), records), start):
            if step is None or step != step or step in (math.inf, -math.inf):  # (int(inf) raised OverflowError)
                bad += 1
                continue
            values = {str(k): pv for k, v in row.items() if (pv := _plain(v)) is not None}
            ts = times.iloc[i] if times is not None else None
            imp.add(int(step), values, None if ts is None or ts != ts else float(ts))
        del records
        if ordered and stop < n:
            written += imp.commit()
        start = stop
    if bad:
        problems.warn(f"{label}: {bad} rows without a usable step in {step_col!r}; skipped")
    written += imp.commit()
    if imp.created and not imp.rows_written:
        raise NotImported("no row with a step and a value that can be stored")
    return written


def _off_int(values) -> float:
    r = values % 1
    return float(r.where(r < 0.5, 1 - r).max())


def _neptune(df, opts, problems: Problems, result, base: str) -> None:
    for (project_id, nrun), g in df.groupby(["project_id", "run_id"], sort=True):
        project = opts.project or str(project_id)
        run_id = run_id_for("neptune", f"{project_id}/{nrun}")
        imp = RunImport(opts.out, run_id, source={"kind": "neptune-parquet", "path": base, "run": str(nrun)},
                        problems=problems)
        _import_run(imp, partial(_neptune_run, imp, g, nrun, project, opts, problems), problems, result, str(nrun))


def _neptune_run(imp: RunImport, g, nrun, project: str, opts, problems: Problems) -> int:
    """One run of a Neptune exporter table (its rows ``g``) into ``imp``; the rows written. NotImported
    when the run is new and none of its records was one a run folder can hold (all skipped: its empty
    folder was left in the runs root, listed as imported)."""
    import numpy as np
    import pandas as pd

    from ..media.histogram import Histogram
    from . import run_name

    run_id = imp.id
    config: dict[str, Any] = dict(imp.config)
    meta: dict[str, Any] = {"project": project}
    series = g[g["step"].notna()]
    steps = pd.to_numeric(series["step"].astype(str), errors="coerce")
    frac = steps.dropna() % 1
    mult = 1
    while len(frac) and mult < 10 ** 6 and _off_int(frac * mult) > 1e-6:
        mult *= 10
    if mult > 1:
        problems.warn(f"{nrun}: fractional Neptune steps multiplied by {mult} to make integer steps")
    times = _seconds(series["timestamp"]) if "timestamp" in series else None
    for i, rec in enumerate(series.to_dict("records")):
        kind, path = rec["attribute_type"], rec["attribute_path"]
        step = steps.iloc[i]
        if step != step:
            continue
        if not isinstance(path, str) or not path or not math.isfinite(step):  # (RunImport.add checks the range)
            problems.some(str(nrun), "records skipped", f"{nrun}: a record with attribute path {path!r} at step "
                          f"{float(step)!r} (no path, or no finite step); skipped")
            continue
        if kind == "float_series":
            value = _plain(rec.get("float_value"))
            value = float("nan") if value is None else value
        elif kind == "string_series":
            value = _plain(rec.get("string_value"))
        elif kind == "histogram_series":
            h = rec.get("histogram_value") or {}
            try:
                value = Histogram(np_histogram=(np.asarray(h["values"]), np.asarray(h["edges"])))
            except Exception as exc:  # noqa: BLE001
                problems.warn(f"{nrun}: {path!r}: bad histogram ({exc}); skipped")
                continue
        else:
            problems.warn(f"{nrun}: Neptune {kind} attributes are not imported ({path!r}...)")
            continue
        ts = times.iloc[i] if times is not None else None
        imp.add(int(round(step * mult)), {path: value}, None if ts is None or ts != ts else float(ts))
    for rec in g[g["step"].isna()].to_dict("records"):
        kind, path = rec["attribute_type"], rec["attribute_path"]
        if not isinstance(path, str) or not path:
            problems.some(str(nrun), "records skipped", f"{nrun}: a {kind!r} record without an attribute path; skipped")
            continue
        col = {"float": "float_value", "int": "int_value", "string": "string_value", "bool": "bool_value",
               "datetime": "datetime_value", "string_set": "string_set_value"}.get(kind)
        if col is None:
            problems.warn(f"{nrun}: Neptune {kind} attributes are not imported ({path!r}...)")
            continue
        value = rec.get(col)
        value = sorted(str(v) for v in value if v is not None) if kind == "string_set" and value is not None \
            else _plain(value)
        if path == "sys/name" and value:
            meta["name"] = value
        elif path == "sys/tags":
            meta["tags"] = list(value or [])
        elif path == "sys/description" and value:
            meta["notes"] = value
        elif path == "sys/group_tags":
            meta["group"] = ",".join(value or []) or None
        elif not path.startswith("sys/"):
            config[path] = value
    taken = config or any(meta.get(k) for k in ("name", "tags", "notes", "group"))  # (before the default name)
    meta["name"] = run_name(opts.name, path=str(nrun), name=meta.get("name") or str(nrun), id=run_id,
                            project=project)
    rows = imp.commit(meta=meta, config=config)
    if imp.created and not imp.rows_written and not taken:
        raise NotImported("no record that a run folder can hold")
    return rows


def import_tabular(opts, problems: Problems, progress, result) -> None:
    import pandas as pd

    from . import run_name

    root = Path(opts.path)
    files = _files(root, opts.source, problems)
    if not files:
        problems.warn(f"{root}: no .{'csv' if opts.source == 'csv' else 'parquet'} files found")
        return
    base = root.resolve().name
    project = opts.project or (root.resolve().parent.name if root.is_file() else base)
    frames = []
    for n, f in enumerate(files, 1):
        progress.update(f"{opts.source}: reading {n}/{len(files)} files")
        df = _read(f, problems)
        if df is None:
            continue
        if NEPTUNE_COLUMNS <= set(df.columns) or opts.run_col:
            if opts.run_col and opts.run_col not in df.columns:
                problems.skip(f"{f}: --run-col {opts.run_col!r} is not a column; skipped")
                continue
            frames.append(df)
            continue
        rel = f.relative_to(root).with_suffix("").as_posix() if f != root else f.stem
        run_id = run_id_for(opts.source, f"{project}/{rel}")
        imp = RunImport(opts.out, run_id, source={"kind": opts.source, "path": str(f.resolve())}, problems=problems)
        imp.meta.update({"project": project, "name": run_name(opts.name, path=rel, name=rel, id=run_id,
                                                                     project=project)})
        _import_run(imp, partial(_import_frame, imp, df, opts, problems, str(f)), problems, result, str(f))
    if not frames:
        return
    table = pd.concat(frames, ignore_index=True)
    if NEPTUNE_COLUMNS <= set(table.columns) and not opts.run_col:
        _neptune(table, opts, problems, result, str(root.resolve()))
        return
    try:  # once for the whole table, before any run folder is made (it was once per run, each warned)
        _check_columns(opts, list(table.columns))
    except NotImported as exc:
        raise ValueError(f"{root}: {exc}") from None
    for key, g in table.groupby(opts.run_col, sort=True):
        key = str(key)
        run_id = run_id_for(opts.source, f"{project}/{key}")
        imp = RunImport(opts.out, run_id, source={"kind": opts.source, "path": str(root.resolve()), "run": key},
                        problems=problems)
        imp.meta.update({"project": project, "name": run_name(opts.name, path=key, name=key, id=run_id,
                                                                     project=project)})
        label = f"{root}:{key}"
        _import_run(imp, partial(_import_frame, imp, g.reset_index(drop=True), opts, problems, label), problems,
                    result, label)
