"""``reportgen serve`` against hostile or careless clients: foreign Host names (DNS rebinding),
floods of idle sockets, clients trickling headers, and signals inherited as ignored."""
from __future__ import annotations

import select
import signal
import socket
import time
from pathlib import Path

import pytest

from reportgen.sdk.run import Run
from reportgen.serve.hosts import HostCheck, split_host
from panels_fixtures import video_head
from serveproc import ServeProcess


def _make_runs(root: Path) -> Path:
    run = Run(id="r0", name="run 0", project="p", dir=root)
    for s in range(10):
        run.log({"loss": 1.0 / (s + 1)})
    run.finish()
    return root


def _request(port: int, target: str = "/", host: str | None = "127.0.0.1", version: str = "1.1") -> tuple[int, bytes]:
    head = f"GET {target} HTTP/{version}\r\n" + (f"Host: {host}\r\n" if host is not None else "")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall((head + "Connection: close\r\n\r\n").encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no Threads line")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    runs = _make_runs(tmp_path_factory.mktemp("serve-limits") / "runs")
    srv = ServeProcess(str(runs), "--watch", "--port", "0", "--idle-timeout", "2", "--max-connections", "100")
    yield srv
    assert srv.stop() in (0, 130), srv.stderr()
    assert "Traceback" not in srv.stderr()


# -- Host check -----------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["/", "/index.html", "/__reportgen__/events?since=0", "/__reportgen__/live.js"])
def test_foreign_host_is_refused(served, target):
    status, body = _request(served.port, target, host="evil.example.com")
    assert status == 421
    assert b"<html" not in body.lower() and b"boot" not in body and len(body) < 300
    status, _ = _request(served.port, target, host=f"evil.example.com:{served.port}")
    assert status == 421


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:{port}", "localhost", "LocalHost:{port}", "[::1]:{port}",
                                  "[::1]"])
def test_own_names_are_served(served, host):
    status, body = _request(served.port, "/", host=host.format(port=served.port))
    assert status == 200 and b"<html" in body.lower()


@pytest.mark.parametrize("host", ["127.0.0.1:1", "localhost.evil.example.com", "127.0.0.1.nip.io", "10.0.0.1",
                                  "localhost:{port}@evil.example.com", "", None])
def test_other_names_are_refused(served, host):
    status, body = _request(served.port, "/", host=None if host is None else host.format(port=served.port),
                            version="1.0" if host is None else "1.1")
    assert status in (400, 421), host
    assert b"<html" not in body.lower()


def test_host_check_units():
    local = HostCheck("127.0.0.1", 8000)
    assert local.allows("127.0.0.1:8000") and local.allows("localhost") and local.allows("[::1]:8000")
    assert not local.allows("127.0.0.1:8001") and not local.allows("192.168.1.5:8000") and not local.allows(None)
    named = HostCheck("myhost.lan", 80)
    assert named.allows("MYHOST.lan:80") and not named.allows("other.lan")
    anywhere = HostCheck("0.0.0.0", 8000)  # every interface: IP literals (not rebindable) and our own names
    assert anywhere.allows("192.168.1.5:8000") and anywhere.allows(f"{socket.gethostname()}:8000")
    assert not anywhere.allows("evil.example.com:8000")
    assert split_host("[::1]:80") == ("::1", 80) and split_host("a:b:c") is None


# -- idle and slow clients ------------------------------------------------------------------------
def test_idle_flood_does_not_lock_out_a_browser(served):
    before = _threads(served.proc.pid)
    idle = [socket.create_connection(("127.0.0.1", served.port), timeout=20) for _ in range(300)]
    partial = []
    for _ in range(50):  # request line and part of the headers, never finished
        s = socket.create_connection(("127.0.0.1", served.port), timeout=20)
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        partial.append(s)
    try:
        status, body = _request(served.port, "/")  # a real client is still answered
        assert status == 200 and b"<html" in body.lower()
        assert _threads(served.proc.pid) <= before + 2  # no thread per connection
        # every one of them is closed by the server: evicted for newer ones, or after the idle timeout
        deadline = time.monotonic() + 60
        open_ = idle + partial
        while open_ and time.monotonic() < deadline:
            ready, _, _ = select.select(open_, [], [], 1.0)
            for s in ready:
                try:
                    gone = s.recv(1) == b""
                except OSError:
                    gone = True
                if gone:
                    open_.remove(s)
        assert not open_, f"{len(open_)} idle sockets still open"
        assert _request(served.port, "/")[0] == 200  # and it goes on serving
    finally:
        for s in idle + partial:
            s.close()


