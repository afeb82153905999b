import math

import numpy as np

from reportgen.site.history import parse_history
from site_runs import append_rows, rows, write_run


def test_columns_types_nested_and_nonfinite(tmp_path):
    data = rows(5, loss=lambda s: float(s), acc=lambda s: s / 10)
    data[1]["loss"] = "diverged"          # string among numbers
    data[2]["loss"] = True                # bool
    data[3]["loss"] = float("nan")        # NaN line: the orjson fast path falls back
    data[0]["opt"] = {"lr": 0.1, "m": {"beta": 0.9}}  # nested -> opt/lr, opt/m/beta
    data[4]["img"] = {"_type": "image", "path": "media/images/x.png"}
    data[4]["weird"] = {"_type": "hologram"}
    d = write_run(tmp_path, "r", data)
    c = parse_history(d / "history.jsonl")
    assert c.nrows == 5
    r, v = c.series("loss")
    assert r.tolist() == [0, 3, 4] and v[0] == 0 and math.isnan(v[1]) and v[2] == 4
    assert c.series("opt/lr")[1].tolist() == [0.1] and c.series("opt/m/beta")[1].tolist() == [0.9]
    assert set(c.groups["loss"]) == {"string", "bool"}
    assert c.groups["img"]["image"][0] == 1 and "hologram" in c.groups["weird"]
    assert c.missing_media == ["media/images/x.png"]
    assert c.steps().tolist() == [0, 1, 2, 3, 4]


def test_torn_and_bad_lines_and_incremental(tmp_path):
    d = write_run(tmp_path, "r", rows(100, loss=lambda s: s * 1.0))
    h = d / "history.jsonl"
    with open(h, "ab") as fh:
        fh.write(b"{not json}\n{\"_step\": 100, \"loss\": 100.0}\n{\"_step\": 101, \"lo")
    c = parse_history(h, chunk_bytes=512)  # many chunks
    assert c.nrows == 101 and c.torn > 0
    assert any("not valid JSON" in w for w in c.warnings)
    end = c.end
    # finish the torn line and append more: only the new bytes are parsed
    with open(h, "ab") as fh:
        fh.write(b"ss\": 101.0}\n")
    append_rows(d, rows(5, start=102, loss=lambda s: s * 1.0))
    c2 = parse_history(h, c)
    assert c2.end > end and c2.torn == 0
    r, v = c2.series("loss")
    assert c2.nrows == 107 and v.tolist() == [float(i) for i in range(107)]
    fresh = parse_history(h)
    assert np.array_equal(fresh.series("loss")[1], v) and fresh.nrows == c2.nrows


def test_odd_lines_in_big_chunks(tmp_path):
    data = rows(20_000, loss=lambda s: s * 1.0)
    data[123]["loss"] = float("nan")
    data[15_000]["loss"] = float("-inf")
    d = write_run(tmp_path, "r", data)
    h = d / "history.jsonl"
    bad_at = h.stat().st_size
    with open(h, "ab") as fh:
        fh.write(b"garbage\n")
    append_rows(d, rows(10, start=20_000, loss=lambda s: s * 1.0))
    c = parse_history(h, chunk_bytes=1 << 20)  # chunks well above the split threshold
    r, v = c.series("loss")
    assert c.nrows == 20_010 and math.isnan(v[123]) and v[15_000] == -np.inf and v[-1] == 20_009.0
    assert c.warnings == [f"history.jsonl: skipped a line that is not valid JSON (byte {bad_at})"]


def test_a_late_key_polars_takes_and_orjson_refuses(tmp_path):
    """A key first logged after the rows polars infers its schema from, spelled with a lone
    surrogate escape (``"late\\ud800"``): polars reads the line, orjson (which counts the late keys)
    refused it, and the build of the whole site stopped on a JSONDecodeError (fuzz seed 3056). The
    row reader takes the chunk now."""
    d = write_run(tmp_path, "r", rows(12_000, loss=lambda s: s * 0.5))
    with open(d / "history.jsonl", "ab") as fh:  # (above columnar.MIN_BYTES: the polars path)
        fh.write(b'{"_step": 12000, "loss": 1.0, "late\\ud800": 2}\n')
    c = parse_history(d / "history.jsonl")
    r, v = c.series("loss")
    assert c.nrows == 12_001 and v[-1] == 1.0 and v[:3].tolist() == [0.0, 0.5, 1.0]
    assert [k for k in c.numeric if k.startswith("late")]
