"""The system calls a build makes per run folder, counted with strace on a real build in a subprocess
(skipped where strace is not installed): each trust check is made once, not once per file read."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

BUILD = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

res = build(BuildConfig(Path(sys.argv[1]), Path(sys.argv[2]) / "site", quiet=True, cache_dir=Path(sys.argv[2]) / "cache",
                        workers=1))
print("built", res.runs)
"""


def _runs(root: Path, n: int) -> None:
    for i in range(n):
        d = root / f"r{i:02d}"
        d.mkdir(parents=True)
        (d / "run.json").write_bytes(orjson.dumps({"format": 1, "id": d.name, "name": d.name, "state": "finished"}))
        (d / "config.json").write_bytes(orjson.dumps({"lr": 0.1 * i}))
        (d / "summary.json").write_bytes(orjson.dumps({"loss": 1.0 / (i + 1)}))
        (d / "history.jsonl").write_bytes(b"".join(orjson.dumps({"_step": s, "loss": 1.0 / (s + 1)}) + b"\n"
                                                   for s in range(50)))


def test_the_runs_root_is_resolved_once_per_build_not_at_every_file(tmp_path):
    """Every read of a run folder's files checks that the folder is still inside the runs root
    (safety.reading_inside): the real path of the root and of the folder, made with realpath, which
    looks at each folder on the way. A build of the 'many' benchmark (1,000 runs) looked at the root
    and at each folder above it 7 times a run (8,813 lstat for 200 runs). The root's real path is now
    the one it had when the build began (safety.reading_from), and a run folder listed in it is looked
    at alone; the checks themselves are unchanged (tests/test_security*.py)."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    root = tmp_path / "a" / "b" / "runs"
    _runs(root, 20)
    repo = Path(__file__).resolve().parent.parent
    log = tmp_path / "strace.txt"
    proc = subprocess.run(["strace", "-f", "-e", "trace=lstat,newfstatat,statx,stat", "-o", str(log), sys.executable,
                           "-c", BUILD, str(root), str(tmp_path), str(repo)], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 and "ptrace" in proc.stderr:
        pytest.skip("strace cannot trace here: " + proc.stderr[-300:])
    assert proc.returncode == 0 and "built 20" in proc.stdout, proc.stderr[-2000:]
    above = [f'"{p}"' for p in (root, root.parent, root.parent.parent)]
    looks = sum(line.count(p) for line in log.read_text().splitlines() for p in above)
    assert looks < 20, looks  # (before: 310)
