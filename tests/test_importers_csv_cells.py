"""Cells of a CSV too long to hold (reportgen/importers/csvblocks.py): one giant line or one giant
quoted cell was held whole by pandas, and written as a history line no reader reads (longer than
64 MiB). A cell longer than 1 MiB is left out with a warning naming its row and column; a row longer
than 16 MiB is read cell by cell as it streams by, so memory stays bounded; the row's other cells and
the rows after it are imported. Real files, ``reportgen import csv`` in a subprocess, its peak memory
measured (tests/peakmem.py) against the import of a file of two rows."""
from __future__ import annotations

import reportgen
from peakmem import cli_peak
from reportgen.importers.csvblocks import CELL_MAX, ROW_MAX

MB = 1 << 20


def test_giant_cells_are_left_out_in_bounded_memory(tmp_path):
    big = 120 * MB
    src = tmp_path / "t.csv"
    with open(src, "wb") as fh:
        fh.write(b"step,loss,note\n0,1.0,first\n")
        # a quoted cell of 120 MB holding line breaks, commas and quotes
        fh.write(b'1,0.5,"')
        piece = b'line, with ""quotes""\n' * (MB // 22)
        for _ in range(big // len(piece)):
            fh.write(piece)
        fh.write(b'"\n')
        fh.write(b"2,0.25," + b"x" * (ROW_MAX + 5 * MB) + b"\n")  # one giant line, no quotes
        fh.write(b"3,0.125," + b"y" * (2 * MB) + b"\n")  # a row parsed with others: its cell is too long
        fh.write(b'4,0.0625,"last, ""quoted"""\n')
    small = tmp_path / "small.csv"
    small.write_text("step,loss,note\n0,1.0,a\n1,0.5,b\n")
    floor = cli_peak("import", "csv", small, "-o", tmp_path / "small-runs", "-q")[1]
    proc, peak = cli_peak("import", "csv", src, "-o", tmp_path / "runs", "-q")
    said = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert len(said) == 3, said
    assert f"{src}: row 2, column 'note': a cell of " in said[0] and said[0].endswith("; left out"), said
    assert f"{src}: row 3, column 'note': a cell of {ROW_MAX + 5 * MB:,} bytes" in said[1], said
    assert said[2] == f"warning: {src}: row 4, column 'note': a cell of {2 * MB:,} characters (more than " \
        f"{CELL_MAX >> 20} MiB); left out", said
    assert peak - floor < 80 * MB, (peak >> 20, floor >> 20)
    (run,) = reportgen.Api(tmp_path / "runs").runs()
    rows = list(run.scan_history())
    assert [(r["_step"], r["loss"], r.get("note")) for r in rows] == [
        (0, 1.0, "first"), (1, 0.5, None), (2, 0.25, None), (3, 0.125, None), (4, 0.0625, 'last, "quoted"')]


def test_a_cell_at_the_limit_is_kept_in_a_row_read_cell_by_cell(tmp_path, cli):
    """A row longer than ROW_MAX is read cell by cell: its cells of CELL_MAX bytes (quoted ones with
    line breaks, commas and quotes) are kept, as pandas reads them (numbers are numbers); one byte
    more is left out."""
    src = tmp_path / "t.csv"
    fillers = ROW_MAX // CELL_MAX - 1
    cell = b'a"",\nb' * (CELL_MAX // 5)  # (written in quotes, each "" one quote: 5 bytes read of 6)
    with open(src, "wb") as fh:
        fh.write(b"step,n," + b",".join(b"c%d" % i for i in range(fillers)) + b",edge,tail\n")
        fh.write(b"0,7," + b",".join(b"z" * (CELL_MAX - 8) for _ in range(fillers)) + b","
                 + b"w" * CELL_MAX + b"," + b"v" * (CELL_MAX + 1) + b"\n")
        fh.write(b"1,8," + b",".join([b'"' + cell + b'"'] * (fillers + 1)) + b",ok\n")
    proc = cli("import", "csv", str(src), "-o", str(tmp_path / "runs"))
    said = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert len(said) == 1 and f"row 1, column 'tail': a cell of {CELL_MAX + 1:,} bytes" in said[0], said
    (run,) = reportgen.Api(tmp_path / "runs").runs()
    first, second = run.scan_history()
    assert first["n"] == 7 and "tail" not in first and first["edge"] == "w" * CELL_MAX
    assert len(first["c0"]) == CELL_MAX - 8
    assert second["n"] == 8 and second["tail"] == "ok"
    text = cell.replace(b'""', b'"').decode()
    assert second["c0"] == text and second["edge"] == text


def test_blocks_and_rows_read_cell_by_cell_are_the_rows_pandas_reads(tmp_path, monkeypatch):
    """Random CSVs of quoted cells with line breaks, commas, doubled quotes and CRLF ends, read with
    tiny limits (chunk boundaries land anywhere; most rows are read cell by cell, and their cells past
    ROW_MAX in all left out): the blocks, each parsed by pandas, give the rows pandas reads from the
    whole file, but for the cells left out, which are empty."""
    import csv
    import io
    import random

    import pandas as pd

    from reportgen.importers import csvblocks

    monkeypatch.setattr(csvblocks, "READ", 7)
    monkeypatch.setattr(csvblocks, "ROW_MAX", 40)
    monkeypatch.setattr(csvblocks, "CELL_MAX", 25)
    rng = random.Random(7)
    big = 0
    for trial in range(80):
        cols = rng.randint(1, 4)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"]))
        writer.writerow([f"c{i}" for i in range(cols)])
        for _ in range(rng.randint(0, 12)):
            writer.writerow(["".join(rng.choice('ab,"\n 1') for _ in range(rng.randint(0, 30)))
                             for _ in range(cols)])
        data = out.getvalue().encode()
        whole = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False).values.tolist()
        blocks = csvblocks.Blocks(io.BytesIO(data))
        assert blocks.header() == data[:data.index(b"\n") + 1]
        rows = []
        for block in blocks.blocks(3, cols):
            if isinstance(block, csvblocks.BigRow):
                big += 1
                expected = whole[len(rows)]
                assert [i for i, c in enumerate(block.cells) if c is None] == [i for i, _ in block.refused]
                for i, size in block.refused:
                    assert size == len(expected[i].encode()), trial
                    expected[i] = ""
                block = block.csv()
            rows += pd.read_csv(io.BytesIO(block), header=None, dtype=str, keep_default_na=False).values.tolist()
        assert rows == whole, (trial, data)
    assert big > 100
