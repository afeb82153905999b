"""glTF 1.0 meshes, read without trimesh (which reads glTF 2.0 only).

glTF 1.0 keeps its objects in dicts keyed by id, puts ``byteStride`` on accessors and
has technique-based materials. This reader takes what the viewer needs: triangle
geometry (modes TRIANGLES, TRIANGLE_STRIP, TRIANGLE_FAN; points and lines are left
out), node transforms (``matrix`` or translation/rotation/scale) from the default
scene, and a material's ``values.diffuse`` colour as vertex colours. Buffers are
``data:`` URIs or files in the .gltf's folder (never outside it, links followed: a model
from someone else must not read the machine's files). Binary glTF 1.0 (``KHR_binary_glTF``) is
not read: the error says so.
"""
from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def is_gltf1(data: bytes) -> bool:
    """True for a JSON glTF whose ``asset.version`` is 1.x (or, without an asset, whose meshes are a dict)."""
    head = data[:1].strip() or data.lstrip()[:1]
    if head != b"{":
        return False
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    version = str((doc.get("asset") or {}).get("version", ""))
    return version.startswith("1") or (not version and isinstance(doc.get("meshes"), dict))


def _buffer(doc: dict, bid: str, base_dir: str | None, cache: dict) -> bytes:
    if bid in cache:
        return cache[bid]
    buf = (doc.get("buffers") or {}).get(bid)
    if not isinstance(buf, dict) or not isinstance(buf.get("uri"), str):
        raise ValueError(f"glTF 1.0: buffer {bid!r} has no uri")
    uri = buf["uri"]
    if uri.startswith("data:"):
        data = base64.b64decode(uri.split(",", 1)[1])
    else:
        if base_dir is None:
            raise ValueError(f"glTF 1.0: buffer {bid!r} is the file {uri!r}; pass the .gltf as a path so it can be found")
        from ..storage.safety import UnsafePath, inside, open_regular

        try:  # a file next to the .gltf only: "/home/me/.ssh/id_rsa" or "../../x" (an imported wandb run's
            path = inside(base_dir, uri, "the .gltf's folder")  # model) became published vertices, byte by byte
        except UnsafePath as exc:
            raise ValueError(f"glTF 1.0: buffer {bid!r}: {exc}") from None
        except FileNotFoundError:
            raise ValueError(f"glTF 1.0: buffer file not found: {uri!r}") from None
        if not path.is_file():
            raise ValueError(f"glTF 1.0: buffer file not found: {uri!r}")
        with open_regular(path) as fh:
            data = fh.read()
    cache[bid] = data
    return data


def _accessor(doc: dict, aid: str, base_dir: str | None, cache: dict) -> np.ndarray:
    acc = (doc.get("accessors") or {}).get(aid)
    if not isinstance(acc, dict):
        raise ValueError(f"glTF 1.0: accessor {aid!r} not found")
    view = (doc.get("bufferViews") or {}).get(acc.get("bufferView"))
    if not isinstance(view, dict):
        raise ValueError(f"glTF 1.0: accessor {aid!r} has no bufferView")
    dtype = np.dtype(_DTYPES[int(acc["componentType"])]).newbyteorder("<")
    width, count = _WIDTH[acc.get("type", "SCALAR")], int(acc["count"])
    data = _buffer(doc, view["buffer"], base_dir, cache)
    start = int(view.get("byteOffset", 0)) + int(acc.get("byteOffset", 0))
    stride = int(acc.get("byteStride") or 0) or dtype.itemsize * width
    need = start + stride * (count - 1) + dtype.itemsize * width if count else start
    if need > len(data):
        raise ValueError(f"glTF 1.0: accessor {aid!r} reads past the end of its buffer")
    arr = np.ndarray((count, width), dtype=dtype, buffer=data, offset=start, strides=(stride, dtype.itemsize))
    return np.array(arr)


