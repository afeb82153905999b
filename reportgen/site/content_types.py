"""The content type of every file the site publishes, by its extension: one table for ``reportgen serve``
and for a site published to a URL (S3, GCS, Azure).

The publisher took its types from Python's ``mimetypes``, which reads the machine's ``/etc/mime.types``:
on a machine without it (a slim container image, where CI publishes) ``.ogg``, ``.flac``, ``.m4v``,
``.m4a`` and ``.opus`` were uploaded with no type, and where it is found the types differed from the
server's (``audio/x-wav`` for ``audio/wav``, none for ``.npy``). The table names a type for every
extension :data:`..publish.INERT` lets through and for the site's own pages, scripts and styles
(tests/test_content_types.py checks both).
"""
from __future__ import annotations

import posixpath

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".ico": "image/x-icon",
    ".avif": "image/avif",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".flac": "audio/flac",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
    ".obj": "model/obj",
    ".stl": "model/stl",
    ".ply": "application/octet-stream",
    ".pdb": "chemical/x-pdb",
    ".sdf": "chemical/x-mdl-sdfile",
    ".sd": "chemical/x-mdl-sdfile",
    ".mol": "chemical/x-mdl-molfile",
    ".mol2": "chemical/x-mol2",
    ".cif": "chemical/x-cif",
    ".mmcif": "chemical/x-mmcif",
    ".mcif": "chemical/x-mmcif",
    ".pqr": "chemical/x-pdb",
    ".gro": "text/plain; charset=utf-8",
    ".xyz": "chemical/x-xyz",
    ".mmtf": "application/octet-stream",
    ".npy": "application/octet-stream",
    ".npz": "application/octet-stream",
    ".tsv": "text/tab-separated-values; charset=utf-8",
    ".wasm": "application/wasm",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
DEFAULT_TYPE = "application/octet-stream"


def content_type(name: str) -> str:
    """The Content-Type for a file name (by extension, case-insensitive)."""
    return CONTENT_TYPES.get(posixpath.splitext(name)[1].lower(), DEFAULT_TYPE)
