"""Issue 12: media files of a run folder cost the builder no more than they cost the folder.
Builds run as subprocesses with a deadline and an address-space limit."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from panels_fixtures import video_head

REPO = Path(__file__).parent.parent
pytestmark = pytest.mark.skipif(not hasattr(os, "SEEK_DATA"), reason="sparse files: SEEK_DATA (Linux, macOS)")


def _build(runs: Path, site: Path) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))

    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site), "--no-cache"],
                          capture_output=True, text=True, timeout=300, preexec_fn=limit,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc


def test_sparse_media_files_stay_sparse_in_the_site(tmp_path):
    """A run folder's video of 4 GiB that is all holes but its first bytes (no disk used; a zip holds
    it in a few KB) was copied dense into the site: 4 GiB written, and a folder of such files filled
    the disk. Now the site's copy keeps the holes: the same bytes, the disk the source uses."""
    runs = tmp_path / "runs"
    d = runs / "a"
    (d / "media/videos").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a"}))
    (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0, "v": {
        "_type": "video", "path": "media/videos/v.mp4", "format": "mp4"}}) + "\n")
    src = d / "media/videos/v.mp4"
    with open(src, "wb") as fh:
        fh.write(video_head() + os.urandom(4096))
        fh.truncate(4 << 30)
    if src.stat().st_blocks * 512 > 1 << 20:
        pytest.skip("this file system does not keep holes")
    site = tmp_path / "site"
    _build(runs, site)
    (copy,) = site.rglob("v*.mp4")
    assert copy.stat().st_size == 4 << 30 and copy.stat().st_blocks * 512 < 1 << 20
    with open(copy, "rb") as a, open(src, "rb") as b:
        assert a.read(8192) == b.read(8192)


def test_run_files_read_whole_are_bounded(tmp_path):
    """A logged HTML page, SVG image, table or plotly figure that is an 8 GiB sparse file (a few KB in
    a zip) was read into memory whole: MemoryError under a 6 GiB limit, the machine's memory without
    one. Now such a file over 64 MiB is not read, with a warning naming it; the rest of the run builds."""
    runs = tmp_path / "runs"
    d = runs / "a"
    (d / "media").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a"}))
    rec = {"h": {"_type": "html", "path": "media/h.html"}, "s": {"_type": "image", "path": "media/x.svg"},
           "t": {"_type": "table", "path": "media/t.json"}, "p": {"_type": "plotly", "path": "media/p.json"}}
    (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0, **rec}) + "\n")
    for r in rec.values():
        with open(d / r["path"], "wb") as fh:
            fh.write(b"<svg" if r["path"].endswith(".svg") else b"{")
            fh.truncate(8 << 30)
    site = tmp_path / "site"
    proc = _build(runs, site)
    for key, r in rec.items():
        assert f"media {key} (step 0): could not show" in proc.stderr
        assert f"{r['path']}: larger than 64 MiB; not read" in proc.stderr, proc.stderr
    assert (site / "runs/a/index.html").is_file()


def test_a_report_reads_a_table_file_bounded(tmp_path):
    """A report's ``{{< media >}}`` of a table read the table's file whole (its copy in the site),
    where the run page refuses one over 64 MiB: an 8 GiB sparse table file (a few KB in a zip) was
    MemoryError under a 6 GiB limit, the machine's memory without one. Now the report says the file
    is unreadable, as the run page does."""
    runs = tmp_path / "runs"
    d = runs / "a"
    (d / "media").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a"}))
    (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0, "t": {"_type": "table", "path": "media/t.json"}}) + "\n")
    with open(d / "media/t.json", "wb") as fh:
        fh.write(b'{"columns": ["c"], "data": [["x"]], "pad": "')
        fh.truncate(8 << 30)
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('# R\n\n{{< media key="t" run="a" >}}\n')
    site = tmp_path / "site"
    _build(runs, site)
    assert "t: table file is unreadable (FileTooBig: media/t.json: larger than 64 MiB; not read)" in \
        (site / "reports/r.html").read_text()


def test_a_sweep_file_is_read_bounded(tmp_path):
    """``RUNS/sweeps/<id>/sweep.json`` of a run's ``sweep_id`` was read whole: an 8 GiB sparse one
    (a few KB in a zip) was MemoryError under a 6 GiB limit. Now it is read up to 64 MiB, as a
    run.json is; the sweep page is built without its configuration."""
    runs = tmp_path / "runs"
    d = runs / "a"
    d.mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a", "sweep_id": "sw1"}))
    (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0}) + "\n")
    (runs / "sweeps/sw1").mkdir(parents=True)
    with open(runs / "sweeps/sw1/sweep.json", "wb") as fh:
        fh.write(b'{"name": "x", "pad": "')
        fh.truncate(8 << 30)
    site = tmp_path / "site"
    _build(runs, site)
    assert (site / "sweeps/sw1.html").is_file()


