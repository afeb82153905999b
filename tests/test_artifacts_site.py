"""Artifact pages: built from a real store, checked in headless Chromium at 1440 and 390 px
(zero console errors, zero requests leaving the site), and hardened against a tampered store."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import reportgen
from reportgen.site.config import BuildConfig
from reportgen.site.builder import build

HOSTILE = '<img src=x onerror="document.title=\'pwned\'">'


@pytest.fixture
def runs_with_artifacts(tmp_path) -> tuple[Path, str, str]:
    root = tmp_path / "runs"
    (tmp_path / "data.csv").write_text("a,b\n1,2\n")
    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    (ckpt / "model.bin").write_bytes(os.urandom(3000))
    producer = reportgen.init(project="p", name="trainer", dir=root)
    producer.log({"loss": 1.0})
    ds = reportgen.Artifact("dataset-raw", "dataset", description=HOSTILE, metadata={"note": HOSTILE, "rows": 1})
    ds.add_file(tmp_path / "data.csv")
    producer.log_artifact(ds)
    for i in range(2):
        (ckpt / "step.txt").write_text(str(i))
        m = reportgen.Artifact(f"model-{producer.id}", "model", metadata={"step": i})
        m.add_dir(ckpt)
        producer.log_artifact(m, aliases=["best <b>bold"] if i == 0 else [])
    producer.finish()
    consumer = reportgen.init(project="p", name="evaluator", dir=root)
    consumer.use_artifact(f"model-{producer.id}:best <b>bold")
    consumer.use_artifact("dataset-raw:latest")
    consumer.finish()
    return root, producer.id, consumer.id


def _build(root: Path, out: Path):
    return build(BuildConfig(runs=root, out=out, quiet=True))


def test_artifact_pages_in_chromium(runs_with_artifacts, tmp_path, site_browser):
    root, prod, cons = runs_with_artifacts
    out = tmp_path / "site"
    res = _build(root, out)
    assert {"artifacts/index.html", f"artifacts/model-{prod}/index.html", "artifacts/dataset-raw/index.html"} \
        <= set(res.pages)
    for width in (1440, 390):
        page = site_browser.open(out / "artifacts/index.html")
        page.set_viewport_size({"width": width, "height": 900})
        types = page.locator(".rg-artifact-type h1").all_inner_texts()
        assert [t.split()[0] for t in types] == ["dataset", "model"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"index-{width}.png"), full_page=True)
        page.locator(f"text=model-{prod}").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"artifacts/model-{prod}/index.html")
        versions = page.locator(".rg-artifact-version")
        assert versions.count() == 2 and versions.nth(0).get_attribute("id") == "v1"
        v0 = page.locator("#v0")
        assert "best <b>bold" in v0.inner_text() and v0.locator("b").count() == 0  # escaped
        assert "model.bin" in v0.inner_text() and "2.9 KB" in v0.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"artifact-{width}.png"), full_page=True)
        v0.locator("text=evaluator").click()  # consumer link -> the consumer's run page
        page.wait_for_load_state()
        assert page.url.endswith(f"runs/{cons}/index.html")
        used = page.locator(".rg-run-artifacts")
        assert f"model-{prod}:v0" in used.inner_text() and "dataset-raw:v0" in used.inner_text()
        page.locator(".rg-run-artifacts a", has_text="dataset-raw:v0").click()
        page.wait_for_load_state()
        text = page.locator("#v0").inner_text()
        assert HOSTILE in text and page.title() != "pwned" and page.locator("#v0 img").count() == 0
        page.locator("#v0 a", has_text="trainer").click()  # producer link
        page.wait_for_load_state()
        assert page.url.endswith(f"runs/{prod}/index.html")
        assert page.locator(".rg-run-artifacts").inner_text().count(f"model-{prod}:") == 2
        page.close()


def test_tampered_store_is_skipped_and_stale_pages_removed(runs_with_artifacts, tmp_path):
    root, prod, _ = runs_with_artifacts
    store = root / "_artifacts" / "collections"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "artifact.json").write_text(json.dumps({"type": "secret", "versions": [], "aliases": {}}))
    os.symlink(outside, store / "linked")  # a link out of the root: never followed
    (store / "..hidden").mkdir()  # not a valid artifact name
    manifest = store / "dataset-raw" / "v0" / "manifest.json"
    data = json.loads(manifest.read_text())
    data["entries"]["../../../etc/passwd"] = {"digest": "0" * 64, "size": 1}
    manifest.write_text(json.dumps(data))
    out = tmp_path / "site"
    res = _build(root, out)
    assert not (out / "artifacts/linked").exists() and "secret" not in (out / "artifacts/index.html").read_text()
    assert not any("hidden" in p for p in res.pages)
    assert "passwd" not in (out / "artifacts/dataset-raw/index.html").read_text()
    api_art = reportgen.Api(root).artifact("dataset-raw:v0")
    assert sorted(api_art.manifest.entries) == ["data.csv"]

    linked_root = tmp_path / "runs-link"  # the root the user names may itself be a link
    os.symlink(root, linked_root)
    assert "artifacts/dataset-raw/index.html" in _build(linked_root, tmp_path / "site2").pages

    import shutil
    shutil.rmtree(store / f"model-{prod}")
    _build(root, out)
    assert not (out / f"artifacts/model-{prod}").exists()
    assert f"model-{prod}" not in (out / f"runs/{prod}/index.html").read_text()
    shutil.rmtree(root / "_artifacts")
    _build(root, out)
    assert not (out / "artifacts").exists()
    assert "Artifacts" not in (out / "index.html").read_text()


def test_a_store_of_the_wrong_kinds_is_built_with_its_problems_shown(runs_with_artifacts, tmp_path, site_browser):
    """The store comes with the runs folder: a version whose consumers or links were a number, a link
    whose aliases were one, or a manifest's metadata nested 5,000 deep stopped the whole build (TypeError:
    'int' object is not iterable; RecursionError), no page built. Each is left out and named on the
    artifacts page; the rest of the store and every run page are built."""
    root, prod, cons = runs_with_artifacts
    store = root / "_artifacts" / "collections"
    coll = json.loads((store / "dataset-raw" / "artifact.json").read_text())
    coll["versions"][0]["consumers"] = 5
    coll["versions"][0]["links"] = [{"target": "x", "aliases": 3}]
    (store / "dataset-raw" / "artifact.json").write_text(json.dumps(coll))
    coll = json.loads((store / f"model-{prod}" / "artifact.json").read_text())
    coll["versions"][0]["links"] = 7
    (store / f"model-{prod}" / "artifact.json").write_text(json.dumps(coll))
    manifest = store / f"model-{prod}" / "v1" / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(text.rstrip()[:-1] + ', "metadata": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}")
    out = tmp_path / "site"
    res = _build(root, out)
    assert {"artifacts/dataset-raw/index.html", f"artifacts/model-{prod}/index.html", f"runs/{prod}/index.html",
            f"runs/{cons}/index.html"} <= set(res.pages)
    page = site_browser.open(out / "artifacts" / "index.html")
    problems = page.locator(".rg-warning li").all_inner_texts()
    assert sorted(problems) == sorted([
        "_artifacts/collections/dataset-raw/artifact.json, version v0: consumers: expected a list, got int; ignored",
        "_artifacts/collections/dataset-raw/artifact.json, version v0, a link: aliases: expected a list, got int; ignored",
        f"_artifacts/collections/model-{prod}/artifact.json, version v0: links: expected a list, got int; ignored",
        f"_artifacts/collections/model-{prod}/v1/manifest.json: metadata nested deeper than 100 levels; not shown"])
    assert sorted(w for w in res.warnings if w.startswith("_artifacts/")) == sorted(problems)  # also told
    assert page.locator("a", has_text="dataset-raw").is_visible()
