"""Media a run page shows by what the browser really does with them (checked in Chromium here): a
QuickTime ``.mov`` of H.264 plays (published as ``.mov.mp4``), one of ProRes or Motion JPEG does not;
a WAV of 32-bit float samples, plain or WAVE_FORMAT_EXTENSIBLE (and 24-bit PCM as FFmpeg writes it),
gets its waveform, as does one of mu-law or A-law samples (G.711); 64-bit float is "could not show". WAV headers that
lie (sizes, channels, chunks) never crash or hang the build. Real run folders, real builds, the pages
in Chromium."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

import reportgen
from panels_fixtures import audio_bytes
from reportgen.media import wavfile
from reportgen.site.panels import waveform
from test_media_not_shown import _build, _history, _panel
from test_media_playable import _media_state, _panel_id, _playing, _plays, _video

pytest.importorskip("av")

_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"  # KSDATAFORMAT_SUBTYPE_*, after its format


def wav(tag: int, channels: int, bits: int, data: bytes, rate: int = 8000, extensible: bool = False,
        data_size: int | None = None, before: bytes = b"") -> bytes:
    """A RIFF WAVE file as a recorder writes it (``fmt `` of format ``tag``, plain or extensible; ``fact``
    for float; then ``before`` and ``data``), its data chunk claiming ``data_size`` bytes when given."""
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * align & 0xFFFFFFFF, align & 0xFFFF,
                      bits)
    fmt += struct.pack("<HHIH", 22, bits, 0, tag) + _GUID_TAIL if extensible else b"" if tag == 1 else b"\0\0"
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if tag == 3:
        body += b"fact" + struct.pack("<II", 4, len(data) // max(align, 1))
    body += before + b"data" + struct.pack("<I", len(data) if data_size is None else data_size) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _tone(channels: int = 1, n: int = 8000) -> np.ndarray:
    """A 440 Hz tone fading out, (n, channels) in [-0.8, 0.8]; half as loud in odd channels."""
    t = np.arange(n) / 8000
    mono = 0.8 * np.sin(2 * np.pi * 440 * t) * np.linspace(1, 0.1, n)
    return np.stack([mono * (0.5 if k % 2 else 1.0) for k in range(channels)], 1)


def _drawn_columns(png: Path) -> int:
    """Columns of a waveform image that draw more than its middle line (a flat waveform: none)."""
    from PIL import Image

    a = np.asarray(Image.open(png).convert("RGBA"))
    blue = (a[..., 2] > 150) & (a[..., 0] < 120) & (a[..., 3] > 0)
    return int((blue.sum(axis=0) > 3).sum())


def _write_history(runs: Path, row: dict) -> None:
    (runs / "im/history.jsonl").write_text(json.dumps(row) + "\n")


def test_a_quicktime_video_is_shown_when_the_browser_plays_its_codec(tmp_path, site_browser):
    """A .mov (QuickTime) video was always "could not show video: .mov files are not read": the video
    check opened only the extensions the SDK writes, though Chromium plays an H.264 .mov by its content
    (checked below: the same bytes play; ProRes and Motion JPEG do not: MEDIA_ERR_SRC_NOT_SUPPORTED).
    A .mov is now opened as QuickTime and judged by its codec like an mp4; one the page plays is
    published as ``<name>.mov.mp4`` (Chromium denies the type video/quicktime, which servers give .mov),
    and plays on the page, its PCM sound track or not; ProRes and Motion JPEG are "could not show
    video", naming the codec. (The SDK, like wandb, takes gif, mp4, webm and ogg: these records are
    those of a run folder another tool wrote.)"""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    keys = {"h264": ("libx264", "yuv420p", None), "h264_pcm": ("libx264", "yuv420p", "pcm_s16be"),
            "prores": ("prores_ks", "yuv422p10le", None), "mjpeg": ("mjpeg", "yuvj420p", None)}
    run.log({k: reportgen.Video(np.full((4, 3, 16, 16), 9, np.uint8), fps=4, format="mp4") for k in keys}, step=0)
    run.finish()
    row = _history(runs)
    movs = {}
    for key, (codec, pix, audio) in keys.items():
        (runs / "im" / row[key]["path"]).unlink()
        row[key] = {**row[key], "path": row[key]["path"].rsplit(".", 1)[0] + ".mov", "format": "mov"}
        movs[key] = _video(codec, "mov", pix, audio)
        (runs / "im" / row[key]["path"]).write_bytes(movs[key])
    _write_history(runs, row)
    site = tmp_path / "site"
    warnings = _build(runs, site)
    assert warnings == ["run im: media mjpeg (step 0): could not show video: ValueError: mjpeg video, which "
                        "browsers do not play",
                        "run im: media prores (step 0): could not show video: ValueError: prores video, which "
                        "browsers do not play"], warnings
    published = {p.relative_to(site / "media/im").as_posix(): p.read_bytes() for p in (site / "media/im").rglob("*.*")
                 if p.parent.name != "data"}
    assert published == {row[k]["path"].removeprefix("media/") + ".mp4": movs[k] for k in ("h264", "h264_pcm")}
    page = site_browser.open(site / "runs/im/index.html")
    assert page.evaluate("document.createElement('video').canPlayType('video/quicktime')") == ""
    assert [_plays(page, movs[k]) for k in keys] == ["plays", "plays", "error 4", "error 4"]  # (Chromium's rule)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for key in ("h264", "h264_pcm"):
            _panel(page, key)
            assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, key)}']", "video")), (key, width)
        assert _panel(page, "prores").locator(".rgp-missing").inner_text() == \
            "could not show video: prores video, which browsers do not play"
        assert _panel(page, "mjpeg").locator(".rgp-missing").inner_text() == \
            "could not show video: mjpeg video, which browsers do not play"
        page.screenshot(path=str(tmp_path / f"mov-{width}.png"), full_page=True)
    assert _build(runs, site) == warnings  # (a rebuild keeps its copy)
    assert {p.name for p in (site / "media/im").rglob("*.mp4")} == {Path(row[k]["path"]).name + ".mp4"
                                                                      for k in ("h264", "h264_pcm")}


def _float_wavs() -> dict[str, tuple[bytes, str]]:
    """key: (a .wav's bytes, what the run page shows: "waveform", "player" (no waveform) or its text)."""
    mono, stereo = _tone(1), _tone(2)
    return {
        "f32": (wav(3, 1, 32, mono.astype("<f4").tobytes()), "waveform"),
        "f32_ext": (wav(3, 2, 32, stereo.astype("<f4").tobytes(), extensible=True), "waveform"),
        "s16_ext": (wav(1, 2, 16, (stereo * 32767).astype("<i2").tobytes(), extensible=True), "waveform"),
        "s24_ffmpeg": (audio_bytes("wav", "pcm_s24le"), "waveform"),  # (FFmpeg writes it extensible)
        "mulaw": (audio_bytes("wav", "pcm_mulaw"), "waveform"),
        "alaw": (audio_bytes("wav", "pcm_alaw"), "waveform"),
        "f64": (wav(3, 1, 64, mono.astype("<f8").tobytes()),
                "could not show audio: pcm_f64le audio, which browsers do not play"),
    }


def test_a_float_wav_gets_its_waveform(tmp_path, site_browser):
    """A WAV of 32-bit float samples (format 3, what soundfile and torchaudio write for float data)
    was refused by ``reportgen.Audio(path)`` ("not a readable WAV file (unknown format: 3)") and, put
    in a run folder, shown without a waveform, as was a WAVE_FORMAT_EXTENSIBLE one (FFmpeg's 24-bit
    PCM): Python's wave reads format 1 alone. Their samples are now read with numpy (media/wavfile.py):
    the SDK logs such a file with its rate and duration, and the page shows its waveform and plays it.
    A mu-law or A-law WAV (Chromium plays it) had the player without a waveform ("no waveform: mu-law
    samples"): its bytes are decoded by G.711's table now, and its waveform drawn; 64-bit float, which
    Chromium does not play, is "could not show audio"."""
    files = _float_wavs()
    for key, (data, _) in files.items():
        (tmp_path / f"{key}.wav").write_bytes(data)
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({key: reportgen.Audio(str(tmp_path / f"{key}.wav")) for key in files}, step=0)
    run.finish()
    row = _history(runs)
    assert {k: (row[k]["sample_rate"], row[k]["duration"]) for k in ("f32", "f32_ext", "s16_ext", "f64")} == \
        {k: (8000, 1.0) for k in ("f32", "f32_ext", "s16_ext", "f64")}
    site = tmp_path / "site"
    said = {w.split(": ", 1)[1] for w in _build(runs, site)}
    assert said == {"media f64 (step 0): could not show audio: ValueError: pcm_f64le audio, which browsers do not play"}, \
        said
    page = site_browser.open(site / "runs/im/index.html")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for key, (_, shown) in files.items():
            panel = _panel(page, key)
            if shown == "waveform":
                assert panel.locator(".rgp-wave").count() == 1, key
                src = panel.locator(".rgp-wave").get_attribute("src")
                assert _drawn_columns(site / "runs/im" / src) > 500, key  # (the tone, not a flat line)
            elif shown == "player":
                assert panel.locator(".rgp-wave").count() == 0, key
            else:
                assert panel.locator(".rgp-missing").inner_text() == shown, key
                continue
            assert _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, key)}']", "audio")), (key, width)
        page.screenshot(path=str(tmp_path / f"wav-{width}.png"), full_page=True)


