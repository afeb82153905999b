"""Markdown reports built from real runs (the example script, SDK-logged) and opened in Chromium."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from browser import assert_charts_rendered, point_at_chart
from conftest import REPO, run_cli

pytestmark = pytest.mark.browser

HOSTILE = """---
title: <script>window.__pwned = 1</script>Hostile & "quoted"
description: <img src=x onerror="window.__pwned = 2">
---
# Hostile <em>report</em>

<script>window.__pwned = 3</script>
<img src="x" onerror="window.__pwned = 4">
<a id="js1" href="javascript:window.__pwned = 5">link 1</a>
<a id="js2" href=" JaVa&#x09;ScRiPt:window.__pwned = 6">link 2</a>
<div id="clicky" onclick="window.__pwned = 7">click me</div>
<svg onload="window.__pwned = 8"><circle r="4"/></svg>
<iframe src="javascript:window.__pwned = 9"></iframe>
<style>body { display: none }</style>

[md link](javascript:window.__pwned=10)

<div class="rg-chart" id="fake" data-chart="x" data-src="../evil.js">fake chart</div>
<object data="x.swf"></object><form action="javascript:x"><button id="btn">b</button></form>

Value: {{< value run="mlp-h16-lr0.1" key="x<script>window.__pwned=11</script>" >}}
"""

MISSING = """---
title: Broken references
---
{{< chart metric="does/not/exist" >}}

{{< runs runs="nobody-*" >}}

{{< media key="predictions" run="mlp-h16-lr0.1" step="9999" >}}

{{< custom key="nothing" run="mlp-h16-lr0.1" >}}

Inline: {{< value run="ghost" key="best_val_accuracy" >}} and {{< value key="best_val_accuracy" >}}.

{{< bogus x="1" >}}

{{< chart metric="val/loss" colour="red" >}}
"""

LINKED = """# Links and pictures

