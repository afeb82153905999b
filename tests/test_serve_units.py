"""Pure parts of ``reportgen serve``: request paths, content types, byte ranges, manifests, debouncing."""
from __future__ import annotations

import threading
import time

import pytest

from reportgen.serve.handler import byte_range, from_another_site, inject, live_tag
from reportgen.serve.manifest import diff, scan
from reportgen.serve.paths import content_type, resolve, site_path
from reportgen.serve.server import is_loopback, url_for
from reportgen.serve.watcher import Debouncer


@pytest.mark.parametrize("raw, expected", [
    ("/", ""),
    ("/index.html", "index.html"),
    ("/runs/a/index.html?x=1#top", "runs/a/index.html"),
    ("/runs//a/./index.html", "runs/a/index.html"),
    ("/data/metrics/loss%20x.js", "data/metrics/loss x.js"),
    ("/%252e%252e/etc/passwd", "%2e%2e/etc/passwd"),  # double-encoded stays literal
])
def test_site_path_allowed(raw, expected):
    assert site_path(raw) == expected


@pytest.mark.parametrize("raw", [
    "/../etc/passwd", "/%2e%2e/etc/passwd", "/%2e%2e%2fetc%2fpasswd", "/..%2f..%2fetc/passwd",
    "/..%5c..%5cetc/passwd", "/runs/%2E%2E/%2E%2E/x", "/a/../../b", "/.%2e/x", "/%00index.html",
    "/C:/Windows/win.ini", "/a\\..\\b", "etc/passwd", "http://evil/x", "/%ff%fe",
])
def test_site_path_refused(raw):
    assert site_path(raw) is None


def test_resolve_stays_inside(tmp_path):
    site = tmp_path / "site"
    (site / "runs" / "a").mkdir(parents=True)
    (site / "index.html").write_text("i")
    (site / "runs" / "a" / "index.html").write_text("a")
    (tmp_path / "secret.txt").write_text("s")
    (site / "leak").symlink_to(tmp_path / "secret.txt")
    assert resolve(site, "") == site.resolve() / "index.html"
    assert resolve(site, "runs/a") == site.resolve() / "runs" / "a" / "index.html"
    assert resolve(site, "missing.html") is None
    assert resolve(site, "leak") is None  # a symlink out of the site is not followed
    assert resolve(site, "../secret.txt") is None
    assert resolve(site, "x" * 300) is None and resolve(site, "y/" * 3000) is None  # ENAMETOOLONG: not a 500
    (site / "loop").symlink_to(site / "loop")
    assert resolve(site, "loop") is None and resolve(site, "loop/index.html") is None


@pytest.mark.parametrize("headers, refused", [
    ({}, False),  # curl, older browsers
    ({"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_SEC_FETCH_MODE": "no-cors", "HTTP_SEC_FETCH_DEST": "script"}, False),
    ({"HTTP_SEC_FETCH_SITE": "none", "HTTP_SEC_FETCH_MODE": "navigate", "HTTP_SEC_FETCH_DEST": "document"}, False),
    ({"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_SEC_FETCH_MODE": "navigate", "HTTP_SEC_FETCH_DEST": "document"}, False),
    ({"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_SEC_FETCH_MODE": "no-cors", "HTTP_SEC_FETCH_DEST": "script"}, True),
    ({"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_SEC_FETCH_MODE": "no-cors", "HTTP_SEC_FETCH_DEST": "image"}, True),
    ({"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_SEC_FETCH_MODE": "cors", "HTTP_SEC_FETCH_DEST": "empty"}, True),
    ({"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_SEC_FETCH_MODE": "navigate", "HTTP_SEC_FETCH_DEST": "object"}, True),
])
def test_requests_of_other_sites_pages(headers, refused):
    assert from_another_site(headers) is refused


@pytest.mark.parametrize("name, ctype", [
    ("a.js", "text/javascript; charset=utf-8"), ("a.css", "text/css; charset=utf-8"),
    ("a.html", "text/html; charset=utf-8"), ("a.svg", "image/svg+xml"), ("a.wav", "audio/wav"),
    ("a.mp4", "video/mp4"), ("a.webm", "video/webm"), ("a.json", "application/json"),
    ("a.glb", "model/gltf-binary"), ("A.PNG", "image/png"), ("a.gif", "image/gif"),
    ("a.ogg", "audio/ogg"), ("a.unknown", "application/octet-stream"),
])
def test_content_type(name, ctype):
    assert content_type(name) == ctype


