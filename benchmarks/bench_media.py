"""Media encoding cost, as ratios against a plain baseline measured in the same run.

    python benchmarks/bench_media.py

- Image: ``Image(array).to_record()`` (pixel rule, PNG encode, file write) for 256x256 RGB
  arrays (uint8 and float in [0, 1]; a smooth picture with noise, and pure noise), vs the
  PNG-encode floor: PIL encoding the same pixels as uint8 (target <= 1.2x);
- Table: 10,000 rows x 4 columns -> JSON file, vs ``json.dumps`` of the same rows;
- Object3D: a 100,000-point RGB cloud -> scene JSON, vs ``json.dumps`` of ``tolist()``;
- a 2M-point RGB cloud's scene as the build reads it (``jsonio.loads`` with the depth bound), vs
  ``orjson.loads`` alone (the depth walk of every decoded list was 2.2x orjson's time), and its
  page payload (the drawn sample, packed) vs the decimals of every point it was (``--big``).
"""
from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportgen.media.base import MediaContext  # noqa: E402
from reportgen.media.image import Image  # noqa: E402
from reportgen.media.object3d import Object3D  # noqa: E402
from reportgen.media.table import Table  # noqa: E402


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def best_pair(base, ours, repeat: int = 15) -> tuple[float, float]:
    """Best CPU times of this thread for two functions run alternately (a busy machine: CPU time,
    not wall time, and both measured in the same moments)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, out in ((base, times[0]), (ours, times[1])):
            t0 = time.thread_time()
            fn()
            out.append(time.thread_time() - t0)
    return min(times[0]), min(times[1])


def main() -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = MediaContext(Path(tmp), "bench", 0)
        from PIL import Image as PILImage

        yy, xx = np.mgrid[0:256, 0:256] / 255.0
        smooth = np.clip(np.stack([yy, xx, (yy + xx) / 2], -1) + rng.normal(0, 0.02, (256, 256, 3)), 0, 1)
        noise = rng.random((256, 256, 3))
        for name, img in (("uint8 picture", np.rint(smooth * 255).astype(np.uint8)), ("float picture", smooth),
                          ("float noise", noise)):
            pixels = img if img.dtype == np.uint8 else np.rint(img * 255).astype(np.uint8)
            steps = iter(range(10**6))  # a new file every time (an existing one is not rewritten)
            base, ours = best_pair(
                lambda pixels=pixels: PILImage.fromarray(pixels).save(io.BytesIO(), format="PNG"),
                lambda img=img, name=name, steps=steps: Image(img).to_record(MediaContext(Path(tmp), name, next(steps))))
            print(f"image 256x256 {name:13s} -> png: {ours * 1e3:6.2f} ms   floor PNG encode {base * 1e3:6.2f} ms (CPU)"
                  f"   ratio {ours / base:5.2f}x  (target <= 1.2x)")

        rows = [[i, float(i) / 3, f"row {i}", i % 2 == 0] for i in range(10_000)]
        base = best(lambda: json.dumps(rows))
        ours = best(lambda: Table(columns=["i", "x", "s", "b"], data=rows).to_record(ctx))
        print(f"table 10k rows -> json: {ours * 1e3:6.2f} ms   baseline json.dumps {base * 1e3:7.2f} ms   ratio {ours / base:6.1f}x")

        cloud = np.c_[rng.normal(size=(100_000, 3)), rng.integers(0, 256, (100_000, 3))]
        base = best(lambda: json.dumps(cloud.tolist()), repeat=3)
        ours = best(lambda: Object3D(cloud).to_record(ctx), repeat=3)
        print(f"points 100k -> scene json: {ours * 1e3:6.1f} ms   baseline json.dumps {base * 1e3:7.1f} ms   ratio {ours / base:6.1f}x")
        if "--big" in sys.argv:
            big_cloud(ctx, rng)


def big_cloud(ctx: MediaContext, rng: np.random.Generator) -> None:
    import orjson

    from reportgen.site.panels.pointcloud import cloud_payload
    from reportgen.storage.jsonio import dumps, loads
    from reportgen.storage.safety import MAX_DEPTH

    cloud = np.c_[rng.random((2_000_000, 3)), rng.integers(0, 256, (2_000_000, 3))]
    data = (ctx.run_dir / Object3D(cloud).to_record(ctx)["scene"]).read_bytes()
    base, ours = best_pair(lambda: orjson.loads(data), lambda: loads(data, max_depth=MAX_DEPTH), repeat=3)
    print(f"points 2M scene ({len(data) >> 20} MB) read with the depth bound: {ours:5.2f} s   baseline orjson.loads "
          f"{base:5.2f} s   ratio {ours / base:4.2f}x (CPU)")
    scene = loads(data)
    packed = len(dumps(cloud_payload(scene, print)[0]))
    decimals = len(dumps({"points": [v for p in scene["points"] for v in p],
                          "colors": [v for p in scene["point_colors"] for v in p]}))
    print(f"points 2M page payload: {packed >> 20} MB packed sample vs {decimals >> 20} MB of decimals "
          f"(every point), ratio {packed / decimals:4.2f}x")


if __name__ == "__main__":
    main()