See [the table](iris-sweep.md#all-runs), [a missing report](nothere.md) and [the web](https://example.org).

![the diagram](figs/diagram.png)

![{{< value key="best_val_accuracy" agg="max" >}}](figs/diagram.png)

![outside](../runs/h16-lr0p1/run.json)
"""

KINDS = """---
title: Other media kinds
runs: mlp-h4-lr0.1
---
{{< media key="samples" >}}

{{< media key="sound" step="100" >}}

{{< media key="page" >}}

{{< media key="clip" >}}

{{< custom key="pr_curve" title="PR curve" >}}
"""

PR_TEMPLATE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "title": "${string:title}",
    "data": {"name": "wandb"},
    "mark": {"type": "line", "point": True},
    "encoding": {"x": {"field": "${field:x}", "type": "quantitative"},
                 "y": {"field": "${field:y}", "type": "quantitative"}},
}


def _add_more_media(run_dir: Path) -> None:
    """Records of other kinds, written with the storage helpers exactly as docs/media-format.md says."""
    import io
    import json
    import wave

    from reportgen.media.base import MediaContext
    from reportgen.storage.jsonio import read_json, write_json_atomic
    from reportgen.storage.writer import RunWriter

    ctx = lambda key, step: MediaContext(run_dir, key, step)  # noqa: E731
    table = json.dumps({"columns": ["id", "label", "score"],
                        "data": [[i, f"<b>item {i}</b>", i / 10] for i in range(5)]}).encode()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
        w.writeframes((np.sin(np.arange(4000) * 0.2) * 8000).astype("<i2").tobytes())
    html = b"<html><body><h1 id='hello'>Hello from a logged page</h1></body></html>"
    from PIL import Image
    frames = [Image.new("RGB", (32, 24), (40 * i, 90, 200 - 40 * i)) for i in range(5)]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    row = {"_step": 100,
           "samples": {"_type": "table", "path": ctx("samples", 100).write_bytes("tables", "json", table),
                       "columns": ["id", "label", "score"], "nrows": 5},
           "sound": {"_type": "audio", "path": ctx("sound", 100).write_bytes("audio", "wav", buf.getvalue()),
                     "sample_rate": 8000, "channels": 1, "duration": 0.5, "caption": "a tone"},
           "page": {"_type": "html", "path": ctx("page", 100).write_bytes("html", "html", html), "inject": False},
           "clip": {"_type": "video", "path": ctx("clip", 100).write_bytes("videos", "gif", gif.getvalue()),
                    "format": "gif", "fps": 5, "width": 32, "height": 24, "frames": 5}}
    writer = RunWriter(run_dir)
    writer.append_row(row)
    writer.close()
    points = json.dumps({"columns": ["recall", "precision"],
                         "data": [[r, 1 - r * r / 2] for r in np.linspace(0, 1, 11).tolist()]}).encode()
    summary = read_json(run_dir / "summary.json")
    summary["pr_curve"] = {
        "_type": "custom_chart", "preset": "line",
        "spec": ctx("pr_curve", None).write_bytes("charts", "json", json.dumps(PR_TEMPLATE).encode()),
        "table": ctx("pr_curve", None).write_bytes("tables", "json", points),
        "fields": {"x": "recall", "y": "precision"}, "string_fields": {"title": "Precision vs recall"}}
    write_json_atomic(run_dir / "summary.json", summary)


@pytest.fixture(scope="session")
def report_site(tmp_path_factory) -> SimpleNamespace:
    base = tmp_path_factory.mktemp("reports")
    runs = base / "runs"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, str(REPO / "examples" / "train_example.py"), "--dir", str(runs),
                    "--epochs", "12"], check=True, env=env, capture_output=True, timeout=120)
    reports = base / "reports"
    shutil.copytree(REPO / "examples" / "reports", reports)
    (reports / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    (reports / "missing.md").write_text(MISSING, encoding="utf-8")
    (reports / "figs").mkdir()
    from PIL import Image
    Image.new("RGB", (40, 20), (200, 30, 30)).save(reports / "figs" / "diagram.png")
    (reports / "linked.md").write_text(LINKED, encoding="utf-8")
    _add_more_media(runs / "h4-lr0p1")
    (reports / "kinds.md").write_text(KINDS, encoding="utf-8")
    site = base / "site"
    proc = run_cli("build", str(runs), "--reports", str(reports), "-o", str(site))
    return SimpleNamespace(base=base, runs=runs, reports=reports, site=site, stderr=proc.stderr)


def _warnings_for(stderr: str, report: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"warning: report {report}:")]


def _render_custom(page, timeout: float = 20_000) -> int:
    els = page.locator(".rg-vega")
    for i in range(els.count()):
        els.nth(i).scroll_into_view_if_needed()
    page.wait_for_function("() => Array.from(document.querySelectorAll('.rg-vega'))"
                           ".every(el => el.dataset.rendered === 'done' || el.dataset.rendered === 'error')",
                           timeout=timeout)
    assert_charts_rendered(page, selector=".rg-vega")
    return els.count()


def test_example_report_renders_every_panel(report_site, site_browser):
    assert _warnings_for(report_site.stderr, "iris-sweep.md") == []
    page = site_browser.open(report_site.site / "reports" / "iris-sweep.html")
    assert page.locator(".rg-missing").count() == 0
    assert page.locator(".rg-report-head h1").inner_text() == "Iris MLP — learning-rate sweep"
    # chart directives: val/loss for the lr-sweep tag (3 runs), */accuracy -> 2 charts
    assert_charts_rendered(page, 3)
    assert page.locator(".rg-chart[data-key='val/loss']").get_attribute("data-runs") == \
        '["h16-lr0p3", "h16-lr0p1", "h16-lr0p03"]'
    # custom chart (wandb.plot.confusion_matrix: a custom_chart record)
    assert _render_custom(page) == 1
    # runs table: 4 runs sorted by best_val_accuracy, descending, names link to run pages
    rows = page.locator(".rg-report-runs tbody tr")
    assert rows.count() == 4
    scores = [float(rows.nth(i).locator("td").nth(3).inner_text()) for i in range(4)]
    assert scores == sorted(scores, reverse=True)
    href = rows.first.locator("a").get_attribute("href")
    assert href.startswith("../runs/") and (report_site.site / "reports" / href).resolve().is_file()
    # inline values
    values = page.locator(".rg-value").all_inner_texts()
    assert len(values) == 2 and all(v.endswith("%") for v in values)
    # media: step 0 of one run + last step of the three 16-unit runs, images really loaded
    items = page.locator(".rg-media-item")
    assert items.count() == 5
    assert "step 0" in items.first.inner_text() and "step 11" in items.nth(1).inner_text()
    # the wandb.Table of misclassified flowers (logged after the last epoch)
    errors = page.locator(".rg-media-item[data-kind=table]")
    assert errors.count() == 1 and "val_errors" in errors.inner_text()
    assert errors.locator("thead th").all_inner_texts()[-2:] == ["actual", "predicted"]
    imgs = page.locator(".rg-media-item img")
    for i in range(imgs.count()):
        imgs.nth(i).scroll_into_view_if_needed()
    page.wait_for_function("() => Array.from(document.querySelectorAll('.rg-media-item img'))"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=10_000)
    assert imgs.count() == 4


def test_index_lists_reports(report_site, site_browser):
    page = site_browser.open(report_site.site / "index.html")
    links = page.locator(".rg-reports a")
    hrefs = sorted(links.nth(i).get_attribute("href") for i in range(links.count()))
    assert hrefs == ["reports/hostile.html", "reports/iris-sweep.html", "reports/kinds.html",
                     "reports/linked.html", "reports/missing.html"]
    assert "How the learning rate" in page.locator(".rg-reports").inner_text()


def test_missing_references_warn_and_show_placeholders(report_site, site_browser):
    warnings = _warnings_for(report_site.stderr, "missing.md")
    text = "\n".join(warnings)
    for needle in ["line 4: chart: no metric matches does/not/exist", 'line 6: runs: no run matches runs="nobody-*"',
                   "line 8: media: run h16-lr0p1: 'predictions' has no entry at step 9999",
                   "line 10: custom: run h16-lr0p1: 'nothing' was never logged",
                   'line 12: value: no run matches runs="ghost"', "matches 4 runs; choose one run or add agg",
                   "line 14: unknown directive 'bogus'", "line 16: chart: unknown attribute(s) colour"]:
        assert needle in text, f"{needle!r} not in:\n{text}"
    page = site_browser.open(report_site.site / "reports" / "missing.html")
    assert page.locator("div.rg-missing").count() == 5  # chart, runs, media, custom, bogus
    assert page.locator("span.rg-missing").count() == 2  # the two inline values
    assert "does/not/exist" in page.locator("div.rg-missing").first.inner_text()
    assert page.locator(".rg-report-head .rg-warning li").count() == len(warnings)
    assert_charts_rendered(page, 1)  # the last chart still renders despite its unknown attribute


def test_strict_build_fails_on_report_warnings(report_site, tmp_path):
    shutil.copytree(report_site.site / "assets", tmp_path / "site" / "assets")  # skip re-bundling Vega
    proc = run_cli("build", str(report_site.runs), "--reports", str(report_site.reports), "-o",
                   str(tmp_path / "site"), "--strict", "-q", check=False)
    assert proc.returncode == 1
    assert (tmp_path / "site" / "reports" / "missing.html").is_file()


def test_hostile_markdown_is_neutralised(report_site, site_browser):
    html = (report_site.site / "reports" / "hostile.html").read_text(encoding="utf-8")
    body = html.split('<div class="rg-report-body">', 1)[1].split("</article>", 1)[0]
    for bad in ["<script>", "onerror", "onclick", "onload", "javascript:", "<iframe", "<style", "<svg",
                "<object", "<form", 'class="rg-chart"', "evil.js"]:
        assert bad.lower() not in body.lower(), bad
    page = site_browser.open(report_site.site / "reports" / "hostile.html")
    for sel in ["#js1", "#js2", "#clicky"]:
        page.click(sel)
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    # the title is shown as text, escaped
    assert page.locator(".rg-report-head h1").inner_text() == '<script>window.__pwned = 1</script>Hostile & "quoted"'
    assert page.locator("main script:not(.rg-spec)").count() == 0
    warnings = "\n".join(_warnings_for(report_site.stderr, "hostile.md"))
    assert "raw HTML removed by the sanitiser" in warnings and "<script> element" in warnings


def _download(page, button):
    with page.expect_download() as info:
        button.click()
    d = info.value
    return d.suggested_filename, Path(d.path()).read_bytes()


def test_download_buttons_png_svg_csv(report_site, site_browser):
    page = site_browser.open(report_site.site / "reports" / "iris-sweep.html")
    assert_charts_rendered(page, 3)
    _render_custom(page)
    chart = page.locator(".rg-chart[data-key='val/loss']")
    chart.scroll_into_view_if_needed()
    name, data = _download(page, chart.locator("button[data-action=png]"))
    assert name == "val-loss.png" and data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000
    name, data = _download(page, chart.locator("button[data-action=svg]"))
    assert name == "val-loss.svg" and b"<svg" in data[:400] and b"<path" in data
    name, data = _download(page, chart.locator("button[data-action=csv]"))
    lines = data.decode().strip().splitlines()
    assert name == "val-loss.csv" and lines[0] == "run,step,value"
    assert len(lines) == 1 + 3 * 12 and {line.split(",")[0] for line in lines[1:]} == \
        {"mlp-h16-lr0.3", "mlp-h16-lr0.1", "mlp-h16-lr0.03"}
    custom = page.locator(".rg-vega").first
    name, data = _download(page, custom.locator("button[data-action=csv]"))
    lines = data.decode().strip().splitlines()
    # wandb.plot.confusion_matrix: one row per (actual, predicted) pair of the 3 classes
    assert lines[0] == "Actual,Predicted,nPredictions" and len(lines) == 1 + 9
    name, data = _download(page, custom.locator("button[data-action=png]"))
    assert data.startswith(b"\x89PNG")


def test_every_chart_on_run_and_index_pages_has_download_buttons(report_site, site_browser):
    for target in [report_site.site / "index.html", report_site.site / "runs" / "h16-lr0p1" / "index.html"]:
        page = site_browser.open(target)
        n = assert_charts_rendered(page)
        assert n > 0
        enabled = page.locator(".rg-chart > .rg-chart-actions button[data-action]:not([disabled])")
        assert enabled.count() == 3 * n
    name, data = _download(page, page.locator(".rg-chart button[data-action=csv]").first)
    assert name.endswith(".csv") and data.decode().startswith("run,step,value\n")


def test_site_works_under_a_project_sub_path(report_site, _playwright_browser):
    """GitHub Pages serves project sites at /<repo>/: relative links need no base URL."""
    import functools
    import http.server
    import threading

    from browser import ALLOWED_SCHEMES, SiteBrowser

    root = report_site.base / "pages"
    shutil.copytree(report_site.site, root / "my-repo", dirs_exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *a, **k: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    prefix = f"http://127.0.0.1:{server.server_address[1]}/my-repo/"
    sb = SiteBrowser(_playwright_browser, allowed_prefixes=ALLOWED_SCHEMES + (prefix,))
    try:
        page = sb.open(prefix + "index.html")
        page.click(".rg-reports a[href='reports/iris-sweep.html']")
        page.wait_for_load_state("load")
        assert page.url == prefix + "reports/iris-sweep.html"
        assert_charts_rendered(page, 3)
        page.locator(".rg-report-runs a").first.click()
        page.wait_for_load_state("load")
        assert page.url.startswith(prefix + "runs/")
        assert sb.problems.all() == []
    finally:
        sb.close()
        server.shutdown()


def test_links_between_reports_and_local_images(report_site, site_browser):
    page = site_browser.open(report_site.site / "reports" / "linked.html")
    links = page.locator(".rg-report-body a")
    assert [links.nth(i).get_attribute("href") for i in range(3)] == \
        ["iris-sweep.html#all-runs", "nothere.md", "https://example.org"]
    imgs = page.locator(".rg-report-body img")
    assert imgs.count() == 2  # the file outside the reports folder is not copied
    assert imgs.first.get_attribute("src") == "files/figs/diagram.png"
    page.wait_for_function("() => Array.from(document.querySelectorAll('.rg-report-body img'))"
                           ".every(i => i.complete && i.naturalWidth === 40)", timeout=10_000)
    # a directive inside alt text is shown as its own text, never as markup in the attribute
    assert imgs.nth(1).get_attribute("alt") == '{{< value key="best_val_accuracy" agg="max" >}}'
    warnings = "\n".join(_warnings_for(report_site.stderr, "linked.md"))
    assert "line 7: value: not in the text of the report" in warnings
    assert "image '../runs/h16-lr0p1/run.json' (outside the reports folder; not published)" in warnings


def test_table_audio_html_and_custom_chart_records(report_site, site_browser):
    assert _warnings_for(report_site.stderr, "kinds.md") == []
    page = site_browser.open(report_site.site / "reports" / "kinds.html")
    table = page.locator(".rg-media-item[data-kind=table] tbody tr")
    assert table.count() == 5
    assert table.first.locator("td").nth(1).inner_text() == "<b>item 0</b>"  # cell text escaped
    audio = page.locator(".rg-media-item audio")
    assert audio.count() == 1
    src = audio.get_attribute("src")
    assert (report_site.site / "reports" / src).resolve().read_bytes()[:4] == b"RIFF"
    frame = page.locator(".rg-media-item iframe")
    assert frame.get_attribute("sandbox") == "allow-scripts"  # opaque origin: never allow-same-origin
    assert frame.get_attribute("src") is None and "Content-Security-Policy" in frame.get_attribute("srcdoc")
    frame.scroll_into_view_if_needed()
    inner = page.frame_locator(".rg-media-item iframe").locator("#hello")
    assert inner.inner_text() == "Hello from a logged page"
    gif = page.locator(".rg-media-item[data-kind=video] img")
    gif.scroll_into_view_if_needed()
    page.wait_for_function("() => { const i = document.querySelector('.rg-media-item[data-kind=video] img');"
                           " return i.complete && i.naturalWidth === 32; }", timeout=10_000)
    assert _render_custom(page) == 1
    name, data = _download(page, page.locator(".rg-vega button[data-action=csv]"))
    lines = data.decode().splitlines()
    assert name == "PR-curve.csv" and lines[0] == "recall,precision" and len(lines) == 12
    spec = page.locator(".rg-vega script.rg-spec").text_content()
    assert '"field":"recall"' in spec and "Precision vs recall" in spec and "${" not in spec


def test_report_charts_follow_the_site_controls(report_site, site_browser):
    """Report charts are drawn by the site's charts.js: x axis and smoothing come from the URL hash."""
    page = site_browser.open((report_site.site / "reports" / "iris-sweep.html").resolve().as_uri() + "#x=epoch&smooth=0.9")
    assert_charts_rendered(page, 3)
    assert page.locator("#rg-x").input_value() == "epoch"
    assert page.locator("#rg-smooth-value").inner_text() == "0.9"
    loaded = page.evaluate("Object.keys(RG.loaded)")
    # these runs are short, kept whole: no smoothing file, the page smooths their points (assets/smooth.js)
    assert any(k.startswith("runs/") for k in loaded) and not any(k.startswith("smooth/") for k in loaded)
    point_at_chart(page, ".rg-chart[data-key='val/loss']")  # the Vega view (lite charts first)
    assert page.evaluate("""() => {
        const rows = RG.views[document.querySelector(".rg-chart[data-key='val/loss']").id].data('rows');
        return rows.some(r => r.s !== null && r.y !== null && Math.abs(r.s - r.y) > 1e-9); }""")
    chart = page.locator(".rg-chart[data-key='val/loss']")
    name, data = _download(page, chart.locator("button[data-action=csv]"))
    assert data.decode().splitlines()[0] == "run,epoch,value,smoothed"


def test_report_is_rebuilt_when_a_run_changes(report_site, tmp_path):
    """Run pages are skipped when unchanged; reports are always re-rendered (they may cite any run)."""
    from reportgen.storage.jsonio import read_json, write_json_atomic

    runs, site = tmp_path / "runs", tmp_path / "site"
    shutil.copytree(report_site.runs, runs)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "one.md").write_text('Best: {{< value run="mlp-h4-lr0.1" key="best_val_accuracy" format=".3f" >}}\n',
                                    encoding="utf-8")
    run_cli("build", str(runs), "--reports", str(reports), "-o", str(site), "-q")
    assert '<span class="rg-value"' in (site / "reports" / "one.html").read_text(encoding="utf-8")
    summary = read_json(runs / "h4-lr0p1" / "summary.json")
    summary["best_val_accuracy"] = 0.123456
    write_json_atomic(runs / "h4-lr0p1" / "summary.json", summary)
    run_cli("build", str(runs), "--reports", str(reports), "-o", str(site), "-q")
    assert ">0.123<" in (site / "reports" / "one.html").read_text(encoding="utf-8")
    (reports / "one.md").unlink()
    run_cli("build", str(runs), "--reports", str(reports), "-o", str(site), "-q")
    assert not (site / "reports" / "one.html").exists()
    assert "rg-reports" not in (site / "index.html").read_text(encoding="utf-8")


