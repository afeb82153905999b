"""A run page shows a player only for media the browser can play: a video is opened (its header,
PyAV) before it is published, and a ``.wav`` whose samples numpy does not read (media/wavfile.py) is
shown when it holds audio Chromium plays (MP3, Ogg or FLAC bytes), without a waveform. Real run folders
(the SDK, then a file spoiled as another tool would), real builds, the pages played in Chromium."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reportgen
from panels_fixtures import audio_bytes
from test_media_not_shown import _build, _history, _panel

pytest.importorskip("av")

REPO = Path(__file__).resolve().parent.parent


def _frames(v: int) -> np.ndarray:
    return np.full((4, 3, 16, 16), v, np.uint8)


def _put(runs: Path, row: dict, key: str, data: bytes) -> str:
    """The file of ``key``'s record replaced by ``data``; its name."""
    path = runs / "im" / row[key]["path"]
    path.write_bytes(data)
    return path.name


def _media_state(page, scope: str, tag: str) -> list[dict]:
    """Each ``tag`` (audio, video) element under ``scope`` once it has its metadata or failed."""
    js = f"Array.from(document.querySelectorAll({scope + ' ' + tag!r}))"
    page.wait_for_function(f"{js}.every(m => m.readyState >= 1 || m.error)", timeout=15_000)
    return page.evaluate(f"{js}.map(m => ({{ready: m.readyState, duration: m.duration, error: !!m.error}}))")


def _playing(state: list[dict]) -> bool:
    return bool(state) and all(s["ready"] >= 1 and s["duration"] > 0 and not s["error"] for s in state)


