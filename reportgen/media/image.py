"""Image: numpy arrays, tensors, PIL images, files and matplotlib figures, with
optional segmentation masks and bounding boxes.

Pixel rule for arrays (documented in docs/media.md):

- ``(H, W)`` and ``(H, W, 1)`` are grey, ``(H, W, 3)`` RGB, ``(H, W, 4)`` RGBA;
  a ``(C, H, W)`` array (C in 1, 3, 4 and the last axis not) is moved to ``(H, W, C)``.
- floats whose finite values all lie in ``[0, 1]`` are multiplied by 255; other
  floats are taken as 0-255 values. Then values are rounded and clipped to
  0-255; NaN becomes 0. Integer arrays are clipped to 0-255.

Files keep their bytes (a JPEG path stays JPEG); everything else is stored as PNG,
or as ``file_type`` (``png``, ``jpg``/``jpeg``, ``bmp``) when given, as in wandb.

``Image("https://...")`` (also ``s3://``, ``gs://``) is a reference: nothing is
fetched, the record keeps the URL and the site shows it as a link.
``Image(other_image)`` copies the pixels and the caption (not masks or boxes, as wandb).
"""
from __future__ import annotations

import io
import os
import re
from typing import Any

import numpy as np

from ..storage import kinds
from .base import Media, MediaContext, check_caption, extension, to_numpy
from .overlays import check_boxes, check_masks

KEEP_FORMATS = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "gif": "gif", "webp": "webp", "bmp": "bmp"}
FILE_TYPES = {"png": "png", "jpg": "jpeg", "jpeg": "jpeg", "bmp": "bmp"}  # wandb's accepted file_type values
_URL_RE = re.compile(r"^(gs|s3|https?)://", re.IGNORECASE)


def is_reference(value: Any) -> bool:
    """A URL logged as a reference (wandb's ``path_is_reference``: http(s), s3, gs)."""
    return isinstance(value, str) and bool(_URL_RE.match(value))


def reference_format(url: str) -> str:
    from urllib.parse import urlparse

    return extension(urlparse(url).path.rsplit("/", 1)[-1])


def array_to_uint8(arr: np.ndarray) -> np.ndarray:
    """Apply the pixel rule: floats in [0, 1] are scaled by 255, then clip to 0-255."""
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating):
        if not arr.size:
            return arr.astype(np.uint8)
        lo, hi = arr.min(), arr.max()  # NaN if any value is NaN
        if np.isfinite(lo) and np.isfinite(hi) and lo >= 0.0 and hi <= 1.0:  # the common case: one copy
            a = np.multiply(arr, 255.0, dtype=np.float64)
            np.rint(a, out=a)
            return a.astype(np.uint8)  # 0..255 already
        a = arr.astype(np.float64)  # a copy, changed in place below (no temporaries: issue 19)
        if not (np.isfinite(lo) and np.isfinite(hi)):  # NaN or +-inf inside: the finite values decide
            finite = a[np.isfinite(a)]
            lo, hi = (finite.min(), finite.max()) if finite.size else (np.inf, -np.inf)
            np.nan_to_num(a, copy=False, nan=0.0, posinf=np.inf, neginf=-np.inf)
        if lo >= 0.0 and hi <= 1.0:
            np.multiply(a, 255.0, out=a)
        np.rint(a, out=a)
        np.clip(a, 0, 255, out=a)  # +-inf -> 255 / 0
        return a.astype(np.uint8)
    if np.issubdtype(arr.dtype, np.integer):
        return np.clip(arr, 0, 255).astype(np.uint8)
    raise TypeError(f"data: expected a numeric array, got dtype {arr.dtype}")


