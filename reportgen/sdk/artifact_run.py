"""What a run does with artifacts: ``log_artifact``, ``use_artifact``, ``log_model``, ``use_model``,
``link_model``/``link_artifact`` (the ``Run`` methods and module functions delegate here).

Lineage is written twice: in the store (each version's ``producer`` and ``consumers``) and in
the run folder (``artifacts.json``: what the run logged and used), see docs/artifacts.md.
"""
from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Any

from ..storage import artifact_store as st
from ..storage.jsonio import read_json, write_json_atomic
from .artifacts import Artifact, json_metadata, load
from .values import user_warn

RUN_ARTIFACTS_JSON = "artifacts.json"
_run_file_lock = threading.Lock()


def _aliases(aliases: Any, where: str) -> list[str]:
    if aliases is None:
        return []
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, (list, tuple, set)):
        raise TypeError(f"{where}(): aliases: expected a list of strings, got {type(aliases).__name__}")
    return [st.validate_alias(a) for a in dict.fromkeys(a for a in aliases if a != "")]


def _record_in_run(run: Any, kind: str, item: dict[str, Any]) -> None:
    """Append ``item`` to the ``kind`` list of the run folder's artifacts.json (atomic rewrite)."""
    # not run.dir (wandb points that at files/); through the folder's descriptor, wherever it is now (a
    # folder moved while the run wrote it: 'could not store artifact', artifacts.json by its old path)
    writer = getattr(run, "_writer", None)
    path = (writer.folder.reach() if writer is not None else Path(run.root) / run.id) / RUN_ARTIFACTS_JSON
    with _run_file_lock:
        try:
            data = read_json(path) if path.exists() else {}
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        data["format"] = st.STORE_FORMAT
        items = data.setdefault(kind, [])
        key = (item.get("name"), item.get("version"), item.get("target"))
        items[:] = [i for i in items if (i.get("name"), i.get("version"), i.get("target")) != key]
        items.append(item)
        write_json_atomic(path, data)


def _store(run: Any) -> Path:
    return st.store_dir(run.root)


def _summary(art: Artifact, **extra: Any) -> dict[str, Any]:
    return {"name": art.collection_name, "version": art.version, "type": art.type, "digest": art.digest,
            "aliases": list(art.aliases), "time": time.time(), **extra}


def _commit(run: Any, art: Artifact, aliases: list[str], producer: bool) -> None:
    store = _store(run)
    entries = {}
    for path, e in art._entries.items():
        if e.ref is None:
            st.put_object(store, e.local_path, e.digest, move=art._owns(e.local_path))
        entries[path] = e.record()
    who = {"run": run.id, "project": run.project, "name": run.name} if producer else None
    record, _ = st.commit(store, art.collection_name, art.type, entries, description=art.description,
                          metadata=json_metadata(art.metadata), producer=who, aliases=aliases)
    coll = st.read_collection(store, art.collection_name) or {}
    art._store, art._version, art._digest = store, record["version"], record["digest"]
    art._created = record.get("created")
    art.aliases = st.aliases_of(coll, record["version"])
    art._cleanup_staging()


def _path_artifact(run: Any, path: Any, name: str | None, type: str | None) -> Artifact:
    p = Path(path)
    if name is None:
        name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"run-{run.id}-{p.name}")[:128]
    art = Artifact(name, type or "unspecified")
    if p.is_dir():
        art.add_dir(p)
    else:
        art.add_file(p)
    return art


def log_artifact(run: Any, artifact_or_path: Any, name: str | None = None, type: str | None = None,
                 aliases: Any = None, tags: Any = None, **ignored: Any) -> Artifact | None:
    """Commit an artifact (or a file/folder path) as a new version, or find the identical one."""
    if run._finished:
        user_warn(f"log_artifact(): run {run.id} is finished; log_artifact() ignored")
        return None
    wanted = _aliases(aliases, "log_artifact")
    art = artifact_or_path if isinstance(artifact_or_path, Artifact) else \
        _path_artifact(run, artifact_or_path, name, type)
    try:
        if art.is_draft():
            _commit(run, art, wanted, producer=True)
        elif wanted:
            st.update_version(art._store, art.collection_name, art.version, aliases=sorted({*art.aliases, *wanted}))
            art.aliases = sorted({*art.aliases, *wanted})
        _record_in_run(run, "logged", _summary(art))
    except (OSError, TimeoutError) as exc:  # filelock.Timeout is a TimeoutError
        user_warn(f"log_artifact(): could not store artifact {art.collection_name!r} ({exc}); training goes on")
    return art


def _parse_ref(text: str) -> tuple[str, str]:
    """``"entity/project/name:alias"`` -> ``(name, alias)``; the alias defaults to ``latest``."""
    tail = text.rsplit("/", 1)[-1]
    name, _, ref = tail.partition(":")
    return st.validate_name(name), (ref or "latest")


