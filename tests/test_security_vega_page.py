"""Issue 12: a logged chart spec may not make the run page hang, eat memory or crash.

Each test logs a few hostile Vega-Lite specs next to a harmless one, builds the site and opens
the run page in Chromium: the hostile ones are refused at build time with a warning naming the
run and key, and the page stays responsive and draws the harmless chart. Each failed on the code
before its fix (the tab hung for good, at up to a gigabyte)."""
from __future__ import annotations

import json
from pathlib import Path

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

OK = {"data": {"values": [{"a": 1, "s": "x"}, {"a": 2, "s": "y"}]}, "mark": "point",
      "encoding": {"x": {"field": "a", "type": "quantitative"}}}


def _site(tmp_path: Path, specs: dict[str, dict], report: str | None = None):
    runs = tmp_path / "runs"
    d = runs / "a"
    d.mkdir(parents=True)
    if report:
        (runs / "reports").mkdir()
        (runs / "reports" / "r.md").write_text(report)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    row = {"_step": 0, "loss": 1.0, "ok": {"_type": "vega_lite", "spec": OK},
           **{k: {"_type": "vega_lite", "spec": v} for k, v in specs.items()}}
    (d / "history.jsonl").write_text(json.dumps(row) + "\n")
    out = tmp_path / "site"
    return out, build(BuildConfig(runs=runs, out=out, quiet=True))


def _refused(res, key: str) -> str:
    prefix = f"run a: media {key} (step 0): could not show vega_lite: SpecRefused: "
    found = [w[len(prefix):] for w in res.warnings if w.startswith(prefix)]
    assert found, f"no refusal for {key}: {res.warnings}"
    return found[0]


def _page_draws_only_the_harmless_chart(site_browser, out: Path) -> None:
    for width in (1400, 390):  # a desktop and a phone
        _open_and_wait(site_browser, out, width)


def _open_and_wait(site_browser, out: Path, width: int) -> None:
    site_browser.context.close()
    site_browser.context = site_browser.browser.new_context(viewport={"width": width, "height": 900})
    site_browser.context.route("**/*", site_browser._route)
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.rgp-vega').forEach(el => el.scrollIntoView());
                   return document.querySelectorAll('.rgp-vega[data-rendered]').length === 1; }""", timeout=8000)
    page.wait_for_function("() => document.querySelector('.rgp-vega').dataset.rendered === 'done'", timeout=4000)
    page.wait_for_timeout(300)
    page.wait_for_function("() => true", timeout=3000)  # still answers: nothing runs without end



def _wait_drawn(page, n: int, timeout: int = 8000) -> None:
    """Until ``n`` logged charts of ``page`` are drawn (each scrolled into view: panels draw when seen)."""
    page.wait_for_function(
        """n => { document.querySelectorAll('.rgp-vega').forEach(el => el.scrollIntoView());
                  return document.querySelectorAll('.rgp-vega[data-rendered="done"]').length === n; }""",
        arg=n, timeout=timeout)

def test_expressions_that_build_without_bound_are_refused(tmp_path, site_browser):
    """``sequence(0, 1e9)`` or ``pad('a', 1e9)`` in a calculate, a filter, a param's expr or an
    ExprRef made the run page hang for good (300 MB to 1 GB); ``\\u0070ad`` is the same call."""
    t = lambda *tr: {**OK, "transform": list(tr)}  # noqa: E731
    specs = {
        "seq": t({"calculate": "length(sequence(0, 1e9))", "as": "b"}),
        "pad": t({"calculate": "length(pad('a', 1e9))", "as": "b"}),
        "filt": t({"filter": {"and": ["datum.a > 0", "length(sequence (0, 1e9)) > 0"]}}),
        "param": {**OK, "params": [{"name": "p", "expr": "length(\\u0070ad('', 1e9))"}]},
        "ref": {**OK, "mark": {"type": "point", "size": {"expr": "length(sequence(1e9))"}}},
        "time": t({"calculate": "utcSequence('millisecond', 0, 1e12)", "as": "b"}),
    }
    out, res = _site(tmp_path, specs)
    assert _refused(res, "seq") == "transform[].calculate calls sequence(), which builds a list or string of " \
                                   "any length in the page"
    assert "calls pad()" in _refused(res, "pad") and "calls sequence()" in _refused(res, "filt")
    assert _refused(res, "param").startswith("params[].expr calls pad()")
    assert _refused(res, "ref").startswith("mark.size.expr calls sequence()")
    assert "calls utcSequence()" in _refused(res, "time")
    _page_draws_only_the_harmless_chart(site_browser, out)


def test_regular_expressions_are_refused(tmp_path, site_browser):
    """``test(/(a+)+$/, datum.s)`` on a logged string of 40 characters backtracked for ever: the
    tab hung at once. A regular expression (a literal or ``regexp()``) in any expression of a
    logged spec is refused; a ``/`` in a title or a URL is not one."""
    rows = [{"a": 1, "s": "a" * 40 + "!"}]
    specs = {
        "lit": {**OK, "data": {"values": rows}, "transform": [{"filter": "test(/(a+)+$/, datum.s)"}]},
        "call": {**OK, "data": {"values": rows},
                 "transform": [{"calculate": "replace(datum.s, regexp('(a|aa)+$'), '')", "as": "t"}]},
        "label": {**OK, "encoding": {"x": {"field": "a", "type": "quantitative",
                                           "axis": {"labelExpr": "test(/^(\\\\w+\\\\s?)*$/, datum.label) ? 'x' : 'y'"}}}},
    }
    fine = {**OK, "title": "loss (/step) a/b https://example.com/x/y"}
    out, res = _site(tmp_path, {**specs, "fine": fine})
    assert _refused(res, "lit") == "transform[].filter has a regular expression, which can run for ever on " \
                                   "logged text in the page"
    assert "regular expression" in _refused(res, "call") and "regular expression" in _refused(res, "label")
    assert not [w for w in res.warnings if "media fine " in w]
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.rgp-vega').forEach(el => el.scrollIntoView());
                   const done = document.querySelectorAll('.rgp-vega[data-rendered="done"]');
                   return done.length === 2; }""", timeout=8000)
    page.wait_for_timeout(300)
    page.wait_for_function("() => true", timeout=3000)