def test_a_video_the_page_cannot_play_is_not_published(tmp_path, site_browser):
    """A garbage .mp4 under a video record was published as a <video> that never played. A video is
    opened before it is published (its header, as the format its extension names): one that does not
    open, or holds no video stream, is "could not show video: ..." (no builder path) and not in the
    site, also where an earlier build had published it; the good ones still play in Chromium."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"good": reportgen.Video(_frames(10), fps=4, format="mp4"),
             "vp9": reportgen.Video(_frames(20), fps=4, format="webm"),
             "junk": reportgen.Video(_frames(30), fps=4, format="mp4"),
             "sound": reportgen.Video(_frames(40), fps=4, format="mp4"),
             "part2": reportgen.Video(_frames(60), fps=4, format="mp4"),
             "anim": reportgen.Video(_frames(50), fps=4, format="gif")}, step=0)
    run.finish()
    site = tmp_path / "site"
    assert _build(runs, site) == []
    row = _history(runs)
    junk = _put(runs, row, "junk", b"\0\0\0\x18ftypmp42" + bytes(range(256)) * 16)
    sound = _put(runs, row, "sound", audio_bytes("mp4", "aac"))  # an mp4 of audio alone
    anim = _put(runs, row, "anim", b"GIF89a" + bytes(300))
    mpeg4 = _video("mpeg4")  # MPEG-4 Part 2 in an mp4 (the SDK's encoder fallback): no browser plays it
    part2 = _put(runs, row, "part2", mpeg4)
    warnings = _build(runs, site)
    assert not [w for w in warnings if str(tmp_path) in w], warnings
    assert len(warnings) == 4, warnings
    assert warnings.pop(2) == "run im: media part2 (step 0): could not show video: ValueError: mpeg4 video, which " \
                              "browsers do not play"
    assert warnings[0].startswith("run im: media anim (step 0): could not show video: UnidentifiedImageError: ")
    assert warnings[1].startswith("run im: media junk (step 0): could not show video: ValueError: not a readable "
                                  ".mp4 file (") and f"media/videos/{junk}" in warnings[1], warnings
    assert warnings[2] == "run im: media sound (step 0): could not show video: ValueError: no video stream " \
                          "(it holds audio)"
    published = {p.name for p in (site / "media/im").rglob("*.*")}
    assert not {junk, sound, anim, part2} & published and len(published - {"data"}) == 2, published
    page = site_browser.open(site / "runs/im/index.html")
    for key in ("good", "vp9"):
        _panel(page, key)
        assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, key)}']", "video")), key
    texts = {key: _panel(page, key).locator(".rgp-missing").inner_text() for key in ("junk", "sound", "anim", "part2")}
    assert texts["part2"] == "could not show video: mpeg4 video, which browsers do not play"
    assert _plays(page, mpeg4) == "error 4" and _plays(page, _video("libx264")) == "plays"  # (the rule is Chromium's)
    assert texts["sound"] == "could not show video: no video stream (it holds audio)"
    assert texts["junk"].startswith("could not show video: not a readable .mp4 file (") and str(tmp_path) not in \
        texts["junk"] and "Errno" not in texts["junk"], texts["junk"]
    assert texts["anim"] == "could not show video: not an image Pillow can read (cannot identify image file)"
    page.screenshot(path=str(tmp_path / "videos.png"), full_page=True)


def _video(codec: str, fmt: str = "mp4", pix_fmt: str = "yuv420p", audio: str | None = None) -> bytes:
    """Eight frames (two seconds) in an ``fmt`` file (mp4, mov), encoded with PyAV's ``codec``; with
    a second of silence encoded with ``audio`` (an audio codec) when given."""
    import io

    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as c:
        s = c.add_stream(codec, rate=4)
        s.width, s.height, s.pix_fmt = 64, 64, pix_fmt
        a = c.add_stream(audio, rate=8000, layout="mono") if audio else None
        for i in range(8):
            for pkt in s.encode(av.VideoFrame.from_ndarray(np.full((64, 64, 3), 30 * i, np.uint8), format="rgb24")):
                c.mux(pkt)
        if a is not None:
            sound = av.AudioFrame.from_ndarray(np.zeros((1, 8000), np.int16), format="s16", layout="mono")
            sound.sample_rate = 8000
            for part in [*av.AudioResampler(format=a.codec_context.format.name, layout="mono", rate=8000).resample(sound),
                         None]:
                c.mux(a.encode(part))
        for pkt in s.encode():
            c.mux(pkt)
    return buf.getvalue()


def _plays(page, data: bytes, tag: str = "video", mime: str = "video/mp4") -> str:
    """What Chromium makes of the media ``data`` in a <video> (or ``tag``): "plays" (its metadata loaded)
    or "error N"."""
    import base64

    return page.evaluate("""([b64, tag, mime]) => new Promise((done) => {
      const v = document.createElement(tag);
      v.onloadedmetadata = () => done('plays');
      v.onerror = () => done('error ' + (v.error && v.error.code));
      v.src = URL.createObjectURL(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], {type: mime}));
    })""", [base64.b64encode(data).decode(), tag, mime])


def _panel_id(page, key: str) -> str:
    return _panel(page, key).get_attribute("id")


AUDIO = {  # key: (the bytes of the .wav, what the page shows)
    "mp3": (lambda: audio_bytes("mp3", "libmp3lame"), "player"),
    "ogg": (lambda: audio_bytes("ogg", "libopus", 48000), "player"),
    "flac": (lambda: audio_bytes("flac", "flac"), "player"),
    "adpcm": (lambda: audio_bytes("wav", "adpcm_ms"), "could not show audio: adpcm_ms audio, which browsers do "
                                                      "not play"),
    "junk": (lambda: b"not a wav\n" * 20, "could not show audio: file does not start with RIFF id"),
}


def test_a_wav_file_the_browser_plays_is_shown_without_a_waveform(tmp_path, site_browser):
    """A .wav that Python's wave could not read (wave.Error, which the waveform's catch missed) made the
    whole audio item "could not show", though Chromium plays such a file by its content: MP3, Ogg or
    FLAC bytes. Those are shown with the player alone (a warning says why there is no waveform) and
    play (a WAV of float, mu-law or A-law samples gets its waveform now: test_media_quicktime_wav.py);
    ADPCM samples, which Chromium does not play, and bytes of no
    audio stay "could not show audio" and are not published."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    keys = ["wav", *AUDIO]
    run.log({k: reportgen.Audio(np.full(800, i / 100, np.float32), sample_rate=8000) for i, k in enumerate(keys)},
            step=0)
    run.finish()
    row = _history(runs)
    names = {key: _put(runs, row, key, make()) for key, (make, _) in AUDIO.items()}
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert "run im: media mp3 (step 0): no waveform: file does not start with RIFF id (the player plays its mp3 " \
           "audio)" in warnings, warnings
    assert "run im: media adpcm (step 0): could not show audio: ValueError: adpcm_ms audio, which browsers do not " \
           "play" in warnings, warnings
    published = {p.name for p in (site / "media/im").rglob("*.*")}
    page = site_browser.open(site / "runs/im/index.html")
    for key, (_, shown) in AUDIO.items():
        panel = _panel(page, key)
        if shown == "player":
            assert names[key] in published and panel.locator(".rgp-wave").count() == 0, key
            assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, key)}']", "audio")), key
        else:
            assert names[key] not in published and panel.locator(".rgp-missing").inner_text() == shown, key
    good = _panel(page, "wav")  # a WAV the wave module reads: its waveform, as before
    assert good.locator(".rgp-wave").count() == 1
    assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, 'wav')}']", "audio"))
    page.screenshot(path=str(tmp_path / "audio.png"), full_page=True)


def test_without_pyav_media_are_published_as_before(tmp_path):
    """Without PyAV (the ``video`` extra), a video is not checked: published as it is, as before the
    check (the build does not fail), and a .wav that wave cannot read stays "could not show"."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"junk": reportgen.Video(_frames(30), fps=4, format="mp4"),
             "mp3": reportgen.Audio(np.zeros(800, np.float32), sample_rate=8000)}, step=0)
    run.finish()
    row = _history(runs)
    junk = _put(runs, row, "junk", b"\0\0\0\x18ftypmp42" + bytes(range(256)) * 16)
    _put(runs, row, "mp3", audio_bytes("mp3", "libmp3lame"))
    code = ("import sys, json; sys.modules['av'] = None\n"  # (import av: ImportError, as when it is not installed)
            "from reportgen.site.builder import build; from reportgen.site.config import BuildConfig\n"
            f"print(json.dumps(build(BuildConfig(runs={str(runs)!r}, out={str(tmp_path / 'site')!r}, "
            "quiet=True)).warnings))")
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    warnings = json.loads(proc.stdout.splitlines()[-1])
    assert warnings == ["run im: media mp3 (step 0): could not show audio: NotSamples: file does not start with "
                        "RIFF id"], warnings
    assert (tmp_path / "site/media/im/videos" / junk).read_bytes() == (runs / "im" / row["junk"]["path"]).read_bytes()
