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
        fh.write(b"\0\0\0\x18ftypmp42" + os.urandom(4096))
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


def test_a_wav_claiming_hours_draws_no_waveform_in_bounded_memory(tmp_path):
    """A WAV whose header and (sparse) data claim 3 GB of samples was read whole for its waveform:
    12 GB of float samples, MemoryError under a 6 GiB limit, and the audio item was lost with it.
    Now a WAV is read a piece at a time like compressed audio, and past 512 Mi samples it gets no
    waveform (a warning says so) while its player is still built."""
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
    assert "media s (step 0): no waveform: longer than 536,870,912 samples" in proc.stderr, proc.stderr
    assert list(site.rglob("s*.wav")) and "could not show audio" not in proc.stderr
