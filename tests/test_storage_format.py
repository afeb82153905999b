"""Run-folder format 1: JSON encoding, tolerant readers, flush guarantees, run status."""
from __future__ import annotations

import json
import math
import socket
import time
from pathlib import Path

import pytest

import reportgen
from reportgen.storage.jsonio import dumps, encode_line, encode_plain_line, loads, read_json, write_json_atomic
from reportgen.storage.reader import (iter_history, list_run_dirs, read_history, read_run, run_status)
from reportgen.storage.writer import HistoryAppender


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -math.inf, 1e308, -0.0, 2**63 - 1, "NaN", None,
                                   {"a": [1, float("nan"), {"b": -math.inf}]}])
def test_json_round_trip_keeps_nonfinite(value):
    row = {"_step": 0, "v": value}
    for line in (encode_line(row), encode_plain_line(row, True)):
        back = loads(line)["v"]
        assert json.dumps(back, allow_nan=True) == json.dumps(value, allow_nan=True)


def test_integers_beyond_64_bits_are_written_exactly_and_read_as_floats():
    line = encode_plain_line({"v": 2**70}, False)
    assert line == b'{"v": 1180591620717411303424}\n'  # documented in docs/format.md
    assert loads(line)["v"] == float(2**70)


def test_nonfinite_tokens_are_bare():
    text = dumps({"a": float("nan"), "b": math.inf, "c": -math.inf}).decode()
    assert text.replace(" ", "") == '{"a":NaN,"b":Infinity,"c":-Infinity}'
    assert b"null" not in encode_plain_line({"a": float("nan")}, True)


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "x.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"b": float("nan")})
    assert list(tmp_path.iterdir()) == [target]  # no temp files left behind
    assert math.isnan(read_json(target)["b"])


def _write_history(path, lines: list[bytes]):
    path.write_bytes(b"".join(lines))


def test_reader_skips_bad_and_torn_lines(tmp_path):
    h = tmp_path / "history.jsonl"
    _write_history(h, [b'{"_step": 0}\n', b"not json\n", b"[1, 2]\n", b"\n", b'{"_step": 1, "x": NaN}\n',
                       b'{"_step": 2, "x": '])
    chunk = read_history(h)
    assert [r["_step"] for r in chunk.rows] == [0, 1] and math.isnan(chunk.rows[1]["x"])
    text = " | ".join(chunk.warnings)
    assert "not valid JSON" in text and "not a JSON object" in text and "incomplete last line" in text
    problems: list[str] = []
    assert [r["_step"] for r in iter_history(h, warnings=problems)] == [0, 1]
    assert len(problems) == 3
    # incremental reading resumes after the last complete line
    with open(h, "ab") as fh:
        fh.write(b'1}\n{"_step": 3}\n')
    more = read_history(h, chunk.end)
    assert [r["_step"] for r in more.rows] == [2, 3] and not more.warnings


def test_unknown_types_and_keys_are_kept_as_data(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"format": 1, "id": "r", "state": "finished", "future": 1}))
    (run_dir / "history.jsonl").write_text('{"_step": 0, "x": {"_type": "hologram", "path": "media/h.bin"}}\n')
    rec = read_run(run_dir)
    assert rec.history[0]["x"]["_type"] == "hologram" and rec.meta["future"] == 1 and not rec.warnings


def test_newer_format_and_broken_files_warn(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"format": 2, "id": "r"}))
    (run_dir / "summary.json").write_text("{broken")
    rec = read_run(run_dir)
    assert any("newer" in w for w in rec.warnings) and any("summary.json" in w for w in rec.warnings)
    assert rec.summary == {} and list_run_dirs(tmp_path) == [run_dir]


def test_rows_reach_the_file_within_the_flush_interval(tmp_path):
    app = HistoryAppender(tmp_path / "h.jsonl", flush_interval=0.05)
    try:
        for i in range(100):
            app.append({"_step": i})
        assert app.rows_written == 0  # buffered: no write per row
        deadline = time.time() + 5
        while app.rows_written < 100 and time.time() < deadline:
            time.sleep(0.01)
        assert len(read_history(tmp_path / "h.jsonl").rows) == 100
    finally:
        app.close()


