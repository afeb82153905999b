"""Multichannel Ogg Vorbis, and surround in the other compressed formats: the audio check reads the
channels from the stream header (PyAV) for every non-WAV file, tested until now with Opus and PCM
only. Real files: Vorbis of 6, 33 and 40 channels (libvorbisenc: FFmpeg's own encoder takes 2), 5.1
Opus, FLAC and AAC; each file's bytes played by Chromium, the verdicts of a real build, the page at
1440 and 390 px."""
from __future__ import annotations

import io

import numpy as np
import pytest

from reportgen.site.panels.playable import check_audio
from test_media_formats_channels import _media, _run_with
from test_media_not_shown import _build, _panel
from test_media_playable import _media_state, _panel_id, _playing, _plays
from vorbisenc import _libs, vorbis_ogg

av = pytest.importorskip("av")
if _libs() is None:
    pytest.skip("no libvorbisenc on this machine (Debian: libvorbisenc2)", allow_module_level=True)

RATE = 48000


def _vorbis(channels: int) -> bytes:
    """A second of a 440 Hz tone in ``channels`` channels, each half as loud as the one before it
    (the waveform mixes them down: not silence)."""
    t = np.arange(RATE) / RATE
    return vorbis_ogg(np.stack([0.8 * 0.5 ** (k % 4) * np.sin(2 * np.pi * 440 * t) for k in range(channels)], 1),
                      RATE)


def _aac_51() -> bytes:
    """A second of a tone in 5.1 AAC (an .m4a): FFmpeg's AAC encoder takes a named layout."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="ipod") as c:
        a = c.add_stream("aac", rate=RATE, layout="5.1")
        frame = av.AudioFrame(format="flt", layout="5.1", samples=RATE)
        frame.planes[0].update(np.repeat((0.5 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)).astype(np.float32),
                                         6).tobytes())
        frame.sample_rate = RATE
        for part in [*av.AudioResampler(format=a.codec_context.format.name, layout="5.1", rate=RATE).resample(frame),
                     None]:
            for pkt in a.encode(part):
                c.mux(pkt)
    return buf.getvalue()


def test_multichannel_vorbis_and_surround_are_judged_by_their_channels(tmp_path, site_browser):
    """Vorbis of 6 channels plays in Chromium and is shown with its waveform, as are 5.1 Opus, FLAC
    and AAC; Vorbis of 33 or 40 channels does not play (MEDIA_ERR_SRC_NOT_SUPPORTED, the bytes
    checked) and is "could not show audio: 40 channels, more than browsers play (32)", named in the
    build's warnings and not published, in an .ogg, an .oga, and in a .wav holding its bytes."""
    played = {"vorbis6": ("ogg", _vorbis(6)), "vorbis6_oga": ("oga", _vorbis(6)),
              "opus6": ("opus", _media("ogg", "libopus", 6)), "flac6": ("flac", _media("flac", "flac", 6)),
              "aac51": ("m4a", _aac_51())}
    refused = {"vorbis33": ("ogg", _vorbis(33), 33), "vorbis40": ("ogg", _vorbis(40), 40),
               "vorbis40_wav": ("wav", _vorbis(40), 40)}
    for ext, data, n in refused.values():  # (a .wav of other bytes: judged as its waveform is made, below)
        if ext == "wav":
            continue
        (tmp_path / f"x.{ext}").write_bytes(data)
        with pytest.raises(ValueError, match=f"^{n} channels, more than browsers play \\(32\\)$"):
            check_audio(tmp_path / f"x.{ext}")
    (tmp_path / "six.ogg").write_bytes(played["vorbis6"][1])
    assert check_audio(tmp_path / "six.ogg") is None
    runs = tmp_path / "runs"
    row = _run_with(runs, {}, {**played, **{k: (ext, data) for k, (ext, data, _) in refused.items()}})
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert sorted(warnings) == sorted(f"run im: media {k} (step 0): could not show audio: ValueError: {n} channels, "
                                      "more than browsers play (32)" for k, (_, _, n) in refused.items()), warnings
    published = {p.name for p in (site / "media/im").rglob("*.*")}
    assert not {row[k]["path"].rsplit("/", 1)[1] for k in refused} & published
    page = site_browser.open(site / "runs/im/index.html")
    mime = {"ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg", "flac": "audio/flac", "m4a": "audio/mp4",
            "wav": "audio/wav"}
    assert {k: _plays(page, data, "audio", mime[ext]) for k, (ext, data, *_) in {**played, **refused}.items()} == \
        {**{k: "plays" for k in played}, **{k: "error 4" for k in refused}}  # (Chromium's rule, on the bytes)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for key in played:
            panel = _panel(page, key)
            assert panel.locator(".rgp-wave").count() == 1, key
            assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, key)}']", "audio")), key
        for key, (_, _, n) in refused.items():
            assert _panel(page, key).locator(".rgp-missing").inner_text() == \
                f"could not show audio: {n} channels, more than browsers play (32)", key
        page.screenshot(path=str(tmp_path / f"vorbis-{width}.png"), full_page=True)
