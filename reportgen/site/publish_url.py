"""``reportgen build RUNS -o s3://bucket/prefix``: publish the site to any fsspec URL.

The site is built into a local *staging* folder outside the target
(``<user cache>/publish/<hash of the URL>/site``, kept between builds so rebuilds stay
incremental), then synchronised:

1. files whose size and SHA-256 differ from what the last publish recorded (or that are missing
   at the target) are uploaded -- data and assets first, ``.html`` pages last, so a reader never
   gets a page whose data is not there yet;
2. files the last publish wrote that the site no longer has are deleted -- only those:
   ``URL/.reportgen-publish.json`` lists what reportgen uploaded, and nothing else under the
   prefix is ever touched (the rule of ``manifest.py`` for local folders);
3. the record is rewritten.

A run file over :data:`SPARSE_MAX` that is mostly holes (a run's sparse 4 GiB video: a few KB in a
zip) is not put in a site going to a URL: the build shows its item as not shown, with the reason
(``publish.check_dense``); uploaded, it was 4 GiB of zeros, and then left out of the upload, it stayed
linked from its page. As a last guard, a site file like that is not uploaded, with a warning naming it
and the limit. Files over :data:`WHOLE_MAX` go to any file system but a local folder a part at a time
(:func:`_upload`): s3fs's ``put_file`` reads 10 parts of 50 MiB at once (1.25 GB of memory for a 1 GiB
video, more for larger files), gcsfs's 50 MiB chunks, other file systems' what they choose.

Credentials and endpoints come from the file system's usual configuration (for S3:
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``~/.aws``; fsspec's
``FSSPEC_S3_ENDPOINT_URL`` and friends) or ``storage_options``.
"""
from __future__ import annotations

import hashlib
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..storage.artifact_store import hash_file
from ..storage.listing import list_objects
from .config import user_cache
from .content_types import content_type
from .manifest import MANIFEST
from .publish import SPARSE_MAX, sparse_note

RECORD = ".reportgen-publish.json"
VERSION = 1
EXTRA = "publish"
WHOLE_MAX = 64 << 20  # a site file up to this size is uploaded by the file system's put_file; larger: streamed
PART = 8 << 20  # what a streamed upload holds at once (an S3 part is at least 5 MiB)
PIECE = 1 << 20


class PublishError(RuntimeError):
    """The site could not be published to the URL (one clear message)."""


def is_url(target: str | os.PathLike) -> bool:
    s = str(target)
    return "://" in s and not s.startswith("file://")


def staging_dir(url: str) -> Path:
    key = hashlib.sha1(url.rstrip("/").encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return user_cache() / "publish" / key / "site"


@dataclass
class Published:
    url: str
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)  # site files not uploaded, and why


def _filesystem(url: str, storage_options: dict[str, Any] | None):
    try:
        import fsspec  # noqa: F401
    except ImportError as e:  # pragma: no cover - fsspec comes with the extra
        raise PublishError(f"-o {url}: publishing to a URL needs fsspec: pip install 'reportgen[{EXTRA}]'") from e
    from ..storage.remote import url_fs

    try:
        fs, root = url_fs(url, **(storage_options or {}))
    except ImportError as e:
        raise PublishError(f"-o {url}: no file system for this URL is installed ({e}); for S3: "
                           f"pip install 'reportgen[{EXTRA}]'") from e
    return fs, root.rstrip("/")


def _local_files(site: Path, refused: list[str] | None = None) -> dict[str, tuple[int, str]]:
    """``{path: (size, sha256)}`` of the site files to publish; a file over :data:`SPARSE_MAX` that is
    mostly holes is left out (neither hashed nor uploaded), with a warning added to ``refused``. (The
    build does not put such a run file in a site going to a URL, and shows its item as not shown:
    ``publish.check_dense``; this is the last guard.)"""
    out = {}
    for p in sorted(site.rglob("*")):
        if p.is_file() and not p.is_symlink():
            rel = p.relative_to(site).as_posix()
            if rel == MANIFEST or rel.startswith(".reportgen-cache/") or (".tmp" in p.name and p.name.startswith(".")):
                continue
            note = sparse_note(p)
            if note is not None:
                if refused is not None:
                    refused.append(f"{rel}: {note}; not uploaded (a site file over {SPARSE_MAX >> 20} MiB that "
                                   "is mostly holes is not published)")
                continue
            # hashed a piece at a time (a run's sparse 50 GB media file, kept sparse in the site, was read whole)
            out[rel] = (p.stat().st_size, hash_file(p)[0])
    return out


