"""The first screen of charts, as the site benchmarks time it: the page opened at its chart area
(the runs table is above it), done when every chart in the viewport has rendered."""
from __future__ import annotations

IN_VIEW_JS = """[...document.querySelectorAll('.rg-chart:not([hidden])')].filter(el => {
    const r = el.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; })"""


def open_first_screen(page, url: str, timeout_ms: int) -> None:
    """Go to ``url``, scroll to the first chart section and wait for the charts in view."""
    page.goto(url)
    page.evaluate("() => document.querySelector('.rg-section').scrollIntoView()")
    page.wait_for_function(f"""() => {{ const vis = {IN_VIEW_JS};
        return vis.length > 0 && vis.every(el => el.dataset.rendered === 'done'); }}""",
                           timeout=timeout_ms, polling=20)


def charts_in_view(page) -> int:
    return page.evaluate(f"() => {IN_VIEW_JS}.length")
