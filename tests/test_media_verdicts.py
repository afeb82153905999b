"""Run files are checked once: an image a report embeds and its run page shows (or two embeds of one
record) is opened once a build, and a video's verdict (read from its header through PyAV) is kept
between builds, so a no-op rebuild neither opens the video nor imports PyAV, and a video replaced
since is checked again. Real run folders (the SDK, real mp4 files), real builds (a subprocess where
what it imports counts), opens counted by the kernel (inotify)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import reportgen
from inotify_opens import Opens, available
from panels_fixtures import audio_bytes, mp4_bytes
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from test_media_not_shown import _history, _pixels

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not available(), reason="inotify: Linux")
def test_a_report_embed_does_not_read_an_image_the_run_page_read(tmp_path):
    """ReportContext.run_item made a new ItemMaker (and RunFiles) for every embed: an image its run
    page had just read (its header, its structure verified) was opened and verified again for each
    report embed, twice for a record embedded twice. The build's checks are now shared by the run
    pages and the reports: a site whose report embeds two images twice each opens them as often as
    the same site without the report (and a bad image is still 'could not show' in both places)."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"good": reportgen.Image(_pixels(40)), "bad": reportgen.Image(_pixels(40))}, step=0)
    run.finish()
    row = _history(runs)
    good, bad = (runs / "im" / row[k]["path"] for k in ("good", "bad"))
    bad.write_bytes(b"not an image\n" * 50)
    none, some = tmp_path / "no-reports", tmp_path / "reports"
    none.mkdir()
    some.mkdir()
    (some / "r.md").write_text("".join(f'{{{{< media key="{k}" >}}}}\n\n' for k in ("good", "bad", "good", "bad")))
    counts = {}
    for reports in (none, some):
        with Opens(good, bad) as opens:
            res = build(BuildConfig(runs=runs, out=tmp_path / f"site-{reports.name}", reports=reports, quiet=True))
            counts[reports.name] = opens.counts()
        assert "run im: media bad (step 0): could not show image: UnidentifiedImageError: not an image Pillow " \
               "can read (cannot identify image file)" in res.warnings, res.warnings
    site = tmp_path / "site-reports"
    assert [w for w in res.warnings if w.startswith("report r.md")] == [
        f"report r.md: line {n}: media: bad: could not show image: not an image Pillow can read (cannot identify "
        "image file) (run im)" for n in (3, 7)]
    assert (site / "reports/r.html").read_text().count(Path(row["good"]["path"]).name) == 2
    assert counts["reports"] == counts["no-reports"], counts  # (was 2 more each: one per embed)
    assert counts["reports"][good] > 0 and counts["reports"][bad] > 0, counts


def _video_runs(runs: Path, n: int) -> list[Path]:
    """``n`` runs with an mp4 each (a real one, H.264), its file dated a minute ago (a verdict of a file
    changed within the last two seconds is not kept: it could change again in the same clock tick).
    The first run has a .wav of FLAC bytes too (Python's wave does not read it; PyAV says the browser
    plays it)."""
    data = mp4_bytes()
    files = []
    for i in range(n):
        run = reportgen.init(dir=runs, id=f"v{i}", name=f"v{i}", project="p")
        run.log({"clip": reportgen.Video(np.zeros((2, 3, 16, 16), np.uint8), fps=2, format="gif"), "loss": 1.0,
                 **({"sound": reportgen.Audio(np.zeros(800, np.float32), sample_rate=8000)} if i == 0 else {})},
                step=0)
        run.finish()
        if i == 0:
            files.append(runs / "v0" / _history(runs, "v0")["sound"]["path"])
            files[-1].write_bytes(audio_bytes("flac", "flac"))
        # (the SDK encodes without libx264 as MPEG-4 Part 2, which no browser plays: a real H.264 file)
        row = _history(runs, f"v{i}")
        path = str(Path(row["clip"]["path"]).with_suffix(".mp4"))
        (runs / f"v{i}" / path).write_bytes(data)
        row["clip"].update(path=path, format="mp4")
        (runs / f"v{i}" / "history.jsonl").write_text(json.dumps(row) + "\n")
        files.append(runs / f"v{i}" / path)
    _age(*files)
    return files


def _age(*files: Path) -> None:
    past = time.time_ns() - 60_000_000_000
    for f in files:
        os.utime(f, ns=(past, past))


_BUILD = """
import json, os, sys
if os.environ.get("HIDE_AV"):
    sys.modules["av"] = None  # (PyAV not installed, as far as this process can tell)
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
res = build(BuildConfig(runs=sys.argv[1], out=sys.argv[2], cache_dir=sys.argv[3], quiet=True))
print(json.dumps({"av": sys.modules.get("av") is not None, "warnings": res.warnings}))
"""


