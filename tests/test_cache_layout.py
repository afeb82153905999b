"""The incremental-build cache's layout (site/cache.py): one file per run folder and no folder per
run (creating files and folders is much of a small run's build); a run that is gone loses its file;
the per-run folders of the layout before it are removed, and only the cache's own files in them."""
from __future__ import annotations

import shutil

import pytest

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


def test_columns_worth_less_than_their_parse_are_not_kept_and_an_append_parses_again(tmp_path):
    """cache1: a run of 10 metrics x 2,000 steps (1,000 of them: bench_build's 'many') kept ~217 KB of
    columns a run, a quarter of its history (the smoothing at 9 weights, each bucket's values), to
    save a parse of ~10 ms. Its file is now the entry alone, and an append is parsed from the first
    byte: the same site as a fresh build."""
    import math

    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    series = {f"m{i}": (lambda s, i=i: math.sin(s / (40.0 + i)) + (s * (i + 7) % 13) * 0.0123) for i in range(10)}
    write_run(root, "a", rows(2_000, **series))
    cfg = BuildConfig(runs=root, out=out, quiet=True, cache_dir=cache)  # --samples 1000: folded
    build(cfg)
    history = (root / "a" / "history.jsonl").stat().st_size
    assert (cache / "runs" / "a.pkl").stat().st_size <= 0.1 * history
    c = RunCache(cache, cfg.samples)
    assert c.load_info("a")["end"] == history and c.load_cols("a") is None
    append_rows(root / "a", rows(100, start=2_000, **series))
    res = build(cfg)
    assert res.reparsed == ["a"] and res.appended == []
    fresh = tmp_path / "fresh"
    build(BuildConfig(runs=root, out=fresh, quiet=True, cache=False))
    for rel in ("data/runs/a.js", "data/smooth/a.js", "runs/a/index.html"):
        assert (out / rel).read_bytes() == (fresh / rel).read_bytes(), rel


@pytest.mark.parametrize("size,history,kept", [
    (64 * 1024, 64 * 1024, True),  # small: kept whatever the history
    (64 * 1024 + 1, 640 * 1024, False),
    (100_000, 1_000_000, True),  # a tenth of the history
    (100_001, 1_000_000, False),
    (20_000_000, 32 * 1024 * 1024, True),  # a history that costs more to parse again than to read them
])
def test_which_columns_are_kept(size, history, kept):
    from reportgen.site.cache import keeps_columns

    assert keeps_columns(size, history) is kept


def test_a_cache_folder_that_cannot_be_written_is_a_warning_and_the_site_is_built(tmp_path, monkeypatch):
    """``$REPORTGEN_CACHE_DIR`` naming a file (or any place the cache cannot be written): build() raised
    NotADirectoryError from the first run's cache file, and ``reportgen build`` ended with an error.
    The build warns once, naming the folder, and builds without the cache; by the CLI, the joined copy
    of a shared run (in the same user cache) is a warning too, told with the others."""
    import os
    import subprocess
    import sys

    from test_shared_runs import REPO, _write

    root = tmp_path / "runs"
    write_run(root, "a", rows(30, loss=wavy))
    blocked = tmp_path / "cache-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(blocked))
    for cache_dir in (None, blocked / "builds"):
        res = build(BuildConfig(runs=root, out=tmp_path / "site", quiet=True, cache_dir=cache_dir))
        assert res.runs == 1 and (tmp_path / "site" / "runs" / "a" / "index.html").is_file()
        [warning] = res.warnings
        assert f"build cache {blocked}{os.sep}builds" in warning and "built without it" in warning, warning

    _write(tmp_path, root, "dist", "rank0", "rank1")  # a shared run: its joined copy goes in the user cache too
    env = {**os.environ, "PYTHONPATH": str(REPO), "REPORTGEN_CACHE_DIR": str(blocked)}
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(root), "-o", str(tmp_path / "site2")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.count(f"warning: build cache {blocked}{os.sep}builds") == 1, proc.stderr
    assert f"cannot make the joined copy of its shared runs in {blocked}" in proc.stderr, proc.stderr
    assert "built 1 runs" in proc.stderr and (tmp_path / "site2" / "runs" / "a" / "index.html").is_file()