def test_run_rows_flushed_without_finish(tmp_path):
    run = reportgen.init(id="live", dir=tmp_path, flush_interval=0.05)
    run.log({"a": 1})
    deadline = time.time() + 5
    while not read_history(run.folder / "history.jsonl").rows and time.time() < deadline:
        time.sleep(0.01)
    assert read_history(run.folder / "history.jsonl").rows[0]["a"] == 1
    run.finish()


def test_run_status_rules():
    now = 1000.0
    base = {"state": "running", "heartbeat": now - 10, "heartbeat_interval": 15}
    assert run_status(base, now=now) == "running"
    assert run_status({**base, "heartbeat": now - 61}, now=now) == "stale"
    assert run_status({**base, "heartbeat_interval": 1, "heartbeat": now - 5}, now=now) == "stale"
    assert run_status({"state": "running", "heartbeat": now - 59}, now=now) == "running"  # default 15 s
    assert run_status({**base, "host": socket.gethostname(), "pid": 2**22 + 12345}, now=now) == "crashed"
    assert run_status({**base, "host": "elsewhere", "pid": 2**22 + 12345}, now=now) == "running"
    assert run_status({"state": "finished", "heartbeat": 0}, now=now) == "finished"
    assert run_status({}, now=now) == "unknown"


def test_a_run_being_created_is_not_listed_until_it_has_run_json_or_rows(tmp_path):
    """The SDK opens history.jsonl before it writes run.json: a build at that moment listed the
    folder as a run of the "uncategorized" project (seen in `serve --watch`)."""
    from reportgen.storage.writer import RunWriter

    writer = RunWriter(tmp_path / "new")  # the history file exists, run.json not yet
    try:
        assert (tmp_path / "new" / "history.jsonl").exists()
        assert list_run_dirs(tmp_path) == []
        from reportgen.site.scan import scan_runs  # the builder's own listing agrees

        assert scan_runs(tmp_path) == []
        writer.write_meta({"id": "new", "project": "p"})
        assert list_run_dirs(tmp_path) == [tmp_path / "new"]
        assert [Path(p) for p, _, _ in scan_runs(tmp_path)] == [tmp_path / "new"]
    finally:
        writer.history.close()
    (tmp_path / "rows").mkdir()  # a hand-made folder with rows and no run.json is still a run
    (tmp_path / "rows" / "history.jsonl").write_text('{"_step": 0, "a": 1}\n')
    assert list_run_dirs(tmp_path) == [tmp_path / "new", tmp_path / "rows"]


@pytest.mark.parametrize("block", [1, 3, 7, 4096, 1 << 16])  # the file is < 4 KiB
def test_rows_read_backwards_equal_rows_read_forwards(tmp_path, monkeypatch, block):
    """The last-values reader (killed runs' summaries) reads from the end in blocks; at any block
    size it yields the complete rows in reverse, skips bad lines and the torn tail, and drops a
    line longer than MAX_LINE without holding it."""
    import random

    from reportgen.storage import lastvalues

    monkeypatch.setattr(lastvalues, "_BLOCK", block)
    monkeypatch.setattr(lastvalues, "MAX_LINE", 40)
    rng = random.Random(block)
    lines, want = [], []
    for i in range(60):
        r = rng.random()
        if r < 0.1:
            lines.append(b"garbage {")
        elif r < 0.15:
            lines.append(b'{"_step": %d, "long": "%s"}' % (i, b"x" * 60))  # longer than MAX_LINE
            if block > 40:  # read whole within one block: kept; spanning blocks past MAX_LINE (as in production,
                want.append(i)  # MAX_LINE 64 MiB > block 64 KiB): dropped
        elif r < 0.2:
            lines.append(b"")
        else:
            lines.append(b'{"_step": %d, "v": %d}' % (i, i))
            want.append(i)
    path = tmp_path / "history.jsonl"
    path.write_bytes(b"\n".join(lines) + b'\n{"_step": 999, "torn')
    got = [r["_step"] for r in lastvalues._rows_backwards(path)]
    assert got == list(reversed(want))
