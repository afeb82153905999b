"""The local artifact store, format 1 (see docs/artifacts.md).

```
<root>/_artifacts/
  objects/<sha256[:2]>/<sha256>        file contents, each stored once (read-only copies)
  collections/<name>/artifact.json     type, versions (digest, producer, consumers, links), aliases
  collections/<name>/v<N>/manifest.json  one version's files; written once, never changed
  collections/<name>/.lock             held while versions are allocated or lineage changes
```

``_artifacts`` cannot clash with a run folder (run ids start with a letter or digit).
Everything here is also read by the site builder from folders other people made, so
the readers validate names, versions, digests and entry paths and refuse links.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from .jsonio import current_umask, read_json, write_json_atomic

STORE_DIR = "_artifacts"
OBJECTS_DIR = "objects"
COLLECTIONS_DIR = "collections"
ARTIFACT_JSON = "artifact.json"
MANIFEST_JSON = "manifest.json"
STORE_FORMAT = 1
#: an object's mode: read-only, within the umask (0444 under umask 022, 0400 under 077)
READ_ONLY = 0o444
LOCK_TIMEOUT = 120.0  # seconds to wait for another process holding a collection's lock

_NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
_VERSION_RE = re.compile(r"^v(0|[1-9][0-9]{0,8})$")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_BAD_ALIAS = re.compile(r"[/:\x00-\x1f\x7f]")
_CHUNK = 1 << 20


class ArtifactStoreError(ValueError):
    """A name, version or alias that the store does not have."""


def validate_name(name: object, what: str = "name") -> str:
    """An artifact name: 1-128 letters, digits, ``_``, ``-``, ``.`` (wandb's rule), not starting with '.'."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ValueError(f"Artifact {what} {name!r}: expected 1-128 letters, digits, '_', '-' or '.', "
                         "not starting with '.'")
    return name


def validate_alias(alias: object) -> str:
    if not isinstance(alias, str) or not alias or len(alias) > 128 or _BAD_ALIAS.search(alias):
        raise ValueError(f"alias {alias!r}: expected 1-128 characters without '/', ':' or control characters")
    if _VERSION_RE.match(alias):
        raise ValueError(f"alias {alias!r}: names of the form v<N> are the versions themselves")
    return alias


def is_version(text: object) -> bool:
    return isinstance(text, str) and bool(_VERSION_RE.match(text))


def is_digest(text: object) -> bool:
    return isinstance(text, str) and bool(_SHA_RE.match(text))


def validate_entry_path(path: object) -> str:
    """A file's path inside an artifact: relative, '/'-separated, no '.', '..' or empty parts."""
    if not isinstance(path, str) or not path or len(path) > 1024 or "\\" in path or "\x00" in path \
            or path.startswith("/") or any(p in ("", ".", "..") for p in path.split("/")):
        raise ValueError(f"artifact entry path {path!r}: expected a relative path like 'dir/file.txt' "
                         "(no '..', no leading '/')")
    return path


def store_dir(root: str | os.PathLike) -> Path:
    return Path(root) / STORE_DIR


def collection_dir(store: Path, name: str) -> Path:
    return store / COLLECTIONS_DIR / validate_name(name)


def object_path(store: Path, sha: str) -> Path:
    if not is_digest(sha):
        raise ValueError(f"not a sha256 digest: {sha!r}")
    return store / OBJECTS_DIR / sha[:2] / sha


