"""The manifest's folder record (incr20): a rebuild lists again only the site folders whose mtime
changed since the previous build; the files the builder did not write stay the user's."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.manifest import MANIFEST
from site_runs import rows, write_run


AGED = time.time() - 3600


def _age(site: Path) -> None:
    """Every folder of the site an hour old, the same mtime each time (out of the racy window: its
    record can be reused)."""
    t = AGED
    for dirpath, _dirs, _files in os.walk(site):
        os.utime(dirpath, (t, t))


def _build(runs: Path, site: Path, cache: Path):
    return build(BuildConfig(runs, site, quiet=True, cache_dir=cache, samples=60))


def _listed(site: Path) -> set[str]:
    return set(json.loads((site / MANIFEST).read_text())["files"])


def test_kept_folders_still_tell_the_users_files_from_the_builders(tmp_path):
    runs, site, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    for name in ("a", "b"):
        write_run(runs, name, rows(20))
    (site / "data").mkdir(parents=True)
    (site / "data" / "old-mine.txt").write_text("mine since before the first build")
    _build(runs, site, cache)
    _age(site)
    _build(runs, site, cache)  # records the folders (an hour old: reusable next time)
    assert (cache / "site-folders.bin").is_file()
    _age(site)
    # a user's file appears in a folder the record lists (its mtime changes: listed again) ...
    (site / "runs" / "a" / "new-mine.txt").write_text("mine")
    # ... and one already there is edited in place (its folder's mtime does not change)
    (site / "data" / "old-mine.txt").write_text("mine, edited")
    _age(site)
    os.utime(site / "runs" / "a", None)  # the folder that got a file is newer than its record
    res = _build(runs, site, cache)
    listed = _listed(site)
    assert "runs/a/index.html" in listed and "runs/b/index.html" in listed
    assert "runs/a/new-mine.txt" not in listed and "data/old-mine.txt" not in listed
    # the run goes: its page is deleted (the builder's), the user's file in its folder is left
    import shutil

    shutil.rmtree(runs / "a")
    res = _build(runs, site, cache)
    assert not (site / "runs" / "a" / "index.html").exists()
    assert (site / "runs" / "a" / "new-mine.txt").read_text() == "mine"
    assert (site / "data" / "old-mine.txt").read_text() == "mine, edited"
    assert res.runs == 1


def test_run_page_folders_not_written_keep_their_listing_and_users_files(tmp_path, monkeypatch):
    """A rebuild does not stat again the folders of run pages it did not render (it wrote nothing
    there): their listing from the start of the build stands, a user's file there stays the user's,
    and the manifest equals a clean build's."""
    from reportgen.site import manifest as mf

    runs, site, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    for name in ("a", "b", "c"):
        write_run(runs, name, rows(20))
    _build(runs, site, cache)
    (site / "runs" / "b" / "notes.txt").write_text("mine")
    _age(site)
    _build(runs, site, cache)  # the record of the aged folders
    write_run(runs, "d", rows(5))
    stats: list[str] = []
    real_stat = os.stat
    monkeypatch.setattr(mf.os, "stat", lambda p, *a, **k: stats.append(os.fspath(p)) or real_stat(p, *a, **k))
    saved = mf.Manifest.save
    monkeypatch.setattr(mf.Manifest, "save", lambda self, *a: (stats.clear(), saved(self, *a)))
    _build(runs, site, cache)
    assert not any(s.endswith(os.path.join("runs", "a")) or s.endswith(os.path.join("runs", "b")) for s in stats), stats
    assert any(s.endswith(os.path.join("runs", "d")) for s in stats)  # rendered now: listed again
    listed = _listed(site)
    assert "runs/b/notes.txt" not in listed and {"runs/a/index.html", "runs/d/index.html"} <= listed
    clean = tmp_path / "clean"
    build(BuildConfig(runs, clean, quiet=True, cache=False, samples=60))
    assert listed == _listed(clean)


def test_the_manifest_is_not_rewritten_when_its_files_are_the_same(tmp_path):
    runs, site, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    for name in ("a", "b"):
        write_run(runs, name, rows(20))
    _build(runs, site, cache)
    before = (site / MANIFEST).stat().st_mtime_ns
    time.sleep(0.01)
    _build(runs, site, cache)  # the same files
    assert (site / MANIFEST).stat().st_mtime_ns == before
    write_run(runs, "c", rows(5))
    _build(runs, site, cache)
    assert "runs/c/index.html" in _listed(site)