def _upload(fs, local: Path, remote: str, size: int) -> None:
    """``local`` written to ``remote``: by the file system's ``put_file`` up to :data:`WHOLE_MAX` (and to
    a local folder, where it is a copy on disk); a larger file :data:`PIECE` by :data:`PIECE` into a file
    opened for writing, which (fsspec's ``AbstractBufferedFile``: S3, GCS, Azure...) sends a part every
    :data:`PART` bytes. Their ``put_file`` holds more: s3fs 10 parts of 50 MiB (or of size/10,000 for a
    file over 500 GB), gcsfs 50 MiB chunks, others what they choose. Either way the object gets the
    content type of its name (:func:`_content_type`); an upload that fails part way is aborted (no
    object made of its first parts)."""
    from fsspec.implementations.local import LocalFileSystem

    typed = _content_type(fs, local.name)
    if size <= WHOLE_MAX or isinstance(fs, LocalFileSystem):
        fs.put_file(str(local), remote, **typed)
        return
    with open(local, "rb") as src:
        dst = fs.open(remote, "wb", block_size=PART, **typed)
        try:
            sent = 0
            while piece := src.read(PIECE):
                dst.write(piece)
                sent += len(piece)
            if sent != size:  # (the object would be a cut or longer copy of what the record says)
                raise PublishError(f"{local.name}: {sent:,} bytes read where {size:,} were listed: the file "
                                   "changed while the site was published; not uploaded (publish again)")
            dst.close()
        except BaseException:
            _abort(fs, dst, remote)
            raise


def _content_type(fs, name: str) -> dict[str, Any]:
    """The keyword argument that gives an object uploaded to ``fs`` the content type of its ``name``
    (``content_types.py``, the table ``reportgen serve`` uses: not ``mimetypes``, which reads the
    machine's /etc/mime.types, absent from slim images): S3's ``ContentType`` (s3fs's ``put_file``
    guesses one with ``mimetypes``, its files opened for writing none), Azure's ``content_settings``
    (adlfs sets none: every page, script and style sheet was ``application/octet-stream``, which a
    browser downloads instead of showing) and gcsfs's ``content_type`` (it guesses with ``mimetypes``
    too); other file systems keep no content type."""
    ctype = content_type(name)
    protocols = set(fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,))
    if protocols & {"s3", "s3a"}:
        return {"ContentType": ctype}
    if protocols & {"az", "abfs", "abfss"}:
        return {"content_settings": {"content_type": ctype}}
    if protocols & {"gs", "gcs"}:
        return {"content_type": ctype}
    return {}


def _abort(fs, dst, remote: str) -> None:
    """The streamed upload ``dst`` of ``remote`` given up: nothing of it left at the target."""
    from fsspec.spec import AbstractBufferedFile

    if isinstance(dst, AbstractBufferedFile):
        try:
            dst.discard()  # (s3fs: the multipart upload is aborted; gcsfs: the resumable one)
        except Exception:  # noqa: BLE001 - the upload's own error is the one the caller gets
            pass
        dst.closed = True  # (closing it now would send what it holds as the file)
        return
    dst.close()  # (a file that writes as it goes, as fsspec's memory file system's: what it wrote is removed)
    try:
        fs.rm_file(remote)
    except OSError:
        pass


def _read_record(fs, root: str) -> dict[str, list]:
    try:
        with fs.open(f"{root}/{RECORD}", "rb") as fh:
            data = orjson.loads(fh.read())
    except (FileNotFoundError, OSError, orjson.JSONDecodeError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("version") == VERSION else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items()
            if isinstance(k, str) and k and not k.startswith("/") and ".." not in k.split("/") and isinstance(v, list)}


def sync(site: Path, url: str, storage_options: dict[str, Any] | None = None) -> Published:
    """Make ``url`` hold the site in ``site``: upload what changed, delete what reportgen wrote
    there before and the site no longer has."""
    fs, root = _filesystem(url, storage_options)
    try:
        return _sync(fs, root, site, url)
    except OSError as e:
        raise PublishError(f"-o {url}: {type(e).__name__}: {e}{_cause(e)}") from e


def _cause(e: BaseException) -> str:
    """What the server said, when the file system's error does not: adlfs raises every 409 as
    ``FileExistsError(path)`` (Azure refusing a block: 'FileExistsError: site/v.mp4', the reason only in
    the ``ResourceExistsError`` it was raised from). Its first line, or ``''``."""
    cause = e.__cause__
    said = str(cause).strip().splitlines()[0] if cause is not None and str(cause).strip() else ""
    return f" ({type(cause).__name__}: {said})" if said and said not in str(e) else ""


def _sync(fs, root: str, site: Path, url: str) -> Published:
    fs.invalidate_cache()  # listings cached by an earlier build in this process are stale
    old = _read_record(fs, root)
    try:
        present = {posixpath.relpath(p, root): info.get("size")
                   for p, info in list_objects(fs, root).items()} if fs.exists(root) else {}
    except FileNotFoundError:
        present = {}
    result = Published(url)
    files = _local_files(site, result.warnings)
    todo = []
    for rel, (size, digest) in files.items():
        if old.get(rel) == [size, digest] and present.get(rel) == size:
            result.unchanged += 1
        else:
            todo.append(rel)
    todo.sort(key=lambda rel: (rel.endswith(".html"), rel))  # pages after the files they load
    for rel in todo:
        _upload(fs, site / rel, f"{root}/{rel}", files[rel][0])
        result.uploaded.append(rel)
    gone = sorted(rel for rel in old if rel not in files and rel in present)
    if gone:
        fs.rm([f"{root}/{rel}" for rel in gone])
        result.deleted = gone
    with fs.open(f"{root}/{RECORD}", "wb") as fh:
        fh.write(orjson.dumps({"version": VERSION, "files": {k: list(v) for k, v in files.items()}}))
    return result
