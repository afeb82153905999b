"""``reportgen build RUNS -o s3://bucket/prefix`` against a real S3 server (moto's standalone
server on 127.0.0.1, started here): the bucket holds the site, rebuilds upload only what changed,
and only files reportgen uploaded are ever deleted."""
from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from scale_runs import touch_run, write_runs  # noqa: E402

from publishing import build_peak, runs_with_videos  # noqa: E402

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": endpoint, "FSSPEC_S3_ENDPOINT_URL": endpoint}
    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    client.create_bucket(Bucket="sites")
    yield env, client
    server.stop()


def _objects(client, prefix: str) -> dict[str, bytes]:
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="sites", Prefix=prefix + "/"):
        for o in page.get("Contents", []):
            out[o["Key"][len(prefix) + 1:]] = client.get_object(Bucket="sites", Key=o["Key"])["Body"].read()
    return out


def test_publish_to_s3_uploads_only_changes_and_deletes_only_its_files(tmp_path, s3, cli, monkeypatch):
    env, client = s3
    env = {**env, "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")}
    # the in-process builds below stage in the same folder (not the user's cache, which another
    # checkout publishing to s3://sites/team may have filled with files of its own)
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", env["REPORTGEN_CACHE_DIR"])
    runs = tmp_path / "runs"
    # 4 runs: removing one keeps 3, where sweeps/_all.html still exists (3 -> 2 runs changes every run
    # page's "Analyse selection" link, which incremental rebuilds now follow: incr19)
    write_runs(runs, 4, n_metrics=2, n_steps=50)
    client.put_object(Bucket="sites", Key="team/notes/mine.txt", Body=b"not reportgen's")
    proc = cli("build", str(runs), "-o", "s3://sites/team", env=env)
    assert "Published to s3://sites/team/index.html" in proc.stdout
    assert "files uploaded, 0 deleted" in proc.stderr
    # the bucket holds exactly the site a local build writes (plus the publish record and the user's file)
    cli("build", str(runs), "-o", str(tmp_path / "local"), "--cache-dir", str(tmp_path / "lc"), env=env)
    local = {p.relative_to(tmp_path / "local").as_posix(): p.read_bytes()
             for p in (tmp_path / "local").rglob("*") if p.is_file()}
    local.pop(".reportgen-manifest.json")
    remote = _objects(client, "team")
    assert remote.pop("notes/mine.txt") == b"not reportgen's"
    assert remote.pop(".reportgen-publish.json")
    assert remote.keys() == local.keys() and all(remote[k] == local[k] for k in local)
    assert "index.html" in remote and "runs/r00001/index.html" in remote
    staging = [p for p in (tmp_path / "cache" / "publish").rglob("index.html")]
    assert staging and all("team" not in str(p) for p in staging)  # staged outside the target

    # the same through the API (in this process; endpoint and keys as storage options)
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    opts = {"endpoint_url": env["AWS_ENDPOINT_URL"], "key": "testing", "secret": "testing"}

    def publish():
        return build(BuildConfig(runs, "s3://sites/team", quiet=True, storage_options=opts)).published

    # nothing changed: nothing uploaded
    pub = publish()
    assert pub.uploaded == [] and pub.deleted == [] and pub.unchanged == len(local)
    # one run grew, one was removed: its page and data are deleted, the user's file stays
    touch_run(runs / "r00000", 5)
    shutil.rmtree(runs / "r00002")
    pub = publish()
    remote = _objects(client, "team")
    assert "notes/mine.txt" in remote and not any("r00002" in k for k in remote)
    assert "runs/r00002/index.html" in pub.deleted and "notes/mine.txt" not in pub.deleted
    assert b"r00002" not in remote["index.html"]
    assert 0 < len(pub.uploaded) < len(remote) // 2  # only what changed
    assert "runs/r00001/index.html" not in pub.uploaded and "assets/charts.js" not in pub.uploaded
    assert pub.uploaded[-1].endswith(".html") and not pub.uploaded[0].endswith(".html")  # pages last