def test_only_vega_lite_specs_are_drawn(tmp_path, site_browser):
    """vega-embed draws a logged spec as a *Vega* spec when its ``$schema`` names Vega or when it
    has none of the Vega-Lite keys: a signal doubling a string on a timer took the tab to a
    gigabyte, and a Vega ``sequence`` transform can take its stop from a signal. Such specs are
    refused; a Vega-Lite one with or without ``$schema`` draws."""
    doubling = {"signals": [{"name": "s", "value": "ab", "on": [{"events": "timer{20}", "update": "s + s"}]}],
                "marks": [{"type": "text", "encode": {"update": {"text": {"signal": "length(s)"}}}}]}
    generated = {"data": [{"name": "t", "transform": [{"type": "sequence", "start": 0, "stop": {"signal": "1e9"}}]}]}
    specs = {"vega": {"$schema": "https://vega.github.io/schema/vega/v5.json", "width": 50, **doubling},
             "guessed": doubling, "nomarks": generated,
             "odd": {**OK, "$schema": "vega"}}
    concat = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "concat": [OK, OK]}  # Altair's alt.concat
    specs["concat_vega"] = {k: v for k, v in concat.items() if k != "$schema"}
    report = "# r\n\n" + "".join(f'{{{{< custom key="{k}" run="a" >}}}}\n\n' for k in ("vega", "guessed", "concat"))
    out, res = _site(tmp_path, {**specs, "lite": {**OK, "$schema": "https://vega.github.io/schema/vega-lite/v5.json"},
                                "concat": concat}, report)
    assert _refused(res, "vega") == "a vega spec ($schema 'https://vega.github.io/schema/vega/v5.json'), not a " \
                                    "Vega-Lite one: only Vega-Lite specs are drawn"
    assert _refused(res, "guessed").startswith("not a Vega-Lite spec: it has none of mark, encoding, layer")
    assert _refused(res, "nomarks").startswith("not a Vega-Lite spec")
    assert _refused(res, "odd").startswith("a spec ($schema")
    assert _refused(res, "concat_vega").startswith("not a Vega-Lite spec")
    assert not [w for w in res.warnings if "media lite " in w or "media concat " in w]
    page = site_browser.open(out / "runs/a/index.html")
    _wait_drawn(page, 3)
    page.wait_for_timeout(1500)  # the timer had doubled the string 60 times by now
    page.wait_for_function("() => true", timeout=3000)
    page = site_browser.open(out / "reports/r.html")  # a report draws the record as the run page does
    page.wait_for_function(
        """() => { document.querySelectorAll('.rg-vega').forEach(el => el.scrollIntoView());
                   return document.querySelectorAll('.rg-vega[data-rendered="done"]').length === 1; }""", timeout=8000)
    assert page.locator(".rg-vega").count() == 1
    page.wait_for_timeout(1000)
    page.wait_for_function("() => true", timeout=3000)


