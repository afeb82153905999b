"""One nesting limit for writers and readers: what the SDK accepts is read back, what no reader reads
is refused at log time, and a value nested too deep costs only itself.

Levels are counted as ``storage.safety.too_deep`` counts them, the history line (or the config or
summary file) being the first: a logged value may nest ``MAX_DEPTH - 1`` levels of its own.
"""
from __future__ import annotations

import warnings

import pytest

import reportgen
from reportgen.site.history import parse_history
from reportgen.storage.reader import read_run
from reportgen.storage.safety import MAX_DEPTH


def _lists(levels: int):
    """A value of ``levels`` nested lists (the innermost holds 1)."""
    value = 1
    for _ in range(levels):
        value = [value]
    return value


def _text(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


def _api_run(runs, run_id):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = reportgen.Api(runs).run(run_id)
        rows = list(run.scan_history())
    return run, rows, "\n".join(str(w.message) for w in caught)


def test_the_sdk_refuses_what_no_reader_reads_and_keeps_what_they_do(tmp_path):
    """The encoder refused values only past orjson's 255 levels, the readers past 100: log(), config
    and summary stored values 101 to 255 levels deep without a word, and every reader then dropped
    them (gone from the site and from Api). At the readers' limit a value is stored and read back;
    one level deeper it is refused at once, naming the key and the limit, the rest kept."""
    runs = tmp_path / "runs"
    fits, deeper = _lists(MAX_DEPTH - 1), _lists(MAX_DEPTH)  # 100 and 101 levels with their row/file
    with pytest.warns(UserWarning) as caught:
        run = reportgen.init(id="edge", dir=runs)
        run.log({"fits": fits, "deeper": deeper, "loss": 0.5})
        run.config.update({"c_fits": fits, "c_deeper": deeper, "lr": 0.1})
        run.config.c_attr = deeper
        run.summary["s_fits"] = fits
        run.summary.update({"s_deeper": deeper, "best": 0.9})
        run.finish()
    told = [str(w.message) for w in caught]
    for who in ("log(): key 'deeper'", "config key 'c_deeper'", "config key 'c_attr'", "summary key 's_deeper'"):
        assert any(who in t and f"nested deeper than {MAX_DEPTH} levels" in t for t in told), (who, told)
    assert not any("fits" in t for t in told), told

    api, rows, said = _api_run(runs, "edge")
    assert said == ""  # nothing the SDK wrote is refused by a reader
    assert [(r["fits"], r["loss"], "deeper" in r) for r in rows] == [(fits, 0.5, False)]
    assert api.config == {"c_fits": fits, "lr": 0.1}
    assert api.summary["s_fits"] == fits and api.summary["best"] == 0.9 and "s_deeper" not in api.summary
    record = read_run(runs / "edge")  # the builder's reader
    assert record.warnings == [] and record.history[0]["fits"] == fits and record.config["c_fits"] == fits
    cols = parse_history(runs / "edge" / "history.jsonl")  # the site's history reader
    assert cols.problems() == [] and cols.groups["fits"]["other"][1] == fits


def test_readers_read_a_line_of_exactly_the_limit_and_drop_one_level_more(tmp_path):
    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    (run / "history.jsonl").write_text(f'{{"_step": 0, "v": {_text(MAX_DEPTH - 1)}}}\n'
                                       f'{{"_step": 1, "v": {_text(MAX_DEPTH)}}}\n')
    _, rows, said = _api_run(tmp_path / "runs", "r")
    assert [(r["_step"], r.get("v")) for r in rows] == [(0, _lists(MAX_DEPTH - 1)), (1, None)]
    assert f"'v' (byte {len(_text(MAX_DEPTH - 1)) + 20})" in said, said
    cols = parse_history(run / "history.jsonl")
    assert cols.groups["v"]["other"][1] == _lists(MAX_DEPTH - 1)
    assert [w for w in cols.problems() if "nested deeper" in w] == [
        f"history.jsonl: 'v': skipped a value nested deeper than {MAX_DEPTH} levels (row 1)"]


@pytest.mark.parametrize("odd", [False, True], ids=["fast-path", "line-by-line"])
def test_a_history_value_nested_too_deep_leaves_out_that_key_not_its_line(tmp_path, odd):
    """storage.reader skipped the whole line when one value in it nested deeper than 100 levels
    ("skipped a line nested deeper than 100 levels"), as did the site's reader for a chunk it reads
    line by line (a NaN token, a bad line in it): Api's history lost the loss and accuracy of that
    step. Only the deep keys are left out now, named in one warning per file with their line's byte
    offset. A line too deep for the decoder itself is still skipped with a warning, never
    RecursionError."""
    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    lines = ['{"_step": 4, "loss": 0.2}',
             '{"_step": 5, "loss": 0.1, "acc": %s, "deep": %s}' % ("NaN" if odd else "0.75", _text(MAX_DEPTH + 1)),
             '{"_step": 6, "loss": 0.05, "deeper": %s, "also": %s}' % (_text(300), _text(150)),
             *(['{"_step": 7, "loss": NaN, "way": %s}' % _text(3000)] if odd else []),  # (past the stdlib's stack)
             '{"_step": 8, "loss": 0.03}']
    (run / "history.jsonl").write_text("\n".join(lines) + "\n")
    at = [sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))]

    _, rows, said = _api_run(tmp_path / "runs", "r")
    assert [(r["_step"], r["loss"]) for r in rows] == [(4, 0.2), (5, 0.1), (6, 0.05), (8, 0.03)]
    assert set(rows[1]) == {"_step", "loss", "acc"} and set(rows[2]) == {"_step", "loss"}
    assert f"history.jsonl: 'deep' (byte {at[1]}), 'deeper' (byte {at[2]}), 'also' (byte {at[2]}): nested deeper " \
           f"than {MAX_DEPTH} levels; left out (the rest of their lines is read)" in said, said
    assert said.count("left out") == 1
    if odd:
        assert f"history.jsonl: skipped a line nested deeper than {MAX_DEPTH} levels (byte {at[3]})" in said, said

    cols = parse_history(run / "history.jsonl")  # the site's reader: the same rows, the same keys
    rows_of, losses = cols.series("loss")
    assert list(cols.steps()[rows_of.astype(int)]) == [4, 5, 6, 8] and list(losses) == [0.2, 0.1, 0.05, 0.03]
    assert "acc" in cols.numeric and not {"deep", "deeper", "also", "way"} & set(cols.groups)


