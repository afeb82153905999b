"""Artifact pages: ``artifacts/index.html`` (every artifact, by type) and one page per artifact
(``artifacts/<name>/index.html``: versions, files, sizes, digests, aliases, metadata, the runs
that produced and used each version). Run pages list the artifacts a run logged and used.

The store (``<runs>/_artifacts``, see docs/artifacts.md) comes with run folders from other
people: it is read through :mod:`reportgen.storage.artifact_store`, which validates names,
versions and entry paths and refuses symlinks; everything shown is escaped by the templates.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..storage import artifact_store as st
from ..storage.format import flatten
from ..storage.safety import MAX_DEPTH, printable, too_deep
from .fmt import fmt_size, fmt_time, fmt_value
from .rundata import safe_name
from .urls import run_page

INDEX_PAGE = "artifacts/index.html"
MAX_FILES_SHOWN = 500  # per version; the page says how many more there are
MAX_VERSIONS_READ = 1000


@dataclass
class ArtifactSite:
    collections: list[dict[str, Any]] = field(default_factory=list)
    by_run: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # values of the store left out (shown on the index page)

    def __bool__(self) -> bool:
        return bool(self.collections)

    def for_run(self, run_id: str) -> dict[str, list[dict[str, Any]]]:
        return self.by_run.get(run_id, {"logged": [], "used": []})


def _run_ref(who: Any, pages: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    if not isinstance(who, dict) or not isinstance(who.get("run"), str):
        return None
    run_id = who["run"]
    page, label = pages.get(run_id, (None, str(who.get("name") or run_id)))
    return {"id": run_id, "label": label, "page": page}


def _files(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path in sorted(manifest["entries"])[:MAX_FILES_SHOWN]:
        e = manifest["entries"][path]
        digest = str(e.get("digest") or "")
        ref = e.get("ref") if isinstance(e.get("ref"), str) else None
        out.append({"path": path, "size": fmt_size(e.get("size")), "digest": digest,
                    "short": digest[:12] if st.is_digest(digest) else digest, "ref": ref})
    return out


def _listed(record: dict[str, Any], key: str, where: str, problems: list[str]) -> list[Any]:
    """``record[key]`` when it is a list (else [], with a problem naming ``where`` and the key)."""
    value = record.get(key)
    if value is None or isinstance(value, list):
        return value or []
    problems.append(f"{where}: {key}: expected a list, got {type(value).__name__}; ignored")
    return []


def _version_view(store: Path, name: str, v: dict[str, Any], coll: dict[str, Any],
                  pages: dict[str, tuple[str, str]], problems: list[str]) -> dict[str, Any]:
    # (the store comes with the runs folder: consumers or links that were a number, or metadata nested
    # 5,000 deep, stopped the whole build with a TypeError or a RecursionError)
    where = printable(f"_artifacts/collections/{name}/artifact.json, version {v['version']}")
    manifest = st.read_manifest(store, name, v["version"]) or {"entries": {}}
    meta = manifest.get("metadata") if isinstance(manifest.get("metadata"), dict) else {}
    if too_deep(meta, MAX_DEPTH):
        problems.append(printable(f"_artifacts/collections/{name}/{v['version']}/manifest.json: metadata nested "
                                  f"deeper than {MAX_DEPTH} levels; not shown"))
        meta = {}
    consumers = [c for c in (_run_ref(c, pages) for c in _listed(v, "consumers", where, problems)) if c]
    links = [{"target": str(link.get("target")),
              "aliases": ", ".join(map(str, _listed(link, "aliases", f"{where}, a link", problems)))}
             for link in _listed(v, "links", where, problems) if isinstance(link, dict)]
    return {
        "version": v["version"], "anchor": v["version"], "digest": str(v.get("digest") or ""),
        "created": fmt_time(v.get("created")), "size": fmt_size(manifest.get("size", v.get("size"))),
        "nfiles": len(manifest["entries"]), "files": _files(manifest),
        "more": max(0, len(manifest["entries"]) - MAX_FILES_SHOWN),
        "aliases": st.aliases_of(coll, v["version"]), "producer": _run_ref(v.get("producer"), pages),
        "consumers": consumers, "links": links,
        "description": manifest.get("description") if isinstance(manifest.get("description"), str) else "",
        "metadata": [(k, fmt_value(x)) for k, x in flatten(meta).items()],
    }


def collect(runs_root: Path, runs: list) -> ArtifactSite:
    """View-models of every artifact in the store of ``runs_root`` (empty when there is none)."""
    site = ArtifactSite()
    store = st.store_dir(runs_root)
    if not Path(runs_root).is_dir() or not store.is_dir() or store.is_symlink():
        return site
    pages = {}
    for r in runs:
        pages[r.id] = (run_page(r.file), r.name)
        pages.setdefault(Path(r.path).name, (run_page(r.file), r.name))
    used_names: set[str] = set()
    for name in st.list_collections(store):
        coll = st.read_collection(store, name)
        if coll is None:
            continue
        slug = safe_name(name)
        while slug.lower() in used_names:  # case-insensitive file systems
            slug = safe_name(slug + "_")
        used_names.add(slug.lower())
        page = f"artifacts/{slug}/index.html"
        versions = [_version_view(store, name, v, coll, pages, site.problems)
                    for v in list(st.iter_versions(coll))[:MAX_VERSIONS_READ]]
        versions.sort(key=lambda v: int(v["version"][1:]), reverse=True)
        aliases = sorted((a, v) for a, v in coll["aliases"].items() if isinstance(a, str) and st.is_version(v))
        site.collections.append({
            "name": name, "type": str(coll.get("type") or "unspecified"), "page": page,
            "versions": versions, "aliases": aliases,
            "latest": versions[0]["version"] if versions else "",
            "updated": fmt_time(coll.get("updated")),
            "size": versions[0]["size"] if versions else "—",
        })
        for v in versions:
            item = {"name": name, "version": v["version"], "type": site.collections[-1]["type"],
                    "page": page, "anchor": v["anchor"], "aliases": v["aliases"]}
            if v["producer"]:
                site.by_run.setdefault(v["producer"]["id"], {"logged": [], "used": []})["logged"].append(item)
            for c in v["consumers"]:
                site.by_run.setdefault(c["id"], {"logged": [], "used": []})["used"].append(item)
    return site


def by_type(site: ArtifactSite) -> list[tuple[str, list[dict[str, Any]]]]:
    types: dict[str, list[dict[str, Any]]] = {}
    for c in site.collections:
        types.setdefault(c["type"], []).append(c)
    return sorted(types.items())


def run_key(site: ArtifactSite, run_id: str) -> str:
    """Part of a run page's cache key: what the page shows about artifacts."""
    return hashlib.sha1(repr((bool(site), site.for_run(run_id))).encode("utf-8", "surrogatepass")).hexdigest()


