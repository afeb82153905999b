"""Object3D: mesh files (obj, gltf 1.0/2.0, glb, stl), point clouds (arrays, ``.pts.json``
files) and lidar scenes.

Every form is stored as one scene JSON for the viewer (docs/media-format.md):
mesh files are loaded with trimesh (the ``mesh`` extra; glTF 1.0 by :mod:`.gltf1`)
and flattened into a single triangle mesh (world transforms applied, textures
reduced to vertex colours); the original file is kept next to it. A ``.pts.json``
file (what wandb writes for point clouds) holds either an N x 3|4|6 list or a
``lidar/beta`` scene. An empty point cloud is valid (the viewer shows an empty scene).
wandb's ``babylon`` format is not read: it raises a ValueError saying so.
"""
from __future__ import annotations

import io
import os
import warnings
from typing import Any

import numpy as np

from ..storage import kinds
from .base import Media, MediaContext, check_caption, extension, to_numpy

MESH_FORMATS = ("obj", "gltf", "glb", "stl")
FILE_FORMATS = (*MESH_FORMATS, "pts.json")
SCENE_TYPES = ("lidar/beta",)
_SCENE_KEYS = {"type", "points", "boxes", "vectors"}


def _finite(arr: np.ndarray, where: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where}: contains NaN or infinite values")


def point_cloud(value: Any, where: str = "data_or_path") -> dict[str, Any]:
    """Validate an ``N x 3|4|6`` array; return the scene fields it becomes."""
    arr = to_numpy(value)
    if arr is None:
        try:
            arr = np.asarray(value)
        except ValueError:  # rows of different lengths
            raise ValueError(f"{where}: expected an N x 3, N x 4 or N x 6 array; the rows differ in length") from None
    if arr.size == 0 and (arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] in (0, 3, 4, 6))):
        return {"points": []}  # an empty point cloud, as wandb accepts
    if arr.dtype == object:
        raise ValueError(f"{where}: expected an N x 3, N x 4 or N x 6 array of numbers; the rows differ in "
                         "length or hold other objects")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected numbers, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] not in (3, 4, 6):
        raise ValueError(f"{where}: expected an N x 3 (xyz), N x 4 (xyz + category 1-14) or "
                         f"N x 6 (xyz + r, g, b 0-255) array, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{where}: expected numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    _finite(arr, where)
    out: dict[str, Any] = {"points": np.round(arr[:, :3], 6).tolist()}
    if arr.shape[1] == 4:
        c = arr[:, 3]
        if np.any(c != np.rint(c)) or np.any((c < 1) | (c > 14)):
            raise ValueError(f"{where}: the 4th column is a category and must be an integer in 1-14, "
                             f"got {c.min():g}..{c.max():g}")
        out["categories"] = c.astype(int).tolist()
    elif arr.shape[1] == 6:
        rgb = arr[:, 3:]
        if np.any((rgb < 0) | (rgb > 255)):
            raise ValueError(f"{where}: columns 4-6 are r, g, b and must be in 0-255, got {rgb.min():g}..{rgb.max():g}")
        out["point_colors"] = np.rint(rgb).astype(int).tolist()
    return out


def _vec3(value: Any, where: str, expected: str) -> np.ndarray:
    try:
        v = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: expected {expected}") from None
    if v.shape != (3,):
        raise ValueError(f"{where}: expected {expected}, got shape {v.shape}")
    _finite(v, where)
    return v


def _xyz(value: Any, where: str) -> list[float]:
    return _vec3(value, where, "[x, y, z]").tolist()


def _color(value: Any, where: str) -> list[int]:
    c = _vec3(value, where, "[r, g, b] with values 0-255")
    if np.any((c < 0) | (c > 255)):
        # the wandb docs' own example uses 321: keep it loggable, but say so
        warnings.warn(f"{where}: colour values must be 0-255, got {c.tolist()}; clipped", stacklevel=4)
    return np.clip(np.rint(c), 0, 255).astype(int).tolist()


def lidar_scene(scene: dict) -> dict[str, Any]:
    """Validate a ``{"type": "lidar/beta", "points", "boxes", "vectors"}`` scene."""
    if scene.get("type") not in SCENE_TYPES:
        raise ValueError(f"data_or_path['type']: expected one of {SCENE_TYPES}, got {scene.get('type')!r}")
    unknown = set(scene) - _SCENE_KEYS
    if unknown:
        raise ValueError(f"data_or_path: unknown scene keys {sorted(unknown)}; expected {sorted(_SCENE_KEYS)}")
    out = point_cloud(scene.get("points", []), "data_or_path['points']")
    boxes = scene.get("boxes")
    if boxes is not None:
        boxes = list(boxes) if isinstance(boxes, (list, tuple, np.ndarray)) else None
        if boxes is None:
            raise TypeError("data_or_path['boxes']: expected a list of {corners, label, color} dicts")
        out["boxes"] = []
        for i, box in enumerate(boxes):
            where = f"data_or_path['boxes'][{i}]"
            if not isinstance(box, dict):
                raise TypeError(f"{where}: expected a dict with corners, label, color")
            extra = set(box) - {"corners", "label", "color", "score"}
            if extra:
                raise ValueError(f"{where}: unknown keys {sorted(extra)}; expected corners, label, color, score")
            try:
                corners = np.asarray(box.get("corners"), dtype=float)
            except (TypeError, ValueError):
                raise TypeError(f"{where}['corners']: expected 8 x [x, y, z] numbers") from None
            if corners.shape != (8, 3):
                raise ValueError(f"{where}['corners']: expected 8 corners of [x, y, z], got shape {corners.shape}")
            _finite(corners, f"{where}['corners']")
            item: dict[str, Any] = {"corners": corners.tolist()}
            if box.get("label") is not None:
                if not isinstance(box["label"], str):
                    raise TypeError(f"{where}['label']: expected a string")
                item["label"] = box["label"]
            if "color" not in box:
                raise ValueError(f"{where}: missing 'color' ([r, g, b], 0-255)")
            item["color"] = _color(box["color"], f"{where}['color']")
            if box.get("score") is not None:
                score = box["score"]
                if isinstance(score, bool) or not isinstance(score, (int, float, np.integer, np.floating)):
                    raise TypeError(f"{where}['score']: expected a number, got {type(score).__name__}")
                item["score"] = float(score)
            out["boxes"].append(item)
    vectors = scene.get("vectors")
    if vectors is not None:
        out["vectors"] = []
        for i, vec in enumerate(list(vectors)):
            where = f"data_or_path['vectors'][{i}]"
            if not isinstance(vec, dict) or "start" not in vec or "end" not in vec:
                raise ValueError(f"{where}: expected {{'start': [x, y, z], 'end': [x, y, z]}}")
            item = {"start": _xyz(vec["start"], f"{where}['start']"), "end": _xyz(vec["end"], f"{where}['end']")}
            if vec.get("color") is not None:
                item["color"] = _color(vec["color"], f"{where}['color']")
            out["vectors"].append(item)
    return out


def pts_scene(data: bytes) -> dict[str, Any]:
    """A ``.pts.json`` file: an N x 3|4|6 list of points or a ``lidar/beta`` scene dict."""
    import json

    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"data_or_path: not a readable .pts.json file ({exc})") from None
    if isinstance(doc, dict):
        return lidar_scene(doc)
    return point_cloud(doc)


