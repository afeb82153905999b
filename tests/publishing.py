"""Helpers of the publish tests (tests/test_publish_url.py, tests/test_publish_cloud.py): runs with a
video of a given size, and a ``reportgen build`` whose memory peak is measured."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from panels_fixtures import video_head
from peakmem import cli_peak


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
    """``reportgen build RUNS -o OUT`` in a subprocess, and its peak memory (resident, in bytes)."""
    return cli_peak("build", runs, "-o", out, env=env)