def test_publish_errors_are_one_line(tmp_path, s3, cli):
    env, _client = s3
    runs = tmp_path / "runs"
    write_runs(runs, 1, n_metrics=1, n_steps=5)
    proc = cli("build", str(runs), "-o", "s3://no-such-bucket/x", check=False,
               env={**env, "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 1 and "s3://no-such-bucket/x" in proc.stderr and "Traceback" not in proc.stderr


def test_pages_of_removed_runs_are_deleted(tmp_path):
    # a run folder removed from RUNS: its run page went on being published (local and URL builds)
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    runs = tmp_path / "runs"
    write_runs(runs, 2, n_metrics=1, n_steps=5)
    cfg = dict(quiet=True, cache_dir=tmp_path / "c")
    build(BuildConfig(runs, tmp_path / "site", **cfg))
    (tmp_path / "site/runs/r00001/notes.txt").write_text("mine")  # not the builder's: stays
    assert (tmp_path / "site/runs/r00001/index.html").is_file()
    shutil.rmtree(runs / "r00001")
    res = build(BuildConfig(runs, tmp_path / "site", **cfg))
    assert not (tmp_path / "site/runs/r00001/index.html").exists()
    assert (tmp_path / "site/runs/r00001/notes.txt").read_text() == "mine" and res.runs == 1


def test_a_sparse_media_file_is_hashed_a_piece_at_a_time(tmp_path):
    """Publishing to a URL hashes every site file to upload only what changed. A run's sparse media
    file (1.25 GiB of holes here, a few KB in a zip; the site keeps the holes) was read whole to be
    hashed: MemoryError under a 1 GiB memory limit (a 50 GB one on any machine). (Since, a file over
    64 MiB that is mostly holes is not published at all: neither hashed nor uploaded.)"""
    import subprocess

    site = tmp_path / "site"
    (site / "media").mkdir(parents=True)
    with open(site / "media" / "v.mp4", "wb") as fh:
        fh.write(b"head")
        fh.truncate(5 << 28)
    (site / "index.html").write_text("<!doctype html>")
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30));"
            "from pathlib import Path; from reportgen.site.publish_url import _local_files; left = [];"
            "print(sorted((k, v[0]) for k, v in _local_files(Path(sys.argv[1]), left).items()), left)")
    proc = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if (site / "media" / "v.mp4").stat().st_blocks * 512 > 1 << 20:
        pytest.skip("this file system does not keep holes")
    assert proc.stdout.startswith(str([("index.html", 15)]) + " ['media/v.mp4: 1,280.0 MiB, of which "), proc.stdout


