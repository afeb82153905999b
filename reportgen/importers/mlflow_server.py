"""MLflow tracking servers' databases (``postgresql://``, ``mysql://``, ``mssql://``: the
``--backend-store-uri`` of ``mlflow server``) -> run folders.

The URI is the one MLflow itself was given, read with SQLAlchemy (MLflow's own layer) and the
driver installed (``pip install 'reportgen[mlflow-server]'``: psycopg 3 and PyMySQL; with no driver
in the URI, psycopg 3 or psycopg2 for PostgreSQL, mysqlclient or PyMySQL for MySQL, whichever is
there). The connection is
read-only (the session's transactions are ``READ ONLY`` where the database has them). The tables
and the way a run becomes a run folder are the SQLite store's (:mod:`.mlflow_sql`).

Such a database has no ``rowid``: a re-import (and ``serve --watch`` following a run that still
logs) reads the rows from the newest timestamp it imported on and skips those it already took
(the rows at that very timestamp are remembered). A row logged later with an older timestamp
(``log_metric(timestamp=...)`` in the past) is not seen by a re-import: import into a new
folder to take everything again. Artifacts live in the server's artifact store, not in the
database: they are not imported (one note says so; no problem for ``--strict``). Passwords in the URI are never printed.
"""
from __future__ import annotations

import importlib.util
import re

from .common import Problems
from .mlflow_sql import TABLES, VALUE_MAX, import_runs

EXTRA = "mlflow-server"
METRIC_COLUMNS = ("run_uuid", "key", "value", "timestamp", "step", "is_nan")


def _sqlalchemy():
    try:
        import sqlalchemy
    except ImportError:
        raise ImportError(f"reading an MLflow tracking server's database needs SQLAlchemy and its driver: "
                          f"pip install 'reportgen[{EXTRA}]'") from None
    return sqlalchemy


def _url(uri: str):
    """``uri`` as an SQLAlchemy URL with the driver MLflow's docs use when none is named."""
    sa = _sqlalchemy()
    try:
        url = sa.engine.make_url(uri)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy's ArgumentError and friends
        raise ValueError(f"PATH: not a database URI ({exc})") from None
    if url.drivername == "postgres":  # (an old spelling MLflow still accepts)
        url = url.set(drivername="postgresql")
    # no driver named: the one installed (SQLAlchemy's default differs between its releases: psycopg2
    # before 2.1, psycopg 3 since; mysqlclient for mysql://, which the extra does not install)
    choices = {"postgresql": ("psycopg", "psycopg2"), "mysql": ("MySQLdb", "pymysql"), "mariadb": ("MySQLdb", "pymysql")}
    for module in choices.get(url.drivername, ()):
        if importlib.util.find_spec(module) is not None:
            driver = {"MySQLdb": "mysqldb"}.get(module, module)
            return url.set(drivername=f"{url.drivername}+{driver}")
    return url


def redacted(uri: str) -> str:
    """``uri`` without its password (for messages and the imported runs' source)."""
    try:
        return _url(uri).render_as_string(hide_password=True)
    except (ImportError, ValueError):
        return re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", uri)


