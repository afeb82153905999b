"""Issue 12 for a runs root holding shared runs (``writers/<label>/``, the segmented layout on a local
disk): such a root is read through a joined copy (storage/mirror.py) rather than as run folders, so
the run-folder readers' refusals (links out, pipes, devices) did not apply to it. One folder with a
``history/`` segment folder was enough to send a whole shared runs root down that path."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

TOKEN = "CANARY-SHARED-ROOT"
REPO = Path(__file__).parent.parent
_WRITERS = """
import sys, numpy as np, reportgen
for label in ("rank0", "rank1"):
    run = reportgen.init(dir=sys.argv[1], id="shared", project="p", settings={"x_label": label})
    for i in range(3):
        run.log({"loss": float(i), "img": reportgen.Image(np.full((4, 4, 3), 40 * i, dtype=np.uint8))})
    run.finish()
"""
_READ = """
import json, sys, warnings, reportgen
res = reportgen.build(reportgen.BuildConfig(runs=sys.argv[1], out=sys.argv[2], quiet=True, join_segmented=True))  # (as the CLI)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    runs = reportgen.Api(sys.argv[1]).runs()
    rows = {r.id: len(r.history()) for r in runs}
print(json.dumps({"runs": res.runs, "warnings": res.warnings, "rows": rows, "count": len(runs),
                  "api": [str(w.message) for w in caught]}))
"""


def _bounded() -> None:
    """The reader's memory, bounded: reading /dev/zero ended in the OOM killer, not an error."""
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (2_000_000_000, 2_000_000_000))


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}


def test_links_pipes_and_devices_in_a_shared_runs_root_are_not_read(tmp_path):
    runs, outside = tmp_path / "runs", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(TOKEN + "\n")
    (outside / "secret.json").write_text(json.dumps({"token": TOKEN}))
    png = outside / "secret.png"
    from PIL import Image

    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(png)
    png.write_bytes(png.read_bytes() + TOKEN.encode())
    subprocess.run([sys.executable, "-c", _WRITERS, str(runs)], check=True, env=_env(tmp_path), timeout=120)
    run = runs / "shared"
    image = sorted((run / "media").rglob("img_1_*.png"))[0]
    image.unlink()
    os.symlink(png, image)  # a media file the history names, linked out
    os.symlink(outside / "secret.txt", run / "files" / "notes.txt")  # a saved file linked out
    os.symlink(outside, run / "media" / "linked")  # a folder linked out (the build ended with a traceback)
    rank1 = run / "writers" / "rank1"
    (rank1 / "config.json").unlink()
    os.symlink(outside / "secret.json", rank1 / "config.json")  # a writer's whole file
    os.symlink(outside / "secret.txt", rank1 / "system" / "000002.jsonl")  # a segment
    os.symlink("/dev/zero", run / "files" / "zero.bin")  # read whole into memory, for ever
    os.mkfifo(run / "files" / "pipe.txt")  # the build waited for a writer, for ever
    os.mkfifo(rank1 / "history" / "000002.jsonl")
    # a second run in the segmented layout made only of links out
    (runs / "other" / "history").mkdir(parents=True)
    os.symlink(outside / "secret.json", runs / "other" / "run.json")
    os.symlink(outside / "secret.txt", runs / "other" / "history" / "000001.jsonl")
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-c", _READ, str(runs), str(site)], capture_output=True, text=True,
                          env=_env(tmp_path), timeout=120, preexec_fn=_bounded)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["runs"] >= 1 and out["rows"]["shared"] == 3  # the good rows of both writers, merged
    for where in (site, tmp_path / "cache"):  # published, or copied where the build reads from
        leaks = [p for p in where.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]
        assert leaks == [], leaks
    text = "\n".join(out["warnings"])
    for name in ("media/linked", "files/notes.txt", "writers/rank1/config.json", "writers/rank1/system/000002.jsonl",
                 "files/zero.bin", image.relative_to(run).as_posix(), "other/run.json"):
        assert f"{name}': a symbolic link (not followed)" in text, (name, text)
    for name in ("files/pipe.txt", "writers/rank1/history/000002.jsonl"):
        assert f"{name}': not a regular file" in text, (name, text)
    assert (site / "runs/shared/index.html").is_file()
    assert sorted(p.name for p in (site / "media").rglob("img_*.png")) == sorted(
        p.name for p in (run / "media").rglob("img_*.png") if not p.is_symlink())


