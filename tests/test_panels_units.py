"""Pure parts of the media panels: box geometry, mask classes, waveforms, histogram heatmaps,
record grouping, custom-chart presets."""
from __future__ import annotations

import math

import json

import numpy as np
import pytest

from reportgen.site.panels import compare_sets
from reportgen.site.panels.charts import custom_chart_spec, preset_file
from reportgen.site.panels.gather import gather_media
from reportgen.site.panels.histograms import bars_svg_data, heatmap_rows, rebin
from reportgen.site.panels.items import clean, item_name
from reportgen.site.panels.overlays import box_groups, box_to_pixels, class_color, mask_class_ids
from reportgen.site.panels.waveform import envelope


@pytest.mark.parametrize("box, expected", [
    ({"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.6}}, (20.0, 20.0, 60.0, 40.0)),
    ({"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.6}, "domain": "percentage"}, (20.0, 20.0, 60.0, 40.0)),
    ({"position": {"middle": [0.5, 0.5], "width": 0.2, "height": 0.4}}, (80.0, 30.0, 40.0, 40.0)),
    ({"position": {"minX": 2, "maxX": 20, "minY": 30, "maxY": 44}, "domain": "pixel"}, (2.0, 30.0, 18.0, 14.0)),
    ({"position": {"middle": [32, 24], "width": 20, "height": 10}, "domain": "pixel"}, (22.0, 19.0, 20.0, 10.0)),
    ({"middle": [32, 24], "width": 20, "height": 10, "domain": "pixel"}, (22.0, 19.0, 20.0, 10.0)),
    ({"position": {"minX": 0.4, "maxX": 0.1, "minY": 0.6, "maxY": 0.2}}, (20.0, 20.0, 60.0, 40.0)),  # swapped
])
def test_box_to_pixels_both_forms_and_domains(box, expected):
    assert box_to_pixels(box, 200, 100) == pytest.approx(expected)


@pytest.mark.parametrize("box", [{}, {"position": {"minX": 0}}, {"position": {"middle": [1], "width": 1, "height": 1}},
                                 {"position": {"minX": float("nan"), "maxX": 1, "minY": 0, "maxY": 1}},
                                 {"position": {"minX": "a", "maxX": 1, "minY": 0, "maxY": 1}}])
def test_box_to_pixels_rejects_unusable_positions(box):
    assert box_to_pixels(box, 10, 10) is None


def test_box_groups_labels_scores_and_defaults():
    boxes = {"pred": {"class_labels": {"1": "car"}, "box_data": [
        {"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1}, "class_id": 1, "scores": {"acc": 0.5, "bad": float("nan")}},
        {"position": {"minX": 0, "maxX": 1, "minY": 0, "maxY": 1}, "class_id": 7, "box_caption": "x"},
        {"position": {}}]}, "gt": {"box_data": []}}
    groups, keys, cut = box_groups(boxes, 10, 20)
    assert cut == []
    assert [g["name"] for g in groups] == ["gt", "pred"]
    pred = groups[1]["boxes"]
    assert len(pred) == 2
    assert pred[0]["label"] == "car" and pred[0]["scores"] == {"acc": 0.5} and pred[0]["r"] == [0, 0, 10, 20]
    assert pred[1]["label"] == "class_7" and pred[1]["caption"] == "x"
    assert keys == ["acc"]
    assert pred[0]["color"] == class_color(1) != class_color(2)


def test_mask_classes_skip_unlabeled_background():
    ids = np.array([[0, 1], [2, 2]])
    assert mask_class_ids(ids, {"1": "a"}) == [1, 2]
    assert mask_class_ids(ids, {"0": "bg"}) == [0, 1, 2]


def test_waveform_envelope():
    s = np.array([0.0, 1.0, -1.0, 0.5, -0.25, 0.0])
    lo, hi = envelope(s, 3)
    assert lo.tolist() == [0.0, -1.0, -0.25] and hi.tolist() == [1.0, 0.5, 0.0]
    lo, hi = envelope(np.array([0.3]), 4)  # fewer samples than columns: no crash, no empty slices
    assert hi.max() == pytest.approx(0.3)
    lo, hi = envelope(np.array([]), 5)
    assert lo.tolist() == [0.0] * 5


def test_rebin_conserves_counts():
    edges = np.array([0.0, 1.0, 2.0, 4.0])
    counts = np.array([2.0, 4.0, 6.0])
    grid = np.linspace(-1, 5, 13)
    out = rebin(edges, counts, grid)
    assert out.sum() == pytest.approx(12.0)
    assert out[grid[:-1] < 0].sum() == 0  # nothing outside the logged range
    assert out[(grid[:-1] >= 0) & (grid[:-1] < 1)].sum() == pytest.approx(2.0)


def test_heatmap_rows_common_grid_and_thinning():
    frames = [(s, {"bins": [s, s + 1, s + 2], "values": [1, 3]}) for s in range(10)]
    rows = heatmap_rows(frames, grid_bins=8, max_steps=4)
    steps = sorted({r["step"] for r in rows})
    assert steps[0] == 0 and steps[-1] == 9 and len(steps) == 4
    assert len(rows) == 4 * 8
    for s in steps:
        assert sum(r["count"] for r in rows if r["step"] == s) == pytest.approx(4.0)
    assert all(r["next"] > r["step"] for r in rows)
    assert heatmap_rows([(0, {"bins": [0, 1], "values": [1, 2]})]) == []  # malformed: skipped


def test_heatmap_rows_of_bins_spanning_the_float_range_are_finite():
    """Bin edges at ±1e308 (finite, so accepted): the grid's hi - lo overflowed to inf, every row's
    lo/hi became NaN (null in the page) and the heatmap drew nothing ("Infinite extent")."""
    frames = [(s, {"bins": [-1e308, 0.0, 1.0, 1e308], "values": [1, 2, 3]}) for s in range(3)]
    rows = heatmap_rows(frames, grid_bins=8)
    assert len(rows) == 3 * 8
    assert all(math.isfinite(r[k]) for r in rows for k in ("step", "next", "lo", "hi", "count"))
    assert rows[0]["lo"] == -1e308 and rows[7]["hi"] == 1e308
    for s in range(3):
        assert sum(r["count"] for r in rows if r["step"] == s) == pytest.approx(6.0)


def test_bars_svg_data():
    d = bars_svg_data({"bins": [0, 1, 2, 3], "values": [1, 4, 2]}, width=30, height=20)
    assert len(d["bars"]) == 3 and d["total"] == "7"
    tallest = max(d["bars"], key=lambda b: b["h"])
    assert tallest["x"] == 10 and tallest["h"] == 18
    assert bars_svg_data({"bins": [0, 1], "values": []}) is None


def test_gather_media_groups_keys_galleries_and_summary():
    img = {"_type": "image", "path": "a.png"}
    history = [{"_step": 0, "a": img, "loss": 1.0},
               {"_step": 5, "a": {"_type": "gallery", "items": [img, img], "count": 2}, "nested": {"b": img}},
               {"_step": 6, "a": {"_type": "audio", "path": "x.wav"}}]
    summary = {"a": img, "h": {"_type": "histogram", "bins": [0, 1], "values": [1]}, "z": {"_type": "tensor"}, "loss": 1}
    series = gather_media(history, summary)
    assert [s.key for s in series] == ["a", "nested/b", "h", "z"]
    a = series[0]
    assert a.kind == "mixed" and [f.step for f in a.frames] == [0, 5, 6] and len(a.frames[1].records) == 2
    assert series[2].kind == "sumhist" and series[2].summary and series[2].frames[0].step == "summary"
    assert series[3].kind == "tensor"


def test_clean_and_names_are_deterministic():
    assert clean({"a": [float("nan"), 1.0, float("inf")]}) == {"a": [None, 1.0, None]}
    assert item_name("a/b c", 3, 1) == item_name("a/b c", 3, 1) != item_name("a/b c", 3, 2)
    assert "/" not in item_name("a/b c", 3, 1)


def test_custom_chart_presets_override_the_snapshot(tmp_path):
    run = tmp_path / "run"
    (run / "media").mkdir(parents=True)
    snap = {"data": {"name": "table"}, "mark": "line", "title": "${string:title}", "encoding": {"x": {"field": "${field:x}"}}}
    (run / "media/t.json").write_text(json.dumps(snap))
    (run / "media/d.json").write_text(json.dumps({"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}))
    rec = {"_type": "custom_chart", "preset": "team/line", "spec": "media/t.json", "table": "media/d.json",
           "fields": {"x": "a"}, "string_fields": {"title": "T"}}

    def read(p):
        return json.loads((run / p).read_text())

    spec = custom_chart_spec(rec, read, None)
    assert spec["mark"] == "line" and spec["encoding"]["x"]["field"] == "a"
    assert [{k: r[k] for k in "ab"} for r in spec["data"]["values"]] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert spec["title"] == "T"
    presets = tmp_path / "presets"
    (presets / "team").mkdir(parents=True)
    (presets / "team/line.json").write_text(json.dumps({**snap, "mark": "point"}))
    assert preset_file(presets, "team/line") == presets / "team/line.json"
    assert preset_file(presets, "../etc/passwd") is None and preset_file(presets, "nope") is None
    assert custom_chart_spec(rec, read, presets)["mark"] == "point"
    (presets / "bar.json").write_text(json.dumps(snap))  # built-ins: DIR/<x>.json overrides reportgen/<x>
    assert preset_file(presets, "reportgen/bar") == presets / "bar.json"


def test_compare_sets_only_for_keys_in_several_runs():
    p = lambda key: {"key": key, "kind": "images", "compare": None}
    runs = [("r1", "one", [p("a"), p("b")]), ("r2", "two", [p("a")]), ("r3", "three", [{**p("x"), "kind": "unsupported"}])]
    sets = compare_sets(runs)
    assert len(sets) == 1
    (page, panels), = sets.items()
    assert [q["title"] for q in panels] == ["one", "two"] and [q["run"] for q in panels] == ["r1", "r2"]
    assert runs[0][2][0]["compare"] == page and runs[0][2][1]["compare"] is None


def test_waveform_of_wav_and_compressed_audio(tmp_path):
    import wave

    from reportgen.site.panels.waveform import read_audio, render_waveform

    t = np.arange(8000) / 8000
    x = np.sin(2 * np.pi * 300 * t) * np.linspace(1, 0, t.size) * 0.5
    with wave.open(str(tmp_path / "a.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.repeat((x * 32767).astype("<i2"), 2).tobytes())
    mono = read_audio(tmp_path / "a.wav")
    assert mono.shape == (8000,) and abs(mono.max() - 0.5) < 0.01
    render_waveform(tmp_path / "a.wav", tmp_path / "a.png")
    from PIL import Image
    with Image.open(tmp_path / "a.png") as im:
        alpha = np.asarray(im)[:, :, 3]
    cols = (alpha > 0).sum(axis=0)
    assert cols[:50].mean() > cols[-50:].mean()  # the decaying tone: tall on the left, flat on the right
    av = pytest.importorskip("av")
    with av.open(str(tmp_path / "a.mp3"), "w") as c:
        s = c.add_stream("libmp3lame", rate=8000)
        fr = av.AudioFrame.from_ndarray(x.astype(np.float32)[None, :], format="fltp", layout="mono")
        fr.sample_rate = 8000
        for p in [*s.encode(fr), *s.encode(None)]:
            c.mux(p)
    dec = read_audio(tmp_path / "a.mp3")
    assert dec.size >= 7000 and 0.3 < np.abs(dec).max() < 0.6
