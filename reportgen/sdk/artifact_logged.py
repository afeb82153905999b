"""The reading side of :class:`reportgen.Artifact`: files, ``download()``, ``file()``, ``get()``,
``wait()``, ``save()`` and lineage of a logged artifact (see docs/artifacts.md)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from ..storage import artifact_store as st
from ..storage.jsonio import loads
from .values import user_warn

if TYPE_CHECKING:
    from .artifacts import Artifact, ArtifactManifestEntry


class LoggedArtifactMixin:
    """Methods of ``Artifact`` that read a logged version from the store."""

    _entries: dict
    _store: Path | None
    _name: str
    _version: str | None
    aliases: list[str]

    # -- reading --------------------------------------------------------------------------
    def get_entry(self, name: str) -> ArtifactManifestEntry:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(f"artifact {self.name!r} has no file {name!r}") from None

    get_path = get_entry

    def files(self, names: list[str] | None = None, per_page: int = 50) -> list[ArtifactManifestEntry]:
        return [e for p, e in sorted(self._entries.items()) if names is None or p in names]

    def get(self, name: str) -> Any:
        """A media object added with :meth:`add` (a ``Table`` comes back as a Table; others as their record)."""
        match = next((p for p in self._entries if p.startswith(name + ".") and p.endswith(".json")
                      and p.count(".") == name.count(".") + 2), None)
        if match is None:
            return None
        if self._store is None:
            return loads(Path(self._entries[match].local_path).read_bytes())
        root = self._default_root()

        def read(path: str) -> bytes:
            self._fetch(self.get_entry(path), root / path)
            return (root / path).read_bytes()

        record = loads(read(match))
        if isinstance(record, dict) and record.get("_type") == "table" and isinstance(record.get("path"), str):
            from ..media.table import Table

            plain = loads(read(record["path"]))
            return Table(columns=plain["columns"], data=plain["data"])
        return record

    # -- logged artifacts ------------------------------------------------------------------
    def _default_root(self) -> Path:
        base = os.environ.get("REPORTGEN_ARTIFACT_DIR") or os.environ.get("WANDB_ARTIFACT_DIR") or "artifacts"
        return Path(base) / f"{self._name}:{self._version}"

    def _fetch(self, entry: ArtifactManifestEntry, target: Path) -> bool:
        """Copy one entry to ``target``; False (with a warning) for references that cannot be fetched."""
        assert self._store is not None
        if entry.ref is not None:
            if not entry.ref.startswith("file://"):
                user_warn(f"download(): {entry.path!r} is a reference to {entry.ref}; reportgen does not fetch "
                          "remote references (the file is not in the download folder)")
                return False
            src = Path(unquote(urlparse(entry.ref).path))
            if not src.is_file() or (st.is_digest(entry.digest) and st.hash_file(src)[0] != entry.digest):
                raise ValueError(f"download(): reference {entry.ref} of {self.name} is missing or has changed")
        else:
            src = st.object_path(self._store, entry.digest)
            if not st.inside(src, self._store) or not src.is_file():
                raise FileNotFoundError(f"download(): {self.name}: the stored content of {entry.path!r} is missing")
        if target.is_file() and not target.is_symlink() and target.stat().st_size == entry.size \
                and (not st.is_digest(entry.digest) or st.hash_file(target)[0] == entry.digest):
            return True
        st.copy_out(src, target)
        return True

    def download(self, root: str | os.PathLike | None = None, allow_missing_references: bool = False,
                 skip_cache: bool | None = None, path_prefix: str | None = None, **ignored: Any) -> str:
        """Copy the files to ``root`` (default ``./artifacts/<name>:v<N>``) and return that folder."""
        if self._store is None:
            raise ValueError(f"download(): artifact {self._name!r} is not logged yet (log it with run.log_artifact)")
        folder = Path(root) if root is not None else self._default_root()
        folder.mkdir(parents=True, exist_ok=True)
        for path, entry in sorted(self._entries.items()):
            if path_prefix is None or path.startswith(path_prefix):
                self._fetch(entry, folder / path)
        return str(folder)

    def file(self, root: str | os.PathLike | None = None) -> str:
        """Download an artifact holding exactly one file; return that file's path."""
        if len(self._entries) != 1:
            raise ValueError(f"file(): artifact {self.name} holds {len(self._entries)} files; "
                             "file() needs exactly one (use download())")
        return self.get_entry(next(iter(self._entries))).download(root)

    def wait(self, timeout: int | None = None) -> "Artifact":
        if self._store is None:
            raise ValueError(f"wait(): artifact {self._name!r} has not been logged (call run.log_artifact first)")
        return self

    def is_draft(self) -> bool:
        return self._store is None

    def new_draft(self) -> "Artifact":
        """A draft holding this version's files, metadata and description: change it and log it
        for a new version (stored files are not copied again)."""
        from .artifacts import Artifact, ArtifactManifestEntry

        if self._store is None:
            raise ValueError(f"new_draft(): artifact {self._name!r} is a draft already")
        draft = Artifact(self._name, self.type, description=self.description, metadata=dict(self.metadata))
        for path, e in self._entries.items():
            local = None if e.ref is not None else str(st.object_path(self._store, e.digest))
            draft._entries[path] = ArtifactManifestEntry(path, e.digest, e.size, e.ref, local_path=local,
                                                         _artifact=draft)
        return draft

    def save(self, project: str | None = None, settings: Any = None) -> None:
        """Persist changed ``aliases`` of a logged artifact; log a draft with the active run."""
        if self._store is None:
            import reportgen

            if reportgen.run is None:
                raise ValueError("save(): no active run to log this artifact with (call reportgen.init first)")
            reportgen.run.log_artifact(self)
            return
        aliases = [st.validate_alias(a) for a in dict.fromkeys(a for a in self.aliases if a)]
        st.update_version(self._store, self._name, self._version, aliases=aliases)
        self.aliases = aliases

    def logged_by(self):
        rec = self._record()
        producer = rec.get("producer") if rec else None
        return _api_run(self._store, producer.get("run")) if isinstance(producer, dict) else None

    def used_by(self) -> list:
        rec = self._record() or {}
        runs = [_api_run(self._store, c.get("run")) for c in rec.get("consumers", []) if isinstance(c, dict)]
        return [r for r in runs if r is not None]

    def _record(self) -> dict[str, Any] | None:
        if self._store is None:
            return None
        coll = st.read_collection(self._store, self._name)
        return st.find_version(coll, self._version) if coll else None



def _api_run(store: Path, run_id: Any):
    from .api import ApiRun

    if not isinstance(run_id, str):
        return None
    folder = store.parent / run_id
    return ApiRun(folder) if folder.is_dir() else None


