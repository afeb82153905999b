"""Issue 12 for the importers: a downloaded mlruns/, wandb/ or TensorBoard logdir is as untrusted
as a run folder. A file in it that is a link to somewhere outside (``params/x`` -> a key file) was
imported and then published; a named pipe under a source file's name blocked the import for ever.
Sources are written by the real libraries (tests/import_sources.py), then made hostile."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostile import leaked

pytest.importorskip("tensorboard")
pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="links and named pipes: POSIX")

SECRET = "SECRET-0d1f-CANARY"


def _import(source: str, path: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    """``reportgen import`` in a subprocess with a deadline (a pipe that blocks fails the test, not CI)."""
    proc = subprocess.run([sys.executable, "-m", "reportgen", "import", source, str(path), "-o", str(out), *args],
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture
def outside(tmp_path) -> Path:
    """Files outside every source: what a hostile link points at."""
    d = tmp_path / "outside"
    d.mkdir()
    (d / "id_rsa").write_text(f"{SECRET}\n")
    (d / "metric").write_text(f"1700000000000 {len(SECRET)}.5 0\n")  # reads as an MLflow metric file
    (d / "kube.yaml").write_text(f"token: {SECRET}\nserver: https://example.invalid\n")
    (d / "table.csv").write_text(f"step,loss,secret\n0,1.0,{SECRET}\n")
    from PIL import Image

    Image.new("RGB", (3, 3), (1, 2, 3)).save(d / "private.png")
    (d / "private.png").write_bytes((d / "private.png").read_bytes() + SECRET.encode())
    return d


def test_mlflow_store_links_out_and_pipes_are_refused(tracker_sources, tmp_path, outside):
    store = tmp_path / "mlruns"
    shutil.copytree(tracker_sources["mlflow"], store, symlinks=True)
    run = next(p.parent for p in sorted(store.rglob("params")) if p.is_dir())
    (run / "params" / "secret").symlink_to(outside / "id_rsa")
    (run / "tags" / "leak").symlink_to(outside / "id_rsa")
    (run / "metrics" / "leak").symlink_to(outside / "metric")
    os.mkfifo(run / "params" / "pipe")
    os.mkfifo(run / "metrics" / "pipe")
    art = run / "artifacts"
    art.mkdir(exist_ok=True)
    (art / "private.png").symlink_to(outside / "private.png")
    (art / "plots").mkdir(exist_ok=True)
    (art / "plots" / "pipe.png").parent.mkdir(exist_ok=True)
    os.mkfifo(art / "plots" / "pipe.png")
    out = tmp_path / "runs"
    proc = _import("mlflow", store, out)
    said = proc.stdout + proc.stderr
    assert leaked(out, SECRET) == []
    for what in ("param 'secret'", "tag 'leak'", "metric 'leak'", "artifact 'private.png'"):
        assert what in said and "link to a file outside" in said, what
    assert "param 'pipe'" in said and "not a regular file" in said
    from reportgen.storage.reader import list_run_dirs, read_run

    runs = [read_run(d) for d in list_run_dirs(out)]
    assert all("secret" not in r.config and "leak" not in str(r.meta.get("tags")) for r in runs)
    assert any(r.config.get("lr") == 0.1 for r in runs)  # the store's own values are imported as before


def test_wandb_run_files_linked_out_are_not_copied(tracker_sources, tmp_path, outside):
    src = tmp_path / "wandb"
    shutil.copytree(tracker_sources["wandb"], src, symlinks=True)
    files = next(p for p in src.rglob("files") if p.is_dir())
    (files / "output.log").unlink(missing_ok=True)
    (files / "output.log").symlink_to(outside / "id_rsa")
    os.mkfifo(files / "requirements.txt.pipe")
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert leaked(out, SECRET) == []
    assert "files/output.log" in proc.stderr and "link to a file outside" in proc.stderr
    assert "requirements.txt.pipe" in proc.stderr and "not a regular file" in proc.stderr
    assert list(out.rglob("system.jsonl"))  # the run's system metrics are still imported


def test_tensorboard_hparams_linked_out_and_piped_event_files(tmp_path, outside):
    from tensorboardX import SummaryWriter

    logdir = tmp_path / "logs"
    w = SummaryWriter(str(logdir / "run1"))
    for s in range(5):
        w.add_scalar("loss", 1.0 / (s + 1), s)
    w.close()
    (logdir / "run1" / "hparams.yaml").symlink_to(outside / "kube.yaml")  # as Lightning's logger writes it
    os.mkfifo(logdir / "run1" / "events.out.tfevents.1700000000.host.99.0")
    (logdir / "run2").mkdir()
    os.mkfifo(logdir / "run2" / "events.out.tfevents.1700000000.host.99.1")
    out = tmp_path / "runs"
    proc = _import("tensorboard", logdir, out)
    assert leaked(out, SECRET) == []
    assert "hparams.yaml" in proc.stderr and "link to a file outside" in proc.stderr
    # (a pipe named like an event file: not taken for one, and never opened: the import returned; a folder
    # holding only such a pipe made an empty run without a word: now no run, and a warning naming it)
    assert "run2/events.out.tfevents.1700000000.host.99.1: not a regular file" in proc.stderr
    from reportgen.storage.reader import list_run_dirs, read_run

    (run,) = [read_run(d) for d in list_run_dirs(out)]
    assert [r["loss"] for r in run.history] == pytest.approx([1.0 / (s + 1) for s in range(5)], rel=1e-6)  # (float32)



def _tb_scalars(folder: Path, tag: str) -> Path:
    """A real event file (tensorboardX) of 3 steps of ``tag`` in ``folder``; returns it."""
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(folder))
    for s in range(3):
        w.add_scalar(tag, 1.0 / (s + 1), s)
    w.close()
    (path,) = folder.glob("*tfevents*")
    return path


def _tags(out: Path) -> dict[str, list[str]]:
    from reportgen.storage.reader import list_run_dirs, read_run

    runs = [read_run(d) for d in list_run_dirs(out)]
    return {r.meta["name"]: sorted({k for row in r.history for k in row if not k.startswith("_")}) for r in runs}


def test_tensorboard_links_out_of_the_logdir_are_read_only_with_follow_links(tmp_path, cli):
    """A downloaded logdir linking a run folder (``logs/x -> ~/other-project``) or an event file out of
    it had the import, and ``reportgen build LOGDIR``, publish the builder's other TensorBoard metrics.
    Such links are now not read, one warning each naming it and --follow-links; with --follow-links
    they are (``ln -s /data/exp1 logs/exp1``). Links that stay inside the logdir are followed."""
    other = tmp_path / "other"  # the builder's other projects
    _tb_scalars(other / "projA", f"{SECRET}/a")
    event_b = _tb_scalars(other / "projB", f"{SECRET}/b")
    logs = tmp_path / "logs"
    _tb_scalars(logs / "own", "loss")
    (logs / "linked").symlink_to(other / "projA")
    (logs / "single").mkdir()
    (logs / "single" / event_b.name).symlink_to(event_b)
    # inside the logdir: a folder link (its target holds a link back to the logdir: a loop) ...
    _tb_scalars(logs / "z_store" / "exp", "inner_folder")
    (logs / "a_inner").symlink_to(Path("z_store") / "exp")
    (logs / "z_store" / "exp" / "back").symlink_to(logs)
    # ... and an event file linked to a file of it not named like one
    (logs / "blobs").mkdir()
    _tb_scalars(tmp_path / "tmp", "inner_file").rename(logs / "blobs" / "ev.bin")
    (logs / "c_file").mkdir()
    (logs / "c_file" / "events.out.tfevents.1700000000.host.1.0").symlink_to(Path("..") / "blobs" / "ev.bin")
    inside = {"own": ["loss"], "a_inner": ["inner_folder"], "c_file": ["inner_file"]}
    warnings = [f"linked: a link to {other / 'projA'}, outside the logdir {logs}; not read (--follow-links",
                f"single/{event_b.name}: a link to {event_b}, outside the logdir {logs}; not read (--follow-links"]

    out = tmp_path / "runs"
    proc = _import("tensorboard", logs, out)
    assert _tags(out) == inside
    assert leaked(out, SECRET) == []
    assert all(proc.stderr.count(w) == 1 for w in warnings), proc.stderr
    assert proc.stderr.count("outside the logdir") == 2, proc.stderr

    site, cache = tmp_path / "site", tmp_path / "cache"
    proc = cli("build", str(logs), "-o", str(site), env={"REPORTGEN_CACHE_DIR": str(cache)})
    assert leaked(site, SECRET) == [] and leaked(cache, SECRET) == []
    assert all(proc.stderr.count(w) == 1 for w in warnings), proc.stderr
    assert len(list((site / "runs").glob("*/index.html"))) == 3

    (logs / "zero").mkdir()  # followed or not, a device is never read (it would never end)
    (logs / "zero" / "events.out.tfevents.1700000000.host.2.0").symlink_to("/dev/zero")
    out = tmp_path / "runs-follow"
    proc = _import("tensorboard", logs, out, "--follow-links")
    assert _tags(out) == {**inside, "linked": [f"{SECRET}/a"], "single": [f"{SECRET}/b"]}
    assert "outside the logdir" not in proc.stderr
    assert "zero/events.out.tfevents.1700000000.host.2.0: not a regular file" in proc.stderr
    site = tmp_path / "site-follow"
    proc = cli("build", str(logs), "-o", str(site), "--follow-links", env={"REPORTGEN_CACHE_DIR": str(tmp_path / "c2")})
    assert "outside the logdir" not in proc.stderr
    assert len(list((site / "runs").glob("*/index.html"))) == 5 and leaked(site, SECRET)

def test_csv_folder_links_out_are_refused(tmp_path, outside):
    src = tmp_path / "tables"
    src.mkdir()
    (src / "a.csv").write_text("step,loss\n0,1.0\n1,0.5\n")
    (src / "b.csv").symlink_to(outside / "table.csv")
    out = tmp_path / "runs"
    proc = _import("csv", src, out)
    assert leaked(out, SECRET) == []
    assert "b.csv" in proc.stderr and "link to a file outside" in proc.stderr


def test_export_file_names_never_come_from_run_json():
    """`reportgen export RUNS -o DIR` named each history file after run.json's id: an id of
    "../../../x" wrote x.csv outside DIR (a hostile run folder writing on the exporting machine),
    and two folders with one id (a copied run) overwrote each other's file. Names are now safe
    and unique, with a warning; an int beyond 64 bits (Parquet cannot hold it) is exported as
    its exact text instead of failing the export."""
    import json
    import tempfile

    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "home" / "work"
        runs = root / "runs"
        for folder, rid in (("a", "../../../../escaped"), ("b", "../../../../escaped"), ("c", "plain")):
            (runs / folder).mkdir(parents=True)
            (runs / folder / "run.json").write_text(json.dumps({"format": 1, "id": rid, "name": folder}))
            (runs / folder / "history.jsonl").write_text(
                '{"_step": 0, "loss": 1.0, "big": "x"}\n{"_step": 1, "loss": 0.5, "big": %d}\n' % 10**30
                if folder == "c" else '{"_step": 0, "loss": 1.0}\n')
        before = sorted(p for p in Path(tmp).rglob("*"))
        for fmt, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
            out = root / f"out-{fmt}"
            proc = subprocess.run([sys.executable, "-m", "reportgen", "export", str(runs), "--format", fmt,
                                   "-o", str(out)], capture_output=True, text=True)
            assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
            assert "'../../../../escaped': its history is exported as history/" in proc.stderr
            written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
            assert len(written) == 4 and f"history/plain.{fmt}" in written and f"runs.{fmt}" in written
            assert all(w.startswith("history/escaped-") or w in (f"history/plain.{fmt}", f"runs.{fmt}")
                       for w in written)
            assert read(out / "history" / f"plain.{fmt}")["loss"].tolist() == [1.0, 0.5]
        after = sorted(p for p in Path(tmp).rglob("*") if not p.is_relative_to(root / "out-csv")
                       and not p.is_relative_to(root / "out-parquet"))
        assert after == before  # nothing written outside DIR
