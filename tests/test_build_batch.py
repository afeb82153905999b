"""Runs parsed in batches (site/batch.py: histories read together by one polars read, data columns
encoded in the same calls) give the same data files, run infos and cache entries as runs parsed
one by one; a history the batched read cannot take (NaN tokens, the separator's key, a torn or
growing last line) is read on its own."""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import orjson
import pytest

from reportgen.site import batch, columnar, runagg
from reportgen.site.cache import RunCache
from reportgen.site.config import BuildConfig
from reportgen.site.phases import Warnings, gather, parse_run

pytest.importorskip("polars")
T0 = 1_700_000_000.0


def _run(root: Path, name: str, rows: int, seed: int, tweak=None, tail: bytes = b"") -> Path:
    """A run folder whose history is big enough for the columnar reader (format level, as the SDK
    writes it); ``tweak(i, row)`` changes a row."""
    d = root / name
    d.mkdir(parents=True)
    (d / "run.json").write_bytes(orjson.dumps({"format": 1, "id": name, "name": name, "state": "finished",
                                               "created": T0, "updated": T0 + rows}))
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(rows):
        row = {"_step": i, "_runtime": i * 0.01, "_timestamp": T0 + i * 0.01}
        for m in range(8):
            row[f"m/{m}"] = float(np.exp(-i / (50 + m)) + 0.05 * rng.standard_normal())
        if tweak:
            tweak(i, row)
        lines.append(orjson.dumps(row))
    (d / "history.jsonl").write_bytes(b"\n".join(lines) + b"\n" + tail)
    return d


def _late_key(i, row):
    if i > 300:
        row["late/key"] = i * 0.5


def _sparse(i, row):
    if i % 3 == 0:
        row["sparse"] = i
    if i % 2:
        row.pop("m/1", None)


def _big_ints(i, row):
    row["count"] = i * 7
    row["big"] = 2 ** 60 + i


@pytest.fixture
def runs(tmp_path):
    root = tmp_path / "runs"
    _run(root, "a-plain", 1500, 1)
    _run(root, "b-late", 1500, 2, _late_key)
    _run(root, "c-sparse", 1800, 3, _sparse)
    _run(root, "d-ints", 1500, 4, _big_ints, tail=b'{"_step": 99999, "m/0"')  # a torn last line
    _run(root, "e-plain", 1600, 5)
    return root


def _jobs(root: Path, tmp_path: Path, cache: str):
    cfg = BuildConfig(runs=root, out=tmp_path / "site", cache_dir=tmp_path / cache, quiet=True)
    return gather(cfg, Warnings()).jobs


def _parsed(jobs, batched: bool) -> tuple[dict[str, bytes], list]:
    files: dict[str, bytes] = {}

    def write(path, data):
        files[Path(path).as_posix()] = bytes(data)

    if batched:
        parsed = batch.parse_batch(jobs, [write] * len(jobs))
    else:
        parsed = [parse_run(j, write=write) for j in jobs]
    return files, parsed


def _cache_files(jobs) -> dict[str, bytes]:
    cache = RunCache(jobs[0].cache_dir, jobs[0].samples)
    return {j.run_file: cache.path(j.run_file).read_bytes() for j in jobs}


def _same(runs, tmp_path, monkeypatch) -> list:
    """Parse the runs one by one and in a batch; assert the same output; the batched reads made."""
    one = _jobs(runs, tmp_path, "cache-one")
    files_one, parsed_one = _parsed(one, batched=False)
    cache_one = _cache_files(one)
    reads = []
    real = columnar.read_many

    def spy(datas):
        out = real(datas)
        reads.append((len(datas), out is not None))
        return out

    monkeypatch.setattr(columnar, "read_many", spy)
    many = _jobs(runs, tmp_path, "cache-many")
    files_many, parsed_many = _parsed(many, batched=True)
    assert files_many == files_one
    assert [pickle.dumps(p.info) for p in parsed_many] == [pickle.dumps(p.info) for p in parsed_one]
    assert _cache_files(many) == cache_one  # the incremental-build cache too, byte for byte
    return reads


