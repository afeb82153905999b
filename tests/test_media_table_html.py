"""Table, Html and Histogram records and their files."""
from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from reportgen.media.base import MediaContext
from reportgen.media.histogram import Histogram
from reportgen.media.html import Html
from reportgen.media.image import Image
from reportgen.media.table import MAX_ROWS, Table
from reportgen.storage.jsonio import read_json


@pytest.fixture
def ctx(tmp_path):
    return MediaContext(tmp_path, "examples", 1)


def test_seed_methods_agree(ctx):
    data = [["I love my phone", "1", "1"], ["My phone sucks", "0", "-1"]]
    t1 = Table(data=data, columns=["Text", "Predicted Label", "True Label"])
    t2 = Table(columns=["Text", "Predicted Label", "True Label"])
    t2.add_data("I love my phone", "1", "1")
    t2.add_data("My phone sucks", "0", "-1")
    r1, r2 = t1.to_record(ctx), t2.to_record(ctx)
    assert r1 == r2 and r1["nrows"] == 2 and r1["columns"] == ["Text", "Predicted Label", "True Label"]
    assert read_json(ctx.run_dir / r1["path"]) == {"columns": r1["columns"], "data": data}
    assert t1.get_column("True Label") == ["1", "-1"]
    assert list(t1.iterrows())[1] == (1, ["My phone sucks", "0", "-1"])


def test_defaults_and_errors():
    assert Table().columns == ["Input", "Output", "Expected"]
    t = Table(columns=["a", "b"])
    with pytest.raises(ValueError, match="row 0 has 3 values, expected 2"):
        t.add_data(1, 2, 3)
    with pytest.raises(TypeError, match="row 0, column 'b'"):
        t.add_data(1, {1, 2})
    with pytest.raises(KeyError, match="no column 'z'"):
        t.get_column("z")
    with pytest.raises(ValueError, match="duplicate"):
        Table(columns=["a", "a"])
    with pytest.raises(ValueError, match="10,000 rows"):
        Table(columns=["a"], data=[[i] for i in range(MAX_ROWS + 1)])
    full = Table(columns=["a"], data=[[i] for i in range(MAX_ROWS)])
    with pytest.raises(ValueError, match="at most 10,000"):
        full.add_data(1)


def test_cells_numpy_nan_none_bool_and_media(ctx):
    t = Table(columns=["n", "f", "b", "none", "img"])
    t.add_data(np.int64(3), np.float32(0.5), True, None, Image(np.zeros((2, 3))))
    t.add_data(1, float("nan"), False, None, Image(np.ones((2, 3))))
    rec = t.to_record(ctx)
    stored = read_json(ctx.run_dir / rec["path"])
    row0, row1 = stored["data"]
    assert row0[:4] == [3, 0.5, True, None] and math.isnan(row1[1])
    assert row0[4]["_type"] == "image" and "_r0c4_" in row0[4]["path"] and "_r1c4_" in row1[4]["path"]
    assert (ctx.run_dir / row0[4]["path"]).is_file() and (ctx.run_dir / row1[4]["path"]).is_file()
    assert t.get_column("n", convert_to="numpy").tolist() == [3, 1]


def test_dataframe():
    df = pd.DataFrame({"a": [1, 2], "b": ["x", None], "c": [np.nan, 1.5]})
    t = Table(dataframe=df)
    assert t.columns == ["a", "b", "c"]
    assert t.data[1][:2] == [2, None] and math.isnan(t.data[0][2])
    with pytest.raises(TypeError, match="dataframe"):
        Table(dataframe=[[1]])


def test_html_sources(ctx, tmp_path):
    page = tmp_path / "some.html"
    page.write_text("<h1>Hi</h1>")
    r1 = Html(open(page)).to_record(ctx)
    r2 = Html(str(page), inject=False).to_record(ctx)
    r3 = Html('<a href="https://mysite">Link</a>').to_record(ctx)
    assert r1["inject"] is True and r2["inject"] is False
    assert (ctx.run_dir / r1["path"]).read_text() == "<h1>Hi</h1>" and r1["path"].endswith(".html")
    assert (ctx.run_dir / r3["path"]).read_text() == '<a href="https://mysite">Link</a>'
    assert Html(io.BytesIO(b"<p>b</p>")).html == "<p>b</p>"
    with pytest.raises(TypeError, match="inject"):
        Html("<p>", inject="no")
    with pytest.raises(ValueError, match="not found"):
        Html("missing.html")
    with pytest.raises(TypeError, match="data"):
        Html(42)


def test_histogram():
    h = Histogram([1, 2, 2, 3, float("nan")], num_bins=2)
    assert h.to_record() == {"_type": "histogram", "bins": [1.0, 2.0, 3.0], "values": [1, 3]}
    counts, edges = np.histogram(np.arange(10), bins=5)
    assert Histogram(np_histogram=(counts, edges)).to_record()["values"] == [2] * 5
    assert len(Histogram(np.random.default_rng(0).random(1000)).bins) == 65
    with pytest.raises(ValueError, match="at most 512"):
        Histogram([1, 2], num_bins=513)
    with pytest.raises(ValueError, match="at most 512"):
        Histogram(np_histogram=(np.zeros(600), np.arange(601)))
    with pytest.raises(ValueError, match="len\\(bin_edges\\)"):
        Histogram(np_histogram=([1, 2], [0, 1]))
    with pytest.raises(ValueError, match="num_bins"):
        Histogram([1], num_bins=0)
