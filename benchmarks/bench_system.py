"""System-metrics overhead on the training thread (prints figures; never asserts timings).

A training-like loop (numpy matrix products + ``log()`` per step) runs in rounds, alternating
"sampler off" (the baseline) with the sampler at wandb's default interval (10 s) and at an
aggressive 0.1 s, in the same process. Prints the median step time of each and the ratio
to the baseline, plus the cost of one sample, which the run's sampling process pays (its own
process: none of it is the training thread's).

    python benchmarks/bench_system.py [--steps 400] [--rounds 5]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import reportgen
from reportgen.sdk.system_metrics import SystemSampler


def train(run, steps: int, a: np.ndarray) -> float:
    t = time.perf_counter()
    x = a
    for i in range(steps):
        x = np.tanh(a @ x)  # ~ms of work per step, releases the GIL like real kernels
        run.log({"loss": float(x[0, 0]), "step_i": i})
    return (time.perf_counter() - t) / steps


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    a = np.random.default_rng(0).standard_normal((160, 160)) / 160
    modes = {"off": {"x_disable_stats": True}, "10s": {"x_stats_sampling_interval": 10.0},
             "0.1s": {"x_stats_sampling_interval": 0.1}}
    times: dict[str, list[float]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for mode, settings in modes.items():
                run = reportgen.init(project="bench", dir=tmp, settings={**settings, "console": "off",
                                                                          "x_disable_meta": True})
                times[mode].append(train(run, args.steps, a))
                run.finish()
        sampler = SystemSampler(Path(tmp), 60, runtime=lambda: 0.0)
        costs = []
        for _ in range(50):
            t = time.perf_counter()
            sampler.sample()
            costs.append(time.perf_counter() - t)
        sampler.stop()
    base = statistics.median(times["off"])
    print(f"step time, median of {args.rounds} rounds x {args.steps} steps:")
    for mode in modes:
        med = statistics.median(times[mode])
        print(f"  sampler {mode:>4}: {med * 1e3:8.3f} ms/step   ratio to off: {med / base:.4f}")
    cost = statistics.median(costs)
    print(f"one sample: {cost * 1e3:.2f} ms of the sampling process -> {100 * cost / 10.0:.3f}% of one core "
          f"at the default 10 s interval ({100 * cost / 0.1:.1f}% at 0.1 s), none of the training thread")


if __name__ == "__main__":
    main()