def test_a_batch_gives_what_runs_parsed_one_by_one_give(runs, tmp_path, monkeypatch):
    fed = []
    real = runagg.Track.feed
    monkeypatch.setattr(runagg.Track, "feed", lambda self, rows, y: (fed.append(len(y)), real(self, rows, y))[1])
    reads = _same(runs, tmp_path, monkeypatch)
    assert reads == [(5, True)]  # all five histories in one polars read
    assert max(fed) == 8 + 8 + 10  # the runs logged in the same 1,500 rows fed through one track
    torn = RunCache(tmp_path / "cache-many", 1000).load_info("d-ints")
    assert any("incomplete last line" in w for w in torn["info"].warnings)


def test_runs_written_before_the_batch_ends_give_the_same(runs, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "FLUSH_VALUES", 1)  # every run encoded and written once parsed
    monkeypatch.setattr(batch, "GROUP_BYTES", 900_000)  # two histories per polars read
    assert _same(runs, tmp_path, monkeypatch) == [(2, True)]  # a and b together; the others alone


def test_a_history_with_nan_tokens_is_read_on_its_own(runs, tmp_path, monkeypatch):
    def nan(i, row):
        if i == 700:
            row["m/3"] = float("nan")

    _run(runs, "b2-nan", 1500, 6)
    h = runs / "b2-nan" / "history.jsonl"
    h.write_bytes(h.read_bytes().replace(b'"_step":700,', b'"_step":700,"x":NaN,'))
    reads = _same(runs, tmp_path, monkeypatch)
    assert reads == [(6, False), (5, True)]  # the group failed, then the others went together


