"""How pages start (issue 12 point 10, many tabs): the site's own scripts come in one file per page
part (site/bundle.py), the charts in the viewport are drawn first and those just below it once the
reader scrolls or the page has been loaded 2 s,
and ``serve`` gives each file one ETag whichever build slot serves it."""
from __future__ import annotations

import http.client
import json
import subprocess
import time

import pytest

from browser import assert_charts_rendered
from reportgen.site import bundle
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from serveproc import ServeProcess, http_get
from site_runs import rows, wavy, write_run


def _site(tmp_path, n_runs=3, metrics=("loss", "acc")):
    root = tmp_path / "runs"
    for i in range(n_runs):
        write_run(root, f"r{i}", rows(40, **{m: (wavy if k % 2 == 0 else (lambda s: s / 40)) for k, m in enumerate(metrics)}))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    return root, out


def test_bundles_are_the_assets_in_order(tmp_path):
    _, site = _site(tmp_path, n_runs=1, metrics=("loss",))
    for name, parts in bundle.BUNDLES.items():
        text = (site / "assets" / name).read_text(encoding="utf-8")
        at = [text.index(f"/* ---- {p} ---- */") for p in parts]
        assert at == sorted(at), name
        for p in parts:  # each source file, whole, as copied next to the bundle
            assert (site / "assets" / p).read_text(encoding="utf-8") in text