def test_the_encoder_refuses_exactly_what_the_readers_walk_refuses():
    """jsonio.dumps checks ``max_depth`` inside orjson (the value wrapped in lists up to orjson's own
    limit: a Python walk of every value made logging a 10,000-row table 1.4x and a 100,000-point scene
    2.1x dearer); it must refuse exactly what ``safety.too_deep`` (the readers' rule) refuses, for
    dicts, lists and empty containers at every depth around the limit, and give orjson's bytes for
    what it keeps. (Tuples: orjson does not count their levels; the SDK turns them into lists before
    a value is encoded, and what it reads is lists.)"""
    import random

    import orjson

    from reportgen.storage.jsonio import TooDeep, dumps
    from reportgen.storage.safety import too_deep

    def value(depth: int, spine: int):
        if depth >= spine:
            return rng.choice([1, 2.5, "s", None, [], {}])
        kids = [value(depth + 1, spine)] + [rng.choice([1, [], {}, [1, [2]]]) for _ in range(rng.randint(0, 2))]
        rng.shuffle(kids)
        return rng.choice([lambda: kids, lambda: {f"k{i}": k for i, k in enumerate(kids)}])()

    rng = random.Random(40)
    refused = 0
    for _ in range(3000):
        limit = rng.choice([3, 10, 100])
        obj = value(0, limit + rng.randint(-2, 2))
        try:
            out = dumps(obj, max_depth=limit)
        except TooDeep:
            refused += 1
            assert too_deep(obj, limit), obj
        else:
            assert not too_deep(obj, limit) and out == orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS), obj
    assert 500 < refused < 2500  # (both sides of the limit were tried)


def test_a_large_document_is_measured_from_its_text_as_the_walk_measures_it():
    """jsonio.loads bounds the depth of a large document (TEXT_DEPTH_BYTES and more) from its text's
    brackets outside strings (jsonio.text_depth), not by walking the decoded value (5 s of a 2M-point
    scene's 7.4 s read): the same depth as safety.too_deep finds, for documents of every kind around
    the limit, with brackets, quotes and backslashes inside strings and keys; a large document one
    level too deep is refused, one at the limit read."""
    import json
    import random

    from reportgen.storage.jsonio import TooDeep, loads, text_depth
    from reportgen.storage.safety import too_deep

    rng = random.Random(7)
    tricky = ['[', ']', '{', '}', '\\"[', '\\\\', '\\\\"', '"]]', 'a\\\\]', '[{"x": [1]}]', '\u00e9]']

    def value(depth: int, spine: int):
        if depth >= spine:
            return rng.choice([1, -2.5e-3, rng.choice(tricky), None, [], {}, True])
        kids = [value(depth + 1, spine)] + [rng.choice([1, rng.choice(tricky), [], {}, [1, ["]"]]])
                                            for _ in range(rng.randint(0, 2))]
        rng.shuffle(kids)
        return rng.choice([lambda: kids, lambda: {rng.choice(tricky) + str(i): k for i, k in enumerate(kids)}])()

    for _ in range(2000):
        obj = value(0, rng.randint(0, 12))
        data = json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode()
        depth = text_depth(data)
        assert not too_deep(obj, depth) and (depth == 0 or too_deep(obj, depth - 1)), (obj, depth)
    big = _text(MAX_DEPTH - 1)  # (the file's levels: MAX_DEPTH at most)
    pad = (b'{"pad": "' + b"[" * (2 << 20) + b'", "v": ').decode()
    assert len(loads((pad + big + "}").encode(), max_depth=MAX_DEPTH)["v"]) == 1  # (the dict, then big)
    with pytest.raises(TooDeep):
        loads((pad + "[" + big + "]}").encode(), max_depth=MAX_DEPTH)


LONG_STRINGS = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from reportgen.storage.jsonio import loads
from reportgen.storage.safety import MAX_DEPTH
for cell in ("x" * (60 << 20), "\n" * (30 << 20)):  # one long cell, and one of 30M escapes
    data = ('{"columns": ["c"], "data": [["' + cell.replace("\n", "\\n") + '"]]}').encode()
    assert loads(data, max_depth=MAX_DEPTH)["data"][0][0] == cell
print("ok")
"""


def test_a_long_string_is_measured_in_bounded_memory():
    """The text measure (jsonio.text_depth) took strings out with a regex whose engine kept state for
    each character of a string: a table file of one 60 MiB cell was MemoryError under a 6 GiB limit
    (the build said "could not show table"). Both a long cell and one of 30M escapes are read under
    3 GiB now."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", LONG_STRINGS], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
