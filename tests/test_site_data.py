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

from browser import assert_charts_rendered, point_at_chart
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
    huge = np.array([0, 2 ** 40 + 1, 5])
    ts = 1.7e9 + np.arange(200) * 0.125
    sm = np.linspace(0.001, 5, 300)
    dec = np.round(1 + np.cumsum(rng.normal(0, 0.01, 400)), 5)  # logged as round(x, 5): exact as integers / 1e5
    dec[[0, 50]] = [math.nan, math.inf]
    walls = 1.7e9 + np.cumsum(rng.uniform(0.05, 3, 300))  # an irregular clock, to the millisecond
    cols = [encode.floats(y), encode.floats(big), encode.ints_or_floats(steps), encode.ints_or_floats(np.arange(300)),
            encode.times(ts), encode.half(sm), encode.col("u1", np.array([1, 2, 255])),
            encode.ints_or_floats(np.array([0.5, 1.5])), encode.ints_or_floats(huge),
            encode.half(sm * 1e-7), encode.half(sm * 1e9), encode.values_many([dec])[0], encode.times(walls),
            encode.values_many([y])[0], encode.ints_or_floats(np.arange(7, 700, 7))]
    assert [c["t"] for c in cols] == ["f4", "f8", "d4", "a", "a", "f2", "u1", "f4", "f8", "f2", "f2", "d2", "d2",
                                      "f4", "a"]
    assert cols[11]["e"] == 5 and cols[11]["z"] == [0, 50] and cols[12]["e"] == 3 and "b" not in cols[3]
    (dy, dbig, dsteps, dar, dts, dsm, du1, dhalfs, dhuge, dtiny, dlarge, ddec, dwalls, dy2, dsev) = js_decode(cols)
    assert np.allclose(dtiny, sm * 1e-7, rtol=1e-3) and np.allclose(dlarge, sm * 1e9, rtol=1e-3)  # scaled float16
    fin = np.isfinite(y)
    assert [v is None for v in dy] == list(~fin) and dy2 == dy
    assert np.allclose([v for v in dy if v is not None], y[fin], rtol=1e-7)
    assert dbig == [1e300, -2.5, 1e-300, 0.0]  # float64 kept exactly
    assert dsteps == steps.tolist() and dar == list(range(300)) and dsev == list(range(7, 700, 7))
    assert dts == ts.tolist()  # wall time to the millisecond: these are exact
    assert dwalls == np.round(walls, 3).tolist()
    assert np.allclose(dsm, sm, rtol=1e-3)  # smoothed values: float16
    assert du1 == [1, 2, 255] and dhalfs == [0.5, 1.5] and dhuge == [0, 2 ** 40 + 1, 5]
    # decimals come back as the very float64 the history held (not float32's nearest)
    assert ddec == [None if not math.isfinite(v) else v for v in dec.tolist()]


def test_smoothed_columns_of_any_magnitude_decode():
    """Smoothed values (scaled float16) of a series near 1e-306 stopped the build: 32768 / top was
    Infinity and ``2.0 ** k`` an OverflowError; at float64's top (1.797e308) the page decoded
    float16's 32768 times 2 ** 1009 as Infinity. Alone and batched, every magnitude decodes."""
    big = float(np.finfo(float).max)
    arrays = [np.array([1e-306, 2.5e-306, 0.0]), np.array([5e-324, 1e-323]), np.array([big, -big, 1e308, math.nan]),
              np.array([1.0, 0.5]), np.array([-1e-310, 3e-311])]
    for cols in ([encode.half(a) for a in arrays], encode.half_many(arrays), encode.half_many(arrays[:3])):
        for got, want in zip(js_decode(cols), arrays):
            assert all(g is None for g, w in zip(got, want) if math.isnan(w))
            got = np.array([g for g, w in zip(got, want) if not math.isnan(w)], dtype=float)
            want = want[~np.isnan(want)]
            assert np.isfinite(got).all() and np.allclose(got, want, rtol=1e-3, atol=0), (got, want)


def test_exact_decimals_are_found_past_the_first_values_and_floats_stay_float32():
    rng = np.random.default_rng(1)
    late = np.r_[np.round(rng.normal(size=40), 2), np.round(rng.normal(size=300), 6)]  # more digits later on
    f32 = rng.normal(size=300).astype(np.float32).astype(float)  # torch's float32 values: not short decimals
    near = np.round(rng.normal(size=300), 9) + 1e-12  # one digit too many for DECIMALS
    cols = encode.values_many([late, f32, near, np.arange(1e6, 1e6 + 300)])
    assert [(c["t"], c.get("e")) for c in cols] == [("d4", 6), ("f4", None), ("f4", None), ("a", None)]
    dlate, df32, _, dint = js_decode(cols)
    assert dlate == late.tolist() and df32 == f32.tolist() and dint == list(range(10 ** 6, 10 ** 6 + 300))