def test_a_module_that_throws_does_not_stop_the_next(tmp_path):
    script = bundle.join([("a.js", "(function () { throw new Error('boom'); })();"),
                          ("b.js", "(function () { globalThis.reached = true; })();")])
    (tmp_path / "b.js").write_text(script, encoding="utf-8")
    out = subprocess.run(["node", "-e", "process.on('uncaughtException', (e) => console.log('uncaught ' + e.message));"
                          f"require({json.dumps(str(tmp_path / 'b.js'))}); console.log('reached ' + globalThis.reached);"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.split("\n")[:2] == ["reached true", "uncaught boom"], out



def test_asset_urls_carry_their_contents_hash(tmp_path):
    """GitHub Pages lets browsers keep a file 10 minutes: a site published again after an upgrade ran
    the new pages against the old scripts (or the other way round). Every page names each asset
    with a short hash of what it holds, so a changed asset is a new URL; the query is ignored where
    the file is read (from disk, by serve, by any static server)."""
    import re

    import vl_convert

    _, site = _site(tmp_path)
    pages = [site / "index.html", *sorted((site / "runs").glob("*/index.html"))]
    seen = set()
    for page in pages:
        html = page.read_text()
        refs = re.findall(r'(?:src|href|data-src)="((?:\.\./)*assets/[^"]+)"', html)
        assert refs, page
        for ref in refs:
            path, _, query = ref.partition("?")
            assert query.startswith("v="), ref
            name = path.rsplit("assets/", 1)[1]
            held = vl_convert.__version__ if name == "vega-bundle.js" else (site / "assets" / name).read_bytes()
            want = bundle.version(held)[:10]  # the Vega runtime: vl-convert's version decides it
            assert query == f"v={want}", (ref, want)
            assert (page.parent / path).resolve() == (site / "assets" / name).resolve()
            seen.add(name)
    assert {"reportgen.css", "rg-head.js", "rg-page.js", "vega-bundle.js"} <= seen

@pytest.mark.browser
def test_pages_load_the_bundles_not_each_module(tmp_path, site_browser):
    _, site = _site(tmp_path)
    scripts: list[str] = []
    site_browser.context.on("request", lambda r: r.resource_type == "script" and scripts.append(r.url.split("?", 1)[0].rsplit("/", 2)[-2:]))
    for page_path in (site / "index.html", *sorted((site / "runs").glob("*/index.html"))[:1]):
        scripts.clear()
        page = site_browser.open(page_path)
        assert_charts_rendered(page)
        assets = sorted(name for folder, name in scripts if folder == "assets")
        # metric charts are drawn without the Vega runtime (assets/chart-lite.js): it is not loaded
        assert assets == ["rg-head.js", "rg-page.js"] or \
            assets == ["rg-head.js", "rg-page.js", "story.js"], (page_path, assets)
        # the page's runtime is all there: state, runs table, charts, controls
        assert page.evaluate("!!(window.RG && RG.state && RG.charts && RG.setState && window.RGLoader && RG.theme)")
    assert not site_browser.problems.all()


@pytest.mark.browser
def test_charts_in_view_first_then_those_just_below(tmp_path, site_browser):
    _, site = _site(tmp_path, metrics=("loss", "acc", "lr", "grad"))
    page = site_browser.new_page()
    page.set_viewport_size({"width": 1200, "height": 700})
    page.add_init_script("""document.addEventListener('rg:rendered', (e) => {
        (window.__drawn = window.__drawn || []).push(e.target.dataset.key); }, true);""")
    page.goto((site / "index.html").as_uri())
    page.wait_for_function("() => window.RG && RG.charts && RG.charts.all().length > 0")
    place = page.evaluate("""() => RG.charts.all().map((el) => [el.dataset.key, el.getBoundingClientRect().top])""")
    in_view = [k for k, top in place if top < 700]
    near = [k for k, top in place if 700 <= top < 1000]
    far = [k for k, top in place if top >= 1000 + 400]
    assert near, place  # the layout puts some charts just below the fold at this size
    # without scrolling: every chart within 300 px is drawn, the ones in view first; far ones are not
    page.wait_for_function("(n) => (window.__drawn || []).length >= n", arg=len(in_view) + len(near), timeout=60_000)
    drawn = page.evaluate("window.__drawn")
    assert set(drawn[:len(in_view)]) == set(in_view), (drawn, place)
    assert set(near) <= set(drawn)
    assert not set(far) & set(drawn)
    assert not site_browser.problems.all()



@pytest.mark.browser
@pytest.mark.parametrize("how", ["two seconds", "a scroll"])
def test_charts_just_below_wait_for_the_reader_or_two_seconds(tmp_path, site_browser, how):
    """Drawing ahead is work the reader may never need: twenty tabs opened at once would each spend the
    shared cores on it before the last one showed its first screen. It waits for a scroll (or a key,
    a touch) or until the page has been loaded 2 s. The page's clock is Playwright's, so that the
    test says what happens at which page time whatever the machine's speed."""
    _, site = _site(tmp_path, metrics=("loss", "acc", "lr", "grad"))
    page = site_browser.new_page()
    page.set_viewport_size({"width": 1200, "height": 900})
    page.clock.install()
    page.add_init_script("""document.addEventListener('rg:rendered', (e) => {
        (window.__drawn = window.__drawn || []).push(e.target.dataset.key); }, true);""")
    page.goto((site / "index.html").as_uri())
    page.wait_for_function("() => window.RG && RG.charts && RG.charts.all().length > 0")
    place = page.evaluate("""() => RG.charts.all().map((el) => [el.dataset.key, el.getBoundingClientRect().top])""")
    in_view = {k for k, top in place if top < 900}
    near = {k for k, top in place if 900 <= top < 1200}
    assert in_view and near, place

    def drawn() -> set:
        return set(page.evaluate("window.__drawn || []"))

    for _ in range(40):  # the charts in view are drawn within the first second of page time
        if in_view <= drawn():
            break
        page.clock.run_for(25)
        page.wait_for_timeout(25)
    assert drawn() == in_view, (drawn(), place)
    page.clock.run_for(max(0, 1800 - page.evaluate("performance.now()")))  # 1.8 s of page time in all
    for _ in range(5):  # (what the page would do in idle moments, given real time to do it)
        page.wait_for_timeout(50)
        page.clock.run_for(1)
    assert drawn() == in_view, (drawn(), place)  # charts just below: not yet
    if how == "a scroll":
        page.mouse.move(600, 350)
        page.mouse.wheel(0, 40)
    else:
        page.clock.run_for(400)  # 2.2 s of page time
    for _ in range(200):
        if near <= drawn():
            break
        page.clock.run_for(1)  # at most 0.2 s of page time: with a scroll, before the 2 s are up
        page.wait_for_timeout(25)
    assert near <= drawn(), (drawn(), place)
    assert not site_browser.problems.all()


def _get(port: int, path: str, headers: dict | None = None) -> tuple[int, str | None]:
    resp = http_get(port, path, headers)
    resp.read()
    return resp.status, resp.getheader("ETag")


def test_serve_etag_is_the_content_in_either_slot(tmp_path):
    """An unchanged file gives the same ETag after rebuilds into the other build slot (it alternated
    with the slot's mtime, so tabs downloaded unchanged data and scripts again after each rebuild)."""
    root, _ = _site(tmp_path, n_runs=2, metrics=("loss",))
    srv = ServeProcess(str(root), "--watch", "--port", "0")
    try:
        def generation() -> int:
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            conn.request("GET", "/__reportgen__/events?since=0")
            return json.loads(conn.getresponse().read())["generation"]

        paths = ("/data/runs/r1.js", "/assets/rg-page.js", "/assets/vega-bundle.js")
        tags = [[_get(srv.port, p)[1] for p in paths]]
        for k in range(2):  # two rebuilds: each build slot serves once
            g = generation()
            with open(root / "r0" / "history.jsonl", "a") as fh:
                fh.write(json.dumps({"_step": 100 + k, "loss": 0.5}) + "\n")
            deadline = time.monotonic() + 60
            while generation() == g and time.monotonic() < deadline:
                time.sleep(0.1)
            assert generation() > g
            tags.append([_get(srv.port, p)[1] for p in paths])
        assert tags[0] == tags[1] == tags[2], tags
        assert _get(srv.port, paths[0], {"If-None-Match": tags[0][0]})[0] == 304
        assert _get(srv.port, "/data/runs/r0.js")[1] != tags[0][0]  # changed content, another tag
    finally:
        srv.stop()
