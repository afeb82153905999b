"""How fast does ``reportgen import tensorboard`` turn a logdir into run folders?

The logdir (``--runs`` runs x ``--scalars`` scalars x ``--steps`` steps, one
``add_scalar`` event per value, written by tensorboardX; default 100 x 10 x 20,000 as
in the issue) is generated once and cached (``$REPORTGEN_CACHE_DIR`` or
``~/.cache/reportgen``, ``bench-import/<shape>/``).

Baseline, measured in the same run: reading every event of the same logdir with
TensorBoard's own reader alone (``EventFileLoader(path).Load()``, the loader
TensorBoard's backend uses; it parses the records and applies the read-time compat
layers) and doing nothing with them. Then the import into a fresh runs root (read +
decode + write history/summary/run.json), and a re-import of the unchanged logdir
(the incremental path: nothing new). The ratio import / baseline is printed, and
import / reading the raw records only (``RawEventFileLoader``: framing and crc32c
checks, no protobuf parsing), the floor any importer using TensorBoard's reader has.
The import can beat the full loader: plain ``simple_value`` scalars (what
tensorboardX, torch and TF1 write) skip TensorBoard's compat layer, which turns
each one into a tensor proto.

    python benchmarks/bench_import.py [--runs 100] [--scalars 10] [--steps 20000]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from reportgen.importers import ImportOptions, import_source  # noqa: E402


def cache_dir(runs: int, scalars: int, steps: int) -> Path:
    base = os.environ.get("REPORTGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "reportgen")
    return Path(base) / "bench-import" / f"{runs}x{scalars}x{steps}"


def generate(logdir: Path, runs: int, scalars: int, steps: int) -> None:
    from tensorboardX import SummaryWriter

    done = logdir / ".complete"
    if done.exists():
        return
    shutil.rmtree(logdir, ignore_errors=True)
    t = time.perf_counter()
    for r in range(runs):
        w = SummaryWriter(str(logdir / f"group{r % 10}" / f"run{r:03d}"), max_queue=1000, flush_secs=60)
        for s in range(steps):
            for k in range(scalars):
                w.add_scalar(f"metric{k}", (s * (k + 1)) % 97 / 97.0 + r, s)
        w.close()
        print(f"\rgenerating: {r + 1}/{runs} runs ({time.perf_counter() - t:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    done.write_text("ok\n")


def read_with_tensorboard(logdir: Path) -> int:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    n = 0
    for path in sorted(logdir.rglob("*tfevents*")):
        for event in EventFileLoader(str(path)).Load():
            n += len(event.summary.value)
    return n


def read_raw_records(logdir: Path) -> int:
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

    return sum(1 for path in sorted(logdir.rglob("*tfevents*")) for _ in RawEventFileLoader(str(path)).Load())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--scalars", type=int, default=10)
    ap.add_argument("--steps", type=int, default=20_000)
    args = ap.parse_args()
    logdir = cache_dir(args.runs, args.scalars, args.steps)
    generate(logdir, args.runs, args.scalars, args.steps)
    size = sum(p.stat().st_size for p in logdir.rglob("*tfevents*"))
    print(f"logdir: {args.runs} runs x {args.scalars} scalars x {args.steps} steps, {size / 1e6:.0f} MB ({logdir})")

    t = time.perf_counter()
    values = read_with_tensorboard(logdir)
    baseline = time.perf_counter() - t
    print(f"tensorboard reader alone: {baseline:8.2f} s  ({values:,} values)")
    t = time.perf_counter()
    records = read_raw_records(logdir)
    raw = time.perf_counter() - t
    print(f"  of which raw records:   {raw:8.2f} s  ({records:,} crc-checked records, not parsed)")

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        out = Path(tmp) / "runs"
        t = time.perf_counter()
        result = import_source(ImportOptions(source="tensorboard", path=logdir, out=out, quiet=True))
        imported = time.perf_counter() - t
        assert len(result.runs) == args.runs and result.rows == args.runs * args.steps, result
        print(f"reportgen import:         {imported:8.2f} s  ({result.rows:,} rows in {len(result.runs)} runs)")
        t = time.perf_counter()
        again = import_source(ImportOptions(source="tensorboard", path=logdir, out=out, quiet=True))
        reimport = time.perf_counter() - t
        assert again.rows == 0
        print(f"re-import, nothing new:   {reimport:8.2f} s")
    print(f"ratio import / tensorboard reader: {imported / baseline:.2f}x "
          f"(import / raw record reading: {imported / raw:.2f}x)")


if __name__ == "__main__":
    main()
