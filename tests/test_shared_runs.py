"""Shared runs (several writers of one run, ``writers/<label>/`` in the segmented layout) on a local
disk, read through their joined copy (storage/mirror.py): a shared run's folder given as RUNS, and
the joined copy's own failures, which are warnings, never an exception out of ``build()``."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_WRITERS = """
import sys, reportgen
root, run_id = sys.argv[1], sys.argv[2]
for label in sys.argv[3:]:
    settings = {"x_label": label} if label != "-" else {}
    run = reportgen.init(dir=root, id=run_id, project="p", settings=settings, resume="allow")
    for i in range(4):
        run.log({"loss": float(i), "only_" + label.strip("-") + "x": i})
    run.finish()
"""


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "REPORTGEN_CACHE_DIR": str(tmp_path / "cache"),
            "REPORTGEN_DISABLE_META": "1", "REPORTGEN_DISABLE_GIT": "1"}


def _write(tmp_path: Path, runs: Path, run_id: str, *labels: str) -> None:
    subprocess.run([sys.executable, "-c", _WRITERS, str(runs), run_id, *labels], check=True, env=_env(tmp_path),
                   timeout=120)


def _cli_build(tmp_path: Path, runs: Path, site: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site)],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return proc


def _steps(site: Path, run: str) -> int:
    """The steps of ``run`` in the built site (its data file)."""
    body = (site / "data" / "runs" / f"{run}.js").read_text()
    return json.loads(body[body.index(",") + 1: body.rindex(")")])["x"]["_step"]["n"]


def test_a_shared_run_folder_given_as_runs_builds_that_run(tmp_path):
    """``reportgen build runs/shared1 -o site`` built 0 runs: the folder holds ``writers/`` (and media,
    files), no run.json, so it was taken as a root of no runs; a plain run folder given so builds its
    run. A run with an unlabelled writer too (run.json, history.jsonl beside writers/) was joined as
    a root, its own files taken for runs."""
    runs = tmp_path / "runs"
    _write(tmp_path, runs, "shared1", "rank0", "rank1")
    _write(tmp_path, runs, "mixed", "-", "rank1")
    _write(tmp_path, runs, "plain1", "-")
    assert not (runs / "shared1" / "run.json").exists() and (runs / "mixed" / "run.json").is_file()
    for run in ("plain1", "shared1", "mixed"):
        site = tmp_path / f"site-{run}"
        proc = _cli_build(tmp_path, runs / run, site)
        assert "built 1 runs" in proc.stderr, proc.stderr
        assert [p.name for p in (site / "runs").iterdir()] == [run]
        page = (site / "runs" / run / "index.html").read_text()
        assert "loss" in page
        if run != "plain1":  # both writers' rows, merged: rank1's key under its label
            assert "only_rank1x" in page, run
        if run == "shared1":
            assert "only_rank0x" in page
    # and Api, given the same folder, reads the run with every writer's steps
    code = ("import sys, json, reportgen; r = reportgen.Api(sys.argv[1]).runs(); "
            "print(json.dumps([(x.id, len(x.history())) for x in r]))")
    out = subprocess.run([sys.executable, "-c", code, str(runs / "shared1")], capture_output=True, text=True,
                         env=_env(tmp_path), timeout=120, check=True).stdout
    assert json.loads(out) == [["shared1", 4]]


def _build(runs: Path, site: Path, join_dir: Path):
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    return build(BuildConfig(runs=runs, out=site, quiet=True, cache_dir=site.parent / "bcache",
                             join_segmented=True, join_dir=join_dir))


def test_the_joined_copys_failures_are_warnings_and_the_rest_is_built(tmp_path, monkeypatch):
    """build() from Python (join_segmented, as the CLI) raised the joined copy's OSError (the CLI
    caught it, the Python API did not): its folder a file, a media file of the run that became a
    folder between two builds (the copy's old file stood where a folder was needed), the copy's folder
    of a writer replaced by a file. Each is a warning naming the file or folder; the rest is built, and
    what was not written is written at the next build."""
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))
    runs, site = tmp_path / "runs", tmp_path / "site"
    _write(tmp_path, runs, "dist", "rank0", "rank1")
    _write(tmp_path, runs, "plain", "-")
    blocked = tmp_path / "joined-file"
    blocked.write_text("a file where the joined copy's folder goes")
    res = _build(runs, site, blocked)
    assert res.runs == 1 and (site / "runs" / "plain" / "index.html").is_file()
    assert any(f"cannot make the joined copy of its shared runs in {blocked}" in w for w in res.warnings), res.warnings

    joined = tmp_path / "joined"
    media = runs / "dist" / "media" / "sub"
    media.parent.mkdir(exist_ok=True)
    media.write_text("a file first")
    res = _build(runs, site, joined)
    assert res.runs == 2 and not res.warnings, res.warnings
    media.unlink()
    media.mkdir()
    (media / "x.txt").write_text("then a folder")
    hist = runs / "dist" / "writers" / "rank1" / "history"
    (hist / "000002.jsonl").write_text('{"_step": 4, "_timestamp": 1, "_runtime": 1, "loss": 9.0}\n')
    res = _build(runs, site, joined)  # raised FileExistsError
    assert res.runs == 2
    assert [w for w in res.warnings if "'runs/dist/media/sub/x.txt'" in w and "File exists" in w], res.warnings
    assert "loss@rank1" in (site / "runs" / "dist" / "index.html").read_text()
    assert _steps(site, "dist") == 5  # the new segment was joined all the same
    res = _build(runs, site, joined)  # the next build writes it
    assert not res.warnings and (joined / "runs" / "dist" / "media" / "sub" / "x.txt").read_text() == "then a folder"

    stream = joined / "streams" / "dist" / "rank1"
    for p in sorted(stream.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    stream.rmdir()
    stream.write_text("a file where the writer's joined files go")
    (hist / "000003.jsonl").write_text('{"_step": 5, "_timestamp": 2, "_runtime": 2, "loss": 8.0}\n')
    res = _build(runs, site, joined)  # raised NotADirectoryError
    assert res.runs == 2 and (site / "runs" / "plain" / "index.html").is_file()
    assert [w for w in res.warnings if "cannot write the joined copy of run 'dist'" in w], res.warnings
    stream.unlink()
    res = _build(runs, site, joined)
    assert res.runs == 2 and not res.warnings, res.warnings
    assert _steps(site, "dist") == 6
