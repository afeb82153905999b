"""Incremental rebuilds (incr19): a site rebuilt after a change equals, byte for byte, a clean build
of the same run folders, and the rebuild does only the work the change needs (the per-run cache
entries of unchanged runs are not read, unchanged overview shards and pages are not rewritten)."""
import json
import shutil
from pathlib import Path

import pytest

from reportgen.site import overviews, runs_data, snapshot
from reportgen.site.builder import build
from reportgen.site.cache import RunCache
from reportgen.site.config import BuildConfig
from reportgen.site.render import PageWriter
from site_runs import T0, append_rows, rows, wavy, write_run


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _same_as_clean(root: Path, site: Path, tmp: Path) -> None:
    clean = tmp / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(BuildConfig(root, clean, quiet=True, cache=False, samples=60))
    a, b = _tree(site), _tree(clean)
    assert sorted(a) == sorted(b)
    different = [k for k in a if a[k] != b[k]]
    assert not different, different


@pytest.fixture
def sharded(monkeypatch):
    monkeypatch.setattr(overviews, "SHARD_RUNS", 2)  # 7 runs -> 4 overview shards per metric


def _project(root: Path) -> None:
    for i in range(7):
        write_run(root, f"run{i}", rows(80, loss=wavy, acc=lambda s, i=i: (s + i) / 100.0),
                  meta={"created": T0 + i}, config={"lr": 0.1 * (i + 1), "opt": {"name": "adam"}},
                  summary={"loss": 0.5 - i / 100})


def _change(root: Path, kind: str) -> set[str]:
    """Apply one kind of change; returns the run folders it touched."""
    if kind == "append":
        append_rows(root / "run3", rows(100, start=80, loss=wavy, acc=lambda s: s / 100.0))
        return {"run3"}
    if kind == "new run":
        write_run(root, "run7", rows(30, loss=wavy), meta={"created": T0 + 3.5}, config={"lr": 9.0})
        return {"run7"}
    if kind == "deleted run":
        shutil.rmtree(root / "run1")
        return set()
    if kind == "config":
        (root / "run5" / "config.json").write_text(json.dumps({"lr": 0.25, "opt": {"name": "sgd"}, "new": 1}))
        return {"run5"}
    if kind == "summary":
        (root / "run6" / "summary.json").write_text(json.dumps({"loss": 0.01, "best": {"acc": 0.9}}))
        return {"run6"}
    if kind == "state":
        meta = json.loads((root / "run0" / "run.json").read_text())
        (root / "run0" / "run.json").write_text(json.dumps({**meta, "state": "crashed", "tags": ["x"]}))
        return {"run0"}
    raise AssertionError(kind)


@pytest.mark.parametrize("shards", [False, True, "lazy"], ids=["one-file", "sharded", "sharded+table-file"])
def test_incremental_build_equals_clean_build(tmp_path, request, shards, monkeypatch):
    if shards:
        request.getfixturevalue("sharded")
    if shards == "lazy":  # the runs table's data in a file (as above 500 runs), rows kept between builds
        monkeypatch.setattr(runs_data, "INLINE_TABLE_RUNS", 3)
    root, site = tmp_path / "runs", tmp_path / "site"
    _project(root)
    cfg = BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "cache", samples=60)
    build(cfg)
    if shards:
        assert any("~" in p.name for p in (site / "data" / "overview").iterdir())
    if shards == "lazy":
        assert (site / "data" / "table" / "all.js").is_file()
    for kind in ("append", "new run", "deleted run", "config", "summary", "state"):
        touched = _change(root, kind)
        res = build(cfg)
        assert set(res.reparsed) == touched, kind
        _same_as_clean(root, site, tmp_path)