def test_sizes_no_chart_needs_are_refused(tmp_path, site_browser):
    """``"width": 1e9`` (a tick per 40 pixels), ``"tickCount": 1e9`` (or from an expression),
    ``"maxbins": 1e9`` or a bin step of 1 over an extent of 1e9 each hung the tab (200 MB to
    1.2 GB) before anything showed. Such sizes are refused; ``"width": "container"`` and a sane
    bin draw."""
    x = lambda **kw: {**OK, "encoding": {"x": {"field": "a", "type": "quantitative", **kw}}}  # noqa: E731
    specs = {
        "wide": {**OK, "width": 1e9},
        "view": {**OK, "config": {"view": {"continuousWidth": 1e9}}},
        "ticks": x(axis={"tickCount": 1e9}),
        "tickexpr": x(axis={"tickCount": {"expr": "1e9"}}),
        "maxbins": x(bin={"maxbins": 1e9}),
        "extent": x(bin={"extent": [0, 1e9], "step": 1}),
        "zero": x(bin={"step": 0}),
    }
    fine = {**x(bin={"step": 0.5}), "width": "container", "height": 300}
    out, res = _site(tmp_path, {**specs, "fine": fine})
    assert _refused(res, "wide") == "width is 1e+09, more than 20,000"
    assert _refused(res, "view") == "config.view.continuousWidth is 1e+09, more than 20,000"
    assert _refused(res, "ticks") == "encoding.x.axis.tickCount is 1e+09, more than 10,000"
    assert _refused(res, "tickexpr").startswith("encoding.x.axis.tickCount comes from an expression")
    assert _refused(res, "maxbins") == "encoding.x.bin.maxbins is 1e+09, more than 10,000"
    assert _refused(res, "extent") == "encoding.x.bin makes 1e+09 bins (step 1 over 0..1e+09), more than 10,000"
    assert _refused(res, "zero") == "encoding.x.bin.step is 0, not a positive number"
    assert not [w for w in res.warnings if "media fine " in w]
    for width in (1400, 390):
        site_browser.context.close()
        site_browser.context = site_browser.browser.new_context(viewport={"width": width, "height": 900})
        site_browser.context.route("**/*", site_browser._route)
        page = site_browser.open(out / "runs/a/index.html")
        page.wait_for_function(
            """() => { document.querySelectorAll('.rgp-vega').forEach(el => el.scrollIntoView());
                       return document.querySelectorAll('.rgp-vega[data-rendered="done"]').length === 2; }""",
            timeout=8000)
        page.wait_for_function("() => true", timeout=3000)


def test_number_formats_padded_without_bound_are_refused(tmp_path, site_browser):
    """A d3 number format pads every label to its width: an axis or text ``format`` of
    ``"0100000000d"``, or ``format(datum.a, '0100000000d')`` in an expression, hung the tab for
    good. Widths over 100 are refused, and so is a ``format()`` specifier computed in the page;
    ``format(datum.a, '.2f')`` and a title reading "Data format (v2)" draw."""
    text = {**OK, "mark": "text", "encoding": {"x": {"field": "a", "type": "quantitative"}, "text": {"field": "t"}}}
    specs = {
        "axis": {**OK, "encoding": {"x": {"field": "a", "type": "quantitative", "axis": {"format": "0100000000d"}}}},
        "config": {**OK, "config": {"numberFormat": "0100000000d"}},
        "expr": {**text, "transform": [{"calculate": "format(datum.a, '0100000000d')", "as": "t"}]},
        "computed": {**text, "transform": [{"calculate": "format(datum.a, '0' + '100000000d')", "as": "t"}]},
    }
    fine = {**text, "title": "Data format (v2)", "transform": [{"calculate": "format(datum.a, '.2f')", "as": "t"}]}
    out, res = _site(tmp_path, {**specs, "fine": fine})
    assert _refused(res, "axis") == "encoding.x.axis.format: number format '0100000000d' pads to 100,000,000 " \
                                    "characters, more than 100"
    assert _refused(res, "config").startswith("config.numberFormat: number format '0100000000d'")
    assert _refused(res, "expr") == "transform[].calculate calls format() with a number format '0100000000d' pads " \
                                    "to 100,000,000 characters, more than 100"
    assert "not a plain string" in _refused(res, "computed")
    assert not [w for w in res.warnings if "media fine " in w]
    _page_draws_two_charts(site_browser, out)


