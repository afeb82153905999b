"""A WAV's waveform is drawn for any length a WAV holds (its data chunk's size is 32 bits: 4 GiB), in
one pass a piece at a time, in bounded memory and in the time of its data (a hole of a sparse file is
silence, jumped): a stereo WAV longer than 93 minutes at 48 kHz got none ("longer than 536,870,912
samples": the bound counted the samples of every channel). Real files: sparse ones of a few MB of
real sound under 100 minutes or 4 GiB of header, and dense ones of every sample format."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import reportgen
from peakmem import cli_peak
from reportgen.media import wavfile
from reportgen.site.panels import waveform
from test_media_not_shown import _history, _panel
from test_media_playable import _media_state, _panel_id, _playing
from test_media_quicktime_wav import _drawn_columns, wav

RATE = 48000
BURSTS = (0.25, 0.5, 0.999)  # where a sparse file's sound is, as a fraction of its length


def _sparse_wav(path: Path, frames: int, channels: int = 2, data_size: int | None = None) -> list[int]:
    """A 16-bit WAV of ``frames`` frames at 48 kHz, holes but for two seconds of a loud tone at each of
    :data:`BURSTS` (the last one ends the file); the columns of :data:`waveform.WIDTH` they fall in."""
    frame = 2 * channels
    head = wav(1, channels, 16, b"", rate=RATE, data_size=frames * frame if data_size is None else data_size)
    tone = (0.9 * 32767 * np.sin(2 * np.pi * 440 * np.arange(2 * RATE) / RATE)).astype("<i2")
    burst = np.repeat(tone, channels).tobytes()
    with open(path, "wb") as fh:
        fh.write(head)
        for at in BURSTS:
            start = min(int(at * frames), frames - 2 * RATE)
            fh.seek(len(head) + start * frame)
            fh.write(burst)
        fh.truncate(len(head) + frames * frame)
    return sorted({min(int(at * frames), frames - 2 * RATE) * waveform.WIDTH // frames for at in BURSTS})


def _read_bytes() -> int:
    """Bytes this process has read so far (read(2) and the like: /proc/self/io rchar)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def _columns(png: Path) -> list[int]:
    from PIL import Image

    a = np.asarray(Image.open(png).convert("RGBA"))
    blue = (a[..., 2] > 150) & (a[..., 0] < 120) & (a[..., 3] > 0)
    return np.flatnonzero(blue.sum(axis=0) > 3).tolist()


def test_a_stereo_wav_longer_than_93_minutes_gets_its_waveform(tmp_path, site_browser):
    """100 minutes of 48 kHz stereo (1.15 GB, sparse: three bursts of a tone, the last at the very end)
    had no waveform: "no waveform: longer than 536,870,912 samples", after reading the gigabyte of
    holes as samples. Built by the real CLI in a subprocess: the waveform draws the three bursts where
    they are (the last column too) and nothing else, the build's peak memory is that of a build of a
    one-second WAV give or take 64 MB, and the page plays it, at 1440 and 390 px."""
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"long": reportgen.Audio(np.zeros(RATE, np.float32), sample_rate=RATE),
             "short": reportgen.Audio(np.zeros(RATE, np.float32), sample_rate=RATE)}, step=0)
    run.finish()
    row = _history(runs)
    frames = 100 * 60 * RATE
    assert frames * 2 > waveform.MAX_DECODED  # (past the old bound)
    site = tmp_path / "site"
    _, base = cli_peak("build", runs, "-o", tmp_path / "base", "--cache-dir", tmp_path / "cache0")
    cols = _sparse_wav(runs / "im" / row["long"]["path"], frames)
    proc, peak = cli_peak("build", runs, "-o", site, "--cache-dir", tmp_path / "cache")
    assert "run im: media " not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert peak - base < 64 << 20, (peak, base)
    png = site / "media/im" / (row["long"]["path"].removeprefix("media/").rsplit(".", 1)[0] + "_wave.png")
    drawn = _columns(png)
    assert drawn and all(any(abs(x - c) <= 1 for c in cols) for x in drawn), (drawn, cols)
    assert {c for c in cols if any(abs(x - c) <= 1 for x in drawn)} == set(cols) and waveform.WIDTH - 1 in drawn
    page = site_browser.open(site / "runs/im/index.html")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        panel = _panel(page, "long")
        assert panel.locator(".rgp-wave").count() == 1
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=panel.locator(".rgp-wave").element_handle())
        state = _media_state(page, f".rgp-panel[id='{_panel_id(page, 'long')}']", "audio")
        assert _playing(state) and abs(state[0]["duration"] - 6000) < 1, state
        page.screenshot(path=str(tmp_path / f"long-{width}.png"), full_page=True)


