"""Videos of every extension the site publishes for a video are opened and judged by their codec
(``.ogv``, ``.m4v`` as well as mp4, mov, webm, ogg: one table, avsafe.VIDEO_DEMUXERS), and audio of
more channels than Chromium plays (32) is "could not show audio" whatever its format; a video whose
sound track has more is shown, its picture plays silent, and the build says so. Checked in Chromium:
each file's bytes, the pages from file:// and served by ``reportgen serve``, at 1440 and 390 px."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

import reportgen
from browser import SiteBrowser
from reportgen.media.avsafe import VIDEO_DEMUXERS
from reportgen.site import publish
from serveproc import ServeProcess, http_get
from test_media_not_shown import _build, _history, _panel
from test_media_playable import _media_state, _panel_id, _playing, _plays, _video

av = pytest.importorskip("av")

#: a video of each extension the site publishes for one: (PyAV muxer, video codec, sound codec, channels)
VIDEOS = {"mp4": ("mp4", "libx264", None, 0), "m4v": ("ipod", "libx264", None, 0), "mov": ("mov", "libx264", None, 0),
          "webm": ("webm", "libvpx", None, 0), "ogv": ("ogg", "libvpx", None, 0)}


def _media(fmt: str, audio: str | None, channels: int, video: str | None = None) -> bytes:
    """A second of a 440 Hz tone in ``channels`` channels encoded with ``audio`` into the container
    ``fmt``, under eight frames of ``video`` when given (Opus past 8 channels: mapping family 255)."""
    buf = io.BytesIO()
    layout = av.AudioLayout(f"{channels} channels") if channels > 2 else ("stereo" if channels == 2 else "mono")
    rate = 48000
    with av.open(buf, "w", format=fmt) as c:
        v = c.add_stream(video, rate=4) if video else None
        if v is not None:
            v.width, v.height, v.pix_fmt = 64, 64, "yuv420p"
        a = c.add_stream(audio, rate=rate, layout=layout,
                         options={"mapping_family": "255"} if audio == "libopus" and channels > 8 else {})
        tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)).astype(np.float32)
        frame = av.AudioFrame(format="flt", layout=layout, samples=rate)  # (packed: one plane of every channel)
        frame.planes[0].update(np.repeat(tone, channels).tobytes())
        frame.sample_rate = rate
        resample = av.AudioResampler(format=a.codec_context.format.name, layout=layout, rate=rate)
        for i in range(8 if v is not None else 0):
            for pkt in v.encode(av.VideoFrame.from_ndarray(np.full((64, 64, 3), 30 * i, np.uint8), format="rgb24")):
                c.mux(pkt)
        for part in [*resample.resample(frame), None]:
            for pkt in a.encode(part):
                c.mux(pkt)
        for pkt in v.encode() if v is not None else ():
            c.mux(pkt)
    return buf.getvalue()


def _run_with(runs, videos: dict[str, tuple[str, bytes]], audios: dict[str, tuple[str, bytes]]) -> dict:
    """A run folder (the SDK) of a video record per key of ``videos`` and an audio one per key of
    ``audios``, their files then replaced by ``(extension, bytes)`` as another tool would write them."""
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({**{k: reportgen.Video(np.full((4, 3, 16, 16), 9, np.uint8), fps=4, format="mp4") for k in videos},
             **{k: reportgen.Audio(np.zeros(800, np.float32), sample_rate=8000) for k in audios}}, step=0)
    run.finish()
    row = _history(runs)
    for key, (ext, data) in {**videos, **audios}.items():
        (runs / "im" / row[key]["path"]).unlink()
        row[key] = {**row[key], "path": row[key]["path"].rsplit(".", 1)[0] + "." + ext, "format": ext}
        (runs / "im" / row[key]["path"]).write_bytes(data)
    (runs / "im/history.jsonl").write_text(json.dumps(row) + "\n")
    return row


def _videos_play(page, keys) -> None:
    for key in keys:
        _panel(page, key)
        assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, key)}']", "video")), key


def test_every_video_extension_the_site_publishes_is_opened_and_plays(tmp_path, site_browser, _playwright_browser):
    """The site published .ogv and .m4v videos (publish.INERT) but the video check refused them
    ("could not show video: .ogv files are not read"), as it did .mov: the two lists were apart. One
    table now names the demuxer of every video extension the site publishes: an .m4v (an mp4) and an
    .ogv (Ogg: VP8, as the SDK writes format="ogg" without Theora) are judged by their codec like an
    mp4, and published under their own names, which Chromium plays from a file and served (video/mp4,
    video/ogg); an .m4v of MPEG-4 Part 2 is "could not show video", naming it."""
    assert set(VIDEOS) == set(VIDEO_DEMUXERS) and set(VIDEO_DEMUXERS) <= publish.INERT  # (each extension tried)
    files = {ext: (ext, _video(codec, fmt)) for ext, (fmt, codec, _, _) in VIDEOS.items()}
    files["ogg"] = ("ogg", _video("libvpx", "ogg"))  # (the SDK's format="ogg" without libtheora)
    files["m4v_mpeg4"] = ("m4v", _video("mpeg4", "ipod"))
    runs = tmp_path / "runs"
    row = _run_with(runs, files, {})
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert warnings == ["run im: media m4v_mpeg4 (step 0): could not show video: ValueError: mpeg4 video, which "
                        "browsers do not play"], warnings
    published = {p.relative_to(site / "media/im").as_posix() for p in (site / "media/im").rglob("*.*")
                 if p.parent.name != "data"}
    shown = [k for k in files if k != "m4v_mpeg4"]
    assert published == {row[k]["path"].removeprefix("media/") + (".mp4" if k == "mov" else "") for k in shown}
    page = site_browser.open(site / "runs/im/index.html")
    assert [_plays(page, files[k][1]) for k in files] == ["plays"] * len(shown) + ["error 4"]  # (Chromium's rule)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        _videos_play(page, shown)
        assert _panel(page, "m4v_mpeg4").locator(".rgp-missing").inner_text() == \
            "could not show video: mpeg4 video, which browsers do not play"
        page.screenshot(path=str(tmp_path / f"videos-{width}.png"), full_page=True)
    with ServeProcess(str(runs), "--port", "0") as srv:
        for key, ctype in (("m4v", "video/mp4"), ("ogv", "video/ogg"), ("mov", "video/mp4")):
            resp = http_get(srv.port, "/" + row[key]["path"].replace("media/", "media/im/", 1) +
                            (".mp4" if key == "mov" else ""))
            resp.read()
            assert (resp.status, resp.getheader("Content-Type")) == (200, ctype), key
        served = SiteBrowser(_playwright_browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))
        try:
            page = served.open(srv.url + "runs/im/index.html")
            for width in (1440, 390):
                page.set_viewport_size({"width": width, "height": 900})
                _videos_play(page, shown)
            assert not served.problems.all(), served.problems.all()
        finally:
            served.close()


def _sound_decoded(page, key: str) -> int:
    """Bytes of sound Chromium decoded playing the (muted) video of ``key``'s panel to its end."""
    scope = f".rgp-panel[id='{_panel_id(page, key)}'] video"
    page.evaluate(f"document.querySelector({scope!r}).play()")
    page.wait_for_function(f"document.querySelector({scope!r}).ended", timeout=15_000)
    return page.evaluate(f"document.querySelector({scope!r}).webkitAudioDecodedByteCount")


