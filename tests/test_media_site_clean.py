"""What the site says of media it cannot show, and what it publishes of it: pages name a file by its
path in the run folder (never the builder's absolute path), values nested past the readers' depth
limit are refused by name, a report's audio and video are the run page's items, a report image
refused says why, and every media file of the site is linked from some page or data file. Real run
folders (the SDK, then files spoiled as a disk or another tool would), real builds, Chromium."""
from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

import reportgen
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.panels.items import ItemMaker
from reportgen.site.panels.sitefiles import RunFiles
from reportgen.storage.jsonio import ENCODE_DEPTH, TooDeep, dumps
from reportgen.storage.safety import MAX_DEPTH
from test_media_not_shown import _build, _history, _loaded_images, _panel, _pixels


def _site_text(site: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in site.rglob("*") if p.suffix in (".html", ".js"))


def test_pages_name_files_by_their_path_in_the_run_folder(tmp_path, site_browser):
    """Pillow's error names the file it could not read by the builder's absolute path
    (``<_io.BufferedReader name='/home/.../runs/im/media/images/x.png'>``), and a file over 64 MiB
    (open_regular's FileTooBig) by its real path: that text went into the warnings, the run page's
    "could not show image: ..." and the report's problems. They say why in words now, and name a file
    by its path in the run folder."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"big": reportgen.Image(_pixels(400)), "small": reportgen.Image(_pixels(16)),
             "tab": reportgen.Table(columns=["a"], data=[[1]])}, step=0)
    run.finish()
    row = _history(runs)
    (runs / "im" / row["big"]["path"]).write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 300)
    (runs / "im" / row["small"]["path"]).write_bytes(b"not an image\n" * 50)
    with open(runs / "im" / row["tab"]["path"], "r+b") as fh:  # a sparse 8 GiB table (a few KB in a zip)
        fh.truncate(8 << 30)
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('{{< media key="big" >}}\n\n{{< media key="small" >}}\n')
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert not [w for w in warnings if str(tmp_path) in w], warnings
    assert str(tmp_path) not in _site_text(site)
    for key in ("big", "small"):
        assert f"run im: media {key} (step 0): could not show image: UnidentifiedImageError: not an image " \
               "Pillow can read (cannot identify image file)" in warnings, warnings
    assert f"run im: media tab (step 0): could not show table: FileTooBig: {row['tab']['path']}: larger than " \
           "64 MiB; not read" in warnings, warnings
    page = site_browser.open(site / "runs/im/index.html")
    assert _panel(page, "big").locator(".rgp-missing").inner_text() == \
        "could not show image: not an image Pillow can read (cannot identify image file)"
    page = site_browser.open(site / "reports/r.html")
    assert [t.lstrip("⚠ ") for t in page.locator(".rg-media-item .rg-missing").all_inner_texts()] == [
        "big: could not show image: not an image Pillow can read (cannot identify image file) (run im)",
        "small: could not show image: not an image Pillow can read (cannot identify image file) (run im)"]


def _deep(n: int) -> str:
    return "[" * n + "]" * n


def test_values_nested_past_the_depth_limit_are_refused_by_name(tmp_path, site_browser):
    """A table cell nested 490 lists deep made the table fail with RecursionError (jsonio's NaN check
    recursed), on the run page and wherever else the table was written. A table file nested deeper
    than MAX_DEPTH is refused as the history reader refuses such a line: the warning names the key,
    the file and the limit, on the run page and in a report; nothing says RecursionError."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"deep": reportgen.Table(columns=["v"], data=[[1]]),
             "fine": reportgen.Table(columns=["v"], data=[[json.loads(_deep(MAX_DEPTH - 3))]])}, step=0)
    run.finish()
    file = runs / "im" / _history(runs)["deep"]["path"]
    file.write_text(json.dumps(json.loads(file.read_text()))[:-2] + f", [{_deep(490)}]]}}")
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('{{< media key="deep" >}}\n')
    site = tmp_path / "site"
    warnings = _build(runs, site)
    rel = _history(runs)["deep"]["path"]
    assert f"run im: media deep (step 0): could not show table: TooDeep: {rel}: nested deeper than " \
           f"{MAX_DEPTH} levels; not read" in warnings, warnings
    assert f"report r.md: line 1: media: deep: table file is unreadable (TooDeep: {rel}: nested deeper " \
           f"than {MAX_DEPTH} levels; not read)" in warnings, warnings
    assert not any("Recursion" in w or "fine" in w for w in warnings), warnings
    page = site_browser.open(site / "runs/im/index.html")
    assert _panel(page, "deep").locator(".rgp-missing").inner_text() == \
        f"could not show table: {rel}: nested deeper than {MAX_DEPTH} levels; not read"
    _panel(page, "fine").locator("table").wait_for(timeout=15_000)


