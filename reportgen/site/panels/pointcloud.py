"""A point cloud as the 3D viewer loads it: at most :data:`MAX_DRAWN_POINTS` points (an even random
sample of a larger cloud, said on the page), packed as little-endian float32 coordinates and uint8
colours or categories in base64 (assets/viewer3d.js unpacks them into typed arrays).

A 2M-point cloud was written as a 50 MB data script of decimal numbers: 4.4 s to load and parse in
Chromium before the viewer's first frame, 354 MB of JS heap. wandb keeps every point in its file (as
the run folder does); the page draws what a panel can show."""
from __future__ import annotations

import base64
from typing import Any

import numpy as np

#: points a panel draws at most; a larger cloud is drawn from an even random sample of this many
MAX_DRAWN_POINTS = 500_000


def _pack(a: np.ndarray) -> str:
    return base64.b64encode(a.tobytes()).decode("ascii")


def _rows(values: Any, what: str) -> np.ndarray:
    """``values`` (a list of [a, b, c, ...] rows) as an N x 3 float64 array of their first three."""
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):  # rows of different lengths, or not numbers: each row read alone
        try:
            a = np.asarray([[float(v) for v in row[:3]] for row in values], dtype=np.float64)
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise ValueError(f"{what}: expected rows of 3 numbers ({exc})") from None
    if a.ndim != 2 or a.shape[1] < 3:
        raise ValueError(f"{what}: expected rows of 3 numbers, got shape {a.shape}")
    return a[:, :3]


def cloud_payload(scene: dict[str, Any], warn) -> tuple[dict[str, Any], str | None]:
    """The viewer's payload of the scene's points (``points``, with ``point_colors`` or ``categories``)
    and the note the page shows when it draws a sample; ``warn(text)`` is told of what is left out."""
    pts = _rows(scene["points"], "points")
    keep = np.isfinite(pts).all(axis=1) & (np.abs(pts) <= np.finfo(np.float32).max).all(axis=1)
    if not keep.all():
        warn(f"object3d: left out {int((~keep).sum()):,} point(s) whose coordinates are not finite float32 numbers")
    colors = categories = None
    if isinstance(scene.get("point_colors"), list):
        try:
            colors = _rows(scene["point_colors"], "point_colors")
        except ValueError as exc:
            warn(f"object3d: colours not drawn: {exc}")
        if colors is not None and len(colors) != len(pts):
            warn(f"object3d: colours not drawn: {len(colors):,} colours for {len(pts):,} points")
            colors = None
    elif isinstance(scene.get("categories"), list):
        try:
            categories = np.asarray(scene["categories"], dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            warn("object3d: categories not drawn: expected a number per point")
        if categories is not None and len(categories) != len(pts):
            warn(f"object3d: categories not drawn: {len(categories):,} categories for {len(pts):,} points")
            categories = None
    index = np.flatnonzero(keep)
    total, note = len(index), None
    if total > MAX_DRAWN_POINTS:  # (seeded: the same sample at every build)
        index = np.sort(np.random.default_rng(0).choice(index, MAX_DRAWN_POINTS, replace=False))
        note = f"{MAX_DRAWN_POINTS:,} of {total:,} points drawn (an even random sample)"
    payload: dict[str, Any] = {"points_f32": _pack(pts[index].astype("<f4"))}
    if colors is not None:
        payload["colors_u8"] = _pack(np.clip(np.nan_to_num(colors[index]), 0, 255).astype(np.uint8))
    elif categories is not None:  # (the viewer's 14 colours: category c is colour (c - 1) mod 14)
        c = np.trunc(np.nan_to_num(categories[index])).astype(np.int64)
        payload["categories_u8"] = _pack(((c - 1) % 14 + 1).astype(np.uint8))
    return payload, note