class ServerStore:
    """What :func:`.mlflow_sql.import_runs` reads, from a server's database."""

    def __init__(self, uri: str):
        sa = self.sa = _sqlalchemy()
        self.url = _url(uri)
        self.name = self.url.render_as_string(hide_password=True)
        self.errors = (sa.exc.SQLAlchemyError,)
        try:
            self.engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        except ImportError as exc:  # the URL's driver is not installed
            raise ImportError(f"{self.name}: {exc} (pip install 'reportgen[{EXTRA}]')") from None
        self.conn = None
        self.t = {name: sa.table(name, *(sa.column(c) for c in cols)) for name, cols in (
            ("experiments", ("experiment_id", "name", "lifecycle_stage")),
            ("runs", ("run_uuid", "name", "status", "start_time", "end_time", "lifecycle_stage", "experiment_id",
                      "user_id", "artifact_uri")),
            ("metrics", METRIC_COLUMNS), ("params", ("run_uuid", "key", "value")), ("tags", ("run_uuid", "key", "value")))}
        self.artifacts_warned = False

    def open(self) -> list[str]:
        """Connect (read-only); the MLflow tables the database lacks."""
        self.conn = self.engine.connect()
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            self.conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        elif dialect in ("mysql", "mariadb"):
            self.conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        have = set(self.sa.inspect(self.conn).get_table_names())
        return [t for t in TABLES if t not in have]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.engine.dispose()

    def source(self, uuid: str) -> str:
        return f"{self.name}#{uuid}"

    def _all(self, query) -> list[tuple]:
        return [tuple(r) for r in self.conn.execute(query)]

    def experiments(self) -> list[tuple]:
        e = self.t["experiments"]
        return self._all(self.sa.select(e.c.experiment_id, e.c.name, e.c.lifecycle_stage))

    def runs(self) -> list[tuple]:
        r = self.t["runs"]
        return self._all(self.sa.select(*r.c).order_by(r.c.start_time, r.c.run_uuid))

    def metrics(self, uuid: str, state: dict, add) -> dict:
        """``add(...)`` for each row from the newest timestamp read before on (its rows read then, kept in
        ``state["at"]``, skipped); returns the new state."""
        m = self.t["metrics"]
        ts0 = state.get("ts")
        ts0 = ts0 if isinstance(ts0, int) else None
        seen = {tuple(x) for x in state.get("at") or () if isinstance(x, list)} if ts0 is not None else set()
        query = self.sa.select(m.c.key, m.c.value, m.c.timestamp, m.c.step, m.c.is_nan).where(m.c.run_uuid == uuid)
        if ts0 is not None:
            query = query.where(m.c.timestamp >= ts0)
        query = query.order_by(m.c.timestamp, m.c.key, m.c.step, m.c.value)
        newest, at = ts0, list(seen)
        for key, value, ts, step, is_nan in self.conn.execution_options(stream_results=True, yield_per=10_000
                                                                         ).execute(query):
            if isinstance(key, str) and len(key) > VALUE_MAX:
                key = key[:VALUE_MAX]
            ident = _ident(key, value, step, is_nan)
            if ts == ts0 and ident in seen:
                continue  # read by the last import
            add(key, value, ts, step, is_nan, f"at timestamp {ts}")
            if isinstance(ts, int) and (newest is None or ts > newest):
                newest, at = ts, []
            if ts == newest:
                at.append(list(ident))
        return {"ts": newest, "at": at} if newest is not None else {}

    def text(self, table: str, uuid: str) -> list[tuple]:
        t = self.t[table]
        return self._all(self.sa.select(t.c.key, t.c.value).where(t.c.run_uuid == uuid))

    def artifacts(self, uri, label: str, problems: Problems):
        if uri and not self.artifacts_warned:
            self.artifacts_warned = True
            # (informational: a server store's import never takes artifacts, so --strict does not fail on it)
            problems.note(f"{self.name}: artifacts live in the tracking server's artifact store ({uri!r}...), "
                          "not in its database: not imported (metrics, params and tags are)")
        return None


def _ident(key, value, step, is_nan) -> tuple:
    """A metric row's identity within its timestamp (MLflow's primary key), JSON-safe."""
    try:
        v = repr(float(value))
    except (TypeError, ValueError):
        v = repr(value)
    try:
        step = int(step)
    except (TypeError, ValueError):
        step = repr(step)
    return (str(key), step, v, bool(is_nan))


def import_server_store(uri: str, opts, problems: Problems, progress, result) -> None:
    store = ServerStore(uri)
    try:
        try:
            missing = store.open()
        except store.errors as exc:
            problems.warn(f"{store.name}: not a readable MLflow database ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''})")
            return
        if missing:
            problems.warn(f"{store.name}: not an MLflow database (missing tables: {', '.join(missing)})")
            return
        try:
            import_runs(store, opts, problems, progress, result)
        except store.errors as exc:  # the connection lost, a schema that is not MLflow's: what was written stays
            problems.warn(f"{store.name}: {type(exc).__name__}: {str(exc).splitlines()[0]}; import stopped")
    finally:
        store.close()