@pytest.mark.parametrize("codec", ["pcm_mulaw", "pcm_alaw"])
def test_g711_samples_are_decoded_as_ffmpeg_decodes_them(codec, tmp_path):
    """mu-law and A-law WAVs had no waveform (their samples were not read). Every one of the 256 byte
    values decodes to what FFmpeg's decoder makes of it, and the waveform of a tone FFmpeg encoded is
    that of the tone it decodes to (not flat, not noise)."""
    import io

    import av

    tag = {"pcm_mulaw": wavfile.MULAW, "pcm_alaw": wavfile.ALAW}[codec]
    for data in (wav(tag, 1, 8, bytes(range(256))), audio_bytes("wav", codec)):
        with av.open(io.BytesIO(data), format="wav") as c:
            theirs = np.concatenate([f.to_ndarray().ravel() for f in c.decode(audio=0)]).astype(np.float64) / 32768
        fh = io.BytesIO(data)
        head = wavfile.samples_header(fh)
        ours = np.concatenate([wavfile.mono(raw, head) for raw in wavfile.frames(fh, head)])
        theirs = theirs.reshape(-1, head.channels).mean(axis=1)  # (the tone is FFmpeg's stereo: mixed down)
        np.testing.assert_array_equal(ours, theirs)
    (tmp_path / "t.wav").write_bytes(data)
    lo, hi, peak = waveform.audio_envelope(tmp_path / "t.wav", waveform.WIDTH)
    want_lo, want_hi = waveform.envelope(theirs, waveform.WIDTH)
    np.testing.assert_allclose((lo, hi), (want_lo, want_hi))
    assert peak > 0.3 and (hi - lo > peak).sum() > 590  # (the tone, from its top to its bottom in every column)
    waveform.render_waveform(tmp_path / "t.wav", tmp_path / "t.png")
    assert _drawn_columns(tmp_path / "t.png") > 500


