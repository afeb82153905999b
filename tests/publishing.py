"""Helpers of the publish tests (tests/test_publish_url.py, tests/test_publish_cloud.py): runs with a
video of a given size, and a ``reportgen build`` whose memory peak is measured."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from panels_fixtures import video_head

REPO = Path(__file__).resolve().parent.parent


def runs_with_videos(runs: Path, sparse: int, dense: int) -> bytes:
    """Run a: a video of ``sparse`` bytes, holes but its first ones; run b: one of ``dense`` bytes on disk
    (random: it compresses no more than a real video). Returns run b's video."""
    block = os.urandom(1 << 20)
    for rid, size in (("a", sparse), ("b", dense)):
        d = runs / rid
        (d / "media" / "videos").mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"id": rid, "name": rid}))
        (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0, "v": {
            "_type": "video", "path": "media/videos/v.mp4", "format": "mp4"}}) + "\n")
        with open(d / "media" / "videos" / "v.mp4", "wb") as fh:
            fh.write(video_head() + block[:4096])  # (a real mp4: the build opens every video it publishes)
            if rid == "a":
                fh.truncate(size)
            else:
                while fh.tell() < size:
                    fh.write(block[:size - fh.tell()])
    return (runs / "b" / "media" / "videos" / "v.mp4").read_bytes()


def build_peak(runs: Path, out: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess, int]:
    """``reportgen build RUNS -o OUT`` in a subprocess, and its peak memory (resident, in bytes): its own
    process's, measured by a fresh parent, so no other child counts."""
    code = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "reportgen", "build", str(runs),
                           "-o", out], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **env, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, int(proc.stdout.strip().splitlines()[-1]) << 10  # (Linux: KiB)
