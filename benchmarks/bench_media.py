"""Media encoding cost, as ratios against a plain baseline measured in the same run.

    python benchmarks/bench_media.py

- Image: a 256x256 RGB float array -> PNG file, vs ``np.save`` of the same array;
- Table: 10,000 rows x 4 columns -> JSON file, vs ``json.dumps`` of the same rows;
- Object3D: a 100,000-point RGB cloud -> scene JSON, vs ``json.dumps`` of ``tolist()``.
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


def main() -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = MediaContext(Path(tmp), "bench", 0)
        img = rng.random((256, 256, 3))
        base = best(lambda: np.save(io.BytesIO(), img))
        ours = best(lambda: Image(img).to_record(ctx))
        print(f"image 256x256 -> png: {ours * 1e3:8.2f} ms   baseline np.save {base * 1e3:7.2f} ms   ratio {ours / base:6.1f}x")

        rows = [[i, float(i) / 3, f"row {i}", i % 2 == 0] for i in range(10_000)]
        base = best(lambda: json.dumps(rows))
        ours = best(lambda: Table(columns=["i", "x", "s", "b"], data=rows).to_record(ctx))
        print(f"table 10k rows -> json: {ours * 1e3:6.2f} ms   baseline json.dumps {base * 1e3:7.2f} ms   ratio {ours / base:6.1f}x")

        cloud = np.c_[rng.normal(size=(100_000, 3)), rng.integers(0, 256, (100_000, 3))]
        base = best(lambda: json.dumps(cloud.tolist()), repeat=3)
        ours = best(lambda: Object3D(cloud).to_record(ctx), repeat=3)
        print(f"points 100k -> scene json: {ours * 1e3:6.1f} ms   baseline json.dumps {base * 1e3:7.1f} ms   ratio {ours / base:6.1f}x")


if __name__ == "__main__":
    main()
