"""Media the builder cannot show is not published, and what can be shown around it still is: the
image cells of a table that cannot be shown, a small image that does not decode (its size in the
record), an image a report embeds, an image with one bad mask. Real run folders (the SDK, then a
file spoiled as a disk or another tool would), real builds, the pages checked in Chromium."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import reportgen
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

_RNG = np.random.default_rng(7)


def _pixels(n: int) -> np.ndarray:
    return (_RNG.random((n, n, 3)) * 255).astype(np.uint8)


def _build(runs: Path, site: Path) -> list[str]:
    return build(BuildConfig(runs=runs, out=site, quiet=True)).warnings


def _site_files(site: Path, run: str = "im") -> set[str]:
    """The media files the site publishes for ``run`` (data scripts aside), by run-folder name."""
    return {p.name for p in (site / "media" / run).rglob("*.*") if p.parent.name != "data"}


def _history(runs: Path, run: str = "im") -> dict:
    return json.loads((runs / run / "history.jsonl").read_text().splitlines()[0])


def _loaded_images(page, scope: str) -> list[list]:
    """Every displayed ``img`` under ``scope`` once loaded: ``[src, naturalWidth]`` (0: a broken image).
    (A hidden one, such as a background mask layer, is lazy: never loaded.)"""
    shown = (f"() => Array.from(document.querySelectorAll({scope!r} + ' img'))"
             ".filter(i => i.getClientRects().length > 0)")
    page.wait_for_function(f"{shown}.every(i => i.complete)", timeout=15_000)
    return page.evaluate(f"{shown}.map(i => [i.getAttribute('src'), i.naturalWidth])")


def _panel(page, key: str):
    panel = page.locator(".rgp-panel", has=page.locator(f".rgp-title:text-is('{key}')"))
    panel.scroll_into_view_if_needed()
    return panel


def test_image_cells_of_a_table_that_cannot_be_shown_are_not_published(tmp_path, site_browser):
    """An image placed in a table's cell was published even when the table then failed (here a cell
    nested 490 lists deep, after the image's row: the data script could not be written), linked from
    nowhere. A cell's files now go with its table; the same cell record in a table that is shown is
    published and loads."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"bad": reportgen.Table(columns=["img", "v"], data=[[reportgen.Image(_pixels(24)), 1]]),
             "good": reportgen.Table(columns=["img", "v"], data=[[reportgen.Image(_pixels(24)), 1]])}, step=0)
    run.finish()
    row = _history(runs)
    bad_file = runs / "im" / row["bad"]["path"]
    good = json.loads((runs / "im" / row["good"]["path"]).read_text())
    bad = json.loads(bad_file.read_text())
    own = Path(bad["data"][0][0]["path"]).name
    shared = Path(good["data"][0][0]["path"]).name
    bad["data"].append([good["data"][0][0], 2])  # a cell record the table "good" shows too
    deep = "[" * 490 + "]" * 490
    bad_file.write_text(json.dumps(bad)[:-2] + f", [null, {deep}]]}}")
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert any("bad (step 0): could not show table" in w for w in warnings), warnings  # (the premise)
    published = _site_files(site)
    assert own not in published and shared in published, published
    page = site_browser.open(site / "runs/im/index.html")
    assert _panel(page, "bad").locator(".rgp-missing").inner_text().startswith("could not show table")
    good_panel = _panel(page, "good")
    good_panel.locator("img").first.wait_for(timeout=15_000)
    shown = _loaded_images(page, ".rgp-panel")
    assert shown and all(w > 0 for _, w in shown), shown
    assert any(src.endswith(shared) for src, _ in shown), shown


