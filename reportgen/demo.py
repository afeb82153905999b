"""``reportgen demo``: realistic example runs, trained for real with numpy.

A small two-layer network classifies the iris flowers (from ``vega_datasets``,
bundled locally) at a few learning rates and hidden sizes; every run logs
train/validation loss and accuracy per epoch, its config and a summary.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from .tell import say

DEMO_GRID = [
    {"learning_rate": 0.3, "hidden": 16},
    {"learning_rate": 0.1, "hidden": 16},
    {"learning_rate": 0.03, "hidden": 16},
    {"learning_rate": 0.1, "hidden": 4},
]


def load_iris() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from vega_datasets import local_data

    df = local_data.iris()
    classes = sorted(df["species"].unique())
    x = df[["sepalLength", "sepalWidth", "petalLength", "petalWidth"]].to_numpy(dtype=float)
    y = df["species"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    return x, y, classes


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def train_one(run_root: Path, cfg: dict, x: np.ndarray, y: np.ndarray, classes: list[str], *,
              epochs: int = 150, seed: int = 0) -> str:
    import reportgen

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    split = int(0.7 * len(x))
    tr, va = order[:split], order[split:]
    mu, sd = x[tr].mean(0), x[tr].std(0)
    xn = (x - mu) / sd
    k, h = len(classes), cfg["hidden"]
    w1 = rng.normal(0, 1 / np.sqrt(4), (4, h)); b1 = np.zeros(h)
    w2 = rng.normal(0, 1 / np.sqrt(h), (h, k)); b2 = np.zeros(k)
    batch = 16
    name = f"mlp-h{h}-lr{cfg['learning_rate']}"
    run = reportgen.init(project="iris-mlp", name=name, dir=run_root, group=f"hidden={h}",
                         tags=["demo", "numpy"], id=f"iris-h{h}-lr{str(cfg['learning_rate']).replace('.', 'p')}",
                         config={**cfg, "epochs": epochs, "batch_size": batch, "optimizer": "sgd",
                                 "schedule": "cosine", "dataset": "vega_datasets.iris", "seed": seed})
    best = 0.0
    step = 0
    for epoch in range(epochs):
        lr = cfg["learning_rate"] * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
        perm = rng.permutation(tr)
        for i in range(0, len(perm), batch):
            idx = perm[i:i + batch]
            a1 = np.maximum(0, xn[idx] @ w1 + b1)
            p = _softmax(a1 @ w2 + b2)
            g = p.copy(); g[np.arange(len(idx)), y[idx]] -= 1; g /= len(idx)
            gw2 = a1.T @ g; gb2 = g.sum(0)
            ga1 = (g @ w2.T) * (a1 > 0)
            gw1 = xn[idx].T @ ga1; gb1 = ga1.sum(0)
            w1 -= lr * gw1; b1 -= lr * gb1; w2 -= lr * gw2; b2 -= lr * gb2
            step += 1

        def evaluate(ix: np.ndarray) -> tuple[float, float]:
            pr = _softmax(np.maximum(0, xn[ix] @ w1 + b1) @ w2 + b2)  # noqa: B023 (evaluated in this iteration)
            loss = float(-np.log(pr[np.arange(len(ix)), y[ix]] + 1e-12).mean())
            return loss, float((pr.argmax(1) == y[ix]).mean())

        tl, ta = evaluate(tr)
        vl, vacc = evaluate(va)
        best = max(best, vacc)
        row = {"train/loss": tl, "train/accuracy": ta, "val/loss": vl, "val/accuracy": vacc,
               "epoch": epoch, "global_step": step, "learning_rate": lr}
        if epoch % 15 == 0 or epoch == epochs - 1:
            row["weights/hidden"] = reportgen.Histogram(w1)  # distributions over time
        reportgen.log(row)
    probs = _softmax(np.maximum(0, xn[va] @ w1 + b1) @ w2 + b2)
    preds = probs.argmax(1)
    table = reportgen.Table(columns=["sepal length", "sepal width", "petal length", "petal width",
                                     "species", "predicted", "confidence"])
    for i, p in zip(va, probs):
        table.add_data(*[float(v) for v in x[i]], classes[y[i]], classes[int(p.argmax())], round(float(p.max()), 4))
    reportgen.log({"val/confusion_matrix": reportgen.plot.confusion_matrix(
                       y_true=y[va].tolist(), preds=preds.tolist(), class_names=classes),
                   "val/predictions": table})
    run.summary["best_val_accuracy"] = best
    reportgen.finish()
    return run.id


def make_demo_runs(root: Path, *, quiet: bool = False) -> list[str]:
    root = Path(root)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    x, y, classes = load_iris()
    ids = []
    for i, cfg in enumerate(DEMO_GRID):
        ids.append(train_one(root, cfg, x, y, classes, seed=i))
        if not quiet:
            say(f"trained {ids[-1]}")
    return ids
