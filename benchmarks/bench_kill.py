"""Benchmark: kill logging processes at random moments and count what was lost or damaged.

    python benchmarks/bench_kill.py [--trials 30] [--batch 6] [--seed 0]

Each trial starts a process that logs as fast as it can (printing each step after
``log()`` returned) and kills it after a random delay, alternately with SIGKILL
(flush interval 0.2 s) and SIGTERM (flush interval 30 s, so everything logged is
still in memory when the signal comes). Per signal it prints: rows acknowledged,
rows in the file, acknowledged rows lost (SIGKILL: at most the flush window; SIGTERM:
0 expected), gaps in ``_step``, invalid lines, torn last lines, run.json states and
whether the summary (as readers show it) holds the last row. The baseline of the
same run is SIGKILL: the ratio printed is SIGTERM's lost rows against SIGKILL's.
"""
from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from killsuite import run_batch  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--batch", type=int, default=6, help="processes logging (and killed) at the same time")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        for b in range(0, args.trials, args.batch):
            n = min(args.batch, args.trials - b)
            plan = []
            for k in range(b, b + n):
                if k % 2 == 0:
                    plan.append((signal.SIGKILL, rnd.uniform(0.1, 2.5), 0.2))
                else:
                    plan.append((signal.SIGTERM, rnd.uniform(0.1, 2.5), 30.0))
            folder = Path(tmp) / f"batch{b}"
            folder.mkdir()
            outcomes += run_batch(folder, plan, seed=b)
            print(f"  {len(outcomes)}/{args.trials} trials", file=sys.stderr)
    by = defaultdict(list)
    for o in outcomes:
        by[o.signal].append(o)
    print(f"trials={len(outcomes)} (batches of {args.batch} concurrent processes, seed {args.seed})")
    lost_mean = {}
    for name in ("SIGKILL", "SIGTERM"):
        group = by.get(name, [])
        if not group:
            continue
        lost = [o.lost_acked for o in group]
        lost_mean[name] = statistics.mean(lost)
        states = defaultdict(int)
        for o in group:
            states[f"{o.meta.get('state')}/{o.meta.get('signal') or '-'}/{o.meta.get('exit_code')}"] += 1
        summary_ok = sum(1 for o in group if o.last_row is None or o.summary_read.get("i") == o.last_row["i"])
        print(f"{name}: {len(group)} trials")
        print(f"  rows acknowledged / in file:  {sum(o.acked for o in group)} / {sum(o.rows for o in group)}")
        print(f"  acknowledged rows lost:       mean {statistics.mean(lost):.1f}, max {max(lost)}")
        print(f"  gaps in _step:                {sum(o.gaps for o in group)}")
        print(f"  invalid lines:                {sum(o.bad_lines for o in group)}")
        print(f"  torn last lines:              {sum(1 for o in group if o.torn)}")
        print(f"  exit status as expected:      {sum(1 for o in group if not o.problems)}/{len(group)}")
        print(f"  summary shows the last row:   {summary_ok}/{len(group)}")
        print(f"  run.json state/signal/exit:   {dict(states)}")
    if "SIGKILL" in lost_mean and "SIGTERM" in lost_mean:
        base = lost_mean["SIGKILL"] or 1.0
        print(f"ratio lost rows SIGTERM/SIGKILL: {lost_mean['SIGTERM'] / base:.3f}x  (target 0: SIGTERM loses nothing)")


if __name__ == "__main__":
    main()
