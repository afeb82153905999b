"""Waveform images for audio panels, rendered at build time (a WAV read by numpy, other audio decoded by
PyAV; drawn with Pillow)."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ...media import wavfile
from ...storage.safety import open_regular

WIDTH, HEIGHT = 600, 72
COLOR = (59, 91, 219, 255)
WAV_FRAMES = 1 << 16  # frames of a WAV read at once for its waveform (and 1 MiB at most: wavfile.READ_BYTES)


def _wav_chunks(path: Path) -> Iterator[np.ndarray]:
    """Mono float chunks of a WAV of integer PCM or float samples (:mod:`...media.wavfile`; any other is
    ``wavfile.NotSamples``), read a piece at a time: a header may claim any length (a sparse 3 GB WAV
    was read whole and made 12 GB of samples)."""
    with open_regular(path, follow=False) as fh:
        head = wavfile.samples_header(fh)
        for raw in wavfile.frames(fh, head, WAV_FRAMES):
            yield wavfile.mono(raw, head)


def _wav_envelope(path: Path, width: int) -> tuple[np.ndarray, np.ndarray, float]:
    """:func:`audio_envelope` of a WAV, in one pass a piece at a time (its length is known before it is
    read: the data chunk's, or the file's when shorter), channels summed as integers and scaled once
    per column, holes of a sparse file jumped (a hole is silence: zero bytes). A WAV's data is at most
    4 GiB (its chunk's size is 32 bits), so its waveform costs the reading of its data, whatever its
    length: a stereo WAV longer than 93 minutes at 48 kHz (2^29 samples of its two channels) got none."""
    lo, hi = np.full(width, np.inf), np.full(width, -np.inf)
    with open_regular(path, follow=False) as fh:
        head = wavfile.samples_header(fh)
        total = max(0, min(head.size, os.fstat(fh.fileno()).st_size - head.offset)) // head.frame
        silence, scale = wavfile.mixed(bytes(head.frame), head)  # (a frame of zero bytes: a hole's)
        pos = 0
        for zero, raw in wavfile.pieces(fh, head, WAV_FRAMES, holes=True):
            if zero:
                _reduce(lo, hi, silence, pos, total, zero)
                pos += zero
            if raw:
                sums = wavfile.mixed(raw, head)[0]
                _reduce(lo, hi, sums, pos, total)
                pos += sums.size
    lo, hi = lo * scale, hi * scale
    lo[~np.isfinite(lo)] = 0.0
    hi[~np.isfinite(hi)] = 0.0
    return lo, hi, float(max(np.abs(lo).max(), np.abs(hi).max())) if width else 0.0


def _reduce(lo: np.ndarray, hi: np.ndarray, a: np.ndarray, pos: int, total: int, repeat: int = 0) -> None:
    """Fold the samples ``a`` (the ``pos``-th on; with ``repeat``, ``a[0]`` that many times) of a file
    of ``total`` samples into the per-column minima ``lo`` and maxima ``hi``, the columns of
    :func:`envelope` (column ``c`` starts at sample ``c * total // width``; one that holds no sample
    takes the one it starts at; any sample past ``total`` goes to the last). The columns' starts are
    computed (O(width)), not each sample's column."""
    width, n = lo.size, repeat or a.size
    if not n or not width:
        return
    total = max(total, 1)

    def col(i: int) -> int:  # (the last column that starts at or before sample i)
        return min(-(-(i + 1) * width // total) - 1, width - 1)

    first = min(-(-pos * width // total), col(pos))  # (a column that starts at pos, else the one pos is in)
    cols = np.arange(first, max(first, col(pos + n - 1)) + 1)
    if repeat:
        lo[cols] = np.minimum(lo[cols], a[0])
        hi[cols] = np.maximum(hi[cols], a[0])
        return
    starts = np.clip(cols * total // width - pos, 0, n - 1)
    lo[cols] = np.minimum(lo[cols], np.minimum.reduceat(a, starts))
    hi[cols] = np.maximum(hi[cols], np.maximum.reduceat(a, starts))


#: samples of a compressed file decoded and held at once for its waveform; a longer file is read
#: twice (counted, then reduced column by column as it decodes): 1.5 MB of FLAC holds three hours
#: of silence, 4 GB as float64, and the build ran out of memory on it
MAX_SAMPLES = 1 << 22


#: samples a channel decoded from a compressed file for one waveform at most (3 hours at 48 kHz): a few
#: KB of FLAC can claim days of silence, and decoding them all would hold the build that long (a WAV is
#: bounded by its format: :func:`_wav_envelope`). A longer file's waveform is drawn from its first
#: MAX_DECODED samples and marked partial (:func:`render_waveform`)
MAX_DECODED = 1 << 29


class Cut(ValueError):
    """Raised by :func:`_decoded` once it has given the first :data:`MAX_DECODED` samples a channel of a
    longer file; ``claimed`` is the samples its header claims (0 when it claims none), ``rate`` its
    sample rate."""

    def __init__(self, claimed: int, rate: int) -> None:
        super().__init__(f"longer than {MAX_DECODED:,} samples")
        self.claimed, self.rate = claimed, rate


def _decoded(path: Path) -> Iterator[np.ndarray]:
    """Mono float64 chunks of a WAV (:func:`_wav_chunks`) or of an audio file PyAV decodes (mp3, ogg,
    flac...), as decoded: opened only as the format its extension names and bounded
    (:mod:`reportgen.media.avsafe`; an ``x.mp3`` that was a concat script had a file outside the runs
    root decoded and its waveform published), and at most :data:`MAX_DECODED` samples a channel: those
    are given, then :class:`Cut` is raised."""
    from ...media.avsafe import open_media

    if path.suffix.lower() == ".wav":
        yield from _wav_chunks(path)
        return
    with open_regular(path, follow=False) as fh:  # (a real path, checked: a link or a pipe now is a swap)
        try:
            container = open_media(fh, path.suffix.lstrip("."))
        except ImportError as exc:
            raise ValueError(f"a waveform of {path.suffix} audio needs PyAV: pip install 'reportgen[video]'") from exc
        yield from _decode(container)


#: planes PyAV reads of a planar audio frame (FFmpeg's AV_NUM_DATA_POINTERS): its ``to_ndarray`` of a
#: frame of more channels read past them (an Opus file of 9 to 32 channels crashed the build: SIGSEGV)
PLANES = 8


def _decode(container) -> Iterator[np.ndarray]:
    import av

    done, packed = 0, None
    with container:
        if not container.streams.audio:
            raise ValueError("no audio stream")
        stream = container.streams.audio[0]
        for frame in container.decode(stream):
            if done >= MAX_DECODED:  # (a frame more: the file is longer)
                raise Cut(_claimed(container, stream, frame.sample_rate), frame.sample_rate)
            channels = len(frame.layout.channels)
            if frame.format.is_planar and channels > PLANES:  # (made one plane of every channel by FFmpeg)
                packed = packed or av.AudioResampler(format="flt", layout=frame.layout, rate=frame.sample_rate)
                frames = packed.resample(frame)
            else:
                frames = [frame]
            for f in frames:
                a = f.to_ndarray().astype(np.float64)
                if not f.format.is_planar:  # packed: (1, samples * channels), channels interleaved
                    a = a.reshape(-1, channels).T
                a = (a.mean(axis=0) if a.ndim == 2 else a)[:MAX_DECODED - done]
                done += a.size
                yield a


def _claimed(container, stream, rate: int) -> int:
    """Samples a channel the header of a compressed file claims (its stream's duration, else the
    container's), 0 when it claims none: where the decoded part of a cut waveform ends on its width. A
    claim of more than :data:`MAX_CLAIMED` is taken as that (the decoded part is a column of any width)."""
    try:
        if stream.duration and stream.time_base:
            claimed = int(stream.duration * stream.time_base * rate)
        else:
            claimed = int((container.duration or 0) * rate // 1_000_000)
    except (TypeError, ValueError, OverflowError):
        return 0
    return min(max(0, claimed), MAX_CLAIMED)


#: the most samples a channel a cut file's header is believed to claim (the columns' starts are computed
#: in int64, ``column * total``: past 2^63 / WIDTH they would wrap)
MAX_CLAIMED = MAX_DECODED << 12


def _normalised(data: np.ndarray) -> np.ndarray:
    if np.issubdtype(data.dtype, np.integer) or (data.size and np.abs(data).max() > 1.5):
        data = data / max(float(np.abs(data).max()), 1.0)
    return data


def read_audio(path: Path) -> np.ndarray:
    """Mono samples of a WAV of integer PCM or float samples (numpy) or, with PyAV installed, any audio
    file (mp3, ogg, flac...)."""
    chunks = list(_decoded(path))
    return _normalised(np.concatenate(chunks) if chunks else np.zeros(0))


def _long_envelope(path: Path, total: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`envelope` of a long compressed file (``total`` samples), reduced as it decodes (its first
    :data:`MAX_DECODED` samples of a longer one)."""
    lo, hi = np.full(width, np.inf), np.full(width, -np.inf)
    pos = 0
    try:
        for a in _decoded(path):
            _reduce(lo, hi, a, pos, total)
            pos += a.size
    except Cut:
        pass
    lo[~np.isfinite(lo)] = 0.0
    hi[~np.isfinite(hi)] = 0.0
    return lo, hi


def audio_envelope(path: Path, width: int) -> tuple[np.ndarray, np.ndarray, float]:
    """``(lo, hi, peak)`` of an audio file in bounded memory (:data:`MAX_SAMPLES`), WAV included (read
    whole, a sparse 3 GB WAV made 12 GB of samples)."""
    return _audio_envelope(path, width)[:3]


def _audio_envelope(path: Path, width: int) -> tuple[np.ndarray, np.ndarray, float, tuple[int, float] | None]:
    """:func:`audio_envelope` and, for a compressed file cut at :data:`MAX_DECODED`, the columns its
    first samples take of the length its header claims (all of them when it claims no more) and the
    seconds they last; None when every sample was decoded."""
    if path.suffix.lower() == ".wav":
        return (*_wav_envelope(path, width), None)
    chunks: list[np.ndarray] | None = []
    total, top, cut = 0, 0.0, None
    try:
        for a in _decoded(path):
            total += a.size
            top = max(top, float(np.abs(a).max()) if a.size else 0.0)
            if chunks is not None:
                chunks.append(a)
                if total > MAX_SAMPLES:
                    chunks = None  # too long to hold: counted here, reduced in a second pass
    except Cut as exc:
        cut = exc
    if chunks is None:
        claimed = max(cut.claimed, total) if cut else total
        lo, hi = _long_envelope(path, claimed, width)
        return lo, hi, top, None if cut is None else (-(-width * total // claimed), total / max(cut.rate, 1))
    samples = _normalised(np.concatenate(chunks) if chunks else np.zeros(0))
    lo, hi = envelope(samples, width)
    return lo, hi, float(np.abs(samples).max()) if samples.size else 0.0, None


def envelope(samples: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-column (min, max) of the samples over ``width`` equal slices (empty slices are 0)."""
    samples = np.asarray(samples, dtype=np.float64)
    lo, hi = np.zeros(width), np.zeros(width)
    if samples.size == 0:
        return lo, hi
    edges = np.linspace(0, samples.size, width + 1).astype(np.int64)
    for i in range(width):
        a = int(edges[i])
        b = min(max(int(edges[i + 1]), a + 1), samples.size)
        if b > a:
            seg = samples[a:b]
            lo[i], hi[i] = seg.min(), seg.max()
    return lo, hi


def render_waveform(src: Path, dest: Path, width: int = WIDTH, height: int = HEIGHT) -> None:
    from PIL import Image, ImageDraw

    lo, hi, peak, cut = _audio_envelope(src, width)
    peak = max(peak, 1e-9)
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    mid = (height - 1) / 2
    draw.line([(0, mid), (width - 1, mid)], fill=(180, 188, 204, 255))
    for x in range(width if cut is None else cut[0]):
        y0 = mid - hi[x] / peak * mid
        y1 = mid - lo[x] / peak * mid
        draw.line([(x, y0), (x, max(y1, y0 + 1))], fill=COLOR)
    if cut is not None:
        _mark_partial(draw, *cut, width, height)
    img.save(dest, format="PNG")


def _mark_partial(draw, cut: int, seconds: float, width: int, height: int) -> None:
    """Mark a waveform drawn from the first :data:`MAX_DECODED` samples alone (``cut``: the columns
    they take, ``seconds`` their length): the columns past them hatched, and a note at the right end."""
    for x in range(cut + 6, width + height, 6):  # (lines down to the left, none left of the cut)
        draw.line([(x, 0), (max(cut, x - height + 1), min(height - 1, x - cut))], fill=(180, 188, 204, 160))
    from PIL import ImageFont

    s = int(seconds)
    note = f"waveform of the first {s // 3600}:{s // 60 % 60:02d}:{s % 60:02d} only"
    font = ImageFont.load_default(size=14)  # (Pillow's bitmap font, 11 px, where it has no FreeType)
    box = draw.textbbox((0, 0), note, font=font)
    x, y = width - (box[2] - box[0]) - 6, height - (box[3] - box[1]) - 6
    draw.rectangle([x - 3, y - 3, width - 3, height - 3], fill=(255, 255, 255, 230))
    draw.text((x, y - box[1]), note, fill=(60, 68, 84, 255), font=font)
