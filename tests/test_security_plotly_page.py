"""Issue 12: a logged plotly figure may not make the run page hang.

plotly.js draws a tick every ``dtick``, a bin every ``xbins.size`` and a contour level every
``contours.size`` over the data's range, without a limit of its own. Each such setting beyond a
limit is removed at build time, with a warning naming the run and key (plotly then chooses its
own); the page stays responsive and draws every figure. Failed before the fix (the tab hung)."""
from __future__ import annotations

import json

from reportgen.site.builder import build
from reportgen.site.config import BuildConfig

LINE = {"type": "scatter", "x": [0, 1], "y": [0, 1]}



def _build_figures(tmp_path, figs: dict, out):
    """Run ``a`` logging each of ``figs`` (key: plotly figure JSON) at step 0, built into ``out``."""
    d = tmp_path / "runs" / "a"
    (d / "media" / "plotly").mkdir(parents=True)
    (d / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    row = {"_step": 0, "loss": 1.0}
    for key, fig in figs.items():
        (d / "media" / "plotly" / f"{key}.json").write_text(json.dumps(fig))
        row[key] = {"_type": "plotly", "path": f"media/plotly/{key}.json"}
    (d / "history.jsonl").write_text(json.dumps(row) + "\n")
    return build(BuildConfig(runs=tmp_path / "runs", out=out, quiet=True))

def test_plotly_ticks_bins_and_contours_are_bounded(tmp_path, site_browser):
    figs = {
        "ticks": {"data": [LINE], "layout": {"xaxis": {"dtick": 1e-9, "tickmode": "linear"}}},
        "bins": {"data": [{"type": "histogram2d", "x": [0, 1], "y": [0, 1],
                           "xbins": {"size": 1e-9}, "ybins": {"size": 1e-9}}]},
        "levels": {"data": [{"type": "contour", "z": [[1, 2], [3, 4]], "autocontour": False,
                             "contours": {"start": 0, "end": 10, "size": 1e-12}}]},
        "fine": {"data": [{"type": "scatter", "x": ["2020-01-01", "2020-03-01"], "y": [0.0, 1.0]}],
                 "layout": {"xaxis": {"dtick": 86_400_000}, "yaxis": {"dtick": 0.1}}},
    }
    out = tmp_path / "site"
    res = _build_figures(tmp_path, figs, out)
    note = "removed from the plotly figure (plotly chooses its own instead): "
    assert f"run a: media ticks (step 0): {note}layout.xaxis.dtick (1e-09: more than 10,000 ticks)" in res.warnings
    assert f"run a: media bins (step 0): {note}data[0].xbins.size (1e-09: more than 10,000 bins); " \
           "data[0].ybins.size (1e-09: more than 10,000 bins)" in res.warnings
    assert f"run a: media levels (step 0): {note}data[0].contours.size (1e-12: more than 1,000 levels)" in res.warnings
    assert not [w for w in res.warnings if "media fine " in w]
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.js-plotly-plot, .rgp-plotly, [data-t="plotly"]').forEach(
                     el => el.scrollIntoView());
                   return document.querySelectorAll('.js-plotly-plot').length === 4; }""", timeout=10_000)
    page.wait_for_timeout(300)
    page.wait_for_function("() => true", timeout=3000)


def test_plotly_buttons_and_minor_ticks_are_bounded(tmp_path, site_browser):
    """A button whose ``relayout`` sets ``{"xaxis.dtick": 1e-12, "xaxis.range": [0, 1e6]}`` froze
    the tab at the click, and a ``minor.dtick`` of 1e-9 froze it at once. What buttons, toggles
    (``args2``), slider steps and animation frames set is bounded like the figure's own settings,
    over the widest range any button sets (a dtick stays when the next button sets a range):
    beyond a limit it is removed, with a warning; buttons setting a sane dtick and range still do."""
    relayout = lambda label, *args: {"label": label, "method": "relayout", "args": list(args)}  # noqa: E731
    line = {"type": "scatter", "x": [0, 1], "y": [0, 1]}
    figs = {"bad": {"data": [line], "layout": {
                "yaxis": {"minor": {"dtick": 1e-9, "ticks": "outside", "showgrid": True}},
                "updatemenus": [{"type": "buttons", "buttons": [
                    relayout("bad", {"xaxis.dtick": 1e-12, "xaxis.range": [0, 1e6]}),
                    relayout("nested", {"xaxis": {"dtick": 1e-9, "range": [0, 1]}}),
                    {"label": "bins", "method": "restyle", "args": [{"xbins.size": [1e-9]}, [0]]}]}],
                "sliders": [{"steps": [{"label": "s", "method": "relayout", "args": ["xaxis.dtick", 1e-9]}]}]}},
            "fine": {"data": [line], "layout": {"updatemenus": [{"type": "buttons", "buttons": [
                relayout("wide", {"xaxis.range": [0, 2]}), relayout("fine", {"xaxis.dtick": 0.25, "xaxis.range": [0, 1]})]}]}}}
    out = tmp_path / "site"
    res = _build_figures(tmp_path, figs, out)
    menu = "layout.updatemenus[0].buttons"
    assert res.warnings == [
        "run a: media bad (step 0): removed from the plotly figure (plotly chooses its own instead): "
        f"layout.yaxis.minor.dtick (1e-09: more than 10,000 ticks); {menu}[0].args 'xaxis.dtick' (1e-12: more than "
        f"10,000 ticks); {menu}[1].args 'xaxis.dtick' (1e-09: more than 10,000 ticks); {menu}[2].args 'xbins.size' "
        "(more than 10,000 bins) ..."]
    page = site_browser.open(out / "runs/a/index.html")
    page.wait_for_function(
        """() => { document.querySelectorAll('.rgp-plotly').forEach(el => el.scrollIntoView());
                   return document.querySelectorAll('.js-plotly-plot').length === 2; }""", timeout=10_000)
    buttons = page.locator(".updatemenu-button")
    labels = [buttons.nth(i).text_content() for i in range(buttons.count())]
    assert sorted(labels) == ["bad", "bins", "fine", "nested", "wide"]
    axes = {}
    for label in ("bad", "nested", "bins", "wide", "fine"):  # each click draws and the page answers
        buttons.nth(labels.index(label)).click(timeout=5000)
        page.wait_for_timeout(200)
        page.wait_for_function("() => true", timeout=3000)
        axes[label] = page.evaluate("""(l) => { const b = Array.from(document.querySelectorAll('.updatemenu-button'))
            .find(e => e.textContent === l), gd = b.closest('.js-plotly-plot'); return [gd.layout.xaxis.dtick || null,
            gd.layout.xaxis.range]; }""", label)
    assert axes["bad"] == [None, [0, 1e6]] and axes["nested"][0] is None and axes["fine"] == [0.25, [0, 1]]
