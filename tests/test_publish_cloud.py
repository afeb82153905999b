"""``reportgen build RUNS -o gs://bucket/prefix`` and ``-o az://container/prefix`` against real
emulators started here on 127.0.0.1 (tests/cloudservers.py: gcp-storage-emulator for GCS, Azurite for
Azure Blob): the target holds the staged site with each file's content type, a rebuild writes only what
changed and deletes only what reportgen wrote, and a file over WHOLE_MAX goes up in parts, intact, with
the build's memory bounded. (S3, against moto's server: tests/test_publish_url.py.)"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from scale_runs import touch_run, write_runs  # noqa: E402

from cloudservers import Azurite, GcsServer, azurite_bin  # noqa: E402
from panels_fixtures import video_head  # noqa: E402
from publishing import build_peak, runs_with_videos  # noqa: E402

BIG = 90 << 20  # a dense video over WHOLE_MAX (64 MiB), not a whole number of parts


@pytest.fixture(scope="module", params=["gs", "az"])
def target(request):
    if request.param == "gs":
        pytest.importorskip("gcsfs")
        pytest.importorskip("gcp_storage_emulator", reason="the GCS emulator (pip install gcp-storage-emulator)")
        server = GcsServer("sites")
    else:
        pytest.importorskip("adlfs")
        if azurite_bin() is None:
            pytest.skip("Azurite, the Azure Storage emulator, is not installed (npm install -g azurite: .ci/run)")
        server = Azurite("sites")
    server.scheme = request.param
    yield server
    server.stop()


def _staged(cache: Path, url: str, monkeypatch) -> dict[str, bytes]:
    from reportgen.site.manifest import MANIFEST
    from reportgen.site.publish_url import staging_dir

    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(cache))
    site = staging_dir(url)
    return {rel: p.read_bytes() for p in site.rglob("*")
            if p.is_file() and (rel := p.relative_to(site).as_posix()) != MANIFEST
            and not rel.startswith(".reportgen-cache/")}


def test_publish_holds_the_site_typed_and_rebuilds_write_only_changes(tmp_path, target, monkeypatch):
    """Publishing to GCS or Azure was tested only against a hand-written stand-in file system; against the
    emulators, every object Azure got was application/octet-stream (adlfs sets no content type unless
    told: a browser downloads such a page instead of showing it). Now each object has its name's type."""
    from reportgen.site.content_types import content_type
    from reportgen.site.publish_url import PART, RECORD

    url = f"{target.scheme}://sites/team"
    env = {**target.env, "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}
    runs = tmp_path / "runs"
    # 4 runs: removing one keeps 3, where sweeps/_all.html still exists (see test_publish_url)
    write_runs(runs, 4, n_metrics=2, n_steps=50)
    runs_with_videos(runs, 8192, 8192)  # (runs a and b: a small video each)
    target.put("team/notes/mine.txt", b"not reportgen's")
    proc, peak_small = build_peak(runs, url, env)
    assert f"Published to {url}/index.html" in proc.stdout
    remote = target.objects("team")
    assert remote.pop("notes/mine.txt")[0] == b"not reportgen's"
    assert remote.pop(RECORD)[0]
    staged = _staged(tmp_path / "cache", url, monkeypatch)
    assert {k: v[0] for k, v in remote.items()} == staged  # what was built, all of it, nothing else
    types = {k: v[1] for k, v in remote.items()}
    # the table reportgen serve uses (the GCS emulator keeps a multipart upload's type without its
    # parameters: "; charset=utf-8" is dropped there, not by reportgen)
    bare = (lambda t: t.split(";")[0]) if target.scheme == "gs" else (lambda t: t)
    assert types == {k: bare(content_type(k)) for k in remote}
    assert types["index.html"] == bare("text/html; charset=utf-8") and types["assets/rg-page.js"] == \
        bare("text/javascript; charset=utf-8")

    # one run grew, one was removed: only what changed is written, only what reportgen wrote is deleted
    before = target.versions("team")
    touch_run(runs / "r00000", 5)
    shutil.rmtree(runs / "r00002")
    proc, peak_small = build_peak(runs, url, env)
    after = target.versions("team")
    written = {k for k in after if before.get(k) != after[k]} - {RECORD}
    gone = sorted(before.keys() - after.keys())
    assert f"{len(written)} files uploaded, {len(gone)} deleted" in proc.stderr, proc.stderr
    assert gone and all("r00002" in k for k in gone) and "runs/r00002/index.html" in gone
    assert after["notes/mine.txt"] == before["notes/mine.txt"]  # (not reportgen's: untouched)
    assert "data/runs/r00000.js" in written and "index.html" in written
    assert "runs/r00001/index.html" not in written and "assets/rg-page.js" not in written
    assert len(written) < len(after) // 2

    # a run's video is now over WHOLE_MAX: it goes up in parts, intact, typed; the build holds a few parts
    head = video_head()  # (a real mp4: the build opens every video before publishing it)
    video = head + os.urandom(BIG - len(head))  # (random: no smaller in a zip than a real video)
    (runs / "b" / "media" / "videos" / "v.mp4").write_bytes(video)
    mark = len(getattr(target, "requests", ()))
    proc, peak_big = build_peak(runs, url, env)
    print(f"{target.scheme}: peak {peak_small >> 20} MiB, then {peak_big >> 20} MiB with a {BIG >> 20} MiB video")
    assert target.versions("team")["media/b/videos/v.mp4"] != after["media/b/videos/v.mp4"]
    got, ctype = target.objects("team/media/b/videos")["v.mp4"]
    assert got == video and ctype == "video/mp4"
    key, parts = "team/media/b/videos/v.mp4", -(-BIG // PART)
    if target.scheme == "az":  # the blob is made of the blocks committed: one per part
        assert target.blocks(key) == [PART] * (parts - 1) + [BIG - PART * (parts - 1)]
    else:  # a request of the resumable upload per part (small files go up in one request each)
        chunks = [r for r in target.requests[mark:] if "upload_id=" in r and "videos/v.mp4" in r]
        assert len(chunks) == parts, chunks
    # (the builds before: the same work, a run's small video instead)
    assert peak_big - peak_small < BIG // 2, f"{(peak_big - peak_small) >> 20} MiB more with the video"


def test_publish_errors_are_one_line(tmp_path, target, cli):
    runs = tmp_path / "runs"
    write_runs(runs, 1, n_metrics=1, n_steps=5)
    url = f"{target.scheme}://no-such-bucket/x"
    proc = cli("build", str(runs), "-o", url, check=False,
               env={**target.env, "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 1 and url in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_gcs_server_without_googles_storage_control_api(tmp_path, cli):
    """gcsfs 2026 asks Google's Storage Control gRPC API what kind of bucket it works in before each open,
    listing and delete (``gcsfs/extended_gcsfs.py``: ``_get_bucket_type``); a GCS-compatible server
    without it (this emulator, fake-gcs-server over http, an in-house one) fails the call, which gcsfs
    retries for 60 s and does not remember: publishing a site took hours unless the user found
    ``GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false``. With gcsfs's default left on, runs are read from the
    bucket and their site is published there, and published again (its record read back), asking no
    such thing."""
    pytest.importorskip("gcsfs")
    pytest.importorskip("gcp_storage_emulator", reason="the GCS emulator (pip install gcp-storage-emulator)")
    server = GcsServer("plain")
    try:
        runs = tmp_path / "runs"
        write_runs(runs, 2, n_metrics=1, n_steps=5)
        for p in runs.rglob("*"):
            if p.is_file():
                server.put(f"runs/{p.relative_to(runs).as_posix()}", p.read_bytes())
        env = {**server.env, "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "true",  # (gcsfs's default)
               "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}
        for _ in range(2):  # (the first build uploads the site, the second reads its record and lists it)
            proc = cli("build", "gs://plain/runs", "-o", "gs://plain/site", env=env)
            assert "Published to gs://plain/site/index.html" in proc.stdout
            assert "bucket type" not in proc.stderr, proc.stderr  # (gcsfs's warning when its probe failed)
        assert "runs/r00001/index.html" in server.versions("site")
    finally:
        server.stop()


def test_azure_upload_that_fails_part_way_leaves_what_was_there(tmp_path, cli):
    """A real upload failing part way: Azurite refuses a block once its in-memory store is full (409
    MemoryExtentStoreAtSizeLimit), a part of a 90 MiB video here. The blocks sent are never committed:
    the video published before stays whole, no blob is made of the new one's first parts, nothing is
    deleted, and the one-line error says what the server said (adlfs turns every 409 into a bare
    ``FileExistsError: <path>``, which named no cause)."""
    pytest.importorskip("adlfs")
    if azurite_bin() is None:
        pytest.skip("Azurite, the Azure Storage emulator, is not installed (npm install -g azurite: .ci/run)")
    server = Azurite("sites", memory_mb=48)
    try:
        runs = tmp_path / "runs"
        write_runs(runs, 1, n_metrics=1, n_steps=5)
        runs_with_videos(runs, 8192, 8192)
        env = {**server.env, "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}
        server.put("team/notes/mine.txt", b"not reportgen's")
        cli("build", str(runs), "-o", "az://sites/team", env=env)
        before, old = server.versions("team"), server.objects("team")
        head = video_head()
        (runs / "b" / "media" / "videos" / "v.mp4").write_bytes(head + os.urandom(BIG - len(head)))
        proc = cli("build", str(runs), "-o", "az://sites/team", env=env, check=False)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
        error = [line for line in proc.stderr.splitlines() if "error" in line]
        assert len(error) == 1 and "az://sites/team" in error[0] and "Size limit of" in error[0], proc.stderr
        after = server.versions("team")
        assert before.keys() <= after.keys()  # nothing deleted
        assert after["media/b/videos/v.mp4"] == before["media/b/videos/v.mp4"]
        assert server.objects("team/media/b/videos")["v.mp4"] == old["media/b/videos/v.mp4"]
        assert after["notes/mine.txt"] == before["notes/mine.txt"]
        blob = server.client.get_blob_client("team/media/b/videos/v.mp4")
        assert blob.get_block_list("uncommitted")[1]  # (the parts were sent: the upload failed part way)
    finally:
        server.stop()
