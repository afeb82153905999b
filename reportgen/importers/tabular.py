"""CSV and Parquet -> run folders (Parquet needs pyarrow: extra ``[parquet]``).

- One file per run (the run is named by the file's path relative to PATH), or one long
  table with ``--run-col`` (one run per value).
- ``--step-col`` (default ``_step`` or ``step`` when present, else the row number within
  the run) and ``--time-col`` (default ``_timestamp``, ``timestamp`` or ``time``; Unix
  seconds, milliseconds or dates). Every other column is a history key; empty cells
  are left out of the row.
- Memory is bounded whatever the size: a CSV is read a part of rows at a time (:mod:`.csvparts`), and
  rows out of step order (a long table's runs) are sorted on disk (:mod:`.steporder`) before they are
  written, a part at a time.
- Neptune exporter Parquet (columns ``project_id, run_id, attribute_path,
  attribute_type, step, timestamp, *_value``) is recognised by its columns:
  ``float_series``/``string_series`` -> history, ``histogram_series`` -> Histogram,
  single values -> config, ``sys/*`` -> run metadata.
"""
from __future__ import annotations

import math
from functools import partial
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable

from .common import Problems, RunImport, run_id_for, source_open, walk_files
from .csvparts import PART_ROWS, CsvTable, part_rows, steps_rise
from .steporder import StepOrder

NEPTUNE_COLUMNS = {"project_id", "run_id", "attribute_path", "attribute_type", "step"}
STEP_NAMES = ("_step", "step")
TIME_NAMES = ("_timestamp", "timestamp", "time")


CHUNK_ROWS = PART_ROWS  # rows of a narrow table turned into history rows (and written) at a time at the most
MAX_CELLS = 50_000_000  # rows x columns of one Parquet file (its footer says; a 1.7 MB file held 100M rows)


