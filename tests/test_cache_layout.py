"""The incremental-build cache's layout (site/cache.py): one file per run folder and no folder per
run (creating files and folders is much of a small run's build); a run that is gone loses its file;
the per-run folders of the layout before it are removed, and only the cache's own files in them."""
from __future__ import annotations

import shutil

from reportgen.site.builder import build
from reportgen.site.cache import RunCache
from reportgen.site.config import BuildConfig
from reportgen.site.write import write_bytes
from site_runs import append_rows, rows, wavy, write_run


def _build(root, out, cache):
    return build(BuildConfig(runs=root, out=out, quiet=True, samples=100, cache_dir=cache))


def test_one_cache_file_per_run_and_no_folder_per_run(tmp_path):
    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    for name in ("a", "b"):
        write_run(root, name, rows(300, loss=wavy))
    _build(root, out, cache)
    assert sorted(p.name for p in (cache / "runs").iterdir()) == ["a.pkl", "b.pkl"]
    assert not (cache / "a").exists() and not (cache / "b").exists()
    c = RunCache(cache, 100)
    entry = c.load_info("a")
    assert entry["info"].file == "a" and entry["end"] == (root / "a" / "history.jsonl").stat().st_size
    assert c.load_cols("a").end == entry["end"]
    assert RunCache(cache, 200).load_info("a") is None and RunCache(cache, 200).load_cols("a") is None
    # continued from the cache file
    append_rows(root / "a", rows(10, start=300, loss=wavy))
    assert _build(root, out, cache).appended == ["a"]
    # a run that is gone loses its cache file
    shutil.rmtree(root / "b")
    _build(root, out, cache)
    assert sorted(p.name for p in (cache / "runs").iterdir()) == ["a.pkl"]


def test_a_truncated_cache_file_means_a_full_parse(tmp_path):
    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    write_run(root, "a", rows(300, loss=wavy))
    _build(root, out, cache)
    f = cache / "runs" / "a.pkl"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])  # the entry whole, the columns cut
    assert RunCache(cache, 100).load_cols("a") is None
    append_rows(root / "a", rows(10, start=300, loss=wavy))
    res = _build(root, out, cache)
    assert res.reparsed == ["a"] and res.appended == []
    fresh = tmp_path / "fresh"
    build(BuildConfig(runs=root, out=fresh, quiet=True, samples=100, cache=False))
    assert (out / "data/runs/a.js").read_bytes() == (fresh / "data/runs/a.js").read_bytes()


def test_the_folders_of_the_old_layout_are_removed_and_nothing_else(tmp_path):
    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    write_run(root, "a", rows(50, loss=wavy))
    old = cache / "a"
    old.mkdir(parents=True)
    for name in ("info.pkl", "cols.pkl"):
        (old / name).write_bytes(b"old")
    mine = cache / "notes"
    mine.mkdir()
    (mine / "info.pkl").write_bytes(b"not only ours")
    (mine / "keep.txt").write_text("x")
    _build(root, out, cache)
    assert not old.exists()
    assert (mine / "keep.txt").is_file() and not (mine / "info.pkl").exists()


def test_write_bytes_creates_folders_and_replaces_files_and_links(tmp_path):
    p = tmp_path / "a" / "b" / "f.js"
    write_bytes(p, b"one")
    assert p.read_bytes() == b"one"
    write_bytes(p, b"two")
    assert p.read_bytes() == b"two"
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"theirs")
    link = tmp_path / "a" / "link.js"
    link.symlink_to(outside)
    write_bytes(link, b"ours")  # the link is replaced, never written through
    assert not link.is_symlink() and link.read_bytes() == b"ours" and outside.read_bytes() == b"theirs"
    dangling = tmp_path / "a" / "dangling.js"
    dangling.symlink_to(tmp_path / "nowhere" / "x")
    write_bytes(dangling, b"ours")
    assert not dangling.is_symlink() and dangling.read_bytes() == b"ours" and not (tmp_path / "nowhere").exists()


def test_a_cache_written_by_another_release_is_not_reused(tmp_path, monkeypatch):
    """An upgrade can change what a cache entry holds (a page's media items, a run's story) without a
    format change: entries are stamped with the release that wrote them and another's means a parse."""
    from reportgen.site import cache as cache_mod
    from reportgen.site import snapshot

    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    write_run(root, "a", rows(300, loss=wavy))
    older = (cache_mod.CACHE_VERSION, "0.0.1-older")
    monkeypatch.setattr(cache_mod, "STAMP", older)
    monkeypatch.setattr(snapshot, "STAMP", older)  # (the build's one-file snapshot of every run's info)
    _build(root, out, cache)
    assert RunCache(cache, 100).load_info("a") is not None  # (that release reads its own entry)
    monkeypatch.undo()
    assert RunCache(cache, 100).load_info("a") is None
    assert _build(root, out, cache).reparsed == ["a"]
    assert RunCache(cache, 100).load_info("a") is not None


def test_a_cache_entry_is_the_same_bytes_in_every_process(tmp_path):
    """The x axes a run's kept rows carry (epoch, tokens: any step metric) were gathered in a set's
    order, which follows the interpreter's hash seed: the same run made a different cache file in
    each build process (the state loaded was the same). Now in name order."""
    import json
    import os
    import subprocess
    import sys

    root = tmp_path / "runs"
    write_run(root, "a", [{"_step": s, "_runtime": s * 0.1, "_timestamp": 1.7e9 + s, "epoch": s // 100,
                           "tokens": s * 512, "loss": 1 / (s + 1)} for s in range(3000)])
    (root / "a" / "config.json").write_text(json.dumps({"lr": 0.1}))
    entries = set()
    for seed in ("1", "2", "3", "4"):
        cache = tmp_path / f"cache{seed}"
        subprocess.run([sys.executable, "-m", "reportgen", "build", str(root), "-o", str(tmp_path / f"site{seed}"),
                        "--cache-dir", str(cache), "--quiet"], check=True, timeout=120,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        entries.add((cache / "runs" / "a.pkl").read_bytes())
    assert len(entries) == 1
