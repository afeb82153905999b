"""Audio and video files are opened once, as regular files checked on the open descriptor, and read
from that descriptor: a regular-file check followed by ``open()`` of the path (and, for audio, a
probe opening it again) left a window where the path could be swapped for a link or a named pipe.
Opens are counted by the kernel (inotify), imports run as real subprocesses."""
from __future__ import annotations

import json
import os
import wave

import numpy as np
import pytest
from PIL import Image

from inotify_opens import Opens, available
from test_security_importers_hostile import _import, _runs, _w, _wandb_run

pytestmark = pytest.mark.skipif(not available() or not hasattr(os, "mkfifo"), reason="inotify, named pipes: Linux")


def _wav(path, tone: float) -> bytes:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(np.arange(800) * tone) * 10000).astype("<i2").tobytes())
    return path.read_bytes()


def _gif(path) -> bytes:
    frames = [Image.new("RGB", (8, 8), (i * 60, 0, 0)) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=250)
    return path.read_bytes()


def test_logged_audio_and_video_files_are_opened_once(tmp_path):
    from reportgen.media.audio import Audio
    from reportgen.media.video import Video

    wav, gif = tmp_path / "a.wav", tmp_path / "v.gif"
    wav_bytes, gif_bytes = _wav(wav, 0.1), _gif(gif)
    with Opens(wav, gif) as opens:
        a, v = Audio(wav), Video(gif)
        assert opens.counts() == {wav: 1, gif: 1}  # (the WAV was opened twice: probed, then read)
    assert (a._bytes, a.sample_rate, a.channels, a.duration) == (wav_bytes, 8000, 1, 0.1)
    assert v._bytes == gif_bytes and v.format == "gif"
    # a link in the path is the user's own (a DVC cache links its files): followed before the one open
    (tmp_path / "link.wav").symlink_to(wav)
    assert Audio(tmp_path / "link.wav")._bytes == wav_bytes
    # a named pipe under a media name: refused as what it is, at once (no writer: never blocks)
    for name, cls in (("p.wav", Audio), ("p.mp4", Video)):
        os.mkfifo(tmp_path / name)
        with pytest.raises(ValueError, match=r"is not a regular (audio|video) file \(a pipe"):
            cls(tmp_path / name)


def test_an_open_audio_file_is_read_from_its_descriptor(tmp_path):
    """What an importer passes on: the file it opened and checked. The path swapped for another file
    after the open changes nothing (the audio given as a file object raised TypeError)."""
    from reportgen.media.audio import Audio

    wav = tmp_path / "a.wav"
    first = _wav(wav, 0.1)
    with open(wav, "rb") as fh:
        _wav(tmp_path / "other.wav", 0.3)
        os.replace(tmp_path / "other.wav", wav)
        a = Audio(fh, caption="clip")
    assert a._bytes == first and a.format == "wav" and a.sample_rate == 8000


def test_imported_audio_and_video_files_are_opened_once(tmp_path):
    """A wandb run's audio and video files: resolved inside files/ and checked, then opened once
    without following a link (``O_NOFOLLOW``) and checked on the descriptor; the media object reads
    that file object (the audio file was opened twice more by the media object, by path)."""
    src = tmp_path / "src"
    rec = {"snd": json.dumps({"_type": "audio-file", "path": "media/a.wav"}),
           "clip": json.dumps({"_type": "video-file", "path": "media/v.gif"})}
    run = _wandb_run(src, [_w("history", 0, loss=1.0, **rec), _w("exit")])
    (run / "files/media").mkdir()
    wav_bytes, gif_bytes = _wav(run / "files/media/a.wav", 0.1), _gif(run / "files/media/v.gif")
    out = tmp_path / "runs"
    with Opens(run / "files/media/a.wav", run / "files/media/v.gif") as opens:
        proc = _import("wandb", src, out)
        assert list(opens.counts().values()) == [1, 1], proc.stderr
    (row,) = _runs(out)["wandb-abc"].history
    assert row["snd"]["_type"] == "audio" and row["snd"]["sample_rate"] == 8000
    assert (out / "wandb-abc" / row["snd"]["path"]).read_bytes() == wav_bytes
    assert (out / "wandb-abc" / row["clip"]["path"]).read_bytes() == gif_bytes
