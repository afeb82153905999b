"""The scan's folder record (incr20): a run folder whose mtime did not change since the last build
is not listed again, only its files are stat'ed; the signatures equal those of a full listing."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.scan import scan_runs
from site_runs import append_rows, rows, write_run

AGED = time.time() - 3600


def _age(root: Path) -> None:
    """Every run folder an hour old, the same mtime each time (out of the racy window)."""
    for d in root.iterdir():
        os.utime(d, (AGED, AGED))


def test_a_kept_record_gives_the_signatures_of_a_full_listing(tmp_path):
    root, rec = tmp_path / "runs", tmp_path / "scan.bin"
    for name in ("a", "b", "c"):
        write_run(root, name, rows(10), config={"lr": 0.1})
    _age(root)
    assert scan_runs(root, record=rec) == scan_runs(root)  # the first scan writes the record
    assert rec.is_file()
    append_rows(root / "a", rows(5, start=10))  # appended: the folder's mtime stays
    (root / "b" / "output.log").write_text("new\n")  # a new file: the folder's mtime changes
    (root / "c" / "config.json").unlink()
    kept = scan_runs(root, record=rec)
    assert kept == scan_runs(root)
    sigs = {Path(p).name: sig for p, sig, _story in kept}
    assert sigs["c"]["config"] is None
    assert ("output.log", None) not in {Path(p).name: story for p, _sig, story in kept}["b"]
    # the folder really is not listed again: a file added with the folder's mtime put back is not seen
    _age(root)
    scan_runs(root, record=rec)  # records the aged folders
    (root / "a" / "output.log").write_text("hello\n")
    _age(root)
    story_a = {Path(p).name: story for p, _sig, story in scan_runs(root, record=rec)}["a"]
    assert ("output.log", None) in story_a
    assert ("output.log", None) not in {Path(p).name: story for p, _sig, story in scan_runs(root)}["a"]


def test_rebuilds_through_the_record_equal_a_clean_build(tmp_path):
    root, site, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    for i, name in enumerate(("a", "b", "c")):
        write_run(root, name, rows(20), config={"lr": 0.1 * (i + 1)}, summary={"loss": 1.0 - i / 10})
    cfg = BuildConfig(root, site, quiet=True, cache_dir=cache, samples=60)
    build(cfg)
    _age(root)
    build(cfg)  # the record of the aged folders
    append_rows(root / "a", rows(30, start=20))
    (root / "b" / "summary.json").write_text(json.dumps({"loss": 0.01, "new": 3}))  # rewritten in place
    (root / "c" / "output.log").write_text("done\n")
    res = build(cfg)
    assert sorted(res.reparsed) == ["a", "b"]
    clean = tmp_path / "clean"
    build(BuildConfig(root, clean, quiet=True, cache=False, samples=60))
    a = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    b = {p.relative_to(clean).as_posix(): p.read_bytes() for p in clean.rglob("*") if p.is_file()}
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []
    shutil.rmtree(clean)


def test_a_moved_runs_root_is_read_where_it_is_now_and_remembered(tmp_path):
    """incr20: after the runs root moved, unchanged runs were taken from their per-run cache entries
    with the old path, and the snapshot kept it: every later rebuild read all the entries again,
    and the run pages read their output log at the old place."""
    from reportgen.site import snapshot

    root, site, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    for name in ("a", "b"):
        write_run(root, name, rows(20))
    build(BuildConfig(root, site, quiet=True, cache_dir=cache, samples=60))
    moved = tmp_path / "moved"
    root.rename(moved)
    (moved / "b" / "output.log").write_text("after the move\n")
    build(BuildConfig(moved, site, quiet=True, cache_dir=cache, samples=60))
    kept = snapshot.load(cache, 60)["runs"]
    assert {f: r.path for f, r in kept.items()} == {"a": str(moved / "a"), "b": str(moved / "b")}
    clean = tmp_path / "clean"
    build(BuildConfig(moved, clean, quiet=True, cache=False, samples=60))
    for page in ("runs/a/index.html", "runs/b/index.html", "index.html"):
        assert (site / page).read_bytes() == (clean / page).read_bytes(), page


def test_the_record_is_written_only_when_it_changed(tmp_path):
    """A scan that finds the record as it was does not write it again (its older listing time is
    safe); a folder changed close to that listing, or a new file, has it written again."""
    root, rec = tmp_path / "runs", tmp_path / "scan.bin"
    for name in ("a", "b"):
        write_run(root, name, rows(10))
    scan_runs(root, record=rec)  # listed close to the folders' creation: written again next time
    before = rec.stat().st_mtime_ns
    time.sleep(0.01)
    scan_runs(root, record=rec)
    assert rec.stat().st_mtime_ns != before
    _age(root)
    scan_runs(root, record=rec)
    before = rec.stat().st_mtime_ns
    append_rows(root / "a", rows(5, start=10))  # the folder keeps its mtime: the record is the same
    time.sleep(0.01)
    scan_runs(root, record=rec)
    assert rec.stat().st_mtime_ns == before
    (root / "b" / "output.log").write_text("x\n")  # a new file: b's mtime changed, b is listed again
    scan_runs(root, record=rec)
    assert rec.stat().st_mtime_ns != before
    assert scan_runs(root, record=rec) == scan_runs(root)
