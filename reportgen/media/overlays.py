"""Validation of image overlays: segmentation masks and bounding boxes.

Errors name the mask or the box group and index, e.g.
``boxes['predictions'].box_data[2].position: ...``.
"""
from __future__ import annotations

import io
import math
import numbers
from typing import Any

import numpy as np

from .base import as_array, to_numpy

DOMAINS = ("percentage", "pixel")


def _labels(value: Any, where: str) -> dict[int, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{where}.class_labels: expected a dict {{int: str}}, got {type(value).__name__}")
    out: dict[int, str] = {}
    for k, v in value.items():
        try:
            ik = int(k)
            if isinstance(k, bool) or ik != float(k):
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(f"{where}.class_labels: keys must be integer class ids, got {k!r}") from None
        if not isinstance(v, str):
            raise TypeError(f"{where}.class_labels[{k!r}]: expected a string label, got {type(v).__name__}")
        out[ik] = v
    return out


def _with_defaults(labels: dict[int, str], ids: list[int]) -> dict[str, str]:
    """Labels as stored: string keys, missing ids filled in as ``class_N``."""
    full = dict(labels)
    for i in ids:
        full.setdefault(int(i), f"class_{int(i)}")
    return {str(k): full[k] for k in sorted(full)}


def mask_png(ids: np.ndarray) -> bytes:
    """A single-channel PNG of class ids (mode L, or I;16 above 255)."""
    from PIL import Image as PILImage

    if ids.max(initial=0) <= 255:
        img = PILImage.fromarray(ids.astype(np.uint8))
    else:
        img = PILImage.fromarray(ids.astype(np.uint16))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def check_masks(masks: Any) -> dict[str, dict[str, Any]]:
    """Validate ``masks``; return ``{name: {png, class_labels}}``. A mask may differ in size from
    its image: as in wandb, it is stored as logged and drawn stretched over the image."""
    if masks is None:
        return {}
    if not isinstance(masks, dict):
        raise TypeError(f"masks: expected a dict of named masks, got {type(masks).__name__}")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in masks.items():
        where = f"masks[{name!r}]"
        if not isinstance(name, str) or not name:
            raise TypeError(f"{where}: mask names must be non-empty strings")
        if not isinstance(spec, dict):
            raise TypeError(f"{where}: expected {{'mask_data': array, 'class_labels': {{int: str}}}}, "
                            f"got {type(spec).__name__}")
        unknown = set(spec) - {"mask_data", "class_labels", "path"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; expected mask_data, class_labels")
        if "mask_data" in spec:
            arr = as_array(spec["mask_data"], f"{where}.mask_data", "a 2-D integer array")
        elif "path" in spec:
            from PIL import Image as PILImage
            try:
                with PILImage.open(spec["path"]) as im:
                    arr = np.asarray(im)
            except Exception as exc:
                raise ValueError(f"{where}.path: not a readable mask image ({exc})") from None
        else:
            raise ValueError(f"{where}: missing 'mask_data' (a 2-D array of class ids)")
        if arr.dtype == np.bool_:
            arr = arr.astype(np.uint8)
        if arr.ndim != 2:
            raise ValueError(f"{where}.mask_data: expected a 2-D array of class ids, got shape {arr.shape}")
        if not np.issubdtype(arr.dtype, np.integer):
            if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.rint(arr)):
                arr = arr.astype(np.int64)
            else:
                raise TypeError(f"{where}.mask_data: expected integer class ids, got dtype {arr.dtype}")
        if 0 in arr.shape:
            raise ValueError(f"{where}.mask_data: the mask is empty (shape {arr.shape})")
        if arr.size and (arr.min() < 0 or arr.max() > 65535):
            raise ValueError(f"{where}.mask_data: class ids must be in 0..65535, got {arr.min()}..{arr.max()}")
        labels = _labels(spec.get("class_labels"), where)
        ids = [int(i) for i in np.unique(arr)]
        out[name] = {"png": mask_png(arr), "class_labels": _with_defaults(labels, ids)}
    return out


def _scalar(value: Any) -> Any:
    """A one-element tensor or array (``torch.tensor(0.5)``, ``box[0]``) as its Python number."""
    if isinstance(value, (bool, numbers.Number, str)) or value is None:
        return value
    arr = to_numpy(value)
    if arr is not None and arr.size == 1:
        return arr.reshape(()).item()
    return value


def _number(value: Any, where: str) -> float:
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: expected a number, got {type(value).__name__}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{where}: expected a finite number, got {value!r}")
    return f


def _position(pos: Any, where: str) -> dict[str, Any]:
    if not isinstance(pos, dict):
        raise TypeError(f"{where}: expected a dict, got {type(pos).__name__}")
    if {"minX", "maxX", "minY", "maxY"} <= set(pos):
        p = {k: _number(pos[k], f"{where}.{k}") for k in ("minX", "maxX", "minY", "maxY")}
        if p["minX"] > p["maxX"] or p["minY"] > p["maxY"]:
            raise ValueError(f"{where}: expected minX <= maxX and minY <= maxY, got {p}")
        return p
    if {"middle", "width", "height"} <= set(pos):
        mid = pos["middle"]
        arr = to_numpy(mid)
        mid = arr.ravel().tolist() if arr is not None else (list(mid) if isinstance(mid, (list, tuple)) else None)
        if mid is None or len(mid) != 2:
            raise ValueError(f"{where}.middle: expected [x, y]")
        p = {"middle": [_number(mid[0], f"{where}.middle[0]"), _number(mid[1], f"{where}.middle[1]")],
             "width": _number(pos["width"], f"{where}.width"),
             "height": _number(pos["height"], f"{where}.height")}
        if p["width"] < 0 or p["height"] < 0:
            raise ValueError(f"{where}: width and height must be >= 0")
        return p
    raise ValueError(f"{where}: expected {{minX, maxX, minY, maxY}} or {{middle: [x, y], width, height}}, "
                     f"got keys {sorted(pos)}")


def _box(box: Any, where: str) -> dict[str, Any]:
    if not isinstance(box, dict):
        raise TypeError(f"{where}: expected a dict with position and class_id, got {type(box).__name__}")
    if "position" not in box:
        raise ValueError(f"{where}: missing 'position'")
    out: dict[str, Any] = {"position": _position(box["position"], f"{where}.position")}
    domain = box.get("domain", "percentage")
    if domain not in DOMAINS:
        raise ValueError(f"{where}.domain: expected 'percentage' or 'pixel', got {domain!r}")
    out["domain"] = domain
    if "class_id" not in box:
        raise ValueError(f"{where}: missing 'class_id' (an integer)")
    cid = _scalar(box["class_id"])
    if isinstance(cid, float) and cid.is_integer():
        cid = int(cid)
    if isinstance(cid, (bool, np.bool_)) or not isinstance(cid, numbers.Integral):
        raise TypeError(f"{where}.class_id: expected an integer, got {cid!r}")
    out["class_id"] = int(cid)
    if box.get("box_caption") is not None:
        if not isinstance(box["box_caption"], str):
            raise TypeError(f"{where}.box_caption: expected a string")
        out["box_caption"] = box["box_caption"]
    if box.get("scores") is not None:
        scores = box["scores"]
        if not isinstance(scores, dict):
            raise TypeError(f"{where}.scores: expected a dict {{name: number}}")
        out["scores"] = {str(k): _number(v, f"{where}.scores[{k!r}]") for k, v in scores.items()}
    unknown = set(box) - {"position", "domain", "class_id", "box_caption", "scores"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    return out


def check_boxes(boxes: Any) -> dict[str, dict[str, Any]]:
    """Validate ``boxes``; return the stored form (class_labels with defaults)."""
    if boxes is None:
        return {}
    if not isinstance(boxes, dict):
        raise TypeError(f"boxes: expected a dict of named box groups, got {type(boxes).__name__}")
    out: dict[str, dict[str, Any]] = {}
    for name, group in boxes.items():
        where = f"boxes[{name!r}]"
        if not isinstance(name, str) or not name:
            raise TypeError(f"{where}: group names must be non-empty strings")
        if not isinstance(group, dict) or "box_data" not in group:
            raise ValueError(f"{where}: expected {{'box_data': [box, ...], 'class_labels': {{int: str}}}}")
        data = group["box_data"]
        if isinstance(data, np.ndarray) or to_numpy(data) is not None:
            data = list(data)
        if not isinstance(data, (list, tuple)):
            raise TypeError(f"{where}.box_data: expected a list of boxes, got {type(data).__name__}")
        items = [_box(b, f"{where}.box_data[{i}]") for i, b in enumerate(data)]
        labels = _labels(group.get("class_labels"), where)
        out[name] = {"box_data": items,
                     "class_labels": _with_defaults(labels, [b["class_id"] for b in items])}
    return out