def _page_draws_two_charts(site_browser, out: Path) -> None:
    page = site_browser.open(out / "runs/a/index.html")
    _wait_drawn(page, 2)
    page.wait_for_timeout(300)
    page.wait_for_function("() => true", timeout=3000)


def test_a_whole_data_set_per_row_is_refused(tmp_path, site_browser):
    """``{"calculate": "data('source_0')"}`` then ``flatten`` makes rows times rows: 2,000 logged
    rows hung the tab. ``data()`` in a ``calculate`` or a param's ``expr`` is refused; a title
    reading "Training data (v2)" is not an expression and draws."""
    rows = [{"a": i} for i in range(2000)]
    specs = {
        "calc": {**OK, "data": {"values": rows},
                 "transform": [{"calculate": "data('source_0')", "as": "arr"}, {"flatten": ["arr"]}]},
        "param": {**OK, "data": {"values": rows}, "params": [{"name": "p", "expr": "data ('source_0')"}],
                  "transform": [{"calculate": "p", "as": "arr"}, {"flatten": ["arr"]}]},
    }
    out, res = _site(tmp_path, {**specs, "fine": {**OK, "title": "Training data (v2)"}})
    assert _refused(res, "calc") == "transform[].calculate calls data(), which puts a whole data set in the page " \
                                    "in each row (flattened, rows times rows)"
    assert _refused(res, "param").startswith("params[].expr calls data()")
    assert not [w for w in res.warnings if "media fine " in w]
    _page_draws_two_charts(site_browser, out)


def test_transforms_that_multiply_rows_are_bounded(tmp_path, site_browser):
    """A 300-field ``fold`` over 3,000 logged rows (900,000 points) hung the tab for half a minute;
    ``{"quantile": "a", "step": 1e-8}`` or a million ``density`` steps over two rows hung it for
    good. Transforms that make more than 200,000 rows (or a loess of rows times rows beyond 2e8
    steps) are refused; a density per class of 3,000 rows draws."""
    rows = [{"a": i, "g": i % 3} for i in range(3000)]
    two = {**OK, "data": {"values": rows[:2]}, "encoding": {"x": {"field": "value", "type": "quantitative"}}}
    specs = {
        "fold": {**OK, "data": {"values": rows}, "transform": [{"fold": [f"f{i}" for i in range(300)]}]},
        "quantile": {**two, "transform": [{"quantile": "a", "step": 1e-8}]},
        "density": {**two, "transform": [{"density": "a", "steps": 1_000_000}]},
        "loess": {**OK, "data": {"values": [{"a": i, "y": i % 7} for i in range(60_000)]},
                  "transform": [{"loess": "y", "on": "a", "bandwidth": 1}]},
    }
    fine = {**OK, "data": {"values": rows}, "transform": [{"density": "a", "groupby": ["g"]}],
            "mark": "line", "encoding": {"x": {"field": "value", "type": "quantitative"},
                                         "y": {"field": "density", "type": "quantitative"},
                                         "color": {"field": "g", "type": "nominal"}}}
    out, res = _site(tmp_path, {**specs, "fine": fine})
    assert _refused(res, "fold") == "transform[0]: the transforms make 900,000 rows in the page, more than 200,000"
    assert _refused(res, "quantile").startswith("transform[0]: the transforms make 100,000,000 rows")
    assert _refused(res, "density").startswith("transform[0]: the transforms make 1,000,000 rows")
    assert _refused(res, "loess") == "transform[0]: a loess over 60,000 rows, 3.6e+09 steps in the page (at most 2e+08)"
    assert not [w for w in res.warnings if "media fine " in w]
    _page_draws_two_charts(site_browser, out)


def test_a_cursor_cannot_load_from_outside(tmp_path, site_browser):
    """Vega sets a mark's ``cursor`` as the chart's CSS cursor: ``"url(https://...), auto"`` in a
    logged spec made the browser fetch that address as soon as a reader pointed at a mark. A
    ``cursor`` that is not a CSS keyword is removed with a warning; ``"pointer"`` stays."""
    rows = [{"a": i, "b": i} for i in range(30)]
    enc = {"x": {"field": "a", "type": "quantitative"}, "y": {"field": "b", "type": "quantitative"}}
    evil = {"data": {"values": rows}, "encoding": enc,
            "mark": {"type": "square", "size": 20_000, "cursor": "url(https://evil.example/c.png), auto"},
            "config": {"mark": {"cursor": {"expr": "'url(https://evil.example/e.png), auto'"}}}}
    fine = {"data": {"values": rows}, "encoding": enc, "mark": {"type": "square", "size": 20_000, "cursor": "pointer"}}
    out, res = _site(tmp_path, {"evil": evil, "fine": fine})
    assert "run a: media evil (step 0): removed from the Vega-Lite spec (it may not reach outside the site): " \
           "config.mark.cursor, mark.cursor" in res.warnings
    assert not [w for w in res.warnings if "media fine " in w]
    page = site_browser.open(out / "runs/a/index.html")
    _wait_drawn(page, 3)
    for el in page.locator(".rgp-vega canvas").all():  # point at every mark: nothing is fetched
        el.scroll_into_view_if_needed()
        box = el.bounding_box()
        for i in range(12):
            page.mouse.move(box["x"] + box["width"] * (i + 0.5) / 12, box["y"] + box["height"] * (1 - (i + 0.5) / 12))
    page.wait_for_timeout(300)
    cursors = page.evaluate("() => Array.from(document.querySelectorAll('.rgp-vega')).map(e => e.style.cursor)")
    assert not [c for c in cursors if "url" in c]


