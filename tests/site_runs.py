"""Hand-made run folders for the site tests, written at the format level (storage writer)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from reportgen.storage.jsonio import encode_line, write_json_atomic

T0 = 1_700_000_000.0


def write_run(root: Path, run_id: str, rows: list[dict[str, Any]], *, meta: dict | None = None,
              config: dict | None = None, summary: dict | None = None, run_json: bool = True) -> Path:
    d = root / run_id
    d.mkdir(parents=True, exist_ok=True)
    if run_json:
        write_json_atomic(d / "run.json", {"format": 1, "id": run_id, "name": run_id, "project": "proj",
                                           "state": "finished", "created": T0, "updated": T0 + 90,
                                           "heartbeat": T0 + 90, **(meta or {})})
    write_json_atomic(d / "config.json", config or {})
    write_json_atomic(d / "summary.json", summary or {})
    with open(d / "history.jsonl", "wb") as fh:
        for row in rows:
            fh.write(encode_line(row))
    return d


def rows(n: int, start: int = 0, **series) -> list[dict[str, Any]]:
    """``n`` rows with _step/_runtime/_timestamp and one value per keyword (a function of the step)."""
    out = []
    for s in range(start, start + n):
        row = {"_step": s, "_runtime": s * 0.5, "_timestamp": T0 + s * 0.5}
        for k, f in series.items():
            row[k] = f(s)
        out.append(row)
    return out


def append_rows(run_dir: Path, new_rows: list[dict[str, Any]]) -> None:
    with open(run_dir / "history.jsonl", "ab") as fh:
        for row in new_rows:
            fh.write(encode_line(row))


def wavy(s: int) -> float:
    return 1.0 / (1 + s) + 0.05 * math.sin(s)
