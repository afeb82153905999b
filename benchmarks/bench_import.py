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

    python benchmarks/bench_import.py [--runs 100] [--scalars 10] [--steps 20000] [--baseline-every 10]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--scalars", type=int, default=10)
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--baseline-every", type=int, default=10,
                    help="TensorBoard's reader reads every N-th run and is extrapolated per event (1: all)")
    args = ap.parse_args()
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
