"""Every video codec the site shows as playable (playable.VIDEO_CODECS) plays in the Chromium tests and
users' CI run, in every container it is found in: one test per codec and container, the file encoded
with PyAV, built, and its player on the run page made to play (readyState >= 2, currentTime going on).
A codec only some browsers play (HEVC: Safari, Chrome or Edge with a hardware decoder; Theora) is
shown, and where the browser does not play it (this Chromium) the page says so and links the file, on
the run page and in a report, at 1440 and 390 px. The list claimed HEVC and Theora, which this Chromium
does not play: a player that never played."""
from __future__ import annotations

import io

import numpy as np
import pytest

import reportgen
from reportgen.media.avsafe import VIDEO_DEMUXERS
from reportgen.site.panels.playable import SOME_BROWSERS, VIDEO_CODECS
from test_media_formats_channels import _run_with
from test_media_not_shown import _build, _history, _panel
from test_media_playable import _panel_id, _plays

av = pytest.importorskip("av")

#: each codec the site plays: (PyAV encoder, {extension: PyAV muxer} of each container it is tried in)
ENCODED = {"h264": ("libx264", {"mp4": "mp4", "m4v": "ipod", "mov": "mov"}),
           "vp8": ("libvpx", {"webm": "webm", "ogv": "ogg"}),
           "vp9": ("libvpx-vp9", {"webm": "webm", "mp4": "mp4"}),
           "av1": ("libsvtav1", {"mp4": "mp4", "webm": "webm"})}
CASES = [(codec, ext) for codec, (_, exts) in ENCODED.items() for ext in exts]


