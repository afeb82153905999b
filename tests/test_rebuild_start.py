"""The start and end of a rebuild at 10,000 runs (incr20): the listings made in forked children,
the build snapshot's packed fields, the scan telling segmented roots, the table rows kept as JSON,
the grouped chart tally and the build command's exit. Each gives what it replaced gave."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from reportgen.site import chartlayout, listings, runs_data, snapshot
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.scan import scan_runs
from reportgen.storage.remote import has_segmented
from site_runs import append_rows, rows, wavy, write_run

REPO = Path(__file__).resolve().parent.parent
AGED = time.time() - 3600


def _project(root: Path, n: int = 6) -> None:
    for i in range(n):
        write_run(root, f"r{i}", rows(30, loss=wavy, **({"acc": lambda s: s / 30} if i % 2 else {})),
                  config={"lr": 0.1 * (i + 1), "opt": {"name": "adam"}}, summary={"best": {"acc": i}},
                  meta={"created": 1_700_000_000.0 + i})
    for d in root.iterdir():
        os.utime(d, (AGED, AGED))


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


# --- listings.py --------------------------------------------------------------------------------

# (in a process of their own: the tests' process may run other tests' threads, and then never forks)
FORKED_LISTINGS = r"""
import os, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from reportgen.site import listings
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.manifest import Manifest
from reportgen.site.scan import scan_runs
from test_rebuild_start import _project
tmp = Path({tmp!r})
root, out = tmp / "runs", tmp / "site"
_project(root)
build(BuildConfig(root, out, quiet=True, cache_dir=tmp / "c"))
(out / "mine.txt").write_text("the user's")
cfg = BuildConfig(root, out, quiet=True, cache_dir=tmp / "c")
here = Manifest(out, listings.site_record(cfg))
listings.start(cfg)
assert listings.can_fork() and len(listings._STARTED) == 2  # (2 CPUs, no other thread)
site = listings.site_listing(out, listings.site_record(cfg))
scan = listings.scan_forked(root, listings.scan_record(cfg))
assert site.pid and scan.pid  # really forked
got = Manifest(out, listings.site_record(cfg), state=site.result())
assert (got.old, got.before, got.dirs, got._raw) == (here.old, here.before, here.dirs, here._raw)
assert "mine.txt" in got.before and not got.owns("mine.txt")
found, skipped, segmented, record_error = scan.result()
assert found == scan_runs(root) and skipped == [] and segmented is False and record_error is None
assert listings._STARTED == {{}}  # taken

calls = []
def fails_in_the_child(parent):
    calls.append(os.getpid())
    if os.getpid() != parent:
        raise RuntimeError("child")
    return ["made here"]
