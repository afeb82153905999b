"""Waveform images for audio panels, rendered at build time from the WAV (numpy + Pillow)."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 600, 72
COLOR = (59, 91, 219, 255)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Samples as float in [-1, 1], shape (frames,) (channels mixed down), and the sample rate."""
    with wave.open(str(path), "rb") as w:
        n, ch, width, rate = w.getnframes(), w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(n)
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        data = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / float(1 << 23)
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)
    else:
        raise ValueError(f"unsupported WAV sample width {width}")
    if ch > 1:
        data = data[: len(data) // ch * ch].reshape(-1, ch).mean(axis=1)
    return data, rate


def read_audio(path: Path) -> np.ndarray:
    """Mono samples of a WAV (stdlib) or, with PyAV installed, any audio file (mp3, ogg, flac...)."""
    if path.suffix.lower() == ".wav":
        return read_wav(path)[0]
    try:
        import av
    except ImportError as exc:
        raise ValueError(f"a waveform of {path.suffix} audio needs PyAV: pip install 'reportgen[video]'") from exc
    chunks = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            a = frame.to_ndarray().astype(np.float64)
            if a.ndim == 2 and a.shape[0] > 1 and not frame.format.is_planar:  # packed: (1, samples * channels)
                a = a.reshape(-1, len(frame.layout.channels)).T
            chunks.append(a.mean(axis=0) if a.ndim == 2 else a)
    data = np.concatenate(chunks) if chunks else np.zeros(0)
    if np.issubdtype(data.dtype, np.integer) or (data.size and np.abs(data).max() > 1.5):
        data = data / max(float(np.abs(data).max()), 1.0)
    return data


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

    samples = read_audio(src)
    lo, hi = envelope(samples, width)
    peak = max(float(np.abs(samples).max()) if samples.size else 0.0, 1e-9)
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    mid = (height - 1) / 2
    draw.line([(0, mid), (width - 1, mid)], fill=(180, 188, 204, 255))
    for x in range(width):
        y0 = mid - hi[x] / peak * mid
        y1 = mid - lo[x] / peak * mid
        draw.line([(x, y0), (x, max(y1, y0 + 1))], fill=COLOR)
    img.save(dest, format="PNG")