def test_media_panel_charts_have_download_buttons(report_site, site_browser):
    """The run page's custom-chart panel (wandb.plot.confusion_matrix) gets PNG/SVG/CSV buttons."""
    page = site_browser.open(report_site.site / "runs" / "h16-lr0p3" / "index.html")
    panel = page.locator(".rgp-panel[data-kind] .rgp-vega").first
    panel.scroll_into_view_if_needed()
    page.wait_for_function("() => { const v = document.querySelector('.rgp-vega');"
                           " return v && v.dataset.rendered === 'done' && v.querySelector('.rg-chart-actions'); }",
                           timeout=20_000)
    name, data = _download(page, panel.locator("button[data-action=csv]"))
    lines = data.decode().strip().splitlines()
    assert name == "confusion_matrix.csv" and lines[0] == "Actual,Predicted,nPredictions" and len(lines) == 10
    name, data = _download(page, panel.locator("button[data-action=svg]"))
    assert b"<svg" in data[:400]


def test_reports_differing_only_in_case_get_distinct_pages(tmp_path):
    """``Notes.md`` and ``notes.md`` used to become ``Notes.html`` and ``notes.html``: one file on a
    case-insensitive disk (macOS, Windows, a zip opened there), so one report replaced the other."""
    runs = tmp_path / "runs"
    runs.mkdir()
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "Notes.md").write_text("# Upper\n", encoding="utf-8")
    (reports / "notes.md").write_text("# lower\n", encoding="utf-8")
    proc = run_cli("build", str(runs), "--reports", str(reports), "-o", str(tmp_path / "site"), check=False)
    assert proc.returncode == 0, proc.stderr
    pages = sorted(p.name for p in (tmp_path / "site" / "reports").glob("*.html"))
    assert len(pages) == 2 and len({p.lower() for p in pages}) == 2, pages
    assert "name clash" in proc.stderr + proc.stdout
