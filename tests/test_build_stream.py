"""The streamed build (site/runagg.py, downsample.Buckets, smoothing.ema_chunk): a history read in
chunks of any size gives the same site data as read at once; the incremental-build cache holds a
bounded state, not the history's columns; a run continued from the cache gives the same bytes."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.downsample import Buckets, downsample
from reportgen.site.history import Columns, parse_history
from reportgen.site.runagg import RunAgg
from reportgen.site.rundata import RunInfo, process_run, step_metric_names
from site_runs import append_rows, rows, write_run


def _series(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.normal(size=n))
    y[rng.integers(0, n, 5)] = np.nan
    y[rng.integers(0, n, 3)] = np.inf
    y[rng.integers(0, n, 3)] = -np.inf
    y[rng.integers(0, n, 2)] = 1e6  # spikes
    return y


@pytest.mark.parametrize("n,target", [(50, 100), (5_000, 100), (77_777, 1000)])
def test_buckets_fed_in_chunks_equal_buckets_fed_at_once(n, target):
    y = _series(n, n)
    whole = Buckets(1, target)
    whole.prepare(n)
    whole.feed(y[None], np.arange(n))
    rng = np.random.default_rng(1)
    parts = Buckets(1, target)
    a = 0
    while a < n:
        m = int(min(n - a, rng.integers(1, max(2, n // 7))))
        parts.prepare(m)
        parts.feed(y[None, a:a + m], np.arange(a, a + m))
        a += m
    assert parts.w == whole.w and parts.n == n
    for arr in ("idx", "row", "val"):
        assert np.array_equal(getattr(parts, arr), getattr(whole, arr), equal_nan=True)
    d = downsample(y, target)
    assert len(d.idx) <= target + 1 + 11  # + the last point + the 11 non-finite marks
    big = np.flatnonzero(y == 1e6)
    assert set(big) <= set(d.idx.tolist())  # spikes drawn, whatever the chunking


def _stream(h, samples: int, chunk: int, meta: dict) -> dict[str, bytes]:
    cols = Columns()
    cols.agg = RunAgg(samples, min(samples, 100))
    is_x = step_metric_names(meta)
    parse_history(h, cols, chunk_bytes=chunk, sink=lambda c: c.agg.consume(c, is_x))
    files: dict[str, bytes] = {}
    info = RunInfo(file="r", path=str(h.parent), meta=meta, config={}, summary={}, warnings=[])
    process_run(info, cols, cols.agg, h.parent, lambda p, b: files.__setitem__(p.name + p.parent.name, b))
    files["info"] = pickle.dumps((info.metrics, info.xkeys, info.lite, info.groups, info.media_rows))
    return files


def test_any_chunking_gives_the_same_data_files(tmp_path):
    n = 30_000
    y = _series(n, 3)
    data = rows(n, loss=lambda s: float(y[s]), acc=lambda s: s / n, epoch=lambda s: s // 1000)
    for s in range(0, n, 7):  # a metric logged in some rows only, and one that starts late
        data[s]["val/loss"] = float(np.sin(s))
    for s in range(n // 2, n):
        data[s]["late"] = float(s % 13)
    data[5000]["note"] = "a string"
    data[6000]["img"] = {"_type": "image", "path": "media/x.png"}
    d = write_run(tmp_path, "r", data)
    h = d / "history.jsonl"
    once = _stream(h, 300, 1 << 30, {})
    for chunk in (4096, 300_000):
        assert _stream(h, 300, chunk, {}) == once


def test_cache_is_bounded_and_continuing_from_it_gives_the_same_bytes(tmp_path):
    root = tmp_path / "runs"
    f = lambda s: float(np.sin(s / 500.0) + (s % 17) * 0.01)  # noqa: E731
    write_run(root, "short", rows(20_000, loss=f, acc=f))
    write_run(root, "long", rows(200_000, loss=f, acc=f))
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=300, cache_dir=cache))
    short, long_ = ((cache / "runs" / f"{r}.pkl").stat().st_size for r in ("short", "long"))
    assert long_ < 1.5 * short  # 10x the steps: the cache does not grow with them
    history = (root / "long" / "history.jsonl").stat().st_size
    assert long_ < 0.05 * history
    append_rows(root / "long", rows(3_333, start=200_000, loss=f, acc=f))
    res = build(BuildConfig(runs=root, out=out, quiet=True, samples=300, cache_dir=cache))
    assert res.appended == ["long"]
    fresh = tmp_path / "fresh"
    build(BuildConfig(runs=root, out=fresh, quiet=True, samples=300, cache=False))
    for rel in ("data/runs/long.js", "data/smooth/long.js"):
        assert (out / rel).read_bytes() == (fresh / rel).read_bytes(), rel


@pytest.mark.parametrize("change", ["same size, same last bytes", "grown, new first rows"])
def test_history_rewritten_not_appended_is_parsed_again(tmp_path, change):
    """Only appends are parsed from the cached offset. A history rewritten in place (a row fixed
    by hand, a run restarted from scratch) kept the old values on the site when its size did not
    change or its bytes before the old end still ended the same (bug)."""
    from reportgen.storage.jsonio import encode_line

    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    write_run(root, "a", rows(50, loss=lambda s: 1.0 + s))
    build(BuildConfig(runs=root, out=out, quiet=True, cache_dir=cache))
    h = root / "a" / "history.jsonl"
    old = h.read_bytes()
    new = old.replace(b'"loss":1.0}', b'"loss":7.0}', 1)  # the first row's value, same length
    assert new != old and len(new) == len(old) and new[-64:] == old[-64:]
    if change == "grown, new first rows":
        new += b"".join(encode_line(r) for r in rows(5, start=50, loss=lambda s: 1.0 + s))
    _rewrite(h, new)
    res = build(BuildConfig(runs=root, out=out, quiet=True, cache_dir=cache))
    assert res.appended == [] and res.reparsed == ["a"]
    fresh = tmp_path / "fresh"
    build(BuildConfig(runs=root, out=fresh, quiet=True, cache=False))
    assert (out / "data/runs/a.js").read_bytes() == (fresh / "data/runs/a.js").read_bytes()


def _rewrite(h, new: bytes) -> None:
    """``h`` rewritten with ``new``, its mtime a second later (a later write, whatever the clock's grain)."""
    import os

    st = h.stat()
    h.write_bytes(new)
    os.utime(h, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


@pytest.mark.parametrize("where", ["middle", "first 64 bytes", "last 64 bytes before the old end"])
def test_history_edited_in_place_then_grown_is_parsed_again(tmp_path, where):
    """A value rewritten in place (same length) in a history that then grew: the cache kept the old
    value (only the first and last 64 bytes before the parsed end were compared), so the incremental
    site showed 0.5 where a build without the cache showed 0.7 (bug, in the middle). The same after
    an append parsed from the cache (whose fingerprint reuses the blocks it checked)."""
    from reportgen.site.cache import BLOCK, TAIL, RunCache, read_tail
    from reportgen.storage.jsonio import encode_line
    from site_data import decoded

    n = 40_000  # ~2.6 MB: three blocks of read_tail
    at = {"middle": n // 2, "first 64 bytes": 0, "last 64 bytes before the old end": n - 1}[where]
    loss = lambda s: 0.5 if s == at else 2.0 + s % 7  # noqa: E731  (0.5 the minimum: kept when downsampled)
    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    write_run(root, "a", rows(n, loss=loss))
    build(BuildConfig(runs=root, out=out, quiet=True, cache_dir=cache))
    h = root / "a" / "history.jsonl"
    old = h.read_bytes()
    pos = old.index(b'"loss":0.5}') + len(b'"loss":')
    assert {"middle": TAIL <= pos and pos + 3 <= len(old) - TAIL and pos // BLOCK < len(old) // BLOCK,
            "first 64 bytes": pos + 3 <= TAIL,
            "last 64 bytes before the old end": pos >= len(old) - TAIL}[where]

    def grown(new: bytes, start: int) -> bytes:
        return new + b"".join(encode_line(r) for r in rows(100, start=start, loss=loss))

    def same_as_fresh(value: float) -> None:
        fresh = tmp_path / f"fresh{value}"
        build(BuildConfig(runs=root, out=fresh, quiet=True, cache=False))
        assert (out / "data/runs/a.js").read_bytes() == (fresh / "data/runs/a.js").read_bytes()
        assert min(decoded(out, "a", "loss")["p"]["y"]) == value  # what the page draws

    _rewrite(h, grown(old[:pos] + b"0.7" + old[pos + 3:], n))
    res = build(BuildConfig(runs=root, out=out, quiet=True, cache_dir=cache))
    assert res.appended == [] and res.reparsed == ["a"]
    same_as_fresh(0.7)
    # rows appended: parsed from the cache, whose new fingerprint is the file's, blocks reused or not
    _rewrite(h, grown(h.read_bytes(), n + 100))
    res = build(BuildConfig(runs=root, out=out, quiet=True, cache_dir=cache))
    assert res.appended == ["a"]
    entry = RunCache(cache, BuildConfig(runs=root, out=out).samples).load_info("a")
    assert entry["tail"] == read_tail(h, entry["end"]) and entry["end"] == h.stat().st_size
    # and an edit in a block that append did not hash again is seen
    new = h.read_bytes()
    _rewrite(h, grown(new[:pos] + b"0.9" + new[pos + 3:], n + 200))
    res = build(BuildConfig(runs=root, out=out, quiet=True, cache_dir=cache))
    assert res.appended == [] and res.reparsed == ["a"]
    same_as_fresh(0.9)


def test_fingerprint_of_a_large_history_samples_windows(tmp_path):
    """Past WHOLE bytes the parsed prefix is not read whole: its head, its tail and WINDOWS windows
    are (docs/site.md says an edit elsewhere is not seen); up to it, any byte changed is seen, and
    the blocks wholly before an earlier end whose fingerprint is known are taken from it, not read."""
    from reportgen.site.cache import BLOCK, DIGEST, TAIL, WHOLE, WINDOW, WINDOWS, read_tail

    h = tmp_path / "history.jsonl"
    end = WHOLE + 3 * BLOCK + 123
    data = bytearray(np.random.default_rng(0).integers(0, 256, end + 1000, dtype=np.uint8).tobytes())
    h.write_bytes(data)
    fp = read_tail(h, end)
    window = (end - WINDOW) * 10 // (WINDOWS - 1)
    gap = window + WINDOW + 1000  # between window 10 and 11

    def changed(at: int, size: int) -> bytes:
        new = bytearray(data)
        new[at] ^= 1
        h.write_bytes(new)
        try:
            return read_tail(h, size)
        finally:
            h.write_bytes(data)

    assert changed(3, end) != fp and changed(end - TAIL + 3, end) != fp and changed(window + 5, end) != fp
    assert changed(gap, end) == fp and changed(end + 10, end) == fp  # not sampled; past the end
    small = WHOLE - BLOCK - 7
    fp = read_tail(h, small)
    assert len(fp) == 2 * TAIL + DIGEST * (-(-small // BLOCK))
    assert all(changed(at, small) != fp for at in (3, gap % small, BLOCK * 40 + 1, small - 1))
    known = read_tail(h, BLOCK * 5 + 9)
    assert read_tail(h, small, (BLOCK * 5 + 9, known)) == fp
    other = known[:2 * TAIL] + b"\0" * DIGEST + known[2 * TAIL + DIGEST:]  # its first block's hash not the file's
    assert read_tail(h, small, (BLOCK * 5 + 9, other)) == fp[:2 * TAIL] + b"\0" * DIGEST + fp[2 * TAIL + DIGEST:]
    assert read_tail(h, small, (BLOCK * 5 + 9, b"x" * 128)) == fp  # not a fingerprint of that end: read


def _state(n: int, target: int, seed: int, sparse: bool) -> tuple[Buckets, np.ndarray, np.ndarray]:
    y = np.vstack([_series(n, seed), _series(n, seed + 1)])
    if not sparse:
        y = np.nan_to_num(y, nan=0.5, posinf=2.0, neginf=-2.0)
    rows = np.arange(n) * (3 if sparse else 1) + 7
    b = Buckets(2, target, 2)
    b.prepare(n)
    k = len(b.starts(n))
    b.feed(y, rows, np.random.default_rng(seed).normal(size=(2, 2, k)).astype(np.float32))
    return b, y, rows


@pytest.mark.parametrize("n,target", [(80, 100), (100, 100), (5_000, 100), (70_000, 90)])
@pytest.mark.parametrize("sparse", [False, True], ids=["consecutive rows, finite", "sparse rows, non-finite"])
def test_bucket_state_from_the_cache_is_the_same_state(n, target, sparse):
    b, y, rows = _state(n, target, n, sparse)
    c = pickle.loads(pickle.dumps(b))
    for arr in ("idx", "row", "val", "extra"):
        assert getattr(c, arr).dtype == getattr(b, arr).dtype
        assert np.array_equal(getattr(c, arr), getattr(b, arr), equal_nan=True), arr
    assert (c.n, c.w, c.k, c.target) == (b.n, b.w, b.k, b.target)
    more = y[:, : n // 2 + 50] * 2
    for s in (b, c):  # and both continue alike
        s.prepare(more.shape[1])
        s.feed(more, rows[-1] + 1 + np.arange(more.shape[1]))
    for arr in ("idx", "row", "val"):
        assert np.array_equal(getattr(c, arr), getattr(b, arr), equal_nan=True), arr


def _agg_of(cache, run: str):
    with open(cache / "runs" / f"{run}.pkl", "rb") as fh:
        pickle.load(fh)  # the entry (cache.py), then the columns
        return pickle.load(fh).agg


def test_series_kept_whole_keep_no_smoothing_and_their_cache_is_smaller_than_their_history(tmp_path):
    root = tmp_path / "runs"
    f = lambda s: float(np.sin(s / 50.0) + (s % 17) * 0.01)  # noqa: E731
    write_run(root, "r", rows(900, loss=f, acc=f, lr=f, gn=f))  # kept whole at --samples 1000
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=1000, cache_dir=cache))
    agg = _agg_of(cache, "r")
    assert [t.b.w for t in agg.tracks] == [1] and agg.tracks[0].b.extra.shape[1] == 0
    assert (cache / "runs" / "r.pkl").stat().st_size < 0.6 * (root / "r" / "history.jsonl").stat().st_size
    assert (out / "data/smooth/r.js").exists() is False  # the page smooths series kept whole


@pytest.mark.parametrize("n0", [90, 250, 300], ids=["whole in both", "whole, folded in the overview", "at --samples"])
def test_kept_whole_then_folded_by_an_append_gives_the_same_site_as_a_fresh_build(tmp_path, n0):
    """A series kept whole carries no smoothing; the append that first folds it computes it from the
    kept points: the same bytes as a build that read the whole history at once."""
    root = tmp_path / "runs"
    y = _series(2_000, n0)
    f = lambda s: float(y[s])  # noqa: E731
    g = lambda s: float(np.cos(s / 7.0))  # noqa: E731
    write_run(root, "r", rows(n0, loss=f, acc=g))
    out, cache = tmp_path / "site", tmp_path / "cache"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=300, cache_dir=cache))
    for start, m in ((n0, 5), (n0 + 5, 400), (n0 + 405, 900)):
        append_rows(root / "r", rows(m, start=start, loss=f, acc=g))
        res = build(BuildConfig(runs=root, out=out, quiet=True, samples=300, cache_dir=cache))
        assert res.appended == ["r"]
        fresh = tmp_path / f"fresh{start}"
        build(BuildConfig(runs=root, out=fresh, quiet=True, samples=300, cache=False))
        data = sorted(p.relative_to(fresh) for p in (fresh / "data").rglob("*.js"))
        assert data == sorted(p.relative_to(out) for p in (out / "data").rglob("*.js"))
        assert any(p.parts[1] == "smooth" for p in data) == (start + m > 300)
        for rel in data:
            assert (out / rel).read_bytes() == (fresh / rel).read_bytes(), (start, rel)


@pytest.mark.parametrize("bent", [False, True], ids=["_step is the row", "_step bent"])
def test_run_state_from_the_cache_is_the_same_state(tmp_path, bent):
    data = rows(700, start=3, loss=lambda s: float(np.sin(s)), epoch=lambda s: s // 100)
    for s in range(0, 700, 5):
        data[s]["val/loss"] = float(s % 11) if s % 35 else float("nan")
    for r in data[300:] if bent else ():
        r["_step"] = r["_step"] * 2 + 0.5  # _step no longer the row plus a constant
    h = write_run(tmp_path, "r", data) / "history.jsonl"
    is_x = step_metric_names({})
    for samples in (1000, 200):
        cols = Columns()
        cols.agg = RunAgg(samples, 100)
        parse_history(h, cols, chunk_bytes=4096, sink=lambda c: c.agg.consume(c, is_x))
        a, b = cols.agg, pickle.loads(pickle.dumps(cols.agg))
        assert isinstance(a.__getstate__()["x_vals"]["_step"], float) is not bent  # stored as 3.0
        assert a.x_rows.dtype == b.x_rows.dtype and np.array_equal(a.x_rows, b.x_rows)
        assert sorted(a.x_vals) == sorted(b.x_vals) == sorted(["_step", "_runtime", "_timestamp", "epoch"])
        for name in a.x_vals:
            assert a.x_vals[name].tobytes() == b.x_vals[name].tobytes(), name
        assert [t.keys for t in a.tracks] == [t.keys for t in b.tracks]
