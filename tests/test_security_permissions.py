"""Issue 12: files and folders the user may not read (a shared drive, a zip extracted with odd modes).
One of them never ends a build or an import: it is skipped with a warning naming it.

As root, permissions are not checked; the commands then run under ``setpriv`` without the two
capabilities that bypass them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from test_security_importers_hostile import _runs, _w, _wandb_run

REPO = Path(__file__).parent.parent
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
pytestmark = pytest.mark.skipif(sys.platform == "win32" or (ROOT and not shutil.which("setpriv")),
                                reason="POSIX permissions (as root: setpriv to drop the capabilities)")


@pytest.fixture
def locked():
    """``lock(path)``: chmod 0, put back at the end (so the temporary folder can be removed)."""
    done: list[tuple[Path, int]] = []

    def lock(path: Path) -> None:
        done.append((path, path.stat().st_mode & 0o7777))
        path.chmod(0)

    yield lock
    for path, mode in reversed(done):
        path.chmod(mode)


def _reportgen(*args) -> subprocess.CompletedProcess:
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if ROOT else []
    proc = subprocess.run([*prefix, sys.executable, "-m", "reportgen", *map(str, args)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr[-3000:]
    return proc


def _folder(root: Path, name: str, rows: list[dict]) -> Path:
    d = root / name
    (d / "media/image").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": name, "name": name}))
    (d / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


def test_unreadable_run_files_and_folders_never_end_the_build(tmp_path, locked):
    """An unreadable history.jsonl ended the build with PermissionError (a traceback, no site); so did
    an image whose media folder may not be searched (``Path.is_file`` raises then); an unreadable run
    folder was skipped without a word. Now each is skipped with a warning naming it."""
    runs = tmp_path / "runs"
    img = {"_type": "image", "path": "media/image/x.png", "width": 2, "height": 2}
    for name in ("ok", "history", "media", "folder"):
        d = _folder(runs, name, [{"_step": 0, "loss": 1.0, "img": img}])
        Image.new("RGB", (2, 2)).save(d / "media/image/x.png")
    locked(runs / "history/history.jsonl")
    locked(runs / "media/media/image")
    locked(runs / "folder")
    site = tmp_path / "site"
    proc = _reportgen("build", runs, "-o", site, "--no-cache")
    assert "run history: history.jsonl: unreadable (Permission denied); not read" in proc.stderr
    assert "run media: missing media file media/image/x.png" in proc.stderr
    assert "run folder 'folder' cannot be read (Permission denied); skipped" in proc.stderr
    assert all((site / f"runs/{n}/index.html").is_file() for n in ("ok", "history", "media"))
    assert (site / "media/ok/image/x.png").is_file()


def test_run_folder_listed_but_not_entered_is_skipped_with_a_warning(tmp_path):
    """A run folder of mode 0o600 (it may be listed, not entered: an unpacked archive's odd modes)
    was skipped by the build without a word: its names listed, every stat of them refused. Now the
    warning names it and why, at every build (the scan record of a cached build too)."""
    runs = tmp_path / "runs"
    for name in ("ok", "shut"):
        _folder(runs, name, [{"_step": 0, "loss": 1.0}])
    (runs / "shut").chmod(0o600)
    try:
        for _build in range(2):  # (the second from the build cache's scan record)
            proc = _reportgen("build", runs, "-o", tmp_path / "site")
            assert "run folder 'shut' cannot be read (Permission denied: its files are listed but cannot " \
                   "be opened); skipped" in proc.stderr, proc.stderr
            assert (tmp_path / "site/runs/ok/index.html").is_file()
            assert not (tmp_path / "site/runs/shut").exists()
        # the other readers of a runs root (export, summary; Api() lists them the same way) too
        for cmd in (("export", runs, "-o", tmp_path / "tables"), ("summary", runs, "-o", tmp_path / "s.md")):
            proc = _reportgen(*cmd)
            assert "run folder 'shut' cannot be read (Permission denied: its files are listed but cannot " \
                   "be opened); skipped" in proc.stdout + proc.stderr, cmd
    finally:
        (runs / "shut").chmod(0o755)


def test_unreadable_folders_never_end_an_import(tmp_path, locked):
    """An MLflow store holding one run folder the user may not read ended the import
    (PermissionError: every run lost); a wandb run whose files/ may not be read lost its history.
    Now the folder is skipped with a warning naming it, and the rest imports."""
    store = tmp_path / "mlruns"
    for rid in ("r1", "r2"):
        run = store / "1" / rid
        (run / "metrics").mkdir(parents=True)
        (run / "meta.yaml").write_text(f"run_id: {rid}\nstatus: 3\nlifecycle_stage: active\n")
        (run / "metrics/loss").write_text("1700000000000 0.5 0\n")
    (store / "1/meta.yaml").write_text("experiment_id: '1'\nname: exp\nlifecycle_stage: active\n")
    locked(store / "1/r2")
    proc = _reportgen("import", "mlflow", store, "-o", tmp_path / "ml")
    assert f"{store / '1/r2'}: cannot be read (Permission denied); skipped" in proc.stderr
    assert [x["loss"] for x in _runs(tmp_path / "ml")["mlflow-r1"].history] == [0.5]

    src = tmp_path / "src"
    run = _wandb_run(src, [_w("history", 0, loss=1.0), _w("exit")])
    (run / "files/output.log").write_text("epoch 1\n")
    locked(run / "files")
    proc = _reportgen("import", "wandb", src, "-o", tmp_path / "wb")
    assert "files/: cannot be read (Permission denied); not copied" in proc.stderr
    assert [x["loss"] for x in _runs(tmp_path / "wb")["wandb-abc"].history] == [1.0]


def test_serve_watch_on_folders_it_may_not_read_is_quiet(tmp_path, locked):
    """``serve --watch`` on a runs root holding folders the user may not read printed watchdog's
    RuntimeWarning for each, with a repr of its whole watch table (screens of text per start). Now
    such folders are not followed, quietly (the build names them), and the others are."""
    pytest.importorskip("watchdog")
    runs = tmp_path / "runs"
    for name in ("ok", "a", "b"):
        _folder(runs, name, [{"_step": 0, "loss": 1.0}])
    locked(runs / "a")
    locked(runs / "b/media/image")
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if ROOT else []
    code = ("import sys, threading; from pathlib import Path; from reportgen.serve.watcher import Watcher\n"
            "seen = threading.Event(); w = Watcher([Path(sys.argv[1])], seen.set).start()\n"
            "with Path(sys.argv[1], 'ok', 'history.jsonl').open('a') as fh: fh.write('{\"_step\": 1}\\n')\n"
            "print('poked' if seen.wait(60) else 'not poked'); w.stop()")
    proc = subprocess.run([*prefix, sys.executable, "-W", "always", "-c", code, str(runs)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and proc.stdout.strip() == "poked", proc.stdout + proc.stderr[-2000:]
    assert "Warning" not in proc.stderr, proc.stderr[:2000]