def _build(tmp_path: Path, hide_av: bool = False) -> dict:
    """A build in a subprocess (its imports are its own): whether it imported PyAV, its warnings."""
    proc = subprocess.run([sys.executable, "-c", _BUILD, str(tmp_path / "runs"), str(tmp_path / "site"),
                           str(tmp_path / "cache")], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO), "HIDE_AV": "1" if hide_av else ""})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_no_op_rebuild_does_not_check_videos_again(tmp_path, monkeypatch):
    """Every build opened every video of the site through PyAV to read its header (whether a browser
    plays it), on a rebuild where no file changed too: PyAV and FFmpeg imported, and 50 runs of 4 mp4
    took a no-op rebuild from 0.43 to 0.56 s of CPU. A video's verdict is kept in the build cache by
    the file's size, mtime and inode: a no-op rebuild does not import PyAV; a video replaced since
    (garbage of another size) is checked again and not shown, and that verdict is kept in turn."""
    pytest.importorskip("av")
    monkeypatch.setenv("REPORTGEN_DISABLE_GIT", "1")  # (the run page shows the diff: this file's words)
    runs = tmp_path / "runs"
    sound, *files = _video_runs(runs, 3)
    first = _build(tmp_path)
    flac = ["run v0: media sound (step 0): no waveform: file does not start with RIFF id (the player plays its "
            "flac audio)"]
    assert first == {"av": True, "warnings": flac}, first  # (the premise: a build checks its videos)
    page = (tmp_path / "site/runs/v1/index.html").read_text()
    assert "media/v1/" + files[1].relative_to(runs / "v1/media").as_posix() in page and "could not show" not in page
    assert _build(tmp_path) == {"av": False, "warnings": flac}
    files[1].write_bytes(b"not a video\n" * 10)  # (another size; within two seconds: checked, not kept)
    published = "media/v1/" + files[1].relative_to(runs / "v1/media").as_posix()  # (its site path)
    why = "run v1: media clip (step 0): could not show video: ValueError: not a readable .mp4 file ("
    for _ in range(2):
        again = _build(tmp_path)
        assert again["av"] and again["warnings"][0] == flac[0] and len(again["warnings"]) == 2 and \
            again["warnings"][1].startswith(why), again
    page = (tmp_path / "site/runs/v1/index.html").read_text()
    assert "could not show video: not a readable .mp4 file" in page and published not in page
    assert not (tmp_path / "site" / published).exists()
    _age(files[1])
    kept = _build(tmp_path)  # its verdict kept now: the same words, without PyAV
    assert kept == {"av": True, "warnings": again["warnings"]}, kept
    assert _build(tmp_path) == {"av": False, "warnings": again["warnings"]}


def test_a_verdict_made_without_pyav_is_made_again_once_it_is_installed(tmp_path, monkeypatch):
    """Without PyAV a video is published unchecked, and that verdict was kept between builds like any
    other: once the user installed the ``video`` extra, a garbage .mp4 kept its player (one that never
    plays) until the file changed. PyAV's version is part of a kept verdict's key."""
    pytest.importorskip("av")
    monkeypatch.setenv("REPORTGEN_DISABLE_GIT", "1")
    runs = tmp_path / "runs"
    _sound, *files = _video_runs(runs, 1)
    files[0].write_bytes(b"not a video\n" * 10)
    _age(files[0])
    published = "media/v0/" + files[0].relative_to(runs / "v0/media").as_posix()
    unchecked = _build(tmp_path, hide_av=True)
    assert not unchecked["av"] and not any("could not show video" in w for w in unchecked["warnings"]), unchecked
    assert (tmp_path / "site" / published).exists()  # (the premise: published as it is, without PyAV)
    checked = _build(tmp_path)
    assert checked["av"] and any("could not show video" in w for w in checked["warnings"]), checked
    assert not (tmp_path / "site" / published).exists()
    assert "could not show video: not a readable .mp4 file" in (tmp_path / "site/runs/v0/index.html").read_text()


def test_a_no_op_rebuild_does_not_open_audio_again(tmp_path, monkeypatch):
    """The audio check reads the channels of every audio file (more than 32: the browser plays none), a
    non-WAV's through PyAV: kept between builds like a video's verdict, so a no-op rebuild of a site of
    mp3 and Ogg sound does not import PyAV, and a file replaced since is checked again."""
    pytest.importorskip("av")
    monkeypatch.setenv("REPORTGEN_DISABLE_GIT", "1")
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="a0", name="a0", project="p")
    run.log({"sound": reportgen.Audio(np.zeros(800, np.float32), sample_rate=8000), "loss": 1.0}, step=0)
    run.finish()
    row = _history(runs, "a0")
    path = str(Path(row["sound"]["path"]).with_suffix(".ogg"))
    (runs / "a0" / path).write_bytes(audio_bytes("ogg", "libopus" if _has_encoder("libopus") else "vorbis",
                                                 rate=48000))
    row["sound"]["path"] = path
    (runs / "a0" / "history.jsonl").write_text(json.dumps(row) + "\n")
    _age(runs / "a0" / path)
    first = _build(tmp_path)
    assert first["av"] and not first["warnings"], first  # (the premise: its header read with PyAV)
    assert _build(tmp_path) == {"av": False, "warnings": []}
    published = tmp_path / "site/media/a0" / Path(path).relative_to("media")
    assert published.exists(), sorted(p.name for p in (tmp_path / "site/media/a0").rglob("*"))


def _has_encoder(name: str) -> bool:
    import av

    try:
        av.codec.Codec(name, "w")
    except Exception:
        return False
    return True