def test_a_table_file_listed_as_every_increment_is_held_once(tmp_path):
    """An INCREMENTAL table's record lists the files of its earlier increments; a 60 MiB file (60 KB
    in a zip) with one long cell, listed as all 100 increments, was read and held 100 times over by
    the run page (and its first 50 rows by a report): 6 GB, MemoryError under a 6 GiB limit. Now
    each file's cells are cut as it is read, a file listed twice is read once, and the report keeps
    only the rows it shows; both show the table's 100 rows."""
    runs = tmp_path / "runs"
    d = runs / "a"
    (d / "media").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a"}))
    (d / "media/t.json").write_text(json.dumps({"columns": ["c"], "data": [["x" * (60 << 20)]]}))
    rec = {"_type": "table", "path": "media/t.json", "log_mode": "INCREMENTAL", "increment_num": 99,
           "previous_increments": ["media/t.json"] * 99}
    (d / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0, "t": rec}) + "\n")
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('# R\n\n{{< media key="t" run="a" >}}\n')
    site = tmp_path / "site"
    proc = _build(runs, site)
    assert "could not show" not in proc.stderr, proc.stderr[-2000:]
    assert "table: 100 cell(s) longer than 1,000 characters are cut" in proc.stderr
    (data,) = (site / "media/a/data").glob("t_*.js")
    assert data.stat().st_size < 1 << 20 and data.read_text().count('"x') == 100
    page = (site / "reports/r.html").read_text()
    assert "First 50 of 100 rows" in page and "Long cells are cut" in page


def test_a_wav_claiming_hours_draws_no_waveform_in_bounded_memory(tmp_path):
    """A WAV whose header and (sparse) data claim 3 GB of samples was read whole for its waveform:
    12 GB of float samples, MemoryError under a 6 GiB limit, and the audio item was lost with it.
    Now a WAV is read a piece at a time, its holes skipped as silence (255abd5), so its waveform is
    drawn within the 6 GiB limit and its player built."""
    import struct
    import wave

    runs = tmp_path / "runs"
    d = runs / "a"
    (d / "media/audio").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a"}))
    (d / "history.jsonl").write_text(json.dumps({"_step": 0, "s": {
        "_type": "audio", "path": "media/audio/s.wav", "sample_rate": 8000}}) + "\n")
    path = d / "media/audio/s.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000)
    size = 3 << 30
    with open(path, "r+b") as fh:  # the RIFF and data sizes of a 3 GB file, and its length: holes
        fh.seek(4)
        fh.write(struct.pack("<I", size - 8))
        fh.seek(40)
        fh.write(struct.pack("<I", size - 44))
        fh.truncate(size)
    site = tmp_path / "site"
    proc = _build(runs, site)
    assert "no waveform" not in proc.stderr and "could not show audio" not in proc.stderr, proc.stderr
    assert list(site.rglob("s*.wav")) and list(site.rglob("s*_wave.png"))