def inside(path: Path, base: Path) -> bool:
    """True if ``path`` is under ``base`` and reached from it without any symlink (``base`` itself,
    the folder the user named, may be one)."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(base))
    except ValueError:
        return False
    cur = Path(os.path.abspath(base))
    for part in rel.parts:
        cur = cur / part
        if cur.is_symlink():
            return False
    return True


# -- hashing and objects --------------------------------------------------------------
def hash_file(path: str | os.PathLike, copy_to: str | os.PathLike | None = None) -> tuple[str, int]:
    """``(sha256 hex, size)`` of a file, copying it to ``copy_to`` in the same pass if given."""
    h = hashlib.sha256()
    size = 0
    out = open(copy_to, "wb") if copy_to is not None else None
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
    finally:
        if out is not None:
            out.close()
    return h.hexdigest(), size


def put_object(store: Path, src: str | os.PathLike, sha: str, move: bool = False) -> int:
    """Store ``src`` as the object ``sha`` (a no-op when it is stored already); returns its size.

    The copy is hashed on the way in and refused when the file changed since it was added.
    ``move=True`` (a private snapshot already hashed) renames the file into place when it is on
    the same file system, instead of copying it."""
    target = object_path(store, sha)
    if target.is_file() and not target.is_symlink():
        return target.stat().st_size
    target.parent.mkdir(parents=True, exist_ok=True)
    if move:
        try:
            with open(src, "rb") as fh:
                os.fsync(fh.fileno())
            os.chmod(src, READ_ONLY & ~current_umask())
            os.replace(src, target)
            return target.stat().st_size
        except OSError:
            pass  # another file system: copy below
    fd, tmp = tempfile.mkstemp(prefix=f".{sha[:8]}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        got, size = hash_file(src, copy_to=tmp)
        if got != sha:
            raise ValueError(f"{os.fspath(src)!r} changed after it was added to the artifact "
                             "(add it again, or use policy='mutable' to snapshot it when added)")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, READ_ONLY & ~current_umask())
        os.replace(tmp, target)  # two writers of one object write identical bytes: either wins
        return size
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def artifact_digest(entries: dict[str, dict[str, Any]]) -> str:
    """The digest of a version: sha256 over its sorted ``path``/``digest`` pairs (content only)."""
    h = hashlib.sha256()
    for path in sorted(entries):
        h.update(f"{path}\x00{entries[path].get('digest')}\x00{entries[path].get('ref') or ''}\n".encode())
    return h.hexdigest()


# -- collections --------------------------------------------------------------------------
def lock(store: Path, name: str):
    """An inter-process lock on one collection (``filelock``; works across processes and threads)."""
    from filelock import FileLock

    folder = collection_dir(store, name)
    folder.mkdir(parents=True, exist_ok=True)
    if not inside(folder, store.parent):
        raise ValueError(f"artifact store {store}: {folder} is reached through a symlink; refusing to write")
    return FileLock(str(folder / ".lock"), timeout=LOCK_TIMEOUT)


def _read_store_json(store: Path, path: Path) -> dict[str, Any] | None:
    """A JSON object of the store, or None when it is missing, unreadable or reached through a link out."""
    if not inside(path, store) or not path.is_file():
        return None
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_collection(store: Path, name: str) -> dict[str, Any] | None:
    """``artifact.json`` of a collection, or None when there is none (or it is not trustworthy)."""
    data = _read_store_json(store, collection_dir(store, name) / ARTIFACT_JSON)
    if data is None or not isinstance(data.get("versions"), list):
        return None
    data.setdefault("aliases", {})
    if not isinstance(data["aliases"], dict):
        data["aliases"] = {}
    return data


def read_manifest(store: Path, name: str, version: str) -> dict[str, Any] | None:
    if not is_version(version):
        return None
    data = _read_store_json(store, collection_dir(store, name) / version / MANIFEST_JSON)
    if data is None or not isinstance(data.get("entries"), dict):
        return None
    good = {}
    for p, e in data["entries"].items():
        try:
            validate_entry_path(p)
        except ValueError:
            continue
        if isinstance(e, dict):
            good[p] = e
    data["entries"] = good
    return data


def list_collections(store: Path) -> list[str]:
    """Names of the collections in a store (invalid names and symlinks skipped), sorted."""
    base = store / COLLECTIONS_DIR
    if not inside(base, store.parent) or not base.is_dir():
        return []
    names = []
    for p in base.iterdir():
        if p.is_dir() and not p.is_symlink() and _NAME_RE.match(p.name):
            names.append(p.name)
    return sorted(names)


def find_version(collection: dict[str, Any], ref: str) -> dict[str, Any] | None:
    """The version record for ``v<N>`` or an alias (``latest``, user aliases)."""
    if not is_version(ref):
        ref = collection.get("aliases", {}).get(ref)
    for v in collection.get("versions", []):
        if isinstance(v, dict) and v.get("version") == ref:
            return v
    return None


def aliases_of(collection: dict[str, Any], version: str) -> list[str]:
    return sorted(a for a, v in collection.get("aliases", {}).items() if v == version)


def _save(store: Path, name: str, data: dict[str, Any]) -> None:
    data["updated"] = time.time()
    write_json_atomic(collection_dir(store, name) / ARTIFACT_JSON, data)


def commit(store: Path, name: str, type: str, entries: dict[str, dict[str, Any]], *,
           description: str | None, metadata: dict[str, Any], producer: dict[str, Any] | None,
           aliases: list[str]) -> tuple[dict[str, Any], bool]:
    """Add a version (or find the one with identical content) and point ``latest`` and ``aliases``
    at it; returns ``(version record, created)``. Safe with several processes at once."""
    digest = artifact_digest(entries)
    with lock(store, name):
        data = read_collection(store, name) or {
            "format": STORE_FORMAT, "name": name, "type": type, "created": time.time(),
            "versions": [], "aliases": {}}
        if data.get("type") != type:
            raise ValueError(f"artifact {name!r} has type {data.get('type')!r}; cannot log it as type {type!r}")
        record = next((v for v in data["versions"] if isinstance(v, dict) and v.get("digest") == digest), None)
        created = record is None
        if created:
            numbers = [int(v["version"][1:]) for v in data["versions"]
                       if isinstance(v, dict) and is_version(v.get("version"))]
            version = f"v{max(numbers) + 1 if numbers else 0}"
            folder = collection_dir(store, name) / version
            folder.mkdir(parents=True, exist_ok=True)
            now = time.time()
            size = sum(e.get("size") or 0 for e in entries.values())
            write_json_atomic(folder / MANIFEST_JSON, {
                "format": STORE_FORMAT, "name": name, "type": type, "version": version, "digest": digest,
                "description": description, "metadata": metadata, "created": now, "size": size,
                "entries": {p: entries[p] for p in sorted(entries)}})
            record = {"version": version, "digest": digest, "created": now, "size": size,
                      "files": len(entries), "producer": producer, "consumers": [], "links": []}
            data["versions"].append(record)
        elif producer is not None and record.get("producer") is None:
            record["producer"] = producer
        for alias in ["latest", *aliases]:
            data["aliases"][alias] = record["version"]
        _save(store, name, data)
    return record, created


def update_version(store: Path, name: str, version: str, *, consumer: dict[str, Any] | None = None,
                   link: dict[str, Any] | None = None, aliases: list[str] | None = None) -> dict[str, Any]:
    """Record a consumer or a link on a version, or set its aliases (moving them from others)."""
    with lock(store, name):
        data = read_collection(store, name)
        record = find_version(data, version) if data else None
        if record is None:
            raise ArtifactStoreError(f"artifact {name}:{version} not found in {store}")
        if consumer is not None:
            consumers = record.setdefault("consumers", [])
            if not any(c.get("run") == consumer.get("run") for c in consumers if isinstance(c, dict)):
                consumers.append(consumer)
        if link is not None:
            record.setdefault("links", []).append(link)
        if aliases is not None:
            for a in [a for a, v in data["aliases"].items() if v == version and a not in aliases]:
                del data["aliases"][a]
            for a in aliases:
                data["aliases"][a] = version
        _save(store, name, data)
        return record


def copy_out(src: Path, target: Path) -> None:
    """Copy a stored object to ``target`` (a writable copy, so editing it never touches the store)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    shutil.copyfile(src, tmp)
    os.replace(tmp, target)


def iter_versions(collection: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for v in collection.get("versions", []):
        if isinstance(v, dict) and is_version(v.get("version")):
            yield v
