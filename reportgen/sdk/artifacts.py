"""``reportgen.Artifact``: wandb's ``Artifact`` (files, directories, references, versions), stored
locally and content-addressed by :mod:`reportgen.storage.artifact_store` (see docs/artifacts.md).

A new ``Artifact`` is a draft: files are added (hashed, and with ``policy="mutable"`` snapshotted
into a private staging folder), then ``run.log_artifact(artifact)`` commits it as ``v0``, ``v1``...
An artifact returned by ``log_artifact``/``use_artifact``/``Api().artifact`` is logged: its
files can be downloaded, nothing can be added.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlparse

from ..storage import artifact_store as st
from ..storage.jsonio import dumps
from .artifact_logged import LoggedArtifactMixin

DEFAULT_MAX_OBJECTS = 10_000_000


@dataclass
class ArtifactManifestEntry:
    """One file of an artifact: ``path`` inside it, ``digest`` (sha256 hex, or the URI of an
    unchecked reference), ``size`` in bytes (None when unknown) and ``ref`` for references."""

    path: str
    digest: str
    size: int | None = None
    ref: str | None = None
    local_path: str | None = None  # drafts: where the content is read from when logged
    _artifact: "Artifact | None" = None

    @property
    def name(self) -> str:
        return self.path

    def download(self, root: str | os.PathLike | None = None) -> str:
        """Copy this file of a logged artifact to ``root/path`` (default: the artifact's folder)."""
        if self._artifact is None or self._artifact._store is None:
            raise ValueError(f"{self.path!r}: only files of a logged artifact can be downloaded")
        target = Path(root if root is not None else self._artifact._default_root()) / self.path
        self._artifact._fetch(self, target)
        return str(target)

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"digest": self.digest, "size": self.size}
        if self.ref is not None:
            out["ref"] = self.ref
        return out


@dataclass
class ArtifactManifest:
    entries: dict[str, ArtifactManifestEntry]

    def get_entry_by_path(self, path: str) -> ArtifactManifestEntry | None:
        return self.entries.get(path)


