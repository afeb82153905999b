"""The build on an existing Dask cluster (``--scheduler``): a real local cluster (scheduler and
worker processes), the same site byte for byte as the process-pool build, clear errors."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from scale_runs import touch_run, write_runs  # noqa: E402

from reportgen.site.builder import build  # noqa: E402
from reportgen.site.config import BuildConfig  # noqa: E402
from reportgen.site.executor import BuildError, dask_jobs  # noqa: E402
from reportgen.site.phases import Warnings, gather  # noqa: E402

distributed = pytest.importorskip("distributed")


def site_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as c:
        yield c


def test_dask_build_equals_pool_build(tmp_path, cluster):
    runs = tmp_path / "runs"
    write_runs(runs, 12, n_metrics=4, n_steps=300, projects=2)
    pool = build(BuildConfig(runs, tmp_path / "pool", quiet=True, cache_dir=tmp_path / "c1", force_pool=True,
                             workers=2))
    dask = build(BuildConfig(runs, tmp_path / "dask", quiet=True, cache_dir=tmp_path / "c2",
                             scheduler=cluster.scheduler_address))
    assert len(dask.reparsed) == 12 and pool.runs == dask.runs == 12
    a, b = site_files(tmp_path / "pool"), site_files(tmp_path / "dask")
    assert sorted(a) == sorted(b) and len(a) > 12 * 4
    assert [f for f in a if a[f] != b[f]] == []
    # incremental on Dask: one run grew; only it is parsed (from the cached end) and the sites agree
    touch_run(runs / "r00003", 5)
    pool = build(BuildConfig(runs, tmp_path / "pool", quiet=True, cache_dir=tmp_path / "c1"))
    dask = build(BuildConfig(runs, tmp_path / "dask", quiet=True, cache_dir=tmp_path / "c2",
                             scheduler=cluster.scheduler_address))
    assert dask.reparsed == ["r00003"] and dask.appended == ["r00003"]
    a, b = site_files(tmp_path / "pool"), site_files(tmp_path / "dask")
    assert sorted(a) == sorted(b) and [f for f in a if a[f] != b[f]] == []


def test_worker_that_cannot_read_a_run_fails_clearly(tmp_path, cluster):
    runs = tmp_path / "runs"
    write_runs(runs, 3, n_metrics=2, n_steps=20)
    cfg = BuildConfig(runs, tmp_path / "site", quiet=True, cache_dir=tmp_path / "c")
    g = gather(cfg, Warnings())
    shutil.rmtree(runs / "r00001")  # listed by the client, not there for the workers
    with pytest.raises(BuildError, match=r"Dask worker tcp://127\.0\.0\.1:\d+ cannot read run folder .*r00001.*"
                                         r"shared file system"):
        list(dask_jobs(g.jobs, cluster.scheduler_address))


def test_scheduler_errors_are_one_line(tmp_path, cli):
    runs = tmp_path / "runs"
    write_runs(runs, 1, n_metrics=1, n_steps=5)
    proc = cli("build", str(runs), "-o", str(tmp_path / "s"), "--scheduler", "tcp://127.0.0.1:9", check=False)
    assert proc.returncode == 1
    assert "cannot connect to a Dask scheduler" in proc.stderr and "Traceback" not in proc.stderr


def test_workers_send_files_back_or_write_them_the_same(tmp_path, cluster):
    """Workers that do not see the client's folders send the data files and cache entries back
    (direct=False); workers that do (this LocalCluster) write them: the same bytes either way."""
    from reportgen.site.shared_fs import sees_markers

    runs = tmp_path / "runs"
    write_runs(runs, 6, n_metrics=3, n_steps=200)
    data = {}
    for mode in (False, None):
        out, cache = tmp_path / f"site-{mode}", tmp_path / f"cache-{mode}"
        # downsampled (200 steps > 100 samples): each run has a data file and a smoothing file
        cfg = BuildConfig(runs, out, quiet=True, cache_dir=cache, samples=100)
        g = gather(cfg, Warnings())
        out.mkdir()
        infos = list(dask_jobs(g.jobs, cluster.scheduler_address, direct=mode))
        assert [i.info.file for i in infos] == [f"r{n:05d}" for n in range(6)]
        assert not list(out.glob(".reportgen-dask-*")) and not list(cache.glob(".reportgen-dask-*"))
        data[mode] = site_files(out)
        # cache entries saved (gather also keeps its scan record there: scan.bin)
        assert sorted(p.name for p in (cache / "runs").iterdir()) == [f"r{n:05d}.pkl" for n in range(6)]
    assert data[False] == data[None] and len(data[None]) >= 12
    # the check itself: a worker sees a marker only with the right token at the right path
    marker = tmp_path / "m"
    marker.write_text("tok")
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    try:
        assert all(client.run(sees_markers, [str(marker)], "tok").values())
        assert not any(client.run(sees_markers, [str(marker)], "other").values())
        assert not any(client.run(sees_markers, [str(tmp_path / "nope")], "tok").values())
    finally:
        client.close()


def test_marker_of_a_killed_client_is_removed_by_the_next_build(tmp_path, cluster):
    """A Dask client SIGKILLed mid-build left its marker dot-file in the site (and cache) folder,
    where every later build kept it and published it. The next build removes it."""
    import signal
    import subprocess
    import time

    runs, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    write_runs(runs, 60, n_metrics=5, n_steps=3000)
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(out),
                             "--scheduler", cluster.scheduler_address, "--quiet", "--cache-dir", str(cache)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob(".reportgen-dask-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(out.glob(".reportgen-dask-*")), "the client finished before it could be killed mid-build"
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    try:  # the killed client's tasks are released before the next build writes the same files
        while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.close()
    build(BuildConfig(runs, out, quiet=True, cache_dir=cache))
    assert not list(out.glob(".reportgen-dask-*")) and not list(cache.glob(".reportgen-dask-*"))
    fresh = tmp_path / "fresh"
    build(BuildConfig(runs, fresh, quiet=True, cache=False))
    assert site_files(out) == site_files(fresh)