GLTF_MAX_VALUES = 20_000_000  # numbers a glTF file's accessors may declare in all (x, y, z count three)
_GLTF_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_GLTF_ITEM = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}


def check_gltf_sizes(data: bytes, fmt: str) -> None:
    """ValueError when a glTF 2.0 file (``gltf`` JSON or ``glb``) declares more accessor values than
    :data:`GLTF_MAX_VALUES`, or an accessor larger than its bufferView: trimesh allocates what the
    accessors declare (an accessor without a bufferView is zeros), so a 400-byte file declaring
    300M vertices was 7 GB. Files it cannot parse are left to trimesh to report."""
    import json
    import struct

    try:
        if fmt == "glb":
            if len(data) < 20 or data[:4] != b"glTF" or struct.unpack_from("<I", data, 16)[0] != 0x4E4F534A:
                return
            doc = json.loads(data[20:20 + struct.unpack_from("<I", data, 12)[0]])
        else:
            doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("accessors"), list):
        return
    views = doc.get("bufferViews") if isinstance(doc.get("bufferViews"), list) else []
    total = 0
    for i, acc in enumerate(doc["accessors"]):
        count = acc.get("count") if isinstance(acc, dict) else None
        if not isinstance(count, int) or count < 0:
            continue
        width = _GLTF_WIDTH.get(acc.get("type"), 1)
        total += count * width
        if total > GLTF_MAX_VALUES:
            raise ValueError(f"glTF accessors declare more than {GLTF_MAX_VALUES:,} values (accessor {i}: "
                             f"{count} x {acc.get('type')}); not read")
        view = acc.get("bufferView")
        if isinstance(view, int) and 0 <= view < len(views) and isinstance(views[view], dict):
            length = views[view].get("byteLength")
            need = count * width * _GLTF_ITEM.get(acc.get("componentType"), 1)
            if isinstance(length, int) and count and need > length and not views[view].get("byteStride"):
                raise ValueError(f"glTF accessor {i} needs {need} bytes, its bufferView holds {length}; not read")


