"""Metric charts in headless Chromium, issue 18: the y axis fits what is drawn (smoothing, ignore
outliers, a panel's own y range), zoom kept in the URL hash, per-panel log scale without console
warnings, the synced crosshair and its tooltip table, panels overlaying keys, drawing order, axis
labels, and a workspace file's panels applied as defaults that the URL overrides."""
import json

import pytest

from browser import assert_charts_rendered
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from site_runs import rows, write_run

# these tests inspect the Vega view of metric charts (RG.views): drawn by Vega from the start
pytestmark = [pytest.mark.browser, pytest.mark.vega_charts]


@pytest.fixture(scope="session")
def fit_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("fit") / "runs"
    for i in range(3):
        data = rows(300, loss=lambda s, i=i: (1 + i) * (0.5 / (1 + s / 20) + 0.05 * ((s * 7919) % 13) / 13),
                    acc=lambda s, i=i: 0.9 + 0.01 * i + 0.05 * s / 300, zero=lambda s: (s % 5) - 1.0)
        data[0]["loss"] = 12.0  # a spike at step 0
        for r in data:
            r["_step"] *= 10  # steps 0 .. 2990: axis labels in thousands
        write_run(root, f"run{i}", data, meta={"state": "crashed"} if i == 2 else None)
    out = root.parent / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    return out


def _view(key):
    return "RG.views[document.querySelector('.rg-chart[data-key=\"" + key + "\"]').id]"


def _ydom(page, key="loss"):
    return page.evaluate(f"() => {_view(key)}.scale('y').domain()")


def _wait(page):
    page.wait_for_function("() => [...document.querySelectorAll('.rg-chart:not([hidden])')].every(e => e.dataset.rendered === 'done')")
    page.wait_for_timeout(200)


def _open(site_browser, site, frag=""):
    page = site_browser.open((site / "index.html").as_uri() + frag)
    assert_charts_rendered(page)
    return page


def _menu(page, key):
    page.locator(f'.rg-chart[data-key="{key}"] .rg-panel-gear').click()
    return page.locator(f'.rg-chart[data-key="{key}"] .rg-panel-settings')


def test_y_axis_fits_the_smoothed_lines_outliers_and_a_set_range(fit_site, site_browser):
    page = _open(site_browser, fit_site)
    assert _ydom(page)[1] >= 12  # no smoothing: the spike is drawn, so it is in range
    page2 = _open(site_browser, fit_site, "#smooth=0.99")
    assert _ydom(page2)[1] < 3  # the smoothed lines, not the raw step-0 spike (was 0-14)
    page.check("#rg-outliers")
    _wait(page)
    assert _ydom(page)[1] < 3 and "outliers=1" in page.evaluate("location.hash")
    acc = _ydom(page, "acc")
    assert acc[0] >= 0.85 and acc[1] <= 1.0  # 3 runs spread over the chart, not squashed at the top
    menu = _menu(page, "loss")
    menu.locator('[data-setting="ymax"]').fill("0.5")
    menu.locator('[data-setting="ymax"]').press("Enter")
    menu.locator('[data-setting="ymin"]').fill("0.1")
    menu.locator('[data-setting="ymin"]').dispatch_event("change")
    _wait(page)
    assert _ydom(page) == [0.1, 0.5]
    assert "pp=loss;ymax:0.5;ymin:0.1" in page.evaluate("location.hash").replace("ymin:0.1;ymax:0.5", "ymax:0.5;ymin:0.1") \
        or "pp=loss;ymin:0.1;ymax:0.5" in page.evaluate("location.hash")
    assert _ydom(page, "acc") == acc  # only this panel
    page3 = _open(site_browser, fit_site, page.evaluate("location.hash"))
    assert _ydom(page3) == [0.1, 0.5]


def test_zoom_is_kept_in_the_hash_restored_and_reset(fit_site, site_browser):
    page = _open(site_browser, fit_site)
    full = page.evaluate(f"() => {_view('loss')}.scale('x').domain()")
    box = page.locator('.rg-chart[data-key="loss"] canvas').bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_function("() => location.hash.includes('zoom=loss;_step;')")
    zoomed = page.evaluate(f"() => {_view('loss')}.scale('x').domain()")
    assert zoomed[1] - zoomed[0] < (full[1] - full[0]) * 0.9
    page2 = _open(site_browser, fit_site, page.evaluate("location.hash"))
    again = page2.evaluate(f"() => {_view('loss')}.scale('x').domain()")
    assert again == pytest.approx(zoomed, rel=1e-4)
    page2.evaluate("() => window.dispatchEvent(new CustomEvent('rg:reset-zoom'))")
    _wait(page2)
    assert "zoom=" not in page2.evaluate("location.hash")
    assert page2.evaluate(f"() => {_view('loss')}.scale('x').domain()") == full