def test_sparse_files_in_a_shared_runs_root_are_not_read_into_memory(tmp_path):
    """A sparse 3 GiB media file, saved file, writer's config.json or history segment (no disk, a few
    bytes in a zip) was read whole into memory by the joined copy: MemoryError and a traceback under a
    2 GB limit, 3 GiB of memory each without one. Files are copied a piece at a time, holes kept; a
    segment that is mostly holes is left out with a warning, and the rows around it are kept."""
    runs = tmp_path / "runs"
    subprocess.run([sys.executable, "-c", _WRITERS, str(runs)], check=True, env=_env(tmp_path), timeout=120)
    run = runs / "shared"
    big = 3 << 30
    image = sorted((run / "media").rglob("img_2_*.png"))[0]
    for path in (image, run / "files" / "big.bin", run / "writers" / "rank1" / "config.json"):
        with open(path, "r+b" if path.exists() else "wb") as fh:
            fh.truncate(big)
    segment = run / "writers" / "rank0" / "history" / "000001.jsonl"
    rows = segment.read_bytes()
    (run / "writers" / "rank0" / "history" / "000002.jsonl").write_bytes(rows.replace(b'"loss": 0.0', b'"loss": 7.0'))
    with open(segment, "r+b") as fh:
        fh.truncate(big)  # its rows, then holes
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-c", _READ, str(runs), str(site)], capture_output=True, text=True,
                          env=_env(tmp_path), timeout=300, preexec_fn=_bounded)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["rows"]["shared"] == 3
    text = "\n".join(out["warnings"])
    assert "writers/rank0/history/000001.jsonl': 3,221,225,472 bytes, of which" in text, text
    for copy in (tmp_path / "cache").rglob("*"):  # the joined copy keeps the holes
        if copy.is_file():
            assert copy.stat().st_blocks * 512 < 64 << 20, copy
    assert (site / "runs/shared/index.html").is_file()


def test_one_folder_of_segments_does_not_drop_the_other_runs(tmp_path):
    """A root holding one folder in the segmented layout (``mkdir x/history``, a segment in it) is read
    through the joined copy, which took only folders named as run ids: the runs of folders named as a
    disk allows and the plain root's readers take (``exp 1 (copy)``, ``ünï``, ``-dash``...) vanished from
    the site and from Api, each with a "not a valid run id" warning. A local root's folders keep their
    runs; a URL root's object names are still held to run ids."""
    runs = tmp_path / "runs"
    names = ["exp 1 (copy)", "ünï", "-dash", "a\x1b[2Jb", "good"]
    for name in names:
        d = runs / name
        d.mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"id": "x", "name": name, "state": "finished"}))
        (d / "history.jsonl").write_text('{"_step": 0, "loss": 1.0}\n')
    (runs / "seg" / "history").mkdir(parents=True)
    (runs / "seg" / "history" / "000001.jsonl").write_text('{"_step": 0, "loss": 2.0}\n')
    proc = subprocess.run([sys.executable, "-c", _READ, str(runs), str(tmp_path / "site")], capture_output=True,
                          text=True, env=_env(tmp_path), timeout=120, preexec_fn=_bounded)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["runs"] == 6, out["warnings"]
    assert not [w for w in out["warnings"] if "not a valid run id" in w]
    assert out["count"] == 6 and len(list((tmp_path / "site/runs").iterdir())) == 6
