"""Images read from foreign folders (TensorBoard image summaries, wandb ``image-file`` records,
MLflow image artifacts): decoded only in the formats trackers write, and only up to
:data:`MAX_PIXELS`.

A source folder is untrusted: a 690 KB PNG of zeros decodes to 13,300 x 13,300 RGBA pixels
(700 MB, and 5 s to decode and re-encode; Pillow only refuses twice its 89M-pixel warning
limit), and Pillow otherwise detects any of its ~40 formats by content, whatever the name
says. Anything else raises ValueError naming the size or the format.
"""
from __future__ import annotations

import io
from pathlib import Path

FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")  # what TensorBoard, wandb and MLflow write
MAX_PIXELS = 1 << 25  # 33.5M pixels: 8192 x 4096


def _open(source: bytes | Path):
    from PIL import Image, UnidentifiedImageError

    try:
        im = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source, formats=FORMATS)
    except UnidentifiedImageError:
        raise ValueError(f"not an image in one of the formats imported ({', '.join(FORMATS)})") from None
    if im.width * im.height > MAX_PIXELS:
        size = f"{im.width} x {im.height}"
        im.close()
        raise ValueError(f"an image of {size} pixels (more than {MAX_PIXELS:,}); not imported")
    return im


def decode_image(data: bytes):
    """The PIL image (loaded) that ``data`` holds; ValueError beyond :data:`MAX_PIXELS` or the formats."""
    im = _open(data)
    try:
        im.load()
    except (OSError, SyntaxError) as exc:  # (Pillow raises SyntaxError for some broken headers)
        raise ValueError(f"unreadable image ({exc})") from None
    return im


def check_image_file(path: Path) -> Path:
    """``path`` when it is an image within :data:`MAX_PIXELS` in one of :data:`FORMATS` (header read
    only); ValueError otherwise."""
    try:
        _open(Path(path)).close()
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"unreadable image ({exc})") from None
    return Path(path)
