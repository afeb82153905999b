"""Whether the browser can play a run's video, or the audio of a ``.wav`` that Python's ``wave`` does
not read: decided at build time from the file's header (PyAV through :mod:`reportgen.media.avsafe`:
the demuxer its extension names, probing bounded), never by decoding the file.

Chromium plays media by its content, whatever the file's name: an ``x.wav`` holding MP3, Ogg or FLAC
bytes plays, as does a WAV of float, mu-law or A-law samples (``wave`` reads only integer PCM:
"unknown format: 3"); one of ADPCM samples does not, nor a file that is no audio at all, nor audio of
more than 32 channels (a video's sound track of more is left out: its picture plays). Without PyAV
(the ``video`` extra) nothing is checked here: a video is published as it is (as before this check),
and a ``.wav`` that ``wave`` cannot read is "could not show".
"""
from __future__ import annotations

from pathlib import Path

from ...media import wavfile
from ...media.avsafe import codec_name, open_media
from ...storage.safety import open_regular
from .sitefiles import open_image

#: audio codecs (as FFmpeg names them) that Chromium plays in ``<audio>`` (media/ffmpeg/ffmpeg_common.cc)
AUDIO_CODECS = frozenset({"mp3", "vorbis", "opus", "flac", "aac", "pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le",
                          "pcm_f32le", "pcm_mulaw", "pcm_alaw"})
#: channels of audio Chromium plays at most (media::limits::kMaxChannels)
MAX_CHANNELS = 32
#: video codecs the Chromium that tests and users' CI run (/usr/bin/chromium) plays in ``<video>``, in each
#: container it is found in (tests/test_media_codecs.py plays every one, so this list cannot claim one it
#: does not); MPEG-4 Part 2 (``mpeg4``, an encoder fallback), Motion JPEG, ProRes and the like play nowhere
#: (Chromium: MEDIA_ERR_SRC_NOT_SUPPORTED)
VIDEO_CODECS = frozenset({"h264", "vp8", "vp9", "av1"})
#: video codecs some browsers play and others not, by the name the page gives them: HEVC (Safari; Chrome and
#: Edge only where a hardware decoder takes it: this Chromium does not, canPlayType '' and
#: MEDIA_ERR_SRC_NOT_SUPPORTED), Theora (Chromium dropped it: canPlayType('video/ogg; codecs="theora"') is
#: ''). Such a video is shown, and where the browser does not play it the page says so and links the file
#: (assets/media-fallback.js) instead of a player that never plays
SOME_BROWSERS = {"hevc": "HEVC", "theora": "Theora"}
#: video files published under another name (``x.mov`` as ``x.mov.mp4``, its bytes as they are): QuickTime
#: holds the boxes of an mp4 (one FFmpeg demuxer reads both). Chromium plays an H.264 ``x.mov`` by its
#: content, from a file or served as video/quicktime, but denies that type (``canPlayType``, a ``<source
#: type>``; Firefox refuses it served so); named .mp4 it is video/mp4 to every server and browser
PUBLISHED_AS = {"mov": ".mp4"}
#: what a file's first bytes say it is, for audio a browser may play in a .wav's place
_SIGNATURES = ((b"RIFF", "wav"), (b"OggS", "ogg"), (b"fLaC", "flac"), (b"ID3", "mp3"))


def _has_av() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


