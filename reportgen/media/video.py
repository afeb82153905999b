"""Video from arrays, files or in-memory bytes.

Arrays are ``(T, C, H, W)`` or batched ``(N, T, C, H, W)``; a batch is tiled into
a grid (``ceil(sqrt(N))`` columns, black padding). Pixel values follow the image
rule (floats in [0, 1] scaled by 255). "gif" is written with Pillow (no extra
dependency); "mp4" (H.264), "webm" (VP9/VP8) and "ogg" (VP8 in an Ogg container, which current browsers play; Theora, which
Chromium no longer plays, only when the FFmpeg build has no VP8 encoder)
with PyAV, the ``video`` extra.
"""
from __future__ import annotations

import io
import math
import os
from typing import Any

import numpy as np

from ..storage import kinds
from .base import Media, MediaContext, check_caption, extension, read_once, to_numpy
from .image import array_to_uint8

FORMATS = ("gif", "mp4", "webm", "ogg")
_CODECS = {"mp4": ("libx264", "h264", "mpeg4"), "webm": ("libvpx-vp9", "libvpx"), "ogg": ("libvpx", "libtheora")}


def tile_batch(arr: np.ndarray) -> np.ndarray:
    """``(N, T, C, H, W)`` -> ``(T, C, rows*H, cols*W)``, row-major, zero padded."""
    n, t, c, h, w = arr.shape
    cols = int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    grid = np.zeros((t, c, rows * h, cols * w), dtype=arr.dtype)
    for i in range(n):
        r, q = divmod(i, cols)
        grid[:, :, r * h:(r + 1) * h, q * w:(q + 1) * w] = arr[i]
    return grid


def to_thwc(arr: np.ndarray) -> np.ndarray:
    """Normalise a video array to uint8 ``(T, H, W, 3)`` RGB."""
    if arr.ndim == 5:
        arr = tile_batch(arr)
    if arr.ndim != 4:
        raise ValueError(f"data_or_path: expected a (T, C, H, W) or (N, T, C, H, W) array, got shape {arr.shape}")
    if arr.shape[1] not in (1, 3, 4) and arr.shape[-1] in (1, 3, 4):
        arr = np.transpose(arr, (0, 3, 1, 2))  # (T, H, W, C) given: accept it
    if arr.shape[1] not in (1, 3, 4):
        raise ValueError(f"data_or_path: the channel axis (axis 1 of (T, C, H, W)) must be 1, 3 or 4, got shape {arr.shape}")
    if 0 in arr.shape:
        raise ValueError(f"data_or_path: the video is empty (shape {arr.shape})")
    frames = array_to_uint8(np.transpose(arr, (0, 2, 3, 1)))
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    elif frames.shape[-1] == 4:
        frames = frames[..., :3]
    return np.ascontiguousarray(frames)


def encode_gif(frames: np.ndarray, fps: float) -> bytes:
    from PIL import Image as PILImage

    images = [PILImage.fromarray(f) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:],
                   duration=max(int(round(1000.0 / fps)), 10), loop=0)
    return buf.getvalue()


def _require_av():
    try:
        import av
    except ImportError:
        raise ImportError("writing mp4/webm/ogg video needs PyAV: pip install reportgen[video] "
                          "(or log format='gif', which needs nothing extra)") from None
    return av


