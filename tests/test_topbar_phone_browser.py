"""The top bar keeps one line on a phone (390 px): brand, breadcrumbs, links and buttons.

Long breadcrumbs (a project and a long run name) scroll sideways inside the bar instead of
wrapping it onto a second line, and the page never gets wider than the screen. Failed before the
fix (the bar wrapped: ``.rg-top { flex-wrap: wrap }``)."""
from __future__ import annotations

import pytest

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from site_runs import rows, wavy, write_run

BAR = """() => {
  const top = document.querySelector('.rg-top');
  const kids = Array.from(top.children).filter(e => e.getClientRects().length);
  const mids = kids.map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });
  return {spread: Math.max(...mids) - Math.min(...mids), height: top.getBoundingClientRect().height,
          right: Math.max(...kids.map(e => e.getBoundingClientRect().right)),
          scroll: document.documentElement.scrollWidth, width: window.innerWidth};
}"""


def open_at(site_browser, path, width, height=844):
    page = site_browser.new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(path.resolve().as_uri())
    return page


@pytest.fixture
def long_crumbs_site(tmp_path):
    runs = tmp_path / "runs"
    name = "resnet50-imagenet-lr3e-4-warmup-cosine-seed17"
    write_run(runs, "a", rows(5, loss=wavy), meta={"project": "vision-baselines", "name": name})
    write_run(runs, "b", rows(5, loss=wavy), meta={"project": "nlp"})
    out = tmp_path / "site"
    build(BuildConfig(runs=runs, out=out, quiet=True))
    return out


@pytest.mark.parametrize("width", [390, 1280])
def test_top_bar_is_one_line(long_crumbs_site, site_browser, width):
    for rel in ("runs/a/index.html", "index.html", "compare.html"):
        page = open_at(site_browser, long_crumbs_site / rel, width, 844 if width < 600 else 800)
        bar = page.evaluate(BAR)
        assert bar["spread"] < 8, f"{rel} at {width}px: the top bar wrapped: {bar}"
        assert bar["height"] < 56, f"{rel} at {width}px: {bar}"
        assert bar["right"] <= bar["width"] and bar["scroll"] <= bar["width"], f"{rel} at {width}px: {bar}"
        page.screenshot(path=str(long_crumbs_site.parent / f"top-{width}-{rel.replace('/', '-')}.png"))


@pytest.mark.parametrize("width", [390, 1280])
def test_long_unbroken_names_wrap_inside_the_page(tmp_path, site_browser, width):
    """A project and a run named with 256 letters and no space (names are cut at 256): the projects
    list spilled over its neighbour column and the page became 2,442 px wide at 1280; the run's
    heading pushed its state badge off the screen. Names wrap; badges keep their shape."""
    runs = tmp_path / "runs"
    write_run(runs, "a", rows(5, loss=wavy), meta={"project": "p" * 256, "name": "n" * 256})
    write_run(runs, "b", rows(5, loss=wavy), meta={"project": "short"})
    out = tmp_path / "site"
    build(BuildConfig(runs=runs, out=out, quiet=True))
    project = next(p for p in (out / "projects").iterdir() if p.name.startswith("ppp"))
    for path in (out / "index.html", out / "runs/a/index.html", project / "index.html"):
        page = open_at(site_browser, path, width, 844 if width < 600 else 800)
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{path.relative_to(out)} at {width}px is {scroll}px wide"
        # a project's entry stays in one column of the list (it ran on into the next, over its bullet)
        assert page.evaluate("Array.from(document.querySelectorAll('.rg-project-list li'))"
                             ".every(li => li.getClientRects().length === 1)"), path.relative_to(out)
        if path.parent.name == "a":
            badge = page.locator("h1 .rg-state").bounding_box()
            assert badge["width"] < 120 and badge["height"] < 30 and badge["x"] + badge["width"] <= width