def test_a_tooltip_image_is_shown_as_text(tmp_path, site_browser):
    """vega-tooltip shows a tooltip object's ``image`` as ``<img src=...>``: a logged chart with a
    tooltip field titled "image", ``{"content": "data"}`` over a column "image", or a tooltip
    expression building one made the page fetch that address as soon as a reader pointed at a
    mark (run pages and reports). The tooltip shows it as a row of text; the rest is as before."""
    enc = {"x": {"field": "a", "type": "quantitative"}, "y": {"field": "a", "type": "quantitative"}}
    rows = [{"a": i, "u": f"https://evil.example/t{i}.png", "image": "https://evil.example/d.png"} for i in range(3)]
    specs = {
        "titled": {"data": {"values": rows}, "mark": {"type": "square", "size": 20_000},
                   "encoding": {**enc, "tooltip": [{"field": "u", "title": "image"}, {"field": "a"}]}},
        "data": {"data": {"values": rows}, "encoding": enc,
                 "mark": {"type": "square", "size": 20_000, "tooltip": {"content": "data"}}},
        "expr": {"data": {"values": rows}, "encoding": enc,
                 "mark": {"type": "square", "size": 20_000,
                          "tooltip": {"expr": "{'title': 'T', 'image': 'https://evil.example/e.png'}"}}},
    }
    report = '# R\n\n{{< custom key="titled" run="a" >}}\n'
    out, res = _site(tmp_path, specs, report)
    shown = set()
    for page_path, n in ((out / "runs/a/index.html", 4), (out / "reports/r.html", 1)):
        page = site_browser.open(page_path)
        if n == 4:
            _wait_drawn(page, n)
        else:
            page.wait_for_function("() => document.querySelector('.rg-vega[data-rendered=done] canvas')", timeout=8000)
        for el in page.locator(".rgp-vega canvas, .rg-vega canvas").all():  # point at every mark
            el.scroll_into_view_if_needed()
            box = el.bounding_box()
            for i in range(12):
                page.mouse.move(box["x"] + box["width"] * (i + 0.5) / 12, box["y"] + box["height"] * (1 - (i + 0.5) / 12))
                page.wait_for_timeout(20)
                html = page.evaluate("() => { const e = document.getElementById('vg-tooltip-element');"
                                     " return e && e.classList.contains('visible') ? e.innerHTML : ''; }")
                if html:
                    shown.add(html)
        page.wait_for_timeout(300)
    assert not site_browser.problems.external_requests
    assert not [h for h in shown if "<img" in h]
    assert [h for h in shown if '<td class="key">image</td><td class="value">https://evil.example/t1.png' in h]
    assert [h for h in shown if h.startswith("<h2>T</h2>") and "evil.example/e.png" in h]


def test_a_binding_stays_with_its_chart(tmp_path, site_browser):
    """A param's ``bind.element`` is a CSS selector of where Vega puts the input: ``"body"`` (or
    the site's own header) put a logged chart's slider anywhere in the page. It is removed with a
    warning; the input is drawn under its chart."""
    spec = {**OK, "params": [{"name": "p", "value": 1, "bind": {"input": "range", "min": 0, "max": 5, "element": "body"}}]}
    out, res = _site(tmp_path, {"bound": spec})
    assert "run a: media bound (step 0): removed from the Vega-Lite spec (it may not reach outside the site): " \
           "params[].bind.element" in res.warnings
    page = site_browser.open(out / "runs/a/index.html")
    _wait_drawn(page, 2)
    assert page.evaluate("() => Array.from(document.querySelectorAll('input[name=p]')).map("
                         "i => !!i.closest('.rgp-vega'))") == [True]


