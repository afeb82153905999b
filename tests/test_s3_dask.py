"""Issue 20's "Checked by": a runs root on a real S3-compatible server (moto on 127.0.0.1) written by
several processes at once (separate runs and the ranks of one shared run), SIGKILLed at random
moments, then built through a real Dask cluster (scheduler + worker processes); the site equals
the one built with the process pool from a local copy of the bucket. And: Dask workers read a URL
root from the URL themselves, never from the client's mirror."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto")
distributed = pytest.importorskip("distributed")

from s3server import S3Server  # noqa: E402
from test_storage_s3 import _writer  # noqa: E402

from reportgen.storage import segments as seg  # noqa: E402
from reportgen.storage.reader import iter_history  # noqa: E402
from reportgen.storage.remote import materialize, resolve_runs  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

LOCAL_POOL_BUILD = """
import sys
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.storage.remote import resolve_runs
runs = resolve_runs(sys.argv[1])  # the copy is in the segmented layout: joined as the CLI does
build(BuildConfig(runs, sys.argv[2], quiet=True, cache=False, force_pool=True, workers=2))
"""


@pytest.fixture(scope="module")
def s3_cluster():
    """The S3 server, its configuration in this process's environment (so the Dask worker processes
    started after it inherit it, as a user's workers would be configured), and a LocalCluster."""
    import fsspec.config

    server = S3Server().start()
    old = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    old_conf = fsspec.config.conf.get("s3")
    fsspec.config.conf["s3"] = dict(server.conf)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=40)
    try:
        yield server, cluster
    finally:
        cluster.close()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if old_conf is None:
            fsspec.config.conf.pop("s3", None)
        else:
            fsspec.config.conf["s3"] = old_conf
        server.stop()


def site_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "REPORTGEN_CACHE_DIR": str(tmp_path / "cache"),
            "REPORTGEN_STATS_INTERVAL": "0.2", "REPORTGEN_DISABLE_META": "1", "REPORTGEN_DISABLE_GIT": "1",
            "REPORTGEN_FLUSH_INTERVAL": "0.1"}


def _steps(path: Path) -> list[int]:
    return [r["_step"] for r in iter_history(path)]


