"""Listing a runs root on S3 (the first step of every build and sync from ``s3://``): the
client's CPU for ``storage.listing.list_objects`` against s3fs's ``find`` (the baseline, what the
mirror called before), on the same root of a moto server on 127.0.0.1, in the same run.

    python benchmarks/bench_listing.py [--runs 2000,5000,10000] [--repeat 3]

Each run folder holds one object (the cost in question grows with the folders, not the objects).
The server's time is the same for both (the same ListObjectsV2 pages); what differs is what the
client does with the pages: s3fs's find also fills its directory cache, checking each new folder
against the list of its parent's entries, which is quadratic in the runs. Never asserts.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from scale_s3 import _fs, start_server  # noqa: E402


def cpu_of(fn) -> tuple[float, object]:
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", default="2000,5000,10000", help="comma-separated run counts (cumulative root)")
    ap.add_argument("--repeat", type=int, default=3, help="listings of each kind per size (best printed)")
    args = ap.parse_args()
    from reportgen.storage.listing import list_objects

    server = start_server()
    try:
        bucket = server.bucket()
        fs = _fs()
        have = 0
        for n in sorted(int(x) for x in args.runs.split(",")):
            t = time.perf_counter()
            for lo in range(have, n, 1000):  # one object per run folder, 1,000 PUTs at a time
                fs.pipe({f"{bucket}/runs/r{i:06d}/run.json": b"{}" for i in range(lo, min(n, lo + 1000))})
            have = n
            up = time.perf_counter() - t
            ours, theirs = [], []
            for _ in range(args.repeat):  # interleaved, each from a cold listing cache
                fs.invalidate_cache()
                c, got = cpu_of(lambda: list_objects(fs, f"{bucket}/runs"))
                ours.append(c)
                fs.invalidate_cache()
                c, want = cpu_of(lambda: fs.find(f"{bucket}/runs", detail=True))
                theirs.append(c)
            assert set(got) == set(want), "the two listings differ"
            print(f"{n:6d} runs (uploaded in {up:.0f}s): list_objects {min(ours):.2f}s CPU, s3fs find "
                  f"{min(theirs):.2f}s CPU (baseline): {min(ours) / min(theirs):.2f}x", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