def test_titles_and_text_are_not_expressions(tmp_path, site_browser):
    """A title, a description or a mark's text is a literal string the page never runs: a title
    reading ``pad(x)`` or ``/(a+)+$/`` was refused as if it were an expression (the chart was
    lost). Such text draws; the same words in an expression (a ``labelExpr``, a title's
    ``{"expr": ...}``) are still refused."""
    quote = "x\"] + pad('a', 1e9) + ['/(a+)+$/"  # written into VL's tooltip signal, quoted there
    fine = {**OK, "title": {"text": "loss: pad(x) vs sequence(1, 3)", "subtitle": ["/(a+)+$/ a/b", "format(x, '0999d')"]},
            "description": "regexp('(a|aa)+$') and data('x')",
            "mark": {"type": "point", "tooltip": True},
            "encoding": {"x": {"field": "a", "type": "quantitative", "title": quote},
                         "y": {"field": "s", "type": "nominal", "axis": {"title": "pad(y, 9)"}}}}
    text = {**OK, "mark": {"type": "text", "text": "pad(x)"}, "encoding": {
        "x": {"field": "a", "type": "quantitative"}, "color": {"value": "sequence(0, 1e9)"}}}
    specs = {"label": {**OK, "encoding": {"x": {"field": "a", "type": "quantitative",
                                                "axis": {"labelExpr": "pad(datum.label, 1e9)"}}}},
             "titleexpr": {**OK, "title": {"text": {"expr": "pad('a', 1e9)"}}}}
    out, res = _site(tmp_path, {**specs, "fine": fine, "text": text})
    assert _refused(res, "label").startswith("encoding.x.axis.labelExpr calls pad()")
    assert _refused(res, "titleexpr").startswith("title.text.expr calls pad()")
    assert not [w for w in res.warnings if "media fine " in w or "media text " in w]
    page = site_browser.open(out / "runs/a/index.html")
    _wait_drawn(page, 3)
    for el in page.locator(".rgp-vega canvas").all():  # the tooltips hold the titles
        el.scroll_into_view_if_needed()
        box = el.bounding_box()
        for i in range(8):
            page.mouse.move(box["x"] + box["width"] * (i + 0.5) / 8, box["y"] + box["height"] / 2)
    page.wait_for_function("() => true", timeout=3000)


_BIN_STEPS = """() => Array.from(document.querySelectorAll('.rgp-vega')).map(el => {
  const steps = [];  // the bin width of each bar: end - start of its datum's bin fields
  const walk = (node) => {
    if (node.marktype === 'rect' && node.role === 'mark') node.items.forEach(it => {
      const d = it.datum, k = Object.keys(d).find(k => k.startsWith('bin_') && !k.endsWith('_end'));
      if (k && (k + '_end') in d) steps.push(d[k + '_end'] - d[k]);
    });
    (node.items || []).forEach(walk);
  };
  walk(el._rgpView.scenegraph().root);
  return steps.length ? Math.min(...steps) : null;
})"""