def to_hwc(arr: np.ndarray) -> np.ndarray:
    """Return the array as (H, W) or (H, W, C) with C in 1, 3, 4; raise otherwise."""
    if arr.ndim == 2:
        return arr
    if arr.ndim == 3:
        if arr.shape[-1] not in (1, 3, 4) and arr.shape[0] in (1, 3, 4):
            arr = np.transpose(arr, (1, 2, 0))  # (C, H, W) -> (H, W, C)
        if arr.shape[-1] in (1, 3, 4):
            return arr[:, :, 0] if arr.shape[-1] == 1 else arr
    raise ValueError(
        f"data: expected an image array of shape (H, W), (H, W, 1|3|4) or (C, H, W), got {arr.shape}")


def array_to_pil(arr: np.ndarray, mode: str | None = None):
    from PIL import Image as PILImage

    hwc = array_to_uint8(to_hwc(arr))
    if hwc.shape[0] == 0 or hwc.shape[1] == 0:
        raise ValueError(f"data: the image is empty (shape {arr.shape})")
    img = PILImage.fromarray(hwc)
    if mode is not None and img.mode != mode:
        img = img.convert(mode)
    return img


def _is_figure(value: Any) -> bool:
    return type(value).__module__.startswith("matplotlib") and hasattr(value, "savefig")