def test_one_run_changed_reads_one_cache_entry_and_rewrites_only_its_shards(tmp_path, sharded, monkeypatch):
    root, site = tmp_path / "runs", tmp_path / "site"
    _project(root)
    cfg = BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "cache", samples=60)
    build(cfg)
    data = site / "data"
    before = {p: p.stat().st_mtime_ns for p in data.rglob("*.js")}
    loaded, rendered = [], []
    real_load, real_render = RunCache.load_info, PageWriter.render
    monkeypatch.setattr(RunCache, "load_info", lambda self, f: loaded.append(f) or real_load(self, f))
    monkeypatch.setattr(PageWriter, "render", lambda self, t, page, ctx: rendered.append(page) or real_render(self, t, page, ctx))

    build(cfg)  # nothing changed: no cache entry read, no page rendered, no data file written
    assert loaded == [] and rendered == []
    assert {p: p.stat().st_mtime_ns for p in data.rglob("*.js")} == before

    snap = tmp_path / "cache" / "snapshot"
    buckets = {p.name: p.stat().st_mtime_ns for p in snap.glob("b*.pkl")}
    append_rows(root / "run3", rows(100, start=80, loss=wavy, acc=lambda s: s / 100.0))
    build(cfg)
    assert loaded == ["run3"]
    rewritten = [p.name for p in snap.glob("b*.pkl") if p.stat().st_mtime_ns != buckets[p.name]]
    assert rewritten == [f"b{snapshot._bucket('run3')}.pkl"]  # the snapshot of the other runs is kept  # the changed run's entry (to parse from where it ended), no other
    changed = {p.relative_to(site).as_posix() for p in data.rglob("*.js") if p.stat().st_mtime_ns != before.get(p)}
    shard = overviews.fnv1a32("run3") % overviews.shards(7)
    ov = {c for c in changed if c.startswith("data/overview")}
    assert len(ov) == 4 and all(c.endswith(f"~{shard}.js") for c in ov), ov  # 2 metrics x (series, smoothing)
    assert "runs/run3/index.html" in rendered and "index.html" in rendered
    assert not any(p.startswith("runs/") and p != "runs/run3/index.html" for p in rendered)
    _same_as_clean(root, site, tmp_path)


def test_shard_of_a_run_is_the_same_in_python_and_in_the_page(tmp_path):
    """assets/loader.js computes the shard of a run key as overviews.py does."""
    import subprocess

    keys = ["run0", "r09999", "a.b-c_d", "Z" * 64]
    loader = Path(__file__).resolve().parent.parent / "reportgen" / "assets" / "loader.js"
    js = (f"const L = require({json.dumps(str(loader))}); globalThis.RG = {{site: {{ovShards: 64}}}};"
          f"console.log(JSON.stringify({json.dumps(keys)}.map(k => [L.fnv(k), L.overviewId('overview', 'm', k)])));")
    out = json.loads(subprocess.run(["node", "-e", js], capture_output=True, text=True, check=True).stdout)
    assert out == [[overviews.fnv1a32(k), f"overview/m~{overviews.fnv1a32(k) % 64}"] for k in keys]
    assert overviews.shards(256) == 1 and overviews.shards(257) == 2 and overviews.shards(10_000) == 64


def test_serve_first_rebuild_into_the_second_slot_parses_only_the_changed_run(tmp_path):
    """serve --watch builds into two slots; the second starts from a copy of the first one's site
    and cache, so its first rebuild does not parse every run again (it did)."""
    from reportgen.serve.livesite import LiveSite

    root = tmp_path / "runs"
    _project(root)
    results = []

    def build_into(out: Path):  # as serve.server.build_into
        res = build(BuildConfig(root, out, quiet=True, samples=60, cache_dir=out.parent / f"cache-{out.name}"))
        results.append(res)
        return res

    site = LiveSite(tmp_path / "serve", build_into, boot="test", log=lambda m: None)
    site.initial_build()
    append_rows(root / "run2", rows(10, start=80, loss=wavy, acc=lambda s: s / 100.0))
    site.rebuild()
    assert results[-1].out.name == "b" and results[-1].reparsed == ["run2"]
    _same_as_clean(root, results[-1].out, tmp_path)


