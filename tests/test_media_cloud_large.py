"""Large point clouds (wandb.Object3D of an N x 3 or N x 6 array; wandb writes every point, so does the
SDK). A 2M-point cloud with colours is a 78 MB scene file: the build refused it ("could not show
object3d: ... larger than 64 MiB"), and one without colours (54 MB) became a 50 MB data script of
decimal numbers (354 MB of JS heap in Chromium). The page now draws at most
pointcloud.MAX_DRAWN_POINTS points (an even random sample, said on the panel), packed as float32 and
uint8 in base64."""
from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reportgen
from reportgen.site.panels.pointcloud import MAX_DRAWN_POINTS, cloud_payload
from test_media_not_shown import _panel

N = 1_800_000  # (its scene file, with colours, is past the 64 MiB other JSON files are read to)


def test_a_large_coloured_cloud_is_drawn_from_a_sample_that_says_so(tmp_path, site_browser):
    rng = np.random.default_rng(1)
    xyz = rng.random((N, 3))
    rgb = np.where(xyz[:, :1] < 0.5, [[255, 0, 0]], [[0, 0, 255]])  # red left of x = 0.5, blue right
    runs, site = tmp_path / "runs", tmp_path / "site"
    run = reportgen.init(dir=runs, id="pc", name="pc", project="p")
    run.log({"cloud": reportgen.Object3D(np.c_[xyz, rgb], caption="1.8M points")}, step=0)
    run.finish()
    scene = next((runs / "pc/media/object3d").glob("cloud_*scene*.json"))
    assert scene.stat().st_size > 64 << 20
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site),
                           "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "could not show" not in proc.stdout + proc.stderr and "object3d" not in proc.stderr, proc.stderr
    (data,) = (site / "media/pc/data").glob("cloud_*.js")
    assert data.stat().st_size < MAX_DRAWN_POINTS * 15 * 4 // 3 + (64 << 10)  # (12 + 3 bytes a point, base64)
    page = site_browser.open(site / "runs/pc/index.html")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        box = _panel(page, "cloud").locator(".rgp-3d")
        _panel(page, "cloud").locator(".rgp-3d[data-rendered='done']").wait_for(timeout=120_000)
        assert box.locator(".rgp-3d-note").text_content() == \
            f"{MAX_DRAWN_POINTS:,} of {N:,} points drawn (an even random sample)"
        assert box.evaluate("b => b._viewer.counts.points") == MAX_DRAWN_POINTS
        red, blue = box.evaluate("""b => { const px = b._viewer.pixels(); let r = 0, u = 0;
            for (let i = 0; i < px.length; i += 4) { if (px[i] > 150 && px[i + 2] < 80) r++;
                                                     if (px[i + 2] > 150 && px[i] < 80) u++; }
            return [r, u]; }""")
        assert red > 1000 and blue > 1000, (red, blue)  # (each point's own colour, both halves drawn)
        page.screenshot(path=str(tmp_path / f"cloud-{width}.png"), full_page=True)


def _unpack(payload: dict, key: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(payload[key]), dtype)


def test_the_packed_cloud_holds_what_the_scene_holds():
    """cloud_payload packs the scene's points as float32 and colours as uint8 (clipped), maps
    categories onto the viewer's 14 colours as the viewer did ((c - 1) mod 14), reads rows of other
    lengths by their first three values, leaves out points that are not finite float32 numbers with a
    warning, and draws no colours (a warning) when they do not match the points."""
    told: list[str] = []
    pts = [[0, 1, 2], [3.5, -4, 5e-3], [float("nan"), 0, 0], [1e39, 0, 0], [6, 7, 8]]
    payload, note = cloud_payload({"points": pts, "point_colors": [[0, 0, 0], [300, -5, 128.7], [1, 1, 1],
                                                                  [2, 2, 2], [9, 9, 9]]}, told.append)
    assert note is None and told == ["object3d: left out 2 point(s) whose coordinates are not finite float32 numbers"]
    assert _unpack(payload, "points_f32", "<f4").tolist() == \
        np.float32([[0, 1, 2], [3.5, -4, 5e-3], [6, 7, 8]]).ravel().tolist()
    assert _unpack(payload, "colors_u8", "u1").tolist() == [0, 0, 0, 255, 0, 128, 9, 9, 9]
    told.clear()
    payload, _ = cloud_payload({"points": [[0, 0, 0, 9], [1, 1, 1]], "categories": [1, 14]}, told.append)
    assert not told and _unpack(payload, "points_f32", "<f4").tolist() == [0, 0, 0, 1, 1, 1]
    cats = list(range(-20, 40))
    payload, _ = cloud_payload({"points": [[0, 0, 0]] * len(cats), "categories": cats}, told.append)
    viewer = [((c - 1 + 1400) % 14) + 1 for c in cats]  # (viewer3d.js: CATEGORY[((c | 0) - 1 + 1400) % 14])
    assert _unpack(payload, "categories_u8", "u1").tolist() == viewer
    payload, _ = cloud_payload({"points": [[0, 0, 0]] * 3, "point_colors": [[1, 2, 3]]}, told.append)
    assert "colors_u8" not in payload and told[-1] == "object3d: colours not drawn: 1 colours for 3 points"
    with pytest.raises(ValueError, match="points: expected rows of 3 numbers"):
        cloud_payload({"points": [[0, 0], [1, "x", 2]]}, told.append)


def test_a_cloud_over_the_bound_is_drawn_from_the_same_sample_every_build():
    rng = np.random.default_rng(3)
    pts = rng.random((MAX_DRAWN_POINTS + 7, 3)).tolist()
    first, note = cloud_payload({"points": pts}, print)
    assert note == f"{MAX_DRAWN_POINTS:,} of {MAX_DRAWN_POINTS + 7:,} points drawn (an even random sample)"
    assert cloud_payload({"points": pts}, print)[0] == first
    drawn = _unpack(first, "points_f32", "<f4").reshape(-1, 3)
    assert len(drawn) == MAX_DRAWN_POINTS and len(np.unique(drawn, axis=0)) == MAX_DRAWN_POINTS