class Image(Media):
    TYPE = kinds.IMAGE
    WARN_PER_STEP = 50

    def __init__(self, data_or_path: Any, mode: str | None = None, caption: str | None = None,
                 grouping: int | None = None, classes: Any = None, boxes: dict | None = None,
                 masks: dict | None = None, file_type: str | None = None):
        from PIL import Image as PILImage

        self.caption = check_caption(caption)
        self.grouping = grouping
        self.classes = _classes(classes)
        self.url: str | None = None
        self._pil = None
        if mode is not None and not isinstance(mode, str):
            raise TypeError(f"mode: expected a PIL mode string such as 'RGB' or 'L', got {type(mode).__name__}")
        if file_type is not None and (not isinstance(file_type, str) or file_type.lower() not in FILE_TYPES):
            raise ValueError(f"file_type: expected one of 'png', 'jpg', 'jpeg', 'bmp', got {file_type!r}")
        data = data_or_path
        self._bytes: bytes | None
        if isinstance(data, Image):
            self._bytes, self.format, self.url = data._bytes, data.format, data.url
            self.width, self.height, self.mode = data.width, data.height, data.mode
            self.caption = self.caption if caption is not None else data.caption
            self.grouping = grouping if grouping is not None else data.grouping
            self.classes = self.classes if classes is not None else data.classes
            self._overlays(masks, boxes)
            return
        if is_reference(data):
            self.url, self._bytes = data, None
            self.format = reference_format(data)
            self.width = self.height = self.mode = None
            self._overlays(masks, boxes)
            return
        if isinstance(data, (str, os.PathLike)):
            path = os.fspath(data)
            if not os.path.isfile(path):
                raise ValueError(f"data_or_path: image file not found: {path!r}")
            try:
                with PILImage.open(path) as probe:
                    probe.load()
                    img = probe.copy()
                    fmt = (probe.format or "").lower()
            except Exception as exc:
                raise ValueError(f"data_or_path: {path!r} is not a readable image ({exc})") from None
            if mode is None and fmt in KEEP_FORMATS.values():
                with open(path, "rb") as fh:
                    self._bytes, self.format = fh.read(), fmt
                self._set_size(img)
                self._overlays(masks, boxes)
                return
        elif isinstance(data, PILImage.Image):
            img = data
        elif _is_figure(data) or (hasattr(data, "gcf") and hasattr(data, "savefig")):
            fig = data.gcf() if hasattr(data, "gcf") else data
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            img = PILImage.open(io.BytesIO(buf.getvalue()))
            img.load()
        else:
            arr = to_numpy(data)
            if arr is not None and arr.ndim == 3 and arr.shape[0] in (1, 3, 4) and \
                    type(data).__module__.startswith("torch"):
                arr = np.transpose(arr, (1, 2, 0))  # torch images are (C, H, W), as wandb reads them
            if arr is None:
                try:
                    arr = np.asarray(data)
                except Exception:
                    arr = None
                if arr is None or arr.dtype == object or arr.ndim < 2:
                    raise TypeError(
                        "data_or_path: expected a numpy array, a tensor, a PIL image, a matplotlib figure "
                        f"or a path, got {type(data).__name__}")
            img = array_to_pil(arr, mode)
        if mode is not None and img.mode != mode:
            try:
                img = img.convert(mode)
            except ValueError as exc:
                raise ValueError(f"mode: cannot convert a {img.mode} image to {mode!r} ({exc})") from None
        self.format = FILE_TYPES[(file_type or "png").lower()]
        if self.format == "jpeg" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        if self.format == "bmp" and img.mode not in ("1", "L", "P", "RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.mode else "RGB")
        if img.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
            img = img.convert("RGBA" if "A" in img.mode else "RGB")
        buf = io.BytesIO()
        img.save(buf, format=self.format.upper())
        self._bytes = buf.getvalue()
        self._set_size(img)
        self._overlays(masks, boxes)

    def _set_size(self, img) -> None:
        self.width, self.height, self.mode = int(img.width), int(img.height), img.mode

    def _overlays(self, masks: Any, boxes: Any) -> None:
        self.masks = check_masks(masks)
        self.boxes = check_boxes(boxes)

    @property
    def image(self):
        """The picture as a PIL image (None for a URL reference), as ``wandb.Image.image``."""
        if self._bytes is None:
            return None
        if self._pil is None:
            from PIL import Image as PILImage

            img = PILImage.open(io.BytesIO(self._bytes))
            img.load()
            self._pil = img
        return self._pil

    def to_data_array(self) -> list[Any]:
        """Pixel rows (``[[pixel, ...], ...]``, a pixel an int or a tuple), as wandb returns them."""
        img = self.image
        if img is None:
            return []
        arr = np.asarray(img)
        return [[tuple(p) if arr.ndim == 3 else p for p in row] for row in arr.tolist()]

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        record: dict[str, Any] = {"_type": self.TYPE}
        if self._bytes is None:
            record.update(url=self.url, format=self.format)
        else:
            ext = {"jpeg": "jpg"}.get(self.format, self.format)
            record.update(path=ctx.write_bytes("images", ext, self._bytes), format=self.format,
                          width=self.width, height=self.height, mode=self.mode)
        if self.caption is not None:
            record["caption"] = self.caption
        if self.grouping is not None:
            record["grouping"] = self.grouping
        if self.classes:
            record["classes"] = self.classes
        if self.masks:
            record["masks"] = {
                name: {"path": ctx.write_bytes("masks", "png", m["png"], suffix=name),
                       "class_labels": m["class_labels"]}
                for name, m in self.masks.items()
            }
        if self.boxes:
            record["boxes"] = self.boxes
        return record

    def __repr__(self) -> str:
        if self.url is not None:
            return f"<Image {self.url}>"
        return f"<Image {self.width}x{self.height} {self.mode} {self.format}>"


def _classes(classes: Any) -> list[dict[str, Any]]:
    """wandb's ``classes=``: ``[{"id": int, "name": str}, ...]`` (or a ``Classes``-like with
    ``_class_set``)."""
    if classes is None:
        return []
    items = getattr(classes, "_class_set", classes)
    if isinstance(items, (str, bytes, dict)) or not hasattr(items, "__iter__"):
        raise TypeError(f"classes: expected a list of {{'id': int, 'name': str}}, got {type(classes).__name__}")
    out = []
    for i, c in enumerate(items):
        if not isinstance(c, dict) or "id" not in c or "name" not in c:
            raise ValueError(f"classes[{i}]: expected {{'id': int, 'name': str}}, got {c!r}")
        try:
            cid = int(c["id"])
        except (TypeError, ValueError):
            raise TypeError(f"classes[{i}]['id']: expected an integer, got {c['id']!r}") from None
        out.append({"id": cid, "name": str(c["name"])})
    return out
