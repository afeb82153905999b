"""What the builder writes for media panels: copied files, thumbnails, mask layers, waveforms,
data scripts; warnings instead of crashes; escaping; reproducible output."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

from panels_fixtures import write_run
from reportgen.site.config import BuildConfig
from reportgen.site.builder import build


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "assets" not in p.parts}


def _simple_run(root: Path, run_id: str, rows: list[dict], summary: dict | None = None) -> Path:
    run = root / run_id
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"format": 1, "id": run_id, "state": "finished"}))
    (run / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "summary.json").write_text(json.dumps(summary or {}))
    return run


def test_media_files_thumbnails_masks_waveforms_and_determinism(tmp_path):
    runs = tmp_path / "runs"
    run = write_run(runs, "alpha")
    big = np.zeros((600, 800, 3), np.uint8)
    big[:, :400] = 255
    (run / "media/images/big.png").parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(big).save(run / "media/images/big.png")
    with open(run / "history.jsonl", "a") as fh:
        fh.write(json.dumps({"_step": 3, "big": {"_type": "image", "path": "media/images/big.png", "format": "png",
                                                 "width": 800, "height": 600, "mode": "RGB"}}) + "\n")
    r1 = build(BuildConfig(runs, tmp_path / "s1", quiet=True))
    site = tmp_path / "s1"
    media = site / "media/alpha"
    assert (media / "images/big.png").read_bytes() == (run / "media/images/big.png").read_bytes()
    with Image.open(media / "images/big_thumb.jpg") as th:
        assert max(th.size) == 320 and th.size == (320, 240)
    assert not list((media / "images").glob("examples_*_thumb.*"))  # small images are their own thumbnail
    layers = sorted(p.name for p in (media / "masks").glob("seg_0_0_*_c*.png"))
    assert layers == ["seg_0_0_gt_c3_edge.png", "seg_0_0_pred_c1.png", "seg_0_0_pred_c2.png"]
    with Image.open(media / "masks/seg_0_0_gt_c3_edge.png") as lay:  # ground truth: the road's outline only
        a = np.asarray(lay)[:, :, 3]
        h, w = a.shape
        assert a[h // 4, w // 2] == 255 and a[h // 2, w // 2] == 0 and a[0, 0] == 0
    with Image.open(media / "masks/seg_0_0_pred_c1.png") as lay:
        a = np.asarray(lay)
        assert lay.mode == "RGBA" and a[0, 0, 3] == 255 and a[-1, -1, 3] == 0  # class 1 is the top-left quarter
    with Image.open(media / "audio/sound_0_wave.png") as wv:
        assert wv.size == (600, 72) and np.asarray(wv)[:, :, 3].any()
    assert not list(media.rglob("*.htm*"))  # logged HTML is never published as a page (data script + srcdoc)
    assert (media / "videos/clip.mp4").exists()
    assert (site / "assets/plotly.min.js").stat().st_size > 1_000_000
    assert any("unsupported media type 'hologram'" in w for w in r1.warnings)
    assert any("missing file media/images/not_there.png" in w for w in r1.warnings)
    # reproducible: a second build into another folder writes the same files
    build(BuildConfig(runs, tmp_path / "s2", quiet=True))
    assert _tree(tmp_path / "s1") == _tree(tmp_path / "s2")


def test_user_text_is_escaped_in_pages(tmp_path):
    runs = tmp_path / "runs"
    img = np.zeros((4, 4, 3), np.uint8)
    run = _simple_run(runs, "r", [])
    (run / "media/images").mkdir(parents=True)
    Image.fromarray(img).save(run / "media/images/a.png")
    rec = {"_type": "image", "path": "media/images/a.png", "width": 4, "height": 4, "caption": "</script><script>alert(1)</script>"}
    (run / "history.jsonl").write_text(json.dumps({"_step": 0, "<b>key</b>": rec}) + "\n")
    build(BuildConfig(runs, tmp_path / "site", quiet=True))
    html = (tmp_path / "site/runs/r/index.html").read_text()
    assert "<script>alert(1)" not in html and "</script><script>" not in html
    assert "<b>key</b>" not in html and "&lt;b&gt;key&lt;/b&gt;" in html


def test_bad_records_never_crash_the_build(tmp_path):
    runs = tmp_path / "runs"
    run = _simple_run(runs, "r", [
        {"_step": 0, "a": {"_type": "image", "path": "../../../etc/passwd", "width": 1, "height": 1},
         "b": {"_type": "table", "path": "media/t.json"}, "c": {"_type": "histogram", "bins": "x", "values": None},
         "d": {"_type": "object3d", "scene": 5}, "e": {"_type": "audio"}, "f": {"_type": "custom_chart", "preset": "nope"},
         "g": {"_type": 3}, "h": [], "i": {"_type": "gallery", "items": "x"}},
    ], summary={"s": {"_type": "histogram", "bins": [0, 1], "values": [1, 2, 3]}})
    (run / "media").mkdir()
    (run / "media/t.json").write_text("[1, 2")  # broken JSON
    res = build(BuildConfig(runs, tmp_path / "site", quiet=True))
    text = "\n".join(res.warnings)
    assert "leaves the run folder" in text
    for key in ("b (step 0)", "d (step 0)", "e (step 0)", "f (step 0)", "s (step summary)"):
        assert key in text, key
    assert "histograms without usable bins" in text
    html = (tmp_path / "site/runs/r/index.html").read_text()
    assert html.count('class="rgp-panel') == 7  # a b c d e f s: the others are not media
    assert not (tmp_path / "site/media/r").exists() or not list((tmp_path / "site/media/r").rglob("passwd"))
    assert not (tmp_path / "site/assets/plotly.min.js").exists()  # only written when a plotly panel exists


def test_pages_without_media_do_not_load_panel_assets(tmp_path):
    runs = tmp_path / "runs"
    _simple_run(runs, "r", [{"_step": 0, "loss": 1.0}])
    build(BuildConfig(runs, tmp_path / "site", quiet=True))
    html = (tmp_path / "site/runs/r/index.html").read_text()
    assert "panels.js" not in html and "viewer3d.js" not in html and "panels.css" not in html


def _frame_steps(page: Path) -> dict[str, list]:
    """Panel key -> the steps of its frames, read from a run page."""
    import re

    html = page.read_text()
    out = {}
    for m in re.finditer(r'<span class="rgp-title">([^<]*)</span>.*?'
                         r'<script type="application/json" class="rgp-frames">(.*?)</script>', html, re.S):
        out[m.group(1)] = [f["step"] for f in json.loads(m.group(2))]
    return out


def test_incremental_rebuild_takes_media_from_the_parsed_history(tmp_path):
    # The run page's media panels come from the parsed (and cached) history columns: a rebuild after
    # rows were appended reads only the new bytes, yet its pages equal a full build's.
    runs = tmp_path / "runs"
    img = {"_type": "image", "path": "media/images/a.png", "format": "png", "width": 4, "height": 4, "mode": "RGB"}
    rows = [{"_step": s, "loss": 1.0 / (s + 1), **({"pic": img} if s % 10 == 0 else {})} for s in range(50)]
    run = _simple_run(runs, "m", rows)
    (run / "media/images").mkdir(parents=True)
    Image.fromarray(np.full((4, 4, 3), 200, np.uint8)).save(run / "media/images/a.png")
    out = tmp_path / "site"
    cfg = BuildConfig(runs, out, quiet=True)
    build(cfg)
    page = out / "runs/m/index.html"
    assert _frame_steps(page)["pic"] == [0, 10, 20, 30, 40]
    with open(run / "history.jsonl", "a") as fh:
        fh.write(json.dumps({"_step": 50, "loss": 0.01, "pic": img}) + "\n")
    again = build(cfg)
    assert again.appended == ["m"] and _frame_steps(page)["pic"] == [0, 10, 20, 30, 40, 50]
    full = tmp_path / "full"
    build(BuildConfig(runs, full, quiet=True, cache=False))
    assert (full / "runs/m/index.html").read_text() == page.read_text()
    assert _tree(full / "media") == _tree(out / "media")
    # A middle line overwritten in place with bytes of the same length, then a row appended: the
    # cache's fingerprint of the parsed bytes (cache.read_tail: a hash of each MiB block, not only the
    # first and last bytes) tells it is no append, so the run is parsed again (the bad line warned
    # about) and its page equals a full build's (it kept the old line's picture before)
    data = (run / "history.jsonl").read_bytes()
    lines = data.splitlines(keepends=True)
    mid = sum(map(len, lines[:25]))
    (run / "history.jsonl").write_bytes(data[:mid] + b"x" * (len(lines[25]) - 1) + data[mid + len(lines[25]) - 1:])
    with open(run / "history.jsonl", "a") as fh:
        fh.write(json.dumps({"_step": 60, "loss": 0.01, "pic": img}) + "\n")
    third = build(cfg)
    assert third.appended == [] and any("history.jsonl" in w for w in third.warnings), third.warnings
    assert _frame_steps(page)["pic"] == [0, 10, 20, 30, 40, 50, 60]
    build(BuildConfig(runs, full, quiet=True, cache=False))
    assert (full / "runs/m/index.html").read_text() == page.read_text()