def test_a_sparse_video_is_shown_as_not_published_instead_of_linked(tmp_path, s3, monkeypatch):
    """A run's 128 MiB video of holes (a few KB in a zip) was left out of the upload, but its page still
    played media/a/videos/v.mp4: a 404 on the published site. Now the build of a site going to a URL
    decides it: the item shows as not shown, with the reason, and no page or data script of the bucket
    names an object the bucket lacks. (A site built to a folder keeps such a file, sparse: local builds.)"""
    import re

    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    env, client = s3
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    runs_with_videos(runs, 128 << 20, 8192)
    if (runs / "a" / "media" / "videos" / "v.mp4").stat().st_blocks * 512 > 1 << 20:
        pytest.skip("this file system does not keep holes")
    (runs / "reports").mkdir()  # (a report's image next to it, as sparse: not linked either; and the
    # runs' videos embedded: the run page's items, so run a's is not shown there either)
    (runs / "reports" / "r.md").write_text("# R\n\n![big](big.png) ![small](small.png)\n\n{{< media key=\"v\" >}}\n")
    with open(runs / "reports" / "big.png", "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(128 << 20)
    (runs / "reports" / "small.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    opts = {"endpoint_url": env["AWS_ENDPOINT_URL"], "key": "testing", "secret": "testing"}
    res = build(BuildConfig(runs, "s3://sites/holes", quiet=True, storage_options=opts))
    remote = _objects(client, "holes")
    assert "media/a/videos/v.mp4" not in remote and "media/b/videos/v.mp4" in remote
    assert "reports/files/big.png" not in remote and "reports/files/small.png" in remote
    assert b"files/big.png" not in remote["reports/r.html"] and b"files/small.png" in remote["reports/r.html"]
    named = set()
    for key, body in remote.items():
        if key.endswith((".html", ".js")):
            named.update(re.findall(r"media/[ab]/videos/[^\"'\\ ]+", body.decode("utf-8", "replace")))
    assert named == {"media/b/videos/v.mp4"}, named  # (run b's video is linked; run a's is not)
    why = ("media/videos/v.mp4: 128.0 MiB, of which 8,192 bytes hold data (a sparse file); not published (a file "
           "over 64 MiB that is mostly holes is not uploaded with a site published to a URL)")
    assert any(w.startswith("run a: media v (step 0): ") and w.endswith(why) for w in res.warnings), res.warnings
    assert res.published.warnings == []  # (decided at build time: the upload's last guard found nothing)
    assert why.encode() in remote["runs/a/index.html"], "the page does not say why the video is not shown"
    assert b"media/b/videos/v.mp4" in remote["reports/r.html"]
    assert f"report r.md: line 5: media: v: {why} (run a)" in res.warnings, res.warnings


def test_a_sparse_video_is_not_uploaded_and_a_large_one_goes_up_a_part_at_a_time(tmp_path, s3):
    """A run's 4 GiB video that is all holes but its first bytes (free to make, a few KB in a zip; the
    site keeps it sparse) was uploaded at its full size: 4 GiB of zeros sent to the bucket. And s3fs's
    put_file read 10 parts of 50 MiB at once: publishing a 256 MiB video held all of it in memory
    (1.25 GB of memory for a 1 GiB one). Now a site file over 64 MiB that is mostly holes is not
    uploaded, with a warning naming it and the limit, and a large file goes up a part at a time, with
    its content type: the build process stays below the video's size in memory."""
    env, client = s3
    runs = tmp_path / "runs"
    dense = 256 << 20
    video = runs_with_videos(runs, 4 << 30, dense)
    if (runs / "a" / "media" / "videos" / "v.mp4").stat().st_blocks * 512 > 1 << 20:
        pytest.skip("this file system does not keep holes")
    proc, peak = build_peak(runs, "s3://sites/videos", {**env, "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")})
    assert ("media/videos/v.mp4: 4,096.0 MiB, of which 8,192 bytes hold data (a sparse file); not published (a "
            "file over 64 MiB that is mostly holes is not uploaded with a site published to a URL)") in proc.stderr, \
        proc.stderr  # (decided at build time: the page does not link it)
    keys = {o["Key"]: o["Size"] for page in client.get_paginator("list_objects_v2").paginate(
        Bucket="sites", Prefix="videos/") for o in page.get("Contents", [])}
    assert "videos/media/a/videos/v.mp4" not in keys and keys["videos/media/b/videos/v.mp4"] == dense
    assert "videos/runs/a/index.html" in keys
    record = client.get_object(Bucket="sites", Key="videos/.reportgen-publish.json")["Body"].read()
    assert b"media/a/videos/v.mp4" not in record and b"media/b/videos/v.mp4" in record
    got = client.get_object(Bucket="sites", Key="videos/media/b/videos/v.mp4")
    assert got["ContentType"] == "video/mp4" and got["Body"].read() == video
    assert peak < dense, f"the build held {peak >> 20} MiB: the video was read whole"


def _block_fs():
    """A file system whose files are written a block at a time, as gcsfs's and adlfs's are (an fsspec
    ``AbstractBufferedFile``: a part sent every ``block_size`` bytes). It keeps what it is sent: the parts
    of every upload, uploads given up; ``fail_at``: the part whose upload fails."""
    from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

    class BlockFile(AbstractBufferedFile):
        def _initiate_upload(self):
            self.fs.parts[self.path] = []

        def _upload_chunk(self, final=False):
            parts = self.fs.parts.setdefault(self.path, [])
            if len(parts) == self.fs.fail_at:
                raise ConnectionError("the upload of a part failed")
            parts.append(self.buffer.getvalue())
            if final:
                self.fs.store[self.path] = b"".join(parts)
            return True

        def discard(self):
            self.fs.discarded.append(self.path)
            if self.fs.discard_fails:  # (gcsfs against its emulator: 501, retried for 30 s, then raised)
                raise OSError("the upload session could not be deleted")

    class BlockFS(AbstractFileSystem):
        protocol = "rgblocks"

        def __init__(self):
            super().__init__(skip_instance_cache=True)
            self.store, self.parts, self.discarded, self.fail_at, self.discard_fails = {}, {}, [], None, False

        def _open(self, path, mode="rb", block_size=None, **kwargs):
            return BlockFile(self, path, mode, block_size or self.blocksize, **kwargs)

    return BlockFS()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """A site file of 70 MiB (over WHOLE_MAX), every MiB of it different."""
    path = tmp_path_factory.mktemp("big") / "v.mp4"
    block = os.urandom(1 << 20)
    with open(path, "wb") as fh:
        for i in range(70):
            fh.write(i.to_bytes(4, "big") + block[4:])
    return path


def test_a_large_file_goes_whole_and_right_to_memory_and_to_a_folder(big_file, tmp_path):
    """A file over WHOLE_MAX goes to any file system a part at a time (S3 above; GCS and Azure against
    their emulators: tests/test_publish_cloud.py), but a local folder (put_file: a copy on disk). fsspec's
    memory file system, whose files are not written a block at a time, and a folder get it whole and right."""
    import fsspec

    from reportgen.site.publish_url import WHOLE_MAX, _upload

    data = big_file.read_bytes()
    assert len(data) > WHOLE_MAX
    mem = fsspec.filesystem("memory")
    _upload(mem, big_file, "/rg-test/v.mp4", len(data))
    assert mem.cat_file("/rg-test/v.mp4") == data
    mem.rm_file("/rg-test/v.mp4")
    local = fsspec.filesystem("file")
    _upload(local, big_file, str(tmp_path / "out.mp4"), len(data))
    assert (tmp_path / "out.mp4").read_bytes() == data


def test_a_streamed_upload_that_fails_leaves_nothing(big_file):
    """A streamed upload whose third part fails is given up (the file system's discard: gcsfs deletes
    the resumable upload), and the error reaches the caller; no file is made of the first parts. (A file
    system written a block at a time stands in for GCS here, and for what no emulator does: an abort that
    fails too, a file that changes while it is sent. A real Azure upload failing part way, against
    Azurite: tests/test_publish_cloud.py.)"""
    import fsspec

    from reportgen.site.publish_url import _upload

    fs = _block_fs()
    fs.fail_at = 2
    with pytest.raises(ConnectionError):
        _upload(fs, big_file, "site/v.mp4", big_file.stat().st_size)
    assert fs.discarded == ["site/v.mp4"] and "site/v.mp4" not in fs.store
    fs.discard_fails = True  # the abort failing too: the upload's own error still reaches the caller
    with pytest.raises(ConnectionError):
        _upload(fs, big_file, "site/w.mp4", big_file.stat().st_size)
    assert fs.discarded[-1] == "site/w.mp4" and "site/w.mp4" not in fs.store
    # a file that is not the size listed (it changed since it was listed and hashed): not uploaded
    from reportgen.site.publish_url import PublishError

    fs.fail_at, fs.discard_fails = None, False
    for listed in (big_file.stat().st_size + 1, big_file.stat().st_size - 1):
        with pytest.raises(PublishError, match="bytes read where .* were listed"):
            _upload(fs, big_file, "site/x.mp4", listed)
        assert "site/x.mp4" not in fs.store and fs.discarded[-1] == "site/x.mp4"
    # a file system whose files are written as they go (fsspec's memory one): the file it made is removed.
    # (The source fails for real: /proc/self/mem opens, and its first read, at address 0, is an I/O error.)
    if not os.path.exists("/proc/self/mem"):
        return
    mem = fsspec.filesystem("memory")
    with pytest.raises(OSError):
        _upload(mem, Path("/proc/self/mem"), "/rg-test/failed.mp4", 1 << 30)
    assert not mem.exists("/rg-test/failed.mp4")


_SYNC_WITHOUT_MIME_TYPES = """
import mimetypes, sys
mimetypes.knownfiles[:] = []  # (a machine without /etc/mime.types: a slim container image, as CI's)
from pathlib import Path
from reportgen.site.publish_url import sync
sync(Path(sys.argv[1]), sys.argv[2])
"""


def test_every_file_the_site_publishes_gets_the_type_serve_gives_it_without_mime_types(tmp_path, s3):
    """The publisher took content types from Python's mimetypes, which reads the machine's
    /etc/mime.types: without it (a slim image) .ogg, .flac, .m4v, .m4a and .opus files went up with no
    type (S3's binary/octet-stream), and with it they differed from reportgen serve's (audio/x-wav, no
    type for .npy). Both take the one table now (site/content_types.py), which names every extension
    the site publishes."""
    import subprocess

    from reportgen.site.content_types import CONTENT_TYPES, content_type
    from reportgen.site.publish import INERT

    env, client = s3
    assert {f".{ext}" for ext in INERT | {"html", "js", "css", "svg"}} <= CONTENT_TYPES.keys(), \
        sorted({f".{ext}" for ext in INERT} - CONTENT_TYPES.keys())
    site = tmp_path / "site"
    names = ["index.html", "assets/app.js", "assets/site.css", "media/a/v.mov.mp4",
             *(f"media/a/f.{ext}" for ext in sorted(INERT))]
    for name in names:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(name.encode())
    proc = subprocess.run([sys.executable, "-c", _SYNC_WITHOUT_MIME_TYPES, str(site), "s3://sites/types"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = {name: client.head_object(Bucket="sites", Key=f"types/{name}")["ContentType"] for name in names}
    assert got == {name: content_type(name) for name in names}
    assert got["media/a/f.ogg"] == "audio/ogg" and got["media/a/v.mov.mp4"] == "video/mp4"