def check_video(src: Path, fmt: str) -> tuple[str | None, tuple[str, ...]]:
    """Raise ValueError unless the video file ``src`` opens as the format its extension names
    (:data:`...media.avsafe.VIDEO_DEMUXERS`: mp4, m4v, mov, webm, ogv; and ogg) and holds a video stream
    of a codec some browser plays (:data:`VIDEO_CODECS`, :data:`SOME_BROWSERS`); a ``gif``, shown as an
    image, unless Pillow reads its header. Return ``(only, notes)``: the name of its codec when only some
    browsers play it (:data:`SOME_BROWSERS`; else None), and what the build says of a video it shows
    (that codec; a sound track of more than :data:`MAX_CHANNELS` channels, which Chromium leaves out:
    the picture plays, silent). Without PyAV a video file is not checked (published as it is)."""
    if fmt == "gif":
        with open_image(src):
            return None, ()
    if not _has_av():
        return None, ()
    with open_regular(src, follow=False) as fh, open_media(fh, src.suffix.lstrip(".")) as container:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams})
            raise ValueError(f"no video stream (it holds {', '.join(kinds) or 'no stream'})")
        codec = codec_name(container.streams.video[0])
        channels = max((_channels(s) for s in container.streams.audio), default=0)
    only = SOME_BROWSERS.get(codec)
    if codec not in VIDEO_CODECS and only is None:
        raise ValueError(f"{_what(codec, 'video')}, which browsers do not play")
    notes = [f"{only} video, which not every browser plays (Chromium does not); where it does not play, "
             "the page says so and links the file"] if only else []
    if channels > MAX_CHANNELS:
        notes.append(f"its sound is not played: {_too_many(channels)}; the video plays without it")
    return only, tuple(notes)


def _channels(stream) -> int:
    """Channels of a PyAV audio ``stream`` as its header says (0: none said, or a codec FFmpeg does not know)."""
    ctx = stream.codec_context
    return (ctx.channels or 0) if ctx is not None else 0


def _too_many(channels: int) -> str:
    return f"{channels:,} channels, more than browsers play ({MAX_CHANNELS})"


def _what(codec: str, kind: str) -> str:
    return f"{kind} of a codec FFmpeg does not know" if codec == "unknown" else f"{codec} {kind}"


def check_audio(src: Path) -> None:
    """Raise ValueError when the audio file ``src`` has more channels than browsers play
    (:data:`MAX_CHANNELS`; Chromium: MEDIA_ERR_SRC_NOT_SUPPORTED), as its header says: a WAV's read
    here, another file's (Opus, Vorbis, AAC, PCM in an mp4...) by PyAV, when installed. What else a
    ``.wav`` holds is judged as its waveform is made (:func:`wav_stand_in`); a file PyAV cannot open is
    left to its waveform (the player shown, a warning saying why there is none, as before)."""
    ext = src.suffix.lower().lstrip(".")
    with open_regular(src, follow=False) as fh:
        if ext == "wav":
            try:
                channels = wavfile.read_header(fh).channels
            except wavfile.NotSamples:
                return
        elif not _has_av():
            return
        else:
            try:
                with open_media(fh, ext) as container:
                    channels = max((_channels(s) for s in container.streams.audio), default=0)
            except ValueError:
                return
    if channels > MAX_CHANNELS:
        raise ValueError(_too_many(channels))


def _sniff(head: bytes) -> str | None:
    """The format (an :data:`avsafe.DEMUXERS` key) that the first bytes ``head`` of a file name."""
    for magic, fmt in _SIGNATURES:
        if head.startswith(magic):
            return fmt
    if len(head) >= 2 and head[0] == 0xFF:  # a frame with no tag first: ADTS (AAC) or MPEG audio
        if head[1] & 0xF6 == 0xF0:
            return "aac"
        if head[1] & 0xE0 == 0xE0:
            return "mp3"
    return None


def wav_stand_in(src: Path, unread: Exception) -> str:
    """The codec of the audio the ``.wav`` file ``src`` holds, which ``wave`` could not read
    (``unread``), when the browser plays it; else ``unread`` is raised (bytes of no audio format; no
    PyAV to tell), or a ValueError saying why not (not readable as what it seems, a codec no
    browser plays)."""
    with open_regular(src, follow=False) as fh:
        fmt = _sniff(fh.read(4))
        if fmt is None or not _has_av():
            raise unread
        fh.seek(0)
        with open_media(fh, fmt) as container:
            streams = container.streams.audio
            if not streams:
                raise ValueError(f"{unread}; no audio stream as {fmt}")
            codec, channels = codec_name(streams[0]), _channels(streams[0])
    if codec not in AUDIO_CODECS:
        raise ValueError(f"{_what(codec, 'audio')}, which browsers do not play")
    if channels > MAX_CHANNELS:
        raise ValueError(_too_many(channels))
    if not channels:  # (FFmpeg says 0 for a header's 0 and for more than it takes)
        raise ValueError("no channel, which browsers do not play")
    return codec