def test_a_column_encodes_the_same_alone_or_batched_with_others():
    """The build encodes every column of a run in one call per encoder (many19): each column's bytes
    must not depend on its neighbours (gaps, decimals, offsets, scales)."""
    rng = np.random.default_rng(2)
    gap = np.round(rng.normal(size=50), 3)
    gap[[0, 1, 49]] = math.nan  # leading and trailing gaps take the neighbour inside their own column
    arrays = [np.arange(0, 600, 3.0), np.round(rng.uniform(0, 1, 80), 2), gap, rng.normal(size=40),
              np.array([5.0]), np.zeros(0), 1.7e9 + np.arange(30) * 0.25, np.array([0, 2 ** 40 + 1, 5.0]),
              np.arange(20.0) ** 2, np.round(rng.normal(size=70), 4)]
    for fn in (encode.values_many, encode.ints_or_floats_many, encode.times_many):
        alone = [fn([a])[0] for a in arrays]
        assert fn(arrays) == alone
        assert fn(arrays[::-1]) == alone[::-1]
        assert [fn(arrays[i:i + 2]) for i in range(0, len(arrays), 2)] == \
            [alone[i:i + 2] for i in range(0, len(arrays), 2)]


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


def _gappy(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.round(np.cos(np.arange(n) / 40) + rng.normal(0, 0.2, n), 4)
    y[[0, 7, 8, 60]] = [math.nan, math.inf, -math.inf, math.nan]
    return y


def test_a_run_kept_whole_has_no_smoothing_file_and_the_page_smooths_it_exactly(tmp_path):
    """Issue 20 (site size): smoothing is stored only for downsampled series. A run whose lines are
    kept whole (steps <= --samples) gets no data/smooth file and no overview smoothing, and what the
    page's decoder gives for every slider weight is ema_reference over the raw series (gaps
    included); a downsampled run keeps its stored smoothing."""
    short, long_ = _gappy(100, 1), _gappy(3_000, 2)  # 100 steps: whole in the overview files too
    root = tmp_path / "runs"
    write_run(root, "short", rows(100, loss=lambda s: float(short[s])))
    write_run(root, "long", rows(3_000, loss=lambda s: float(long_[s])))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, samples=500, cache=False))
    assert not (out / "data/smooth/short.js").exists()
    assert (out / "data/smooth/long.js").exists()
    ov_smooth = (out / "data/overview-smooth").glob("*.js")
    assert all(b'"short"' not in p.read_bytes() and b'"long"' in p.read_bytes() for p in ov_smooth)
    for wi, w in enumerate(WEIGHTS):
        ref = ema_reference(short, w)
        for overview in (False, True):
            d = decoded(out, "short", "loss", weight=wi, overview=overview)
            steps = d["p"]["x"]["_step"]
            assert steps == list(range(100)) and d["p"]["c"] is None
            got = d["ss"]
            assert got is not None and len(got) == len(steps)
            # raw values are decoded exactly, so the page's EMA over them is the build's to rounding
            for s, v in zip(steps, got):
                if math.isnan(ref[s]):
                    assert v is None
                else:
                    assert v == pytest.approx(ref[s], rel=1e-12, abs=1e-12), (w, s, overview)
    stored = decoded(out, "long", "loss", weight=WEIGHTS.index(0.9))
    assert stored["p"]["c"] is not None and stored["ss"] is not None


@pytest.mark.parametrize("overview", [False, True])
def test_the_smoothed_line_drawn_in_chromium_is_the_reference_ema(tmp_path, site_browser, overview):
    """What the chart draws with the slider at 0.9 for runs kept whole (no smoothing file): the
    debiased EMA of the raw values, gaps skipped; with 12 runs selected the chart draws the overview
    files (more than 10 runs), whose 80-point series are whole too."""
    root = tmp_path / "runs"
    ys = {f"r{i:02d}": _gappy(80, 10 + i) for i in range(12)}
    for run, y in ys.items():
        write_run(root, run, rows(80, loss=lambda s, y=y: float(y[s])), meta={"created": 1_700_000_000.0 + int(run[1:])})
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, cache=False))
    assert not list((out / "data").glob("smooth/*.js"))
    sel = "runs=" + ",".join(ys) + "&" if overview else ""
    page = site_browser.open((out / "index.html").as_uri() + "#" + sel + "smooth=0.9")
    assert_charts_rendered(page, 1)
    point_at_chart(page, '.rg-chart[data-key="loss"]')  # the Vega view (lite charts first)
    got = page.evaluate("""() => {
        const el = document.querySelector('.rg-chart[data-key="loss"]');
        return {rows: RG.views[el.id].data('rows').map(r => [r.run, r.x, r.y, r.s]),
                loaded: Object.keys(RG.loaded)}; }""")
    assert any(k.startswith("overview") for k in got["loaded"]) == overview
    assert not any(k.startswith("smooth/") for k in got["loaded"])
    runs = {r for r, *_ in got["rows"]}
    assert len(runs) == (12 if overview else 10)
    checked = 0
    for run, x, y, s in got["rows"]:
        ref = ema_reference(ys[run], 0.9)[x]
        if math.isnan(ref):
            assert s is None
            continue
        assert y == ys[run][x] and s == pytest.approx(ref, rel=1e-12, abs=1e-12), (run, x)
        checked += 1
    assert checked >= len(runs) * 70