def _too_big(path: Path) -> str | None:
    """Why the Parquet file ``path`` is too large to read into memory (None: it is not), from its
    footer: a dictionary-encoded Parquet column of 1.7 MB decodes to 100M rows and 10 GB."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    cells = meta.num_rows * meta.num_columns
    return f"{meta.num_rows} rows x {meta.num_columns} columns (more than {MAX_CELLS:,} cells)" \
        if cells > MAX_CELLS else None


def _read(path: Path, problems: Problems):
    """The Parquet file ``path`` as a DataFrame (None: skipped, with a warning)."""
    import pandas as pd

    try:
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


def _open_csv(path: Path, problems: Problems) -> CsvTable | None:
    """The CSV file ``path`` opened (its header read), or None: skipped, with a warning."""
    try:
        return CsvTable(path, problems)
    except Exception as exc:  # noqa: BLE001 - a bad file is one warning, the others go on
        problems.skip(f"{path}: cannot be read ({type(exc).__name__}: {exc}); skipped")
        return None


class FrameTable:
    """A table read whole (a Parquet file), as :class:`CsvTable` gives one: its columns, its rows, whether
    its steps never go down, and its rows a part at a time."""

    def __init__(self, df):
        self.df, self.columns, self.rows, self.ordered = df, list(df.columns), len(df), True

    def __enter__(self) -> "FrameTable":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def scan(self, step_col) -> None:
        if step_col is not None:
            self.ordered = steps_rise(self.df[step_col])[0]

    def parts(self, step_col=None, run_col=None):  # noqa: ARG002 (CsvTable's)
        every = part_rows(len(self.columns))
        for start in range(0, self.rows, every):
            yield self.df.iloc[start:start + every]


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
    t = type(v)
    if t is float:  # (most cells: a part's column as a list holds Python's own types)
        return None if v != v else v
    if t is int or t is str or t is bool or v is None:
        return v
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


def _step_col(opts, cols: list):
    """The step column of a table of columns ``cols`` (None: the row number)."""
    return opts.step_col or next((c for c in STEP_NAMES if c in cols), None)


def _known_step_col(opts, cols: list):
    """:func:`_step_col`, None when ``--step-col`` names no column (the import says so)."""
    col = _step_col(opts, cols)
    return col if col in cols else None


def _rows(part, opts, cols: list, seq: int, counts: dict | None = None):
    """The rows of ``part`` (the rows of a table of columns ``cols`` from row ``seq`` of the source): tuples
    ``(run, step, seq, time, values)`` (run None without ``--run-col``, :mod:`.steporder`'s order), a row
    without a usable step (no number, or infinite) at step ``inf``. Without a step column the step is
    the row number (within its run: ``counts``, run -> rows so far, carried between parts). Columns of
    ``cols`` a part lacks (a long table's other file) are empty in it; rows without a run are left out."""
    import pandas as pd

    step_col = _step_col(opts, cols)
    time_col = opts.time_col or next((c for c in TIME_NAMES if c in cols), None)
    n = len(part)
    runs = part[opts.run_col].tolist() if opts.run_col else [None] * n
    if step_col is None:
        steps = range(seq, seq + n)
    elif step_col in part:
        steps = pd.to_numeric(part[step_col], errors="coerce").tolist()
    else:
        steps = [math.nan] * n
    times = _seconds(part[time_col]).tolist() if time_col in part else [None] * n
    columns = part.columns.tolist()  # (an Index of text read a label at a time cost ~5 us a label)
    at = [j for j, c in enumerate(columns) if c not in (step_col, time_col, opts.run_col, "_runtime")]
    names = [str(columns[j]) for j in at]
    # (the cells of all the columns at once, as Python's own values, picked by numpy: taken a column at a
    # time, or a frame of them taken, a table of 20,000 columns spent ~50 us a column in every part)
    values = part.to_numpy(dtype=object)[:, at]
    cells = values.tolist() if at else ((),) * n
    # (numbers and booleans without a hole, most parts: each cell is its value, as _plain gives it)
    kinds = [d.kind for d in part.dtypes]
    whole = all(kinds[j] in "iufb" for j in at) and not pd.isna(values).any()
    for i, (run, step, ts, row) in enumerate(zip(runs, steps, times, cells), seq):
        if opts.run_col:
            if run is None or run != run:  # (a row without a run: grouping by run left it out)
                continue
            run = str(run)
            if step_col is None:
                step = counts[run] = counts.get(run, -1) + 1
        if step is None or step != step or step in (math.inf, -math.inf):
            step = math.inf
        values = dict(zip(names, row)) if whole else {k: pv for k, v in zip(names, row) if (pv := _plain(v)) is not None}
        yield run, step, i, None if ts is None or ts != ts else float(ts), values


class StepsGoDown(Exception):
    """A row below a step written already, met while a table whose order was not known is written as
    it is read: the run is imported again from its start, sorted (:func:`_import_table`)."""


def _feed(imp: RunImport, rows, every: int, problems: Problems, label: str, step_col, *, check: bool = False) -> int:
    """The ``rows`` of one run (:func:`_rows`, in step order, or fewer than ``every``) into ``imp``, written
    ``every`` rows at a time (a part never ends between two rows of one step: they are one history
    row); with ``check``, :class:`StepsGoDown` at a row at or below a step written already. NotImported
    when no row is one a run folder can hold (a header alone, no usable step, only values that cannot
    be stored) and the run is new (a run imported before may have nothing new)."""
    written = pending = bad = 0
    prev = None
    for _run, step, _seq, ts, values in rows:
        if step == math.inf:
            bad += 1
            continue
        step = int(step)  # (1.2 and 1.7 are one row: step 1)
        if check and 0 <= step <= imp.last_step:
            raise StepsGoDown
        if pending >= every and step != prev:
            written += imp.commit()
            pending = 0
        imp.add(step, values, ts)
        pending, prev = pending + 1, step
    if bad:
        problems.warn(f"{label}: {bad} rows without a usable step in {step_col!r}; skipped")
    written += imp.commit()
    if imp.created and not imp.rows_written:
        raise NotImported("no row with a step and a value that can be stored")
    return written


def _import_table(imp: RunImport, table, opts, problems: Problems, label: str) -> int:
    """The table ``table`` (:class:`CsvTable` or :class:`FrameTable`) into ``imp``, a part at a time: rows
    in step order as they are read, others sorted on disk first (:class:`StepOrder`). A CSV new to the
    runs root is read once: written as it is read while its steps rise, and imported again, sorted,
    only if they go down below a step written (a run imported before is not written until its order
    is known: :meth:`CsvTable.scan_steps` reads the step column alone)."""
    cols = table.columns
    _check_columns(opts, cols)
    every = part_rows(len(cols))
    step_col = _known_step_col(opts, cols)
    if table.ordered is None and not imp.created:
        table.scan_steps(step_col)
    if table.ordered is not False:
        meta = dict(imp.meta)
        parts = (_rows(part, opts, cols, start) for start, part in _starts(table.parts(step_col)))
        try:
            return _feed(imp, (row for rows in parts for row in rows), every, problems, label, _step_col(opts, cols),
                         check=table.ordered is None)
        except StepsGoDown:
            imp.restart(meta)
    parts = (_rows(part, opts, cols, start) for start, part in _starts(table.parts(step_col)))
    with StepOrder() as order:
        for rows in parts:
            order.add(list(rows))
        return _feed(imp, order.rows(), every, problems, label, _step_col(opts, cols))


def _starts(parts):
    """``(first row, part)`` of each of ``parts``."""
    start = 0
    for part in parts:
        yield start, part
        start += len(part)


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

    root = Path(opts.path)
    files = _files(root, opts.source, problems)
    if not files:
        problems.warn(f"{root}: no .{'csv' if opts.source == 'csv' else 'parquet'} files found")
        return
    base = root.resolve().name
    project = opts.project or (root.resolve().parent.name if root.is_file() else base)
    if opts.run_col:
        _import_long(root, files, project, opts, problems, progress, result)
        return
    neptune = []
    for n, f in enumerate(files, 1):
        progress.update(f"{opts.source}: reading {n}/{len(files)} files")
        if opts.source == "csv":
            table = _open_csv(f, problems)
        else:
            df = _read(f, problems)
            if df is not None and NEPTUNE_COLUMNS <= set(df.columns):
                neptune.append(df)
                continue
            table = None if df is None else FrameTable(df)
            if table is not None:
                table.scan(_known_step_col(opts, table.columns))
        if table is None:
            continue
        with table:
            rel = f.relative_to(root).with_suffix("").as_posix() if f != root else f.stem
            imp = _new_run(opts, project, f"{project}/{rel}", rel, {"path": str(f.resolve())}, problems)
            _import_run(imp, partial(_import_table, imp, table, opts, problems, str(f)), problems, result, str(f))
    if neptune:
        _neptune(pd.concat(neptune, ignore_index=True), opts, problems, result, str(root.resolve()))


def _new_run(opts, project: str, key: str, name: str, source: dict, problems: Problems) -> RunImport:
    from . import run_name

    run_id = run_id_for(opts.source, key)
    imp = RunImport(opts.out, run_id, source={"kind": opts.source, **source}, problems=problems)
    imp.meta.update({"project": project, "name": run_name(opts.name, path=name, name=name, id=run_id,
                                                         project=project)})
    return imp


def _columns(path: Path, problems: Problems) -> list | None:
    """The columns of the table file ``path`` (None: it cannot be read, with a warning)."""
    try:
        if path.suffix.lower() != ".parquet":
            with CsvTable(path, problems) as table:
                return table.columns
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    except Exception as exc:  # noqa: BLE001 - a bad file is one warning, the others go on
        problems.skip(f"{path}: cannot be read ({type(exc).__name__}: {exc}); skipped")
        return None


def _import_long(root: Path, files: list[Path], project: str, opts, problems: Problems, progress, result) -> None:
    """One long table (``--run-col``: one run per value) in the files ``files``: their rows sorted on disk
    by run and step (:class:`StepOrder`: the files were read whole into memory, joined and grouped by run
    there), then each run imported in turn. A ``--step-col`` or ``--time-col`` that names no column of any file stops the import
    before any run folder is made."""
    heads, union = [], {}
    for f in files:  # (the columns first: each file is opened again for its rows)
        cols = _columns(f, problems)
        if cols is not None and opts.run_col not in cols:
            problems.skip(f"{f}: --run-col {opts.run_col!r} is not a column; skipped")
        elif cols is not None:
            heads.append(f)
            union.update(dict.fromkeys(cols))
    if not heads:
        return
    cols = list(union)
    try:  # once for the whole table, before any run folder is made (it was once per run, each warned)
        _check_columns(opts, cols)
    except NotImported as exc:
        raise ValueError(f"{root}: {exc}") from None
    counts: dict[str, int] = {}
    with StepOrder() as order:
        seq = 0
        for n, f in enumerate(heads, 1):
            progress.update(f"{opts.source}: reading {n}/{len(heads)} files")
            if f.suffix.lower() == ".parquet":
                df = _read(f, problems)
                table = None if df is None else FrameTable(df)
            else:
                table = _open_csv(f, problems)
            if table is None:
                continue
            with table:
                for part in table.parts(_known_step_col(opts, cols), opts.run_col):
                    order.add(list(_rows(part, opts, cols, seq, counts)))
                    seq += len(part)
        where = str(root.resolve())
        for key, rows in groupby(order.rows(), key=itemgetter(0)):
            imp = _new_run(opts, project, f"{project}/{key}", key, {"path": where, "run": key}, problems)
            label = f"{root}:{key}"
            _import_run(imp, partial(_feed, imp, rows, part_rows(len(cols)), problems, label, _step_col(opts, cols)),
                        problems, result, label)