forked = listings.Forked(fails_in_the_child, os.getpid())
assert forked.pid is not None
assert forked.result() == ["made here"] and calls == [os.getpid()]
print("OK")
"""


def test_forked_listings_equal_the_listings_made_here_and_a_failing_child_is_redone(tmp_path):
    assert os.cpu_count() >= 2
    proc = subprocess.run([sys.executable, "-c", FORKED_LISTINGS.format(tests=str(REPO / "tests"), tmp=str(tmp_path))],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.stdout.strip() == "OK", proc.stderr


def test_no_fork_while_other_threads_run(tmp_path):
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not listings.can_fork()
        assert listings.Forked(os.getpid).result() == os.getpid()  # made in this process
    finally:
        stop.set()
        t.join()


def test_a_build_with_forked_listings_equals_one_without(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    _project(root)
    a, b = tmp_path / "a", tmp_path / "b"
    build(BuildConfig(root, a, quiet=True, cache_dir=tmp_path / "ca"))
    with monkeypatch.context() as m:
        m.setattr(listings, "can_fork", lambda: False)
        build(BuildConfig(root, b, quiet=True, cache_dir=tmp_path / "cb"))
    assert _files(a).keys() == _files(b).keys()
    append_rows(root / "r1", rows(5, start=30, loss=wavy, acc=lambda s: s / 30))
    (a / "mine.txt").write_text("x")
    (b / "mine.txt").write_text("x")
    cfg = BuildConfig(root, a, quiet=True, cache_dir=tmp_path / "ca")
    listings.start(cfg)  # as reportgen build does
    res = build(cfg)
    with monkeypatch.context() as m:
        m.setattr(listings, "can_fork", lambda: False)
        build(BuildConfig(root, b, quiet=True, cache_dir=tmp_path / "cb"))
    assert res.reparsed == ["r1"]
    fa, fb = _files(a), _files(b)
    assert fa.keys() == fb.keys() and all(fa[k] == fb[k] for k in fa if k != ".reportgen-manifest.json")
    assert (a / "mine.txt").read_text() == "x"


# --- the scan tells segmented roots (has_segmented without its own stat calls) ----------------------

def _layouts(tmp_path: Path):
    plain = tmp_path / "plain"
    _project(plain, 2)
    yield plain
    seg = tmp_path / "seg"
    _project(seg, 2)
    (seg / "r1" / "writers" / "rank0" / "history").mkdir(parents=True)
    yield seg
    hist = tmp_path / "hist"
    _project(hist, 2)
    (hist / "r0" / "history").mkdir()
    yield hist
    not_a_folder = tmp_path / "file"
    _project(not_a_folder, 2)
    (not_a_folder / "r0" / "writers").write_text("a file, not the writers' folder")
    yield not_a_folder
    run_root = tmp_path / "runroot" / "r0"
    _project(run_root.parent, 1)
    (run_root / "writers").mkdir()
    yield run_root
    other = tmp_path / "other"
    _project(other, 1)
    (other / "notes" / "writers").mkdir(parents=True)  # a folder that is not a run, with writers/
    yield other
    shared = tmp_path / "shared" / "dist"  # a shared run's folder given as RUNS: its writers alone
    (shared / "writers" / "rank0" / "history").mkdir(parents=True)
    yield shared
    named = tmp_path / "named"  # a root holding a run named writers (not a shared run's folder)
    _project(named, 1)
    (named / "r0").rename(named / "writers")
    yield named


def test_the_scan_tells_segmented_roots_as_has_segmented_does(tmp_path):
    for root in _layouts(tmp_path):
        rec = tmp_path / f"{root.name}.bin"
        for _ in range(2):  # listed, then from the kept record (folders an hour old)
            flags: dict = {}
            scan_runs(root, [], rec, flags)
            assert flags["segmented"] == has_segmented(root), root


def test_a_segment_folder_made_after_the_record_is_seen(tmp_path):
    root, rec = tmp_path / "runs", tmp_path / "scan.bin"
    _project(root, 2)
    flags: dict = {}
    scan_runs(root, [], rec, flags)
    assert flags == {"segmented": False}
    (root / "r0" / "writers").mkdir()  # the folder's mtime changes: listed again
    scan_runs(root, [], rec, flags)
    assert flags == {"segmented": True}


# --- snapshot.py: packed fields -------------------------------------------------------------------

def test_snapshot_runs_unpack_what_they_packed(tmp_path):
    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    _project(root)
    res = build(BuildConfig(root, out, quiet=True, cache_dir=cache))
    assert res.reparsed
    from reportgen.site.cache import RunCache

    fresh = {f: RunCache(cache, 1000).load_info(f)["info"] for f in (f"r{i}" for i in range(6))}
    loaded = snapshot.load(cache, 1000)["runs"]
    assert set(loaded) == set(fresh)
    for f, r in loaded.items():
        assert "_cold" in r.__dict__ and "metrics" not in r.__dict__
        assert r.counts() == fresh[f].counts()  # without unpacking
        assert "_cold" in r.__dict__
        assert r.metrics == fresh[f].metrics  # unpacked on first use
        assert "_cold" not in r.__dict__
        assert (r.config, r.summary, r.groups, r.media_rows) == (fresh[f].config, fresh[f].summary,
                                                                fresh[f].groups, fresh[f].media_rows)
        assert set(r.lite) == set(fresh[f].lite)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        assert next(iter(loaded.values())).nothing is None


def test_a_packed_run_is_saved_as_it_was_loaded(tmp_path):
    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    _project(root)
    build(BuildConfig(root, out, quiet=True, cache_dir=cache))
    loaded = snapshot.load(cache, 1000)["runs"]
    r = loaded["r2"]
    packed = r.__dict__["_cold"]
    assert snapshot._state(r)["_cold"] is packed  # not unpacked to be saved
    r.summary  # noqa: B018 - unpacked now
    state = snapshot._state(r)
    assert snapshot.thaw(state["_cold"]) == snapshot.thaw(packed)
    # rebuilds after appends keep runs equal to those a fresh build makes
    for i in range(3):
        append_rows(root / f"r{i}", rows(4, start=30, loss=wavy))
        build(BuildConfig(root, out, quiet=True, cache_dir=cache))
    again = snapshot.load(cache, 1000)["runs"]
    fresh_cache = tmp_path / "fresh"
    build(BuildConfig(root, tmp_path / "site2", quiet=True, cache_dir=fresh_cache))
    ref = snapshot.load(fresh_cache, 1000)["runs"]
    for f in ref:
        for name in ("metrics", "config", "summary", "groups", "media_rows", "nrows", "xkeys", "dx", "data_files"):
            assert getattr(again[f], name) == getattr(ref[f], name), (f, name)


# --- chartlayout.tally (grouped) ------------------------------------------------------------------

class _R:
    def __init__(self, file, metrics, dx=None):
        self.file, self.metrics = file, metrics
        if dx is not None:
            self.dx = dx

    def counts(self):
        m = self.metrics
        return tuple(m), tuple(v["n"] for v in m.values()), tuple(v["nonfinite"] for v in m.values())


def _tally_one_by_one(runs):
    acc: dict = {}
    for r in runs:
        dx = getattr(r, "dx", None) or {}
        for key, m in r.metrics.items():
            a = acc.setdefault(key, [[], 0, 0, set()])
            a[0].append(r.file)
            a[1] += m["n"]
            a[2] += m["nonfinite"]
            a[3].add(dx.get(key))
    return {k: tuple(a) for k, a in acc.items()}


def test_the_grouped_tally_equals_the_tally_run_by_run():
    import random

    rng = random.Random(5)
    keys = ["a", "b/c", "d", "e/f", "g"]
    for _ in range(200):
        runs = []
        for i in range(rng.randint(0, 25)):
            ks = rng.sample(keys, rng.randint(0, len(keys)))
            runs.append(_R(f"r{i}", {k: {"n": rng.randint(0, 50), "nonfinite": rng.randint(0, 2)} for k in ks},
                           {k: "epoch" for k in ks if rng.random() < 0.3} if rng.random() < 0.5 else None))
        assert chartlayout.tally(runs) == _tally_one_by_one(runs)


# --- runs_data: rows kept as JSON -----------------------------------------------------------------

def test_the_table_file_from_rows_as_json_is_the_same_bytes(tmp_path):
    import numpy as np

    rows_ = [["r1", None, 1.5, [1, 2], {"x": "é\ud800"[:1]}, np.float32(2.5)], ["r2", "ü", float("nan"), [], {}, 3]]
    cols = {"summary": ["a", "b"], "config": ["lr"]}
    a = runs_data.write_data_file(tmp_path / "a", "table/all", runs_data.payload_of(rows_, cols, ["loss", "acc"]))
    b = runs_data.write_rows_file(tmp_path / "b", "table/all", [runs_data.row_json(r) for r in rows_], cols,
                                  ["loss", "acc"])
    assert a == b and (tmp_path / "a" / a).read_bytes() == (tmp_path / "b" / b).read_bytes()
    assert orjson.loads((tmp_path / "b" / b).read_bytes()[len(b'RG.receive("table/all",'):-3])["rows"][1][0] == "r2"


# --- the build command's exit ---------------------------------------------------------------------

def test_the_build_command_ends_with_its_status_and_output(tmp_path):
    root = tmp_path / "runs"
    _project(root, 3)
    (root / "r9").mkdir()
    (root / "r9" / "run.json").write_text("{not json")  # a warning
    env = {**os.environ, "PYTHONPATH": str(REPO), "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}
    for strict, code in ((False, 0), (True, 1)):
        proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(root), "-o", str(tmp_path / "site"),
                               *(["--strict"] if strict else [])], capture_output=True, text=True, env=env)
        assert proc.returncode == code, proc.stderr
        assert "Open file://" in proc.stdout and proc.stdout.endswith("\n")
        assert "warning: run r9" in proc.stderr and "built 4 runs" in proc.stderr
    assert (tmp_path / "site" / "index.html").is_file()


# --- phases.write_data: the site order and labels kept while no run.json changed -------------------

def test_order_and_labels_follow_a_run_json_change_alone(tmp_path):
    root, site, fresh = tmp_path / "runs", tmp_path / "site", tmp_path / "fresh"
    _project(root)
    build(BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "c"))
    append_rows(root / "r1", rows(3, start=30, loss=wavy, acc=lambda s: s / 30))
    build(BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "c"))  # kept: only history grew
    for rid, change in (("r2", {"name": "r4"}), ("r5", {"created": 1.0})):  # a label, the order
        j = root / rid / "run.json"
        j.write_bytes(orjson.dumps({**orjson.loads(j.read_bytes()), **change}))
    res = build(BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "c"))
    assert sorted(res.reparsed) == ["r2", "r5"]
    build(BuildConfig(root, fresh, quiet=True, cache=False))
    a, b = _files(site), _files(fresh)
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a if k != ".reportgen-manifest.json")
    assert b'"r4 (r2)"' in a["index.html"] or b"r4 (r2)" in a["index.html"]  # two runs named r4 now