def test_killed_writers_on_s3_built_through_dask_equal_local_copy(s3_cluster, tmp_path, monkeypatch):
    server, cluster = s3_cluster
    root = f"s3://{server.bucket()}/runs"
    env = _env(tmp_path)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    rng = random.Random()
    seed = rng.randrange(10**6)
    rng.seed(seed)
    # separate runs, killed at random moments, and one that finishes; the two ranks of a shared run:
    # rank 0 finishes, rank 1 is killed at a random moment
    procs = {f"solo{i}": _writer(root, f"solo{i}", 100000, 0.0005) for i in range(3)}
    procs["done"] = _writer(root, "done", 200, 0.002)
    procs["rank0"] = _writer(root, "dist", 400, 0.002, {"MODE": "shared", "RANK": "0"})
    procs["rank1"] = _writer(root, "dist", 100000, 0.0005, {"MODE": "shared", "RANK": "1"})
    for p in procs.values():
        assert p.stdout.readline().startswith("started")
    kills = sorted((rng.uniform(0.3, 2.5), name) for name in ("solo0", "solo1", "solo2", "rank1"))
    t0 = time.monotonic()
    for at, name in kills:
        time.sleep(max(0.0, at - (time.monotonic() - t0)))
        procs[name].send_signal(signal.SIGKILL)
    for name, p in procs.items():
        _out, err = p.communicate(timeout=120)
        if name in ("done", "rank0"):
            assert p.returncode == 0, err
        else:
            assert p.returncode == -signal.SIGKILL, (name, seed)

    # every history stream in the bucket is numbered 1..n without a gap, and joins to steps 0..k
    import fsspec

    fs = fsspec.filesystem("s3")
    fs.invalidate_cache()
    bucket_path = root[len("s3://"):]
    streams = [("solo0", "history"), ("solo1", "history"), ("solo2", "history"), ("done", "history"),
               ("dist", "writers/rank0/history"), ("dist", "writers/rank1/history")]
    for run, folder in streams:
        try:
            names = sorted(x.rsplit("/", 1)[-1] for x in fs.find(f"{bucket_path}/{run}/{folder}"))
        except FileNotFoundError:
            names = []
        assert names == [seg.segment_name(i + 1, ".jsonl") for i in range(len(names))], (run, folder, seed)
    mirror = tmp_path / "check-mirror"
    warnings: list[str] = []
    runs = materialize(root, mirror, warnings=warnings)
    assert warnings == [], (warnings, seed)
    for run in ("solo0", "solo1", "solo2", "done"):
        steps = _steps(runs / run / "history.jsonl")
        assert steps == list(range(len(steps))), (run, seed)
    assert _steps(runs / "done" / "history.jsonl") == list(range(200))
    per_writer = {}
    for w in ("rank0", "rank1"):
        per_writer[w] = steps = _steps(mirror / "streams" / "dist" / w / "history.jsonl")
        assert steps == list(range(len(steps))), (w, seed)
    assert per_writer["rank0"] == list(range(400))
    # the shared run: merged by step (rank 1 may have got further than rank 0 before its kill)
    assert _steps(runs / "dist" / "history.jsonl") == list(range(max(400, len(per_writer["rank1"]))))

    # the build through Dask, from the URL, at the command line
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", root, "-o", str(tmp_path / "site-dask"), "-q",
                           "--scheduler", cluster.scheduler_address], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    # a local copy of the bucket, built with the process pool
    copy = tmp_path / "copy"
    fs.get(bucket_path + "/", str(copy), recursive=True)
    proc = subprocess.run([sys.executable, "-c", LOCAL_POOL_BUILD, str(copy), str(tmp_path / "site-local")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    a, b = site_files(tmp_path / "site-dask"), site_files(tmp_path / "site-local")
    assert sorted(a) == sorted(b)
    assert {"runs/solo0/index.html", "runs/dist/index.html", "index.html"} <= set(a)
    assert [f for f in a if a[f] != b[f]] == [], seed


def test_dask_workers_read_the_url_not_the_clients_mirror(s3_cluster, tmp_path, monkeypatch):
    """The client's mirror loses every history file before the runs are sent to the workers: the
    workers read the history segments from the bucket, and the site equals the local copy's, also
    after an incremental rebuild."""
    import fsspec

    from reportgen.site import phases
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    server, cluster = s3_cluster
    root = f"s3://{server.bucket()}/runs"
    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)

    def log(run_id, steps, label=None, start=0, **kw):
        import reportgen

        settings = {"x_upload_interval": 0.2, "console": "off", "x_disable_stats": True, "x_segment_bytes": 2048}
        if label:
            settings["x_label"] = label
        run = reportgen.init(dir=root, id=run_id, settings=settings, config={"label": label}, **kw)
        for i in range(start, start + steps):
            run.log({"loss": 1.0 / (i + 1), f"only_{label}": i, "pad": "p" * 30})
        run.finish()

    log("u1", 60)
    log("u2", 40, "rank0")
    log("u2", 30, "rank1")
    real_run_jobs = phases.run_jobs
    removed: list[Path] = []

    def run_jobs_without_mirror_history(jobs, scheduler=None, *args, **kw):
        for job in jobs if scheduler else []:  # the client's copies of the history, joined and per writer: gone
            mirror = Path(job.run_dir).parent.parent
            for p in [Path(job.run_dir) / "history.jsonl", *(mirror / "streams" / Path(job.run_dir).name).glob(
                    "*/history.jsonl")]:
                p.unlink()
                removed.append(p)
        return real_run_jobs(jobs, scheduler, *args, **kw)

    monkeypatch.setattr(phases, "run_jobs", run_jobs_without_mirror_history)
    fs = fsspec.filesystem("s3")
    mirror = tmp_path / "client-mirror"

    def segment_gets(since: int) -> list[str]:
        return [path for method, path, _q in server.requests[since:] if method == "GET" and "/history/" in path]

    def both(tag):
        runs = materialize(root, mirror)
        mark = len(server.requests)
        dask = build(BuildConfig(runs, tmp_path / "site-dask", quiet=True,
                                 cache_dir=tmp_path / "cache-dask", scheduler=cluster.scheduler_address))
        # the workers read each history segment once (the client's mirror read it once before: it
        # needs the history's size for the build's cache; counted on the server)
        reads = segment_gets(mark)
        assert len(reads) == len(set(reads)), sorted(reads)
        read_by_workers.append(set(reads))
        fs.invalidate_cache()
        copy = tmp_path / f"copy-{tag}"
        fs.get(root[len("s3://"):] + "/", str(copy), recursive=True)
        local = build(BuildConfig(resolve_runs(copy, tmp_path / f"m-{tag}"), tmp_path / f"site-{tag}", quiet=True,
                                  cache=False))
        a, b = site_files(tmp_path / "site-dask"), site_files(tmp_path / f"site-{tag}")
        assert sorted(a) == sorted(b) and "runs/u2/index.html" in a
        assert [f for f in a if a[f] != b[f]] == []
        return dask, local

    read_by_workers: list[set[str]] = []
    dask, _ = both("first")
    assert sorted(dask.reparsed) == ["u1", "u2"] and len(removed) == 5  # u1; u2 merged + its 2 writers
    segments = {"/" + p for p in fs.find(root[len("s3://"):]) if "/history/" in p}
    assert read_by_workers[0] == segments
    assert dask.warnings == []
    # a resumed run grows by new segments: only it is parsed again, from its previous end
    log("u1", 25, start=60, resume="allow")
    removed.clear()
    dask, _ = both("second")
    # (u2 is parsed again too: the client re-joined the history files this test deleted)
    assert "u1" in dask.reparsed and "u1" in dask.appended


def test_worker_that_cannot_read_the_url_fails_clearly(s3_cluster, tmp_path, monkeypatch):
    import fsspec

    import reportgen
    from reportgen.site.config import BuildConfig
    from reportgen.site.executor import BuildError, dask_jobs
    from reportgen.site.phases import Warnings, gather

    server, cluster = s3_cluster
    root = f"s3://{server.bucket()}/runs"
    for k, v in _env(tmp_path).items():
        monkeypatch.setenv(k, v)
    run = reportgen.init(dir=root, id="lost", settings={"console": "off", "x_disable_stats": True})
    for i in range(20):
        run.log({"loss": float(i)})
    run.finish()
    runs = materialize(root, tmp_path / "mirror")
    g = gather(BuildConfig(runs, tmp_path / "site", quiet=True, cache_dir=tmp_path / "c"), Warnings())
    fs = fsspec.filesystem("s3")
    fs.invalidate_cache()
    fs.rm(f"{root[len('s3://'):]}/lost/history", recursive=True)  # gone after the client synced
    with pytest.raises(BuildError, match=r"Dask worker tcp://127\.0\.0\.1:\d+ cannot read run 'lost' from s3://"):
        list(dask_jobs(g.jobs, cluster.scheduler_address))
