"""Issue 12: logged media whose size is in the data may not make the run page large or slow.

Each test logs a hostile record next to a harmless one, builds the site and opens the run page
in Chromium: the page loads and shows both, within the limits the builder applies. Each failed
on the code before its fix."""
from __future__ import annotations

import json
from pathlib import Path

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig


def _run(tmp_path: Path, row: dict, summary: dict | None = None) -> tuple[Path, list[str]]:
    d = tmp_path / "runs" / "a"
    d.mkdir(parents=True, exist_ok=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0, **row}) + "\n")
    if summary is not None:
        (d / "summary.json").write_text(json.dumps({"loss": 1.0, **summary}))
    out = tmp_path / "site"
    return out, build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True)).warnings


def test_a_histogram_of_many_bins_draws_at_most_160_bars(tmp_path, site_browser):
    """A summary histogram's small bar chart had a bar per bin: 200,000 bins made a 14 MB run
    page that blocked the tab for 12 s (10^7 bins: 700 MB). Neighbouring bins are added up to at
    most 160 bars (one per pixel); the total and the range stay, a histogram of 10 bins keeps 10."""
    n = 200_000
    big = {"_type": "histogram", "bins": list(range(n + 1)), "values": [1] * (n - 1) + [500_000]}
    small = {"_type": "histogram", "bins": list(range(11)), "values": list(range(10))}
    out, warnings = _run(tmp_path, {"big": big, "small": small}, {"big": big, "small": small})
    assert warnings == []
    page = site_browser.open(out / "runs/a/index.html")
    bars = page.evaluate("""() => Array.from(document.querySelectorAll('.rg-run-head .rg-kv dt')).map(dt => [
        dt.textContent, dt.nextElementSibling.querySelectorAll('.rgp-bars rect').length])""")
    assert dict(bars)["big"] <= 160 and dict(bars)["small"] == 10, bars
    titles = page.evaluate("() => Array.from(document.querySelectorAll('.rgp-bars rect title')).map(t => t.textContent)")
    assert any(t.endswith(": 5.012e+05") for t in titles), titles[-3:]  # the spike is still the tallest bar


def _png(path: Path) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), "red").save(path, "PNG")


def test_captions_are_cut(tmp_path, site_browser):
    """Ten images captioned with 2 MB each made a 20 MB run page that blocked the tab for 11 s.
    A caption is cut at 1,000 characters with its length (a box's caption or class label at 256),
    on the run page and in reports; a short caption is shown whole."""
    _png(tmp_path / "runs/a/media/images/i.png")
    image = {"_type": "image", "path": "media/images/i.png", "format": "png", "width": 8, "height": 8}
    long_ = {**image, "caption": "c" * 2_000_000, "boxes": {"p": {"box_data": [
        {"position": {"minX": 0, "maxX": 4, "minY": 0, "maxY": 4, "domain": "pixel"}, "class_id": 1,
         "box_caption": "b" * 1_000_000}], "class_labels": {"1": "l" * 1_000_000}}}}
    (tmp_path / "runs/reports").mkdir(parents=True)
    (tmp_path / "runs/reports/r.md").write_text('# r\n\n{{< media key="g" run="a" >}}\n')
    out, warnings = _run(tmp_path, {"g": {"_type": "gallery", "items": [long_] * 10},
                                    "short": {**image, "caption": "a short one"}})
    assert warnings == []
    assert (out / "runs/a/index.html").stat().st_size < 1_000_000
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function("""() => { document.querySelectorAll('.rgp-panel').forEach(el => el.scrollIntoView());
                                      return document.querySelectorAll('.rgp-caption').length === 11; }""", timeout=8000)
    captions = page.evaluate("() => Array.from(document.querySelectorAll('.rgp-caption')).map(c => c.textContent)")
    assert sorted(set(captions)) == ["a short one", "c" * 1000 + "… (2,000,000 characters)"]
    report = (out / "reports/r.html").read_text()
    assert len(report) < 1_000_000 and "c" * 1000 + "… (2,000,000 characters)" in report


def test_an_image_draws_at_most_a_thousand_boxes(tmp_path, site_browser):
    """100,000 logged boxes on one image made a 10 MB run page that took 32 s to open. The first
    1,000 are drawn, with a warning naming the key; class labels are kept for at most 256 classes
    (those of the drawn boxes first)."""
    _png(tmp_path / "runs/a/media/images/i.png")
    boxes = [{"position": {"minX": i % 6, "maxX": i % 6 + 2, "minY": 0, "maxY": 4, "domain": "pixel"},
              "class_id": i % 5} for i in range(100_000)]
    labels = {str(i): f"class {i}" for i in range(100_000)}
    image = {"_type": "image", "path": "media/images/i.png", "format": "png", "width": 8, "height": 8,
             "boxes": {"pred": {"box_data": boxes, "class_labels": labels}}}
    out, warnings = _run(tmp_path, {"img": image})
    assert warnings == ["run a: media img (step 0): image: only the first 1,000 of 100,000 boxes are drawn"]
    assert (out / "runs/a/index.html").stat().st_size < 1_000_000
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function("""() => { document.querySelectorAll('.rgp-panel').forEach(el => el.scrollIntoView());
                                      return document.querySelectorAll('.rgp-panel img').length > 0; }""", timeout=8000)
    page.wait_for_function("() => true", timeout=3000)
    assert page.locator(".rgp-boxes .rgp-box").count() == 1000


def test_a_box_at_huge_coordinates_is_drawn_over_the_image(tmp_path, site_browser):
    """A box logged at ±1e308 (finite, so accepted) overflowed to ±inf once scaled to pixels; the
    page got null coordinates and Chromium logged "<rect> attribute x: Expected length, "null"".
    Now a box reaches at most an image's size beyond each side, and is drawn covering the image."""
    _png(tmp_path / "runs/a/media/images/i.png")
    boxes = [{"position": {"minX": -1e308, "maxX": 1e308, "minY": -1e308, "maxY": 0.5}, "class_id": 1},
             {"position": {"middle": [0.5, 0.5], "width": 1e308, "height": 1e308}, "class_id": 2}]
    image = {"_type": "image", "path": "media/images/i.png", "format": "png", "width": 8, "height": 8,
             "boxes": {"pred": {"box_data": boxes, "class_labels": {"1": "a", "2": "b"}}}}
    out, _ = _run(tmp_path, {"img": image})
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function("""() => { document.querySelectorAll('.rgp-panel').forEach(el => el.scrollIntoView());
                                      return document.querySelectorAll('.rgp-boxes .rgp-box').length === 2; }""", timeout=8000)
    rects = page.eval_on_selector_all(".rgp-boxes rect", "els => els.map(e => ['x','y','width','height'].map(a => Number(e.getAttribute(a))))")
    assert rects == [[-8, -8, 24, 12], [-8, -8, 24, 24]]
