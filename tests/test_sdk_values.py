"""Value normalisation and media dispatch in log() and the summary, against real run folders."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import reportgen
from reportgen.media.base import Media
from reportgen.media.histogram import Histogram
from reportgen.sdk.values import tensor_stats
from reportgen.storage.jsonio import read_json
from reportgen.storage.reader import read_run
from fake_tensor import FakeTensor


class Blob(Media):
    """A tiny real Media type: writes its bytes under media/blobs/."""

    TYPE = "blob"
    MAX_PER_STEP = 4
    WARN_PER_STEP = 2

    def __init__(self, data: bytes):
        self.data = data

    def to_record(self, ctx):
        return {"_type": self.TYPE, "path": ctx.write_bytes("blobs", "bin", self.data)}


@pytest.fixture
def run(tmp_path):
    r = reportgen.init(project="p", id="vals", dir=tmp_path)
    yield r
    r.finish()


def rows(run):
    run.finish()
    return read_run(run.folder).history


def test_scalars_and_nonfinite_round_trip(run):
    run.log({"f": 1.5, "i": 3, "b": True, "s": "text", "n": None, "nan": float("nan"),
             "inf": float("inf"), "ninf": -math.inf, "np32": np.float32(0.25), "npi": np.int64(7),
             "npb": np.bool_(False), "nps": np.str_("hi")})
    (row,) = rows(run)
    assert row["f"] == 1.5 and row["i"] == 3 and row["b"] is True and row["s"] == "text" and row["n"] is None
    assert math.isnan(row["nan"]) and row["inf"] == math.inf and row["ninf"] == -math.inf
    assert row["np32"] == 0.25 and type(row["npi"]) is int and row["npb"] is False and row["nps"] == "hi"
    text = (run.folder / "history.jsonl").read_text()
    assert "NaN" in text and "-Infinity" in text and "null" not in text.replace('"n": null', "").replace('"n":null', "")


def test_nested_dicts_lists_and_arrays(run):
    run.log({"train": {"loss": 0.5, "deep": {"x": float("nan")}}, "lst": [1, 2.5, 3],
             "zero_d": np.array(4.0), "one": np.array([2.0]), "arr": np.arange(100.0),
             "tensor": FakeTensor(np.ones((3, 3))), "t0": FakeTensor(np.array(1.5)), "empty": np.array([])})
    (row,) = rows(run)
    assert row["train"]["loss"] == 0.5 and math.isnan(row["train"]["deep"]["x"])
    assert row["lst"] == [1, 2.5, 3]
    assert row["zero_d"] == 4.0 and row["one"] == 2.0 and row["t0"] == 1.5
    # as wandb: more than 32 values make a histogram of 32 bins, at most 32 a (nested) list
    assert row["arr"]["_type"] == "histogram" and sum(row["arr"]["values"]) == 100
    assert len(row["arr"]["bins"]) == len(row["arr"]["values"]) + 1 == 33
    assert row["tensor"] == [[1.0] * 3] * 3
    assert row["empty"] == []


def test_arrays_become_lists_up_to_32_values_then_histograms_as_in_wandb(run):
    run.log({"a32": np.arange(32), "a33": np.arange(33.0), "names": np.array(["x", "y"]),
             "t": FakeTensor(np.arange(6.0).reshape(2, 3)), "nan": np.array([1.0, float("nan")])})
    (row,) = rows(run)
    assert row["a32"] == list(range(32)) and row["t"] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert row["a33"]["_type"] == "histogram" and len(row["a33"]["values"]) == 32 and sum(row["a33"]["values"]) == 33
    assert row["names"] == ["x", "y"] and row["nan"][0] == 1.0 and math.isnan(row["nan"][1])


def test_media_and_gallery_records(run):
    run.log({"one": Blob(b"a"), "many": [Blob(b"a"), Blob(b"b")], "mixed": [1, Blob(b"c")],
             "hist": Histogram([1, 2, 3], num_bins=3)})
    (row,) = rows(run)
    assert row["one"]["_type"] == "blob" and (run.folder / row["one"]["path"]).read_bytes() == b"a"
    assert row["one"]["path"].startswith("media/blobs/one_0_")
    gal = row["many"]
    assert gal["_type"] == "gallery" and gal["count"] == 2
    assert [(run.folder / it["path"]).read_bytes() for it in gal["items"]] == [b"a", b"b"]
    assert "many_0_0_" in gal["items"][0]["path"] and "many_0_1_" in gal["items"][1]["path"]
    assert row["mixed"][0] == 1 and row["mixed"][1]["_type"] == "blob"
    assert row["hist"]["_type"] == "histogram" and row["hist"]["values"] == [1, 1, 1]
    assert row["hist"]["bins"] == pytest.approx([1.0, 5 / 3, 7 / 3, 3.0])


def test_gallery_limits(run):
    with pytest.warns(UserWarning, match="'g'.*3 Blob"):
        run.log({"g": [Blob(b"1"), Blob(b"2"), Blob(b"3")]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.log({"g": [Blob(b"1"), Blob(b"2"), Blob(b"3")]})  # warned once per key only
    with pytest.raises(ValueError, match="'g'.*at most 4"):
        run.log({"g": [Blob(b"x")] * 5, "other": 1})
    run.log({"after": 1})
    hist = rows(run)
    assert [r["_step"] for r in hist] == [0, 1, 2]
    assert "other" not in hist[1] and hist[2]["after"] == 1


def test_unsupported_value_warns_and_keeps_the_row(run):
    with pytest.warns(UserWarning, match=r"key 'bad'.*object"):
        run.log({"ok": 1, "bad": object(), "ok2": 2})
    (row,) = rows(run)
    assert row["ok"] == 1 and row["ok2"] == 2 and "bad" not in row


def test_lone_surrogates_in_summary_and_config_warn_naming_the_key(tmp_path):
    """log() warned of lone surrogates (a file name from os.listdir) and stored U+FFFD; run.summary and
    run.config stored U+FFFD in their files without a word (and kept the bad text in memory)."""
    with pytest.warns(UserWarning, match=r"config key 'c\\udc80': the key is not valid Unicode .* under the key 'c\ufffd'"):
        run = reportgen.init(project="p", id="u", dir=tmp_path, config={"c\udc80": "x"},
                             settings={"console": "off", "x_disable_stats": True, "x_disable_meta": True})
    cases = [
        (lambda: run.summary.__setitem__("k\ud800", "v\udfff"), r"summary key 'k\\ud800': the key and its text are"),
        (lambda: run.summary.update({"u": ["a\udfff"]}), r"summary key 'u': its text is"),
        (lambda: run.config.update({"z": {"n": "q\ud800"}}), r"config key 'z': its text is"),
        (lambda: run.config.__setitem__("w\udcff", 1), r"config key 'w\\udcff': the key is"),
    ]
    for change, message in cases:
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            change()
        assert [str(w.message) for w in got if "Unicode" in str(w.message)] and len(got) == 1, [str(w.message) for w in got]
        assert __import__("re").match(message, str(got[0].message)), str(got[0].message)
    assert dict(run.summary) == {"k\ufffd": "v\ufffd", "u": ["a\ufffd"]}
    run.finish()
    rec = read_run(run.folder)
    assert rec.config == {"c\ufffd": "x", "z": {"n": "q\ufffd"}, "w\ufffd": 1}
    assert {k: rec.summary[k] for k in ("k\ufffd", "u")} == {"k\ufffd": "v\ufffd", "u": ["a\ufffd"]}


def test_a_generator_in_the_config_warns_and_is_not_stored(tmp_path):
    """A generator (a map, a zip...) was stored as its repr ("<generator object <genexpr> at 0x7f...>")
    without a word; wandb's config refuses it (not JSON serializable). It is left out with a warning
    naming the key, as log() does."""
    with pytest.warns(UserWarning, match=r"config key 'g': values of type generator cannot be stored"):
        run = reportgen.init(project="p", id="g", dir=tmp_path, config={"g": (i for i in range(3)), "lr": 0.1},
                             settings={"console": "off", "x_disable_stats": True, "x_disable_meta": True})
    with pytest.warns(UserWarning, match=r"config key 'm': values of type map cannot be stored"):
        run.config.update({"m": map(str, [1]), "n": 2})
    with pytest.warns(UserWarning, match=r"config key 'z': values of type zip cannot be stored"):
        run.config.z = zip([1], [2])
    run.finish()
    assert read_run(run.folder).config == {"lr": 0.1, "n": 2}


def test_failing_to_record_warns_not_crashes(run):
    class Broken(Media):
        TYPE = "broken"

        def to_record(self, ctx):
            raise OSError("disk on fire")

    with pytest.warns(UserWarning, match="'b'.*disk on fire"):
        run.log({"a": 1, "b": Broken()})
    assert rows(run)[0]["a"] == 1


def test_hook_objects_give_their_record(run):
    class Hooked:
        def _reportgen_record(self, ctx):
            return {"_type": "blob", "path": ctx.write_bytes("blobs", "bin", b"hooked")}

    class HookedMedia:
        def _reportgen_record(self, ctx):
            return Blob(b"via media")

    class BadHook:
        def _reportgen_record(self, ctx):
            return 42

    with pytest.warns(UserWarning, match="'bad'.*BadHook"):
        run.log({"h": Hooked(), "m": HookedMedia(), "bad": BadHook(), "x": 1})
    (row,) = rows(run)
    assert (run.folder / row["h"]["path"]).read_bytes() == b"hooked"
    assert (run.folder / row["m"]["path"]).read_bytes() == b"via media"
    assert row["x"] == 1 and "bad" not in row


def test_mixed_types_under_one_key_are_stored_faithfully(run):
    for v in (1, "one", True, None, [1, 2], Histogram([1, 2])):
        run.log({"k": v})
    values = [r["k"] for r in rows(run)]
    assert values[:5] == [1, "one", True, None, [1, 2]] and values[5]["_type"] == "histogram"
    assert type(values[0]) is int and type(values[2]) is bool


def test_summary_tensor_histogram_and_media(run):
    arr = np.arange(1000, dtype=np.float32).reshape(10, 100)
    run.summary["t"] = arr
    run.summary.update({"h": Histogram(np_histogram=np.histogram([1, 2, 3], bins=3)), "torch": FakeTensor([1.0, 3.0]),
                        "scalar": np.float64(2.5), "blob": Blob(b"s")})
    data = read_json(run.folder / "summary.json")  # persisted at once, before finish
    t = data["t"]
    assert t["_type"] == "tensor" and t["shape"] == [10, 100] and t["dtype"] == "float32"
    assert np.array_equal(np.load(run.folder / t["path"]), arr)
    assert t["path"].startswith("media/tensors/t_summary_")
    assert t["min"] == 0 and t["max"] == 999 and t["p50"] == pytest.approx(499.5)
    assert data["h"]["_type"] == "histogram" and data["h"]["values"] == [1, 1, 1]
    assert data["torch"]["_type"] == "tensor" and data["torch"]["mean"] == 2.0
    assert data["scalar"] == 2.5 and data["blob"]["_type"] == "blob"


def test_tensor_stats_pure():
    s = tensor_stats(np.array([[1.0, 2.0], [3.0, np.nan]]))
    assert s["shape"] == [2, 2] and s["min"] == 1 and s["max"] == 3 and s["mean"] == 2
    assert s["var"] == pytest.approx(2 / 3) and s["std"] == pytest.approx((2 / 3) ** 0.5)
    assert s["p5"] == pytest.approx(1.1) and s["p95"] == pytest.approx(2.9)
    empty = tensor_stats(np.array([np.nan, np.nan]))
    assert math.isnan(empty["mean"])


class BF16Tensor(FakeTensor):
    """A tensor whose dtype numpy lacks (torch.bfloat16): .numpy() raises, .float() works."""

    def numpy(self):
        raise TypeError("Got unsupported ScalarType BFloat16")

    def float(self):
        return FakeTensor(self.arr.astype(np.float32))


def test_tensors_without_numpy_dtype_are_converted(run):
    run.log({"bf": BF16Tensor(np.arange(40.0))})
    run.summary["bf"] = BF16Tensor(np.arange(4.0))
    assert rows(run)[0]["bf"]["_type"] == "histogram"
    assert read_json(run.folder / "summary.json")["bf"]["_type"] == "tensor"


def test_summary_unsupported_value_raises_naming_the_key(run):
    with pytest.raises(TypeError, match="summary key 'bad'.*object"):
        run.summary["bad"] = object()
    assert "bad" not in run.summary
