"""Benchmark: what logging to an S3 root costs the training thread, against logging to disk.

    python benchmarks/bench_s3.py [--steps 20000] [--metrics 10] [--repeats 3]

Starts moto's S3 server as a separate process on 127.0.0.1 (nothing leaves the machine),
then in this process logs ``steps`` steps of ``metrics`` floats into a run on the local
disk and into a run on ``s3://bucket/runs``, alternately, ``repeats`` times each. For each
it measures the training thread's CPU time per step (``time.thread_time()`` around each
``log()`` call: what the upload thread does is not on it) and the wall time of ``log()``;
each step also "trains" for ``--work-us`` (a sleep) so that segments upload meanwhile;
``finish()`` (the last upload) is reported separately. Prints medians and the ratio
S3 / disk (target: <= 1.0 within noise: uploads happen off the training thread).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return proc, url


def one(root: str, rows: list[dict], interval: float, work: float) -> tuple[float, float, float]:
    """(training-thread CPU in log() per step, wall of log() per step, finish() s) for one run.

    Each step first "trains" for ``work`` seconds (a sleep, as a step waiting for the GPU: the
    upload thread gets the interpreter meanwhile, as it would)."""
    import reportgen

    run = reportgen.init(dir=root, settings={"x_upload_interval": interval, "console": "off",
                                             "x_disable_stats": True})
    cpu = wall = 0.0
    tt, pc, sleep = time.thread_time, time.perf_counter, time.sleep
    for row in rows:
        if work:
            sleep(work)
        c0, w0 = tt(), pc()
        run.log(row)
        cpu += tt() - c0
        wall += pc() - w0
    f0 = time.perf_counter()
    run.finish()
    return cpu / len(rows) * 1e6, wall / len(rows) * 1e6, time.perf_counter() - f0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--metrics", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between S3 segments")
    ap.add_argument("--work-us", type=float, default=200.0, help="simulated training per step (sleep, us)")
    args = ap.parse_args()
    proc, endpoint = start_server()
    tmp = Path(tempfile.mkdtemp(prefix="bench-s3-"))
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                      REPORTGEN_CACHE_DIR=str(tmp / "cache"), REPORTGEN_DISABLE_GIT="1", REPORTGEN_DISABLE_META="1")
    try:
        import boto3
        import fsspec.config

        fsspec.config.conf["s3"] = {"endpoint_url": endpoint}
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="bench-runs")
        import random

        rnd = random.Random(0)
        rows = [{f"metric_{i}": rnd.random() for i in range(args.metrics)} for _ in range(args.steps)]
        one(str(tmp / "warm"), rows[:100], args.interval, args.work_us / 1e6)  # imports, first connection
        one("s3://bench-runs/warm", rows[:100], args.interval, args.work_us / 1e6)
        res: dict[str, list[tuple[float, float, float]]] = {"disk": [], "s3": []}
        for _ in range(args.repeats):
            res["disk"].append(one(str(tmp / "runs"), rows, args.interval, args.work_us / 1e6))
            res["s3"].append(one("s3://bench-runs/runs", rows, args.interval, args.work_us / 1e6))
        med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in res.items()}
        print(f"{args.steps} steps x {args.metrics} metrics, {args.work_us:.0f} us of 'training' per step, "
              f"median of {args.repeats}, S3 segments every {args.interval} s")
        for k in ("disk", "s3"):
            cpu, wall, fin = med[k]
            print(f"  {k:5s} log(): training-thread CPU {cpu:7.2f} us/step   wall {wall:7.2f} us/step   "
                  f"finish() {fin:6.3f} s")
        print(f"  ratio S3 / disk: CPU {med['s3'][0] / med['disk'][0]:.2f}x   wall {med['s3'][1] / med['disk'][1]:.2f}x")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
