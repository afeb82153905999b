"""Metrics whose names start with "_" (but are not system keys) or name an Object.prototype
property are charted like any other.

wandb hides only its own ``_`` keys (``_step``, ``_runtime``, ``_timestamp``, ``_wandb``); the
builder hid every ``_`` key (storage/format.py ``is_system_key`` now says which are the system's),
so a logged ``_lr`` or ``__proto__`` had no chart. In the page such names are keys like any other:
no chart lost, nothing written into Object.prototype. Failed before the fix (``_lr`` and
``__proto__`` had no chart, no runs-table column)."""
from __future__ import annotations

import pytest

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from browser import assert_charts_rendered
from site_runs import rows, wavy, write_run

USER = ["_lr", "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "loss"]
CLEAN = """() => Object.getOwnPropertyNames(Object.prototype).filter(k => !
  ['constructor', '__defineGetter__', '__defineSetter__', 'hasOwnProperty', '__lookupGetter__', '__lookupSetter__',
   'isPrototypeOf', 'propertyIsEnumerable', 'toString', 'valueOf', '__proto__', 'toLocaleString'].includes(k))"""
CHARTS = """() => Array.from(document.querySelectorAll('.rg-chart')).map(el => el.dataset.key)"""


@pytest.fixture
def names_site(tmp_path):
    series = {k: (lambda s, i=i: i + wavy(s)) for i, k in enumerate(USER)}
    for rid in ("a", "b"):
        rr = rows(6, **series)
        rr[0]["_wandb"] = {"runtime": 3}
        write_run(tmp_path / "runs", rid, rr, summary={**{k: 1.0 for k in USER}, "_wandb": {"runtime": 3}, "_step": 5})
    out = tmp_path / "site"
    build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    return out


@pytest.mark.parametrize("draw", ["lite", "vega"])
def test_underscore_and_prototype_names_are_charted(names_site, site_browser, draw):
    if draw == "vega":
        site_browser.use_vega_charts()
    for page_name, width in (("runs/a/index.html", 1280), ("index.html", 390), ("compare.html#runs=a,b", 1280)):
        page = site_browser.new_page()
        page.set_viewport_size({"width": width, "height": 800 if width > 600 else 844})
        page.goto((names_site / page_name.split("#")[0]).as_uri() + ("#" + page_name.split("#")[1] if "#" in page_name else ""))
        page.wait_for_function("() => document.querySelectorAll('.rg-chart').length > 0")
        assert sorted(page.evaluate(CHARTS)) == sorted(USER), page_name
        assert_charts_rendered(page, len(USER))
        page.fill("#rg-panel-search", "__proto__")
        page.wait_for_function("() => document.querySelectorAll('.rg-chart:not(.rg-search-miss)').length === 1")
        page.fill("#rg-panel-search", "")
        page.evaluate("""() => { const s = document.getElementById('rg-smooth'); s.value = '5';  // (folded on a phone)
                                 s.dispatchEvent(new Event('input')); s.dispatchEvent(new Event('change')); }""")
        assert_charts_rendered(page, len(USER))
        assert page.evaluate(CLEAN) == [], page_name
        assert page.evaluate("() => ({}).min === undefined && Object.getPrototypeOf({}) === Object.prototype")
        if page_name == "index.html":
            heads = page.eval_on_selector_all("#rg-runs th", "els => els.map(e => e.textContent.trim())")
            assert "_lr" in heads and "__proto__" in heads and "_wandb" not in " ".join(heads) and "_step" not in heads
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(names_site.parent / f"names-{draw}-{page_name.split('/')[0].split('.')[0]}.png"))


@pytest.mark.parametrize("draw", ["lite", "vega"])
def test_runs_with_ids_named_like_prototype_properties(tmp_path, site_browser, draw):
    """Run folders named "constructor", "toString", "valueOf" (run ids are folder names). The page
    kept runs by id in a plain object, so RG.runColor("constructor") gave Object itself: the Vega
    spec got a function as a colour (DataCloneError on every chart) and the runs table showed
    "function Object() { [native code] }"; grouped charts (#g=group) threw reading the series of run
    "constructor" from the loader's cache. Now every id is a key like any other."""
    if draw == "vega":
        site_browser.use_vega_charts()
    ids = ["constructor", "toString", "valueOf", "b"]
    for i, rid in enumerate(ids):
        write_run(tmp_path / "runs", rid, rows(6, loss=lambda s, i=i: i + wavy(s)), summary={"loss": 1.0})
    out = tmp_path / "site"
    build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))
    for page_name, hash_ in (("index.html", ""), ("index.html", "#g=group&smooth=0.5"), ("runs/constructor/index.html", ""),
                             ("compare.html", "#runs=" + ",".join(ids))):
        page = site_browser.new_page()
        page.goto((out / page_name).as_uri() + hash_)
        page.wait_for_function("() => document.querySelectorAll('.rg-chart').length > 0")
        assert_charts_rendered(page)
        colors = page.evaluate("(ids) => ids.map(f => RG.runColor(f))", ids)
        assert all(isinstance(c, str) and c.startswith("#") for c in colors), (page_name, colors)
        text = page.evaluate("() => document.body.innerText")
        assert "native code" not in text and "function Object" not in text, page_name