def test_run_pages_follow_the_site_layout_when_runs_go(tmp_path):
    """3 -> 2 runs: the all-runs sweep page is no longer built, so every run page loses its
    "Analyse selection" link; the old run-page key did not see the run count (stale link)."""
    root, site = tmp_path / "runs", tmp_path / "site"
    for i in range(3):
        write_run(root, f"run{i}", rows(20, loss=wavy), meta={"created": T0 + i}, config={"lr": i + 1.0})
    cfg = BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "cache", samples=60)
    build(cfg)
    assert "sweeps/_all.html" in (site / "runs" / "run0" / "index.html").read_text()
    shutil.rmtree(root / "run2")
    build(cfg)
    assert "sweeps/_all.html" not in (site / "runs" / "run0" / "index.html").read_text()
    _same_as_clean(root, site, tmp_path)


def test_a_new_run_renders_its_own_page_and_the_pages_that_list_runs(tmp_path, sharded, monkeypatch):
    """Adding a run re-rendered every run page (their key held the number of runs); now only the
    new run's page and the pages listing runs are rendered, other run pages keep their files --
    unless what a run page shows of the count changes (here the overview shard count)."""
    root, site = tmp_path / "runs", tmp_path / "site"
    _project(root)
    cfg = BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "cache", samples=60)
    build(cfg)
    runs_before = {p: p.stat().st_mtime_ns for p in (site / "runs").glob("*/index.html")}
    rendered, real_render = [], PageWriter.render
    monkeypatch.setattr(PageWriter, "render", lambda self, t, page, ctx: rendered.append(page) or real_render(self, t, page, ctx))
    write_run(root, "run7", rows(30, loss=wavy), meta={"created": T0 + 99}, config={"lr": 9.0})  # the newest: last
    res = build(cfg)
    assert res.reparsed == ["run7"]
    assert [p for p in rendered if p.startswith("runs/")] == ["runs/run7/index.html"]
    assert {"index.html", "compare.html"} <= set(rendered)
    assert {p: p.stat().st_mtime_ns for p in runs_before} == runs_before
    _same_as_clean(root, site, tmp_path)
    rendered.clear()
    write_run(root, "run8", rows(30, loss=wavy), meta={"created": T0 + 100})  # 9 runs: 4 -> 8 shards
    build(cfg)
    assert len([p for p in rendered if p.startswith("runs/")]) == 9
    _same_as_clean(root, site, tmp_path)


def test_overviews_of_an_appended_run_are_written_without_regrouping_every_run(tmp_path, sharded, monkeypatch):
    """The same runs in the same order, the changed run with series of the same metrics: only its
    shards are written, from the previous build's record (the runs are not grouped by metric again);
    a new run (another order) takes the full path. Both equal a clean build."""
    root, site = tmp_path / "runs", tmp_path / "site"
    _project(root)
    cfg = BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "cache", samples=60)
    build(cfg)
    results, real = [], overviews._write_changed
    monkeypatch.setattr(overviews, "_write_changed", lambda *a: results.append(r := real(*a)) or r)
    append_rows(root / "run3", rows(100, start=80, loss=wavy, acc=lambda s: s / 100.0))
    build(cfg)
    assert len(results) == 1 and results[0] is not None
    _same_as_clean(root, site, tmp_path)
    append_rows(root / "run4", rows(10, start=80, loss=wavy, acc=lambda s: s / 100.0, extra=lambda s: s))
    build(cfg)  # run4 has a new metric: its files are not those of the record
    assert len(results) == 2 and results[1] is None
    _same_as_clean(root, site, tmp_path)
    write_run(root, "run9", rows(30, loss=wavy), meta={"created": T0 + 99})
    build(cfg)  # another order: the full path
    assert len(results) == 2
    _same_as_clean(root, site, tmp_path)