def use_artifact(run: Any, artifact_or_name: Any, type: str | None = None, aliases: Any = None,
                 use_as: str | None = None, **ignored: Any) -> Artifact:
    """Mark an artifact version as an input of this run and return it (logged, downloadable)."""
    if isinstance(artifact_or_name, Artifact):
        art = artifact_or_name
        if art.is_draft():
            _commit(run, art, _aliases(aliases, "use_artifact"), producer=False)
    elif isinstance(artifact_or_name, str):
        name, ref = _parse_ref(artifact_or_name)
        art = load(_store(run), name, ref)
    else:
        raise TypeError(f"use_artifact(): expected 'name:alias' or an Artifact, got {artifact_or_name.__class__.__name__}")
    if type is not None and art.type != type:
        raise ValueError(f"use_artifact(): artifact {art.name} has type {art.type!r}, not {type!r}")
    if not run._finished:
        try:
            st.update_version(art._store, art.collection_name, art.version,
                              consumer={"run": run.id, "project": run.project, "name": run.name, "time": time.time()})
            _record_in_run(run, "used", _summary(art))
        except (OSError, TimeoutError) as exc:
            user_warn(f"use_artifact(): could not record that run {run.id} used {art.name} ({exc})")
    return art


def log_model(run: Any, path: Any, name: str | None = None, aliases: Any = None, **ignored: Any) -> Artifact | None:
    """Log a model file or folder as an artifact of type ``model``."""
    if not Path(path).exists():
        raise ValueError(f"log_model(): path {os.fspath(path)!r} does not exist")
    return log_artifact(run, _path_artifact(run, path, name, "model"), aliases=aliases)


def use_model(run: Any, name: str) -> str:
    """Use a model artifact and return the folder it was downloaded to."""
    art = use_artifact(run, name)
    if art.type != "model":
        raise ValueError(f"use_model(): artifact {art.name} has type {art.type!r}, not 'model'")
    return art.download()


def link_artifact(run: Any, artifact: Artifact, target_path: str, aliases: Any = None) -> Artifact:
    """Record a link of a logged version to a registry path (kept locally; there is no registry)."""
    if not isinstance(target_path, str) or not target_path:
        raise ValueError(f"link_artifact(): target_path {target_path!r}: expected 'registry/collection'")
    wanted = _aliases(aliases, "link_artifact")
    if artifact.is_draft():
        log_artifact(run, artifact)
    if artifact.is_draft():  # storing failed (warned)
        return artifact
    link = {"target": target_path, "aliases": wanted, "run": run.id, "time": time.time()}
    st.update_version(artifact._store, artifact.collection_name, artifact.version, link=link)
    _record_in_run(run, "links", _summary(artifact, target=target_path, link_aliases=wanted))
    return artifact


def link_model(run: Any, path: Any, registered_model_name: str, name: str | None = None,
               aliases: Any = None, **ignored: Any) -> Artifact | None:
    art = log_model(run, path, name=name)
    if art is None:
        return None
    return link_artifact(run, art, f"model-registry/{registered_model_name}", aliases=aliases)


def api_artifact(root: Path, name: str, type: str | None = None) -> Artifact:
    if not isinstance(name, str):
        raise TypeError(f"artifact(): name: expected 'name:alias', got {name.__class__.__name__}")
    art = load(st.store_dir(root), *_parse_ref(name))
    if type is not None and art.type != type:
        raise ValueError(f"artifact(): artifact {art.name} has type {art.type!r}, not {type!r}")
    return art


def api_artifact_versions(root: Path, type_name: str | None, name: str | None) -> list[Artifact]:
    if name is None:
        raise ValueError("artifact_versions(): name: expected an artifact name")
    store = st.store_dir(root)
    coll_name = _parse_ref(name)[0]
    coll = st.read_collection(store, coll_name)
    if coll is None:
        raise st.ArtifactStoreError(f"artifact_versions(): no artifact {coll_name!r} in {store}")
    if type_name is not None and coll.get("type") != type_name:
        raise ValueError(f"artifact_versions(): artifact {coll_name!r} has type {coll.get('type')!r}, not {type_name!r}")
    return [load(store, coll_name, v["version"]) for v in st.iter_versions(coll)]


def _current(fn: str):
    import reportgen

    if reportgen.run is None:
        raise RuntimeError(f"reportgen.{fn}() called before reportgen.init()")
    return reportgen.run


# Module-level functions (wandb.log_artifact(...) & co.) acting on the active run.
def module_log_artifact(artifact_or_path: Any, name: str | None = None, type: str | None = None,
                        aliases: Any = None, **kw: Any):
    return _current("log_artifact").log_artifact(artifact_or_path, name=name, type=type, aliases=aliases, **kw)


def module_use_artifact(artifact_or_name: Any, type: str | None = None, aliases: Any = None, **kw: Any):
    return _current("use_artifact").use_artifact(artifact_or_name, type=type, aliases=aliases, **kw)


def module_log_model(path: Any, name: str | None = None, aliases: Any = None):
    return _current("log_model").log_model(path, name=name, aliases=aliases)


def module_use_model(name: str) -> str:
    return _current("use_model").use_model(name)


def module_link_model(path: Any, registered_model_name: str, name: str | None = None, aliases: Any = None):
    return _current("link_model").link_model(path, registered_model_name, name=name, aliases=aliases)
