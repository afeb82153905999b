"""CSV files of any size imported in memory bounded whatever their size (reportgen/importers/csvparts.py,
steporder.py): real files written here, ``reportgen import csv`` in a subprocess, its peak memory
measured (tests/peakmem.py) against the same import of a file of two rows, and every row read back
with Api."""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

import reportgen
from peakmem import cli_peak

MB = 1 << 20
#: what an import of any file may take above the import of a file of two rows (the interpreter, pandas):
#: a part of rows parsed and converted, a part waiting to be written, the merge of sorted parts
ABOVE_FLOOR = 100 * MB
BLOCK = 50_000  # rows of metric text made once and written again under each block's steps


def _metrics(rows: int, columns: int, seed: int = 0) -> list[bytes]:
    """``rows`` lines of ``columns`` random numbers (made by numpy: a 150 MB file is written in a second)."""
    buf = io.BytesIO()
    np.savetxt(buf, np.random.default_rng(seed).random((rows, columns)), fmt="%.6f", delimiter=",")
    return buf.getvalue().splitlines(keepends=True)


def _write(path: Path, header: str, lines, steps) -> None:
    """``header`` and, for each step of ``steps``, the step's prefix then the next line of ``lines``
    (cycled)."""
    with open(path, "wb") as fh:
        fh.write(header.encode() + b"\n")
        out = []
        for i, prefix in enumerate(steps):
            out.append(prefix + lines[i % len(lines)])
            if len(out) == BLOCK:
                fh.write(b"".join(out))
                out = []
        fh.write(b"".join(out))


def _floor(tmp_path: Path, *options: str) -> int:
    small = tmp_path / "small.csv"
    small.write_text("run,step,m0\na,0,1.0\na,1,0.5\n")
    return cli_peak("import", "csv", small, "-o", tmp_path / "small-runs", "-q", *options)[1]


def _steps(run) -> list[int]:
    """The steps of ``run``'s history rows, in order (read from the file: Api reads 800,000 rows in 8 s)."""
    return [int(s) for s in re.findall(rb'"_step":(\d+)', (run.dir / "history.jsonl").read_bytes())]


def _values(line: bytes) -> list[float]:
    return [float(x) for x in line.split(b",")]


def test_a_large_csv_is_imported_in_bounded_memory(tmp_path):
    """A CSV was read whole into memory (up to 2 GiB, then cut) and parsed whole by pandas: a 150 MB
    export (a step and 20 metrics, 800,000 rows) peaked at 510 MB, 400 MB above the import of a
    two-row file, and a 340 MB one at 1 GB. It is now read a part of rows at a time through its one
    descriptor: the peak is the same for any size (40 MB above the floor for 150 or 340 MB), and every
    row is imported."""
    rows, columns = 800_000, 20
    lines = _metrics(BLOCK, columns)
    src = tmp_path / "export.csv"
    _write(src, "step," + ",".join(f"m{i}" for i in range(columns)), lines, (b"%d," % s for s in range(rows)))
    assert src.stat().st_size > 140 * MB
    floor = _floor(tmp_path)
    proc, peak = cli_peak("import", "csv", src, "-o", tmp_path / "runs", "-q")
    assert "warning" not in proc.stderr, proc.stderr
    assert peak - floor < ABOVE_FLOOR, (peak >> 20, floor >> 20)
    (run,) = reportgen.Api(tmp_path / "runs").runs()
    assert _steps(run) == list(range(rows))
    assert [run.summary[f"m{i}"] for i in range(columns)] == _values(lines[(rows - 1) % BLOCK])


def test_a_large_long_table_out_of_step_order_is_sorted_on_disk(tmp_path):
    """A long table (``--run-col``) was read whole and grouped by run in memory, and a run's rows out of
    step order sorted there: 4 runs interleaved row by row, each written from its last step to its first
    (800,000 rows, 50 MB), peaked at 300 MB. The rows are now sorted by run and step on disk, a part at
    a time (:class:`StepOrder`), then each run is imported in step order: the peak is that of any
    import, and every row of every run is imported, in step order."""
    runs, steps = 4, 200_000
    lines = _metrics(BLOCK, 5, seed=1)
    src = tmp_path / "long.csv"
    order = [(r, s) for s in reversed(range(steps)) for r in range(runs)]
    _write(src, "run,step,a,b,c,d,e", lines, (b"r%d,%d," % rs for rs in order))
    floor = _floor(tmp_path, "--run-col", "run")
    proc, peak = cli_peak("import", "csv", src, "-o", tmp_path / "runs", "-q", "--run-col", "run")
    assert "warning" not in proc.stderr, proc.stderr
    assert peak - floor < ABOVE_FLOOR, (peak >> 20, floor >> 20)
    found = {run.name: run for run in reportgen.Api(tmp_path / "runs").runs()}
    assert sorted(found) == [f"r{r}" for r in range(runs)]
    for r in range(runs):
        run = found[f"r{r}"]
        assert _steps(run) == list(range(steps))
        last = order.index((r, steps - 1))  # (the row of its last step: among the first of the file)
        assert [run.summary[k] for k in "abcde"] == _values(lines[last % BLOCK]), r


