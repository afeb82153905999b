"""Twenty tabs of one ``reportgen serve --watch`` in one browser all load and all follow a rebuild.

Browsers open at most six HTTP/1.1 connections per host. Live updates that hold one
connection per tab (a long-poll, an EventSource) stall the seventh tab until one of them
lets go; the short polls of live.js hold a connection for a millisecond only."""
from __future__ import annotations

import json
import time
import urllib.request

import pytest

from browser import SiteBrowser
from reportgen.sdk.run import Run
from serveproc import ServeProcess

pytestmark = pytest.mark.browser

TABS = 20
READY = "() => document.readyState === 'complete' && !!window.RGLive && (RGLive.polls || 0) >= 1"


def _generation(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__reportgen__/events?since=0", timeout=10) as r:
        return json.loads(r.read())["generation"]


def test_twenty_tabs_load_and_follow(tmp_path, _playwright_browser):
    runs = tmp_path / "runs"
    run = Run(id="r0", name="run 0", project="p", dir=runs)
    for s in range(5):
        run.log({"loss": 1.0 / (s + 1)})
    run.finish()
    with ServeProcess(str(runs), "--watch", "--port", "0") as srv:
        sb = SiteBrowser(_playwright_browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))
        held = []  # seconds each live-update request kept its connection
        sb.context.on("requestfinished", lambda r: "/__reportgen__/events" in r.url and held.append(
            (r.timing["responseEnd"] - r.timing["requestStart"]) / 1000))
        try:
            pages = [sb.new_page() for _ in range(TABS)]
            for page in pages:  # start every navigation without waiting, as when a session is restored
                page.evaluate("(url) => { location.href = url; }", srv.url)
            # The bound only keeps a broken server from hanging the test; benchmarks/bench_tabs.py times it.
            deadline = time.monotonic() + 120
            for page in pages:
                page.wait_for_function(READY, timeout=max(1.0, deadline - time.monotonic()) * 1000)
            assert all(p.evaluate("location.href") == srv.url for p in pages)

            run = Run(id="r1", name="run 1", project="p", dir=runs)  # a new run: every page must follow
            run.log({"loss": 0.5})
            run.finish()
            pages[0].wait_for_function("() => RGLive.generation >= 1", timeout=60_000)
            target = _generation(srv.port)
            for page in pages:
                page.wait_for_function("(g) => window.RGLive && RGLive.generation >= g", arg=target, timeout=60_000)
            assert all(p.locator("text=run 1").count() >= 1 for p in pages)
            # No tab holds a connection waiting for news (a long-poll held each for 20 s, which is
            # what stalled every tab after the sixth): each poll is answered as soon as it arrives.
            assert held and max(held) < 12, sorted(held)[-5:]
        finally:
            problems = sb.problems.all()
            sb.close()
        assert not problems, "browser problems:\n" + "\n".join(problems)