def test_media_files_per_run_and_key_are_capped_with_a_warning(tmp_path):
    """A run logging an image at each of 5,000 steps had all 5,000 copied into the site and listed on
    its page (100,000 took minutes and a 14 MB page); a gallery of 150 images at one step, likewise.
    Now a run page shows at most 2,000 media files of a key (its steps thinned evenly, the first and
    the last kept) and 100 of a key at one step, with one warning naming the run and the key."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2, 2), (9, 9, 9)).save(buf, "PNG")
    d = tmp_path / "runs/a"
    (d / "media/images").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a"}))
    rows = []
    for s in range(5000):
        (d / f"media/images/x_{s}.png").write_bytes(buf.getvalue())
        rows.append({"_step": s, "img": {"_type": "image", "path": f"media/images/x_{s}.png", "format": "png",
                                         "width": 2, "height": 2}})
    rows[0]["grid"] = [{"_type": "image", "path": "media/images/x_0.png", "format": "png", "width": 2, "height": 2}
                       for _ in range(150)]
    (d / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    site = tmp_path / "site"
    proc = _build(tmp_path / "runs", site)
    assert "run a: media key 'img': 5,000 media files in 5,000 steps; the run page shows 2,000 in 2,000 steps " \
           "(at most 2,000 a key" in proc.stderr, proc.stderr
    assert "run a: media key 'grid': 150 media files in 1 steps; the run page shows 100 in 1 steps" in proc.stderr
    copied = {p.name for p in (site / "media/a").rglob("x_*.png")}
    assert len(copied) == 2000 and {"x_0.png", "x_4999.png"} <= copied, len(copied)
    page = (site / "runs/a/index.html").read_text()
    assert page.count("x_4999.png") >= 1 and "x_4998.png" not in page


def test_images_too_large_to_decode_are_named_not_decoded(tmp_path):
    """A 140 KB PNG of 12,000 x 12,000 pixels took 760 MB to make its gallery thumbnail, and Pillow's
    warning went to the terminal as it was; one of 9,000 x 8,000 (under Pillow's limit) as a mask took
    as much. Past 64 megapixels the builder decodes no image: one warning names it, the run is built,
    and a normal image of the same run has its thumbnail."""
    from PIL import Image

    runs = tmp_path / "runs"
    d = runs / "a"
    (d / "media/images").mkdir(parents=True)
    Image.new("L", (12000, 12000), 0).save(d / "media/images/huge.png")
    Image.new("L", (9000, 8000), 0).save(d / "media/images/big.png")
    Image.new("RGB", (800, 600), (200, 10, 10)).save(d / "media/images/fine.png")
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a"}))

    def image(name, **more):
        return {"_type": "image", "path": f"media/images/{name}.png", "format": "png", **more}

    mask = {"path": "media/images/big.png", "class_labels": {"0": "bg", "1": "thing"}}
    rows = [{"_step": 0, "huge": image("huge"), "big": image("big", width=9000, height=8000),
             "fine": image("fine", width=800, height=600),
             "masked": image("fine", width=800, height=600, masks={"m": mask})}]
    (d / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = _build(runs, tmp_path / "site")
    assert "DecompressionBombWarning:" not in proc.stderr.replace("could not show image: DecompressionBombWarning", "")
    assert "huge" in proc.stderr and "exceeds limit" in proc.stderr
    assert "an image of 9,000 x 8,000 pixels is not decoded by the builder (at most 64 megapixels)" in proc.stderr
    thumbs = [p.name for p in (tmp_path / "site").rglob("*_thumb*")]
    assert len(thumbs) == 1 and thumbs[0].startswith("fine"), thumbs


def test_images_that_cannot_be_shown_are_not_published(tmp_path, site_browser):
    """A logged image the builder could not show (undecodable bytes, truncated, past the 64-megapixel
    decode limit, not an image at all) was copied into the site all the same, while the page said
    "could not show image". Now it is not published (nor a thumbnail of it), the page still says
    so under its key, and an image shown by one key stays when another record of it fails. A copy
    an earlier build published is deleted once the image cannot be shown (the manifest no longer
    lists it)."""
    import io

    import numpy as np
    from PIL import Image

    import reportgen
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    rng = np.random.default_rng(0)
    pixels = {k: (rng.random((400, 400, 3)) * 255).astype(np.uint8) for k in ("ok", "garbage", "huge", "pdf", "cut")}
    run.log({k: reportgen.Image(v, caption=k) for k, v in pixels.items()}, step=0)
    run.log({"later": reportgen.Image(np.zeros((8, 8, 3), np.uint8))}, step=1)  # small: copied as it is
    run.finish()
    media = runs / "im" / "media" / "images"
    files = {p.name.split("_")[0]: p for p in media.iterdir()}
    files["garbage"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    buf = io.BytesIO()
    Image.new("L", (8200, 8200)).save(buf, "PNG")
    files["huge"].write_bytes(buf.getvalue())
    files["pdf"].write_bytes(b"%PDF-1.4\n" + b"x" * 70_000)
    files["cut"].write_bytes(files["cut"].read_bytes()[:100_000])
    site = tmp_path / "site"
    build(BuildConfig(runs=runs, out=site, quiet=True))

    def published() -> set[str]:
        return {p.name.split("_")[0] for p in (site / "media").rglob("*.*") if p.parent.name == "images"}

    def manifest() -> str:
        return (site / ".reportgen-manifest.json").read_text()

    assert published() == {"ok", "later"}
    assert files["later"].name in manifest() and files["garbage"].name not in manifest()
    for key in ("garbage", "huge", "pdf", "cut"):
        assert _shown_missing(site_browser, site, key).startswith("could not show image: "), key
    # an earlier build published "later" (8 x 8, never decoded); its file in the run is now no image
    files["later"].write_bytes(b"not an image" * 10_000)
    build(BuildConfig(runs=runs, out=site, quiet=True))
    assert published() == {"ok"} and files["later"].name not in manifest()
    assert _shown_missing(site_browser, site, "later").startswith("could not show image: ")


def _shown_missing(site_browser, site: Path, key: str) -> str:
    """What the run page's panel of ``key`` says in place of its image (in Chromium), at its step."""
    page = site_browser.open(site / "runs/im/index.html")
    panel = page.locator(".rgp-panel", has=page.locator(f".rgp-title:text-is('{key}')"))
    panel.scroll_into_view_if_needed()
    panel.locator(".rgp-missing").wait_for(timeout=10_000)
    assert panel.locator(".rgp-step-label").inner_text() == ("step 1" if key == "later" else "step 0")
    return panel.locator(".rgp-missing").inner_text()
