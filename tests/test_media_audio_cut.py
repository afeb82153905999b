"""A compressed audio file longer than the waveform decodes (waveform.MAX_DECODED samples a channel, 3
hours at 48 kHz: a few KB of FLAC can claim days of silence) had no waveform at all ("no waveform:
longer than 536,870,912 samples"), after decoding those samples twice. Its waveform is now drawn from
its first MAX_DECODED samples, laid over the length its header claims, the rest hatched and a note
saying how much is drawn. A real 4-hour FLAC logged by the SDK, built by the CLI in a subprocess, the
run page opened in Chromium."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reportgen
from test_media_not_shown import _history, _panel
from test_media_wav_long import _columns

av = pytest.importorskip("av")
from reportgen.site.panels import waveform  # noqa: E402

RATE = 48000
SECONDS = 4 * 3600
BURSTS = (0.1, 0.5, 0.95)  # where its sound is, as a fraction of its length (the last past the cut)


def _long_flac(path: Path) -> list[int]:
    """:data:`SECONDS` of mono FLAC at 48 kHz, silent but for ten seconds of a loud tone at each of
    :data:`BURSTS`; the waveform columns the bursts start in."""
    block = 10 * RATE
    zeros = np.zeros((1, block), np.int16)
    tone = (0.9 * 32767 * np.sin(2 * np.pi * 440 * np.arange(block) / RATE)).astype(np.int16)[None]
    marks = {int(b * SECONDS) // 10 for b in BURSTS}
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=RATE)
        stream.layout = "mono"
        for i in range(SECONDS // 10):
            frame = av.AudioFrame.from_ndarray(tone if i in marks else zeros, format="s16", layout="mono")
            frame.sample_rate, frame.pts = RATE, i * block
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return [m * 10 * waveform.WIDTH // SECONDS for m in sorted(marks)]


def _hatched(png: Path) -> list[int]:
    """Columns of the waveform image holding the hatching's grey (drawn past the cut)."""
    from PIL import Image

    a = np.asarray(Image.open(png).convert("RGBA")).astype(int)
    grey = (abs(a[..., 0] - 180) < 3) & (abs(a[..., 2] - 204) < 3) & (a[..., 3] > 100)
    grey[(waveform.HEIGHT - 1) // 2 - 1:(waveform.HEIGHT - 1) // 2 + 2] = False  # (not the middle line)
    return np.flatnonzero(grey.any(axis=0)).tolist()


def test_a_compressed_file_longer_than_the_decoded_samples_gets_a_partial_waveform(tmp_path, site_browser):
    flac = tmp_path / "long.flac"
    starts = _long_flac(flac)
    assert SECONDS * RATE > waveform.MAX_DECODED and flac.stat().st_size < 5 << 20
    runs, site = tmp_path / "runs", tmp_path / "site"
    run = reportgen.init(dir=runs, id="im", name="im", project="p")
    run.log({"long": reportgen.Audio(str(flac), caption="four hours")}, step=0)
    run.finish()
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site),
                           "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "no waveform" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    path = _history(runs)["long"]["path"]
    png = site / "media/im" / (path.removeprefix("media/").rsplit(".", 1)[0] + "_wave.png")
    cut = -(-waveform.WIDTH * waveform.MAX_DECODED // (SECONDS * RATE))  # (the columns decoded samples take)
    drawn, hatched = _columns(png), _hatched(png)
    # the two bursts before the cut are drawn where they are, the one past it is not; the rest is hatched
    assert drawn and all(any(0 <= x - s <= 1 for s in starts[:2]) for x in drawn), (drawn, starts)
    assert all(any(0 <= x - s <= 1 for x in drawn) for s in starts[:2]), (drawn, starts)
    assert hatched and min(hatched) >= cut and max(hatched) == waveform.WIDTH - 1, (hatched, cut)
    page = site_browser.open(site / "runs/im/index.html")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        wave = _panel(page, "long").locator(".rgp-wave")
        assert wave.count() == 1
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=wave.element_handle())
        page.screenshot(path=str(tmp_path / f"cut-{width}.png"), full_page=True)
