"""Twenty tabs of one ``reportgen serve --watch`` in one browser all load and all follow a rebuild.

Browsers open at most six HTTP/1.1 connections per host. Live updates that hold one
connection per tab (a long-poll, an EventSource) stall the seventh tab until one of them
lets go; the short polls of live.js hold a connection for a millisecond only."""
from __future__ import annotations

import json
import time
import urllib.request
from contextlib import contextmanager

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


@contextmanager
def _served(tmp_path, browser, steps: int = 1):
    """A ``serve --watch`` of one run logged ``steps`` times and a browser context allowed only its
    origin; yields (runs folder, server, SiteBrowser). The caller closes the SiteBrowser."""
    runs = tmp_path / "runs"
    run = Run(id="r0", name="run 0", project="p", dir=runs)
    for s in range(steps):
        run.log({"loss": 1.0 / (s + 1)})
    run.finish()
    with ServeProcess(str(runs), "--watch", "--port", "0") as srv:
        yield runs, srv, SiteBrowser(browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))


def test_twenty_tabs_load_and_follow(tmp_path, _playwright_browser):
    with _served(tmp_path, _playwright_browser, steps=5) as (runs, srv, sb):
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

            # One tab polls for all (a Web Locks leader); the others poll only to catch up, so twenty
            # idle tabs do not wake each other ~130 times a second (issue 12 point 10).
            leaders = [p for p in pages if p.evaluate("RGLive.leader === true")]
            assert len(leaders) == 1, [p.evaluate("[RGLive.leader, RGLive.following]") for p in pages]
            before = [p.evaluate("RGLive.polls") for p in pages]
            pages[0].wait_for_timeout(1500)
            after = [p.evaluate("RGLive.polls") for p in pages]
            grew = [b - a for a, b, p in zip(before, after, pages) if p is not leaders[0]]
            assert max(grew) == 0, grew
            assert after[pages.index(leaders[0])] - before[pages.index(leaders[0])] >= 3  # it keeps polling

            # The leader's tab closes: another one takes the lead, and every tab still follows.
            rest = [p for p in pages if p is not leaders[0]]
            leaders[0].close()
            run = Run(id="r2", name="run 2", project="p", dir=runs)
            run.log({"loss": 0.25})
            run.finish()
            rest[0].wait_for_function("(g) => RGLive.generation > g", arg=target, timeout=60_000)
            target = _generation(srv.port)
            for page in rest:
                page.wait_for_function("(g) => window.RGLive && RGLive.generation >= g", arg=target, timeout=60_000)
            assert all(p.locator("text=run 2").count() >= 1 for p in rest)
            assert sum(p.evaluate("RGLive.leader === true") for p in rest) == 1
        finally:
            problems = sb.problems.all()
            sb.close()
        assert not problems, "browser problems:\n" + "\n".join(problems)


SHOW = """(hidden) => {  // what the browser does when the reader switches tabs (headless pages are all visible)
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => hidden ? 'hidden' : 'visible' });
  document.dispatchEvent(new Event('visibilitychange')); }"""


@contextmanager
def _tabs(tmp_path, browser, n: int, lead_each: bool = False):
    """``n`` tabs of a ``serve --watch`` of one run, opened one after another, each following the
    live updates (``lead_each``: and each the leader before the next opens, so that the others
    queue for the lock in the order they opened); yields (runs folder, pages)."""
    with _served(tmp_path, browser) as (runs, srv, sb):
        try:
            pages = [sb.new_page() for _ in range(n)]
            for page in pages:
                page.goto(srv.url)
                page.wait_for_function("() => window.RGLive && RGLive.following === true", timeout=30_000)
                if lead_each:  # a visible tab steals the lock on start
                    page.wait_for_function("() => RGLive.leader === true", timeout=10_000)
            yield runs, pages
        finally:
            problems = sb.problems.all()
            sb.close()
        assert not problems, "browser problems:\n" + "\n".join(problems)


def _new_run(runs, i: int) -> None:
    run = Run(id=f"r{i}", name=f"run {i}", project="p", dir=runs)
    run.log({"loss": 1.0 / (i + 1)})
    run.finish()


