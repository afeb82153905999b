"""How fast does ``reportgen import tensorboard`` turn a logdir into run folders?

The logdir: ``--runs`` runs x ``--scalars`` scalars x ``--steps`` steps, one scalar
event per value, as tensorboardX's and torch's ``add_scalar`` write them (default
100 x 10 x 20,000 = 20M events, as in the issue). It is generated once and cached
(``$REPORTGEN_CACHE_DIR`` or ``~/.cache/reportgen``, ``bench-import/<shape>/``).
The events are written directly with TensorBoard's ``Event`` protos and the TFRecord
framing (:func:`write_run`), because tensorboardX's writer takes ~120 us per
``add_scalar`` call here (40 min for 20M); ``tests/test_importers.py`` checks that
this writer's records are the ones tensorboardX writes, and the importer tests read
files written by the real torch / tensorboardX / TensorBoard writers.

Measured in the same run, on the same files:

- **TensorBoard's reader alone**: ``EventFileLoader(path).Load()`` over every event
  (the loader TensorBoard's backend uses: its framing reader with a pure-Python crc32c,
  the ``Event`` parse and the read-time compat layers), doing nothing with the events.
  At ~100 us per event it would take ~40 min at the full size, so by default it reads
  a subset (every ``--baseline-every``-th run, 10 of the 100) and the time for all
  events is extrapolated per event; the output says so. ``--baseline-every 1`` reads all.
- **the raw-record floor**: our framing reader alone (C crc32c checks, no parse), on
  all files; and TensorBoard's ``RawEventFileLoader`` (framing only) on the subset.
- **reportgen import** of the whole logdir into a fresh runs root (read, check,
  parse, decode, write history/summary/run.json), then a re-import of the unchanged
  logdir (the incremental path: nothing new).

- **reportgen import csv** of a CSV export (``--csv-rows`` rows of a step and ``--csv-columns``
  metrics, cached beside the logdir), against a baseline measured in the same run: pandas reading
  the same file a part at a time and doing nothing with it (the parse every import needs; the
  import read the file twice, a pass to type its columns first). Also the bytes the import read,
  against the file's size (/proc/self/io: 2.0x before, 1.0x since it is read once), and its peak
  memory above the interpreter's (a subprocess).

    python benchmarks/bench_import.py [--runs 100] [--scalars 10] [--steps 20000] [--baseline-every 10]
    python benchmarks/bench_import.py --only csv [--csv-rows 2000000] [--csv-columns 20]
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
from reportgen.importers.tfrecord import frame, read_records  # noqa: E402

WALL0 = 1.7e9


def cache_dir(runs: int, scalars: int, steps: int) -> Path:
    base = os.environ.get("REPORTGEN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "reportgen")
    return Path(base) / "bench-import" / f"{runs}x{scalars}x{steps}"


def value(r: int, s: int, k: int) -> float:
    return (s * (k + 1)) % 97 / 97.0 + r


def write_run(folder: Path, r: int, scalars: int, steps: int) -> Path:
    """One run's event file, record for record what ``SummaryWriter.add_scalar`` writes
    (a ``file_version`` event, then one ``simple_value`` event per scalar)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"events.out.tfevents.{int(WALL0) + r}.bench.{r}.0"
    Event, Summary = event_pb2.Event, summary_pb2.Summary
    chunks = [frame(Event(wall_time=WALL0 + r, file_version="brain.Event:2").SerializeToString())]
    with open(path, "wb") as fh:
        for s in range(steps):
            wall = WALL0 + r + s * 0.01
            for k in range(scalars):
                ev = Event(wall_time=wall, step=s, summary=Summary(value=[
                    Summary.Value(tag=f"metric{k}", simple_value=value(r, s, k))]))
                chunks.append(frame(ev.SerializeToString()))
            if len(chunks) > 50_000:
                fh.write(b"".join(chunks))
                chunks = []
        fh.write(b"".join(chunks))
    return path