def _encoded(encoder: str, muxer: str) -> bytes:
    """Sixteen 64 x 64 frames (two seconds) encoded with ``encoder`` into the container ``muxer``."""
    try:
        av.Codec(encoder, "w")
    except Exception:  # noqa: BLE001 - (this FFmpeg build has no such encoder)
        pytest.skip(f"this PyAV's FFmpeg has no {encoder} encoder")
    buf = io.BytesIO()
    with av.open(buf, "w", format=muxer) as c:
        s = c.add_stream(encoder, rate=8)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        for i in range(16):
            for pkt in s.encode(av.VideoFrame.from_ndarray(np.full((64, 64, 3), 15 * i, np.uint8), format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    return buf.getvalue()


def _key(codec: str, ext: str) -> str:
    return f"{codec}_{ext}"


@pytest.fixture(scope="module")
def codec_site(tmp_path_factory):
    """A site of one run with a video of each (codec, container) of :data:`CASES` (those this FFmpeg
    encodes), and the warnings of its build."""
    tmp = tmp_path_factory.mktemp("codecs")
    files = {}
    for codec, ext in CASES:
        encoder, muxers = ENCODED[codec]
        try:
            files[_key(codec, ext)] = (ext, _encoded(encoder, muxers[ext]))
        except pytest.skip.Exception:
            continue
    _run_with(tmp / "runs", files, {})
    return tmp / "site", _build(tmp / "runs", tmp / "site"), set(files)


def test_the_codecs_tried_are_those_the_site_plays_in_every_video_container():
    """The table above is the list: a codec added to VIDEO_CODECS without a case here fails, as does a
    video extension the site publishes that no case is muxed into."""
    assert set(ENCODED) == VIDEO_CODECS
    assert {ext for _, ext in CASES} == set(VIDEO_DEMUXERS)
    assert not set(SOME_BROWSERS) & VIDEO_CODECS


@pytest.mark.parametrize("codec,ext", CASES, ids=[_key(c, e) for c, e in CASES])
def test_each_codec_the_site_plays_plays_in_chromium(codec, ext, codec_site, site_browser):
    site, warnings, made = codec_site
    key = _key(codec, ext)
    if key not in made:
        pytest.skip(f"this PyAV's FFmpeg has no {ENCODED[codec][0]} encoder")
    assert not [w for w in warnings if f"media {key} " in w], warnings
    page = site_browser.open(site / "runs/im/index.html")
    _panel(page, key)
    video = f".rgp-panel[id='{_panel_id(page, key)}'] video"
    page.evaluate(f"document.querySelector({video!r}).play()")  # (muted: no gesture needed)
    page.wait_for_function(f"(v => v.readyState >= 2 && v.currentTime > 0.25)(document.querySelector({video!r}))",
                           timeout=15_000)
    state = page.evaluate(f"(v => ({{error: v.error && v.error.code, width: v.videoWidth, "
                          f"fallback: !!document.querySelector('.rg-noplay')}}))(document.querySelector({video!r}))")
    assert state == {"error": None, "width": 64, "fallback": False}, (key, state)


def test_a_codec_only_some_browsers_play_is_shown_with_the_file_where_it_does_not_play(tmp_path, site_browser):
    """HEVC was on the list of codecs the browser plays, but this Chromium does not play it
    (MEDIA_ERR_SRC_NOT_SUPPORTED, canPlayType ''): the page had a black player that never played. Safari
    plays it, and Chrome or Edge with a hardware decoder, so it is shown: the build says not every
    browser plays it, and where the browser does not (its error event), the page puts a note in the
    player's place naming the codec, with a link to the file. The same in a report. (Theora, which
    Chromium dropped, goes the same way: no encoder here to make one, its canPlayType is checked.)"""
    hevc = _encoded("libx265", "mp4")
    (tmp_path / "clip.mp4").write_bytes(hevc)
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"hevc": reportgen.Video(str(tmp_path / "clip.mp4"), caption="from an iPhone"),
             "h264": reportgen.Video(np.full((8, 3, 64, 64), 90, np.uint8), fps=4, format="mp4")}, step=0)
    run.finish()
    row = _history(runs)
    (runs / "reports").mkdir()
    (runs / "reports/r.md").write_text('{{< media key="hevc" >}}\n\n{{< media key="h264" >}}\n')
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert warnings == ["run im: media hevc (step 0): HEVC video, which not every browser plays (Chromium does "
                        "not); where it does not play, the page says so and links the file"], warnings
    published = site / "media/im" / row["hevc"]["path"].removeprefix("media/")
    assert published.read_bytes() == hevc
    page = site_browser.open(site / "runs/im/index.html")
    assert _plays(page, hevc) == "error 4"  # (Chromium's rule, on the bytes: were it to play them, move HEVC)
    assert page.evaluate("""() => { const v = document.createElement('video');
        return ['video/mp4; codecs="hvc1.1.6.L93.B0"', 'video/ogg; codecs="theora"'].map(t => v.canPlayType(t)); }""") \
        == ["", ""]
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        panel = _panel(page, "hevc")
        note = panel.locator(".rg-noplay")
        note.wait_for(timeout=15_000)
        assert note.inner_text() == f"This browser does not play HEVC video: download the file ({published.name})"
        assert note.locator("a").evaluate("a => a.href") == published.as_uri()
        assert panel.locator("video").is_hidden() and panel.locator(".rgp-caption").inner_text() == "from an iPhone"
        box = note.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box  # (within the page at 390 px)
        assert _panel(page, "h264").locator(".rg-noplay").count() == 0
        page.screenshot(path=str(tmp_path / f"hevc-run-{width}.png"), full_page=True)
    report = site_browser.open(site / "reports/r.html")
    for width in (1440, 390):
        report.set_viewport_size({"width": width, "height": 900})
        note = report.locator(".rg-media-item[data-kind='video'] .rg-noplay")
        note.wait_for(timeout=15_000)
        assert note.count() == 1 and note.locator("a").evaluate("a => a.href") == published.as_uri()
        assert note.inner_text().startswith("This browser does not play HEVC video: download the file")
        report.screenshot(path=str(tmp_path / f"hevc-report-{width}.png"), full_page=True)