def test_a_wav_of_4_gib_of_holes_is_drawn_in_the_time_of_its_data(tmp_path):
    """A header may claim 4 GiB (the most a WAV holds): the waveform reads its data, not its holes
    (bytes read, as the kernel counts them, under 1% of its size), and draws the bursts."""
    path = tmp_path / "big.wav"
    frames = ((4 << 30) - 64) // 4
    cols = _sparse_wav(path, frames, data_size=0xFFFFFFFC)
    assert path.stat().st_size > (4 << 30) - 100
    before = _read_bytes()
    waveform.render_waveform(path, tmp_path / "big.png")
    assert _read_bytes() - before < path.stat().st_size // 100
    drawn = _columns(tmp_path / "big.png")
    assert drawn and {c for c in cols if any(abs(x - c) <= 1 for x in drawn)} == set(cols), (drawn, cols)


FORMATS = {  # name: (format tag, bits, the samples of a tone in [-1, 1] as that format's bytes)
    "u8": (1, 8, lambda x: np.round(x * 127 + 128).astype("u1").tobytes()),
    "s16": (1, 16, lambda x: np.round(x * 32767).astype("<i2").tobytes()),
    "s24": (1, 24, lambda x: np.round(x * 8388607).astype("<i4").view("u1").reshape(-1, 4)[:, :3].tobytes()),
    "s32": (1, 32, lambda x: np.round(x * 2147483647).astype("<i4").tobytes()),
    "f32": (3, 32, lambda x: x.astype("<f4").tobytes()),
    "mulaw": (7, 8, lambda x: np.frombuffer(np.random.default_rng(2).bytes(x.size), "u1").tobytes()),
}


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("channels", [1, 2, 6, 40])
def test_the_waveform_read_in_pieces_is_the_one_of_every_sample(tmp_path, name, channels):
    """The waveform reduced a piece at a time, channels summed as integers and holes jumped, equals
    :func:`waveform.envelope` of every sample mixed down (wavfile.mono of the whole data, the holes'
    zero bytes read): a hole is each format's silence (128 for 8-bit PCM, a G.711 byte 0 is not 0)."""
    tag, bits, encode = FORMATS[name]
    rng = np.random.default_rng(channels)
    n = 300_000
    x = np.clip(rng.standard_normal((n, channels)) * 0.3 + np.linspace(-0.5, 0.5, n)[:, None], -1, 1).ravel()
    data = bytearray(encode(x))
    frame = channels * bits // 8
    head = wav(tag, channels, bits, b"", rate=RATE, data_size=len(data))
    path = tmp_path / f"{name}.wav"
    with open(path, "wb") as fh:  # the middle third a hole (zero bytes, not written)
        third = len(data) // 3 // 4096 * 4096
        fh.write(head + data[:third])
        fh.seek(len(head) + 2 * third)
        fh.write(data[2 * third:])
    data[third:2 * third] = bytes(third)
    every = wavfile.mono(bytes(data[:len(data) // frame * frame]), wavfile.samples_header(open(path, "rb")))
    want_lo, want_hi = waveform.envelope(every, waveform.WIDTH)
    lo, hi, peak = waveform.audio_envelope(path, waveform.WIDTH)
    np.testing.assert_array_equal(lo, want_lo)
    np.testing.assert_array_equal(hi, want_hi)
    assert peak == np.abs(every).max()


def test_the_waveform_of_a_long_dense_wav_holds_a_piece_at_a_time(tmp_path):
    """Memory: a dense 96 MB stereo WAV (17 minutes at 48 kHz) is drawn holding a piece at a time
    (numpy's allocations, as tracemalloc counts them, under 16 MB at their peak)."""
    path = tmp_path / "dense.wav"
    frames = 24_000_000
    with open(path, "wb") as fh:
        fh.write(wav(1, 2, 16, b"", rate=RATE, data_size=frames * 4))
        rng = np.random.default_rng(0)
        for _ in range(frames // 1_000_000):
            fh.write(rng.integers(-20000, 20000, 2_000_000, dtype=np.int16).tobytes())
    tracemalloc.start()
    try:
        waveform.render_waveform(path, tmp_path / "dense.png")
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert top < 16 << 20, top
    assert _drawn_columns(tmp_path / "dense.png") == waveform.WIDTH