def _triangles(idx: np.ndarray, mode: int) -> np.ndarray:
    if mode == 4:
        return idx[: len(idx) // 3 * 3].reshape(-1, 3)
    if mode == 5:  # strip: alternate winding
        tris = [(idx[i], idx[i + 1], idx[i + 2]) if i % 2 == 0 else (idx[i + 1], idx[i], idx[i + 2])
                for i in range(len(idx) - 2)]
        return np.array(tris, dtype=np.int64).reshape(-1, 3)
    if mode == 6:  # fan
        return np.array([(idx[0], idx[i], idx[i + 1]) for i in range(1, len(idx) - 1)], dtype=np.int64).reshape(-1, 3)
    return np.zeros((0, 3), dtype=np.int64)


def _local(node: dict) -> np.ndarray:
    if "matrix" in node:
        return np.asarray(node["matrix"], dtype=float).reshape(4, 4).T  # column-major
    m = np.eye(4)
    x, y, z, w = node.get("rotation", [0, 0, 0, 1])
    r = np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                  [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                  [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
    m[:3, :3] = r * np.asarray(node.get("scale", [1, 1, 1]), dtype=float)
    m[:3, 3] = node.get("translation", [0, 0, 0])
    return m


def read_gltf1(data: bytes, base_dir: str | None = None) -> dict[str, Any]:
    """A glTF 1.0 file as ``{"mesh": {"vertices", "faces", "vertex_colors" (opt)}}``."""
    doc = json.loads(data.decode("utf-8"))
    if "KHR_binary_glTF" in (doc.get("extensionsUsed") or []):
        raise ValueError("binary glTF 1.0 (KHR_binary_glTF) is not supported; convert the file to glTF 2.0")
    meshes, nodes = doc.get("meshes") or {}, doc.get("nodes") or {}
    cache: dict[str, bytes] = {}
    verts, faces, colors, any_color = [], [], [], False

    def add_mesh(mid: str, world: np.ndarray) -> None:
        nonlocal any_color
        for prim in (meshes.get(mid) or {}).get("primitives") or []:
            pos_id = (prim.get("attributes") or {}).get("POSITION")
            if pos_id is None:
                continue
            pos = _accessor(doc, pos_id, base_dir, cache)[:, :3].astype(float)
            idx = _accessor(doc, prim["indices"], base_dir, cache).ravel().astype(np.int64) \
                if prim.get("indices") is not None else np.arange(len(pos))
            tris = _triangles(idx, int(prim.get("mode", 4)))
            if not len(tris):
                continue
            if tris.max() >= len(pos):
                raise ValueError(f"glTF 1.0: mesh {mid!r} has indices past its {len(pos)} vertices")
            offset = sum(len(v) for v in verts)
            verts.append(pos @ world[:3, :3].T + world[:3, 3])
            faces.append(tris + offset)
            diffuse = ((doc.get("materials") or {}).get(prim.get("material")) or {}).get("values", {}).get("diffuse")
            if isinstance(diffuse, list) and len(diffuse) >= 3:
                any_color = True
                colors.append(np.tile(np.clip(np.asarray(diffuse[:3], float) * 255, 0, 255).round(), (len(pos), 1)))
            else:
                colors.append(np.full((len(pos), 3), 200.0))

    def walk(nid: str, parent: np.ndarray, depth: int = 0) -> None:
        node = nodes.get(nid)
        if not isinstance(node, dict) or depth > 64:
            return
        world = parent @ _local(node)
        for mid in node.get("meshes") or []:
            add_mesh(mid, world)
        for child in node.get("children") or []:
            walk(child, world, depth + 1)

    scenes = doc.get("scenes") or {}
    scene = scenes.get(doc.get("scene")) or next(iter(scenes.values()), None)
    if isinstance(scene, dict) and scene.get("nodes"):
        for nid in scene["nodes"]:
            walk(nid, np.eye(4))
    else:
        for mid in meshes:
            add_mesh(mid, np.eye(4))
    if not verts:
        raise ValueError("the glTF 1.0 file contains no triangle mesh")
    out: dict[str, Any] = {"vertices": np.round(np.vstack(verts), 6).tolist(),
                           "faces": np.vstack(faces).astype(int).tolist()}
    if any_color:
        out["vertex_colors"] = np.vstack(colors).astype(int).tolist()
    return {"mesh": out}