def test_audio_of_more_channels_than_browsers_play_is_not_shown(tmp_path, cli, site_browser):
    """Only a WAV was checked against Chromium's 32 channels: an Opus file (Ogg, .opus) or PCM in an
    .m4a of 33 or 40 channels got a player that never played (Chromium: MEDIA_ERR_SRC_NOT_SUPPORTED,
    checked below). Its header's channel count (PyAV) now makes it "could not show audio", naming
    it; 32 channels plays, with its waveform. A video whose sound track has more channels plays in
    Chromium, silent (checked: no sound decoded): it is shown, and the build says its sound is not
    played. And the waveform of audio of 9 to 32 channels (decoded planar, one plane a channel) crashed
    the build (SIGSEGV: PyAV's to_ndarray read past FFmpeg's 8 plane pointers); it is drawn. (FLAC holds
    8 channels at most, MP3 2.) Built by the real CLI in a subprocess."""
    audios = {"opus32": ("ogg", _media("ogg", "libopus", 32)), "opus33": ("ogg", _media("ogg", "libopus", 33)),
              "opus40": ("opus", _media("ogg", "libopus", 40)), "pcm40": ("m4a", _media("mov", "pcm_s16le", 40)),
              "wav_opus40": ("wav", _media("ogg", "libopus", 40))}  # (a .wav of Ogg bytes: judged by what it holds)
    videos = {"vp8_opus2": ("webm", _media("webm", "libopus", 2, "libvpx")),
              "vp8_opus40": ("webm", _media("webm", "libopus", 40, "libvpx")),
              "h264_pcm40": ("mov", _media("mov", "pcm_s16le", 40, "libx264")),
              "vp8_opus40_ogv": ("ogv", _media("ogg", "libopus", 40, "libvpx"))}
    runs = tmp_path / "runs"
    _run_with(runs, videos, audios)
    site = tmp_path / "site"
    proc = cli("build", str(runs), "-o", str(site), check=False)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    said = sorted(line.split("run im: ", 1)[1] for line in (proc.stdout + proc.stderr).splitlines()
                  if "run im: media " in line)
    refused = {"opus33": 33, "opus40": 40, "pcm40": 40, "wav_opus40": 40}
    silent = {"h264_pcm40", "vp8_opus40", "vp8_opus40_ogv"}
    assert said == sorted([f"media {k} (step 0): could not show audio: ValueError: {n} channels, more than browsers "
                           f"play (32)" for k, n in refused.items()] +
                          [f"media {k} (step 0): its sound is not played: 40 channels, more than browsers play (32); "
                           "the video plays without it" for k in silent]), said
    page = site_browser.open(site / "runs/im/index.html")
    for key, (_, data) in audios.items():  # (Chromium's rule: the bytes themselves)
        assert _plays(page, data, "audio", "audio/ogg") == ("error 4" if key in refused else "plays"), key
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for key, n in refused.items():
            assert _panel(page, key).locator(".rgp-missing").inner_text() == \
                f"could not show audio: {n} channels, more than browsers play (32)", key
        panel = _panel(page, "opus32")
        assert panel.locator(".rgp-wave").count() == 1
        assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, 'opus32')}']", "audio"))
        _videos_play(page, videos)
        page.screenshot(path=str(tmp_path / f"channels-{width}.png"), full_page=True)
    assert {key: _sound_decoded(page, key) > 0 for key in videos} == {key: key not in silent for key in videos}