def test_a_history_holding_the_separator_key_is_not_split_wrongly(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    _run(root, "a", 1500, 1)
    _run(root, "b", 1500, 2, lambda i, row: row.__setitem__(columnar.SEP_KEY, 0) if i == 5 else None)
    _run(root, "c", 1500, 3)
    reads = _same(root, tmp_path, monkeypatch)
    assert reads and not any(ok for _n, ok in reads)


def test_read_many_equals_read_of_each():
    datas = []
    for seed, tweak in ((1, None), (2, _late_key), (3, _sparse), (4, _big_ints)):
        rng = np.random.default_rng(seed)
        rows = []
        for i in range(400):
            row = {"_step": i, "a": float(rng.standard_normal()), "b": i, "m/1": i * 0.25}
            if tweak:
                tweak(i, row)
            rows.append(orjson.dumps(row))
        datas.append(b"\n".join(rows) + b"\n")
    many = columnar.read_many(datas)
    assert many is not None and len(many) == 4
    for data, (frame, n) in zip(datas, many):
        own, own_n = columnar.read(data)
        assert n == own_n and sorted(frame) == sorted(own)
        for key, (vals, valid) in own.items():
            assert frame[key][0].tobytes() == vals.tobytes()
            assert (frame[key][1] is None) == (valid is None)
            if valid is not None:
                assert np.array_equal(frame[key][1], valid)


POOL_AFTER_POLARS = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from reportgen.site import columnar
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

columnar.IMPORT_BYTES = 0  # (these small histories are read with polars: its threads started here)
runs = Path(sys.argv[1])
first = build(BuildConfig(runs, Path(sys.argv[2]) / "first", quiet=True, cache=False))  # serial: polars read here
assert first.runs == 5 and columnar.pool_started(), "the first build did not read with polars"
second = build(BuildConfig(runs, Path(sys.argv[2]) / "second", quiet=True, cache=False, force_pool=True, workers=2))
print("built", second.runs)
"""


def test_a_build_after_polars_ran_in_the_process_does_not_fork_it(runs, tmp_path):
    """A small build (polars read in this process, its thread pool started), then a big one in the
    same process (a notebook, the Python API): the big build's forked workers waited for ever on
    polars threads they did not inherit. Now a process whose polars has started its threads builds
    on its own, and the site is the same."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", POOL_AFTER_POLARS, str(runs), str(tmp_path), str(repo)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "built 5" in proc.stdout, proc.stderr[-2000:]
    first, second = tmp_path / "first", tmp_path / "second"
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file() and p.name != ".reportgen-manifest.json")
    assert files and files == sorted(p.relative_to(second) for p in second.rglob("*")
                                     if p.is_file() and p.name != ".reportgen-manifest.json")
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_compressed_history_is_not_inflated_by_polars(tmp_path, monkeypatch):
    """Polars inflates gzip/zlib/zstd input before reading it: a history.jsonl holding compressed bytes
    (a small file that inflates to many GB) is never handed to it; the row reader reads it as lines
    (bad lines, warned), as it did."""
    import gzip

    import polars as pl

    from reportgen.site import history

    rng = np.random.default_rng(0)
    raw = b"".join(orjson.dumps({"_step": i, "loss": float(rng.standard_normal())}) + b"\n" for i in range(40000))
    packed = gzip.compress(raw)
    assert len(packed) >= columnar.MIN_BYTES
    calls = []
    real = pl.read_ndjson
    monkeypatch.setattr(pl, "read_ndjson", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert columnar.read(packed) is None and not calls
    assert columnar.read(raw) is not None and calls  # (a plain history: polars reads it)
    d = tmp_path / "run"
    d.mkdir()
    (d / "history.jsonl").write_bytes(packed + b"\n")
    calls.clear()
    cols = history.parse_history(d / "history.jsonl")
    assert not calls and cols.warnings and not cols.numeric


READS = r"""
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from reportgen.site import columnar
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

columnar.IMPORT_BYTES = 0  # (read with polars, in batches, as a big build's workers read)
runs, tmp = Path(sys.argv[1]), Path(sys.argv[2])
build(BuildConfig(runs, tmp / "warm", quiet=True, cache_dir=tmp / "warm-cache"))  # imports, templates, assets

def rchar():
    return int(next(l for l in open("/proc/self/io") if l.startswith("rchar:")).split()[1])

before = rchar()
res = build(BuildConfig(runs, tmp / "site", quiet=True, cache_dir=tmp / "cache"))
print("read", rchar() - before, len(res.reparsed))
"""


def _read_by_a_full_build(tmp_path: Path, root: Path) -> None:
    """A full build of the runs under ``root`` reads each history once (in a fresh process: bytes read,
    counted by the kernel) and its cache entries hold the fingerprints read_tail makes of the files."""
    import subprocess
    import sys

    if not Path("/proc/self/io").exists():
        pytest.skip("needs Linux /proc/self/io to count the bytes a process reads")
    size = sum(p.stat().st_size for p in root.glob("*/history.jsonl"))
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", READS, str(root), str(tmp_path), str(repo)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    read, parsed = map(int, proc.stdout.split()[1:])
    assert parsed == len(list(root.iterdir()))
    assert size <= read < 1.3 * size, (read, size)  # (before: 2x, and more)
    from reportgen.site.cache import read_tail

    for d in root.iterdir():
        entry = RunCache(tmp_path / "cache", 1000).load_info(d.name)
        assert entry["tail"] == read_tail(d / "history.jsonl", entry["end"])


def test_a_full_build_reads_each_history_once(tmp_path):
    """The incremental-build cache keeps a fingerprint of each history's parsed bytes (cache.read_tail:
    XXH3 of each MiB block); it was made by reading the history a second time after the batch had read
    it whole, so a full build read every history twice (the 'many' benchmark: 841 MB read again). It is
    made from the bytes the batch read (cache.fingerprint), and is the same bytes (the test above)."""
    root = tmp_path / "runs"
    for i in range(6):
        _run(root, f"r{i}", 12_000, i)  # ~3 MB each: read ahead, two by two (batch.GROUP_BYTES)
    _read_by_a_full_build(tmp_path, root)


def test_a_full_build_reads_each_big_history_once(tmp_path):
    """A history too big to be read ahead with others (batch.READ_AHEAD_MAX) is parsed on its own
    (history.parse_history), and its fingerprint was made by reading it again (cache.read_tail; the
    'wide' benchmark: 8 MB a run, ~0.7 ms of CPU each); it is made from the bytes the parser read."""
    root = tmp_path / "runs"
    for i in range(2):
        _run(root, f"r{i}", 20_000, i)  # ~5 MB each: beyond READ_AHEAD_MAX
    assert all(p.stat().st_size > batch.READ_AHEAD_MAX for p in root.glob("*/history.jsonl"))
    _read_by_a_full_build(tmp_path, root)
