"""MLflow tracking servers' databases (``mlflow server --backend-store-uri postgresql://...`` or
``mysql://...``): real PostgreSQL and MariaDB servers on 127.0.0.1, written by the real mlflow
client in a subprocess, imported with ``reportgen import mlflow URI``, built and followed."""
from __future__ import annotations

import importlib.util

import pytest

from dbservers import MariaDbServer, PgServer, mariadb_bin, pg_bin
from import_sources import MLFLOW_DELETE_SCRIPT, MLFLOW_SQL_SCRIPT, check_mlflow_sql_runs, run_script
from reportgen.importers import detect
from reportgen.storage.reader import list_run_dirs, read_run

pytest.importorskip("mlflow")
pytest.importorskip("sqlalchemy")

PASSWORD = "s3cret-pw"  # (kept out of every message and file)

WRITE = MLFLOW_SQL_SCRIPT  # (the SQLite store's test writes the same runs)



SERVERS = {  # kind: (server, what it needs, the reason to skip without it)
    "postgresql": (PgServer, lambda: pg_bin("initdb") and importlib.util.find_spec("psycopg"),
                   "PostgreSQL or psycopg is not installed (Debian: apt-get install postgresql; .ci/run installs it)"),
    "mariadb": (MariaDbServer, lambda: mariadb_bin("mariadbd") and importlib.util.find_spec("pymysql"),
                "MariaDB or PyMySQL is not installed (Debian: apt-get install mariadb-server; .ci/run installs it)"),
}


@pytest.fixture(scope="module", params=sorted(SERVERS))
def store(request, tmp_path_factory):
    """(kind, server, URI of its database ``mlflow``, the client's folder) with WRITE's first runs in it."""
    make, present, reason = SERVERS[request.param]
    if not present():
        pytest.skip(reason)
    server = make(PASSWORD)
    try:
        server.create_db("mlflow")
        url = server.url("mlflow")
        work = tmp_path_factory.mktemp("client")
        run_script(WRITE, work, url, "exp-db", "first")
        yield request.param, server, url, work
    finally:
        server.stop()


def _runs(out):
    return {read_run(d).name: read_run(d) for d in list_run_dirs(out)}


def _series(rec, key):
    return [(r["_step"], r[key]) for r in rec.history if key in r]


def _texts(folder):
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_server_store_imports_like_the_sqlite_store_then_only_new_rows(store, tmp_path, cli):
    kind, _server, url, work = store
    assert detect(url) == "mlflow"  # serve --watch / build follow it
    out = tmp_path / "runs"
    proc = cli("import", "mlflow", url, "-o", str(out))
    # artifacts are in the server's artifact store: said once, not read
    assert proc.stderr.count("not imported") == 1 and "artifact store" in proc.stderr, proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr and ":***@127.0.0.1" in proc.stderr
    check_mlflow_sql_runs(_runs(out), "exp-db")
    assert PASSWORD not in _texts(out)  # (the runs' source names the database without it)

    run_script(WRITE, work, url, "exp-db", "more")
    proc = cli("import", "mlflow", url, "-o", str(out))
    assert "(5 new rows)" in proc.stdout, proc.stdout
    assert _series(_runs(out)["first"], "loss") == [(s, 1.0 / (s + 1)) for s in range(25)]
    proc = cli("import", "mlflow", url, "-o", str(out))
    assert "(0 new rows)" in proc.stdout, proc.stdout


