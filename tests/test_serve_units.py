"""Pure parts of ``reportgen serve``: request paths, content types, manifests, debouncing,
and the double-buffered LiveSite driven by the real build()."""
from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from reportgen.build.config import BuildConfig
from reportgen.build.site import build
from reportgen.sdk.run import Run
from reportgen.serve.handler import byte_range, inject, live_tag
from reportgen.serve.livesite import LiveSite
from reportgen.serve.manifest import diff, scan
from reportgen.serve.paths import content_type, resolve, site_path
from reportgen.serve.server import is_loopback, url_for
from reportgen.serve.watcher import Debouncer, Watcher


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

    d = Debouncer(cb, delay=0.1, max_wait=5).start()
    try:
        t0 = time.monotonic()
        for _ in range(20):
            d.poke()
            time.sleep(0.01)
        assert done.wait(3)
        time.sleep(0.3)
        assert len(calls) == 1
        assert calls[0] - t0 >= 0.1 + 0.19  # waited for the burst to go quiet
        done.clear()
        d.poke()
        assert done.wait(3)
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


def _make_runs(root: Path, n: int = 2, rows: int = 20) -> None:
    for i in range(n):
        run = Run(id=f"r{i}", name=f"run {i}", project="p", dir=root, config={"lr": 0.1 * (i + 1)})
        for s in range(rows):
            run.log({"loss": 1.0 / (s + 1) + i})
        run.finish()


def test_livesite_swaps_only_good_builds(tmp_path):
    runs = tmp_path / "runs"
    _make_runs(runs)
    logs: list[str] = []
    site = LiveSite(tmp_path / "serve", lambda out: build(BuildConfig(runs=runs, out=out, quiet=True)),
                    boot="t", log=logs.append)
    site.initial_build()
    with site.reading() as (root, gen):
        assert gen == 0 and (root / "index.html").is_file()
    assert site.rebuild() is None  # nothing changed: no event, no generation
    assert site.generation == 0
    with site.reading() as (first, _):
        pass

    with open(runs / "r1" / "history.jsonl", "a") as fh:
        fh.write('{"_step": 20, "loss": 0.5}\n')
    ev = site.rebuild()
    assert ev is not None and ev.generation == 1 and ev.error is None
    assert any(p.startswith("data/metrics/loss") for p in ev.paths)
    with site.reading() as (root, gen):
        assert gen == 1 and root != first

    # A real failure: the runs folder disappears. The last good site stays active.
    shutil.move(runs, tmp_path / "away")
    active = site.active
    ev = site.rebuild()
    assert ev.error and "does not exist" in ev.error and site.active == active
    assert any("rebuild failed" in m for m in logs)
    state = site.wait_events(1, timeout=0)
    assert state["error"] == ev.error and state["changed"] == [] and state["generation"] == 2
    with site.reading() as (root, _):
        assert (root / "index.html").is_file()

    shutil.move(tmp_path / "away", runs)
    ev = site.rebuild()
    assert ev is not None and ev.error is None and site.error is None

    # Clients that are behind get the union of changes; a client from the future must reload.
    assert site.wait_events(0, timeout=0)["changed"]
    assert site.wait_events(99, timeout=0)["reload"] is True


def test_livesite_wait_events_wakes_on_rebuild(tmp_path):
    runs = tmp_path / "runs"
    _make_runs(runs, n=1)
    site = LiveSite(tmp_path / "serve", lambda out: build(BuildConfig(runs=runs, out=out, quiet=True)),
                    boot="t", log=lambda m: None)
    site.initial_build()
    got = {}

    def waiter():
        t0 = time.monotonic()
        got["state"] = site.wait_events(0, timeout=10)
        got["waited"] = time.monotonic() - t0

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.2)
    with open(runs / "r0" / "history.jsonl", "a") as fh:
        fh.write('{"_step": 99, "loss": 0.1, "acc": 1.0}\n')
    site.rebuild()
    th.join(10)
    assert got["state"]["generation"] == 1 and got["waited"] < 9
    assert "index.html" in got["state"]["changed"]  # a new metric changes the page structure


@pytest.mark.parametrize("header, expected", [
    (None, None), ("", None), ("bytes=0-9", (0, 9)), ("bytes=5-", (5, 99)), ("bytes=-10", (90, 99)),
    ("bytes=90-500", (90, 99)), ("bytes=100-", ()), ("bytes=9-3", ()), ("bytes=-0", ()),
    ("bytes=0-1,5-6", None), ("items=0-1", None), ("bytes=-", None),
])
def test_byte_range(header, expected):
    assert byte_range(header, 100) == expected


def _wait_for(cond, timeout=5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_watcher_follows_folders_and_their_recreation(tmp_path):
    runs, presets, other = tmp_path / "runs", tmp_path / "presets", tmp_path / "other"
    for d in (runs, presets, other):
        d.mkdir()
    pokes = []
    w = Watcher([runs, presets], lambda: pokes.append(1)).start()
    try:
        (runs / "r1").mkdir()
        (runs / "r1" / "history.jsonl").write_text("{}\n")
        assert _wait_for(lambda: pokes)
        pokes.clear()
        (presets / "p.json").write_text("{}")
        assert _wait_for(lambda: pokes)

        (other / "x.txt").write_text("no")  # a sibling folder is not watched
        (tmp_path / "stray.txt").write_text("no")  # nor the parent's other files
        time.sleep(0.3)
        pokes.clear()
        (other / "y.txt").write_text("no")
        time.sleep(0.3)
        assert pokes == []

        # reading files (as build() does) is not a change
        (runs / "r1" / "history.jsonl").read_text()
        time.sleep(0.3)
        assert pokes == []

        # the runs folder is deleted and made again: still followed
        shutil.rmtree(runs)
        assert _wait_for(lambda: pokes)
        runs.mkdir()
        time.sleep(0.3)
        pokes.clear()
        (runs / "new.txt").write_text("1")
        assert _wait_for(lambda: pokes), "a re-created folder is not watched again"
    finally:
        w.stop()


def test_readers_never_see_a_half_built_site(tmp_path):
    runs = tmp_path / "runs"
    _make_runs(runs, n=3, rows=200)
    site = LiveSite(tmp_path / "serve", lambda out: build(BuildConfig(runs=runs, out=out, quiet=True)),
                    boot="t", log=lambda m: None)
    site.initial_build()
    stop = threading.Event()
    bad: list[str] = []
    reads = [0]

    def reader():
        while not stop.is_set():
            with site.reading() as (root, _):
                pages = [root / "index.html", *sorted((root / "runs").glob("*/index.html"))]
                data = sorted((root / "data").rglob("*.js"))
                for page in pages:
                    text = page.read_text(encoding="utf-8")
                    if not text.rstrip().endswith("</html>"):
                        bad.append(f"truncated {page}")
                    # every chart a page shows has its data in the same build
                    for cid in re.findall(r'data-chart="([^"]+)"', text):
                        if not (root / "data" / "metrics" / cid).is_dir():
                            bad.append(f"{page.name}: chart {cid} without data")
                for f in data:
                    if not f.read_text(encoding="utf-8").rstrip().endswith(");"):
                        bad.append(f"truncated {f}")
            reads[0] += 1

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for k in range(6):
            with open(runs / f"r{k % 3}" / "history.jsonl", "a") as fh:
                fh.write(f'{{"_step": {1000 + k}, "loss": {k}, "extra{k}": 1}}\n')
            assert site.rebuild() is not None
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert reads[0] > 0 and not bad, bad[:5]
