"""Train a tiny numpy MLP on the iris flowers at a few learning rates, logged wandb-style.

    python examples/train_example.py --dir runs
    reportgen build runs --reports examples/reports -o site

The runs are what ``examples/reports/iris-sweep.md`` refers to: metrics every
epoch, a decision-map image every few epochs (key ``predictions``), and a
confusion-matrix chart in the summary (key ``confusion_matrix``).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import reportgen as wandb
from reportgen.demo import load_iris

GRID = [
    {"learning_rate": 0.3, "hidden": 16},
    {"learning_rate": 0.1, "hidden": 16},
    {"learning_rate": 0.03, "hidden": 16},
    {"learning_rate": 0.1, "hidden": 4},
]
CLASS_COLORS = np.array([[76, 120, 168], [245, 133, 24], [84, 162, 75]], dtype=np.uint8)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class MLP:
    def __init__(self, hidden: int, classes: int, rng: np.random.Generator):
        self.w1 = rng.normal(0, 0.5, (4, hidden)); self.b1 = np.zeros(hidden)
        self.w2 = rng.normal(0, 1 / np.sqrt(hidden), (hidden, classes)); self.b2 = np.zeros(classes)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a1 = np.maximum(0, x @ self.w1 + self.b1)
        return a1, softmax(a1 @ self.w2 + self.b2)

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> None:
        a1, p = self.forward(x)
        g = p.copy(); g[np.arange(len(y)), y] -= 1; g /= len(y)
        ga1 = (g @ self.w2.T) * (a1 > 0)
        self.w2 -= lr * a1.T @ g; self.b2 -= lr * g.sum(0)
        self.w1 -= lr * x.T @ ga1; self.b1 -= lr * ga1.sum(0)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
        p = self.forward(x)[1]
        loss = float(-np.log(p[np.arange(len(y)), y] + 1e-12).mean())
        pred = p.argmax(1)
        return loss, float((pred == y).mean()), pred


def decision_map(model: MLP, xn: np.ndarray, y: np.ndarray, size: int = 96) -> np.ndarray:
    """An RGB image: predicted class over the petal length/width plane, samples as dots."""
    lo, hi = xn[:, 2:].min(0) - 0.5, xn[:, 2:].max(0) + 0.5
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], size), np.linspace(hi[1], lo[1], size))
    grid = np.tile(xn.mean(0), (size * size, 1))
    grid[:, 2], grid[:, 3] = gx.ravel(), gy.ravel()
    img = (CLASS_COLORS[model.forward(grid)[1].argmax(1)].reshape(size, size, 3) * 0.45 + 140).astype(np.uint8)
    cols = ((xn[:, 2] - lo[0]) / (hi[0] - lo[0]) * (size - 1)).round().astype(int)
    rows = ((hi[1] - xn[:, 3]) / (hi[1] - lo[1]) * (size - 1)).round().astype(int)
    for r, c, k in zip(rows, cols, y):
        img[max(r - 1, 0):r + 2, max(c - 1, 0):c + 2] = CLASS_COLORS[k]
    return img


def confusion_spec(y: np.ndarray, pred: np.ndarray, classes: list[str]) -> dict:
    counts = np.zeros((len(classes), len(classes)), dtype=int)
    for t, p in zip(y, pred):
        counts[t, p] += 1
    values = [{"actual": classes[t], "predicted": classes[p], "count": int(counts[t, p])}
              for t in range(len(classes)) for p in range(len(classes))]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Confusion matrix (validation)", "width": 220, "height": 220,
        "data": {"values": values},
        "encoding": {"x": {"field": "predicted", "type": "nominal"}, "y": {"field": "actual", "type": "nominal"}},
        "layer": [
            {"mark": "rect", "encoding": {"color": {"field": "count", "type": "quantitative",
                                                    "scale": {"scheme": "blues"}}}},
            {"mark": {"type": "text", "fontSize": 14}, "encoding": {"text": {"field": "count", "type": "quantitative"}}},
        ],
    }


class MediaLog:
    """Logs images and charts with the SDK's media types when this reportgen has them; otherwise
    writes the same records (docs/media-format.md) into the run folder after the run finishes."""

    def __init__(self) -> None:
        try:
            self.image_cls = wandb.Image
        except (AttributeError, ImportError):
            self.image_cls = None
        self.rows: list[dict] = []
        self.summary: dict = {}

    def image(self, key: str, step: int, array: np.ndarray, caption: str) -> dict:
        if self.image_cls is not None:
            return {key: self.image_cls(array, caption=caption)}
        self.rows.append({"_step": step, "_timestamp": time.time(), key: ("image", array, caption)})
        return {}

    def chart(self, key: str, spec: dict) -> None:
        self.summary[key] = spec

    def flush(self, run) -> None:
        from PIL import Image as PILImage
        from io import BytesIO

        from reportgen.media.base import MediaContext
        from reportgen.storage.jsonio import read_json, write_json_atomic
        from reportgen.storage.writer import RunWriter

        writer = None
        for row in self.rows:
            out = {}
            for key, value in row.items():
                if isinstance(value, tuple):
                    _, array, caption = value
                    buf = BytesIO()
                    PILImage.fromarray(array).save(buf, format="PNG", optimize=False)
                    path = MediaContext(run.dir, key, row["_step"]).write_bytes("images", "png", buf.getvalue())
                    value = {"_type": "image", "path": path, "format": "png", "width": array.shape[1],
                             "height": array.shape[0], "mode": "RGB", "caption": caption}
                out[key] = value
            writer = writer or RunWriter(run.dir)
            writer.append_row(out)
        if writer is not None:
            writer.close()
        if self.summary:
            summary = read_json(run.dir / "summary.json")
            for key, spec in self.summary.items():
                data = json.dumps(spec, indent=1).encode()
                path = MediaContext(run.dir, key, None).write_bytes("charts", "json", data)
                summary[key] = {"_type": "vega_lite", "spec": path}
            write_json_atomic(run.dir / "summary.json", summary)


def train(root: Path, cfg: dict, seed: int, epochs: int) -> str:
    x, y, classes = load_iris()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    tr, va = order[:105], order[105:]
    xn = (x - x[tr].mean(0)) / x[tr].std(0)
    h, lr0 = cfg["hidden"], cfg["learning_rate"]
    run = wandb.init(project="iris-example", dir=root, name=f"mlp-h{h}-lr{lr0}",
                     id=f"h{h}-lr{str(lr0).replace('.', 'p')}", group=f"hidden={h}",
                     tags=["example", "lr-sweep" if h == 16 else "small"],
                     config={**cfg, "epochs": epochs, "batch_size": 16, "seed": seed})
    model, media = MLP(h, len(classes), rng), MediaLog()
    best = 0.0
    for epoch in range(epochs):
        lr = lr0 * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
        perm = rng.permutation(tr)
        for i in range(0, len(perm), 16):
            model.step(xn[perm[i:i + 16]], y[perm[i:i + 16]], lr)
        tl, ta, _ = model.evaluate(xn[tr], y[tr])
        vl, vacc, pred = model.evaluate(xn[va], y[va])
        best = max(best, vacc)
        row = {"train/loss": tl, "train/accuracy": ta, "val/loss": vl, "val/accuracy": vacc,
               "learning_rate": lr, "epoch": epoch}
        if epoch % 10 == 0 or epoch == epochs - 1:
            row.update(media.image("predictions", epoch, decision_map(model, xn, y),
                                   f"epoch {epoch}: val accuracy {vacc:.2f}"))
        wandb.log(row)
    media.chart("confusion_matrix", confusion_spec(y[va], pred, classes))
    run.summary["best_val_accuracy"] = best
    wandb.finish()
    media.flush(run)
    return run.id


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path("runs"), help="runs folder to write (default: runs)")
    ap.add_argument("--epochs", type=int, default=60, help="epochs per run (default: 60)")
    args = ap.parse_args(argv)
    for seed, cfg in enumerate(GRID):
        print("trained", train(args.dir, cfg, seed, args.epochs))


if __name__ == "__main__":
    main()