def encode_av(frames: np.ndarray, fps: float, fmt: str) -> bytes:
    from fractions import Fraction

    av = _require_av()
    codec = next((c for c in _CODECS[fmt] if _has_encoder(av, c)), None)
    if codec is None:
        raise ValueError(f"format={fmt!r}: this PyAV/FFmpeg build has no {' or '.join(_CODECS[fmt])} encoder; "
                         f"use one of {', '.join(f for f in FORMATS if f != fmt)}")
    t, h, w, _ = frames.shape
    # 4:2:0 chroma needs even sizes: pad with black
    ph, pw = h + h % 2, w + w % 2
    if (ph, pw) != (h, w):
        padded = np.zeros((t, ph, pw, 3), dtype=np.uint8)
        padded[:, :h, :w] = frames
        frames = padded
    buf = io.BytesIO()
    # bitexact: no random track ids or encoder stamps, so the same frames give the same file
    with av.open(buf, mode="w", format=fmt, options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
        # one encoder thread: x264's threads gave a different file now and then under CPU load (2 of 60
        # encodings of the same frames); one thread made that rare, not impossible (see Video: the
        # file is named by its frames)
        stream.codec_context.thread_count = 1
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def _has_encoder(av, name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
        return True
    except Exception:
        return False


def _probe(data: bytes, fmt: str) -> dict[str, Any]:
    if fmt == "gif":
        from PIL import Image as PILImage
        try:
            with PILImage.open(io.BytesIO(data)) as im:
                return {"width": im.width, "height": im.height, "frames": getattr(im, "n_frames", 1)}
        except Exception as exc:
            raise ValueError(f"data_or_path: not a readable GIF ({exc})") from None
    from .avsafe import MAX_PIXELS, Refused, number, open_media

    try:
        import av  # noqa: F401
    except ImportError:
        return {}
    try:  # (as the extension says, bounded probing: avsafe)
        with open_media(data, fmt) as c:
            s = c.streams.video[0]
            out = {"width": s.codec_context.width, "height": s.codec_context.height}
            if s.frames:
                out["frames"] = s.frames
            if s.average_rate:
                out["fps"] = s.average_rate
    except Refused as exc:  # (more streams or pixels than a video has)
        raise ValueError(f"data_or_path: {exc}") from None
    except Exception:  # noqa: BLE001 - unreadable: kept as it is, unprobed
        return {}
    tops = {"width": MAX_PIXELS, "height": MAX_PIXELS, "frames": 1e12, "fps": 1000}
    clean = {k: number(v, tops[k]) for k, v in out.items()}  # (a header says anything)
    return {k: (v if k == "fps" else int(v)) for k, v in clean.items() if v is not None}


class Video(Media):
    TYPE = kinds.VIDEO

    def __init__(self, data_or_path: Any, caption: str | None = None, fps: float | None = None,
                 format: str | None = None):
        self.caption = check_caption(caption)
        if fps is None:  # wandb's default: 4 frames per second
            fps = 4
        if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) \
                or not math.isfinite(fps) or fps <= 0:
            raise ValueError(f"fps: expected a positive number, got {fps!r}")
        if format is not None:
            if not isinstance(format, str) or format.lower() not in FORMATS:
                raise ValueError(f"format: expected one of {', '.join(FORMATS)}, got {format!r}")
            format = format.lower()
        self.fps: float | None = float(fps)
        self.meta: dict[str, Any] = {}
        self._named_by: bytes | None = None
        data = data_or_path
        if isinstance(data, (str, os.PathLike)):
            path = os.fspath(data)
            ext = extension(path)
            if ext not in FORMATS:
                raise ValueError(f"data_or_path: unsupported video file {path!r}; expected one of {', '.join(FORMATS)}")
            if format is not None and format != ext:
                raise ValueError(f"format={format!r} does not match the file extension of {path!r}")
            self._bytes = read_once(path, "data_or_path", "video")[0]  # (opened once, checked on its descriptor)
            self.format = ext
            self._from_file()
        elif isinstance(data, (io.BytesIO, bytes, bytearray)) or (hasattr(data, "read") and not hasattr(data, "shape")):
            if format is None:
                raise ValueError(f"format: required with a {type(data).__name__} (one of {', '.join(FORMATS)})")
            raw = data if isinstance(data, (bytes, bytearray)) else data.read()
            if not raw:
                raise ValueError("data_or_path: the video stream is empty")
            self._bytes, self.format = bytes(raw), format
            self._from_file()
        else:
            arr = to_numpy(data)
            if arr is None:
                raise TypeError(f"data_or_path: expected a numpy array, a tensor, a path or a BytesIO, "
                                f"got {type(data).__name__}")
            frames = to_thwc(arr)
            self.format = format or "gif"
            if self.format == "gif":
                self._bytes = encode_gif(frames, self.fps)
            else:
                self._bytes = encode_av(frames, self.fps, self.format)
                # named by the frames: x264 gave another file for the same frames now and then under
                # CPU load, even on one thread (1 of ~2,000 encodings in CI; never seen when run alone)
                self._named_by = b"%s:%r:%r:" % (self.format.encode(), self.fps, frames.shape) + \
                    np.ascontiguousarray(frames).tobytes()
            t, h, w = (int(n) for n in frames.shape[:3])
            if self.format != "gif":  # encoded at even sizes (black padding)
                h, w = h + h % 2, w + w % 2
            self.meta = {"width": w, "height": h, "frames": t}

    def _from_file(self) -> None:
        self.meta = _probe(self._bytes, self.format)
        self.fps = self.meta.pop("fps", None)

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        record: dict[str, Any] = {
            "_type": self.TYPE,
            "path": ctx.write_bytes("videos", self.format, self._bytes, named_by=self._named_by),
            "format": self.format,
        }
        if self.fps is not None:
            record["fps"] = self.fps
        record.update(self.meta)
        if self.caption is not None:
            record["caption"] = self.caption
        return record

    def __repr__(self) -> str:
        return f"<Video {self.format} {self.meta}>"
