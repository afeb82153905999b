"""Runs for the grouping / runs-table / compare browser tests: 12 runs in two groups (A, B)."""
from __future__ import annotations

import math
from pathlib import Path

from site_runs import rows, write_run

OFFSETS = {"A": [0.0, 0.25, 0.5, 0.75, 1.0, 0.6], "B": [2.0, 2.1, 2.2, 2.3, 2.4, 2.5]}
STEPS = 600


def noise(k: int, s: int) -> float:
    return 0.05 * math.sin(s * 0.37 + k * 1.7) * math.cos(s * 0.011 * (k + 1))


def make_runs(root: Path) -> Path:
    k = 0
    for grp, offs in OFFSETS.items():
        for j, off in enumerate(offs):
            kk = k
            hist = rows(STEPS, loss=lambda s, o=off, kk=kk: o + 1 / (1 + s / 50) + noise(kk, s),
                        acc=lambda s, o=off: 1 - o / 4 - 0.1 / (1 + s))
            final = hist[-1]
            write_run(root, f"r{grp}{j}", hist,
                      meta={"group": grp, "tags": ["t" + grp], "created": 1_700_000_000.0 + k,
                            "metrics": {"acc": {"goal": "maximize"}}},
                      config={"lr": 0.1 if grp == "A" else 0.01, "seed": j, "batch": 32, "opt": "adam" if j % 2 else "sgd"},
                      summary={"loss": final["loss"], "acc": final["acc"]})
            k += 1
    return root
