"""Run folders with every media record type, written by hand from docs/media-format.md.

Used by tests/test_panels_*.py and benchmarks/bench_media_page.py. The files are real
(PNG, WAV, GIF, MP4, SVG, JSON); only the SDK is bypassed, so the site side can be tested
against the contract on its own.
"""
from __future__ import annotations

import io
import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

W, H = 64, 48


def _write(run: Path, rel: str, data: bytes) -> str:
    p = run / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return rel


def _png(arr: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format="PNG")
    return buf.getvalue()


def image_array(step: int, i: int = 0, w: int = W, h: int = H) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    r = (x * 255 // max(w - 1, 1) + step * 40 + i * 17) % 256
    g = (y * 255 // max(h - 1, 1)) % 256
    b = ((x + y + step * 9) * 3) % 256
    return np.stack([r, g, b], -1).astype(np.uint8)


def image_record(run: Path, key: str, step: Any, i: int = 0, *, w: int = W, h: int = H, masks: bool = False,
                 boxes: bool = False, caption: str | None = None) -> dict[str, Any]:
    rel = _write(run, f"media/images/{key}_{step}_{i}.png", _png(image_array(step if isinstance(step, int) else 0, i, w, h)))
    rec: dict[str, Any] = {"_type": "image", "path": rel, "format": "png", "width": w, "height": h, "mode": "RGB"}
    if caption is not None:
        rec["caption"] = caption
    if masks:
        pred = np.zeros((h, w), np.uint8)
        pred[: h // 2, : w // 2] = 1
        pred[h // 2:, w // 2:] = 2
        truth = np.zeros((h, w), np.uint8)
        truth[h // 4: 3 * h // 4, w // 4: 3 * w // 4] = 3
        rec["masks"] = {
            "predictions": {"path": _write(run, f"media/masks/{key}_{step}_{i}_pred.png", _png(pred, "L")),
                            "class_labels": {"1": "tree", "2": "car"}},
            "ground_truth": {"path": _write(run, f"media/masks/{key}_{step}_{i}_gt.png", _png(truth, "L")),
                             "class_labels": {"3": "road"}},
        }
    if boxes:
        rec["boxes"] = {
            "predictions": {"class_labels": {"1": "car", "2": "road"}, "box_data": [
                {"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.6}, "class_id": 1,
                 "box_caption": "<b>car</b> 0.9", "scores": {"acc": 0.9, "loss": 0.1}},
                {"position": {"middle": [0.7, 0.5], "width": 0.2, "height": 0.3}, "class_id": 2,
                 "scores": {"acc": 0.3, "loss": 0.8}},
                {"position": {"minX": 2, "maxX": 20, "minY": 30, "maxY": 44}, "domain": "pixel", "class_id": 1,
                 "box_caption": "pixel", "scores": {"acc": 0.6, "loss": 0.4}},
            ]},
            "ground_truth": {"class_labels": {"1": "car"}, "box_data": [
                {"position": {"middle": [32, 24], "width": 20, "height": 10}, "domain": "pixel", "class_id": 1}]},
        }
    return rec


def wav_bytes(seconds: float = 0.5, rate: int = 8000, freq: float = 440.0) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    samples = (np.sin(2 * np.pi * freq * t) * np.linspace(1, 0.1, t.size) * 0.8 * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()


def gif_bytes(frames: int = 4) -> bytes:
    imgs = [Image.fromarray(image_array(i)) for i in range(frames)]
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:], duration=250, loop=0)
    return buf.getvalue()


def mp4_bytes(frames: int = 8, fps: int = 4, fmt: str = "mp4") -> bytes:
    import av

    buf = io.BytesIO()
    codec = ("libx264" if "libx264" in av.codecs_available else "mpeg4") if fmt == "mp4" else "libvpx-vp9"
    with av.open(buf, "w", format=fmt) as c:
        s = c.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for i in range(frames):
            for pkt in s.encode(av.VideoFrame.from_ndarray(image_array(i), format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)
    return buf.getvalue()


def video_head() -> bytes:
    """The first bytes of a video file the builder shows (it opens every video before publishing it):
    a real mp4, or without PyAV (nothing is checked then) an mp4 header alone."""
    try:
        return mp4_bytes()
    except ImportError:
        return b"\0\0\0\x18ftypmp42"


def audio_bytes(fmt: str, codec: str, rate: int = 8000, seconds: float = 1.0) -> bytes:
    """A tone of ``seconds`` encoded with PyAV's ``codec`` into the container ``fmt`` (mp3, ogg, flac,
    wav, mp4...)."""
    import av

    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as c:
        s = c.add_stream(codec, rate=rate)
        t = np.arange(int(rate * seconds)) / rate
        frame = av.AudioFrame.from_ndarray((0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :],
                                           format="fltp", layout="mono")
        frame.sample_rate = rate
        resample = av.AudioResampler(format=s.codec_context.format.name, layout="mono", rate=rate)
        for part in [*resample.resample(frame), None]:
            for pkt in s.encode(part):
                c.mux(pkt)
    return buf.getvalue()


BAR_TEMPLATE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "title": "${string:title}", "width": "container", "height": 200,
    "data": {"name": "table"}, "mark": "bar",
    "encoding": {"x": {"field": "${field:label}", "type": "nominal"},
                 "y": {"field": "${field:value}", "type": "quantitative"}},
}


def write_run(root: Path, run_id: str, *, name: str | None = None, steps: int = 3, offset: int = 0) -> Path:
    """A run with one key per media type over ``steps`` steps, plus summary-only records."""
    run = root / run_id
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"format": 1, "id": run_id, "name": name or run_id, "project": "media",
                                              "state": "finished", "created": 1_700_000_000 + offset}))
    (run / "config.json").write_text("{}")
    rows = []
    rng = np.random.default_rng(0)
    for step in range(steps):
        row: dict[str, Any] = {"_step": step, "loss": 1.0 / (step + 1)}
        row["examples"] = {"_type": "gallery", "count": 2, "items": [
            image_record(run, "examples", step, 0, caption=f"<i>sample</i> {step}"),
            image_record(run, "examples", step, 1, caption=f"other {step}")]}
        row["seg"] = image_record(run, "seg", step, masks=True, boxes=True, caption="segmentation")
        row["weights"] = {"_type": "histogram", "bins": list(np.linspace(-1 - step, 1 + step, 11)),
                          "values": [int(v) for v in rng.integers(0, 50, 10)]}
        row["sound"] = {"_type": "audio", "path": _write(run, f"media/audio/sound_{step}.wav", wav_bytes(freq=220 * (step + 1))),
                        "sample_rate": 8000, "channels": 1, "duration": 0.5, "caption": f"tone {step}"}
        rows.append(row)
    rows[-1]["anim"] = {"_type": "video", "path": _write(run, "media/videos/anim.gif", gif_bytes()), "format": "gif", "fps": 4}
    rows[-1]["webm"] = {"_type": "video", "path": _write(run, "media/videos/clip.webm", mp4_bytes(fmt="webm")), "format": "webm"}
    rows[-1]["clip"] = {"_type": "video", "path": _write(run, "media/videos/clip.mp4", mp4_bytes()), "format": "mp4", "fps": 4}
    table = {"columns": ["id", "text", "score", "image"],
             "data": [[i, f"row <{i}>", float(i % 7) / 7, image_record(run, "tbl", 0, i) if i < 3 else None] for i in range(60)]}
    rows[-1]["preds"] = {"_type": "table", "path": _write(run, "media/tables/preds.json", json.dumps(table).encode()),
                         "columns": table["columns"], "nrows": 60}
    rows[-1]["page"] = {"_type": "html", "inject": False, "path": _write(
        run, "media/html/page.html",
        b"<html><body><h3 id='x'>Hello <i>html</i></h3><script>document.getElementById('x').dataset.ran='1';"
        b"try{parent.document.title='owned'}catch(e){}</script></body></html>")}
    rows[-1]["mol"] = {"_type": "molecule", "format": "pdb", "structure": {
        "atoms": [{"element": "O", "x": 0.0, "y": 0.0, "z": 0.0}, {"element": "H", "x": 0.96, "y": 0.0, "z": 0.0},
                  {"element": "H", "x": -0.24, "y": 0.93, "z": 0.0}, {"element": "C", "x": 0.5, "y": -1.2, "z": 0.3},
                  {"element": "N", "x": 1.6, "y": -1.5, "z": 0.1}],
        "bonds": [[0, 1, 1], [0, 2, 1], [0, 3, 1], [3, 4, 2]]}}
    pts = rng.normal(size=(300, 3))
    rows[-1]["cloud"] = {"_type": "object3d", "format": "lidar/beta", "scene": {
        "points": pts.round(4).tolist(), "categories": [int(c) for c in rng.integers(1, 15, 300)],
        "boxes": [{"corners": [[0, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]],
                   "label": "Box <1>", "color": [255, 80, 80]}],
        "vectors": [{"start": [0, 0, 0], "end": [1.5, 1.0, 2.0]}]}}
    rows[-1]["rgbcloud"] = {"_type": "object3d", "format": "points", "scene": {
        "points": pts.round(4).tolist(), "point_colors": [[int(255 * (i % 3 == 0)), int(255 * (i % 3 == 1)), 200] for i in range(300)]}}
    rows[-1]["mesh"] = {"_type": "object3d", "format": "obj", "scene": {"mesh": {
        "vertices": [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], "faces": [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]}}}
    bar_table = {"columns": ["name", "count"], "data": [["a", 3], ["b", 7], ["c", 5]]}
    rows[-1]["bars"] = {"_type": "custom_chart", "preset": "bar", "title": "Bar <chart>",
                        "spec": _write(run, "media/charts/bar_template.json", json.dumps(BAR_TEMPLATE).encode()),
                        "table": _write(run, "media/tables/bar_table.json", json.dumps(bar_table).encode()),
                        "fields": {"label": "name", "value": "count"}, "string_fields": {"title": "Bar <chart>"}}
    vl = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "data": {"values": [{"x": i, "y": i * i} for i in range(10)]},
          "mark": "line", "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}}
    rows[-1]["mpl"] = {"_type": "vega_lite", "source": "matplotlib", "spec": _write(run, "media/charts/mpl.json", json.dumps(vl).encode())}
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80" viewBox="0 0 120 80">'
           b'<rect width="120" height="80" fill="#fff"/><circle cx="60" cy="40" r="30" fill="#3b5bdb"/></svg>')
    rows[-1]["figure"] = {"_type": "svg", "path": _write(run, "media/figures/figure.svg", svg)}
    fig = {"data": [{"type": "scatter", "x": [1, 2, 3], "y": [3, 1, 2], "mode": "lines+markers"}], "layout": {"title": {"text": "plotly"}}}
    rows[-1]["plot"] = {"_type": "plotly", "path": _write(run, "media/plotly/plot.json", json.dumps(fig).encode())}
    rows[-1]["strange"] = {"_type": "hologram", "path": "media/x.bin"}
    rows[-1]["lost"] = {"_type": "image", "path": "media/images/not_there.png", "format": "png", "width": 4, "height": 4}
    with open(run / "history.jsonl", "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    summary = {"loss": rows[-1]["loss"],
               "final_hist": {"_type": "histogram", "bins": [0, 1, 2, 3, 4], "values": [1, 5, 3, 2]},
               "weights_tensor": {"_type": "tensor", "path": _write(run, "media/tensors/w.npy", b"\x93NUMPY"), "shape": [10, 3],
                                  "dtype": "float32", "min": -1.0, "max": 2.0, "mean": 0.1, "std": 0.5, "var": 0.25,
                                  "p5": -0.8, "p25": -0.3, "p50": 0.1, "p75": 0.5, "p95": 1.5}}
    (run / "summary.json").write_text(json.dumps(summary))
    return run