def test_bins_over_the_data_range_are_bounded(tmp_path, site_browser):
    """``{"bin": {"step": 1e-3}}`` over logged values from 0 to 1e6 hung the tab for 30 s and broke
    the chart (a billion bins); so did ``steps: [1e-3]``, a binned field's step and a scale's
    ``bins`` over the data's range. A bin step is kept when it makes at most 10,000 bins over the
    data (a step of 0.5 over 0..10 stays 0.5), else Vega takes a wider one; a binned or scale-bins
    step is counted over the scale's domain or the inline data, and refused beyond 10,000 or when
    the page alone knows the range."""
    wide = [{"a": 0.0, "b": 1e6}, {"a": 5.0, "b": 6.0}, {"a": 1e6, "b": 1e6}]
    hist = lambda rows, bin_: {"data": {"values": rows}, "mark": "bar", "encoding": {  # noqa: E731
        "x": {"field": "a", "type": "quantitative", "bin": bin_}, "y": {"aggregate": "count"}}}
    binned = lambda rows, step: {"data": {"values": rows}, "mark": "bar", "encoding": {  # noqa: E731
        "x": {"field": "a", "type": "quantitative", "bin": {"binned": True, "step": step}}, "x2": {"field": "b"}}}
    scale = lambda rows, sc: {"data": {"values": rows}, "mark": "point", "transform": [  # noqa: E731
        {"calculate": "datum.a", "as": "c"}], "encoding": {"x": {"field": "c", "type": "quantitative", "scale": sc}}}
    specs = {"binned": binned(wide, 1e-3), "scale": scale(wide, {"bins": {"step": 1e-3}}),
             "scaledomain": scale(wide, {"domain": [0, 1e6], "bins": {"step": 1e-3}})}
    fine = {"wide": hist(wide, {"step": 1e-3}), "steps": hist(wide, {"steps": [1e-3]}),
            "fine": hist([{"a": x / 4} for x in range(41)], {"step": 0.5}),
            "binnedfine": binned([{"a": 0, "b": 0.5}, {"a": 0.5, "b": 1}], 0.5),
            "scalefine": scale(wide, {"domain": [0, 1e6], "bins": {"step": 1e5}})}
    out, res = _site(tmp_path, {**specs, **fine})
    assert _refused(res, "binned") == "encoding.x.bin makes 1e+09 bins (step 0.001 over a range of 1e+06), " \
                                      "more than 10,000"
    assert _refused(res, "scale") == "encoding.x.scale.bins.step 0.001 is counted over the data's range, known " \
                                     "only in the page (give the scale a literal domain)"
    assert _refused(res, "scaledomain").startswith("encoding.x.scale.bins makes 1e+09 bins")
    assert not [w for w in res.warnings if any(f"media {k} " in w for k in fine)]
    page = site_browser.open(out / "runs/a/index.html")
    _wait_drawn(page, 6, timeout=20_000)
    page.wait_for_function("() => true", timeout=3000)
    steps = page.evaluate(_BIN_STEPS)  # OK, wide, steps, fine, binnedfine, scalefine, in the page's order
    by_key = dict(zip(page.evaluate("() => Array.from(document.querySelectorAll('.rgp-vega')).map("
                                    "el => el.closest('.rgp-panel').querySelector('.rgp-title').textContent)"), steps))
    assert by_key["fine"] == 0.5, by_key  # the step it asked for
    for key in ("wide", "steps"):  # 1e6 over at most 10,000 bins
        assert 1e6 / by_key[key] <= 10_000, by_key


def test_impute_counts_a_row_per_group_and_key(tmp_path, site_browser):
    """``impute`` makes a row for each group and each key: grouped by a field with a value per row
    over 3,000 logged rows that is 9 million rows. An encoding's ``impute`` (grouped by the colour
    field) hung the tab for 84 s, an impute transform for good; keyvals from 0 to 1e6 per group
    as well. They are refused; a line per class of 3,000 rows with gaps filled draws."""
    rows = [{"x": i, "g": i, "y": 1} for i in range(3000)]
    line = lambda rows: {"data": {"values": rows}, "mark": "line", "encoding": {  # noqa: E731
        "x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative", "impute": {"value": 0}},
        "color": {"field": "g", "type": "nominal", "legend": None}}}
    specs = {"enc": line(rows),
             "tr": {**OK, "data": {"values": rows}, "transform": [{"impute": "y", "key": "x", "groupby": ["g"], "value": 0}]},
             "keyvals": {**OK, "data": {"values": rows[:2]}, "transform": [
                 {"impute": "y", "key": "x", "groupby": ["g"], "keyvals": {"start": 0, "stop": 1e6}}]}}
    fine = line([{"x": i, "g": i % 3, "y": i % 7} for i in range(3000) if i % 5])
    out, res = _site(tmp_path, {**specs, "fine": fine})
    assert _refused(res, "enc") == "encoding.y.impute: makes 9,003,000 rows in the page, more than 200,000"
    assert _refused(res, "tr") == "transform[0]: the transforms make 9,003,000 rows in the page, more than 200,000"
    assert _refused(res, "keyvals").startswith("transform[0]: the transforms make 2,000,006 rows")
    assert not [w for w in res.warnings if "media fine " in w]
    _page_draws_two_charts(site_browser, out)


def test_inline_data_of_a_million_rows_is_refused(tmp_path, site_browser):
    """A logged chart of a million inline points took the tab a minute to draw (a line of 100,000
    points 25 s). A spec whose inline data (``data.values`` and ``datasets``, all views together)
    has more than 20,000 rows is refused with a warning naming the key; 10,000 points draw."""
    rows = [{"a": i, "b": (i * 7919) % 1000} for i in range(1_000_000)]
    enc = {"x": {"field": "a", "type": "quantitative"}, "y": {"field": "b", "type": "quantitative"}}
    specs = {"big": {"data": {"values": rows}, "mark": "point", "encoding": enc},
             "layers": {"datasets": {"d": rows[:15_000]}, "layer": [
                 {"data": {"name": "d"}, "mark": "point", "encoding": enc},
                 {"data": {"values": rows[:15_000]}, "mark": "line", "encoding": enc}]}}
    fine = {"data": {"values": rows[:10_000]}, "mark": "point", "encoding": enc}
    out, res = _site(tmp_path, {**specs, "fine": fine})
    assert _refused(res, "big") == "its inline data has 1,000,000 rows, more than the 20,000 a chart in the page draws"
    assert _refused(res, "layers").startswith("its inline data has 30,000 rows")
    assert not [w for w in res.warnings if "media fine " in w]
    _page_draws_two_charts(site_browser, out)


