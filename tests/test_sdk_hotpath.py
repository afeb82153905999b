"""log()'s hot path (issue 19): rows of known keys skip the per-value checks, yet every odd
value still gets the slow path's treatment; a burst's queue costs what its lines weigh."""
from __future__ import annotations

import decimal
import enum
import math
import tracemalloc
import warnings

import numpy as np

import reportgen
from reportgen.storage import appender as appender_mod
from reportgen.storage.appender import HistoryAppender
from reportgen.storage.jsonio import decode_line
from reportgen.storage.reader import read_run

QUIET = {"x_disable_stats": True, "x_disable_meta": True, "disable_git": True}


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Text(str):
    pass


class Floaty:
    def __float__(self):
        return 1.0


ODD = {  # value logged on a hot-path-eligible step -> what the row must hold (absent: skipped + warned)
    "nan": (float("nan"), "nan"),
    "inf": (float("inf"), math.inf),
    "ninf": (-math.inf, -math.inf),
    "huge": (10**5000, None),
    "big": (2**70, "big"),  # beyond 64 bits: written exactly (readers may decode it as a float)
    "np32": (np.float32(0.5), 0.5),
    "npi": (np.int64(7), 7),
    "intenum": (Level.HIGH, 3),
    "enum": (Color.RED, None),
    "decimal": (decimal.Decimal("1.5"), None),
    "floaty": (Floaty(), None),
    "text": (Text("t"), "t"),
    "none": (None, "none"),
    "max1": (1e308, 1e308),
    "max2": (1e308, 1e308),  # finite values whose sum overflows
    "surrogate": ("\ud800x", "\ufffdx"),
    "nested": ({"a": float("nan")}, "nested"),
}


def test_known_keys_with_odd_values_get_the_same_treatment_as_new_ones(tmp_path):
    run = reportgen.init(project="p", id="odd", dir=tmp_path, console="off", settings=QUIET)
    run.log({k: 1.0 for k in ODD})  # step 0: every key seen, plain floats (the hot path from now on)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for key, (value, _) in ODD.items():
            run.log({"x": 0.0, key: value})  # one odd value in an otherwise plain row
            run.log({"x": 0.0, key: value})  # twice: warned once
    run.finish()
    history = read_run(run.folder).history
    assert [r["_step"] for r in history] == list(range(1 + 2 * len(ODD)))
    messages = [str(w.message) for w in caught]
    for i, (key, (_, want)) in enumerate(ODD.items()):
        for row in history[1 + 2 * i: 3 + 2 * i]:
            assert row["x"] == 0.0
            if want is None:
                assert key not in row, (key, row)
            elif want == "nan":
                assert math.isnan(row[key])
            elif want == "none":
                assert row[key] is None
            elif want == "big":
                assert row[key] == 2**70
            elif want == "nested":
                assert math.isnan(row[key]["a"])
            else:
                assert row[key] == want and type(row[key]) is type(want), (key, row[key])
        if want is None:
            assert sum(repr(key) in m for m in messages) == 1, (key, messages)
    assert run.summary["max2"] == 1e308
    text = (run.folder / "history.jsonl").read_text()
    assert "NaN" in text and "-Infinity" in text and text.count(str(2**70)) == 2


def test_plain_rows_keep_their_values_and_types(tmp_path):
    run = reportgen.init(project="p", id="plain", dir=tmp_path, console="off", settings=QUIET)
    for step in range(5):
        run.log({"loss": 1.0 / (step + 1), "epoch": step, "ok": step % 2 == 0, "big": 2**63 - 1, "neg": -0.0})
    run.finish()
    history = read_run(run.folder).history
    assert [r["loss"] for r in history] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert [r["epoch"] for r in history] == [0, 1, 2, 3, 4] and all(type(r["epoch"]) is int for r in history)
    assert [r["ok"] for r in history] == [True, False, True, False, True]
    assert all(r["big"] == 2**63 - 1 and math.copysign(1, r["neg"]) == -1 for r in history)
    assert run.summary["loss"] == 0.2 and run.summary["_step"] == 4


def test_a_burst_costs_what_its_lines_weigh_and_loses_nothing(tmp_path):
    steps = 20_000
    run = reportgen.init(project="p", id="burst", dir=tmp_path, console="off", settings=QUIET,
                         flush_interval=3600)  # nothing is flushed during the burst: every line waits
    names = [f"metric_{i}" for i in range(10)]
    rng = np.random.default_rng(0)
    values = rng.random((steps, 10)).tolist()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for row in values:
            run.log(dict(zip(names, row)))
        queued = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.reset_peak()
        run.finish()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    data = (run.folder / "history.jsonl").read_bytes()
    lines = data.splitlines()
    assert len(lines) == steps and [decode_line(x)["_step"] for x in lines] == list(range(steps))
    assert decode_line(lines[-1])["metric_9"] == values[-1][9]
    # each queued line holds about its own size (orjson's result keeps >= 1 KiB per line);
    # finishing writes the queue in pieces, not a second copy of all of it
    assert queued < 1.35 * len(data) + 2**20, (queued, len(data))
    assert peak < 1.35 * len(data) + 4 * 2**20, (peak, len(data))


def test_flush_writes_a_long_queue_in_pieces_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(appender_mod, "FLUSH_LINES", 7)
    app = HistoryAppender(tmp_path / "history.jsonl", start_thread=False)
    for i in range(100):
        app.append_encoded(b'{"i":%d}\n' % i)
    assert app.flush() == 100 and app.rows_written == 100
    app.append_encoded(b'{"i":100}\n')
    app.close()
    assert [decode_line(x)["i"] for x in (tmp_path / "history.jsonl").read_bytes().splitlines()] == list(range(101))
