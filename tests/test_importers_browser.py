"""Imported runs in the built site, in headless Chromium: one run page per source kind
(TensorBoard, wandb, MLflow, Parquet) shows the imported values at the imported steps and
the imported images (no console errors, no
request leaving the site: the site_browser fixture)."""
from __future__ import annotations


import pytest

from import_sources import MEDIA_EVERY, STEPS, loss
from reportgen.site.config import BuildConfig
from reportgen.site.builder import build
from reportgen.importers import ImportOptions, import_source
from reportgen.storage.reader import list_run_dirs, read_run

pytestmark = pytest.mark.browser
pytest.importorskip("tensorboard")


@pytest.fixture(scope="module")
def imported_site(tracker_sources, tmp_path_factory):
    root = tmp_path_factory.mktemp("imported")
    runs = root / "runs"
    for kind in ("tensorboard", "wandb", "mlflow"):
        import_source(ImportOptions(source=kind, path=tracker_sources[kind], out=runs, quiet=True))
    import pandas as pd

    pd.DataFrame({"it": range(STEPS), "loss": [loss(s) for s in range(STEPS)]}).to_parquet(root / "table.parquet")
    import_source(ImportOptions(source="parquet", path=root / "table.parquet", out=runs, step_col="it", quiet=True))
    build(BuildConfig(runs, root / "site", quiet=True))
    by_name = {read_run(d, with_history=False).name: d.name for d in list_run_dirs(runs)}
    return root / "site", by_name


def _chart_points(page, key: str):
    page.wait_for_function("""(key) => { const el = document.querySelector('.rg-chart[data-key="' + key + '"]');
        if (!el) return false; el.scrollIntoView(); return el.dataset.rendered === 'done'; }""", arg=key,
                           timeout=20_000)
    return page.evaluate("""(key) => { const el = document.querySelector('.rg-chart[data-key="' + key + '"]');
        return RG.views[el.id].data('rows').filter(r => r.y !== null).map(r => [r.x, r.y]); }""", key)


def _panel_images(page, key: str):
    panel = page.locator(f".rgp-panel:has(.rgp-title:text-is('{key}'))")
    panel.scroll_into_view_if_needed()
    pid = panel.get_attribute("id")
    page.wait_for_function("""(sel) => { const imgs = [...document.querySelectorAll(sel)];
        return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0); }""",
                           arg=f"#{pid} .rgp-picture", timeout=10_000)
    return panel, page.eval_on_selector_all(f"#{pid} .rgp-picture", "els => els.map(i => [i.naturalWidth, i.naturalHeight])")


@pytest.mark.parametrize("name, key, image, size, tol", [
    ("tbx", "loss", "sample", [7, 5], 1e-6),  # TensorBoard stores float32
    ("w-run", "loss", "img", [9, 6], 0),
    ("first", "loss", "pred", [6, 4], 0),
    ("table", "loss", None, None, 0),
])
@pytest.mark.vega_charts  # inspects the Vega view (RG.views)
def test_imported_run_page_shows_values_steps_and_images(imported_site, site_browser, name, key, image, size, tol):
    site, by_name = imported_site
    page = site_browser.open(site / "runs" / by_name[name] / "index.html")
    points = _chart_points(page, key)
    assert [x for x, _ in points] == list(range(STEPS))
    # the site's chart data holds float32 values (docs/site.md, "Data files"): 7 significant digits
    assert all(abs(y - loss(x)) <= max(tol, 1e-6 * abs(loss(x))) for x, y in points)
    if image is None:
        return
    page.wait_for_selector(".rgp-root[data-ready='1']")  # media panels
    panel, images = _panel_images(page, image)
    assert images and all(wh == size for wh in images)
    if name != "first":  # logged every MEDIA_EVERY steps: the panel's step slider ends at the last one
        assert panel.get_attribute("data-step") == str((STEPS - 1) // MEDIA_EVERY * MEDIA_EVERY)