def write_pages(writer, common: dict[str, Any], site: ArtifactSite, site_json) -> list[str]:
    """Render the index and one page per artifact; remove pages of artifacts that are gone."""
    written = []
    if site:
        writer.write("artifacts.html", INDEX_PAGE, {**common, "kind": "artifacts", "types": by_type(site),
                                                     "problems": site.problems, "site": site_json(INDEX_PAGE)})
        written.append(INDEX_PAGE)
        for c in site.collections:
            writer.write("artifact.html", c["page"], {**common, "kind": "artifacts", "art": c,
                                                      "site": site_json(c["page"])})
            written.append(c["page"])
    _remove_stale(writer.out, set(written))
    return written


def _remove_stale(out: Path, keep: set[str]) -> None:
    """Delete artifact pages this builder wrote earlier for artifacts no longer in the store."""
    folder = out / "artifacts"
    if not folder.is_dir() or folder.is_symlink():
        return
    if INDEX_PAGE not in keep:
        (out / INDEX_PAGE).unlink(missing_ok=True)
    for sub in folder.iterdir():
        page = f"artifacts/{sub.name}/index.html"
        if sub.is_dir() and not sub.is_symlink() and page not in keep and safe_name(sub.name) == sub.name:
            (sub / "index.html").unlink(missing_ok=True)
            try:
                sub.rmdir()
            except OSError:
                pass
    try:
        folder.rmdir()
    except OSError:
        pass