def test_snapshot_written_by_bucket_equals_one_written_whole(tmp_path):
    """A rebuild writes only the snapshot buckets that changed, from the previous snapshot's layout
    (which runs and memo names each bucket held): what it holds then equals the snapshot a build
    with an empty cache writes whole."""
    root, site = tmp_path / "runs", tmp_path / "site"
    _project(root)
    cfg = BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "cache", samples=60)
    build(cfg)
    for kind in ("append", "new run", "deleted run", "config"):
        _change(root, kind)
        build(cfg)
    build(BuildConfig(root, tmp_path / "site2", quiet=True, cache_dir=tmp_path / "cache2", samples=60))
    a, b = snapshot.load(tmp_path / "cache", 60), snapshot.load(tmp_path / "cache2", 60)
    assert sorted(a["runs"]) == sorted(b["runs"]) == sorted(p.name for p in root.iterdir())
    for f in a["runs"]:
        assert a["runs"][f].sig == b["runs"][f].sig and a["runs"][f].lite == b["runs"][f].lite
    assert {s: sorted(v) for s, v in a["memo"].items()} == {s: sorted(v) for s, v in b["memo"].items()}
    assert {s: {n: kv[1] for n, kv in v.items()} for s, v in a["memo"].items()} == \
        {s: {n: kv[1] for n, kv in v.items()} for s, v in b["memo"].items()}


def test_a_run_page_deleted_from_the_site_is_written_again(tmp_path):
    """Run pages whose inputs did not change are skipped when the site still has them (the
    manifest's listing at the start of the build); one deleted meanwhile is rendered again."""
    root, site = tmp_path / "runs", tmp_path / "site"
    _project(root)
    cfg = BuildConfig(root, site, quiet=True, cache_dir=tmp_path / "cache", samples=60)
    build(cfg)
    (site / "runs" / "run2" / "index.html").unlink()
    build(cfg)
    assert (site / "runs" / "run2" / "index.html").is_file()
    _same_as_clean(root, site, tmp_path)


def test_memo_keys_of_an_unchanged_run_are_the_previous_builds_objects(tmp_path):
    """Memo.run_key returns the previous build's key object when the run did not change (the other
    spaces' keys then compare by identity); a changed run gets its new key and is marked touched."""
    from types import SimpleNamespace

    from reportgen.site.memo import Memo

    a = SimpleNamespace(file="a", path="/r/a", sig={"run": (1, 2)}, status="finished")
    first = Memo()
    k1 = first.run_key(a)
    second = Memo(first.new)
    a2 = SimpleNamespace(file="a", path="/r/a", sig={"run": (1, 2)}, status="finished")
    assert second.run_key(a2) is k1 and "a" not in second.touched
    third = Memo(second.new)
    a3 = SimpleNamespace(file="a", path="/r/a", sig={"run": (1, 3)}, status="finished")
    assert third.run_key(a3) == ("/r/a", {"run": (1, 3)}, "finished") and "a" in third.touched


def test_snapshot_drops_page_inputs_no_longer_made(tmp_path):
    """Page inputs of a kind this build no longer makes (a memo space of another version) are not
    kept in the buckets that did not change: every bucket is written again without them."""
    root, site, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    _project(root)
    cfg = BuildConfig(root, site, quiet=True, cache_dir=cache, samples=60)
    build(cfg)
    snap = snapshot.load(cache, 60)
    from reportgen.site.memo import Memo

    memo = Memo(snap["memo"])
    memo.new = {space: dict(v) for space, v in snap["memo"].items()}
    memo.new["old-kind"] = {"run0": ("k", 1), "run5": ("k", 2)}
    infos = list(snap["runs"].values())
    snapshot.save(cache, 60, infos, snap["overviews"], memo)  # every bucket, with "old-kind"
    assert set(snapshot.load(cache, 60)["memo"]["old-kind"]) == {"run0", "run5"}
    build(cfg)  # nothing changed, but "old-kind" is not made any more
    assert "old-kind" not in snapshot.load(cache, 60)["memo"]
    _same_as_clean(root, site, tmp_path)
