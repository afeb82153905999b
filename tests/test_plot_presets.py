"""Custom charts: presets, lookup, rendering, the plot.* helpers; every spec is compiled
for real with vl_convert."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import vl_convert as vlc

from reportgen.media import plot
from reportgen.media.base import MediaContext
from reportgen.media.presets import (PresetError, builtin_names, canonical_name, find_preset, load_preset,
                                     placeholders, render_custom_chart)
from reportgen.media.table import Table
from reportgen.storage.jsonio import read_json

BUILTINS = ["reportgen/area-under-curve", "reportgen/bar", "reportgen/confusion_matrix", "reportgen/histogram", "reportgen/line",
            "reportgen/line_series", "reportgen/pr_curve", "reportgen/roc_curve", "reportgen/scatter"]


def xy_table():
    return Table(data=[[x, x * x, "even" if x % 2 == 0 else "odd"] for x in range(8)], columns=["x", "y", "parity"])


def charts():
    rng = np.random.default_rng(0)
    t = xy_table()
    y3 = rng.integers(0, 3, 40)
    p3 = rng.dirichlet([1, 1, 1], 40)
    return {
        "line": plot.line(t, "x", "y", title="Custom Y vs X Line Plot"),
        "line_stroke": plot.line(t, "x", "y", stroke="parity"),
        "scatter": plot.scatter(t, "x", "y"),
        "bar": plot.bar(t, "parity", "y", title="Custom Bar Chart"),
        "histogram": plot.histogram(t, "y", title=None),
        "line_series": plot.line_series([0, 1, 2], [[1, 2, 3], [3, 2, 1]], keys=["a", "b"], title="t", xname="epoch"),
        "pr_curve": plot.pr_curve(y3, p3, labels=["cat", "dog", "bird"]),
        "roc_curve": plot.roc_curve(y3, p3, classes_to_plot=[0, 2]),
        "confusion_matrix": plot.confusion_matrix(probs=p3, y_true=y3, class_names=["cat", "dog", "bird"]),
    }


def rendered(chart, tmp_path):
    rec = chart.to_record(MediaContext(tmp_path, "chart", 0))
    template = read_json(tmp_path / rec["spec"])
    table = read_json(tmp_path / rec["table"])
    return rec, template, render_custom_chart(template, table, rec["fields"], rec["string_fields"])


def test_builtins_ship_in_the_package():
    assert builtin_names() == BUILTINS
    for name in BUILTINS:
        _, template = load_preset(name)
        assert {"name": "table"} == template["data"]


@pytest.mark.parametrize("name", list(charts()))
def test_every_helper_compiles(name, tmp_path):
    rec, template, spec = rendered(charts()[name], tmp_path)
    assert rec["_type"] == "custom_chart" and rec["preset"].startswith("reportgen/")
    assert "${field:" in json.dumps(template)  # stored unresolved
    text = json.dumps(spec)
    assert "${" not in text and '"name": "table"' not in text
    svg = vlc.vegalite_to_svg(spec)
    assert svg.startswith("<svg") and ("<path" in svg or "<rect" in svg)


def test_render_inlines_rows_and_fills_placeholders(tmp_path):
    _, _, spec = rendered(charts()["line"], tmp_path)
    assert spec["title"] == "Custom Y vs X Line Plot"
    assert spec["encoding"]["x"] == {"field": "x", "type": "quantitative", "title": "x"}
    assert "color" not in spec["encoding"]  # optional stroke not given: channel dropped
    assert spec["data"]["values"][3] == {"x": 3, "y": 9, "parity": "odd", "__row": 3}
    _, _, spec = rendered(charts()["line_stroke"], tmp_path)
    assert spec["encoding"]["color"]["field"] == "parity"


def test_render_escapes_field_names_and_nulls_nonfinite():
    template = {"data": {"name": "table"}, "mark": "point", "title": "${string:title} of ${field:x}",
                "encoding": {"x": {"field": "${field:x}", "type": "quantitative"},
                             "y": {"field": "${field:y}", "type": "quantitative"}}}
    table = {"columns": ["a.b", "c[0]"], "data": [[1.0, float("nan")], [2.0, 3.0]]}
    spec = render_custom_chart(template, table, {"x": "a.b", "y": "c[0]"}, {"title": "T"})
    assert spec["encoding"]["x"]["field"] == "a\\.b" and spec["encoding"]["y"]["field"] == "c\\[0\\]"
    assert spec["title"] == "T of a.b"
    assert spec["data"]["values"][0]["c[0]"] is None
    vlc.vegalite_to_svg(spec)


def test_render_errors_list_what_exists():
    template = {"data": {"name": "table"}, "mark": "point", "encoding": {"x": {"field": "${field:x}"}}}
    table = {"columns": ["a", "b"], "data": []}
    with pytest.raises(PresetError, match=r"fields\['x'\]: 'zz' is not a column of the table; columns are \['a', 'b'\]"):
        render_custom_chart(template, table, {"x": "zz"})
    with pytest.raises(PresetError, match=r"needs a column for \['x'\]"):
        render_custom_chart(template, table, {})
    with pytest.raises(PresetError, match=r"\['q'\] are not fields.*its fields are \['x'\]"):
        render_custom_chart(template, table, {"x": "a", "q": "b"})


def test_names_and_aliases():
    assert canonical_name("wandb/line/v0") == "reportgen/line"
    assert canonical_name("wandb/pr_curve") == "reportgen/pr_curve"
    assert find_preset("wandb/bar/v0")[0] == "reportgen/bar"
    with pytest.raises(PresetError) as exc:
        find_preset("carey/new_chart")
    msg = str(exc.value)
    assert "unknown preset 'carey/new_chart'" in msg and "reportgen/line" in msg and "presets" in msg
    with pytest.raises(PresetError, match="not a valid preset name"):
        find_preset("../etc/passwd")


USER_PRESET = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
    "data": {"name": "table"}, "title": "${string:title}", "mark": "bar",
    "encoding": {"x": {"field": "${field:x}", "type": "ordinal"}, "y": {"field": "${field:value}", "type": "quantitative"}},
}


def test_user_presets_cwd_then_env(tmp_path, monkeypatch):
    cwd, env1, env2 = tmp_path / "proj", tmp_path / "env1", tmp_path / "env2"
    (cwd / "presets" / "carey").mkdir(parents=True)
    (env1 / "carey").mkdir(parents=True)
    (env2 / "team").mkdir(parents=True)
    (cwd / "presets" / "carey" / "new_chart.json").write_text(json.dumps({**USER_PRESET, "mark": "bar"}))
    (env1 / "carey" / "new_chart.json").write_text(json.dumps({**USER_PRESET, "mark": "line"}))
    (env2 / "team" / "chart.json").write_text(json.dumps({**USER_PRESET, "mark": "point"}))
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("REPORTGEN_PRESETS", f"{env1}:{env2}")
    table = Table(data=[[i, i * 2] for i in range(5)], columns=["step", "height"])
    chart = plot.plot_table(vega_spec_name="carey/new_chart", data_table=table, fields={"x": "step", "value": "height"})
    assert chart.template["mark"] == "bar" and chart.preset == "carey/new_chart"
    assert plot.plot_table("team/chart", table, {"x": "step", "value": "height"}).template["mark"] == "point"
    (cwd / "presets" / "carey" / "new_chart.json").unlink()
    assert plot.plot_table("carey/new_chart", table, {"x": "step", "value": "height"}).template["mark"] == "line"
    # the resolved template is stored: the build does not need the preset file
    rec = chart.to_record(MediaContext(tmp_path / "run", "custom", 0))
    spec = render_custom_chart(read_json(tmp_path / "run" / rec["spec"]), read_json(tmp_path / "run" / rec["table"]),
                               rec["fields"], rec["string_fields"])
    assert spec["mark"] == "bar" and spec["title"] == ""
    vlc.vegalite_to_svg(spec)
    with pytest.raises(PresetError, match="Available: .*team/chart.*reportgen/bar"):
        plot.plot_table("nobody/chart", table, {"x": "step"})
    with pytest.raises(PresetError, match=r"'nope' is not a column.*\['step', 'height'\]"):
        plot.plot_table("team/chart", table, {"x": "nope", "value": "height"})


def test_bad_user_preset(tmp_path, monkeypatch):
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "broken.json").write_text("{not json")
    (tmp_path / "presets" / "nodata.json").write_text(json.dumps({"mark": "bar"}))
    monkeypatch.chdir(tmp_path)
    t = xy_table()
    with pytest.raises(PresetError, match="not valid JSON"):
        plot.plot_table("broken", t, {})
    with pytest.raises(PresetError, match="data to be"):
        plot.plot_table("nodata", t, {})


def test_placeholders():
    _, template = load_preset("reportgen/line_series")
    assert placeholders(template) == (["step", "lineVal", "lineKey"], ["title", "xname"])


def test_pr_table_binary_known_values():
    chart = plot.pr_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]), interp_size=None)
    rows = chart.table.data
    assert [r[0] for r in rows] == ["1"] * 5
    assert np.allclose([r[1] for r in rows], [1.0, 1.0, 0.5, 0.5, 0.0])
    assert np.allclose([r[2] for r in rows], [0.5, 2 / 3, 0.5, 1.0, 1.0])


def test_roc_table_multiclass_one_vs_rest():
    y = np.array([0, 1, 2, 2])
    probs = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])
    chart = plot.roc_curve(y, probs, labels=["a", "b", "c"], classes_to_plot=["c"])
    rows = chart.table.data
    assert {r[0] for r in rows} == {"c"} and rows[0][1:] == [0.0, 0.0] and rows[-1][1:] == [1.0, 1.0]
    with pytest.raises(ValueError, match="not among the labels"):
        plot.roc_curve(y, probs, labels=["a", "b", "c"], classes_to_plot=["z"])
    with pytest.raises(ValueError, match="class indices 0..2"):
        plot.roc_curve(np.array([0, 5, 1, 1]), probs)
    with pytest.raises(ValueError, match="4 samples but y_probas has 2"):
        plot.roc_curve(y, probs[:2])


def test_curve_rows_capped():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 30_000)
    chart = plot.roc_curve(y, rng.random(30_000))
    assert len(chart.table.data) <= 10_000


def test_confusion_matrix_table():
    chart = plot.confusion_matrix(y_true=[2, 0, 2, 2, 0, 1], preds=[0, 0, 2, 2, 0, 2], class_names=["a", "b", "c"])
    counts = {(a, p): n for a, p, n in chart.table.data}
    assert counts[("a", "a")] == 2 and counts[("c", "c")] == 2 and counts[("b", "c")] == 1 and counts[("c", "a")] == 1
    assert len(chart.table.data) == 9
    # the wandb docs' positional call: confusion_matrix(predictions, ground_truth, class_names)
    probs = np.eye(3)[[0, 1, 2, 2]]
    chart = plot.confusion_matrix(probs, [0, 1, 2, 1], ["cat", "dog", "bird"])
    assert {(a, p): n for a, p, n in chart.table.data}[("dog", "bird")] == 1
    with pytest.raises(ValueError, match="exactly one of"):
        plot.confusion_matrix(y_true=[0])
    with pytest.raises(ValueError, match=r"preds: class ids must be in 0..1"):
        plot.confusion_matrix(y_true=[0, 1], preds=[0, 2], class_names=["a", "b"])


def test_helper_argument_errors():
    t = xy_table()
    with pytest.raises(TypeError, match="table: expected a reportgen.Table"):
        plot.line([[1, 2]], "x", "y")
    with pytest.raises(PresetError, match="'nope' is not a column"):
        plot.scatter(t, "x", "nope")
    with pytest.raises(TypeError, match="title"):
        plot.bar(t, "parity", "y", title=3)
    with pytest.raises(ValueError, match="series 1"):
        plot.line_series([1, 2], [[1, 2], [1]])
    with pytest.raises(ValueError, match="keys"):
        plot.line_series([1, 2], [[1, 2]], keys=["a", "b"])
    assert not math.isnan(plot.line_series([[1, 2], [5, 6, 7]], [[1, 2], [3, 4, 5]]).table.data[-1][0])