def test_log_scale_per_panel_drops_non_positive_points_quietly(fit_site, site_browser):
    page = site_browser.new_page()
    warnings = []
    page.on("console", lambda m: m.type in ("warning", "error") and warnings.append(m.text))
    page.goto((fit_site / "index.html").as_uri())
    assert_charts_rendered(page)
    menu = _menu(page, "zero")
    menu.locator('[data-setting="log"]').select_option("1")
    _wait(page)
    assert page.evaluate(f"() => {_view('zero')}.scale('y').type") == "log"
    assert page.evaluate(f"() => {_view('acc')}.scale('y').type") == "linear"  # only that panel
    assert "pp=zero;log:1" in page.evaluate("location.hash")
    assert page.evaluate(f"() => {_view('zero')}.data('rows').every(r => r.s === null || r.s > 0)")
    page.locator("#rg-log").check()  # the page's log scale: every panel, zeros too
    _wait(page)
    assert page.evaluate(f"() => {_view('acc')}.scale('y').type") == "log"
    box = page.locator('.rg-chart[data-key="zero"] canvas').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
    tip = page.locator('.rg-chart[data-key="zero"] .rg-tip')
    tip.wait_for(state="visible")
    assert warnings == []


def test_crosshair_is_synced_with_a_tooltip_table(fit_site, site_browser):
    page = _open(site_browser, fit_site)
    box = page.locator('.rg-chart[data-key="loss"] canvas').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
    tip = page.locator('.rg-chart[data-key="loss"] .rg-tip')
    tip.wait_for(state="visible")
    assert sorted(page.evaluate("() => [...document.querySelectorAll('.rg-chart[data-key=\"loss\"] .rg-tip tr')]"
                                ".map(tr => tr.dataset.run)")) == ["run0", "run1", "run2"]
    lines = page.evaluate("() => [...document.querySelectorAll('.rg-cross')].filter(c => !c.hidden)"
                          ".map(c => [c.parentNode.dataset.key, c.dataset.x])")
    keys = {k for k, _ in lines}
    assert {"loss", "acc", "zero"} <= keys and len({x for _, x in lines}) == 1
    page.mouse.move(5, 5)
    page.wait_for_function("() => [...document.querySelectorAll('.rg-cross')].every(c => c.hidden)")


def test_overlaid_keys_in_one_panel_from_the_url(fit_site, site_browser):
    page = _open(site_browser, fit_site, "#ov=loss+acc")
    fig = page.locator(".rg-chart.rg-overlay")
    assert fig.count() == 1
    domain = page.evaluate("() => RG.views[document.querySelector('.rg-overlay').id].scale('color').domain()")
    assert domain == ["run0 · loss", "run0 · acc", "run1 · loss", "run1 · acc", "run2 · loss", "run2 · acc"]
    rows = page.evaluate("() => RG.views[document.querySelector('.rg-overlay').id].data('rows').length")
    assert rows >= 6 * 300 * 0.9
    # from a panel's menu: overlay another key
    menu = _menu(page, "zero")
    menu.locator("select[id$='-overlay']").select_option("acc")
    page.wait_for_function("() => location.hash.includes('ov=loss+acc,zero+acc')")
    page.wait_for_function("() => document.querySelectorAll('.rg-overlay').length === 2")


def test_drawing_order_compact_legend_and_axis_labels(fit_site, site_browser):
    page = _open(site_browser, fit_site)
    first = page.evaluate(f"() => {_view('loss')}.data('rows')[0].run")
    assert first == "run2"  # the crashed run is drawn first, under the others (it was last, on top)
    labels = page.evaluate("""(key) => {
        const v = RG.views[document.querySelector('.rg-chart[data-key="' + key + '"]').id], out = [];
        (function walk(item) {
          if (item.mark && item.mark.role === 'axis-label' && item.text !== undefined) out.push(String(item.text));
          (item.items || []).forEach(walk);
        })(v.scenegraph().root);
        return out; }""", "loss")
    assert "1k" in labels and "1.5k" in labels and "500" in labels, labels
    assert not any(label.endswith("k") and label.startswith("0") for label in labels), labels


def test_workspace_panel_defaults_and_the_url_overrides(tmp_path, site_browser):
    root = tmp_path / "runs"
    for i in range(2):
        write_run(root, f"w{i}", rows(50, loss=lambda s, i=i: (1 + i) / (1 + s), acc=lambda s: s / 50))
    (root / "workspace.json").write_text(json.dumps({
        "defaults": {"smooth": 0.9},
        "sections": [{"name": "Main", "panels": [{"key": "loss", "ymin": 0, "ymax": 5, "log": False},
                                                 {"keys": ["loss", "acc"], "title": "both"}]}]}))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    page = _open(site_browser, out)
    assert _ydom(page) == [0, 5]
    assert page.locator("#rg-smooth-value").inner_text() == "0.9" and page.evaluate("location.hash") == ""
    assert page.locator('.rg-chart[data-panel="loss+acc"]').count() == 1
    page2 = _open(site_browser, out, "#pp=loss;ymax:2&smooth=0")
    assert _ydom(page2) == [0, 2]
    assert page2.locator("#rg-smooth-value").inner_text() == "off"
