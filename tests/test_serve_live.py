"""``reportgen serve --watch`` end to end: a real server process, real run folders written by the
SDK, and a headless Chromium page that must follow them without reloading."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from browser import SiteBrowser, assert_charts_rendered
from reportgen.sdk.run import Run
from serveproc import ServeProcess

pytestmark = pytest.mark.browser

WORKER = Path(__file__).with_name("sweep_worker.py")
ROWS_JS = "(id) => RG.views[id] ? RG.views[id].data('rows').length : -1"


@pytest.fixture(scope="module")
def live_env(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve-live")
    runs = base / "runs"
    for i in range(2):
        run = Run(id=f"done{i}", name=f"done {i}", project="p", dir=runs, config={"lr": 0.01 * (i + 1)})
        for s in range(40):
            run.log({"loss": 2.0 / (s + 1) + i, "acc": s / 40})
        run.finish()
    live = Run(id="live", name="live <run>", project="p", dir=runs, flush_interval=0.05)
    for s in range(10):
        live.log({"loss": 3.0 / (s + 1), "acc": s / 20})
    live._writer.history.flush()
    srv = ServeProcess(str(runs), "--watch", "--port", "0")
    yield srv, base, live
    live.finish()
    rc = srv.stop()
    err = srv.stderr()
    assert rc in (0, 130) and "Traceback" not in err, err


@pytest.fixture
def browser_page(_playwright_browser, live_env, request):
    srv = live_env[0]
    sb = SiteBrowser(_playwright_browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))
    if request.node.get_closest_marker("vega_charts"):
        sb.use_vega_charts()
    yield sb
    problems = sb.problems.all()
    sb.close()
    assert not problems, "browser problems:\n" + "\n".join(problems)


def _text(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.read().decode()
    except urllib.error.HTTPError:  # not built yet
        return ""


def _chart_id(page, key: str) -> str:
    return page.locator(f'.rg-chart[data-key="{key}"]').first.get_attribute("id")


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_chart_advances_without_reload(live_env, browser_page):
    srv, _, live = live_env
    page = browser_page.open(srv.url + "#smooth=0.6")
    assert_charts_rendered(page, 2)
    loss = _chart_id(page, "loss")
    page.evaluate("(id) => { window.__marker = 'still here'; window.__view = RG.views[id]; }", loss)
    slider = page.locator("#rg-smooth").input_value()
    assert slider != "0"
    before = page.evaluate(ROWS_JS, loss)
    assert before > 0

    for s in range(10, 25):
        live.log({"loss": 3.0 / (s + 1), "acc": s / 20})
    page.wait_for_function(f"() => ({ROWS_JS})('{loss}') >= {before + 15}", timeout=15_000)

    assert page.evaluate("window.__marker") == "still here"  # no reload happened
    assert page.evaluate("(id) => RG.views[id] === window.__view", loss)  # same view: zoom kept
    assert page.evaluate("window.RGLive.reloads") == 0 and page.evaluate("window.RGLive.updates") >= 1
    assert page.locator("#rg-smooth").input_value() == slider and "smooth=0.6" in page.url
    assert any(p.startswith("data/runs/") for p in page.evaluate("window.RGLive.lastChanged"))
    assert page.locator("#rg-live-banner").count() == 0
    acc = _chart_id(page, "acc")
    page.wait_for_function(f"() => ({ROWS_JS})('{acc}') >= 25", timeout=10_000)
    assert_charts_rendered(page, 2)


def test_page_follows_a_run_that_finishes(live_env, browser_page):
    srv, _, live = live_env
    page = browser_page.open(srv.url + "runs/live/#log=1")
    page.set_viewport_size({"width": 900, "height": 300})
    assert_charts_rendered(page, 2)
    page.evaluate("window.scrollTo(0, 200)")
    y = page.evaluate("window.scrollY")
    state = page.locator("h1 .rg-state")
    assert state.inner_text() == "running"
    assert "live <run>" in page.locator("h1").inner_text()  # escaped, shown as text

    live.log({"loss": 0.01, "acc": 0.99})
    live.finish()
    page.wait_for_function("""() => document.readyState === 'complete' &&
        document.querySelector('h1 .rg-state').textContent === 'finished' &&
        !document.body.textContent.includes('No summary.')""", timeout=15_000)
    time.sleep(1.0)  # the SDK's last writes may cause one more rebuild: let it settle
    page.wait_for_load_state("load")
    assert "rg-state-finished" in state.get_attribute("class")
    assert "No summary." not in page.locator("main").inner_text()
    # whether patched in place or reloaded, the view state and the scroll position are kept
    assert page.url.endswith("#log=1") and page.locator("#rg-log").is_checked()
    assert abs(page.evaluate("window.scrollY") - y) <= 2
    assert_charts_rendered(page, 2)


def test_three_way_patch_keeps_what_scripts_changed(live_env, browser_page):
    srv = live_env[0]
    page = browser_page.open(srv.url + "compare.html")
    result = page.evaluate("""() => {
      const P = (h) => new DOMParser().parseFromString('<body>' + h + '</body>', 'text/html').body;
      const old = P('<p class="a">one</p><table><tbody><tr data-run="x"><td>1</td></tr>' +
                    '<tr data-run="y"><td>2</td></tr></tbody></table><dl><dt>k</dt></dl>');
      const fresh = P('<p class="b">two</p><table><tbody><tr data-run="x"><td>1</td></tr>' +
                      '<tr data-run="y"><td>3</td></tr></tbody></table><dl><dt>k</dt><dd>v</dd></dl>');
      const live = document.createElement('div');
      live.appendChild(old.cloneNode(true));
      const body = live.firstChild;
      body.querySelector('p').setAttribute('data-js', '1');           // added by a script
      const tb = body.querySelector('tbody');                           // rows sorted by a script
      tb.insertBefore(tb.children[1], tb.children[0]);
      const dry = RGLive.morph(old, fresh, body, false) && body.querySelector('p').textContent === 'one';
      const ok = RGLive.morph(old, fresh, body, true);
      const rows = Array.from(body.querySelectorAll('tr')).map(r => r.dataset.run + r.textContent);
      const bad = RGLive.morph(old, P('<div></div>'), body, false);
      // a section gone and one new (a transient project list, a new chart section): patched, not reloaded
      const o2 = P('<section class="a"><ul><li>p</li></ul></section><section class="b">t</section>');
      const f2 = P('<section class="b">t2</section><section class="c">new</section>');
      const l2 = o2.cloneNode(true);
      const moved = RGLive.morph(o2, f2, l2, true) && l2.innerHTML;
      return {ok, dry, rows, p: body.querySelector('p').outerHTML, dl: body.querySelector('dl').innerHTML, bad, moved};
    }""")
    assert result["moved"] == '<section class="b">t2</section><section class="c">new</section>'
    assert result["ok"] is True and result["dry"] is True and result["bad"] is False
    assert result["rows"] == ["y3", "x1"]  # values updated, the script's order kept
    assert result["p"] == '<p class="b" data-js="1">two</p>'
    assert result["dl"] == "<dt>k</dt><dd>v</dd>"


def test_failed_rebuild_shows_banner_then_recovers(live_env, browser_page):
    srv, base, _ = live_env
    runs = base / "runs"
    page = browser_page.open(srv.url)
    assert_charts_rendered(page, 2)
    page.evaluate("window.__marker = 'kept'")

    shutil.move(runs, base / "runs-away")  # the runs folder vanishes: build() raises
    try:
        page.wait_for_selector("#rg-live-banner.rg-live-error", timeout=15_000)
        text = page.locator("#rg-live-banner").inner_text()
        assert "Rebuild failed" in text and "does not exist" in text
        # the last good site is still served
        resp = page.request.get(srv.url + "runs/done0/index.html")
        assert resp.status == 200 and "done 0" in resp.text()
    finally:
        shutil.move(base / "runs-away", runs)
    page.wait_for_selector("#rg-live-banner", state="detached", timeout=15_000)
    assert page.evaluate("window.__marker") == "kept"
    assert "rebuild failed" in srv.stderr()


def _worker(base, run_id: str, *args: str, wait: bool = True) -> subprocess.Popen:
    """A training process logging through the SDK (``import reportgen as wandb``)."""
    proc = subprocess.Popen([sys.executable, str(WORKER), str(base / "runs"), run_id, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if wait:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    return proc


NO_RELOAD_JS = "() => [window.__marker, performance.getEntriesByType('navigation').length, RGLive.reloads]"


@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_new_run_and_new_metric_appear_in_place(live_env, browser_page):
    srv, base, _ = live_env
    page = browser_page.open(srv.url + "#smooth=0.6")
    page.set_viewport_size({"width": 900, "height": 400})
    assert_charts_rendered(page)
    loss = _chart_id(page, "loss")
    page.locator(f"#{loss}").scroll_into_view_if_needed()
    box = page.locator(f"#{loss} canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)  # zoom in
    page.wait_for_function(f"() => RG.views['{loss}'].scale('x').domain()[0] > 0")
    domain = page.evaluate(f"RG.views['{loss}'].scale('x').domain()")
    page.fill("#rg-filter", "e")  # matches every run, the new one too
    page.locator("#rg-runs th", has_text="Name").first.click()
    page.locator("#rg-runs th", has_text="Name").first.click()  # sorted by name, descending
    top = f"document.getElementById('{loss}').getBoundingClientRect().top"
    page.evaluate(f"document.getElementById('{loss}').scrollIntoView()")
    y = page.evaluate(top)
    page.evaluate("window.__marker = 'kept'")

    _worker(base, "sweep1", "--steps", "15", "--extra", "val/loss")  # a new run with a new metric
    page.wait_for_function("""() => document.querySelector('#rg-runs tr[data-run="sweep1"]') &&
        document.querySelector('.rg-chart[data-key="val/loss"]')""", timeout=20_000)
    assert page.evaluate(NO_RELOAD_JS) == ["kept", 1, 0], page.evaluate("RGLive.reloadedBecause")  # no reload
    # what was in view stays in view (content added above it shifts scrollY, not the chart)
    assert abs(page.evaluate(top) - y) <= 2
    assert page.locator("#rg-filter").input_value() == "e" and "smooth=0.6" in page.url
    names = page.evaluate("""() => [...document.querySelectorAll('#rg-runs tbody tr td:nth-child(2)')].map(td => {
        const c = td.cloneNode(true); c.querySelectorAll('.rg-run-tools').forEach(t => t.remove());
        return c.innerText.trim(); })""")  # the name, without the run's colour/pin/hide tools
    assert names[0] == "sweep sweep1" and names == sorted(names, reverse=True)  # the sort holds
    # the zoomed chart gained the run and kept its zoom
    page.wait_for_function(f"() => RG.views['{loss}'].data('rows').some(r => r.run === 'sweep sweep1')",
                           timeout=20_000)
    assert page.evaluate(f"RG.views['{loss}'].scale('x').domain()") == pytest.approx(domain)
    new = _chart_id(page, "val/loss")
    page.locator(f"#{new}").scroll_into_view_if_needed()
    page.wait_for_function(f"() => ({ROWS_JS})('{new}') >= 15", timeout=20_000)
    assert page.evaluate(NO_RELOAD_JS) == ["kept", 1, 0]


def test_run_page_gets_new_media_and_summary_in_place(live_env, browser_page):
    srv, base, _ = live_env
    go = base / "go-media1"
    proc = _worker(base, "media1", "--steps", "8", "--image-every", "2", "--wait-go", str(go), wait=False)
    try:
        deadline = time.monotonic() + 30
        while "rgp-panel" not in _text(srv.url + "runs/media1/index.html"):
            assert time.monotonic() < deadline and proc.poll() is None, "the first image never reached the site"
            time.sleep(0.2)
        page = browser_page.open(srv.url + "runs/media1/")
        page.wait_for_selector(".rgp-root[data-ready='1'] .rgp-panel img")
        assert page.locator("h1 .rg-state").inner_text() == "running"
        page.evaluate("window.__marker = 'kept'")
        go.touch()
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        page.wait_for_function("""() => document.querySelector('h1 .rg-state').textContent === 'finished' &&
            document.body.textContent.includes('best_acc') && document.querySelector('.rgp-panel .rgp-step') &&
            Number(document.querySelector('.rgp-panel .rgp-step').max) === 3""", timeout=20_000)
        assert page.evaluate(NO_RELOAD_JS) == ["kept", 1, 0]
        assert page.locator(".rgp-panel img").count() >= 1
        assert page.locator(".rgp-panel .rgp-step-label").inner_text() == "step 6"  # the newest image is shown
    finally:
        go.touch()
        if proc.poll() is None:
            proc.kill()


def test_sweep_page_charts_take_a_new_run_in_place(live_env, browser_page):
    """The all-runs sweep page's own charts (importance, parallel coordinates) used to show a new
    run only after the page reloaded; its data JSON is now applied in place."""
    srv, base, _ = live_env
    page = browser_page.open(srv.url + "sweeps/_all.html")
    page.wait_for_selector("body[data-sweep-ready='1']")
    before = int(page.inner_text("#rg-sweep-nruns"))
    page.evaluate("window.__marker = 'kept'")
    _worker(base, "sweeplive", "--steps", "12", "--seed", "3")
    page.wait_for_function(f"() => +(document.getElementById('rg-sweep-nruns') || {{}}).textContent > {before}"
                           " || (window.RGLive && RGLive.reloads)", timeout=20_000)
    assert page.evaluate(NO_RELOAD_JS) == ["kept", 1, 0], page.evaluate("RGLive.reloadedBecause")
    page.wait_for_function("() => RG.sweep.updates >= 1", timeout=20_000)
    assert page.locator('#rg-sweep-runs tbody tr[data-id="sweeplive"]').count() == 1
    assert page.locator("#rg-sweep-parallel canvas").count() == 1


def test_data_files_come_in_one_request_and_still_follow(live_env, browser_page):
    """A served page asks for its data files in one request (issue 12: each request costs every tab
    CPU in three processes); a changed file is then still loaded again and its charts redrawn."""
    srv, base, _ = live_env
    urls = []
    browser_page.context.on("request", lambda r: urls.append(r.url[len(srv.url) - 1:]))
    page = browser_page.open(srv.url)
    page.wait_for_function("() => [...document.querySelectorAll('.rg-chart:not([hidden])')]"
                           ".every(e => e.dataset.rendered === 'done')", timeout=30_000)
    batches = [u for u in urls if u.startswith("/__reportgen__/data?")]
    singles = [u for u in urls if u.startswith("/data/runs/")]
    assert len(batches) == 1 and not singles, urls
    assert all(f"%2Fdata%2Fruns%2F{r}.js" in batches[0] for r in ("done0", "done1", "live")), batches
    drawn = page.evaluate("RGLive.dataLoads || 0")
    with open(base / "runs" / "done0" / "history.jsonl", "a") as fh:  # a row appended (the live run may be over)
        fh.write(json.dumps({"_step": 40, "loss": 0.5, "acc": 1.0}) + "\n")
    page.wait_for_function("(n) => (RGLive.dataLoads || 0) > n", arg=drawn, timeout=20_000)
    assert any(u.startswith("/data/runs/done0.js?rg-live=") for u in urls), urls
    assert page.evaluate("RGLive.reloads") == 0


def test_a_reload_keeps_scroll_and_typed_filter_a_fresh_tab_does_not(live_env, browser_page):
    """A change the page cannot patch reloads it, keeping the scroll position and typed filters (saved in
    sessionStorage); a tab opened fresh does not read sessionStorage at all (tabs12)."""
    srv, _, _ = live_env
    page = browser_page.open(srv.url)
    page.wait_for_function("() => window.RGLive && RGLive.following === true", timeout=30_000)
    page.fill("#rg-filter", "done")
    page.evaluate("() => { document.body.style.minHeight = '5000px'; scrollTo(0, 700); }")
    page.evaluate("RGLive.reload('test')")
    page.wait_for_function("() => window.RGLive && RGLive.reloadedBecause === 'test' && document.readyState === 'complete'",
                           timeout=30_000)
    page.wait_for_function("() => document.querySelector('#rg-filter').value === 'done'", timeout=10_000)
    assert page.evaluate("window.scrollY") > 0
    fresh = browser_page.open(srv.url)
    fresh.wait_for_function("() => window.RGLive && RGLive.following === true", timeout=30_000)
    assert fresh.evaluate("RGLive.reloadedBecause") is None