def test_the_tab_in_front_takes_the_lead_and_the_others_follow(tmp_path, _playwright_browser):
    """The leader polls for every tab; a tab brought to the front takes the lead (a hidden leader's
    polls are slowed down by the browser), and news still reaches the tab sent to the back."""
    with _tabs(tmp_path, _playwright_browser, 2) as (runs, (first, second)):
        # the newest visible tab leads (it took the lock from the first)
        second.wait_for_function("() => RGLive.leader === true", timeout=10_000)
        assert first.evaluate("RGLive.leader") is False
        second.evaluate(SHOW, True)  # the reader switches back to the first tab
        first.evaluate(SHOW, False)
        first.wait_for_function("() => RGLive.leader === true", timeout=10_000)
        second.wait_for_function("() => RGLive.leader === false", timeout=10_000)
        polls = second.evaluate("RGLive.polls")
        _new_run(runs, 1)
        for page in (first, second):
            page.wait_for_function("() => RGLive.generation >= 1", timeout=60_000)
            page.wait_for_function("() => document.body.textContent.includes('run 1')", timeout=30_000)
        assert second.evaluate("RGLive.polls") - polls <= 1  # it heard the news from the leader


def test_a_visible_tab_takes_the_lead_from_a_hidden_one(tmp_path, _playwright_browser):
    """When the leader's tab closes, the lock goes to the next tab in its queue, which may be hidden
    (polling every 2 s): a visible follower (a second window) takes the lead from it."""
    with _tabs(tmp_path, _playwright_browser, 3, lead_each=True) as (runs, (first, second, third)):
        first.evaluate(SHOW, True)  # the first tab is in the back of a window; the second stays in view
        third.close()  # the leader goes: the lock passes to the first tab in the queue, hidden
        second.wait_for_function("() => RGLive.leader === true", timeout=10_000)
        first.wait_for_function("() => RGLive.leader === false", timeout=10_000)
        _new_run(runs, 1)
        for page in (first, second):
            page.wait_for_function("() => document.body.textContent.includes('run 1')", timeout=30_000)


def test_a_tab_asked_twice_at_once_to_lead_leads(tmp_path, _playwright_browser):
    """A tab brought to the front that also hears that the leader is hidden asks for the lock
    twice; its second request steals the lock from its first, which must not make it follow and
    queue behind itself (nobody would then lead)."""
    with _tabs(tmp_path, _playwright_browser, 2) as (runs, (first, second)):
        second.wait_for_function("() => RGLive.leader === true", timeout=10_000)
        first.evaluate(SHOW, True)  # both tabs go to the back (the leader says it is hidden)
        second.evaluate(SHOW, True)
        first.wait_for_timeout(300)
        first.evaluate("""() => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
            document.dispatchEvent(new Event('visibilitychange'));  // in front: a first request...
            new BroadcastChannel('reportgen-live').postMessage({ hiddenLeader: true }); }""")  # ...and a second
        first.wait_for_function("() => RGLive.leader === true", timeout=10_000)
        first.wait_for_timeout(1000)
        assert first.evaluate("RGLive.leader") is True and second.evaluate("RGLive.leader") is False
        _new_run(runs, 1)
        for page in (first, second):
            page.wait_for_function("() => document.body.textContent.includes('run 1')", timeout=30_000)


# when the runs table got its rows, and when the page was first painted (ms since navigation start)
_TABLE_AT = """new MutationObserver((_, obs) => {
  if (document.querySelector('#rg-runs tbody tr')) { window.__rgTableAt = performance.now(); obs.disconnect(); }
}).observe(document, {childList: true, subtree: true});"""
_PAINTS = """() => Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]))"""


def test_a_served_page_is_first_painted_once_its_scripts_built_it(tmp_path, _playwright_browser):
    """Twenty tabs opened at once share two cores: each first paint of the page's bare skeleton
    (header, empty table), later rebuilt by its scripts, was a style, layout, paint and raster pass
    spent for nothing. Under serve --watch the first paint comes after the page is parsed and its
    scripts ran, even when the page script arrives late (delayed here by 600 ms)."""
    import time as _time

    with _served(tmp_path, _playwright_browser, steps=5) as (_runs, srv, sb):
        try:
            sb.context.add_init_script(_TABLE_AT)

            def late(route, request):
                _time.sleep(0.6)
                route.continue_()

            sb.context.route("**/assets/rg-page.js?*", late)
            page = sb.open(srv.url)
            page.wait_for_function(READY, timeout=60_000)
            page.wait_for_function("() => performance.getEntriesByType('paint').length > 0", timeout=10_000)
            paints, table_at = page.evaluate(_PAINTS), page.evaluate("window.__rgTableAt")
            assert table_at is not None and table_at > 500, table_at  # the page script came late
            assert paints["first-paint"] >= table_at, (paints, table_at)
            assert not sb.problems.all(), sb.problems.all()
        finally:
            sb.close()