def test_a_column_has_one_type_over_the_whole_file(tmp_path, cli):
    """Read a part at a time, pandas types each part's columns on their own: a column of numbers with
    one text cell would be text in that part alone, integers with an empty cell floats in that part
    alone (3.0 and 3 in the history; and integers in one part, none in the next), and a run column's 7
    would be 7.0, another run, in the part where a cell is empty. A column's type is settled by its
    first values and kept (csvparts.CsvTable): one run named as written, numbers with the text cell left
    out (and named: a wandb or pandas user expects the column of numbers, it became text), integers."""
    from reportgen.importers.csvparts import part_rows

    first = part_rows(5)
    n = first + 20_000
    with open(tmp_path / "t.csv", "w") as fh:
        fh.write("run,step,loss,count,early\n")
        for s in range(n):
            loss = "oops" if s == n - 3 else s / n
            fh.write(f"{'' if s == n - 1 else 7},{s},{loss},{'' if s == n - 2 else s},{s if s < first else ''}\n")
    proc = cli("import", "csv", str(tmp_path / "t.csv"), "-o", str(tmp_path / "runs"), "--run-col", "run")
    said = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert said == [f"warning: {tmp_path / 't.csv'}: row {n - 2}, column 'loss': 'oops' is not a number, in a column "
                    "of numbers; left out"], said
    (run,) = reportgen.Api(tmp_path / "runs").runs()
    rows = list(run.scan_history())
    assert len(rows) == n - 1 and run.name == "7"  # (the row without a run is left out, as before)
    assert {type(r["loss"]) for r in rows if "loss" in r} == {float} and rows[1]["loss"] == 1 / n
    assert "loss" not in rows[n - 3] and rows[n - 2]["loss"] == (n - 2) / n
    assert {type(r["count"]) for r in rows if "count" in r} == {int} and "count" not in rows[n - 2]
    assert {type(r["early"]) for r in rows if "early" in r} == {int} and "early" not in rows[first]


def _read_bytes() -> int:
    """Bytes this process has read through read() and the like (/proc/self/io's rchar)."""
    return int(re.search(r"^rchar: (\d+)", Path("/proc/self/io").read_text(), re.M).group(1))


def test_a_csv_is_read_once(tmp_path):
    """The import read a CSV twice, a pass to type its columns, then the import (a 2M-row import took
    half as long again). It is read once; a file whose steps go down after rows were written is read
    again, sorted, and imported the same as one read sorted (rows of a step in both halves merged);
    a run imported before is not written until its order is known (its step column read first)."""
    import pandas as pd  # noqa: F401 (imported before the bytes are counted)

    from reportgen.importers import ImportOptions, import_source
    from reportgen.importers.tabular import CHUNK_ROWS

    rows = 300_000
    src = tmp_path / "export.csv"
    _write(src, "step,m0,m1,m2,m3,m4", _metrics(BLOCK, 5), (b"%d," % s for s in range(rows)))
    size = src.stat().st_size
    opts = ImportOptions(source="csv", path=src, out=tmp_path / "runs", quiet=True)
    before = _read_bytes()
    assert import_source(opts).rows == rows
    read = _read_bytes() - before
    assert size <= read < 1.2 * size, (read, size)

    # an MLflow export grouped by metric: its steps go down once the first metric's rows are written
    n = CHUNK_ROWS + 10
    grouped = tmp_path / "grouped.csv"
    with open(grouped, "w") as fh:
        fh.write("step,loss,acc\n" + "".join(f"{s},{s / n},\n" for s in range(n))
                 + "".join(f"{s},,{s}\n" for s in range(n)))
    warned: list[str] = []
    opts = ImportOptions(source="csv", path=grouped, out=tmp_path / "g", quiet=True, warn=warned.append)
    assert import_source(opts).rows == n and warned == []
    (run,) = reportgen.Api(tmp_path / "g").runs()
    assert _steps(run) == list(range(n))
    lines = (run.dir / "history.jsonl").read_bytes().splitlines()
    assert all(b'"loss"' in ln and b'"acc"' in ln for ln in lines)
    with open(grouped, "a") as fh:  # (the run goes on: a re-import reads the step column first)
        fh.write("".join(f"{s},{s / n},{s}\n" for s in range(n, n + 5)))
    assert import_source(opts).rows == 5 and warned == []
    (run,) = reportgen.Api(tmp_path / "g").runs()
    assert _steps(run) == list(range(n + 5))