def test_a_record_nested_past_the_limit_is_refused_not_a_recursion_error(tmp_path):
    """ItemMaker keyed every record by json.dumps, outside its catch: a record nested past Python's
    recursion limit raised RecursionError out of make() (the whole table it was a cell of failed, or
    the build). It is a missing item with a warning naming where and the limit; and the data-script
    encoder's NaN check (jsonio.dumps) no longer recurses: past its depth it refuses with TooDeep."""
    (tmp_path / "run").mkdir()
    maker = ItemMaker(RunFiles(tmp_path / "site", tmp_path / "run", "run"))
    deep: list = []
    for _ in range(2000):  # (past the recursion limit: json.loads itself could not read it)
        deep = [deep]
    item = maker.make({"_type": "image", "path": "a.png", "caption": deep}, "k (step 0)", "k")
    assert item == {"t": "missing", "type": "image",
                    "msg": f"a image record nested deeper than {MAX_DEPTH} levels; not shown"}
    assert maker.files.warnings == [f"k (step 0): a image record nested deeper than {MAX_DEPTH} levels; not shown"]
    # the encoder's NaN check no longer recurses: a NaN 250 lists deep is encoded, and deeper than the
    # encoder takes (490) is TooDeep, a ValueError, never a RecursionError
    nan_deep = "[" * 250 + "NaN" + "]" * 250
    assert dumps(json.loads(nan_deep)) == nan_deep.encode()
    with pytest.raises(TooDeep, match=f"nested deeper than {ENCODE_DEPTH} levels"):
        dumps(json.loads(_deep(490)))


def _wav(path: Path, n: int = 800) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.zeros(n, "<i2").tobytes())


