"""matplotlib -> Vega-Lite (or SVG), plotly -> JSON, and to_media()."""
from __future__ import annotations

import json

import matplotlib
import pytest
import vl_convert as vlc

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from reportgen.media.base import Media, MediaContext  # noqa: E402
from reportgen.media.convert import to_media  # noqa: E402
from reportgen.media.figures import NotConvertible, figure_to_vegalite  # noqa: E402
from reportgen.media.histogram import Histogram  # noqa: E402
from reportgen.storage.jsonio import read_json  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_pyplot_module_becomes_vegalite(tmp_path):
    plt.plot([1, 2, 3, 4])
    plt.ylabel("some interesting numbers")
    rec = to_media(plt).to_record(MediaContext(tmp_path, "chart", 0))
    assert rec["_type"] == "vega_lite" and rec["source"] == "matplotlib"
    spec = read_json(tmp_path / rec["spec"])
    layer = spec["layer"][0]
    assert layer["mark"]["type"] == "line" and layer["encoding"]["y"]["title"] == "some interesting numbers"
    assert [(r["x"], r["y"]) for r in spec["data"]["values"]] == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert vlc.vegalite_to_svg(spec).startswith("<svg")


def test_lines_scatter_colours_scales_and_subplots():
    fig, (a, b) = plt.subplots(2)
    a.plot([1, 2], [3, 4], color="red", label="train")
    a.scatter([1, 2], [2, 3], color="#00ff00", label="points")
    a.set_title("left")
    a.legend()
    b.semilogy([1, 2, 3], [1, 10, 100])
    fig.suptitle("sup")
    spec = figure_to_vegalite(fig)
    first = spec["vconcat"][0]
    assert spec["title"] == "sup" and first["title"] == "left"
    color = first["layer"][0]["encoding"]["color"]["scale"]
    assert color == {"domain": ["train", "points"], "range": ["#ff0000", "#00ff00"]}
    assert [layer["mark"]["type"] for layer in first["layer"]] == ["line", "point"]
    assert spec["vconcat"][1]["layer"][0]["encoding"]["y"]["scale"]["type"] == "log"
    vlc.vegalite_to_svg(spec)


def test_unconvertible_figures_fall_back_to_svg(tmp_path):
    fig, ax = plt.subplots()
    ax.bar([1, 2], [3, 4])
    with pytest.raises(NotConvertible):
        figure_to_vegalite(fig)
    rec = to_media(fig).to_record(MediaContext(tmp_path, "bars", 0))
    assert rec["_type"] == "svg" and (tmp_path / rec["path"]).read_bytes().lstrip().startswith((b"<?xml", b"<svg"))
    fig2, ax2 = plt.subplots()
    ax2.imshow([[1, 2], [3, 4]])
    assert to_media(fig2).TYPE == "svg"
    # SVG output is deterministic (no date metadata)
    assert to_media(fig).svg == to_media(fig).svg


def test_axes_object_and_plotly(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    assert to_media(ax).TYPE == "vega_lite"
    go = pytest.importorskip("plotly.graph_objects")
    rec = to_media(go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))).to_record(MediaContext(tmp_path, "p", 0))
    data = json.loads((tmp_path / rec["path"]).read_text())
    assert rec["_type"] == "plotly" and data["data"][0]["x"] == [1, 2]


def test_to_media_passthrough_and_errors():
    h = Histogram([1, 2, 3])
    assert to_media(h) is h
    with pytest.raises(TypeError, match="cannot log a value of type builtins.object"):
        to_media(object())
    import json as json_module
    with pytest.raises(TypeError):
        to_media(json_module)
    assert isinstance(to_media(plt), Media)


def test_wandb_plotly_wrapper_is_exported(tmp_path):
    """wandb code writes wandb.Plotly(fig): `import reportgen as wandb` has it, logs the same record
    as the figure logged as it is, and a matplotlib figure given to it gets an error saying what to do."""
    import reportgen

    go = pytest.importorskip("plotly.graph_objects")
    rec = reportgen.Plotly(go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))).to_record(MediaContext(tmp_path, "p", 0))
    assert rec["_type"] == "plotly" and json.loads((tmp_path / rec["path"]).read_text())["data"][0]["y"] == [3, 4]
    fig, _ax = plt.subplots()
    with pytest.raises(TypeError, match=r"figure: expected a plotly figure, got Figure \(log a matplotlib figure as it is"):
        reportgen.Plotly(fig)
    plt.close(fig)