def test_step_order_merges_many_sorted_files_in_rounds(tmp_path, monkeypatch):
    """More sorted files than are merged at once (FAN_IN) are merged in rounds first: every row comes
    back once, by run, step and place in the source; the private folder is gone at the end."""
    import random
    import tempfile

    from reportgen.importers.steporder import FAN_IN, StepOrder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    rng = random.Random(0)
    rows = [(f"r{rng.randrange(3)}", rng.randrange(50), seq, None, {"v": seq}) for seq in range(FAN_IN * 70)]
    with StepOrder() as order:
        for start in range(0, len(rows), 20):  # (112 files: a round of 32 merged into one, three times)
            order.add(rows[start:start + 20])
        assert len(list(tmp_path.iterdir())) == 1 and len(list(next(tmp_path.iterdir()).iterdir())) == 112
        assert list(order.rows()) == sorted(rows, key=lambda r: r[:3])
    assert not any(tmp_path.iterdir())


def test_lines_ending_in_a_carriage_return_alone_are_rows(tmp_path, cli):
    """A CSV saved with classic Mac OS line ends (a carriage return alone; pandas reads them, and Excel
    for Mac wrote them) is imported as its twin with line feeds: the same rows, a quoted cell with a
    comma kept whole, more rows than one block of the streamed reader."""
    from reportgen.importers.csvparts import part_rows

    n = part_rows(3) + 500
    lines = ["step,loss,note"] + [f'{s},{s / n},"a, {s}"' for s in range(n)]
    for name, end in (("lf", "\n"), ("cr", "\r")):
        (tmp_path / f"{name}.csv").write_bytes(end.join(lines).encode() + end.encode())
        cli("import", "csv", str(tmp_path / f"{name}.csv"), "-o", str(tmp_path / name), "--name", "t")
    (lf,), (cr,) = reportgen.Api(tmp_path / "lf").runs(), reportgen.Api(tmp_path / "cr").runs()
    want = [{k: r[k] for k in ("_step", "loss", "note")} for r in lf.scan_history()]
    assert len(want) == n and want[-1] == {"_step": n - 1, "loss": (n - 1) / n, "note": f"a, {n - 1}"}
    assert [{k: r[k] for k in ("_step", "loss", "note")} for r in cr.scan_history()] == want


def test_bytes_that_are_not_utf8_are_replacement_characters_and_one_warning(tmp_path, cli):
    """One byte that is not UTF-8 (a Latin-1 é, a corrupt byte) made pandas raise UnicodeDecodeError and
    the whole file was skipped, no run written. The file is now read with replacement characters (U+FFFD):
    a text cell keeps the rest of its text, a number cell holding one is left out (as text in a column of
    numbers is, named), and one warning names the file, the first line holding such bytes, counted over
    the lines of a row read cell by cell before it (a quoted cell of 17 MB with line breaks) and of a
    header whose cell spans two lines, in a file with line feeds, one with carriage returns alone, and
    one whose header holds the byte."""
    from reportgen.importers.csvblocks import ROW_MAX

    src = tmp_path / "src"
    src.mkdir()
    with open(src / "lf.csv", "wb") as fh:
        fh.write(b'step,loss,"the\nname"\n'  # lines 1-2
                 b'0,1.0,"two\nlines"\n'  # 3-4
                 b'1,0.5,"big\n' + b"x" * (ROW_MAX + MB) + b'\nbig\n"\n'  # 5-8, read cell by cell, left out
                 b"2,0.25,caf\xe9\n"  # 9
                 b"3,0\xff.125,ok\n"
                 b'4,0.0625,"\xc3"\n'
                 b"5,0.03125,fine\n")
    (src / "cr.csv").write_bytes(b"step,loss\r1,0.5\r2,0.\xff25\r3,0.125\r")
    (src / "head.csv").write_bytes(b"step,lo\xe9ss\n1,2.5\n")
    proc = cli("import", "csv", str(src), "-o", str(tmp_path / "runs"))
    said = sorted(ln for ln in proc.stderr.splitlines() if ln.startswith("warning:"))
    assert said == sorted([
        f"warning: {src / 'lf.csv'}: row 2, column 'the\\nname': a cell of {ROW_MAX + MB + 9:,} bytes (more "
        "than 1 MiB, or past 16 MiB in its row); left out",
        f"warning: {src / 'lf.csv'}: line 9: bytes that are not UTF-8 (3 such sequences in the file); read as "
        "replacement characters (U+FFFD), a cell of a column of numbers holding them left out",
        f"warning: {src / 'lf.csv'}: row 4, column 'loss': '0\ufffd.125' is not a number, in a column of "
        "numbers; left out",
        f"warning: {src / 'cr.csv'}: line 3: bytes that are not UTF-8; read as replacement characters "
        "(U+FFFD), a cell of a column of numbers holding them left out",
        f"warning: {src / 'cr.csv'}: row 2, column 'loss': '0.\ufffd25' is not a number, in a column of "
        "numbers; left out",
        f"warning: {src / 'head.csv'}: line 1: bytes that are not UTF-8; read as replacement characters "
        "(U+FFFD), a cell of a column of numbers holding them left out"]), said
    runs = {r.name: r for r in reportgen.Api(tmp_path / "runs").runs()}
    assert sorted(runs) == ["cr", "head", "lf"]
    assert [(r["_step"], r.get("loss"), r.get("the\nname")) for r in runs["lf"].scan_history()] == [
        (0, 1.0, "two\nlines"), (1, 0.5, None), (2, 0.25, "caf\ufffd"), (3, None, "ok"), (4, 0.0625, "\ufffd"),
        (5, 0.03125, "fine")]
    assert [(r["_step"], r["loss"]) for r in runs["cr"].scan_history()] == [(1, 0.5), (3, 0.125)]  # (2: empty)
    assert [(r["_step"], r["lo\ufffdss"]) for r in runs["head"].scan_history()] == [(1, 2.5)]


