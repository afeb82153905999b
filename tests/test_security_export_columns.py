"""``reportgen export``: a run's own keys never take the exporter's columns. A history key ``run_id``
(logged by the script, or a hostile history line) replaced the run's id in ``history/<run>.<ext>``,
so ``pd.read_parquet(DIR / "history")`` gave those rows to another run. Real runs written with the
SDK, the real CLI in a subprocess."""
from __future__ import annotations

import pandas as pd
import pytest

from reportgen.sdk.run import Run
from test_export_writes import _export


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_logged_run_id_does_not_take_the_runs_id_column(tmp_path, fmt):
    runs = tmp_path / "runs"
    for rid in ("a", "b"):
        run = Run(id=rid, name=rid, project="p", dir=runs, save_code_info=False)
        for s in range(3):
            run.log({"loss": 1.0 / (s + 1), **({"run_id": "b"} if rid == "a" else {})})
        run.finish()
    out = tmp_path / "out"
    done = _export(runs, out, fmt)
    assert done.returncode == 0, done.stderr
    read = pd.read_csv if fmt == "csv" else pd.read_parquet
    a, b = read(out / "history" / f"a.{fmt}"), read(out / "history" / f"b.{fmt}")
    assert list(a["run_id"]) == ["a"] * 3 and list(b["run_id"]) == ["b"] * 3
    assert list(a["run_id (logged)"]) == ["b"] * 3 and "run_id (logged)" not in b.columns
    assert list(a["loss"]) == pytest.approx([1.0, 0.5, 1 / 3])
    said = [line for line in done.stderr.splitlines() if "run_id (logged)" in line]
    assert len(said) == 1 and "a:" in said[0], done.stderr
