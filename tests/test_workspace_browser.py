"""The workspace in Chromium (issue 18, look18's part): every page kind fits a phone, the
histogram heatmap, image overlays, dark mode, keyboard shortcuts, panel search, size and full
screen. Each control is operated and what is drawn is checked."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from allpages_site import build_all_pages, page_list
from browser import point_at_chart, render_all_charts, render_all_panels

pytestmark = pytest.mark.browser

NARROW = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}

# elements sticking out on the right that no scrolling container clips
OVERFLOW_JS = """() => { const W = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= W + 1) continue;
    let p = el.parentElement, clipped = false;
    while (p && p !== document.body) { if (getComputedStyle(p).overflowX !== 'visible') { clipped = true; break; } p = p.parentElement; }
    if (!clipped) out.push(el.tagName + '.' + el.className + ' right=' + Math.round(r.right)); }
  return {sw: document.documentElement.scrollWidth, out: out.slice(0, 5)}; }"""


@pytest.fixture(scope="module")
def all_site(tmp_path_factory):
    return build_all_pages(tmp_path_factory.mktemp("allpages"))


def test_every_page_kind_fits_a_phone(all_site, site_browser):
    pages = page_list(all_site)
    rel = {p.relative_to(all_site).as_posix() for p in pages}
    for kind in ("index.html", "compare.html", "reports/small.html", "artifacts/index.html"):
        assert kind in rel
    for prefix in ("runs/", "compare/", "sweeps/", "projects/", "artifacts/dataset"):
        assert any(r.startswith(prefix) for r in rel), prefix
    assert "runs/csv-imported" in " ".join(sorted(rel))  # an imported run
    # wandb.plot custom charts, on their run page and across runs: with no width of their own they
    # drew a 300 px plot with the legend beside it (the page was 417+ px wide on a 390 px phone)
    always = ("csv-imported", "media-a", "runs/plots-a/", "compare/pr-", "compare/roc-", "compare/auc-",
              "projects/plots/")
    for r in always[2:]:
        assert any(x.startswith(r) for x in rel), r
    site_browser.context.set_default_timeout(20_000)
    # one page of each kind (the media-compare pages share one template: a few of them)
    seen: dict[str, int] = {}
    picked = []
    for path in pages:
        r = path.relative_to(all_site).as_posix()
        kind = r.split("/")[0] if "/" in r else r
        limit = 3 if kind in ("compare", "runs") else 1
        if seen.get(kind, 0) < limit or any(a in r for a in always):
            seen[kind] = seen.get(kind, 0) + 1
            picked.append(path)
    for path in picked:
        page = site_browser.new_page()
        page.set_viewport_size(NARROW)
        page.goto(path.resolve().as_uri())
        render_all_charts(page)
        render_all_panels(page)  # logged charts draw when scrolled near: every one, before measuring
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        res = page.evaluate(OVERFLOW_JS)
        assert res["sw"] <= NARROW["width"] and not res["out"], f"{path.relative_to(all_site)}: {res}"
        page.close()


def _open(site_browser, path, viewport=WIDE, scheme="light", hash_=""):
    page = site_browser.new_page()
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size(viewport)
    page.goto(path.resolve().as_uri() + hash_)
    return page


def _sweep_run(all_site):
    for p in sorted((all_site / "runs").iterdir()):
        html = (p / "index.html").read_text()
        if "weights/hidden" in html and "rgp-kind-heatmap" in html:
            return p / "index.html"
    raise AssertionError("no run page with a histogram heatmap")


def test_heatmap_axis_ends_at_the_data_and_buttons_leave_the_legend_title_free(all_site, site_browser):
    page = _open(site_browser, _sweep_run(all_site))
    panel = page.locator(".rgp-kind-heatmap").first
    panel.scroll_into_view_if_needed()
    target = panel.locator(".rgp-vega")
    page.wait_for_function("el => el.dataset.rendered === 'done' && el.querySelector('.rg-chart-actions')",
                           arg=target.element_handle(), timeout=20_000)
    info = target.evaluate("""el => {
      const view = RG.views[el.id], rows = view.data('rows') || view.data('source_0');
      const domain = view.scale('x').domain();
      const maxNext = Math.max(...rows.map(r => r.next)), minStep = Math.min(...rows.map(r => r.step));
      // the legend title's box on the page: scenegraph bounds + the view's origin + the canvas position
      let title = null;
      (function walk(n) { if (!n || title) return;
        if (n.role === 'legend-title' && n.items && n.items.length) { title = n.items[0]; return; }
        (n.items || []).forEach(walk); })(view.scenegraph().root);
      let b = title.bounds, x = b.x1, y = b.y1;
      for (let it = title.mark.group; it; it = it.mark && it.mark.group) { x += it.x || 0; y += it.y || 0; }
      const c = el.querySelector('canvas').getBoundingClientRect(), o = view.origin();
      const t = {left: c.left + o[0] + x, top: c.top + o[1] + y, right: c.left + o[0] + x + (b.x2 - b.x1), bottom: c.top + o[1] + y + (b.y2 - b.y1)};
      const a = el.querySelector('.rg-chart-actions').getBoundingClientRect();
      const overlap = !(a.right <= t.left || t.right <= a.left || a.bottom <= t.top || t.bottom <= a.top);
      return {domain, maxNext, minStep, overlap, t, a: {left: a.left, top: a.top, right: a.right, bottom: a.bottom}};
    }""")
    assert info["domain"][1] == info["maxNext"] and info["domain"][0] == info["minStep"], info
    assert not info["overlap"], info


def test_image_overlays_labels_scores_masks_and_background(all_site, site_browser):
    page = _open(site_browser, all_site / "runs" / "media-a" / "index.html")
    seg = page.locator(".rgp-panel:has(.rgp-title:text-is('seg'))")
    seg.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.rgp-root').dataset.ready === '1'")
    # box labels read at about 11 CSS px on a 200 px thumbnail (the image is 64 px wide)
    size = seg.locator(".rgp-body .rgp-box text").first.evaluate("t => t.getBoundingClientRect().height")
    assert size >= 9, size
    fill = seg.locator(".rgp-body .rgp-box text").first.get_attribute("fill")
    assert fill == "#fff"
    # scores as 0.30, never 0.337327; the threshold's value too
    tips = seg.locator(".rgp-body .rgp-box title").all_text_contents()
    assert any("acc 0.30" in t or "acc 0.90" in t for t in tips), tips
    assert all(len(t.split("acc ")[-1].split()[0]) <= 4 for t in tips if "acc " in t), tips
    # ground truth drawn as outlines (its legend swatch is hollow), predictions filled
    gt = seg.locator(".rgp-mask-layer[data-mask='ground_truth']").first
    pr = seg.locator(".rgp-mask-layer[data-mask='predictions']").first
    assert "_edge" in gt.get_attribute("src") and "_edge" not in pr.get_attribute("src")
    assert seg.locator(".rgp-class-toggle:has-text('road') .rgp-swatch-outline").count() == 1
    assert seg.locator(".rgp-class-toggle:has-text('tree') .rgp-swatch-outline").count() == 0
    # the "Other logged values" list has no key that is shown as a media panel
    keys = page.locator(".rg-groups tbody td:first-child").all_text_contents()
    panels = set(page.locator(".rgp-panel .rgp-title").all_text_contents())
    assert not panels.intersection(keys), panels.intersection(keys)


def _bg(page, sel):
    return page.eval_on_selector(sel, "e => getComputedStyle(e).backgroundColor")


def test_dark_mode_follows_the_system_toggles_persists_and_themes_charts(demo_site, site_browser):
    run = next((demo_site / "runs").iterdir()) / "index.html"
    page = _open(site_browser, run, scheme="dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark_panel = _bg(page, ".rg-panel")
    render_all_charts(page)
    cfg = page.evaluate("RG.theme.vegaConfig()")
    assert cfg["axis"]["gridColor"] == "#2c3240"
    # charts drawn dark: the chart canvas has no white pixels from a light background
    light_px = page.locator(".rg-chart canvas").first.evaluate("""c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 235 && d[i+1] > 235 && d[i+2] > 235 && d[i+3] > 200) n++; return n; }""")
    assert light_px < 50, light_px
    page.evaluate("() => { window.__themes = []; window.addEventListener('rg:theme', e => __themes.push(e.detail.theme)); }")
    page.click("#rg-theme-toggle")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert _bg(page, ".rg-panel") != dark_panel and _bg(page, ".rg-panel") == "rgb(255, 255, 255)"
    assert page.evaluate("window.__themes") == ["light"]
    page.wait_for_function("() => [...document.querySelectorAll('.rg-chart')].filter(e => e.getClientRects().length).every(e => e.dataset.rendered === 'done')")
    # persisted: a new page in the same browser stays light although the system is dark
    page2 = _open(site_browser, demo_site / "index.html", scheme="dark")
    assert page2.evaluate("document.documentElement.dataset.theme") == "light"
    page2.keyboard.press("d")
    assert page2.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page2.evaluate("localStorage.getItem('rg-theme')") == "dark"
    for p in (page, page2):
        p.evaluate("localStorage.removeItem('rg-theme')")


def test_shortcuts_overlay_smoothing_reset_and_typing(demo_site, site_browser):
    page = _open(site_browser, demo_site / "index.html")
    page.evaluate("() => { window.__resets = 0; window.addEventListener('rg:reset-zoom', () => __resets++); }")
    page.keyboard.press("?")
    assert page.locator(".rg-shortcuts").is_visible()
    assert "Reset zoom" in page.locator(".rg-shortcuts").inner_text()
    page.keyboard.press("Escape")
    assert page.locator(".rg-shortcuts").count() == 0
    page.keyboard.press("s")
    assert page.evaluate("RG.state.smooth") == 0.7  # 0.6, or the nearest step the slider has (ties: the smoother)
    assert "smooth=0.7" in page.evaluate("location.hash")
    assert page.locator("#rg-smooth-value").text_content() == "0.7"
    page.keyboard.press("s")
    assert page.evaluate("RG.state.smooth") == 0
    page.locator("#rg-smooth").fill("4")  # 0.9
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("s")
    page.keyboard.press("s")
    assert page.evaluate("RG.state.smooth") == 0.9  # back to the last non-zero value
    page.keyboard.press("r")
    assert page.evaluate("window.__resets") == 1
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "rg-panel-search"
    page.keyboard.type("sdr?")  # typing never fires shortcuts
    assert page.evaluate("[window.__resets, RG.state.smooth, document.documentElement.dataset.theme]") == [1, 0.9, "light"]
    assert page.locator(".rg-shortcuts").count() == 0


def test_panel_search_text_regex_invalid_and_hash(all_site, site_browser):
    run = all_site / "runs" / "media-a" / "index.html"
    page = _open(site_browser, run)
    page.wait_for_function("() => document.querySelector('.rgp-root').dataset.ready === '1'")
    box = page.locator("#rg-panel-search")
    total = page.locator(".rg-chart, .rgp-panel").count()
    box.fill("wei")
    shown = page.locator(".rg-chart:visible, .rgp-panel:visible")
    assert shown.count() == 2  # weights (heatmap) and weights_tensor
    assert "q=wei" in page.evaluate("location.hash")
    assert not page.locator("#media").is_hidden()
    box.fill("/^(loss|seg)$/")
    assert sorted(page.locator(".rg-chart:visible").evaluate_all("els => els.map(e => e.dataset.key)")) == ["loss"]
    assert page.locator(".rgp-panel:visible .rgp-title").all_text_contents() == ["seg"]
    box.fill("/lo(ss/")  # invalid: plain text "lo(ss", nothing matches, a hint says why
    hint = page.locator("#rg-panel-search-hint")
    assert "regular expression" in hint.text_content() and hint.is_visible()
    assert shown.count() == 0
    assert page.locator(".rg-section:visible").count() == 0  # empty sections hidden
    box.fill("")
    assert shown.count() == total
    # the query comes back from a shared link
    page2 = _open(site_browser, run, hash_="#q=SOU")
    page2.wait_for_function("() => document.getElementById('rg-panel-search').value === 'SOU'")
    assert page2.locator(".rgp-panel:visible .rgp-title").all_text_contents() == ["sound"]



def test_a_crafted_search_link_cannot_hang_the_page(tmp_path, site_browser):
    """``#q=/(a+)+$/`` against metric names of 40 a's and a "!" hung the tab for good (the browser's
    RegExp backtracks 2 ** 40 ways): a link could freeze anyone's page. Regular expressions are now
    matched in time linear in the key (assets/panel-regex.js): the page answers and filters as the
    expression says; one that cannot be matched that way (a lookaround) is matched as text, with a hint."""
    import reportgen
    from reportgen.site.builder import build
    from reportgen.site.config import BuildConfig

    runs = tmp_path / "runs"
    keys = ["a" * 40 + "!", "a" * 40, "val/" + "a" * 60 + "b", "x" * 200 + "a", "loss"]
    run = reportgen.init(dir=runs, id="r", name="r", project="p")
    for i in range(3):
        run.log({k: float(i) for k in keys})
    run.finish()
    out = tmp_path / "site"
    build(BuildConfig(runs=runs, out=out, quiet=True))
    shown = "() => Array.from(document.querySelectorAll('.rg-chart:not(.rg-search-miss)')).map(e => e.dataset.key).sort()"
    hint = "() => (document.getElementById('rg-panel-search-hint') || {}).textContent || ''"
    for q, want in (("/(a+)+$/", ["a" * 40, "x" * 200 + "a"]), ("/(a|aa)+$/", ["a" * 40, "x" * 200 + "a"]),
                    ("/^(.*a){20}$/", ["a" * 40]), ("/^(\\w+\\s?)*$/", ["a" * 40, "loss", "x" * 200 + "a"])):
        page = _open(site_browser, out / "runs/r/index.html", hash_="#q=" + quote(q, safe=""))
        page.wait_for_function("() => true", timeout=5_000)  # the page answers (it hung here)
        page.wait_for_function(f"() => ({hint})().endsWith('panels')", timeout=5_000)  # filtered
        assert page.evaluate(shown) == sorted(want), q
        assert page.evaluate(hint) == f"{len(want)} of {len(keys)} panels"
        page.close()
    page = _open(site_browser, out / "runs/r/index.html")
    page.locator("#rg-panel-search").fill("/(?=a)(a+)+$/")
    page.wait_for_function("() => true", timeout=5_000)
    assert page.evaluate(hint).startswith("Not matched as a regular expression (lookarounds")
    assert page.evaluate(shown) == []  # the text "(?=a)(a+)+$" is in no key

def test_panel_size_and_full_screen(demo_site, site_browser):
    page = _open(site_browser, next((demo_site / "runs").iterdir()) / "index.html")
    render_all_charts(page)
    chart = page.locator(".rg-chart").first
    w0 = chart.bounding_box()["width"]
    page.evaluate("() => { window.__resized = []; window.addEventListener('rg:panel-resize', e => __resized.push(e.detail.el.id)); }")
    chart.locator(".rg-tool-size").click()
    chart.locator(".rg-tool-size").click()  # L: the whole row
    assert chart.get_attribute("data-size") == "l"
    assert chart.bounding_box()["width"] > 2 * w0
    page.wait_for_function("el => el.dataset.rendered === 'done'", arg=chart.element_handle())
    canvas_w = chart.locator("canvas").evaluate("c => c.getBoundingClientRect().width")
    assert canvas_w > 2 * w0 - 100  # drawn again at the new width
    chart.locator(".rg-tool-full").click()
    box = chart.bounding_box()
    assert box["width"] == 1440 and box["height"] == 900
    page.keyboard.press("Escape")
    assert "rg-fullscreen" not in chart.get_attribute("class")
    ids = page.evaluate("window.__resized")
    assert len(ids) == 4 and set(ids) == {chart.get_attribute("id")}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1440", "390"])
def test_pages_in_both_themes_and_widths(all_site, site_browser, scheme, viewport):
    """Zero console errors, nothing leaving the folder (site_browser), no overflow, the theme applied."""
    for rel in ("index.html", "runs/media-a/index.html"):
        page = _open(site_browser, all_site / rel, viewport=viewport, scheme=scheme)
        render_all_charts(page)
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        bg = _bg(page, "html")
        assert (bg == "rgb(18, 21, 28)") == (scheme == "dark"), bg
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.close()



@pytest.mark.vega_charts
def test_runs_named_like_object_properties_are_drawn(all_site, site_browser):
    """Runs named "constructor" and "toString": their lines were never drawn (the chart's map of
    switched-off runs was a plain object, so hidden["constructor"] was truthy), and a legend click
    sent Vega the names without the zero-width space it had been given them with at the embed
    (theme-vega.js): the run lost its colour and its legend entry was not dimmed."""
    page = _open(site_browser, all_site / "projects" / "plots" / "index.html")
    render_all_charts(page)
    runs = """(key) => { const el = document.querySelector(`.rg-chart[data-key="${key}"]`), v = RG.views[el.id];
      const shown = s => s.replace(/\u200b$/, '');
      return {runs: [...new Set(v.data('rows').map(r => shown(r.run)))].sort(),
              inDomain: v.data('rows').every(r => v.scale('color').domain().includes(r.run)),
              hidden: v.signal('hidden').map(shown)}; }"""
    assert page.evaluate(runs, "loss") == {"runs": ["constructor", "toString"], "inDomain": True, "hidden": []}
    page.evaluate("RG.charts.toggleRun(document.querySelector('.rg-chart[data-key=loss]'), 'constructor')")
    page.wait_for_function("() => { const el = document.querySelector('.rg-chart[data-key=loss]'); "
                           "return RG.views[el.id].signal('hidden').length === 1; }")
    assert page.evaluate(runs, "loss") == {"runs": ["toString"], "inDomain": True, "hidden": ["constructor"]}


LABELS_JS = """(view) => { const out = []; (function walk(n, role) {
    (n.items || []).forEach(it => { const r = n.role || role;
      if (typeof it.text === 'string' && (r === 'legend-label' || r === 'axis-label')) out.push(it.text); walk(it, r); }); })(view.scenegraph().root, '');
  return out; }"""


def test_custom_chart_names_show_as_logged(all_site, site_browser):
    """Classes and series named "constructor", "__proto__", "toString", "hasOwnProperty" (pr_curve,
    roc_curve, line_series, confusion_matrix, wandb's area-under-curve) reach Vega with a zero-width
    space (theme-vega.js; Vega throws on such names), which legends, axis labels, tooltips and the
    CSV download showed; now they show the names as logged."""
    page = _open(site_browser, all_site / "runs" / "plots-a" / "index.html")
    render_all_panels(page)
    got = page.evaluate(f"""() => {{ const out = {{}}, labels = {LABELS_JS};
      document.querySelectorAll('.rgp-vega').forEach(t => {{
        const key = t.closest('.rgp-panel').querySelector('.rgp-title').textContent;
        out[key] = labels(t._rgpView).filter(s => /[a-z_]{{5}}/.test(s)); }});
      return out; }}""")
    names = {"constructor", "__proto__", "toString", "hasOwnProperty"}
    assert set(got["pr"]) == {"constructor", "__proto__", "toString"}, got["pr"]
    assert set(got["roc"]) == {"__proto__", "toString", "hasOwnProperty"}, got["roc"]
    assert set(got["auc"]) == names, got["auc"]
    assert set(got["series"]) == {"constructor", "__proto__"}, got["series"]
    assert set(got["conf"]) >= {"constructor", "__proto__", "toString"}, got["conf"]  # the matrix's axes
    # the CSV download of the PR curve
    panel = page.locator(".rgp-panel:has(.rgp-title:text-is('pr'))")
    panel.hover()
    with page.expect_download() as dl:
        panel.locator(".rg-chart-actions button", has_text="CSV").click()
    csv = Path(dl.value.path()).read_text(encoding="utf-8")
    assert "\u200b" not in csv and {line.split(",")[0] for line in csv.splitlines()[1:]} == \
        {"constructor", "__proto__", "toString"}, csv[:300]


def test_a_metric_logged_once_is_drawn_as_a_dot(all_site, site_browser):
    """A line through one point draws nothing: a metric logged once (a final test accuracy) had an
    empty chart, in the lite canvas and in the Vega view alike."""
    page = _open(site_browser, all_site / "runs" / "plots-a" / "index.html")
    render_all_charts(page)
    sel = ".rg-chart[data-key=test_acc]"
    assert page.locator(sel).get_attribute("data-draw") == "lite"
    # pixels of the run's colour in the lite chart's canvas (a dot of radius 3: ~28 CSS px)
    ink = page.locator(sel).evaluate("""el => { const c = el.querySelector('canvas'), ctx = c.getContext('2d');
        const f = el._rg.runs[0], hex = RG.runColor ? RG.runColor(f) : RG.runsByFile[f].color, want = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
        const d = ctx.getImageData(0, 0, c.width, c.height).data; let n = 0;
        for (let i = 0; i < d.length; i += 4)
          if (d[i + 3] > 200 && Math.abs(d[i] - want[0]) + Math.abs(d[i + 1] - want[1]) + Math.abs(d[i + 2] - want[2]) < 60) n++;
        return n; }""")
    assert ink >= 15, ink
    point_at_chart(page, sel)  # the Vega view: its "lone" layer draws the point
    page.wait_for_function("s => document.querySelector(s).dataset.rendered === 'done'", arg=sel)
    dots = page.locator(sel).evaluate("""el => { let n = 0; (function walk(m) { (m.items || []).forEach(it => {
        if (m.marktype === 'symbol' && m.name && m.name.indexOf('lone') >= 0) n++; walk(it); }); })(RG.views[el.id].scenegraph().root);
        return n; }""")
    assert dots == 1, dots
