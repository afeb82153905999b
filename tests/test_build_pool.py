"""The local process-pool build (``site/executor.py``): polars is imported in the workers, after
the fork and single-threaded (the pool is the parallelism), never in the parent before it forks;
the site is the same byte for byte as a build in one process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from scale_runs import write_runs  # noqa: E402

from conftest import REPO  # noqa: E402

pytest.importorskip("polars")

POOLED = """
import sys
from reportgen.site import columnar
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
columnar.IMPORT_BYTES = 0  # (a serial build of these 2 MB reads them with polars)
build(BuildConfig(sys.argv[1], sys.argv[2], quiet=True, cache=False, force_pool=True, workers=int(sys.argv[3])))
print("polars imported:", "polars" in sys.modules)
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "POLARS_MAX_THREADS"}
    env["PYTHONPATH"] = str(REPO)
    return env


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_pooled_build_keeps_polars_out_of_the_parent_and_equals_a_serial_build(tmp_path):
    runs = tmp_path / "runs"
    write_runs(runs, 4, n_metrics=4, n_steps=4000)  # ~0.5 MB per history: chunks polars reads
    assert (runs / "r00000" / "history.jsonl").stat().st_size > 256 * 1024
    outs = {}
    for workers in (2, 1):  # 1: no pool (local_pool needs 2 workers), parsed in the process itself
        out = tmp_path / f"site{workers}"
        proc = subprocess.run([sys.executable, "-c", POOLED, str(runs), str(out), str(workers)],
                              capture_output=True, text=True, env=_env(), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outs[workers] = (proc.stdout.strip().splitlines()[-1], _files(out))
    assert outs[2][0] == "polars imported: False"  # the workers had it; the parent never did
    assert "polars imported: False" in _serial(runs, tmp_path / "site-rows")  # 2 MB: not worth importing it
    assert outs[1][0] == "polars imported: True"  # (the serial build read the chunks with polars)
    a, b = outs[2][1], outs[1][1]
    assert sorted(a) == sorted(b) and [f for f in a if a[f] != b[f]] == []


SERIAL = """
import sys
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
build(BuildConfig(sys.argv[1], sys.argv[2], quiet=True, cache_dir=sys.argv[3]))
print("polars imported:", "polars" in sys.modules)
"""


def _serial(runs: Path, out: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", SERIAL, str(runs), str(out), str(out) + ".cache"],
                          capture_output=True, text=True, env=_env(), cwd=out.parent)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_rebuild_that_parses_one_small_run_again_does_not_import_polars(tmp_path):
    """cache1: a run of 10 metrics x 2,000 steps keeps no columns in the cache; an append to it parses
    its 0.8 MB again, and polars' import and first read cost 0.13 s of CPU where orjson's rows take
    0.01 s: the incremental rebuild went from 0.41 to 0.51 s. A build parsing less than
    columnar.IMPORT_BYTES in its own process reads rows with orjson (the same site)."""
    runs = tmp_path / "runs"
    write_runs(runs, 2, n_metrics=10, n_steps=2000)
    assert (runs / "r00000" / "history.jsonl").stat().st_size > 256 * 1024  # (chunks polars would read)
    assert "polars imported: False" in _serial(runs, tmp_path / "site")  # (1.7 MB, parsed in the process)
    with open(runs / "r00000" / "history.jsonl", "rb") as fh:
        last = fh.read().splitlines()[-1]
    with open(runs / "r00000" / "history.jsonl", "ab") as fh:
        fh.write(last.replace(b'"_step":', b'"_step":1') + b"\n")  # (a larger step)
    assert "polars imported: False" in _serial(runs, tmp_path / "site")


def test_pool_worker_runs_polars_single_threaded(tmp_path):
    code = ("from reportgen.site import columnar; columnar.pool_worker(); import polars; "
            "print(polars.thread_pool_size())")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"
    # a thread count the user set is theirs
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**_env(), "POLARS_MAX_THREADS": "2"}, cwd=tmp_path)
    assert proc.stdout.strip() == "2"