def test_line_and_paragraph_separators_in_text_draw(tmp_path, site_browser):
    """Vega-Lite writes a tooltip's titles, field names and filter literals into Vega expressions as
    JSON, where U+2028/U+2029 are line breaks inside a string: a logged chart whose tooltip title
    read "tip\\u2028x" (or a plot_table column, a field, an ``equal`` holding one) failed to draw
    ("Expression parse error") on the run page and in reports. They are drawn as spaces; the
    field, the filter and the rows still agree."""
    import reportgen
    from reportgen.media.figures import VegaLite

    L, P = "\u2028", "\u2029"
    rows = [{"a" + L + "z": 1, "s": "x" + L + "y"}, {"a" + L + "z": 2, "s": "y"}]
    x = {"field": "a" + L + "z", "type": "quantitative"}
    tip = {"data": {"values": rows}, "mark": {"type": "square", "size": 20_000},
           "encoding": {"x": {**x, "title": "a" + L + "b" + L + "c"}, "y": {"field": "s", "type": "nominal"},
                        "tooltip": [{"field": "a" + L + "z", "title": "tip" + L + "x" + P},
                                    {"field": "s", "title": "t" + P + "y"}]}}
    eq = {"data": {"values": rows}, "mark": "point", "encoding": {"x": x},
          "transform": [{"filter": {"field": "s", "equal": "x" + L + "y"}}]}
    runs = tmp_path / "runs"
    run = reportgen.init(dir=runs, id="a", name="a", project="p")
    table = reportgen.Table(columns=["x" + L, "y"], data=[[1, 2], [2, 3], [3, 1]])
    run.log({"tip": VegaLite(tip), "eq": VegaLite(eq),
             "line": reportgen.plot.line(table, "x" + L, "y", title="line" + P)})
    run.finish()
    (runs / "reports").mkdir()
    (runs / "reports" / "r.md").write_text('# R\n\n{{< custom key="tip" run="a" >}}\n')
    out = tmp_path / "site"
    build(BuildConfig(runs=runs, out=out, quiet=True))

    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.rgp-vega').forEach(el => el.scrollIntoView());
                   const els = document.querySelectorAll('.rgp-vega');
                   return els.length === 3 && Array.from(els).every(el => el.dataset.rendered); }""", timeout=8000)
    states = page.evaluate("() => Array.from(document.querySelectorAll('.rgp-vega')).map("
                           "el => [el.dataset.rendered, el.textContent.slice(0, 300)])")
    assert [s for s, _ in states] == ["done"] * 3, states
    marks = page.evaluate("""() => Array.from(document.querySelectorAll('.rgp-vega')).map(el => {
        let n = 0;
        const walk = (node) => { if (node.marktype === 'symbol' && node.role === 'mark') n += node.items.length;
                                 (node.items || []).forEach(walk); };
        walk(el._rgpView.scenegraph().root);
        return n; })""")
    assert 1 in marks  # the filter still matches its row
    shown = set()
    for el in page.locator(".rgp-vega canvas").all():  # point at every mark: the tooltip shows the titles
        el.scroll_into_view_if_needed()
        box = el.bounding_box()
        for i in range(12):
            for j in (0.25, 0.75):
                page.mouse.move(box["x"] + box["width"] * (i + 0.5) / 12, box["y"] + box["height"] * j)
                html = page.evaluate("() => { const e = document.getElementById('vg-tooltip-element');"
                                     " return e && e.classList.contains('visible') ? e.innerHTML : ''; }")
                if html:
                    shown.add(html)
    assert [h for h in shown if "tip x " in h and "t y" in h], shown

    page = site_browser.open(out / "reports/r.html")
    page.wait_for_function("() => { const el = document.querySelector('.rg-vega');"
                           " return el && ['done', 'error'].includes(el.dataset.rendered); }", timeout=8000)
    assert page.evaluate("() => document.querySelector('.rg-vega').dataset.rendered") == "done"
