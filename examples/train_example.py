"""Train a tiny numpy MLP on the iris flowers at a few learning rates, logged wandb-style.

    python examples/train_example.py --dir runs
    reportgen build runs --reports examples/reports -o site

The runs are what ``examples/reports/iris-sweep.md`` refers to, all logged with the
SDK: metrics every epoch, a decision-map ``wandb.Image`` every few epochs (key
``predictions``), and at the end a ``wandb.plot.confusion_matrix`` chart (key
``confusion_matrix``) and a ``wandb.Table`` of the misclassified validation flowers
(key ``val_errors``).
"""
from __future__ import annotations

import argparse
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
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
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
    model = MLP(h, len(classes), rng)
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
            row["predictions"] = wandb.Image(decision_map(model, xn, y),
                                             caption=f"epoch {epoch}: val accuracy {vacc:.2f}")
        wandb.log(row)
    names = [str(c) for c in classes]
    errors = wandb.Table(columns=["sample", *FEATURES, "actual", "predicted"],
                         data=[[int(i), *[round(float(v), 2) for v in x[i]], names[t], names[p]]
                               for i, t, p in zip(va, y[va], pred) if t != p])
    wandb.log({"confusion_matrix": wandb.plot.confusion_matrix(y_true=y[va], preds=pred, class_names=names,
                                                               title="Confusion matrix (validation)"),
               "val_errors": errors})
    run.summary["best_val_accuracy"] = best
    wandb.finish()
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
