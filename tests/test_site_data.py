"""The site's chart data files (docs/site.md, "Data files"): binary columns written by Python and
decoded by the page's own decoder (assets/loader.js, run in node), a bounded number of files
per run, spikes kept, smoothing that does not depend on --samples, and the pages in Chromium."""
from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest

from browser import assert_charts_rendered
from reportgen.site import encode
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.site.smoothing import WEIGHTS, ema_reference
from site_data import CLI, decoded
from site_runs import rows, wavy, write_run

DECODE_COLUMNS = """
const { load } = require(%s);
const w = load(["loader.js"], { atob });
const cols = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(cols.map((c) => w.RGLoader.col(c))));
"""


def js_decode(columns: list[dict]) -> list[list]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: apt-get install nodejs)")
    script = DECODE_COLUMNS % json.dumps(str(CLI.parent / "load.js"))
    proc = subprocess.run([node, "-e", script], input=json.dumps(columns), capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(proc.stdout)


def test_columns_round_trip_python_encode_js_decode():
    rng = np.random.default_rng(0)
    y = rng.normal(0, 1e3, 500)
    y[[3, 7, 9]] = [math.nan, math.inf, -math.inf]
    big = np.array([1e300, -2.5, 1e-300, 0.0])
    steps = np.array([0, 1, 2, 5, 300, 70_000, 70_001, 2 ** 30 + 70_002])
    huge = np.array([0, 2 ** 40 + 1])
    ts = 1.7e9 + np.arange(200) * 0.125
    sm = np.linspace(0.001, 5, 300)
    cols = [encode.floats(y), encode.floats(big), encode.ints_or_floats(steps), encode.ints_or_floats(np.arange(300)),
            encode.times(ts), encode.half(sm), encode.col("u1", np.array([1, 2, 255])),
            encode.ints_or_floats(np.array([0.5, 1.5])), encode.ints_or_floats(huge),
            encode.half(sm * 1e-7), encode.half(sm * 1e9)]
    assert [c["t"] for c in cols] == ["f4", "f8", "d4", "d1", "f4", "f2", "u1", "f4", "f8", "f2", "f2"]
    (dy, dbig, dsteps, dar, dts, dsm, du1, dhalfs, dhuge, dtiny, dlarge) = js_decode(cols)
    assert np.allclose(dtiny, sm * 1e-7, rtol=1e-3) and np.allclose(dlarge, sm * 1e9, rtol=1e-3)  # scaled float16
    fin = np.isfinite(y)
    assert [v is None for v in dy] == list(~fin)
    assert np.allclose([v for v in dy if v is not None], y[fin], rtol=1e-7)
    assert dbig == [1e300, -2.5, 1e-300, 0.0]  # float64 kept exactly
    assert dsteps == steps.tolist() and dar == list(range(300))
    assert np.allclose(dts, ts, rtol=0, atol=1e-3)  # wall time: ms precision
    assert np.allclose(dsm, sm, rtol=1e-3)  # smoothed values: float16
    assert du1 == [1, 2, 255] and dhalfs == [0.5, 1.5] and dhuge == [0, 2 ** 40 + 1]


def test_files_per_run_are_bounded_and_size_does_not_grow_with_steps(tmp_path):
    root = tmp_path / "runs"
    metrics = {f"m{i}": wavy for i in range(6)}
    write_run(root, "short", rows(2_000, **metrics))
    write_run(root, "long", rows(40_000, **metrics))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=300))
    for run in ("short", "long"):
        own = [p for p in out.rglob("*") if p.is_file() and (run in p.relative_to(out).parts or p.stem == run)]
        assert 1 <= len(own) <= 5, own
    short, long_ = ((out / "data/runs" / f"{r}.js").stat().st_size for r in ("short", "long"))
    assert long_ < 1.3 * short  # 20x the steps, about the same bytes (bounded by --samples)
    assert not list((out / "data").glob("metrics"))  # no per-(metric, run) files any more


def test_a_one_step_spike_is_decoded_and_in_the_band(tmp_path):
    root = tmp_path / "runs"
    write_run(root, "a", rows(100_000, loss=lambda s: 1000.0 if s == 61_234 else 1.0 + (s % 7) * 0.01))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=90))
    p = decoded(out, "a", "loss")["p"]
    assert len(p["y"]) < 200 and p["n"] == 100_000
    i = p["y"].index(1000.0)
    assert p["x"]["_step"][i] == 61_234 and p["hi"][i] == 1000.0 and p["lo"][i] == 1.0
    ov = decoded(out, "a", "loss", overview=True)["p"]
    assert 1000.0 in ov["y"]


def test_smoothing_does_not_depend_on_samples_in_the_decoded_site(tmp_path):
    """TensorBoard #1518 end to end: what the page draws at a bucket start is the EMA of every
    raw point, at --samples 60 and 3000 alike."""
    n = 60_000
    rng = np.random.default_rng(5)
    y = np.sin(np.arange(n) / 3000) + rng.normal(0, 0.5, n)
    root = tmp_path / "runs"
    write_run(root, "a", rows(n, loss=lambda s: float(y[s])))
    wi = WEIGHTS.index(0.99)
    ref = np.array(ema_reference(y, 0.99))
    got = {}
    for samples in (60, 3000):
        out = tmp_path / f"site{samples}"
        build(BuildConfig(runs=root, out=out, quiet=True, samples=samples, cache=False))
        d = decoded(out, "a", "loss", weight=wi)
        counts = d["p"]["c"]
        firsts = np.cumsum([0] + counts[:-1]).tolist()  # each bucket's first kept point: where it starts
        steps = d["p"]["x"]["_step"]
        assert len(counts) <= samples // 3
        got[samples] = {steps[i]: d["ss"][i] for i in firsts}
    common = sorted(set(got[60]) & set(got[3000]))
    assert len(common) >= 15
    for s in common:
        assert got[60][s] == pytest.approx(got[3000][s], rel=1e-3, abs=1e-3)
        assert got[60][s] == pytest.approx(ref[s], rel=2e-3, abs=2e-3)


@pytest.mark.parametrize("width", [1440, 390])
def test_index_and_run_pages_draw_from_the_run_files(tmp_path, site_browser, width):
    root = tmp_path / "runs"
    for i in range(3):
        write_run(root, f"r{i}", rows(5_000, loss=wavy, acc=lambda s: s / 5000))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True))
    for page_path in (out / "index.html", out / "runs" / "r1" / "index.html"):
        page = site_browser.open(page_path)
        page.set_viewport_size({"width": width, "height": 900})
        assert_charts_rendered(page, 2)
        loaded = page.evaluate("Object.keys(RG.loaded)")
        assert any(k.startswith("runs/") for k in loaded) and not any(k.startswith("metrics/") for k in loaded)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1
        page.screenshot(path=str(tmp_path / f"{page_path.parent.name}-{width}.png"), full_page=True)
        page.close()