def test_a_wide_csv_is_converted_a_kind_at_a_time(tmp_path, monkeypatch):
    """A CSV of 20,000 columns and 100 rows took ~24 s to import (pandas reads it in ~1 s): every part
    (12 rows of it) was taken apart a column at a time (each column taken out of the part to convert
    it, to list its cells and to test it for holes, ~1 ms a column). Columns are now converted a kind
    at a time and a part's cells taken at once: the columns taken out of a part are counted (one a
    column of text is left, to settle its type), and every kind of column comes out as it did (floats,
    integers with holes, text, a text cell left out of a column of numbers, a fraction making a column
    of integers floats)."""
    import pandas as pd

    from reportgen.importers import ImportOptions, import_source

    n, rows = 20_000, 40
    kinds = [lambda s, i: f"{s + i / 8:.3f}", lambda s, i: "" if (s + i) % 5 == 0 else str(s * i),
             lambda s, i: f"t{s}"]
    lines = [",".join(["step"] + [f"c{i}" for i in range(n)])]
    for s in range(rows):
        cells = [kinds[i % 3](s, i) for i in range(n)]
        if s == 20:
            cells[1], cells[4] = "oops", "2.5"  # (text in numbers; a fraction in integers)
        lines.append(",".join([str(s)] + cells))
    src = tmp_path / "wide.csv"
    src.write_text("\n".join(lines) + "\n")
    taken = [0]
    column = pd.DataFrame._ixs  # (what part[col] and part.iloc[:, j] call)

    def counted(self, *args, **kwargs):
        taken[0] += 1
        return column(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "_ixs", counted)
    warned: list[str] = []
    opts = ImportOptions(source="csv", path=src, out=tmp_path / "runs", quiet=True, warn=warned.append)
    assert import_source(opts).rows == rows
    assert taken[0] < n / 2, taken[0]  # (a column of text taken alone to settle it; ~4 parts x 20,000 x 3 before)
    (run,) = reportgen.Api(tmp_path / "runs").runs()
    hist = list(run.scan_history())
    assert len(hist) == rows
    for s in (0, 19, 20, 39):
        row = hist[s]
        assert row["c0"] == float(f"{s:.3f}") and row[f"c{n - 3}"] == f"t{s}"
        assert row["c3"] == float(f"{s + 3 / 8:.3f}")
        for i in (1, 7, n - 1):
            if s == 20 and i == 1:
                assert "c1" not in row
            elif (s + i) % 5 == 0:
                assert f"c{i}" not in row
            else:
                assert row[f"c{i}"] == s * i and type(row[f"c{i}"]) is int
    assert hist[20]["c4"] == 2.5 and type(hist[0]["c4"]) is int and type(hist[39]["c4"]) is float
    assert len(warned) == 1 and "row 21, column 'c1': 'oops' is not a number" in warned[0], warned