def _lying_wavs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name: (a .wav whose header lies, what its waveform is: "drawn" (the tone), "read" (made, whatever
    it shows) or the text of the ValueError that says why there is none)."""
    tone = _tone(2, 4000)
    f32 = tone.astype("<f4").tobytes()
    files = {
        "size_4gb": (wav(3, 2, 32, f32, data_size=0xFFFFFFFF), "drawn"),  # (read to the end of the file)
        "truncated": (wav(3, 2, 32, f32[: len(f32) // 2 + 5], data_size=len(f32)), "drawn"),  # mid-frame
        "chunk_4gb": (wav(1, 1, 16, b"", before=b"LIST" + struct.pack("<I", 0xFFFFFFF0) + b"x" * 64),
                      "no data chunk"),
        "no_channel": (wav(1, 0, 16, b"\1\2" * 100), "no channel"),
        "no_rate": (wav(1, 1, 16, b"\1\2" * 100, rate=0), "a sample rate of 0 Hz"),
        "bits_0": (wav(1, 1, 0, b"\1\2" * 100), "0-bit PCM samples"),
        "channels_65535": (wav(1, 65535, 16, (tone[:, :1] * 32767).astype("<i2").tobytes() * 50), "read"),
        "chunks_5000": (wav(1, 1, 16, b"\1\2", before=b"junk\0\0\0\0" * 5000), "no data chunk in its first 64 chunks"),
        "short_fmt": (b"RIFF\xff\xff\xff\xffWAVEfmt \x04\0\0\0\1\0\1\0data\x10\0\0\0" + bytes(16),
                      "a fmt chunk of 4 bytes (expected 16 at least)"),
        "ext_guid": (wav(3, 1, 32, f32, extensible=True).replace(_GUID_TAIL, b"?" * 14), "samples of WAVE format 0xfffe"),
        "nan": (wav(3, 1, 32, np.array([np.nan, np.inf, -np.inf, 0.5, -0.5] * 400, "<f4").tobytes()), "drawn"),
    }
    out = {}
    for name, (data, expect) in files.items():
        (tmp_path / f"{name}.wav").write_bytes(data)
        out[name] = (tmp_path / f"{name}.wav", expect)
    sparse = tmp_path / "sparse_2gb.wav"  # a header of 65,535 channels over 2 GB of holes: 15,000 frames
    with open(sparse, "wb") as fh:
        fh.write(wav(1, 65535, 16, b"", data_size=0xFFFFFFF0))
        fh.truncate(2 << 30)
    out["sparse_2gb"] = (sparse, "read")  # (its holes jumped: read in the time of its header)
    return out


def test_wav_headers_that_lie_never_crash_or_hang_the_waveform(tmp_path):
    """A WAV header is someone else's: a data chunk claiming 4 GB, samples cut mid-frame, a chunk
    claiming 4 GB before the data, no channel, no rate, 0-bit samples, 65,535 channels (a frame of
    128 KB; 2 GB of them as holes: 1 Gi samples, jumped), thousands of chunks, a fmt chunk too short, an unknown extensible
    SubFormat, NaN and infinite float samples. Each has its waveform drawn from what is there, or
    NotSamples / ValueError saying what is wrong; none raises anything else or reads past a bound."""
    for name, (path, expect) in _lying_wavs(tmp_path).items():
        dest = tmp_path / f"{name}.png"
        if expect in ("drawn", "read"):
            waveform.render_waveform(path, dest)
            assert expect == "read" or _drawn_columns(dest) > 300, name
            continue
        with pytest.raises(ValueError) as err:
            waveform.render_waveform(path, dest)
        assert str(err.value) == expect, name
        assert isinstance(err.value, wavfile.NotSamples), name


#: what the build says of each file of _lying_wavs (none: its waveform is drawn and it plays)
SAID = {
    "bits_0": "could not show audio: ValueError: audio of a codec FFmpeg does not know, which browsers do not play",
    "ext_guid": "could not show audio: ValueError: audio of a codec FFmpeg does not know, which browsers do not play",
    "channels_65535": "could not show audio: ValueError: 65,535 channels, more than browsers play (32)",
    "sparse_2gb": "could not show audio: ValueError: 65,535 channels, more than browsers play (32)",
    "no_channel": "could not show audio: ValueError: no channel, which browsers do not play",
    "chunk_4gb": "could not show audio: ValueError: not a readable .wav file (Invalid data found",
    "no_rate": "could not show audio: ValueError: not a readable .wav file (Invalid data found",
    "short_fmt": "could not show audio: ValueError: not a readable .wav file (Invalid data found",
    "chunks_5000": "no waveform: no data chunk in its first 64 chunks (the player plays its pcm_s16le audio)",
}


def test_wav_headers_that_lie_are_judged_as_chromium_plays_them(tmp_path, cli, site_browser):
    """The same files in a run folder, built by the real CLI in a subprocess: the build finishes, and
    each file is shown with its waveform, with the player alone (a warning naming its key and why), or
    is "could not show audio" naming its key, as Chromium plays it or not (checked: each file's bytes
    in an <audio>). More than 32 channels (Chromium's limit) is refused before anything is read."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    lying = _lying_wavs(tmp_path)
    run.log({name: reportgen.Audio(np.zeros(800, np.float32), sample_rate=8000) for name in lying}, step=0)
    run.finish()
    row = _history(runs)
    for name, (path, _) in lying.items():
        dest = runs / "im" / row[name]["path"]
        dest.unlink()
        path.rename(dest)
    proc = cli("build", str(runs), "-o", str(tmp_path / "site"))
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "run im: media " in line]
    assert len(lines) == len(SAID), "\n".join(lines)
    for name, said in SAID.items():
        assert any(f"run im: media {name} (step 0): {said}" in line for line in lines), (name, lines)
    page = site_browser.open(tmp_path / "site/runs/im/index.html")
    for name in lying:
        shown = _panel(page, name).locator(".rgp-missing").count() == 0
        if name in SAID and SAID[name].startswith("could not show"):
            assert not shown, name
        else:
            assert shown and _playing(_media_state(page, f".rgp-panel[id='{_panel_id(page, name)}']", "audio")), name
            assert (_panel(page, name).locator(".rgp-wave").count() == 1) == (name not in SAID), name
        if name != "sparse_2gb":
            played = _plays(page, (runs / "im" / row[name]["path"]).read_bytes(), "audio", "audio/wav")
            assert (played == "plays") == shown, (name, played)
