"""Audio clips, stored as WAV written with the standard library's ``wave`` module.

Arrays are ``(samples,)`` mono or ``(samples, channels)``; a ``(channels, samples)``
array (as torchaudio returns) is recognised when its first axis has at most 8
entries and is the shorter one. Floats are taken in [-1, 1] (clipped) and become
16-bit PCM; int16 is stored as is. A WAV path is copied; other audio files
(mp3, ogg, flac, m4a) are copied as they are. ``Audio("https://...")`` is a
reference: nothing is fetched; the site shows the URL as a link.
"""
from __future__ import annotations

import io
import os
import wave
from typing import Any

import numpy as np

from ..storage import kinds
from . import wavfile
from .base import Media, MediaContext, check_caption, extension, read_once, to_numpy
from .image import is_reference, reference_format

COPY_FORMATS = ("wav", "mp3", "ogg", "flac", "m4a", "aac", "opus")


def to_frames(arr: np.ndarray) -> np.ndarray:
    """Return ``(samples, channels)`` int16 from a mono or multi-channel array."""
    if arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim == 2:
        if arr.shape[0] <= 8 and arr.shape[0] < arr.shape[1]:
            arr = arr.T  # (channels, samples)
    else:
        raise ValueError(f"data_or_path: expected (samples,) or (samples, channels), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError("data_or_path: the audio clip has no samples")
    if arr.dtype == np.int16:
        return np.ascontiguousarray(arr)
    if np.issubdtype(arr.dtype, np.floating):
        a = np.nan_to_num(arr.astype(np.float64), nan=0.0)
        return np.rint(np.clip(a, -1.0, 1.0) * 32767.0).astype(np.int16)
    if np.issubdtype(arr.dtype, np.integer):
        lo, hi = int(arr.min()), int(arr.max())
        if lo < -32768 or hi > 32767:
            raise ValueError(f"data_or_path: integer samples must fit int16, got {lo}..{hi}; "
                             "pass floats in [-1, 1] instead")
        return arr.astype(np.int16)
    raise TypeError(f"data_or_path: expected float or int16 samples, got dtype {arr.dtype}")


def wav_bytes(frames: np.ndarray, sample_rate: int) -> bytes:
    """Encode ``(samples, channels)`` int16 as a PCM WAV file (channels interleaved)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(int(frames.shape[1]))
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(frames.astype("<i2").tobytes())  # row-major: samples interleaved by channel
    return buf.getvalue()


def _probe(data: bytes, ext: str, name: str) -> tuple[int | None, int | None, float | None]:
    """(sample rate, channels, duration) of an audio file's bytes (read once: ``read_once``)."""
    if ext == "wav":  # (any format: float, mu-law... as wandb takes them; wave read integer PCM alone)
        try:
            head = wavfile.read_header(io.BytesIO(data))
        except wavfile.NotSamples as exc:
            raise ValueError(f"data_or_path: {name!r} is not a readable WAV file ({exc})") from None
        timed = head.format in (wavfile.PCM, wavfile.FLOAT, wavfile.ALAW, wavfile.MULAW) and head.width
        n = min(head.size, len(data) - head.offset) // head.frame if timed else None
        return head.rate, head.channels, n / head.rate if n is not None else None
    from .avsafe import number, open_media

    try:
        with open_media(data, ext) as c:  # (as the extension says, bounded: a concat script naming a pipe hung)
            s = c.streams.audio[0]
            rate, channels = number(s.rate, 10_000_000), number(s.channels, 255)
            dur = number(c.duration / 1_000_000, 1e9) if c.duration else None
            return (int(rate) if rate else None), (int(channels) if channels else None), dur
    except Exception:  # noqa: BLE001 - no PyAV, not readable: the file is kept as it is, unprobed
        return None, None, None


class Audio(Media):
    TYPE = kinds.AUDIO
    MAX_PER_STEP = 100

    def __init__(self, data_or_path: Any, sample_rate: int | None = None, caption: str | None = None):
        self.caption = check_caption(caption)
        if sample_rate is not None and (isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer))
                                        or sample_rate <= 0):
            raise ValueError(f"sample_rate: expected a positive integer (Hz), got {sample_rate!r}")
        if is_reference(data_or_path):  # a URL: kept as a reference, never fetched
            self.url, self._bytes = data_or_path, None
            self.format = reference_format(data_or_path)
            self.sample_rate = int(sample_rate) if sample_rate else None
            self.channels = self.duration = None
            return
        self.url = None
        if isinstance(data_or_path, (str, os.PathLike)) or hasattr(data_or_path, "read"):
            # a path, or a binary file opened already (an importer's): read once, probed from the bytes
            name = os.fspath(data_or_path) if isinstance(data_or_path, (str, os.PathLike)) \
                else str(getattr(data_or_path, "name", ""))
            self.format = extension(name)
            if self.format not in COPY_FORMATS:
                raise ValueError(f"data_or_path: unsupported audio file {name!r}; expected one of {', '.join(COPY_FORMATS)}")
            data, _name = read_once(data_or_path, "data_or_path", "audio")
            if not isinstance(data, bytes):
                raise TypeError(f"data_or_path: the file object returned {type(data).__name__}, expected bytes "
                                "(open it in binary mode)")
            rate, self.channels, self.duration = _probe(data, self.format, name)
            self.sample_rate = rate if rate is not None else (int(sample_rate) if sample_rate else None)
            self._bytes = data
            return
        arr = to_numpy(data_or_path)
        if arr is None:
            if not isinstance(data_or_path, (list, tuple)):
                raise TypeError(f"data_or_path: expected a numpy array, a tensor or a path, "
                                f"got {type(data_or_path).__name__}")
            arr = np.asarray(data_or_path)
        if sample_rate is None:
            raise ValueError("sample_rate: required when logging an array of samples (e.g. sample_rate=16000)")
        frames = to_frames(arr)
        self.format = "wav"
        self.sample_rate = int(sample_rate)
        self.channels = int(frames.shape[1])
        self.duration = frames.shape[0] / self.sample_rate
        self._bytes = wav_bytes(frames, self.sample_rate)

    @classmethod
    def durations(cls, audio_list: Any) -> list[float | None]:
        """Durations in seconds (None where unknown), as ``wandb.Audio.durations``."""
        return [a.duration for a in audio_list]

    @classmethod
    def sample_rates(cls, audio_list: Any) -> list[int | None]:
        """Sample rates in Hz, as ``wandb.Audio.sample_rates``."""
        return [a.sample_rate for a in audio_list]

    @classmethod
    def captions(cls, audio_list: Any) -> list[str] | bool:
        """Captions (``""`` for none), or False when no clip has one, as ``wandb.Audio.captions``."""
        caps = [a.caption for a in audio_list]
        return False if all(c is None for c in caps) else ["" if c is None else c for c in caps]

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        if self._bytes is None:
            record = {"_type": self.TYPE, "url": self.url, "format": self.format, "sample_rate": self.sample_rate}
            if self.caption is not None:
                record["caption"] = self.caption
            return record
        record: dict[str, Any] = {
            "_type": self.TYPE,
            "path": ctx.write_bytes("audio", self.format, self._bytes),
            "format": self.format,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "duration": self.duration,
        }
        if self.caption is not None:
            record["caption"] = self.caption
        return record

    def __repr__(self) -> str:
        if self.url is not None:
            return f"<Audio {self.url}>"
        return f"<Audio {self.format} {self.sample_rate} Hz x{self.channels}>"
