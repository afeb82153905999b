"""Issue 12: audio and video files of run folders and foreign sources are opened with PyAV only as the
format their extension names, bounded (reportgen.media.avsafe). Builds and imports of hostile files
run as subprocesses with a deadline, so a hang fails the test instead of holding CI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_security_builder import _run, _silent_flac
from test_security_importers_hostile import _import, _runs, _w, _wandb_run

av = pytest.importorskip("av")
pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes: POSIX")
REPO = Path(__file__).parent.parent
CONCAT = "ffconcat version 1.0\nfile {}\n"


def test_audio_that_is_a_concat_script_is_not_followed_by_the_build(tmp_path):
    """An ``x.mp3`` holding an FFmpeg concat script (FFmpeg detects formats by content) naming
    ``s.flac``, a link out of the runs root: the build decoded the outside file and published its
    waveform. Naming a pipe instead, the build hung for ever. Now the file is read only as MP3 (it
    is none): no waveform, a warning naming it, the player and the rest of the site are built."""
    _silent_flac(tmp_path / "secret.flac", 1, tone=True)
    runs = tmp_path / "runs"
    rows = [{"_step": 0, "loss": 1.0, "snd": {"_type": "audio", "path": "media/audio/x.mp3", "format": "mp3"}}]
    for folder, target in (("a", "s.flac"), ("b", "p.flac")):
        d = _run(runs, folder, rows)
        (d / "media/audio").mkdir(parents=True)
        (d / "media/audio/x.mp3").write_text(CONCAT.format(target))
    (runs / "a/media/audio/s.flac").symlink_to(tmp_path / "secret.flac")
    os.mkfifo(runs / "b/media/audio/p.flac")
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site), "--no-cache"],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not list(site.rglob("*_wave.png"))
    assert proc.stderr.count("no waveform: not a readable .mp3 file") == 2, proc.stderr
    assert (site / "runs/a/index.html").is_file() and (site / "runs/b/index.html").is_file()


def test_imported_audio_that_is_a_concat_script_naming_a_pipe(tmp_path):
    """A wandb ``audio-file`` record naming such a script, whose entry is a named pipe in ``files/``:
    probing it (sample rate, duration) blocked ``reportgen import`` for ever. Now it is not probed as
    anything but MP3; the run imports."""
    src = tmp_path / "src"
    run = _wandb_run(src, [_w("history", 0, loss=1.0, snd=json.dumps({"_type": "audio-file", "path": "a.mp3"})),
                           _w("exit")])
    (run / "files/a.mp3").write_text(CONCAT.format("p.mp3"))
    os.mkfifo(run / "files/p.mp3")
    out = tmp_path / "runs"
    _import("wandb", src, out)
    assert [r["loss"] for r in _runs(out)["wandb-abc"].history] == [1.0]


def test_video_declaring_more_streams_than_a_recorder_writes(tmp_path):
    """A 3.6 KB WebM declaring 20 video streams was probed stream by stream (FFmpeg takes 1,000 by
    default; each one analysed). Now FFmpeg reads at most 17 and a file with more than 16 is refused,
    naming the count."""
    import io

    import numpy as np

    from reportgen.media.video import Video

    buf = io.BytesIO()
    with av.open(buf, "w", format="webm") as c:
        streams = []
        for _ in range(20):
            s = c.add_stream("libvpx", rate=4)
            s.width = s.height = 16
            s.pix_fmt = "yuv420p"
            streams.append(s)
        for s in streams:
            for p in [*s.encode(av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24")),
                      *s.encode()]:
                c.mux(p)
    (tmp_path / "many.webm").write_bytes(buf.getvalue())
    with pytest.raises(ValueError, match=r"17 streams \(more than 16\); not read"):
        Video(str(tmp_path / "many.webm"))


def test_video_with_frames_larger_than_an_image_may_be(tmp_path):
    """A 100 KB MP4 of one 8200 x 4200 frame was decoded while probed (FFmpeg decodes a frame to find
    the streams: 137 MB peak here, and a header can claim 16,384 x 16,384 on every thread) and
    imported. Now decoders keep to 8192 x 4096 pixels a frame and the file is refused, naming its size."""
    from reportgen.media.video import Video

    path = tmp_path / "big.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=4, options={"preset": "ultrafast"})
        s.width, s.height, s.pix_fmt = 8200, 4200, "yuv420p"
        frame = av.VideoFrame(8200, 4200, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        for p in [*s.encode(frame), *s.encode()]:
            c.mux(p)
    with pytest.raises(ValueError, match=r"video frames of 8200 x 4200 pixels \(more than 33,554,432\); not read"):
        Video(str(path))
