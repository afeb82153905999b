"""wandb.Table's documented API: data from arrays and DataFrames, column types
(dtype/optional/allow_mixed_types/cast), keys, log_mode, N-d array cells."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from reportgen.media.base import MediaContext
from reportgen.media.image import Image
from reportgen.media.table import Table
from reportgen.storage.jsonio import read_json


def ctx(tmp_path, step=1, key="t"):
    return MediaContext(tmp_path, key, step)


def stored(tmp_path, rec):
    return read_json(tmp_path / rec["path"])


def test_data_from_ndarray_and_dataframe(tmp_path):
    t = Table(columns=["a", "b", "c"], data=np.arange(6).reshape(2, 3))
    assert t.data == [[0, 1, 2], [3, 4, 5]]
    df = pd.DataFrame({0: [1.5, float("nan")], "name": ["x", None], 2: [True, False]})
    t = Table(data=df)  # the frame's columns, stringified
    assert t.columns == ["0", "name", "2"]
    assert t.data[1][1] is None and np.isnan(t.data[1][0]) and t.data[0][2] is True
    assert Table(dataframe=df, columns=["ignored"]).columns == ["0", "name", "2"]
    assert Table(columns=[1, 2], data=[[1, 2]]).columns == ["1", "2"]
    assert Table(columns=["x"], data=np.zeros((0, 1))).data == []
    with pytest.raises(ValueError, match="data: expected an array of rows"):
        Table(columns=["x"], data=np.zeros(3))
    rec = Table(data=df).to_record(ctx(tmp_path))
    assert stored(tmp_path, rec)["columns"] == ["0", "name", "2"]


def test_get_dataframe_round_trip():
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    out = Table(dataframe=df).get_dataframe()
    pd.testing.assert_frame_equal(out, df)


def test_column_types_are_enforced_unless_mixed():
    t = Table(columns=["a", "b"])
    t.add_data(1, "x")
    t.add_data(2.5, None)  # int and float are both numbers; None is allowed (optional=True)
    with pytest.raises(TypeError, match=r"row 2, column 'a'.*number.*allow_mixed_types"):
        t.add_data("three", "y")
    assert len(t) == 2  # the bad row is not half-added
    with pytest.raises(TypeError, match="column 'a'"):
        t.add_data(True, "y")  # a bool is not a number
    m = Table(columns=["a"], allow_mixed_types=True)
    m.add_data(1)
    m.add_data("two")
    assert m.column_types == {"a": "any"}
    assert t.column_types == {"a": "number", "b": "string"}


def test_dtype_and_optional():
    t = Table(columns=["n", "s"], dtype=[int, str], optional=[False, True])
    t.add_data(1, None)
    with pytest.raises(TypeError, match="None is not allowed"):
        t.add_data(None, "x")
    with pytest.raises(TypeError, match="column 's'"):
        t.add_data(2, 3)
    with pytest.raises(ValueError, match="optional: expected one entry per column"):
        Table(columns=["a", "b"], optional=[True])
    img = Table(columns=["im"], dtype=Image)
    with pytest.raises(TypeError, match="expected a value of type image"):
        img.add_data(3)
    const = Table(columns=["k"], dtype="fixed")
    const.add_data("fixed")
    with pytest.raises(TypeError, match="constant"):
        const.add_data("other")
    with pytest.raises(TypeError, match="dtype for column 'a'"):
        Table(columns=["a"], dtype=set)


def test_cast_checks_existing_values():
    t = Table(columns=["a"], data=[[1], [None]], allow_mixed_types=True)
    with pytest.raises(TypeError, match="cast: row 1.*None"):
        t.cast("a", int)
    t.cast("a", float, optional=True)
    assert t.column_types == {"a": "number"}
    with pytest.raises(KeyError, match="no column 'zz'"):
        t.cast("zz", int)


def test_add_row_columns_computed_and_keys():
    t = Table(columns=["id", "x"])
    t.add_row("a", 1)
    t.add_row("b", 2)
    t.add_column("y", np.array([10, 20]))
    t.add_computed_columns(lambda i, row: {"sum": row["x"] + row["y"], "i": i})
    assert t.columns == ["id", "x", "y", "sum", "i"]
    assert t.get_column("sum") == [11, 22] and t.get_column("i", convert_to="numpy").tolist() == [0, 1]
    with pytest.raises(ValueError, match="expected 2 values"):
        t.add_column("z", [1])
    t.set_pk("id")
    other = Table(columns=["ref"], data=[["a"]])
    other.set_fk("ref", t, "id")
    with pytest.raises(TypeError, match="key column"):
        other.add_data(None)
    with pytest.raises(KeyError, match="no column 'nope'"):
        other.set_fk("ref", t, "nope")
    assert t.get_index() == [0, 1] and t.index_ref(1) == 1


def test_records_keep_types_and_keys(tmp_path):
    a = Table(columns=["id", "v"], data=[["a", 1.0]])
    a.set_pk("id")
    b = Table(columns=["ref"], data=[["a"]])
    b.set_fk("ref", a, "id")
    ra, rb = a.to_record(ctx(tmp_path)), b.to_record(ctx(tmp_path, key="b"))
    assert ra["primary_key"] == "id" and ra["column_types"] == {"id": "primary_key", "v": "number"}
    assert rb["foreign_keys"] == {"ref": "id"}


def test_nd_array_cells(tmp_path):
    emb = np.linspace(0, 1, 8)
    grid = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = Table(columns=["emb", "grid", "nested"])
    t.add_data(emb, grid, [[1, 2], {"k": np.float32(0.5)}])
    t.add_data(emb * 2, grid + 1, [])
    assert t.get_column("grid", convert_to="numpy").shape == (2, 3, 4)
    rec = t.to_record(ctx(tmp_path))
    row = stored(tmp_path, rec)["data"][0]
    assert row[0] == pytest.approx(emb.tolist())  # a short vector stays inline, as wandb keeps embeddings
    assert row[1]["_type"] == "tensor" and row[1]["shape"] == [3, 4] and row[1]["dtype"] == "float32"
    assert np.array_equal(np.load(tmp_path / row[1]["path"]), grid)
    assert row[2] == [[1, 2], {"k": 0.5}]
    assert rec["column_types"] == {"emb": "ndarray", "grid": "ndarray", "nested": "list"}
    with pytest.raises(TypeError, match="column 'nested'"):
        t.add_data(emb, grid, [object()])
    three = Table(columns=["a", "b"], data=np.zeros((2, 2, 5)))  # each cell a length-5 vector
    assert three.data[0][1].shape == (5,)


def test_log_mode_immutable_mutable_incremental(tmp_path):
    with pytest.raises(ValueError, match="log_mode"):
        Table(log_mode="APPEND")
    imm = Table(columns=["a"], data=[[1]])
    first = imm.to_record(ctx(tmp_path, 1))
    with pytest.warns(UserWarning, match="IMMUTABLE"):
        imm.add_data(2)
    again = imm.to_record(ctx(tmp_path, 2))
    assert again["path"] == first["path"] and again["nrows"] == 1  # wandb: re-logging shows the first content
    other_run = tmp_path / "other"
    assert imm.to_record(ctx(other_run, 2))["nrows"] == 2  # a different run gets its own copy

    mut = Table(columns=["a"], data=[[1]], log_mode="MUTABLE")
    r1 = mut.to_record(ctx(tmp_path, 1, "m"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mut.add_data(2)
    r2 = mut.to_record(ctx(tmp_path, 2, "m"))
    assert r1["nrows"] == 1 and r2["nrows"] == 2 and r2["log_mode"] == "MUTABLE"

    inc = Table(columns=["a"], log_mode="INCREMENTAL")
    inc.add_data(1)
    inc.add_data(2)
    i0 = inc.to_record(ctx(tmp_path, 1, "i"))
    inc.add_data(3)
    i1 = inc.to_record(ctx(tmp_path, 2, "i"))
    assert stored(tmp_path, i0)["data"] == [[1], [2]] and stored(tmp_path, i1)["data"] == [[3]]
    assert i1["increment_num"] == 1 and i1["previous_increments"] == [i0["path"]] and i1["row_offset"] == 2
    with pytest.raises(ValueError, match="INCREMENTAL"):
        inc.add_column("b", [1, 2, 3])


def test_incremental_table_continues_in_a_resumed_run(tmp_path):
    import reportgen

    run = reportgen.init(id="inc", dir=tmp_path)
    t = Table(columns=["a"], log_mode="INCREMENTAL")
    for i in range(2):
        t.add_data(i)
        run.log({"t": t})
    run.finish()
    first = read_json(tmp_path / "inc" / "summary.json")["t"]
    run = reportgen.init(id="inc", dir=tmp_path, resume="allow")
    t2 = Table(columns=["a"], log_mode="INCREMENTAL")
    t2.add_data(2)
    run.log({"t": t2})
    run.finish()
    rec = read_json(tmp_path / "inc" / "summary.json")["t"]
    assert rec["increment_num"] == 2 and rec["previous_increments"] == [*first["previous_increments"], first["path"]]
    rows = [r for p in [*rec["previous_increments"], rec["path"]] for r in read_json(tmp_path / "inc" / p)["data"]]
    assert rows == [[0], [1], [2]]


def test_site_item_of_an_incremental_table(tmp_path, monkeypatch):
    """The run page's table item: increments joined, the latest 100 only, untrusted lists ignored."""
    import json

    from reportgen.build.panels import items as items_mod
    from reportgen.build.panels.items import ItemMaker
    from reportgen.build.panels.sitefiles import RunFiles

    run_dir = tmp_path / "run"
    inc = Table(columns=["i"], log_mode="INCREMENTAL")
    for i in range(103):
        inc.add_data(i)
        rec = inc.to_record(MediaContext(run_dir, "inc", i))
    files = RunFiles(tmp_path / "site", run_dir, "run")

    def rows(record):
        item = ItemMaker(files).make(record, "inc", f"n{len(files.warnings)}_{id(record)}")
        text = (tmp_path / "site" / item["data"]).read_text()
        return json.loads(text[text.index(",") + 1:text.rindex(")")])["rows"]

    got = rows(rec)
    assert [r[0] for r in got] == list(range(3, 103))  # the latest 100 increments
    assert [r[0] for r in rows({**rec, "previous_increments": "media/x.json"})] == [102]  # not a list: ignored
    monkeypatch.setattr(items_mod, "MAX_SHOWN_ROWS", 10)
    assert [r[0] for r in rows(rec)] == list(range(93, 103)) and "only the latest 10 rows" in files.warnings[-1]
