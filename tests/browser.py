"""Headless-Chromium harness for site tests (Playwright + the system Chromium).

``open_page(path)`` opens a built page from ``file://`` and records every console
error, page error and request whose URL is not ``file:``, ``data:`` or ``blob:``;
the ``site_browser`` fixture fails the test on any of them at teardown.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("REPORTGEN_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--allow-file-access-from-files",
]
ALLOWED_SCHEMES = ("file:", "data:", "blob:", "about:")


def chromium_path() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        raise RuntimeError(
            "Browser tests need Chromium at /usr/bin/chromium (Debian/Ubuntu: apt-get install -y chromium) "
            "or REPORTGEN_CHROMIUM=/path/to/chromium")
    return path


@dataclass
class PageProblems:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return ([f"console error: {m}" for m in self.console_errors]
                + [f"page error: {m}" for m in self.page_errors]
                + [f"request outside the site: {u}" for u in self.external_requests])


class SiteBrowser:
    """Opens pages and remembers what went wrong on each."""

    def __init__(self, browser, allowed_prefixes: tuple[str, ...] = ALLOWED_SCHEMES):
        self.browser = browser
        self.allowed = allowed_prefixes
        self.problems = PageProblems()
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.context.route("**/*", self._route)

    def _route(self, route, request) -> None:
        url = request.url
        if url.startswith(self.allowed):
            route.continue_()
        else:
            self.problems.external_requests.append(url)
            route.abort()

    def use_vega_charts(self) -> None:
        """Pages opened from now on draw metric charts with Vega from the start instead of the lite
        canvas renderer (assets/chart-lite.js): for tests that inspect the Vega view (RG.views)."""
        self.context.add_init_script("window.RG_CHARTS = 'vega';")

    def vega_bundle_requests(self) -> list[str]:
        """The URLs of every request for the Vega runtime (vega-bundle.js) from now on."""
        seen: list[str] = []
        self.context.on("request", lambda r: r.url.split("?", 1)[0].endswith("/vega-bundle.js") and seen.append(r.url))
        return seen

    def new_page(self):
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and self.problems.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.problems.page_errors.append(str(e)))
        return page

    def open(self, target: str | Path, wait: str = "load"):
        page = self.new_page()
        url = target if isinstance(target, str) and "://" in target else Path(target).resolve().as_uri()
        page.goto(url, wait_until=wait)
        return page

    def close(self) -> None:
        self.context.close()


def point_at_chart(page, selector: str) -> None:
    """Point at a chart as a reader would: a lite chart (assets/chart-lite.js) becomes its Vega view."""
    page.locator(selector).hover()
    page.wait_for_function("(s) => document.querySelector(s).dataset.draw === 'vega'", arg=selector)


def chart_count(page) -> int:
    return page.locator(".rg-chart").count()


_VISIBLE = "el => el.getClientRects().length > 0"


def render_all_charts(page, timeout: float = 20_000) -> int:
    """Scroll every visible chart container into view and wait until each has an svg or canvas.

    Charts hidden by the page (e.g. not yet chosen on the compare page) are not counted."""
    charts = page.locator(".rg-chart:visible")
    n = charts.count()
    for i in range(n):
        charts.nth(i).scroll_into_view_if_needed()
    page.wait_for_function(
        f"""() => Array.from(document.querySelectorAll('.rg-chart')).filter({_VISIBLE}).every(
               el => el.dataset.rendered === 'done' || el.dataset.rendered === 'error')""",
        timeout=timeout)
    return n


PANELS = ".rgp-vega, .rgp-plotly"


def render_all_panels(page, timeout: float = 20_000) -> int:
    """Scroll every logged chart panel (Vega, plotly: drawn when scrolled near) into view and wait
    until each has drawn (or failed)."""
    panels = page.locator(PANELS)
    n = panels.count()
    for i in range(n):
        panels.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("el => !!el.dataset.rendered", arg=panels.nth(i).element_handle(), timeout=timeout)
    return n


def assert_charts_rendered(page, expected: int | None = None, selector: str = ".rg-chart") -> int:
    """Assert that ``expected`` chart containers exist and each drew an svg or a non-empty canvas."""
    n = render_all_charts(page)
    if expected is not None:
        assert n == expected, f"expected {expected} charts, found {n}"
    info = page.evaluate(
        """(sel) => Array.from(document.querySelectorAll(sel)).filter(el => el.getClientRects().length > 0).map(el => {
             const c = el.querySelector('canvas'), s = el.querySelector('svg');
             let ink = false;
             if (c && c.width > 0 && c.height > 0) {
               const ctx = c.getContext('2d');
               const d = ctx.getImageData(0, 0, c.width, c.height).data;
               for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) { ink = true; break; } }
             }
             if (s && s.querySelectorAll('path,rect,line,circle').length > 0) ink = true;
             return {id: el.id, state: el.dataset.rendered, ink};
           })""", selector)
    bad = [c for c in info if c["state"] != "done" or not c["ink"]]
    assert not bad, f"charts that did not render: {bad}"
    return n
