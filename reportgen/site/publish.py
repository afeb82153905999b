"""What a file from a run (or reports) folder may become in the site.

The rule (docs/site.md, "Trust"): no published file can run logged script with the
site's origin, even when it is opened on its own.

- Files whose type a browser only displays (images, audio, video, 3D and molecule
  formats, .npy, .json, .csv, .txt) are copied as they are.
- SVG is copied *sanitized* (:mod:`.svgclean`): no script, no event attributes, no
  foreign content, no external references.
- Logged HTML is never published as an ``.html`` file. Its text goes into a data
  script (``media/<run>/data/*.js``; opened directly, a script file is shown as text)
  and the page puts it into ``<iframe sandbox="allow-scripts" srcdoc=...>``: an opaque
  origin, with a Content-Security-Policy that allows inline script and style only and
  no request at all (:func:`html_document`).
- Anything else (``.html``, ``.xml``, ``.js``, unknown types) is refused with a warning.
- A file over :data:`SPARSE_MAX` that is mostly holes (a run's sparse 4 GiB video, a few KB in a zip) is
  kept sparse in a site built to a folder, and not put in a site published to a URL (``holes=False``):
  uploaded, it was 4 GiB of zeros. Its item shows as not shown, with the reason (:func:`sparse_note`),
  instead of linking a file the bucket never gets.
"""
from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

from ..media.avsafe import VIDEO_DEMUXERS
from ..storage.sparse import copy_keeping_holes  # noqa: F401 (its home; serve's slots use it from here)
from .svgclean import sanitize_svg
from .write import writing

#: a run file the builder reads whole (logged HTML, SVG, a table's or a figure's JSON) is at most this
#: large: a sparse 8 GB ``.html`` (a few KB in a zip) was read into memory whole
READ_MAX = 64 << 20
#: a file larger than this whose data (not holes) is under half its size is not published to a URL
SPARSE_MAX = 64 << 20

INERT = frozenset("""
png jpg jpeg gif webp bmp avif
wav mp3 ogg oga flac m4a aac opus
obj gltf glb stl ply
pdb pqr mmcif mcif cif sdf sd gro mol2 mmtf mol xyz
npy npz json csv tsv txt
""".split()) | VIDEO_DEMUXERS.keys()  # (videos: those the video check opens, one list)

#: The Content-Security-Policy of logged HTML: inline script and style run, nothing is fetched.
HTML_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            "img-src data: blob:; media-src data: blob:; font-src data:; form-action 'none'; base-uri 'none'")
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.I)


class NotPublished(ValueError):
    """A file the site must not publish (its type can run script, or is unknown)."""


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""


def check_publishable(name: str) -> str:
    """The lower-case extension of ``name`` if such a file may be published, else NotPublished."""
    ext = extension(name)
    if ext in INERT or ext == "svg":
        return ext
    what = f".{ext} files" if ext else "files without an extension"
    raise NotPublished(f"{name}: {what} are not published (they could run script with the site's origin)")


def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MiB" if n >= 1 << 20 else f"{n:,} bytes"


def sparse_note(path: Path) -> str | None:
    """``"4,096.0 MiB, of which 8,192 bytes hold data (a sparse file)"`` when the regular file ``path``
    is over :data:`SPARSE_MAX` and mostly holes (:func:`...storage.sparse.mostly_holes`), else None.
    Opened without following a link in its last part (callers give real paths)."""
    from ..storage.safety import open_regular
    from ..storage.sparse import mostly_holes

    with open_regular(path, follow=False) as fh:
        size = os.fstat(fh.fileno()).st_size
        data = mostly_holes(fh.fileno()) if size > SPARSE_MAX else None
    return None if data is None else f"{_mib(size)}, of which {_mib(data)} hold data (a sparse file)"


def check_dense(name: str, src: Path) -> None:
    """NotPublished when ``src`` is over :data:`SPARSE_MAX` and mostly holes: a site published to a URL
    does not upload such a file (``name`` names it in the message)."""
    note = sparse_note(src)
    if note is not None:
        raise NotPublished(f"{name}: {note}; not published (a file over {SPARSE_MAX >> 20} MiB that is "
                           "mostly holes is not uploaded with a site published to a URL)")


def publish(src: Path, dest: Path, holes: bool = True) -> None:
    """Write ``src`` to ``dest`` as the site may publish it (``dest`` is named like ``src``); ``holes``
    False (a site published to a URL): a file that is mostly holes is refused (:func:`check_dense`)."""
    ext = check_publishable(dest.name)
    if not holes:
        check_dense(dest.name, src)
    tmp = dest.with_name("." + dest.name + ".tmp")
    with writing(dest, tmp, only_no_room=True):  # (a full site: WriteFailed, no half copy left)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if ext == "svg":
            tmp.write_bytes(sanitize_svg(read_whole(src)))
        else:
            copy_keeping_holes(src, tmp)
        tmp.replace(dest)


def read_whole(path: Path, max_bytes: int = READ_MAX) -> bytes:
    """A run file read whole: a regular file of at most ``max_bytes`` (else ``FileTooBig``, an OSError
    naming it), read no further than that should it grow while read."""
    from ..storage.safety import open_regular

    with open_regular(path, max_bytes, follow=False) as fh:  # (callers give real paths: a link now is a swap)
        return fh.read(max_bytes + 1)


def decode_html(data: bytes) -> str:
    """Logged HTML as text: a BOM wins, then UTF-8, then windows-1252 (what browsers fall back to)."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def html_document(data: bytes, style: str = "") -> str:
    """The ``srcdoc`` of a logged HTML page: its policy first (after a leading DOCTYPE), then
    ``style``, then the page."""
    text = decode_html(data)
    head = f'<meta http-equiv="Content-Security-Policy" content="{HTML_CSP}">{style}'
    m = _DOCTYPE.match(text)
    return text[:m.end()] + head + text[m.end():] if m else head + text
