"""Opening audio and video files that someone else made with PyAV (the ``video`` extra), bounded.

Files in run folders and foreign sources are untrusted, and FFmpeg, left to itself, detects the
format by content: an ``x.mp3`` holding ``ffconcat version 1.0`` / ``file s.ts`` (``s.ts`` a link
out of the runs root) had the build decode that file and publish its waveform, and a concat entry
or a link naming a pipe would block the build for ever. So a file is opened only as the demuxer
its extension names (never a playlist, concat script or image sequence), over the ``file``
protocol alone, with FFmpeg's probing bounded (bytes, time, streams) and its decoders limited to
:data:`MAX_PIXELS` a frame on one thread; a file whose header names more than
:data:`MAX_STREAMS` streams or larger frames raises ValueError, as does anything FFmpeg cannot read.
"""
from __future__ import annotations

import io
import math
import os
from typing import Any, BinaryIO

#: demuxer of each video extension: those the site publishes for a video (site/publish.INERT) and the
#: video check opens (site/panels/playable.check_video), one list. ``.m4v`` is an mp4 (Apple's name; FFmpeg's
#: own "m4v" is raw MPEG-4 Part 2), ``.ogv`` an Ogg file (Theora or VP8), ``.mov`` QuickTime
VIDEO_DEMUXERS = {"mp4": "mov", "m4v": "mov", "mov": "mov", "webm": "matroska", "ogv": "ogg"}
#: demuxer of each extension PyAV opens here (nothing else is opened)
DEMUXERS = {"mp3": "mp3", "ogg": "ogg", "oga": "ogg", "opus": "ogg", "flac": "flac", "m4a": "mov",
            "aac": "aac", "wav": "wav", **VIDEO_DEMUXERS}
MAX_STREAMS = 16  # streams a media file may declare (a recorder writes a few)
MAX_PIXELS = 1 << 25  # pixels of one video frame (8192 x 4096; as images.MAX_PIXELS)
PROBE_BYTES = 5 << 20  # what FFmpeg reads to find the streams (its default, stated)
PROBE_MICROSECONDS = 5_000_000  # and the media time it analyses

_FORMAT_OPTIONS = {"protocol_whitelist": "file", "probesize": str(PROBE_BYTES),
                   "analyzeduration": str(PROBE_MICROSECONDS), "max_streams": str(MAX_STREAMS + 1),
                   "fpsprobesize": "8"}
_CODEC_OPTIONS = {"max_pixels": str(MAX_PIXELS), "threads": "1"}


class Refused(ValueError):
    """A media file whose header declares more than a recorder writes (streams, pixels): not read."""


def require_av(what: str):
    try:
        import av
    except ImportError:
        raise ImportError(f"{what} needs PyAV: pip install 'reportgen[video]'") from None
    return av


def open_media(source: str | os.PathLike | bytes | BinaryIO, ext: str):
    """A PyAV input container for ``source`` (a path, or bytes) read as the format its extension
    ``ext`` names; ValueError when ``ext`` is not one of :data:`DEMUXERS`, when FFmpeg cannot read
    it or when it declares more than :data:`MAX_STREAMS` streams or frames over :data:`MAX_PIXELS`."""
    av = require_av(f"reading .{ext} media")
    demuxer = DEMUXERS.get(str(ext).lower().lstrip("."))
    if demuxer is None:
        raise ValueError(f".{ext} files are not read (expected one of {', '.join(sorted(DEMUXERS))})")
    file = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else \
        source if hasattr(source, "read") else os.fspath(source)  # (an open binary file: read from it)
    try:
        container = av.open(file, format=demuxer, container_options=dict(_FORMAT_OPTIONS),
                            stream_options=[dict(_CODEC_OPTIONS)] * (MAX_STREAMS + 1))
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"not a readable .{ext} file ({exc})") from None
    try:
        check(container)
    except BaseException:
        container.close()
        raise
    for stream in container.streams:  # the decoders made from here on keep to the same limits
        try:
            stream.codec_context.thread_count = 1
        except Exception:  # noqa: BLE001 - a codec without a context: never decoded
            pass
    return container


def check(container) -> None:
    streams = list(container.streams)
    if len(streams) > MAX_STREAMS:
        raise Refused(f"{len(streams)} streams (more than {MAX_STREAMS}); not read")
    for s in container.streams.video:
        if s.codec_context is None:  # (a codec FFmpeg does not know: nothing to decode)
            continue
        w, h = s.codec_context.width or 0, s.codec_context.height or 0
        if w * h > MAX_PIXELS:
            raise Refused(f"video frames of {w} x {h} pixels (more than {MAX_PIXELS:,}); not read")


def codec_name(stream) -> str:
    """The name of the codec of a PyAV ``stream`` (``mp3``, not its decoder ``mp3float``); ``"unknown"``
    for one FFmpeg does not know (a WAV's format tag, a QuickTime fourcc: no codec context)."""
    ctx = stream.codec_context
    codec = ctx.codec if ctx is not None else None
    return codec.canonical_name if codec is not None else "unknown"


def number(value: Any, top: float) -> float | None:
    """``value`` as a float when it is finite and in (0, ``top``]; None otherwise (a header says anything)."""
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return None
    return v if math.isfinite(v) and 0 < v <= top else None