def generate(logdir: Path, runs: int, scalars: int, steps: int) -> None:
    done = logdir / ".complete"
    if done.exists():
        return
    shutil.rmtree(logdir, ignore_errors=True)
    t = time.perf_counter()
    for r in range(runs):
        write_run(logdir / f"group{r % 10}" / f"run{r:03d}", r, scalars, steps)
        print(f"\rgenerating: {r + 1}/{runs} runs ({time.perf_counter() - t:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    done.write_text("ok\n")


def read_with_tensorboard(files: list[Path]) -> int:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    n = 0
    for path in files:
        for _event in EventFileLoader(str(path)).Load():
            n += 1
    return n


def raw_with_tensorboard(files: list[Path]) -> int:
    from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

    return sum(1 for path in files for _ in RawEventFileLoader(str(path)).Load())


def raw_floor(files: list[Path]) -> int:
    return sum(1 for path in files for _ in read_records(path, 0, print, path.name))


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def write_csv(path: Path, rows: int, columns: int) -> None:
    """A CSV export: a step and ``columns`` random metrics (6 decimals), ``rows`` rows (cached)."""
    import io

    import numpy as np

    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    block = 50_000
    buf = io.BytesIO()
    np.savetxt(buf, np.random.default_rng(0).random((block, columns)), fmt="%.6f", delimiter=",")
    lines = buf.getvalue().splitlines(keepends=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        fh.write(("step," + ",".join(f"m{i}" for i in range(columns)) + "\n").encode())
        for start in range(0, rows, block):
            fh.write(b"".join(b"%d," % s + lines[s % block] for s in range(start, min(rows, start + block))))
    tmp.rename(path)


def read_bytes() -> int:
    """Bytes this process has read (/proc/self/io's rchar; 0 where there is none)."""
    try:
        with open("/proc/self/io") as fh:
            return next(int(ln.split()[1]) for ln in fh if ln.startswith("rchar:"))
    except OSError:
        return 0


def pandas_read(path: Path, columns: int) -> int:
    import pandas as pd

    from reportgen.importers.csvparts import part_rows

    with pd.read_csv(path, chunksize=part_rows(columns + 1)) as parts:
        return sum(len(part) for part in parts)


def import_peak(path: Path, out: Path) -> int:
    """Peak memory (bytes) of ``reportgen import csv PATH`` in a subprocess."""
    import subprocess

    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "reportgen", "import", "csv",
                           str(path), "-o", str(out), "-q"], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    return int(proc.stdout.split()[-1]) << 10


def bench_csv(rows: int, columns: int) -> None:
    import pandas  # noqa: F401 (imported before anything is timed)

    path = cache_dir(0, columns, rows).with_name(f"csv-{rows}x{columns}.csv")
    cached = path.exists()
    t, _ = timed(write_csv, path, rows, columns)
    size = path.stat().st_size
    print(f"csv: {rows:,} rows x {columns + 1} columns, {size / 1e6:.0f} MB ({path}; "
          f"{'cached' if cached else f'generated in {t:.0f} s'})")
    cpu = time.process_time()
    t_read, n = timed(pandas_read, path, columns)
    c_read = time.process_time() - cpu
    assert n == rows
    with tempfile.TemporaryDirectory(prefix="bench-import-csv-") as tmp:
        before, cpu = read_bytes(), time.process_time()
        t_imp, result = timed(import_source, ImportOptions(source="csv", path=path, out=Path(tmp) / "runs",
                                                           quiet=True))
        c_imp, read = time.process_time() - cpu, read_bytes() - before
        assert result.rows == rows, result
        peak = import_peak(path, Path(tmp) / "runs2")
        floor = Path(tmp) / "two.csv"
        floor.write_text("step,m0\n0,0.5\n1,0.25\n")
        floor_peak = import_peak(floor, Path(tmp) / "runs3")
    print(f"pandas reading it a part at a time (baseline): {t_read:7.1f} s  ({c_read:.1f} s CPU)")
    print(f"reportgen import csv:                          {t_imp:7.1f} s  ({c_imp:.1f} s CPU, "
          f"{c_imp / rows * 1e6:.2f} us/row)")
    print(f"ratio import / pandas read: {t_imp / t_read:.2f}x, in CPU {c_imp / c_read:.2f}x; bytes read / file size: "
          f"{read / size:.2f}x (2.00x when it was read twice); peak memory {peak / 2**20:.0f} MB, "
          f"{(peak - floor_peak) / 2**20:.0f} MB above a two-row import")
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} cpus")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--scalars", type=int, default=10)
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--baseline-every", type=int, default=10,
                    help="TensorBoard's reader reads every N-th run and is extrapolated per event (1: all)")
    ap.add_argument("--only", choices=("tensorboard", "csv"), help="measure one source alone")
    ap.add_argument("--csv-rows", type=int, default=2_000_000)
    ap.add_argument("--csv-columns", type=int, default=20)
    args = ap.parse_args()
    if args.only != "tensorboard":
        bench_csv(args.csv_rows, args.csv_columns)
    if args.only == "csv":
        return
    logdir = cache_dir(args.runs, args.scalars, args.steps)
    t, _ = timed(generate, logdir, args.runs, args.scalars, args.steps)
    files = sorted(logdir.rglob("*tfevents*"))
    size = sum(p.stat().st_size for p in files)
    made = f"generated in {t:.0f} s" if t > 1 else "cached"
    print(f"logdir: {args.runs} runs x {args.scalars} scalars x {args.steps:,} steps, {size / 1e6:.0f} MB, "
          f"{len(files)} files ({logdir}; {made})")
    subset = files[::max(1, args.baseline_every)]

    t_floor, records = timed(raw_floor, files)
    t_tb, tb_events = timed(read_with_tensorboard, subset)
    t_tb_raw, tb_raw = timed(raw_with_tensorboard, subset)
    assert tb_events == tb_raw
    per_event = t_tb / tb_events
    baseline = per_event * records
    how = ("all files" if subset == files else
           f"measured on {len(subset)} of {len(files)} files (every {args.baseline_every}th run), "
           f"{tb_events:,} events in {t_tb:.1f} s, extrapolated per event to all {records:,}")
    print(f"tensorboard reader alone (EventFileLoader): {baseline:9.1f} s  ({per_event * 1e6:.1f} us/event; {how})")
    print(f"  its raw records (RawEventFileLoader):     {t_tb_raw / tb_raw * records:9.1f} s  "
          f"({t_tb_raw / tb_raw * 1e6:.1f} us/event, same subset)")
    print(f"raw-record floor (our framing + crc32c):   {t_floor:9.1f} s  ({t_floor / records * 1e6:.2f} us/event, "
          f"{records:,} records, not parsed)")

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        out = Path(tmp) / "runs"
        imported, result = timed(import_source, ImportOptions(source="tensorboard", path=logdir, out=out, quiet=True))
        assert len(result.runs) == args.runs and result.rows == args.runs * args.steps, result
        print(f"reportgen import:                          {imported:9.1f} s  "
              f"({imported / records * 1e6:.2f} us/event; {result.rows:,} rows in {len(result.runs)} runs)")
        reimport, again = timed(import_source, ImportOptions(source="tensorboard", path=logdir, out=out, quiet=True))
        assert again.rows == 0
        print(f"re-import, nothing new:                    {reimport:9.2f} s")
    print(f"ratio import / tensorboard reader alone: {imported / baseline:.3f}x"
          f"{' (baseline extrapolated from a subset)' if subset != files else ''}; "
          f"import / raw-record floor: {imported / t_floor:.2f}x")
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} (1/5/15 min), "
          f"{os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
