"""The header of a RIFF WAVE file, read bounded, and its integer PCM, IEEE float or G.711 (mu-law,
A-law) samples as numpy reads them.

Python's ``wave`` (3.10, 3.11) reads format 1 (integer PCM) alone: a WAV of 32-bit float samples (format 3,
what soundfile, librosa and torchaudio write for float data) or a WAVE_FORMAT_EXTENSIBLE one (FFmpeg
writes 24-bit PCM so) was "unknown format". This reader takes formats 1 and 3 (32-bit float alone),
and 8-bit mu-law (7) and A-law (6), decoded by a 256-entry table; plain or extensible. Any other
(ADPCM, MP3 in a WAV, 64-bit float...) is :class:`NotSamples`, as is a file that is no WAV.

The header is someone else's: its sizes are not believed (a data chunk is read to its end or to the
end of the file, whichever comes first; a chunk claiming 4 GB is skipped, not read), at most
:data:`MAX_CHUNKS` chunks are walked to find ``fmt `` and ``data``, and samples are read in pieces of
at most :data:`READ_BYTES` (a header may claim 65,535 channels: one frame a few hundred KB).
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from ..storage.safety import next_data

PCM, FLOAT, ALAW, MULAW, EXTENSIBLE = 0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE
#: the last 14 bytes of an extensible format's SubFormat GUID (KSDATAFORMAT_SUBTYPE_*): its first two are the format
_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_NAMES = {ALAW: "A-law", MULAW: "mu-law", 0x0002: "MS ADPCM", 0x0011: "IMA ADPCM", 0x0055: "MP3"}


def _g711_tables() -> dict[int, np.ndarray]:
    """The 16-bit value of each of the 256 bytes of mu-law and of A-law (ITU-T G.711; as FFmpeg's
    pcm_mulaw and pcm_alaw decoders), scaled to [-1, 1]."""
    code = np.arange(256)
    u = ~code & 0xFF  # mu-law: bits inverted; sign, 3 bits of exponent, 4 of mantissa
    mag = ((((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 7)) - 0x84
    mulaw = np.where(u & 0x80, -mag, mag)
    a = code ^ 0x55  # A-law: even bits inverted; a set sign bit is positive
    exp, mant = (a >> 4) & 7, a & 0x0F
    mag = np.where(exp == 0, (mant << 4) + 8, ((mant << 4) + 0x108) << np.maximum(exp - 1, 0))
    alaw = np.where(a & 0x80, mag, -mag)
    return {MULAW: mulaw / 32768.0, ALAW: alaw / 32768.0}


#: G.711 samples (a byte each) as float64 in [-1, 1], by format
G711 = _g711_tables()
MAX_CHUNKS = 64  # chunks walked before the samples (a recorder writes a few: fmt, fact, LIST, bext...)
READ_BYTES = 1 << 20  # samples read at once, at most (whole frames; one frame at least)
_FMT_BYTES = 40  # what is read of a fmt chunk (an extensible one is 40 bytes; any more is skipped)


class NotSamples(ValueError):
    """A file whose samples this module does not read: not a RIFF WAVE, a header that names no
    samples (no fmt or data chunk, no channel, no sample rate), or a format other than PCM, float,
    mu-law or A-law."""


@dataclass(frozen=True)
class WavHeader:
    format: int  # PCM, FLOAT, MULAW... (an extensible one's SubFormat)
    channels: int
    rate: int
    width: int  # bytes of one sample
    offset: int  # of the data chunk's first byte
    size: int  # of the data chunk as the header says (not believed: read to the end of the file)

    @property
    def frame(self) -> int:
        return self.channels * self.width

    @property
    def dtype(self) -> str:
        """The numpy type of one sample (but 3-byte PCM, which numpy has not: :func:`mono`)."""
        return f"<f{self.width}" if self.format == FLOAT else "u1" if self.width == 1 else f"<i{self.width}"


def _chunks(fh: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """``(id, size, offset of its body)`` of each chunk of a RIFF WAVE file, at most :data:`MAX_CHUNKS`."""
    head = fh.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise NotSamples("file does not start with RIFF id" if head[:4] != b"RIFF" else "not a WAVE file")
    pos = 12
    for _ in range(MAX_CHUNKS):
        fh.seek(pos)
        raw = fh.read(8)
        if len(raw) < 8:
            return
        cid, size = raw[:4], struct.unpack("<I", raw[4:])[0]
        yield cid, size, pos + 8
        pos += 8 + size + (size & 1)  # (a chunk of odd size has a pad byte)
    raise NotSamples(f"no data chunk in its first {MAX_CHUNKS} chunks")


def _format(body: bytes) -> tuple[int, int, int, int]:
    """``(format, channels, rate, bits a sample)`` of a fmt chunk's ``body`` (an extensible format: its
    SubFormat, or EXTENSIBLE when that is no format of the common GUID)."""
    if len(body) < 16:
        raise NotSamples(f"a fmt chunk of {len(body)} bytes (expected 16 at least)")
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == EXTENSIBLE and len(body) >= 40 and body[26:40] == _GUID_TAIL:
        tag = struct.unpack("<H", body[24:26])[0]
    return tag, channels, rate, bits


def read_header(fh: BinaryIO) -> WavHeader:
    """The header of the WAV file ``fh`` (binary, seekable, at its start), of any format (``width``:
    the bits of a sample rounded up to bytes); :class:`NotSamples` when it is no RIFF
    WAVE file or names no data, no channel or no sample rate."""
    fmt = None
    for cid, size, at in _chunks(fh):
        if cid == b"fmt ":
            fmt = _format(fh.read(min(size, _FMT_BYTES)))
        elif cid == b"data":
            if fmt is None:
                raise NotSamples("no fmt chunk before the data")
            tag, channels, rate, bits = fmt
            if not channels or not rate:
                raise NotSamples("no channel" if not channels else "a sample rate of 0 Hz")
            return WavHeader(tag, channels, rate, (bits + 7) // 8, at, size)
    raise NotSamples("no data chunk" if fmt else "no fmt chunk")


def samples_header(fh: BinaryIO) -> WavHeader:
    """:func:`read_header`, and :class:`NotSamples` unless the file holds integer PCM samples of 1 to 4
    bytes, 32-bit float ones or 8-bit mu-law or A-law ones (those browsers play: Chromium does not play
    64-bit float)."""
    head = read_header(fh)
    widths = {PCM: (1, 2, 3, 4), FLOAT: (4,), MULAW: (1,), ALAW: (1,)}.get(head.format)
    if widths is None:
        name = _NAMES.get(head.format)
        raise NotSamples(f"{name} samples, WAVE format {head.format}" if name else
                         f"samples of WAVE format {head.format:#06x}")
    if head.width not in widths:
        kind = {FLOAT: "float", PCM: "PCM"}.get(head.format) or _NAMES[head.format]
        raise NotSamples(f"{8 * head.width}-bit {kind} samples")
    return head


def frames(fh: BinaryIO, head: WavHeader, count: int | None = None) -> Iterator[bytes]:
    """The data chunk of ``fh`` as whole frames, ``count`` frames a piece at most (and at most
    :data:`READ_BYTES`, one frame at least), to the chunk's end or the file's (a partial frame
    at the end is left out)."""
    for _, raw in pieces(fh, head, count):
        yield raw


def pieces(fh: BinaryIO, head: WavHeader, count: int | None = None,
           holes: bool = False) -> Iterator[tuple[int, bytes]]:
    """:func:`frames` as ``(zero, raw)``: ``raw`` whole frames read, after ``zero`` whole frames of zero
    bytes that were not read. With ``holes``, a hole of a sparse file (it reads as zeros) is jumped
    (``lseek(SEEK_DATA)``), so a header claiming 4 GB over a few KB of data is read in the time of its
    data; else ``zero`` is 0."""
    step = max(1, min(count or READ_BYTES, READ_BYTES // head.frame))
    pos, end = head.offset, head.offset + head.size
    fh.seek(pos)
    while end - pos >= head.frame:
        zero = 0
        if holes:
            zero = (min(next_data(fh, pos), end) - pos) // head.frame  # (moves fh to the data: seek back)
            pos += zero * head.frame
            fh.seek(pos)
            if end - pos < head.frame:
                if zero:
                    yield zero, b""
                return
        raw = fh.read(min(step, (end - pos) // head.frame) * head.frame)
        usable = len(raw) // head.frame * head.frame
        if not usable:
            if zero:
                yield zero, b""
            return
        pos += usable
        yield zero, raw[:usable]
        if usable < len(raw):  # (the file ends in a partial frame)
            return


def mixed(raw: bytes, head: WavHeader) -> tuple[np.ndarray, float]:
    """``(sums, scale)``: the sum of the channels of each of the whole frames ``raw`` (of the file
    ``head`` describes), integers summed as integers, and the factor that makes them mono samples
    (:func:`mono`: integer PCM and G.711 in [-1, 1]; float samples as they are, NaN and infinities 0).
    A few channels are added a channel at a time, not through a float copy of every sample: 16-bit
    stereo went through numpy at ~200 MB/s, a 4 GB WAV in 20 s; now ~1.5 GB/s."""
    c = head.channels
    if head.format in G711:
        data, full = G711[head.format][np.frombuffer(raw, dtype=np.uint8)], 1.0
    elif head.width == 3:  # (no numpy type: little-endian bytes put together, sign extended)
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        data, full = np.where(v >= 1 << 23, v - (1 << 24), v), float(1 << 23)
    elif head.format == FLOAT:
        data = np.nan_to_num(np.frombuffer(raw, dtype=head.dtype), nan=0.0, posinf=0.0, neginf=0.0)
        full = 1.0
    else:
        data, full = np.frombuffer(raw, dtype=head.dtype), float(1 << (8 * head.width - 1))
    acc = np.float64 if data.dtype.kind == "f" else np.int64 if head.width == 4 else np.int32
    if c == 1:
        sums = data.astype(acc)
    elif c <= _ADDED:
        frames_ = data.reshape(-1, c)
        sums = frames_[:, 0].astype(acc)
        for k in range(1, c):
            sums += frames_[:, k]
    else:
        sums = data.reshape(-1, c).sum(axis=1, dtype=acc)
    if head.width == 1 and head.format == PCM:  # (unsigned: 128 is silence)
        sums -= 128 * c
    return sums, 1.0 / (full * c)


_ADDED = 32  # channels added one at a time at most (more: a sum along each frame, faster for wide frames)


def mono(raw: bytes, head: WavHeader) -> np.ndarray:
    """Whole frames ``raw`` of the file ``head`` describes as mono float64 samples, integer PCM and
    G.711 scaled to [-1, 1] (channels mixed down); float samples as they are, NaN and infinities made 0."""
    sums, scale = mixed(raw, head)
    return sums * scale