def test_a_report_shows_audio_and_video_as_the_run_page_would(tmp_path, site_browser):
    """A report's media directive copied a run's audio or video file as it was: a .wav that was no
    WAV, which the run page does not show ("could not show audio"), was linked from the report. Audio
    and video now go through the run page's item, as images do: the report says why, publishes
    nothing of it, and shows a good one."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({k: reportgen.Audio(np.zeros(800, np.float32), sample_rate=8000) for k in ("bad", "good")}, step=0)
    run.log({"vid": reportgen.Video(np.zeros((2, 3, 16, 16), np.uint8), fps=2, format="gif")}, step=1)
    run.finish()
    bad = runs / "im" / _history(runs)["bad"]["path"]
    bad.write_bytes(b"not a wav\n" * 20)
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text("".join(f'{{{{< media key="{k}" >}}}}\n\n' for k in ("bad", "good", "vid")))
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert "report r.md: line 1: media: bad: could not show audio: file does not start with RIFF id (run im)" \
        in warnings, warnings
    html = (site / "reports/r.html").read_text()
    assert bad.name not in html and not list(site.rglob(bad.name))
    page = site_browser.open(site / "reports/r.html")
    assert [t.lstrip("⚠ ") for t in page.locator(".rg-media-item .rg-missing").all_inner_texts()] == [
        "bad: could not show audio: file does not start with RIFF id (run im)"]
    assert page.locator(".rg-media-item audio").count() == 1
    shown = _loaded_images(page, ".rg-media-item")  # the video, a GIF
    assert len(shown) == 1 and shown[0][1] == 16, shown


def test_a_refused_report_image_says_why(tmp_path):
    """A report image the site does not publish (an .html file, an SVG that is not well-formed) was
    dropped with "(no such file next to the report)", which it was. The warning says why now."""
    runs = tmp_path / "runs"
    reportgen.init(dir=runs, id="im", name="im", project="p").finish()
    (runs / "reports").mkdir()
    (runs / "reports/page.html").write_text("<script>alert(1)</script>")
    (runs / "reports/bad.svg").write_text("<svg><g></svg>")
    (runs / "reports/r.md").write_text("![a](page.html)\n\n![b](bad.svg)\n\n![c](gone.png)\n")
    warnings = [w for w in _build(runs, tmp_path / "site") if w.startswith("report r.md")]
    assert len(warnings) == 1, warnings
    assert "image 'page.html' (page.html: .html files are not published (they could run script with the " \
           "site's origin))" in warnings[0]
    assert "image 'bad.svg' (not a well-formed SVG file (" in warnings[0] and "; not published)" in warnings[0]
    assert "image 'gone.png' (no such file next to the report)" in warnings[0]
    assert str(tmp_path) not in warnings[0]


@pytest.mark.filterwarnings("ignore:.*Image objects in one step")
def test_every_media_file_of_the_site_is_linked(tmp_path, site_browser):
    """A report's image made the run page's thumbnail of it, and its audio (now the run page's item)
    the waveform; when the run page did not show that file (past its 100 files a step), the thumbnail
    was published linked from nothing. Every file under media/ is named by some page or data script."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    flat = np.full((330, 330, 3), 90, np.uint8)
    run.log({"many": [reportgen.Image(flat + i) for i in range(100)],
             "sounds": [reportgen.Audio(np.full(400, i / 200, np.float32), sample_rate=8000) for i in range(100)]},
            step=0)
    run.finish()
    history = runs / "im/history.jsonl"
    row = _history(runs)
    for key in ("many", "sounds"):  # a 101st file at the step (the SDK takes 100 Audio a step)
        last = dict(row[key]["items"][-1])
        src = runs / "im" / last["path"]
        last["path"] = str(Path(last["path"]).with_name("extra" + src.suffix))
        src.with_name("extra" + src.suffix).write_bytes(src.read_bytes())
        row[key]["items"].append(last)
    history.write_text(json.dumps(row) + "\n")
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('{{< media key="many" >}}\n\n{{< media key="sounds" >}}\n')
    site = tmp_path / "site"
    _build(runs, site)
    text = _site_text(site)
    files = [p.relative_to(site).as_posix() for p in (site / "media").rglob("*") if p.is_file()]
    assert len(files) > 300  # (the images, their thumbnails, the audio, its waveforms, the data)
    assert [f for f in files if f not in text] == []
    page = site_browser.open(site / "reports/r.html")
    assert page.locator(".rg-media-item img").count() == 101


def _site_media(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in (site / "media").rglob("*") if p.is_file()}


def test_media_a_rebuild_no_longer_shows_are_removed(tmp_path, site_browser):
    """A run's media file that a rebuild no longer showed stayed in the site for ever, linked from
    nothing: the builder deleted a run's files only when the run was gone. Now an incremental rebuild
    (and a full one into the same folder) deletes every file under media/<run>/ that an earlier build
    wrote and no page links now: records a rewritten history no longer holds (an image, its thumbnail,
    an audio file and its waveform), every file of a run that logs no media now. A file a report links
    (a table's whole file) stays, and so does a file the builder did not write."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    for step in range(3):
        run.log({"pics": reportgen.Image(_pixels(400)), "loss": 1.0 / (step + 1)}, step=step)
    run.log({"sound": reportgen.Audio(np.zeros(800, np.float32), sample_rate=8000),
             "tab": reportgen.Table(columns=["text"], data=[["x" * 3000]])}, step=3)
    run.finish()
    other = reportgen.init(dir=runs, id="other", name="other", project="p")
    other.log({"pic": reportgen.Image(_pixels(40)), "loss": 1.0}, step=0)
    other.finish()
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('{{< media key="tab" run="im" >}}\n')
    site = tmp_path / "site"
    cut = "run im: media tab (step 3): table: 1 cell(s) longer than 1,000 characters are cut on the page"
    assert [w for w in _build(runs, site) if not w.startswith(cut)] == []
    first = _site_media(site)
    (site / "media/im/mine.txt").write_text("the user's own file")
    lines = (runs / "im/history.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    table = next(r["tab"]["path"] for r in rows if "tab" in r)
    # the run resumed from step 0 and logged again: steps 1 and 2 (their images) and the audio are gone
    last = next(json.dumps({k: v for k, v in r.items() if k != "sound"}) for r in rows if "tab" in r)
    (runs / "im/history.jsonl").write_text(f"{lines[0]}\n{last}\n")
    summary = json.loads((runs / "im/summary.json").read_text())
    (runs / "im/summary.json").write_text(json.dumps({k: v for k, v in summary.items() if k != "sound"}))
    (runs / "other/history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0}) + "\n")
    (runs / "other/summary.json").write_text(json.dumps({"loss": 1.0}))
    assert [w for w in _build(runs, site) if not w.startswith(cut)] == []
    now = _site_media(site)
    gone = {f for f in first - now if f.startswith("media/im/")}  # 2 images, their thumbnails, the audio, its waveform
    assert {Path(f).parent.name for f in gone} == {"images", "audio"} and len(gone) == 6, sorted(gone)
    assert [f for f in first if f.startswith("media/other/")] and not [f for f in now if f.startswith("media/other/")]
    assert "media/im/mine.txt" in now and any(f.endswith(Path(table).name) for f in now), sorted(now)
    text = _site_text(site)
    assert [f for f in now if f not in text and f != "media/im/mine.txt"] == []
    page = site_browser.open(site / "reports/r.html")
    full = page.locator(".rg-media-item a[href$='.json']")
    assert full.count() == 1 and (site / "reports" / full.get_attribute("href")).resolve().is_file()
    # a full build (no cache) into the same folder: the step-0 image goes too, once its row is gone
    (runs / "im/history.jsonl").write_text(last + "\n")
    (runs / "im/summary.json").write_text(json.dumps({k: v for k, v in summary.items() if k not in ("sound", "pics")}))
    build(BuildConfig(runs=runs, out=site, quiet=True, cache=False))
    left = _site_media(site)
    assert not [f for f in left if "/images/" in f] and "media/im/mine.txt" in left, sorted(left)
    assert [f for f in left if f not in _site_text(site) and f != "media/im/mine.txt"] == []
