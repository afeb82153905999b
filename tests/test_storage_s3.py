"""Runs on object storage: SDK writers (several processes, ranks, kills, an outage) against a real
S3-compatible server on 127.0.0.1 (moto), readers joining segments, builds from the s3:// root."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto")

from s3server import S3Server  # noqa: E402

from reportgen.storage import segments as seg  # noqa: E402
from reportgen.storage.reader import read_run  # noqa: E402
from reportgen.storage.remote import materialize  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def s3():
    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def root(s3, monkeypatch, tmp_path):
    s3.apply_env(monkeypatch)
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("REPORTGEN_STATS_INTERVAL", "0.2")
    monkeypatch.setenv("REPORTGEN_DISABLE_META", "1")
    monkeypatch.setenv("REPORTGEN_DISABLE_GIT", "1")
    monkeypatch.setenv("REPORTGEN_FLUSH_INTERVAL", "0.1")
    return f"s3://{s3.bucket()}/runs"


WRITER = textwrap.dedent("""
    import os, sys, time
    import reportgen
    root, run_id, steps, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    settings = {"x_upload_interval": 0.2, "x_segment_bytes": 4096}
    run = reportgen.init(dir=root, id=run_id if run_id != "-" else None, mode=os.environ.get("MODE"),
                         settings=settings, config={"rank": os.environ.get("RANK")})
    print("started", run.id, flush=True)
    for i in range(steps):
        run.log({"loss": 1.0 / (i + 1), "rank_" + str(os.environ.get("RANK", "x")): i, "text": "x" * 50})
        if pause:
            time.sleep(pause)
        if i % 50 == 0:
            print("step", i, flush=True)
    run.finish()
    print("done", flush=True)
