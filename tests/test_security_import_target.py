"""Issue 12: the runs root an import writes into may hold what others made (a shared folder, an
unpacked zip). The import writes only inside its own run folders: never through a link out of them,
never into a pipe. Imports run as subprocesses with a deadline (test_security_importers_hostile)."""
from __future__ import annotations

import json
import os
import sys

import pytest
from PIL import Image

from hostile import snapshot
from test_security_importers_hostile import _import, _runs, _w, _wandb_run

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform == "win32", reason="links, pipes: POSIX")


def test_import_never_writes_through_links_or_pipes_in_the_runs_root(tmp_path):
    """A runs root holding ``wandb-a1`` as a link to a folder outside had the import write run.json,
    history and media there; ``wandb-a2/history.jsonl`` as a named pipe hung the import for ever;
    ``wandb-a3/media/images`` and ``wandb-a4/files/output.log`` as links out had the image and the
    log written outside. Now such a run is not imported (one warning naming it, nothing written
    there), a link in files/ is not written through, and the other runs import."""
    src = tmp_path / "src"
    img = json.dumps({"_type": "image-file", "path": "media/x.png"})
    for rid in ("a1", "a2", "a3", "a4"):
        run = _wandb_run(src, [_w("history", 0, loss=1.0, img=img), _w("exit")], rid=rid)
        (run / "files/media").mkdir()
        Image.new("RGB", (2, 2)).save(run / "files/media/x.png")
        (run / "files/output.log").write_text("epoch 1\n")
    outside = tmp_path / "outside"
    (outside / "v1").mkdir(parents=True)
    (outside / "v3").mkdir()
    (outside / "bashrc").write_text("precious\n")
    out = tmp_path / "runs"
    out.mkdir()
    (out / "wandb-a1").symlink_to(outside / "v1")
    (out / "wandb-a2").mkdir()
    os.mkfifo(out / "wandb-a2/history.jsonl")
    (out / "wandb-a3/media").mkdir(parents=True)
    (out / "wandb-a3/media/images").symlink_to(outside / "v3")
    (out / "wandb-a4/files").mkdir(parents=True)
    (out / "wandb-a4/files/output.log").symlink_to(outside / "bashrc")
    before = snapshot(outside)
    proc = _import("wandb", src, out)
    assert snapshot(outside) == before
    assert "wandb-a1: wandb-a1 is a link to a folder outside the runs root" in proc.stderr
    assert "wandb-a2: wandb-a2/history.jsonl is a link, a pipe" in proc.stderr
    assert "wandb-a3: wandb-a3/media/images is a link to somewhere outside the run folder" in proc.stderr
    assert "files/output.log: the imported run's file of that name is a link" in proc.stderr
    assert [x["loss"] for x in _runs(out)["wandb-a4"].history] == [1.0]


def test_import_into_a_run_whose_summary_is_a_sparse_8_gib_file(tmp_path):
    """A runs root whose ``wandb-abc/summary.json`` is an 8 GiB sparse file: the import read it whole
    to continue the run (MemoryError under a 6 GiB limit: the run was skipped with that word, and
    the machine's memory without a limit). Now such a run is not imported, with a warning saying why."""
    src = tmp_path / "src"
    _wandb_run(src, [_w("history", 0, loss=1.0), _w("exit")])
    out = tmp_path / "runs"
    (out / "wandb-abc").mkdir(parents=True)
    with open(out / "wandb-abc/summary.json", "wb") as fh:
        fh.write(b"{")
        fh.truncate(8 << 30)
    proc = _import("wandb", src, out)
    assert "wandb-abc: wandb-abc/summary.json is larger than 64 MiB; not imported" in proc.stderr, proc.stderr


def test_import_counts_only_the_runs_it_wrote(tmp_path):
    """``reportgen import`` said "Imported 4 runs" when the runs root refused two of them (a run folder
    that is a link out of the root, a history that is a pipe: nothing written there) and the source's
    run named ``bad~id`` was skipped. Now it counts the runs written and says how many were refused
    and skipped; the refused run folders are left as they were."""
    src = tmp_path / "src"
    for rid in ("a1", "a2", "a3", "bad~id"):
        _wandb_run(src, [_w("history", 0, loss=1.0), _w("exit")], rid=rid)
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "runs"
    out.mkdir()
    (out / "wandb-a1").symlink_to(outside)
    (out / "wandb-a2").mkdir()
    os.mkfifo(out / "wandb-a2/history.jsonl")
    proc = _import("wandb", src, out)
    # (the run named bad~id is imported under a safe id since 1a64295, as MLflow's are)
    assert "Imported 2 runs (2 new rows)" in proc.stdout and "; 2 refused (see the warnings)" \
        in proc.stdout, proc.stdout + proc.stderr
    assert "wandb run 'bad~id': not usable as a folder name; imported as wandb-bad_id-" in proc.stderr
    assert sorted(_runs(out)) == ["wandb-a3", *(r for r in _runs(out) if r.startswith("wandb-bad_id-"))]
    assert len(list(_runs(out))) == 2 and list(outside.iterdir()) == []
    proc = _import("wandb", src, out)  # (again: nothing new, the same refusals)
    assert "Imported 2 runs (0 new rows)" in proc.stdout and "2 refused" in proc.stdout, proc.stdout
