"""Image overlays: boxes to pixel rectangles and masks to one coloured layer per class."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ..clip import NAME_CHARS, clip, clip_key

# 20 distinguishable colours (Tableau 20 order), picked by class id
PALETTE = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
    (196, 156, 148), (247, 182, 210), (199, 199, 199), (219, 219, 141), (158, 218, 229),
]


def class_color(class_id: int) -> str:
    r, g, b = PALETTE[int(class_id) % len(PALETTE)]
    return f"#{r:02x}{g:02x}{b:02x}"


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def box_to_pixels(box: dict[str, Any], width: float, height: float) -> tuple[float, float, float, float] | None:
    """``(x, y, w, h)`` in image pixels for a logged box, or None when the position is unusable.

    Accepts ``position`` as ``{minX, maxX, minY, maxY}`` or ``{middle: [x, y], width, height}``
    (the middle form is also accepted at the box's top level) in the ``percentage`` domain
    (fractions of the image, the default) or the ``pixel`` domain.
    """
    pos = box.get("position") if isinstance(box.get("position"), dict) else box
    if all(k in pos for k in ("minX", "maxX", "minY", "maxY")):
        x0, x1, y0, y1 = (_num(pos[k]) for k in ("minX", "maxX", "minY", "maxY"))
        if None in (x0, x1, y0, y1):
            return None
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
    elif "middle" in pos:
        mid = pos.get("middle")
        if not isinstance(mid, (list, tuple)) or len(mid) != 2:
            return None
        mx, my, w, h = _num(mid[0]), _num(mid[1]), _num(pos.get("width")), _num(pos.get("height"))
        if None in (mx, my, w, h):
            return None
        x0, x1, y0, y1 = mx - abs(w) / 2, mx + abs(w) / 2, my - abs(h) / 2, my + abs(h) / 2
    else:
        return None
    if box.get("domain", "percentage") != "pixel":
        x0, x1, y0, y1 = x0 * width, x1 * width, y0 * height, y1 * height
    # an image's width beyond each side at most: a box logged at ±1e308 overflowed to ±inf (null in
    # the page: an SVG rect without x, y, width, height and a console error); what shows is the same
    x0, x1 = (min(max(v, -width), 2 * width) for v in (x0, x1))
    y0, y1 = (min(max(v, -height), 2 * height) for v in (y0, y1))
    return (round(x0, 3), round(y0, 3), round(x1 - x0, 3), round(y1 - y0, 3))


#: boxes drawn on one image, all groups together, and class labels kept per group: 100,000 logged
#: boxes made a 10 MB run page that took 32 s to open
MAX_BOXES = 1_000
MAX_LABELS = 256
#: score names of one image (the page draws a filter slider for each and lists them on every box)
#: and each name's length: a box with 100,000 score keys, or a 10 MB name, made the page hang
MAX_SCORE_KEYS = 32
SCORE_KEY_CHARS = 64


def box_count(boxes: Any) -> int:
    """How many boxes a record logs (what :func:`box_groups` may leave out)."""
    if not isinstance(boxes, dict):
        return 0
    return sum(len(g["box_data"]) for g in boxes.values() if isinstance(g, dict) and isinstance(g.get("box_data"), list))


def box_groups(boxes: Any, width: float, height: float) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """View-models of the box groups of one image (at most :data:`MAX_BOXES` boxes in all), the
    sorted score keys they use (the first :data:`MAX_SCORE_KEYS` names logged, each cut at
    :data:`SCORE_KEY_CHARS`), and what was left out or cut of the scores (for the run's warning)."""
    groups, budget = [], MAX_BOXES
    score_keys: dict[str, str] = {}  # a logged name -> its name on the page
    dropped: set[str] = set()
    if not isinstance(boxes, dict):
        return groups, [], []
    for name in sorted(boxes):
        g = boxes[name]
        if not isinstance(g, dict):
            continue
        labels = {str(k): clip(str(v), NAME_CHARS) for k, v in (g.get("class_labels") or {}).items()}
        out = []
        for b in g.get("box_data") or []:
            if budget <= 0:
                break
            if not isinstance(b, dict):
                continue
            rect = box_to_pixels(b, width, height)
            if rect is None:
                continue
            budget -= 1
            cid = b.get("class_id", 0)
            cid = int(cid) if isinstance(cid, (int, float)) and not isinstance(cid, bool) else 0
            scores = _scores(b.get("scores"), score_keys, dropped)
            out.append({"r": list(rect), "c": cid, "label": labels.get(str(cid), f"class_{cid}"),
                        "caption": clip(str(b["box_caption"]), NAME_CHARS) if b.get("box_caption") is not None else None,
                        "scores": scores, "color": class_color(cid)})
        groups.append({"name": str(name), "labels": _some_labels(labels, {str(b["c"]) for b in out}), "boxes": out})
    notes = [f"{len(score_keys) + len(dropped):,} score names; the first {MAX_SCORE_KEYS} are shown"] if dropped else []
    if any(k != shown for k, shown in score_keys.items()):
        notes.append(f"score names longer than {SCORE_KEY_CHARS} characters are cut")
    return groups, sorted(score_keys.values()), notes


def _scores(raw: Any, keys: dict[str, str], dropped: set[str]) -> dict[str, float]:
    """A box's numeric scores under their page names; names beyond the image's first
    :data:`MAX_SCORE_KEYS` are left out (and counted in ``dropped``)."""
    out: dict[str, float] = {}
    for k, v in (raw.items() if isinstance(raw, dict) else ()):
        n = _num(v)
        if n is None:
            continue
        k = str(k)
        shown = keys.get(k)
        if shown is None:
            if len(keys) >= MAX_SCORE_KEYS:
                if len(dropped) < 1_000_000:
                    dropped.add(k)
                continue
            shown = keys[k] = clip_key(k, SCORE_KEY_CHARS)
        out[shown] = n
    return out


def _some_labels(labels: dict[str, str], used: set[str]) -> dict[str, str]:
    """At most :data:`MAX_LABELS` of ``labels``: those of the drawn boxes' classes first."""
    if len(labels) <= MAX_LABELS:
        return labels
    keep = set(sorted(labels, key=lambda k: k not in used)[:MAX_LABELS])
    return {k: v for k, v in labels.items() if k in keep}

#: layers (one image file each) drawn for one mask: a 200-byte 16-bit mask PNG holding 4,096 ids
#: wrote 4,096 layer files (17 MB); 65,535 ids, as many
MAX_MASK_LAYERS = 256


def mask_class_ids(ids: np.ndarray, class_labels: dict[str, Any]) -> list[int]:
    """Classes that get a layer: every id present, except an unlabeled 0 (background)."""
    present = [int(c) for c in np.unique(ids)]
    return [c for c in present if c != 0 or str(c) in class_labels]


def first_layers(classes: list[int], class_labels: dict[str, Any]) -> list[int]:
    """At most :data:`MAX_MASK_LAYERS` of ``classes``: the labeled ones first, then by id."""
    if len(classes) <= MAX_MASK_LAYERS:
        return classes
    return sorted(sorted(classes, key=lambda c: (str(c) not in class_labels, c))[:MAX_MASK_LAYERS])


BACKGROUND_NAMES = ("background", "bg", "void", "unlabeled", "unlabelled")
TRUTH_NAMES = ("ground_truth", "groundtruth", "ground truth", "gt", "truth", "target", "targets", "label", "labels")


def is_background(class_id: int, label: str) -> bool:
    """A class drawn transparent at first (listed, off): one named like background, or the SDK's
    default label for class 0."""
    return label.strip().lower() in BACKGROUND_NAMES or (class_id == 0 and label == "class_0")


def is_truth(mask_name: str) -> bool:
    """Ground-truth masks are drawn as outlines, predictions filled: the two never share a look."""
    return mask_name.strip().lower() in TRUTH_NAMES


def outline(sel: np.ndarray) -> np.ndarray:
    """The border pixels of a boolean region, about 1/100 of the image thick (at least 1 px)."""
    h, w = sel.shape
    width = max(1, round(min(h, w) / 100))
    inner = sel.copy()
    for _ in range(width):  # erode: a pixel stays inside when its 4 neighbours are in the region
        p = np.pad(inner, 1, constant_values=False)
        inner = inner & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return sel & ~inner


def write_mask_layer(ids: np.ndarray, class_id: int, dest: Path, *, outlined: bool = False) -> None:
    from PIL import Image

    rgba = np.zeros(ids.shape + (4,), dtype=np.uint8)
    hexcol = class_color(class_id)
    sel = ids == class_id
    if outlined:
        sel = outline(sel)
    rgba[sel] = (int(hexcol[1:3], 16), int(hexcol[3:5], 16), int(hexcol[5:7], 16), 255)
    Image.fromarray(rgba, "RGBA").save(dest, format="PNG")


def read_mask(src: Path) -> np.ndarray:
    from .sitefiles import open_image

    with open_image(src, decode=True) as im:
        return np.asarray(im if im.mode in ("L", "I", "I;16") else im.convert("L")).astype(np.int64)