def test_a_downsampled_runs_smoothing_file_is_loaded_once_its_run_file_names_it(tmp_path, site_browser):
    """The chart learns from the run file (``s``) that a smoothing file exists and loads it before
    drawing (charts.js draws in two rounds); a run kept whole needs no second file."""
    root = tmp_path / "runs"
    long_, short = _gappy(3_000, 4), _gappy(80, 5)
    write_run(root, "long", rows(3_000, loss=lambda s: float(long_[s])))
    write_run(root, "short", rows(80, loss=lambda s: float(short[s])))
    out = tmp_path / "site"
    build(BuildConfig(runs=root, out=out, quiet=True, cache=False))
    page = site_browser.open((out / "index.html").as_uri() + "#smooth=0.9")
    assert_charts_rendered(page, 1)
    point_at_chart(page, '.rg-chart[data-key="loss"]')  # the Vega view (lite charts first)
    got = page.evaluate("""() => {
        const el = document.querySelector('.rg-chart[data-key="loss"]');
        return {rows: RG.views[el.id].data('rows').map(r => [r.run, r.x, r.s]), loaded: Object.keys(RG.loaded).sort()}; }""")
    assert [k for k in got["loaded"] if k.startswith(("runs/", "smooth/"))] == ["runs/long", "runs/short", "smooth/long"]
    ref = np.array(ema_reference(long_, 0.9))
    pts = [(x, s) for run, x, s in got["rows"] if run == "long" and s is not None]
    assert len(pts) > 500
    starts = [(x, s) for x, s in pts if x % 16 == 0]  # 3,000 steps: buckets of 16, stored at their starts
    assert len(starts) > 150
    for x, s in starts:  # float16
        assert s == pytest.approx(ref[x], rel=2e-3, abs=2e-3), x


def test_values_near_the_largest_double_build_quietly_and_draw(tmp_path, site_browser):
    """Runs logging values near ±1.8e308 (and near 1e-306): the build printed raw numpy warnings
    ("RuntimeWarning: overflow encountered in matmul" from the smoothing, "... in cast" from
    storing it as float32) and lost the smoothed line; with three such runs it stopped ("Out of
    range float values are not JSON compliant": the all-runs sweep page's axis positions were
    inf / inf), and a series near 1e-306 stopped it too (OverflowError scaling its smoothing). Now
    the terminal shows no warning, the smoothed values are the reference EMA, and the pages draw."""
    import os
    import sys

    import reportgen

    big = float(np.finfo(float).max)
    root = tmp_path / "runs"
    n = 2500  # past --samples: downsampled, its smoothing stored
    ys = {"loss": lambda i, r: big if (i + r) % 2 else -big, "near": lambda i, r: big - (n - i) * 1e304,
          "tiny": lambda i, r: 1e-306 * (i % 17), "wave": lambda i, r: math.sin(i / 40)}
    for r in range(3):
        run = reportgen.init(dir=root, id=f"r{r}", name=f"r{r}", project="p")
        for i in range(n):
            run.log({k: f(i, r) for k, f in ys.items()})
        run.summary["best"] = (-big, 0.0, big)[r]
        run.finish()
    out = tmp_path / "site"
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(root), "-o", str(out), "--no-cache"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stdout + proc.stderr, proc.stderr
    wi = WEIGHTS.index(0.999)
    for key, f in ys.items():
        y = [f(i, 0) for i in range(n)]
        ref = np.array(ema_reference(y, 0.999))
        d = decoded(out, "r0", key, weight=wi)
        assert d["ss"] is not None and d["p"]["c"] is not None  # downsampled: the build's smoothing
        firsts = np.cumsum([0] + d["p"]["c"][:-1])  # each bucket's first kept point: a smoothing anchor
        xs, ss = np.array(d["p"]["x"]["_step"])[firsts], [d["ss"][i] for i in firsts]
        assert all(v is not None for v in ss), key
        scale = max(abs(v) for v in y)
        assert np.allclose(ss, ref[xs], rtol=2e-3, atol=1e-3 * scale), key
        assert max(d["p"]["y"]) == pytest.approx(max(y), rel=1e-6) and min(d["p"]["y"]) == pytest.approx(min(y), rel=1e-6)
    for page_path in ("runs/r0/index.html", "index.html"):
        page = site_browser.open((out / page_path).as_uri() + "#smooth=0.999")
        assert_charts_rendered(page, 4)
    page = site_browser.open(out / "sweeps" / "_all.html")
    page.wait_for_selector("body[data-sweep-ready], body[data-sweep-error]", timeout=30_000)
    assert page.get_attribute("body", "data-sweep-error") is None