def test_trickling_headers_are_cut_off(served):
    """A client sending one header byte at a time keeps its socket busy, not for ever (header timeout 2 s)."""
    s = socket.create_connection(("127.0.0.1", served.port), timeout=20)
    s.setblocking(False)
    try:
        s.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        deadline = time.monotonic() + 30
        closed = False
        while not closed and time.monotonic() < deadline:
            try:
                s.send(b"X")
            except OSError:
                closed = True
                break
            ready, _, _ = select.select([s], [], [], 0.5)
            if ready:
                try:
                    closed = s.recv(1) == b""
                except OSError:
                    closed = True
        assert closed, "a client trickling its headers kept its connection"
    finally:
        s.close()


def test_request_bodies_are_refused_before_they_are_read(served):
    """Only GET and HEAD are answered, yet a POST of 300 MB (any web page can send one to
    127.0.0.1 cross-origin) was read to the end into a temporary file before the answer."""
    for head in (b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 300000000\r\n\r\n",
                 b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n\r\n10000000\r\n"):
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as s:
            s.sendall(head % served.port)  # and no body: the answer must not wait for it
            assert s.recv(200).startswith(b"HTTP/1.1 413 ")
    assert _request(served.port)[0] == 200


# -- large media files ----------------------------------------------------------------------------
def _disk_used(folder: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


def test_a_sparse_4_gib_video_costs_no_disk_memory_or_time(tmp_path):
    """A run's 4 GiB video made of holes (a few KB in a zip; the build keeps the holes) was copied dense
    into the second build slot (4 GiB of disk), hashed twice by the manifest scan before the server
    answered, and read whole into memory, to hash it and to answer, for each Range request a video
    element makes (8 threads at once: 32 GiB). Now the slot keeps the holes, large files are tagged by
    size and mtime, and only the range asked for is read, 1 MiB at a time."""
    runs = tmp_path / "runs"
    d = runs / "a"
    (d / "media/videos").mkdir(parents=True)
    (d / "run.json").write_text('{"id": "a", "name": "a"}')
    (d / "history.jsonl").write_text('{"_step": 0, "loss": 1.0, "v": {"_type": "video", '
                                     '"path": "media/videos/v.mp4", "format": "mp4"}}\n')
    head = video_head() + bytes(range(256)) * 16
    with open(d / "media/videos/v.mp4", "wb") as fh:
        fh.write(head)
        fh.truncate(4 << 30)
    if (d / "media/videos/v.mp4").stat().st_blocks * 512 > 1 << 20:
        pytest.skip("this file system does not keep holes")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    srv = ServeProcess(str(runs), "--watch", "--port", "0", "--max-connections", "20", env={"TMPDIR": str(tmp)})
    try:  # (it started after 60 s and more: 8 GiB read to hash, 4 GiB written; timings are not asserted)
        assert _disk_used(tmp) < 64 << 20
        (video,) = (tmp.glob("*/a/media/**/*.mp4"))
        target = "/" + video.relative_to(next(tmp.iterdir()) / "a").as_posix()
        with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as s:
            s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-4095\r\n"
                      "Connection: close\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        status, _, rest = data.partition(b"\r\n")
        assert status.startswith(b"HTTP/1.1 206 ") and b"Content-Range: bytes 0-4095/4294967296" in rest
        assert rest.partition(b"\r\n\r\n")[2] == head[:4096]
        peak = next(int(line.split()[1]) for line in Path(f"/proc/{srv.proc.pid}/status").read_text().splitlines()
                    if line.startswith("VmHWM:"))
        assert peak < 1 << 20, f"{peak} kB"  # (the whole file was read: 4 GiB)
    finally:
        srv.stop()
    assert "Traceback" not in srv.stderr()


# -- signals ------------------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_on_signal_even_when_inherited_ignored(tmp_path, sig):
    """Started in the background (`cmd &` in a script), a process inherits SIGINT as ignored."""
    runs = _make_runs(tmp_path / "runs")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    srv = ServeProcess(str(runs), "--watch", "--port", "0", env={"TMPDIR": str(tmp)},
                       ignore_signals=(signal.SIGINT, signal.SIGTERM))
    assert _request(srv.port, "/")[0] == 200
    keep = socket.create_connection(("127.0.0.1", srv.port), timeout=20)  # an idle browser connection
    try:
        rc = srv.stop(sig, timeout=20)  # generous: the point is that it stops at all
    finally:
        keep.close()
    err = srv.stderr()
    assert rc == 0 and "Stopped." in err and "Traceback" not in err, err
    assert list(tmp.iterdir()) == []  # the temporary build folders are gone
