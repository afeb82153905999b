"""No-op rebuild of a site with videos (issue 19): CPU of a whole ``python -m reportgen build`` process
when nothing changed, for runs that log mp4 videos, against the same runs without videos, measured
in the same run. Never asserts timings.

    python benchmarks/bench_video_rebuild.py [--runs 50] [--videos 4] [--repeats 9] [--against PATH]

``--against``: another checkout (the main branch's), built with on the same run folders into its own
site and cache, its rebuilds alternated with this checkout's. Each run logs ``--videos`` H.264 mp4
files (written directly, dated a minute ago) and one metric; each site and its cache are built, then
rebuilt once (the verdicts kept), then each no-op rebuild is timed (user + system CPU of the child
process, run with .pyc files; the median is the figure). Needs PyAV (the video extra).
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def mp4(frames: int = 8) -> bytes:
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        s = c.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=4)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            frame = np.full((48, 64, 3), i * 30, np.uint8)
            for pkt in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    return buf.getvalue()


def write_runs(root: Path, runs: int, videos: int) -> None:
    data = mp4() if videos else b""
    past = time.time_ns() - 60_000_000_000
    for r in range(runs):
        d = root / f"r{r:03d}"
        (d / "media/videos").mkdir(parents=True)
        (d / "run.json").write_text(json.dumps({"id": d.name, "name": d.name, "project": "bench", "state": "finished"}))
        row = {"_step": 0, "loss": 1.0 / (r + 1)}
        for v in range(videos):
            path = d / f"media/videos/v{v}_{r}.mp4"
            path.write_bytes(data)
            os.utime(path, ns=(past, past))
            row[f"v{v}"] = {"_type": "video", "path": f"media/videos/v{v}_{r}.mp4", "format": "mp4"}
        (d / "history.jsonl").write_text(json.dumps(row) + "\n")
        (d / "summary.json").write_text(json.dumps({k: v for k, v in row.items() if k != "_step"}))


def cpu_of_build(repo: Path, runs: Path, site: Path) -> float:
    """CPU of ``python -m reportgen build`` with ``repo``'s package: run outside any checkout (-m takes the
    current folder's package first), with .pyc files (as an installed package has them)."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site), "-q",
                    "--cache-dir", str(site.parent / f"cache-{site.name}")], check=True, env=env, cwd=site.parent)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--videos", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--against", type=Path, default=None)
    args = ap.parse_args()
    repos = {"this": REPO, **({"against": args.against} if args.against else {})}
    with tempfile.TemporaryDirectory() as tmp:
        cases = {}
        for videos in (0, args.videos):
            runs = Path(tmp) / f"runs-{videos}"
            write_runs(runs, args.runs, videos)
            for name, repo in repos.items():
                site = Path(tmp) / f"site-{name}-{videos}"
                for _ in range(2):  # the site and its cache; a first rebuild (the files' verdicts kept)
                    cpu_of_build(repo, runs, site)
                cases[(name, videos)] = (repo, runs, site, [])
        for _ in range(args.repeats):  # (alternated: the machine's load weighs on each alike)
            for repo, runs, site, times in cases.values():
                times.append(cpu_of_build(repo, runs, site))
        print(f"{args.runs} runs, no-op rebuild, CPU (user + system, median of {args.repeats}):")
        for (name, videos), (repo, _, _, times) in cases.items():
            base = statistics.median(cases[(name, 0)][3])
            cpu = statistics.median(times)
            print(f"  {str(repo):>30}, {videos} mp4 a run: {cpu:.3f} s  ({cpu / base:.2f}x its no-video rebuild)")


if __name__ == "__main__":
    main()
