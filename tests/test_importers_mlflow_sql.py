"""MLflow SQLite stores (MLflow 3's default ``sqlite:///mlflow.db``), written by the real
mlflow client in a subprocess, imported with ``reportgen import mlflow``."""
from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest
from PIL import Image as PILImage

from import_sources import MLFLOW_SQL_SCRIPT, check_mlflow_sql_runs, run_script
from reportgen.importers import detect
from reportgen.storage.reader import list_run_dirs, read_run

pytest.importorskip("mlflow")

WRITE = MLFLOW_SQL_SCRIPT



def _runs(out):
    return {read_run(d).name: read_run(d) for d in list_run_dirs(out)}


def _series(rec, key):
    return [(r["_step"], r[key]) for r in rec.history if key in r]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    src = tmp_path_factory.mktemp("mlflow-sql")
    run_script(WRITE, src, "sqlite:///mlflow.db", "exp-sql", "first")
    return src


def test_sqlite_store_imports_like_the_file_store_and_then_only_new_rows(store, tmp_path, cli):
    src = tmp_path / "src"
    shutil.copytree(store, src)
    assert detect(src) == "mlflow" and detect(src / "mlflow.db") == "mlflow"  # serve --watch follows it
    out = tmp_path / "runs"
    proc = cli("import", "mlflow", f"sqlite:///{src / 'mlflow.db'}", "-o", str(out))
    assert "warning" not in proc.stderr, proc.stderr
    runs = _runs(out)
    check_mlflow_sql_runs(runs, "exp-sql")
    first = runs["first"]
    (step, pred), = _series(first, "pred")
    assert step == 3 and np.asarray(PILImage.open(first.path / pred["path"]))[0, 0].tolist() == [0, 55, 0]

    run_script(WRITE, src, "sqlite:///mlflow.db", "exp-sql", "more")
    proc = cli("import", "mlflow", str(src), "-o", str(out))  # the folder holding mlflow.db
    assert "(5 new rows)" in proc.stdout, proc.stdout
    assert _series(_runs(out)["first"], "loss") == [(s, 1.0 / (s + 1)) for s in range(25)]


def test_hostile_database_artifacts_outside_are_not_read_and_garbage_is_a_warning(store, tmp_path, cli):
    src = tmp_path / "src"
    shutil.copytree(store, src)
    secret = tmp_path / "elsewhere" / "images"
    secret.mkdir(parents=True)
    PILImage.new("RGB", (2, 2), (1, 2, 3)).save(secret / "secret.png")
    with sqlite3.connect(src / "mlflow.db") as conn:  # a database pointing at a folder outside its own
        conn.execute("UPDATE runs SET artifact_uri = ?", (str(secret.parent),))
    out = tmp_path / "runs"
    proc = cli("import", "mlflow", str(src / "mlflow.db"), "-o", str(out))
    assert "outside" in proc.stderr and "not imported" in proc.stderr, proc.stderr
    assert not list(out.rglob("*.png"))  # nothing from outside the database's folder was copied
    assert len(_runs(out)["first"].history) > 0  # the rest imported

    bad = tmp_path / "bad.db"
    with sqlite3.connect(bad) as conn:
        conn.execute("CREATE TABLE runs (x)")
    proc = cli("import", "mlflow", str(bad), "-o", str(tmp_path / "runs2"))
    assert "not an MLflow database (missing tables: experiments, metrics, params, tags)" in proc.stderr
