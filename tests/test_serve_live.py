"""``reportgen serve --watch`` end to end: a real server process, real run folders written by the
SDK, and a headless Chromium page that must follow them without reloading."""
from __future__ import annotations

import shutil
import time

import pytest

from browser import SiteBrowser, assert_charts_rendered
from reportgen.sdk.run import Run
from serveproc import ServeProcess

pytestmark = pytest.mark.browser

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
def browser_page(_playwright_browser, live_env):
    srv = live_env[0]
    sb = SiteBrowser(_playwright_browser, allowed_prefixes=(srv.url, "data:", "blob:", "about:"))
    yield sb
    problems = sb.problems.all()
    sb.close()
    assert not problems, "browser problems:\n" + "\n".join(problems)


def _chart_id(page, key: str) -> str:
    return page.locator(f'.rg-chart[data-key="{key}"]').first.get_attribute("id")


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
      return {ok, dry, rows, p: body.querySelector('p').outerHTML, dl: body.querySelector('dl').innerHTML, bad};
    }""")
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


def test_new_run_reloads_page_and_keeps_scroll(live_env, browser_page):
    srv, base, _ = live_env
    page = browser_page.open(srv.url + "#smooth=0.6")
    page.set_viewport_size({"width": 900, "height": 300})
    assert_charts_rendered(page, 2)
    page.fill("#rg-filter", "run")  # a typed filter comes back after the reload
    page.evaluate("window.scrollTo(0, 250)")
    y = page.evaluate("window.scrollY")
    assert y > 0
    page.evaluate("window.__marker = 1")

    run = Run(id="new", name="new run", project="p", dir=base / "runs")
    for s in range(5):
        run.log({"loss": 1.0 + s})
    run.finish()
    # a new run changes the charts themselves (legend, colours): the page reloads ...
    page.wait_for_function("() => window.__marker === undefined && document.querySelector('tr[data-run=\"new\"]')",
                           timeout=20_000)
    page.wait_for_load_state("load")
    time.sleep(0.2)
    # ... and comes back where it was
    assert page.evaluate("window.RGLive.reloadedBecause") in ("charts changed", "page structure changed")
    assert "smooth=0.6" in page.url
    assert abs(page.evaluate("window.scrollY") - y) <= 2
    assert page.locator("#rg-filter").input_value() == "run"
    assert_charts_rendered(page, 2)
