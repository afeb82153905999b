"""Write many small run folders fast (format 1, files written directly): the input of
bench_scale.py and of the scale/Dask tests. Deterministic: the same arguments give the same bytes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson

T0 = 1_700_000_000.0


def write_runs(root: Path, n_runs: int, n_metrics: int = 10, n_steps: int = 1000, projects: int = 1,
               seed: int = 0) -> list[Path]:
    """``n_runs`` runs of ``n_metrics`` metrics x ``n_steps`` steps under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    steps = np.arange(n_steps)
    keys = [f"train/m{k}" if k % 2 == 0 else f"val/m{k}" for k in range(n_metrics)]
    out = []
    for i in range(n_runs):
        rid = f"r{i:05d}"
        d = root / rid
        d.mkdir(exist_ok=True)
        lr = float(10 ** rng.uniform(-4, -1))
        created = T0 + i * 60.0
        meta = {"format": 1, "id": rid, "name": f"run-{i}", "project": f"p{i % projects}",
                "state": "finished", "created": created, "updated": created + n_steps * 0.1,
                "heartbeat": created + n_steps * 0.1, "tags": ["scale"] if i % 3 == 0 else []}
        (d / "run.json").write_bytes(orjson.dumps(meta))
        (d / "config.json").write_bytes(orjson.dumps({"lr": lr, "batch": int(2 ** (4 + i % 4)), "seed": i}))
        base = rng.uniform(0.5, 2.0, size=(n_metrics, 1))
        vals = base / (1 + steps * lr * 10) + rng.normal(0, 0.01, size=(n_metrics, n_steps))
        vals = np.round(vals, 5)
        lines = []
        cols = [vals[k].tolist() for k in range(n_metrics)]
        for s in range(n_steps):
            row = {"_step": s, "_runtime": round(s * 0.1, 3), "_timestamp": round(created + s * 0.1, 3)}
            for k, key in enumerate(keys):
                row[key] = cols[k][s]
            lines.append(orjson.dumps(row))
        (d / "history.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        (d / "summary.json").write_bytes(orjson.dumps({key: cols[k][-1] for k, key in enumerate(keys)}))
        out.append(d)
    return out


def touch_run(run_dir: Path, extra_steps: int = 10) -> None:
    """Append ``extra_steps`` rows to a run (the incremental rebuild's change)."""
    hist = run_dir / "history.jsonl"
    last = orjson.loads(hist.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1])
    keys = [k for k in last if not k.startswith("_")]
    with open(hist, "ab") as fh:
        for s in range(last["_step"] + 1, last["_step"] + 1 + extra_steps):
            row = {"_step": s, "_runtime": round(s * 0.1, 3), "_timestamp": round(last["_timestamp"] + s * 0.1, 3)}
            row.update({k: 0.5 for k in keys})
            fh.write(orjson.dumps(row) + b"\n")