def test_a_small_image_that_does_not_decode_is_not_published(tmp_path, site_browser):
    """An image of at most 320 px and 64 KB is published as it is, and with its width and height in
    the record the builder read nothing of it: a file that was no image, or a PNG cut short, went
    into the site (a broken-image icon on the page). Its header is read and its structure checked
    now: "could not show image", not published; a good small image beside it is shown."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({k: reportgen.Image(_pixels(40), caption=k) for k in ("notimage", "cut", "fine")}, step=0)
    run.finish()
    row = _history(runs)
    assert row["notimage"]["width"] == 40 and row["cut"]["height"] == 40  # the builder had no need to read them
    files = {k: runs / "im" / row[k]["path"] for k in ("notimage", "cut", "fine")}
    files["notimage"].write_bytes(b"not an image\n" * 50)
    files["cut"].write_bytes(files["cut"].read_bytes()[:1000])
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert _site_files(site) == {files["fine"].name}
    for key in ("notimage", "cut"):
        assert any(f"{key} (step 0): could not show image" in w for w in warnings), (key, warnings)
    page = site_browser.open(site / "runs/im/index.html")
    for key in ("notimage", "cut"):
        assert _panel(page, key).locator(".rgp-missing").inner_text().startswith("could not show image: ")
    _panel(page, "fine").locator("img").wait_for(timeout=15_000)
    shown = _loaded_images(page, ".rgp-panel")
    assert len(shown) == 1 and shown[0][1] == 40, shown


def test_a_report_embeds_an_image_only_as_the_run_page_would_show_it(tmp_path, site_browser):
    """A report's media directive copied the run's image file as it was: a small file that was no
    image was a broken image in the report, and a big one the run page could not show (its copy
    then deleted) a link to nothing. The directive now takes the run page's item of the image: the
    report says "could not show image", the file is not published, a good image still shows."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"small": reportgen.Image(_pixels(16)), "big": reportgen.Image(_pixels(400)),
             "fine": reportgen.Image(_pixels(16))}, step=0)
    run.finish()
    row = _history(runs)
    (runs / "im" / row["small"]["path"]).write_bytes(b"not an image\n" * 50)
    (runs / "im" / row["big"]["path"]).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300)
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text("# Images\n\n" + "".join(
        f'{{{{< media key="{k}" >}}}}\n\n' for k in ("small", "big", "fine")))
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert _site_files(site) == {Path(row["fine"]["path"]).name}
    for key in ("small", "big"):
        assert any(f"media: {key}: could not show image: " in w for w in warnings), (key, warnings)
    page = site_browser.open(site / "reports/r.html")
    missing = page.locator(".rg-media-item .rg-missing").all_inner_texts()
    assert len(missing) == 2 and all("could not show image: " in m for m in missing), missing
    shown = _loaded_images(page, ".rg-media-item")
    assert len(shown) == 1 and shown[0][1] == 16, shown


def test_a_mask_that_does_not_decode_is_left_out_and_the_image_shown(tmp_path, site_browser):
    """One mask file of an image that did not decode made the whole image "could not show". The
    image is shown now with its other masks and its boxes; the bad mask is left out and a warning
    names its key and its file."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    ids = np.zeros((40, 40), np.int64)
    ids[:20, :20] = 1
    box = {"position": {"minX": 0.1, "maxX": 0.6, "minY": 0.1, "maxY": 0.6}, "class_id": 1}
    run.log({"seg": reportgen.Image(_pixels(40), masks={
        "pred": {"mask_data": ids, "class_labels": {1: "thing"}},
        "other": {"mask_data": ids * 2, "class_labels": {2: "other"}}},
        boxes={"found": {"box_data": [box]}})}, step=0)
    run.finish()
    pred = _history(runs)["seg"]["masks"]["pred"]["path"]
    (runs / "im" / pred).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert [w for w in warnings if "seg (step 0)" in w] == [
        w for w in warnings if f"mask pred: file {pred} could not be shown" in w
        and "the image is shown without this mask" in w], warnings
    published = _site_files(site)
    assert not any(n.startswith("seg_0_pred") for n in published), published
    assert any(n.startswith("seg_0_other") and "_c2" in n for n in published), published
    page = site_browser.open(site / "runs/im/index.html")
    panel = _panel(page, "seg")
    panel.locator("img.rgp-picture").wait_for(timeout=15_000)
    assert panel.locator(".rgp-missing").count() == 0
    assert [t.strip() for t in panel.locator(".rgp-mask-toggle").all_inner_texts()] == ["other"]
    assert panel.locator(".rgp-box").count() == 1
    shown = _loaded_images(page, ".rgp-panel")
    assert len(shown) == 2 and all(w == 40 for _, w in shown), shown  # the image and the layer of "other"