def test_inject_before_head_end():
    tag = live_tag(3, "b<1>")
    out = inject(b"<html><head><title>x</title></HEAD><body></body></html>", tag)
    assert out.index(tag) < out.index(b"</HEAD>")
    assert b'data-generation="3"' in tag and b'data-boot="b&lt;1&gt;"' in tag
    assert inject(b"<p>no head</p>", tag).startswith(tag)


def test_loopback_and_urls():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.com")
    assert url_for("::1", 80) == "http://[::1]:80/"


def test_manifest_diff(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "a.txt").write_text("1")
    (tmp_path / "d" / "b.txt").write_text("2")
    m1 = scan(tmp_path)
    assert set(m1) == {"a.txt", "d/b.txt"}
    (tmp_path / "a.txt").write_text("1")  # rewritten, same content
    (tmp_path / "d" / "b.txt").write_text("22")
    (tmp_path / "c.txt").write_text("3")
    (tmp_path / "a2.txt").write_text("x")
    (tmp_path / "a2.txt").unlink()
    m2 = scan(tmp_path, m1)
    ch = diff(m1, m2)
    assert ch.changed == ["d/b.txt"] and ch.added == ["c.txt"] and ch.removed == []
    (tmp_path / "c.txt").unlink()
    ch = diff(m2, scan(tmp_path, m2))
    assert ch.removed == ["c.txt"] and not ch.changed and ch.all() == ["c.txt"]
    assert not diff(m1, m1)


def test_debouncer_one_call_per_burst():
    calls = []
    done = threading.Event()

    def cb():
        calls.append(time.monotonic())
        done.set()

    # the quiet delay is far above the gap between pokes, so a loaded machine (where a 10 ms
    # sleep can take 200 ms) still sees one burst
    d = Debouncer(cb, delay=1.0, max_wait=30).start()
    try:
        for _ in range(20):
            d.poke()
            last = time.monotonic()
            time.sleep(0.01)
        assert done.wait(10)
        time.sleep(0.3)
        assert len(calls) == 1
        assert calls[0] - last >= 0.9  # waited for the burst to go quiet
        done.clear()
        d.poke()
        assert done.wait(10)
        assert len(calls) == 2
    finally:
        d.stop()


def test_debouncer_max_wait_and_events_during_callback():
    calls = []
    release = threading.Event()

    def slow():
        calls.append(time.monotonic())
        if len(calls) == 1:
            release.wait(3)

    d = Debouncer(slow, delay=0.2, max_wait=0.3).start()
    try:
        t0 = time.monotonic()
        while not calls and time.monotonic() - t0 < 3:  # a stream that never goes quiet
            d.poke()
            time.sleep(0.02)
        assert calls, "max_wait did not force a call"
        for _ in range(5):  # events while the callback runs: exactly one more call afterwards
            d.poke()
        release.set()
        time.sleep(0.8)
        assert len(calls) == 2
    finally:
        d.stop()


def test_debouncer_due_in_is_pure():
    d = Debouncer(lambda: None, delay=0.25, max_wait=2.0, clock=lambda: 0.0)
    assert d.due_in(0.0) is None
    d.poke()
    assert d.due_in(0.0) == pytest.approx(0.25)
    d._last = 1.9
    assert d.due_in(1.9) == pytest.approx(0.1)  # capped by max_wait from the first event


@pytest.mark.parametrize("header, expected", [
    (None, None), ("", None), ("bytes=0-9", (0, 9)), ("bytes=5-", (5, 99)), ("bytes=-10", (90, 99)),
    ("bytes=90-500", (90, 99)), ("bytes=100-", ()), ("bytes=9-3", ()), ("bytes=-0", ()),
    ("bytes=0-1,5-6", None), ("items=0-1", None), ("bytes=-", None),
    # numbers past Python's 4,300-digit int() limit: no range (ValueError was a 500 and a traceback)
    pytest.param("bytes=0-" + "9" * 5000, None, id="end-5000-digits"),
    pytest.param("bytes=-" + "9" * 5000, None, id="suffix-5000-digits"),
    pytest.param("bytes=" + "9" * 5000 + "-", None, id="start-5000-digits"),
])
def test_byte_range(header, expected):
    assert byte_range(header, 100) == expected
