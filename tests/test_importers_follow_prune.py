"""``reportgen build LOGDIR`` / ``serve`` on another tracker's folder: the site shows what the folder
holds now. A run deleted at the source (or no longer read: a link out of the logdir without
--follow-links) is removed from the follower's cache runs root at the next pass; a source that cannot
be read now keeps everything. Real tensorboardX event files, a real mlruns/ tree and real wandb offline
runs, the real CLI."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from import_sources import (MLFLOW_DELETE_SCRIPT, MLFLOW_SCRIPT, MLFLOW_SQL_SCRIPT, WANDB_SCRIPT, mlflow_env, run_script,
                            start_script, wait_script, wandb_env)
from reportgen.importers.follow import Follower, cache_root
from reportgen.storage.reader import list_run_dirs, read_run

pytest.importorskip("tensorboard")
pytest.importorskip("tensorboardX")


def _tbx(folder: Path, steps: int = 5) -> None:
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(folder))
    for s in range(steps):
        w.add_scalar("loss", 1.0 / (s + 1), s)
    w.close()


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))  # (the CLI's subprocesses inherit it)


def _build(src: Path, site: Path, *args: str):
    return run_cli("build", str(src), "-o", str(site), *args)


def _names(root: Path) -> list[str]:
    return sorted(read_run(d).name for d in list_run_dirs(root))


def _pages(site: Path) -> int:
    return len(list((site / "runs").glob("*/index.html")))


def test_a_run_deleted_from_the_logdir_leaves_the_site(tmp_path):
    logs, site = tmp_path / "logs", tmp_path / "site"
    _tbx(logs / "a")
    _tbx(logs / "b")
    proc = _build(logs, site)
    # decided up front: imported, then built once (no empty site of the logdir built first)
    assert proc.stderr.count("built ") == 1 and "built 0 runs" not in proc.stderr, proc.stderr
    root = cache_root(logs)
    assert _names(root) == ["a", "b"] and _pages(site) == 2
    (gone,) = [d.name for d in list_run_dirs(root) if read_run(d).name == "b"]
    shutil.rmtree(logs / "b")
    proc = _build(logs, site)
    assert _names(root) == ["a"] and not (root / gone).exists()
    assert _pages(site) == 1 and gone not in (site / "index.html").read_text()
    said = [line for line in proc.stderr.splitlines() if gone in line]
    assert said == [f"note: tensorboard: logs/b is gone: its imported run {gone} is removed from the site"], proc.stderr


def test_a_run_read_through_follow_links_leaves_a_default_build(tmp_path):
    logs, site = tmp_path / "logs", tmp_path / "site"
    _tbx(logs / "a")
    _tbx(tmp_path / "elsewhere" / "c")
    (logs / "c").symlink_to(tmp_path / "elsewhere" / "c")
    _build(logs, site, "--follow-links")
    root = cache_root(logs)
    assert _names(root) == ["a", "c"] and _pages(site) == 2
    proc = _build(logs, site)  # the link out of the logdir is refused now: c must not stay published
    assert _names(root) == ["a"] and _pages(site) == 1
    assert "c: a link to" in proc.stderr and "logs/c is no longer read" in proc.stderr, proc.stderr
    assert (tmp_path / "elsewhere" / "c").is_dir()  # (the source is never touched)


def test_a_source_that_cannot_be_read_now_keeps_its_runs(tmp_path, capsys):
    logs, out = tmp_path / "logs", tmp_path / "cache" / "runs"
    _tbx(logs / "a")
    _tbx(logs / "b")
    f = Follower("tensorboard", logs, out)
    f.poll()
    assert _names(out) == ["a", "b"]
    logs.rename(tmp_path / "away")  # the whole logdir is missing for a while (a remount)
    f.poll()
    assert _names(out) == ["a", "b"] and "import failed (FileNotFoundError" in capsys.readouterr().err
    (tmp_path / "away").rename(logs)
    shutil.rmtree(logs / "b")
    (logs / "b").symlink_to(logs / "b")  # b's place cannot be listed (a link loop: ELOOP), not gone
    f.poll()
    assert _names(out) == ["a", "b"]
    assert "b: cannot be listed now" in capsys.readouterr().err
    (logs / "b").unlink()
    f.poll()
    assert _names(out) == ["a"]
    # a folder of the cache root that is no import of this logdir is never touched
    (out / "mine").mkdir()
    (out / "mine" / "run.json").write_text('{"name": "mine"}')
    f.poll()
    assert (out / "mine" / "run.json").exists()


def test_a_run_deleted_from_an_mlruns_tree_leaves_the_site(tmp_path):
    pytest.importorskip("mlflow")
    mlruns, site = tmp_path / "mlruns", tmp_path / "site"
    run_script(MLFLOW_SCRIPT, mlruns, 6, env=mlflow_env())
    proc = _build(mlruns, site)
    assert proc.stderr.count("built ") == 1 and "built 0 runs" not in proc.stderr, proc.stderr
    root = cache_root(mlruns)
    assert _names(root) == ["failed", "first"] and _pages(site) == 2
    (meta,) = [m for m in mlruns.glob("*/*/meta.yaml") if "run_name: failed" in m.read_text()]
    shutil.rmtree(meta.parent)
    _build(mlruns, site)
    assert _names(root) == ["first"] and _pages(site) == 1
    # a run folder that is a link (to another disk) is followed by its link: removed, the run leaves
    (meta,) = [m for m in mlruns.glob("*/*/meta.yaml") if "run_name: first" in m.read_text()]
    moved = tmp_path / "other" / meta.parent.name
    moved.parent.mkdir()
    meta.parent.rename(moved)
    meta.parent.symlink_to(moved)
    proc = _build(mlruns, site)  # (a link out of the folder is not read by default)
    assert _names(root) == [] and f"{meta.parent.name}: a link to {moved}, outside the mlruns folder" in proc.stderr
    _build(mlruns, site, "--follow-links")
    assert _names(root) == ["first"] and _pages(site) == 1
    meta.parent.unlink()
    proc = _build(mlruns, site, "--follow-links")
    assert _names(root) == [] and f"{meta.parent.name} is gone" in proc.stderr, proc.stderr


def test_a_run_deleted_from_a_wandb_folder_leaves_the_site(tmp_path):
    pytest.importorskip("wandb")
    wb, site = tmp_path / "wb", tmp_path / "site"
    for proc in [start_script(WANDB_SCRIPT, wb, 4, 2, env=wandb_env(wb)) for _ in range(2)]:  # two offline runs
        wait_script(proc)
    src = wb / "wandb"
    _build(src, site)
    root = cache_root(src)
    assert len(list_run_dirs(root)) == 2 and _pages(site) == 2
    gone = sorted(src.glob("offline-run-*"))[0]
    shutil.rmtree(gone)
    proc = _build(src, site)
    (kept,) = list_run_dirs(root)
    assert _pages(site) == 1 and kept.name != f"wandb-{gone.name.rsplit('-', 1)[-1]}"
    assert f"wandb/{gone.name} is gone" in proc.stderr, proc.stderr


def test_a_wandb_run_reached_through_a_link_leaves_the_site_with_its_link(tmp_path):
    """A wandb run folder that is a link out of the folder (wandb/offline-run-x -> another project's run)
    was read as any: a downloaded wandb folder published what its links name. It is read only with
    --follow-links now, as a logdir's (one warning naming it otherwise). And such a run was recorded by
    the link's target, outside the followed folder, so the Follower never looked for it: the link
    removed, the run stayed in the site for ever. It is recorded by the link now, and pruned as any."""
    pytest.importorskip("wandb")
    wb, other, site = tmp_path / "wb", tmp_path / "other", tmp_path / "site"
    procs = [start_script(WANDB_SCRIPT, d, 4, 2, env=wandb_env(d)) for d in (wb, other)]
    for proc in procs:
        wait_script(proc)
    src = wb / "wandb"
    (target,) = (other / "wandb").glob("offline-run-*")
    link = src / target.name
    link.symlink_to(target)
    proc = _build(src, site)
    root = cache_root(src)
    assert len(list_run_dirs(root)) == 1 and _pages(site) == 1
    assert f"{target.name}: a link to {target}, outside the wandb folder {src}; not read" in proc.stderr, proc.stderr
    _build(src, site, "--follow-links")
    assert len(list_run_dirs(root)) == 2 and _pages(site) == 2
    link.unlink()
    proc = _build(src, site, "--follow-links")
    assert len(list_run_dirs(root)) == 1 and _pages(site) == 1
    assert f"wandb/{target.name} is gone" in proc.stderr, proc.stderr
    assert target.is_dir()  # (the source is never touched)


def test_a_logdir_swapped_for_a_link_is_not_imported_from(tmp_path, capsys):
    """``serve --watch logs`` follows the logdir with a Follower, which imported from the path it was
    given at every pass: the logdir replaced by a link to another project's logdir after start had the
    next pass import that project's runs into the served site (and prune the logdir's own ones). A
    pass now imports only from the folder the follower started on, with one warning naming the link
    and its target, and keeps what it imported; with the logdir back, it follows it again."""
    logs, other = tmp_path / "logs", tmp_path / "other"
    _tbx(logs / "a")
    _tbx(other / "secret")
    root = cache_root(logs)
    follower = Follower("tensorboard", logs, root)
    follower.poll()
    assert _names(root) == ["a"]
    logs.rename(tmp_path / "logs.old")
    logs.symlink_to(other, target_is_directory=True)
    assert follower.poll() == 0 and follower.poll() == 0
    assert _names(root) == ["a"]
    err = capsys.readouterr().err
    assert err.count("is not followed") == 1 and f"now leads to {other}" in err, err
    logs.unlink()
    (tmp_path / "logs.old").rename(logs)
    _tbx(logs / "b")
    follower.poll()
    assert _names(root) == ["a", "b"]


def test_a_run_deleted_from_an_mlflow_database_leaves_the_site(tmp_path):
    """A run deleted from an MLflow SQLite store (mlflow.delete_run, then mlflow gc) stayed in the site
    for ever: database stores were not pruned. A pass that lists the store's runs to the end now
    prunes the ones it did not come to, as a folder's; a database that cannot be read now keeps them."""
    pytest.importorskip("mlflow")
    src, site = tmp_path / "store", tmp_path / "site"
    src.mkdir()
    run_script(MLFLOW_SQL_SCRIPT, src, "sqlite:///mlflow.db", "exp-sql", "first")
    _build(src, site)
    root = cache_root(src)
    assert _names(root) == ["failed", "first"] and _pages(site) == 2
    (gone,) = [d.name for d in list_run_dirs(root) if read_run(d).name == "failed"]
    run_script(MLFLOW_DELETE_SCRIPT, src, "sqlite:///mlflow.db", "failed", "delete_run")
    proc = _build(src, site)
    assert _names(root) == ["first"] and _pages(site) == 1 and gone not in (site / "index.html").read_text()
    said = [line for line in proc.stderr.splitlines() if gone in line]
    assert said == [f"note: mlflow: {(src / 'mlflow.db').resolve()}#{gone.split('-', 1)[1]} is deleted or gone: "
                    f"its imported run {gone} is removed from the site"], proc.stderr
    run_script(MLFLOW_DELETE_SCRIPT, src, "sqlite:///mlflow.db", "failed", "restore_run")  # (restored: imported again)
    _build(src, site)
    assert _names(root) == ["failed", "first"] and _pages(site) == 2
    # a database that cannot be read now (being replaced under serve --watch) keeps every run
    follower = Follower("mlflow", src, root)  # (what serve --watch polls)
    db = src / "mlflow.db"
    db.rename(tmp_path / "away.db")
    db.write_bytes(b"not a database")
    follower.poll()
    assert _names(root) == ["failed", "first"]
    db.unlink()
    (tmp_path / "away.db").rename(db)
    # deleted, then removed for good by mlflow gc (its row gone from the database)
    run_script(MLFLOW_DELETE_SCRIPT, src, "sqlite:///mlflow.db", "failed", "delete_run")
    gc = subprocess.run([sys.executable, "-m", "mlflow", "gc", "--backend-store-uri", "sqlite:///mlflow.db"],
                        cwd=src, capture_output=True, text=True, env={**os.environ, "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"})
    assert gc.returncode == 0, gc.stderr
    with sqlite3.connect(db) as conn:
        assert [r for (r,) in conn.execute("SELECT name FROM runs")] == ["first"]
    follower.poll()
    assert _names(root) == ["first"]
    _build(src, site)
    assert _pages(site) == 1