""")


def _writer(root: str, run_id: str, steps: int, pause: float = 0.0, env: dict | None = None) -> subprocess.Popen:
    e = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.Popen([sys.executable, "-c", WRITER, root, run_id, str(steps), str(pause)], env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _steps(rec) -> list[int]:
    return [r["_step"] for r in rec.history]


def test_segment_names_order_and_gaps():
    assert seg.segment_name(12, ".jsonl") == "000012.jsonl"
    assert seg.parse_seq("000012.jsonl", ".jsonl") == 12
    assert seg.parse_seq("12.jsonl", ".jsonl") is None and seg.parse_seq("000000.jsonl", ".jsonl") is None
    parts, gap = seg.ordered({1: "a", 2: "b", 4: "d", 5: "e"})
    assert parts == [(1, "a"), (2, "b")] and "000003 is missing" in gap and "2 later" in gap
    assert list(seg.split_lines(b"a\nbb\nccc\n", 5)) == [b"a\nbb\n", b"ccc\n"]
    assert list(seg.split_lines(b"aaaaaaa\nb\n", 3)) == [b"aaaaaaa\n", b"b\n"]
    with pytest.raises(ValueError, match="x_label"):
        seg.validate_label("../x")


def test_several_processes_ranks_and_runs(root, tmp_path):
    """Two ranks of one shared run and a third run, written at the same time by three processes."""
    procs = [_writer(root, "shared", 120, 0.002, {"MODE": "shared", "RANK": "0"}),
             _writer(root, "shared", 100, 0.002, {"MODE": "shared", "RANK": "1"}),
             _writer(root, "solo", 150, 0.002)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "cannot upload" not in err
    warnings: list[str] = []
    local = materialize(root, tmp_path / "mirror", warnings=warnings)
    assert warnings == []
    solo = read_run(local / "solo")
    assert _steps(solo) == list(range(150)) and solo.meta["state"] == "finished" and not solo.warnings
    shared = read_run(local / "shared")
    assert _steps(shared) == list(range(120))  # merged by step: one row per step
    row = shared.history[10]
    assert row["loss"] == row["loss@rank1"] == 1 / 11  # both ranks logged loss: the second keeps its label
    assert row["rank_0"] == 10 and row["rank_1"] == 10  # keys only one writer logs keep their name
    assert "loss@rank1" not in shared.history[110] and shared.history[110]["rank_0"] == 110
    assert shared.meta["state"] == "finished" and set(shared.meta["writers"]) == {"rank0", "rank1"}
    assert shared.summary["loss"] == 1 / 120 and shared.summary["loss@rank1"] == 1 / 100
    system = [json.loads(line) for line in (local / "shared" / "system.jsonl").read_text().splitlines()]
    assert any("system/cpu" in r for r in system) and any("system/cpu@rank1" in r for r in system)


def test_sigkill_leaves_gap_free_prefix(root, tmp_path):
    """A writer SIGKILLed at random moments: what the root holds is always steps 0..k, whole rows."""
    rng = random.Random(int(time.time()))
    import fsspec

    fs = fsspec.filesystem("s3")
    for attempt in range(3):
        run_id = f"killed{attempt}"
        p = _writer(root, run_id, 100000, 0.0005)
        assert p.stdout.readline().startswith("started")
        time.sleep(rng.uniform(0.5, 2.0))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        rec = read_run(materialize(root, tmp_path / "mirror") / run_id)
        steps = _steps(rec)
        assert steps == list(range(len(steps))), f"attempt {attempt}: not a prefix"
        assert not [w for w in rec.warnings if "skipped" in w]
        fs.invalidate_cache()
        names = sorted(x.rsplit("/", 1)[-1] for x in fs.find(f"{root[5:]}/{run_id}/history"))
        assert names == [seg.segment_name(i + 1, ".jsonl") for i in range(len(names))]
        if attempt == 0:  # resuming the killed run continues after its last uploaded step and segment
            p = subprocess.run([sys.executable, "-c", WRITER.replace("settings=settings", "settings=settings, "
                                "resume='allow'"), root, run_id, "5", "0"], env={**os.environ, "PYTHONPATH": str(REPO)},
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0, p.stderr
            mirror_history = tmp_path / "mirror" / "runs" / run_id / "history.jsonl"
            inode = mirror_history.stat().st_ino
            again = read_run(materialize(root, tmp_path / "mirror") / run_id)
            assert _steps(again) == list(range(len(steps) + 5))
            assert mirror_history.stat().st_ino == inode  # new segments were appended, not rewritten


def test_s3_outage_warns_once_and_training_goes_on(s3, root, tmp_path):
    p = _writer(root, "outage", 2000, 0.002)
    assert p.stdout.readline().startswith("started")
    time.sleep(1.0)
    s3.stop()
    time.sleep(3.0)
    s3.start()
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "done" in out and "step 1950" in out  # the training loop ran to its end
    assert err.count("cannot upload to") == 1, err
    assert err.count("work again") == 1
    rec = read_run(materialize(root, tmp_path / "mirror") / "outage")
    assert _steps(rec) == list(range(2000)) and rec.meta["state"] == "finished"


def _log_run(root, run_id, steps, label=None, **kw):
    import reportgen

    settings = {"x_upload_interval": 0.2, "console": "off", "x_disable_stats": True}
    if label:
        settings["x_label"] = label
    run = reportgen.init(dir=root, id=run_id, settings=settings, config={"label": label}, **kw)
    for i in range(steps):
        run.log({"loss": 1.0 / (i + 1), f"only_{label}": i})
    run.finish()


def test_build_from_s3_equals_build_from_local_copy(root, tmp_path, monkeypatch):
    import fsspec

    monkeypatch.setenv("REPORTGEN_DIR", root)  # the environment's root is a URL too
    _log_run(None, "b1", 40, "rank0")
    _log_run(None, "b1", 30, "rank1")
    _log_run(None, "b2", 50)
    copy = tmp_path / "copy"
    fsspec.filesystem("s3").get(root[5:] + "/", str(copy), recursive=True)
    from click.testing import CliRunner

    from reportgen.cli import cli

    for src, out in ((root, "site-s3"), (str(copy), "site-local")):  # the CLI, in this process
        res = CliRunner().invoke(cli, ["build", src, "-o", str(tmp_path / out), "-q", "--no-cache"])
        assert res.exit_code == 0, res.output
    a, b = tmp_path / "site-s3", tmp_path / "site-local"
    files_a = sorted(x.relative_to(a).as_posix() for x in a.rglob("*") if x.is_file())
    files_b = sorted(x.relative_to(b).as_posix() for x in b.rglob("*") if x.is_file())
    assert files_a == files_b and any("b1" in f for f in files_a)
    differ = [f for f in files_a if (a / f).read_bytes() != (b / f).read_bytes()]
    assert differ == []
    import reportgen

    runs = {r.id: r for r in reportgen.Api().runs()}  # Api() reads $REPORTGEN_DIR = s3://...
    assert set(runs) == {"b1", "b2"}
    assert len(list(runs["b1"].scan_history())) == 40


def test_reader_stops_at_a_gap_and_warns(root, tmp_path):
    import fsspec

    import reportgen

    run = reportgen.init(dir=root, id="gappy", settings={"x_segment_bytes": 1024, "console": "off",
                                                         "x_disable_stats": True})
    for i in range(200):
        run.log({"loss": float(i), "pad": "y" * 40})
    run.finish()
    fs = fsspec.filesystem("s3")
    fs.invalidate_cache()
    names = sorted(fs.find(f"{root[5:]}/gappy/history"))
    assert len(names) >= 4
    local = read_run(materialize(root, tmp_path / "m1") / "gappy")
    assert _steps(local) == list(range(200))
    fs.rm(names[2])  # segment 3 lost: the reader keeps 1-2 and says why
    warnings: list[str] = []
    rec = read_run(materialize(root, tmp_path / "m2", warnings=warnings) / "gappy")
    steps = _steps(rec)
    assert steps == list(range(len(steps))) and 0 < len(steps) < 200
    assert any("000003 is missing" in w for w in warnings), warnings


def test_missing_driver_names_the_extra(tmp_path):
    """A URL root whose file system package is not installed names the extra to install. (gcsfs is in
    the test extra: a subprocess where importing it fails stands for a machine without it.)"""
    code = """if True:
        import sys
        sys.modules["gcsfs"] = None  # import gcsfs: ImportError, as on a machine without it
        from reportgen.storage.remote import open_root
        try:
            open_root("gs://bucket/runs")
        except ImportError as exc:
            print("open_root:", exc)
        try:
            open_root("nope://bucket/runs")
        except ValueError as exc:
            print("nope:", exc)
        from reportgen.cli import main
        main(["build", "gs://bucket/runs", "-o", sys.argv[1]])
    """
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "site")], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert "open_root: " in proc.stdout and "reportgen[gcs]" in proc.stdout.split("open_root: ", 1)[1], proc.stdout
    assert "nope: " in proc.stdout and "nope://" in proc.stdout, proc.stdout
    assert proc.returncode != 0 and "pip install 'reportgen[gcs]'" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr


def test_shared_run_on_local_disk(tmp_path, monkeypatch):
    """Labelled writers on a local root write segments there; build/Api read the merged run."""
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    _log_run(runs, "dist", 20, "rank0")
    _log_run(runs, "dist", 25, "rank1")
    assert (runs / "dist" / "writers" / "rank1" / "history" / "000001.jsonl").exists()
    import reportgen

    run = reportgen.Api(str(runs)).run("dist")
    rows = list(run.scan_history())
    assert [r["_step"] for r in rows] == list(range(25))
    assert rows[5]["loss"] == rows[5]["loss@rank1"] and rows[5]["only_rank0"] == 5 and rows[22]["only_rank1"] == 22
    assert "loss@rank1" in rows[22] and "loss" not in rows[22]


def test_cli_build_joins_a_local_segmented_root_found_by_its_scan(tmp_path, monkeypatch):
    """``reportgen build`` no longer checks a local root for segmented runs before the build (20,000
    stat calls at 10,000 runs): the build's scan finds them, and the site is built from their joined
    copy, as from a root checked first -- fresh, incrementally after another writer's rows, and when
    the segments appear in a root built before without any."""
    from reportgen.cli import main
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig
    from reportgen.storage.remote import resolve_runs

    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))
    runs, site, ref = tmp_path / "runs", tmp_path / "site", tmp_path / "ref"
    _log_run(runs, "plain", 5)
    main(["build", str(runs), "-o", str(site), "-q"])
    assert (site / "runs" / "plain" / "index.html").is_file()
    for rank, steps in (("rank0", 20), ("rank1", 25)):
        _log_run(runs, "dist", steps, rank)
        main(["build", str(runs), "-o", str(site), "-q"])
        build(BuildConfig(resolve_runs(runs), ref, quiet=True, cache=False))
        # the joined run, as a build from the checked root shows it
        assert _site_files(site) == _site_files(ref)
        assert b"only_rank1" in (site / "runs" / "dist" / "index.html").read_bytes() or rank == "rank0"


def _site_files(site) -> dict:
    from reportgen.site.manifest import MANIFEST

    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


def test_id_clash_on_a_url_root_names_the_url(root):
    """The error named the local staging folder (~/.cache/...), which the user never gave."""
    import reportgen

    run = reportgen.init(dir=root, id="taken", settings={"x_upload_interval": 0.2})
    run.log({"a": 1})
    run.finish()
    with pytest.raises(ValueError, match=rf"already exists in {root}; "):
        reportgen.init(dir=root, id="taken")
    with pytest.raises(ValueError, match=rf"no run with id='nope' in {root}$"):
        reportgen.init(dir=root, id="nope", resume="must")


def _put_runs(base: str, runs: dict[str, int]) -> dict[str, bytes]:
    """Runs in the segmented layout as a writer leaves them (``{run: segments}``); {key: bytes}."""
    import fsspec

    objects = {}
    for run, n in runs.items():
        for k in range(1, n + 1):
            rows = [json.dumps({"_step": s, "loss": s / 7}) for s in range((k - 1) * 5, k * 5)]
            objects[f"{base}/{run}/history/{seg.segment_name(k, '.jsonl')}"] = ("\n".join(rows) + "\n").encode()
        objects[f"{base}/{run}/config.json"] = b'{"lr": 0.1}'
        objects[f"{base}/{run}/run.json"] = json.dumps({"format": 1, "id": run, "state": "finished"}).encode()
    fsspec.filesystem("s3").pipe(objects)
    return objects


def _calls(s3) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"list": [], "get": [], "head": [], "other": []}
    for method, path, query in s3.requests:
        kind = "list" if method == "GET" and "list-type" in query else method.lower()
        out[kind if kind in out else "other"].append(path.lstrip("/"))
    return out


def test_sync_reads_each_object_once_and_unchanged_ones_never(s3, root, tmp_path):
    base = root[5:]
    objects = _put_runs(base, {"s1": 2, "s2": 3, "s3": 1})
    s3.requests.clear()
    local = materialize(root, tmp_path / "m")
    calls = _calls(s3)  # one listing, then one GET per object: no HEAD (the listing gave the sizes)
    assert len(calls["list"]) == 1 and calls["head"] == [] and calls["other"] == []
    assert sorted(calls["get"]) == sorted(objects)
    joined = b"".join(v for k, v in sorted(objects.items()) if k.startswith(f"{base}/s2/history/"))
    assert (local / "s2" / "history.jsonl").read_bytes() == joined

    s3.requests.clear()  # nothing changed: the listing alone
    materialize(root, tmp_path / "m")
    assert _calls(s3) == {"list": [s3.requests[0][1].lstrip("/")], "get": [], "head": [], "other": []}

    new = _put_runs(base, {"s2": 4})  # a 4th segment for s2 (and its run.json/config.json again)
    key = f"{base}/s2/history/000004.jsonl"
    s3.requests.clear()
    materialize(root, tmp_path / "m")
    calls = _calls(s3)  # same bytes re-put keep their ETag: only the new segment is read
    assert len(calls["list"]) == 1 and calls["head"] == [] and calls["get"] == [key]
    assert (local / "s2" / "history.jsonl").read_bytes() == joined + new[key]


def test_dask_worker_fetch_reads_the_segments_with_one_get_each(s3, root, tmp_path):
    from reportgen.storage.runsource import fetch, mirror_state, source_of

    base = root[5:]
    objects = _put_runs(base, {"w1": 3})
    local = materialize(root, tmp_path / "m")
    src = source_of(mirror_state(local), local / "w1")
    import fsspec

    fsspec.filesystem("s3").invalidate_cache()  # a worker process has no listing cached
    s3.requests.clear()
    out = fetch(src, tmp_path / "worker")
    calls = _calls(s3)  # what the worker's run source names is read, nothing listed, no HEAD
    history = sorted(k for k in objects if "/history/" in k)
    assert sorted(calls["get"]) == history and calls["list"] == calls["head"] == calls["other"] == []
    assert (out / "history.jsonl").read_bytes() == b"".join(objects[k] for k in history)
    s3.requests.clear()  # fetched again with nothing new: no request
    fetch(src, tmp_path / "worker")
    assert s3.requests == []


def test_listing_equals_find_across_pages_without_filling_the_dircache(s3, root):
    """The mirror's listing (storage.listing) reads ListObjectsV2 pages itself: the same objects,
    sizes and ETags as s3fs's find, over several pages, and without s3fs's directory cache (whose
    filling is quadratic in the runs under the root)."""
    import fsspec

    from reportgen.storage.listing import list_objects

    base = root[5:] + "/listing"
    fs = fsspec.filesystem("s3")
    fs.pipe({f"{base}/r{i:04d}/{name}": f"{i}{name}".encode() for i in range(600)
             for name in ("run.json", "history/000000.jsonl")})
    fs.pipe({f"{base}/top.txt": b"x", f"{base}/placeholder/": b""})  # a folder placeholder object
    fs.invalidate_cache()
    s3.requests.clear()
    got = list_objects(fs, base)
    lists = _calls(s3)["list"]
    assert len(lists) == 2 and s3.requests and all(r[0] == "GET" for r in s3.requests)  # 1,202 keys: 2 pages
    assert fs.dircache == {}
    fs.invalidate_cache()
    # find reports the placeholder "placeholder/" as a file (the mirror then warned that its name is
    # not a safe path); the listing leaves folder placeholders out: they hold nothing to read
    want = {k: v for k, v in fs.find(base, detail=True).items() if v["type"] != "directory" and k[-1] != "/"}
    assert set(got) == set(want) and len(got) == 1201
    assert all(got[k]["size"] == want[k]["size"] and got[k]["ETag"] == want[k]["ETag"] for k in want)
    assert list_objects(fs, root[5:] + "/nothing-here") == {}
    with pytest.raises(FileNotFoundError):  # as find raises it (the mirror then starts empty)
        list_objects(fs, "no-such-bucket-rg/runs")


_MEASURE = """
import json, sys
from reportgen.storage.remote import materialize

