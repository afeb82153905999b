"""What the wandb-API additions look like on the site, in headless Chromium at 1440 and 390 px:
URL references are links (never fetched), N-d array cells show their shape, an INCREMENTAL
table shows all its rows, a mask of another size covers its image, an empty point cloud and
a glTF 1.0 mesh open in the viewer. No console errors, no request leaves the site folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import reportgen
from reportgen.build.config import BuildConfig
from reportgen.build.site import build
from test_media_api_3d import gltf1

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def api_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("apisite")
    runs = root / "runs"
    run = reportgen.init(project="api", id="api", dir=runs)
    inc = reportgen.Table(columns=["step", "loss"], log_mode="INCREMENTAL")
    for step in range(3):
        inc.add_data(step, 1.0 / (step + 1))
        run.log({"inc": inc}, step=step)
    cells = reportgen.Table(columns=["name", "grid", "emb"])
    cells.add_data("a", np.arange(12.0).reshape(3, 4), np.array([0.5, 1.5]))
    refs = reportgen.Table(columns=["name", "picture"])
    refs.add_data("dog", reportgen.Image("https://example.com/dog.png"))
    refs.add_data("cat", reportgen.Image("https://example.com/cat.png"))
    mask = np.zeros((4, 5), int)
    mask[2:, :] = 1
    pixels = np.full((16, 20, 3), 120, np.uint8)
    run.log({
        "ref": reportgen.Image("https://example.com/cat.png", caption="remote cat"),
        "sound_ref": reportgen.Audio("https://example.com/a.wav"),
        "cells": cells,
        "refs": refs,
        "small_mask": reportgen.Image(pixels, masks={"m": {"mask_data": mask, "class_labels": {1: "ground"}}}),
        "empty_cloud": reportgen.Object3D(np.zeros((0, 3))),
        "mesh_v1": reportgen.Object3D(str(gltf1(root))),
    }, step=3)
    run.finish()
    reports = root / "reports"
    reports.mkdir()
    (reports / "api.md").write_text('---\ntitle: API media\n---\n\n{{< media key="inc" run="api" >}}\n\n'
                                    '{{< media key="ref" run="api" >}}\n', encoding="utf-8")
    build(BuildConfig(runs, root / "site", reports=reports, quiet=True))
    return root / "site"


def test_report_shows_whole_incremental_table_and_names_references(site_browser, api_site):
    page = site_browser.open(api_site / "reports" / "api.html")
    tables = page.locator("table")
    body = page.locator("body").text_content()
    assert "a reference to https://example.com/cat.png" in body
    assert page.locator("a[href='https://example.com/cat.png']").count() == 0  # named, not linked
    rows = [r for r in tables.first.locator("tbody tr").all_text_contents()]
    assert len(rows) == 3 and rows[0].strip().startswith("0") and rows[2].strip().startswith("2")


def panel(page, key: str):
    loc = page.locator(f".rgp-panel:has(.rgp-title:text-is('{key}'))")
    loc.scroll_into_view_if_needed()
    return loc


@pytest.mark.parametrize("width", [1440, 390])
def test_api_media_on_the_run_page(site_browser, api_site, width):
    page = site_browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto((api_site / "runs" / "api" / "index.html").resolve().as_uri())
    page.wait_for_selector(".rgp-root[data-ready='1']")

    link = panel(page, "ref").locator(".rgp-link a")
    assert link.get_attribute("href") == "https://example.com/cat.png"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert "remote cat" in panel(page, "ref").text_content()
    assert panel(page, "sound_ref").locator(".rgp-link a").get_attribute("href") == "https://example.com/a.wav"

    cells = panel(page, "cells")
    cells.locator(".rgp-tensor").first.wait_for()
    assert "shape [3,4]" in cells.locator(".rgp-tensor").first.text_content()
    assert "[0.5,1.5]" in cells.text_content()

    refs = panel(page, "refs")
    refs.locator("tbody tr").first.wait_for()
    assert refs.locator("td .rgp-link a").first.get_attribute("href") == "https://example.com/dog.png"
    refs.locator(".rgp-filter").fill("example.com/cat")  # a reference cell filters by its URL
    page.wait_for_function("(el) => el.querySelectorAll('tbody tr').length === 1", arg=refs.element_handle())
    assert "cat" in refs.locator("tbody tr").first.text_content()

    inc = panel(page, "inc")
    inc.locator("tbody tr").first.wait_for()
    assert inc.locator("tbody tr").count() == 3  # the three increments shown as one table

    sm = panel(page, "small_mask")
    page.wait_for_function(
        "(id) => [...document.querySelectorAll('#' + id + ' .rgp-mask-layer')].some(i => i.complete && i.naturalWidth > 0)",
        arg=sm.get_attribute("id"), timeout=10_000)
    pic = sm.locator(".rgp-picture").first.bounding_box()
    layer = sm.locator(".rgp-mask-layer[data-c='1']").first.bounding_box()  # class 0 starts hidden
    assert abs(pic["width"] - layer["width"]) < 1 and abs(pic["height"] - layer["height"]) < 1

    for key in ("empty_cloud", "mesh_v1"):
        box = panel(page, key).locator(".rgp-3d")
        page.wait_for_function("(el) => el.dataset.rendered === 'done'", arg=box.element_handle(), timeout=15_000)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