def json_metadata(value: Any, where: str = "metadata") -> Any:
    """``value`` as plain JSON: numpy/torch scalars become numbers, other objects their str()."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): json_metadata(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_metadata(v, where) for v in value]
    item = getattr(value, "item", None)
    if callable(item):  # numpy / torch scalars and one-element arrays
        try:
            return json_metadata(item(), where)
        except (TypeError, ValueError, RuntimeError):
            pass
    if hasattr(value, "tolist"):
        return json_metadata(value.tolist(), where)
    return str(value)


def _check_type(type: object) -> str:
    if not isinstance(type, str) or not type or len(type) > 128 or "/" in type or ":" in type:
        raise ValueError(f"Artifact type {type!r}: expected a non-empty string without '/' or ':'")
    return type


class Artifact(LoggedArtifactMixin):
    """A versioned set of files (wandb's ``Artifact``)."""

    def __init__(self, name: str, type: str, description: str | None = None,
                 metadata: dict[str, Any] | None = None, incremental: bool = False,
                 use_as: str | None = None, **ignored: Any):
        self._name = st.validate_name(name)
        self._type = _check_type(type)
        if description is not None and not isinstance(description, str):
            raise TypeError(f"Artifact(): description: expected a string, got {description.__class__.__name__}")
        if metadata is not None and not isinstance(metadata, dict):
            raise TypeError(f"Artifact(): metadata: expected a dict, got {metadata.__class__.__name__}")
        self.description = description
        self.metadata: dict[str, Any] = dict(metadata or {})
        self._entries: dict[str, ArtifactManifestEntry] = {}
        self._staging: str | None = None
        self._store: Path | None = None  # set once logged
        self._version: str | None = None
        self._digest: str | None = None
        self._created: float | None = None
        self._size: int | None = None
        self.aliases: list[str] = []
        self.tags: list[str] = []

    # -- identity ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        """``name:vN`` once logged (as wandb), the bare name before."""
        return f"{self._name}:{self._version}" if self._version else self._name

    @property
    def source_name(self) -> str:
        return self.name

    @property
    def collection_name(self) -> str:
        return self._name

    @property
    def qualified_name(self) -> str:
        return f"local/{self.name}"

    @property
    def type(self) -> str:
        return self._type

    @property
    def version(self) -> str | None:
        return self._version

    @property
    def digest(self) -> str | None:
        return self._digest

    @property
    def id(self) -> str | None:
        return self._digest

    @property
    def state(self) -> str:
        return "COMMITTED" if self._store is not None else "PENDING"

    @property
    def created_at(self) -> str | None:
        if not isinstance(self._created, (int, float)) or isinstance(self._created, bool):
            return None  # (read from the store's index: not set, or not a number)
        try:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self._created))
        except (OverflowError, OSError, ValueError):  # NaN, or beyond any date
            return None

    @property
    def size(self) -> int:
        return sum(e.size or 0 for e in self._entries.values())

    @property
    def file_count(self) -> int:
        return len(self._entries)

    @property
    def manifest(self) -> ArtifactManifest:
        return ArtifactManifest(dict(self._entries))

    def __repr__(self) -> str:
        return f"<Artifact {self.name} type={self._type} files={len(self._entries)}>"

    # -- adding content (drafts) ----------------------------------------------------------
    def _ensure_draft(self, method: str) -> None:
        if self._store is not None:
            raise ValueError(f"{method}(): artifact {self.name} is logged; its contents can no longer change "
                             "(create a new Artifact with the same name for a new version)")

    def _stage(self) -> str:
        if self._staging is None:
            self._staging = tempfile.mkdtemp(prefix="reportgen-artifact-")
            weakref.finalize(self, shutil.rmtree, self._staging, True)  # a draft never logged
        return self._staging

    def _owns(self, path: str | None) -> bool:
        """True for snapshots in this draft's private staging folder (they may be moved)."""
        return bool(path and self._staging
                    and os.path.abspath(path).startswith(os.path.abspath(self._staging) + os.sep))

    def _put(self, entry: ArtifactManifestEntry, overwrite: bool) -> ArtifactManifestEntry:
        old = self._entries.get(entry.path)
        if old is not None and not overwrite and (old.digest, old.ref) != (entry.digest, entry.ref):
            raise ValueError(f"artifact {self._name!r} already has a different file at {entry.path!r} "
                             "(pass overwrite=True to replace it)")
        entry._artifact = self
        self._entries[entry.path] = entry
        return entry

    def add_file(self, local_path: str | os.PathLike, name: str | None = None, is_tmp: bool = False,
                 skip_cache: bool | None = None, policy: str = "mutable",
                 overwrite: bool = False) -> ArtifactManifestEntry:
        """Add a file; ``name`` is its path inside the artifact (default: the file name)."""
        self._ensure_draft("add_file")
        if policy not in ("mutable", "immutable"):
            raise ValueError(f"add_file(): policy={policy!r}: expected 'mutable' or 'immutable'")
        src = Path(local_path)
        if not src.is_file():
            raise ValueError(f"add_file(): path {os.fspath(local_path)!r} is not a file")
        path = st.validate_entry_path((name if name is not None else src.name).replace(os.sep, "/"))
        if policy == "mutable":  # snapshot now, as wandb does: later edits of the file do not leak in
            fd, staged = tempfile.mkstemp(dir=self._stage())
            os.close(fd)
            sha, size = st.hash_file(src, copy_to=staged)
            source = staged
        else:
            sha, size = st.hash_file(src)
            source = str(src)
        if is_tmp:  # wandb renames temporary files deterministically after their content
            head, _, tail = path.rpartition("/")
            parts = tail.split(".")
            parts[0] = sha[:20]
            path = (head + "/" if head else "") + ".".join(parts)
        return self._put(ArtifactManifestEntry(path, sha, size, local_path=source), overwrite)

    def add_dir(self, local_path: str | os.PathLike, name: str | None = None, skip_cache: bool | None = None,
                policy: str = "mutable", merge: bool = False) -> None:
        """Add every file under a folder; ``name`` is the folder's path inside the artifact."""
        self._ensure_draft("add_dir")
        root = Path(local_path)
        if not root.is_dir():
            raise ValueError(f"add_dir(): path {os.fspath(local_path)!r} is not a directory")
        prefix = st.validate_entry_path(name.strip("/")) + "/" if name else ""
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for f in sorted(filenames):
                full = Path(dirpath) / f
                if full.is_file():
                    rel = full.relative_to(root).as_posix()
                    self.add_file(full, name=prefix + rel, policy=policy, overwrite=merge)

    def add_reference(self, uri: str, name: str | None = None, checksum: bool = True,
                      max_objects: int | None = None) -> list[ArtifactManifestEntry]:
        """Add a reference. ``file://`` references are hashed (when ``checksum``) but not copied;
        other schemes (``s3://``, ``gs://``, ``http(s)://``...) are recorded as given, never fetched."""
        self._ensure_draft("add_reference")
        if not isinstance(uri, str) or "://" not in uri:
            raise ValueError(f"add_reference(): uri {uri!r}: expected a URI like 'file:///data/x.csv' or 's3://bucket/key'")
        parsed = urlparse(uri)
        limit = DEFAULT_MAX_OBJECTS if max_objects is None else int(max_objects)
        if parsed.scheme != "file":
            default = parsed.path.rstrip("/").rpartition("/")[2] or parsed.netloc or "reference"
            path = st.validate_entry_path(name if name is not None else default)
            return [self._put(ArtifactManifestEntry(path, uri, None, ref=uri), True)]
        local = Path(unquote(parsed.path))
        if local.is_file():
            files = [(local, name if name is not None else local.name)]
        elif local.is_dir():
            prefix = (name.strip("/") + "/") if name else ""
            files = [(p, prefix + p.relative_to(local).as_posix()) for p in sorted(local.rglob("*")) if p.is_file()]
        else:
            raise ValueError(f"add_reference(): {uri!r}: no such file or directory")
        if len(files) > limit:
            raise ValueError(f"add_reference(): {uri!r} holds {len(files)} files, more than max_objects={limit}")
        out = []
        for p, entry_name in files:
            ref = p.resolve().as_uri()
            if checksum:
                sha, size = st.hash_file(p)
            else:
                sha, size = ref, p.stat().st_size
            out.append(self._put(ArtifactManifestEntry(st.validate_entry_path(entry_name), sha, size, ref=ref), True))
        return out

    @contextlib.contextmanager
    def new_file(self, name: str, mode: str = "x", encoding: str | None = None) -> Iterator[Any]:
        """Open a new file to write into the artifact (added when the ``with`` block ends)."""
        self._ensure_draft("new_file")
        path = st.validate_entry_path(name)
        if path in self._entries:
            raise ValueError(f"new_file(): artifact {self._name!r} already has a file at {path!r}")
        folder = tempfile.mkdtemp(dir=self._stage())
        target = Path(folder) / path.rpartition("/")[2]
        with open(target, mode.replace("x", "w") if "x" in mode else mode,
                  encoding=None if "b" in mode else (encoding or "utf-8")) as fh:
            yield fh
        self.add_file(target, name=path, policy="immutable")

    def add(self, obj: Any, name: str, overwrite: bool = False) -> ArtifactManifestEntry:
        """Add a media object (``Table``, ``Image``...) as ``<name>.<type>.json`` plus its files."""
        from ..media.base import Media, MediaContext

        self._ensure_draft("add")
        if not isinstance(obj, Media):
            raise TypeError(f"add(): expected a reportgen/wandb media object (Table, Image...), got {type(obj).__name__}")
        folder = Path(tempfile.mkdtemp(dir=self._stage()))
        record = obj.to_record(MediaContext(folder, name, None))
        if any(folder.iterdir()):  # the object's own files (a table's JSON, an image's PNG...)
            self.add_dir(folder, policy="immutable", merge=True)
        with self.new_file(f"{name}.{obj.TYPE}.json", mode="wb") as fh:
            fh.write(dumps(record, indent=True))
        return self._entries[f"{name}.{obj.TYPE}.json"]

    def remove(self, item: str | ArtifactManifestEntry) -> None:
        self._ensure_draft("remove")
        path = item.path if isinstance(item, ArtifactManifestEntry) else item
        if self._entries.pop(path, None) is None:
            raise FileNotFoundError(f"remove(): artifact {self._name!r} has no file {path!r}")

    def _cleanup_staging(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None


def load(store: Path, name: str, ref: str = "latest") -> Artifact:
    """A logged artifact from the store: ``ref`` is ``v<N>`` or an alias."""
    coll = st.read_collection(store, name)
    record = st.find_version(coll, ref) if coll else None
    manifest = st.read_manifest(store, name, record["version"]) if record else None
    if manifest is None:
        known = ", ".join(sorted(coll["aliases"])) if coll else ""
        raise st.ArtifactStoreError(f"artifact {name}:{ref} not found in {store}"
                                    + (f" (aliases: {known})" if known else ""))
    art = Artifact(name, str(coll.get("type") or "unspecified"), description=manifest.get("description"),
                   metadata=manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else None)
    for path, e in manifest["entries"].items():
        art._entries[path] = ArtifactManifestEntry(path, str(e.get("digest")), e.get("size"), e.get("ref"),
                                                   _artifact=art)
    art._store, art._version, art._digest = store, record["version"], record.get("digest")
    art._created = record.get("created")
    art.aliases = st.aliases_of(coll, record["version"])
    return art