def hwm():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM")) * 1024

import s3fs  # (the driver's imports, counted in the baseline)
before = hwm()
warnings = []
local = materialize(sys.argv[1], sys.argv[2], warnings=warnings)
print(json.dumps({"grew": hwm() - before, "warnings": warnings, "local": str(local)}))
"""


def test_large_objects_are_copied_in_pieces(s3, root, tmp_path):
    """The mirror read each object of a URL root whole into memory (one cat_file): a 160 MB saved file
    cost 160 MB, and a 48 MB history segment 48 MB more. Objects over mirror.WHOLE_BYTES are copied
    a piece at a time (one GET each, no HEAD), and the objects read whole are held a group at a time."""
    import boto3

    base = root[5:]
    bucket, prefix = base.split("/", 1)
    _put_runs(base, {"big": 1})
    client = boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1")
    blob = tmp_path / "blob.bin"
    with open(blob, "wb") as fh:  # not a sparse file: data all through
        for i in range(160):
            fh.write(bytes([i]) * (1 << 20))
    client.upload_file(str(blob), bucket, f"{prefix}/big/files/blob.bin")
    line = json.dumps({"_step": 0, "loss": 0.5, "text": "y" * 1000}) + "\n"
    rows = "".join(line.replace('"_step": 0', f'"_step": {i + 10}') for i in range(48_000)).encode()
    client.put_object(Bucket=bucket, Key=f"{prefix}/big/history/000002.jsonl", Body=rows)
    s3.requests.clear()
    proc = subprocess.run([sys.executable, "-c", _MEASURE, root, str(tmp_path / "m")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    local = Path(out["local"]) / "big"
    assert (local / "files" / "blob.bin").stat().st_size == 160 << 20
    with open(local / "files" / "blob.bin", "rb") as fh:
        fh.seek(100 << 20)
        assert fh.read(4) == bytes([100]) * 4
    history = (local / "history.jsonl").read_bytes()
    assert history.endswith(rows) and history.count(b"\n") == 5 + 48_000
    assert out["grew"] < 40 << 20, out  # 160 MB and more before
    gets = [path for method, path, query in s3.requests if method == "GET" and "list-type" not in query]
    assert gets.count(f"/{bucket}/{prefix}/big/files/blob.bin") == 1
    assert not [r for r in s3.requests if r[0] == "HEAD"], s3.requests