def mesh_scene(data: bytes, fmt: str, base_dir: str | None = None) -> dict[str, Any]:
    """Load an obj/gltf/glb/stl file with trimesh (glTF 1.0 with :mod:`.gltf1`) into ``{"mesh": {...}}``."""
    if fmt == "gltf":
        from .gltf1 import is_gltf1, read_gltf1

        if is_gltf1(data):
            try:
                return read_gltf1(data, base_dir)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"data_or_path: cannot read this glTF 1.0 file ({type(exc).__name__}: {exc})") from None
    try:
        import trimesh
    except ImportError:
        raise ImportError("reading obj/gltf/glb files needs trimesh: pip install reportgen[mesh]") from None
    if fmt in ("gltf", "glb"):
        try:
            check_gltf_sizes(data, fmt)
        except ValueError as exc:
            raise ValueError(f"data_or_path: cannot read this {fmt} file ({exc})") from None
    kwargs: dict[str, Any] = {}
    if base_dir:
        kwargs["resolver"] = trimesh.resolvers.FilePathResolver(base_dir)
    try:
        loaded = trimesh.load(io.BytesIO(data), file_type=fmt, process=False, **kwargs)
    except Exception as exc:
        raise ValueError(f"data_or_path: cannot read this {fmt} file ({type(exc).__name__}: {exc})") from None
    if isinstance(loaded, trimesh.Scene):
        if not loaded.geometry:
            raise ValueError(f"data_or_path: the {fmt} file contains no geometry")
        mesh = loaded.to_mesh() if hasattr(loaded, "to_mesh") else loaded.dump(concatenate=True)
    else:
        mesh = loaded
    if not hasattr(mesh, "faces") or len(mesh.vertices) == 0:
        raise ValueError(f"data_or_path: the {fmt} file contains no triangle mesh")
    out: dict[str, Any] = {"vertices": np.round(np.asarray(mesh.vertices, dtype=float), 6).tolist(),
                           "faces": np.asarray(mesh.faces, dtype=int).tolist()}
    try:
        colors = mesh.visual.to_color().vertex_colors if mesh.visual.kind == "texture" else (
            mesh.visual.vertex_colors if mesh.visual.kind == "vertex" else None)
        if colors is not None and len(colors) == len(mesh.vertices):
            out["vertex_colors"] = np.asarray(colors)[:, :3].astype(int).tolist()
    except Exception:
        pass
    return {"mesh": out}


