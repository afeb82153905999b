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


def _run_rows(site: Path, run: str) -> str:
    return "".join(p.read_text() for p in (site / "data").rglob("*.js") if run in p.as_posix())


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
