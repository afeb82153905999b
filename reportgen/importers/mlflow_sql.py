"""MLflow SQL stores (``sqlite:///mlflow.db``, MLflow 3's default tracking URI) -> run folders.

Read with the standard library's ``sqlite3``, read-only and with ``trusted_schema`` off (the
database is untrusted input: its views and triggers never run). MLflow itself is not needed.
Tables read (MLflow's schema, stable since 1.x): ``experiments`` (name -> project, deleted ones
skipped), ``runs`` (name, status, start/end times, user, artifact location), ``metrics``
(``key, value, timestamp ms, step, is_nan``; MLflow stores NaN as ``is_nan`` and +-inf as
+-1.797e308, both turned back), ``params`` and ``tags`` (as the file store's, see
:mod:`.mlflow_store`, which turns a run into a run folder).

Metrics are read after the last ``rowid`` imported, so a re-import (and ``serve --watch``
following a training run that still logs) reads only new rows. Artifacts are imported from
the run's ``artifact_uri`` only when it is a local folder inside the folder holding the
database (``./mlruns/...`` or a server's ``./mlartifacts/...``, MLflow's defaults; MLflow
stores them as absolute paths, so a copied store is found by that tail): an artifact
location elsewhere on the machine is not read from an untrusted database.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlparse

from .common import Problems, RunImport, safe_run_id
from .mlflow_store import RunSource, record_run

SQLITE_MAGIC = b"SQLite format 3\x00"
DB_NAMES = ("mlflow.db",)
TABLES = ("experiments", "runs", "metrics", "params", "tags")
F64_MAX = 1.7976931348623157e308
# longest text or blob a query may produce: MLflow's own limits are 8,000 characters (a tag value), and
# a 24 KB database whose metrics table has a generated column zeroblob(900000000) made 900 MB per row
VALUE_MAX = 1 << 20


def sql_store(path: Path) -> Path | None:
    """The SQLite database behind ``path`` (the file itself, or ``mlflow.db`` in a folder), else None."""
    path = Path(path)
    if path.is_dir():
        path = next((path / n for n in DB_NAMES if (path / n).is_file()), path)
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            return path if fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC else None
    except OSError:
        return None


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA query_only = ON")
    if hasattr(conn, "setlimit"):  # Python >= 3.11: no value larger than VALUE_MAX is ever made
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, VALUE_MAX)
    return conn


def _value(value, is_nan) -> float:
    if is_nan:
        return float("nan")
    v = float(value)
    return float("inf") if v >= F64_MAX else float("-inf") if v <= -F64_MAX else v


def _artifacts(uri, base: Path, label: str, problems: Problems) -> Path | None:
    """The local artifacts folder of ``uri`` if it lies inside ``base`` (the database's folder)."""
    if not isinstance(uri, str) or not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme == "mlflow-artifacts":  # `mlflow server`'s proxy: ./mlartifacts/<path>
        path = base / "mlartifacts" / unquote(parsed.path).lstrip("/")
    elif parsed.scheme in ("", "file"):
        path = Path(unquote(parsed.path) if parsed.scheme else uri)
        path = path if path.is_absolute() else base / path
    else:
        problems.warn(f"{label}: artifacts at {uri!r} are not local; not imported")
        return None
    parts = path.parts
    tops = [i for i, p in enumerate(parts) if p in ("mlruns", "mlartifacts")]
    if path.is_absolute() and tops:  # the store was copied or moved: MLflow's paths are absolute
        moved = base.joinpath(*parts[tops[-1]:])
        if moved.is_dir():
            path = moved
    if not path.is_dir():  # a run that logged no artifacts has no folder
        return None
    try:
        real, root = path.resolve(), base.resolve()
    except (OSError, RuntimeError):
        return None
    if real != root and root not in real.parents:
        problems.warn(f"{label}: artifacts at {uri!r} are outside {root}; not imported")
        return None
    return real


def _rows(conn: sqlite3.Connection, sql: str, args=()) -> list[tuple]:
    return conn.execute(sql, args).fetchall()


def _computed(conn: sqlite3.Connection) -> str | None:
    """What in the tables read is computed when a row is read, not stored (None: nothing): a virtual
    table, or a generated column. MLflow's schema has neither, and a 20 MB database whose metrics
    table computes ``value AS (hex(zeroblob(500000)))`` for 100,000 rows made 100 GB of text to read."""
    for table in TABLES:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
        if sql and isinstance(sql[0], str) and sql[0].lstrip().upper().startswith("CREATE VIRTUAL"):
            return f"table {table} is a virtual table"
        for row in conn.execute(f"PRAGMA table_xinfo({table})"):
            if row[6]:  # hidden: 1 a virtual table's, 2 and 3 generated (VIRTUAL, STORED)
                return f"column {row[1]!r} of table {table} is computed, not stored"
    return None


def import_sql_store(db: Path, opts, problems: Problems, progress, result) -> None:
    try:
        conn = _connect(db)
        have = {r[0] for r in _rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        problems.warn(f"{db}: not a readable MLflow database ({exc})")
        return
    missing = [t for t in TABLES if t not in have]
    if missing:
        problems.warn(f"{db}: not an MLflow database (missing tables: {', '.join(missing)})")
        conn.close()
        return
    try:
        computed = _computed(conn)
    except sqlite3.Error as exc:
        computed = f"its schema is unreadable ({exc})"
    if computed:
        problems.warn(f"{db}: not an MLflow database ({computed}); not read")
        conn.close()
        return
    try:
        _import(conn, db, opts, problems, progress, result)
    except sqlite3.Error as exc:  # a corrupt page, a schema that is not MLflow's: what was committed stays
        problems.warn(f"{db}: {type(exc).__name__}: {exc}; import stopped")
    finally:
        conn.close()


def _import(conn: sqlite3.Connection, db: Path, opts, problems: Problems, progress, result) -> None:
    import_runs(_SqliteStore(conn, db), opts, problems, progress, result)


class _SqliteStore:
    """What :func:`import_runs` reads, from an SQLite database (metrics after the last ``rowid``)."""

    errors = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection, db: Path):
        self.conn, self.db, self.name = conn, db, str(db)

    def source(self, uuid: str) -> str:
        return f"{self.db.resolve()}#{uuid}"

    def experiments(self) -> list[tuple]:
        return _rows(self.conn, "SELECT experiment_id, name, lifecycle_stage FROM experiments")

    def runs(self) -> list[tuple]:
        return _rows(self.conn, "SELECT run_uuid, name, status, start_time, end_time, lifecycle_stage, "
                                "experiment_id, user_id, artifact_uri FROM runs ORDER BY start_time, run_uuid")

    def metrics(self, uuid: str, state: dict, add) -> dict:
        """``add(key, value, timestamp, step, is_nan, row)`` for each metric row not read before
        (``state``: what the last import left); returns the state to keep."""
        last = state.get("rowid")
        last = last if isinstance(last, int) else 0
        for rowid, key, value, ts, step, is_nan in self.conn.execute(
                "SELECT rowid, key, value, timestamp, step, is_nan FROM metrics "
                "WHERE run_uuid = ? AND rowid > ? ORDER BY rowid", (uuid, last)):
            last = max(last, rowid)
            add(key, value, ts, step, is_nan, rowid)
        return {"rowid": last}

    def text(self, table: str, uuid: str) -> list[tuple]:
        return _rows(self.conn, f"SELECT key, value FROM {table} WHERE run_uuid = ?", (uuid,))

    def artifacts(self, uri, label: str, problems: Problems) -> Path | None:
        return _artifacts(uri, self.db.parent, label, problems)


def import_runs(store, opts, problems: Problems, progress, result) -> None:
    """Every run of an MLflow SQL store (``store``: :class:`_SqliteStore`, or a server's database,
    :mod:`.mlflow_server`) into run folders, each adding only what it did not read before."""
    experiments = {eid: (name, stage) for eid, name, stage in store.experiments()}
    runs = store.runs()
    if not runs:
        problems.warn(f"{store.name}: no MLflow runs found")
        result.listed = store.source("")
        return
    for n, (uuid, name, status, start, end, stage, eid, user, uri) in enumerate(runs, 1):
        progress.update(f"mlflow: run {n}/{len(runs)}")
        exp_name, exp_stage = experiments.get(eid, (None, None))
        if stage == "deleted" or exp_stage == "deleted" or not isinstance(uuid, str):
            continue
        project = opts.project or str(exp_name or eid)
        run_id = safe_run_id("mlflow", uuid, problems)
        imp = RunImport(opts.out, run_id, source={"kind": "mlflow", "path": store.source(uuid)}, problems=problems)
        label = f"mlflow run {uuid}"
        points: dict[str, list[tuple[float, float, int]]] = {}
        text: dict[str, dict[str, str]] = {"params": {}, "tags": {}}
        try:  # (a value over VALUE_MAX, a column that is not MLflow's: this run is skipped, not the store)
            state = store.metrics(uuid, imp.state, _adder(points, label, problems))
            for table, out in text.items():
                for key, value in store.text(table, uuid):
                    out[str(key)] = "" if value is None else str(value)[:VALUE_MAX]
        except store.errors as exc:
            problems.skip(f"{label}: {type(exc).__name__}: {exc}; skipped")
            continue
        info = {"status": status, "start_time": start, "end_time": end, "run_name": name, "user_id": user}
        src = RunSource(label, uuid, points, text["params"], text["tags"], store.artifacts(uri, label, problems), info)
        try:
            result.rows += record_run(imp, src, project, opts, problems, state)
        except OSError as exc:
            problems.skip(f"{label}: {exc}; skipped")
            continue
        except Exception as exc:  # noqa: BLE001 - one hostile run never loses the others
            problems.skip(f"{label}: {type(exc).__name__}: {exc}; skipped")
            continue
        result.runs.append(run_id)
    result.listed = store.source("")  # (every run not deleted came to: the Follower prunes the others)


def _adder(points: dict[str, list[tuple[float, float, int]]], label: str, problems: Problems):
    """``add(key, value, timestamp ms, step, is_nan, row)``: one metric row into ``points`` (a row that
    is not numbers is skipped with a warning naming ``row``)."""
    def add(key, value, ts, step, is_nan, row) -> None:
        try:
            points.setdefault(str(key), []).append((int(ts) / 1000.0, _value(value, is_nan), int(step)))
        except (TypeError, ValueError, OverflowError):
            problems.warn(f"{label}: metric {key!r}: unreadable row {row} skipped")
    return add
