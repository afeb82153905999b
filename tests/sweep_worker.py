"""One training process of a sweep, as a user writes it: ``import reportgen as wandb``.

    python tests/sweep_worker.py RUNS_DIR RUN_ID --steps N [--interval S] [--extra KEY]
                                 [--image-every K] [--times FILE] [--wait-go FILE]

Logs ``loss`` and ``acc`` (and ``KEY`` when ``--extra`` is given: a metric the
other runs do not have) every ``interval`` seconds through the SDK with its
default settings (history flushed about once a second). ``--image-every K``
logs a small ``wandb.Image`` every K steps. With ``--times`` it appends
``<step> <wall-clock time of the log() call>`` per step (for the latency
benchmark). ``--wait-go FILE``: after the first step, wait until FILE exists
before logging more (tests use it to log the next steps while a page is open).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import reportgen as wandb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("runs")
    ap.add_argument("run_id")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--extra", default=None)
    ap.add_argument("--image-every", type=int, default=0)
    ap.add_argument("--times", default=None)
    ap.add_argument("--wait-go", default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    run = wandb.init(dir=args.runs, id=args.run_id, name=f"sweep {args.run_id}", project="sweep",
                     config={"lr": 0.001 * (args.seed + 1), "seed": args.seed})
    times = open(args.times, "a", buffering=1) if args.times else None
    for step in range(args.steps):
        row = {"loss": 2.0 * math.exp(-step / 50) + 0.05 * args.seed, "acc": 1 - math.exp(-step / 40)}
        if args.extra:
            row[args.extra] = 0.5 + 0.01 * step
        if args.image_every and step % args.image_every == 0:
            import numpy as np
            pixels = np.full((8, 8, 3), (step * 37) % 256, dtype=np.uint8)
            row["samples"] = wandb.Image(pixels, caption=f"step {step}")
        t = time.time()
        wandb.log(row)
        if times:
            times.write(f"{step} {t:.6f}\n")
        if step == 0 and args.wait_go:
            while not os.path.exists(args.wait_go):
                time.sleep(0.05)
        time.sleep(args.interval)
    run.summary["best_acc"] = 1 - math.exp(-args.steps / 40)
    wandb.finish()
    print("done", flush=True)


if __name__ == "__main__":
    sys.exit(main())
