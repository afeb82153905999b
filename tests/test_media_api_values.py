"""wandb.Histogram and wandb.Html documented API."""
from __future__ import annotations

import io

import numpy as np
import pytest

from reportgen.media.base import MediaContext
from reportgen.media.histogram import Histogram
from reportgen.media.html import Html



def test_histogram_attributes_as_wandb():
    h = Histogram([1, 2, 2, 3], num_bins=2)
    assert h.histogram == [1, 3] and h.bins == [1.0, 2.0, 3.0]
    assert Histogram([1, 2, 3], None, 4).bins == pytest.approx([1.0, 1.5, 2.0, 2.5, 3.0])  # positional as wandb


def test_a_histogram_of_values_near_the_largest_double(recwarn):
    """Values spanning more than the largest double (-1.7e308 to 1.7e308): numpy's bins overflowed and
    Histogram() raised "Too many bins for data range" (with a raw RuntimeWarning) in the user's script.
    The 64 bins span the values, each counted once."""
    h = Histogram([1.7e308, -1.7e308, 0.0, 1e308, float("inf")])
    assert len(h.counts) == 64 and sum(h.counts) == 4 and h.counts[0] == 1 and h.counts[-1] == 1
    assert h.bins[0] == -1.7e308 and h.bins[-1] == 1.7e308 and all(np.isfinite(h.bins))
    assert all(a < b for a, b in zip(h.bins, h.bins[1:]))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_np_histogram_accepted_as_given(tmp_path):
    torch = pytest.importorskip("torch")  # real tensors (torch is in the framework tests' extra)
    counts, edges = np.histogram([0.5, 1.5, 1.7], bins=[0, 1, 2])
    h = Histogram(None, (counts, edges))  # second positional argument, as in wandb
    assert h.histogram == [1, 2] and h.bins == [0, 1, 2]
    dens = Histogram(np_histogram=np.histogram([0.1, 0.2, 0.9], bins=2, density=True))
    assert dens.histogram == pytest.approx(np.histogram([0.1, 0.2, 0.9], bins=2, density=True)[0].tolist())
    t = Histogram(np_histogram=(torch.tensor([2.0, 1.0]), torch.tensor([0.0, 0.5, 1.0])))
    assert t.histogram == [2, 1] and t.bins == [0.0, 0.5, 1.0]
    assert Histogram(np_histogram=([1, 2], [0, 1, 2])).to_record(MediaContext(tmp_path, "h", 0)) == \
        {"_type": "histogram", "bins": [0, 1, 2], "values": [1, 2]}
    with pytest.raises(ValueError, match="np_histogram: expected len"):
        Histogram(np_histogram=([1, 2], [0, 1]))


def test_html_data_is_not_path(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<b>file</b>")
    assert Html(str(page)).html == "<b>file</b>"
    assert Html(str(page), data_is_not_path=True).html == str(page)
    assert Html("report.html", data_is_not_path=True).html == "report.html"
    with pytest.raises(ValueError, match="data: HTML file not found"):
        Html("report.html")
    with pytest.raises(TypeError, match="data_is_not_path"):
        Html("<p>x</p>", data_is_not_path="yes")
    buf = io.StringIO("<i>again</i>")
    buf.read()
    assert Html(buf).html == "<i>again</i>"  # read from the start, as wandb seeks to 0


def test_video_fps_none_is_wandb_default():
    from reportgen.media.video import Video

    assert Video(np.zeros((2, 3, 8, 8), np.uint8), fps=None).fps == 4
