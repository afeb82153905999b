"""Benchmark: cost of logging a checkpoint as an artifact against copying it once.

    python benchmarks/bench_artifacts.py [--mb 128] [--repeats 3]

Writes a ``--mb`` MB checkpoint, then in the same process measures (median of ``repeats``):
- baseline: ``shutil.copyfile`` of the checkpoint (what any "save a copy" costs);
- ``Artifact.add_file`` + ``run.log_artifact`` of a new checkpoint (hash + snapshot + move
  into the store; several MB/s of sha256 are the floor);
- logging identical content again (hash + snapshot, nothing stored: deduplicated);
- ``artifact.download()`` of that version into a fresh folder.
Prints seconds and each ratio against the baseline.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import reportgen

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ckpt = tmp / "model.ckpt"
        run = reportgen.init(dir=tmp / "runs", project="bench")
        base, new, same, down = [], [], [], []
        for i in range(args.repeats):
            ckpt.write_bytes(os.urandom(args.mb << 20))
            base.append(timed(lambda: shutil.copyfile(ckpt, tmp / "copy.ckpt")))

            def log():
                art = reportgen.Artifact("model", "model")
                art.add_file(ckpt, name="model.ckpt")
                run.log_artifact(art, aliases=["latest"])
                return art
            new.append(timed(log))
            same.append(timed(log))
            art = run.use_artifact("model:latest")
            down.append(timed(lambda: art.download(root=tmp / f"dl{i}")))
        run.finish()
    b = statistics.median(base)
    print(f"checkpoint {args.mb} MB, median of {args.repeats}")
    print(f"baseline copyfile        {b:8.3f} s")
    for label, xs in (("log_artifact (new)", new), ("log_artifact (same)", same), ("download", down)):
        m = statistics.median(xs)
        print(f"{label:24} {m:8.3f} s   {m / b:5.2f}x baseline")


if __name__ == "__main__":
    main()