class Object3D(Media):
    TYPE = kinds.OBJECT3D
    SUPPORTED_TYPES = FILE_FORMATS
    SUPPORTED_POINT_CLOUD_TYPES = SCENE_TYPES

    def __init__(self, data_or_path: Any, caption: str | None = None, file_type: str | None = None):
        self.caption = check_caption(caption)
        self._bytes: bytes | None = None
        data = data_or_path
        if isinstance(data, dict):
            self.format = "lidar/beta"
            self.scene = lidar_scene(data)
            return
        if isinstance(data, (str, os.PathLike)) or hasattr(data, "read"):
            raw, name, base = _read(data)
            fmt = (file_type or ("pts.json" if (name or "").lower().endswith(".pts.json") else extension(name)))
            fmt = fmt.lower().lstrip(".")
            if fmt == "babylon":
                raise ValueError("data_or_path: .babylon files are not supported by reportgen; export the scene "
                                 "as glTF/GLB or OBJ")
            if fmt not in FILE_FORMATS:
                raise ValueError(f"data_or_path: unsupported 3-D file {name or fmt!r}; expected one of "
                                 f"{', '.join(FILE_FORMATS)} (or pass file_type=)")
            if fmt == "pts.json":
                self.format, self.scene = "points", pts_scene(raw)
                return
            self.format, self._bytes = fmt, raw
            self.scene = mesh_scene(raw, fmt, base)
            return
        self.format = "points"
        self.scene = point_cloud(data)

    @classmethod
    def from_file(cls, data_or_path: Any, file_type: str | None = None, caption: str | None = None) -> "Object3D":
        return cls(data_or_path, caption=caption, file_type=file_type)

    @classmethod
    def from_numpy(cls, data: Any, caption: str | None = None) -> "Object3D":
        return cls(data, caption=caption)

    @classmethod
    def from_point_cloud(cls, points: Any, boxes: Any = None, vectors: Any = None,
                         point_cloud_type: str = "lidar/beta", caption: str | None = None) -> "Object3D":
        if point_cloud_type not in SCENE_TYPES:
            raise ValueError(f"point_cloud_type: expected one of {SCENE_TYPES}, got {point_cloud_type!r}")
        scene: dict[str, Any] = {"type": point_cloud_type, "points": points}
        if boxes is not None:
            scene["boxes"] = boxes
        if vectors is not None:
            scene["vectors"] = vectors
        return cls(scene, caption=caption)

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        record: dict[str, Any] = {"_type": self.TYPE, "format": self.format}
        if self._bytes is not None:
            record["path"] = ctx.write_bytes("object3d", self.format, self._bytes)
        record["scene"] = ctx.write_json("object3d", self.scene, suffix="scene")
        if "points" in self.scene:
            record["points"] = len(self.scene["points"])
        if self.caption is not None:
            record["caption"] = self.caption
        return record

    def __repr__(self) -> str:
        return f"<Object3D {self.format}>"


def _read(data: Any) -> tuple[bytes, str | None, str | None]:
    """Bytes, file name and folder of a path or file object (text-mode files are
    re-read in binary from their path, so ``open("x.glb")`` works)."""
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        if not os.path.isfile(path):
            raise ValueError(f"data_or_path: file not found: {path!r}")
        with open(path, "rb") as fh:
            return fh.read(), os.path.basename(path), os.path.dirname(os.path.abspath(path))
    name = getattr(data, "name", None)
    path = os.fspath(name) if isinstance(name, (str, os.PathLike)) else None
    if path and os.path.isfile(path) and "b" not in str(getattr(data, "mode", "b")):
        with open(path, "rb") as fh:
            return fh.read(), os.path.basename(path), os.path.dirname(os.path.abspath(path))
    content = data.read()
    if isinstance(content, str):
        content = content.encode("utf-8")
    return bytes(content), (os.path.basename(path) if path else None), (
        os.path.dirname(os.path.abspath(path)) if path else None)


def box3d(*, center: Any, size: Any, orientation: Any, color: Any, label: str | None = None,
          score: float | None = None) -> dict[str, Any]:
    """A 3-D box for ``Object3D.from_point_cloud(boxes=...)``, as ``wandb.box3d``: ``center`` and
    ``size`` are ``[x, y, z]``, ``orientation`` a quaternion ``[r, x, y, z]`` (scalar first),
    ``color`` ``(r, g, b)`` in 0-1 as wandb documents it (0-255 values are taken as they are)."""
    c = _vec3(center, "center", "[x, y, z]")
    s = _vec3(size, "size", "[x, y, z]")
    try:
        q = np.asarray(orientation, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("orientation: expected a quaternion [r, x, y, z]") from None
    if q.shape != (4,) or not np.all(np.isfinite(q)) or not np.linalg.norm(q):
        raise ValueError(f"orientation: expected a non-zero quaternion [r, x, y, z], got {q.tolist()}")
    r, i, j, k = q / np.linalg.norm(q)
    rot = np.array([[1 - 2 * (j * j + k * k), 2 * (i * j + k * r), 2 * (i * k - j * r)],
                    [2 * (i * j - k * r), 1 - 2 * (i * i + k * k), 2 * (j * k + i * r)],
                    [2 * (i * k + j * r), 2 * (j * k - i * r), 1 - 2 * (i * i + j * j)]])
    unit = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)
    corners = c + (0.5 * s * unit) @ rot
    rgb = _vec3(color, "color", "(r, g, b)")
    if np.all((rgb >= 0) & (rgb <= 1)):
        rgb = rgb * 255
    out: dict[str, Any] = {"corners": corners.tolist(), "color": np.rint(rgb).tolist()}
    if label is not None:
        out["label"] = label
    if score is not None:
        out["score"] = score
    return out