def test_strict_import_of_a_server_store_fails_only_on_problems(store, tmp_path, cli):
    """``import --strict`` of a tracking server's store exited 1 on every import: the one line saying
    its artifacts (in the server's artifact store) are not imported counted as a problem. It is a
    note now, printed as one; --strict still fails on a problem (a URI naming no database)."""
    _kind, _server, url, _work = store
    proc = cli("import", "mlflow", url, "-o", str(tmp_path / "runs"), "--strict", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "note: " in proc.stderr and "artifact store" in proc.stderr and "warning" not in proc.stderr, proc.stderr
    assert "Imported " in proc.stdout and "refused" not in proc.stdout, proc.stdout
    bad = url.rsplit("/", 1)[0] + "/no_such_db"
    proc = cli("import", "mlflow", bad, "-o", str(tmp_path / "runs2"), "--strict", check=False)
    assert proc.returncode == 1 and "warning: " in proc.stderr, proc.stdout + proc.stderr


def test_rows_at_the_newest_timestamp_read_are_neither_lost_nor_doubled(store, tmp_path, cli):
    """No rowid: a re-import reads from the newest timestamp it took on. A row that arrives later with
    that very timestamp (log_batch writes many rows with one) is taken; those read before are not again."""
    kind, server, url, _work = store
    run_script(r'''
import sys, mlflow
from mlflow.entities import Metric
mlflow.set_tracking_uri(sys.argv[1])
mlflow.set_experiment("b")
with mlflow.start_run(run_name="b") as run:
    mlflow.MlflowClient().log_batch(run.info.run_id, metrics=[Metric("m", float(s), 1_700_000_000_000, s) for s in range(3)])
''', url)
    out = tmp_path / "runs"
    cli("import", "mlflow", url, "-o", str(out))
    assert _series(_runs(out)["b"], "m") == [(0, 0.0), (1, 1.0), (2, 2.0)]
    # two more rows at the timestamp already read, one later: what a still-running batch logger adds
    rows = [(3, 1700000000000), (4, 1700000000000), (5, 1700000000001)]
    key = "`key`" if kind == "mariadb" else "key"  # (a reserved word in MySQL)
    server.sql("mlflow", [
        f"INSERT INTO metrics ({key}, value, timestamp, run_uuid, step, is_nan) SELECT 'm', {s}, {ts}, run_uuid, "
        f"{s}, false FROM runs WHERE name = 'b'" for s, ts in rows])
    proc = cli("import", "mlflow", url, "-o", str(out))
    assert "(3 new rows)" in proc.stdout, proc.stdout
    assert _series(_runs(out)["b"], "m") == [(s, float(s)) for s in range(6)]


def test_build_and_errors_name_the_database_without_its_password(store, tmp_path, cli):
    _kind, server, url, _work = store
    env = {"REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}
    site = tmp_path / "site"
    proc = cli("build", url, "-o", str(site), env=env)
    assert "tracking server's database" in proc.stderr and PASSWORD not in proc.stdout + proc.stderr
    assert "first" in (site / "index.html").read_text() and "failed" in (site / "index.html").read_text()

    missing = server.url("no_such_db")
    proc = cli("import", "mlflow", missing, "-o", str(tmp_path / "none"))
    assert "not a readable MLflow database" in proc.stderr and "no_such_db" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    server.create_db("empty")
    proc = cli("import", "mlflow", server.url("empty"), "-o", str(tmp_path / "none"))
    assert "not an MLflow database (missing tables: experiments, runs, metrics, params, tags)" in proc.stderr


def test_a_run_deleted_from_the_database_leaves_the_followed_site(store, tmp_path, cli):
    """A run deleted from a server's database (mlflow.delete_run) stayed in the site built from it for
    ever (database stores were not pruned); a pass that lists the database's runs now prunes it."""
    _kind, server, _url, _work = store
    server.create_db("pruned")
    url, work = server.url("pruned"), tmp_path / "client"
    work.mkdir()
    run_script(WRITE, work, url, "exp-db", "first")
    env = {"REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}
    site = tmp_path / "site"
    cli("build", url, "-o", str(site), env=env)
    (root,) = (tmp_path / "cache" / "follow").iterdir()
    assert sorted(_runs(root)) == ["failed", "first"]
    run_script(MLFLOW_DELETE_SCRIPT, work, url, "failed", "delete_run")
    proc = cli("build", url, "-o", str(site), env=env)
    assert sorted(_runs(root)) == ["first"] and "is deleted or gone" in proc.stderr, proc.stderr
    assert PASSWORD not in proc.stderr and "failed" not in (site / "index.html").read_text()
