"""One site with every page kind (index, run, compare, media compare, sweep, report, artifacts,
a crashed run's story, an imported run, a project overview, every wandb.plot custom chart),
built once for the layout tests.

Runs come from the real SDK (sweep agent, artifacts, a crash, histograms), the hand-written
media fixture (every media record type) and ``reportgen import csv``."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

import reportgen
from conftest import run_cli
from panels_fixtures import write_run as write_media_run

REPORT = """---
title: A small report
---
# Loss and samples

{{< chart metric="loss" >}}

{{< media key="examples" run="media run a" >}}

{{< runs >}}
"""

CRASH = """
import reportgen
run = reportgen.init(project="story", name="crashes", dir={root!r})
for i in range(3):
    run.log({{"loss": 1.0 / (i + 1)}})
    print("epoch", i, "a rather long console line that goes on " * 3)
reportgen.alert("Loss went up", "at epoch 2", level="WARN")
raise RuntimeError("out of memory (on purpose)")
"""


def make_runs(base: Path) -> tuple[Path, Path]:
    root = base / "runs"
    root.mkdir(parents=True)
    # media runs (two, so media keys get an "across runs" page)
    write_media_run(root, "media-a", name="media run a", steps=3)
    write_media_run(root, "media-b", name="media run b with a long name to wrap", steps=3, offset=60)
    # a sweep
    sweep_id = reportgen.sweep({"method": "random", "name": "tiny sweep", "metric": {"name": "loss", "goal": "minimize"},
                                "parameters": {"lr": {"min": 0.001, "max": 0.1}, "opt": {"values": ["adam", "sgd"]}}},
                               dir=root)

    def train():
        run = reportgen.init()
        for step in range(4):
            run.log({"loss": run.config["lr"] * 10 + 1 / (step + 1), "acc": 1 - run.config["lr"],
                     "weights/hidden": reportgen.Histogram(np.random.default_rng(step).normal(size=200))})

    reportgen.agent(sweep_id, function=train, count=3, dir=root)
    # artifacts
    (base / "data.csv").write_text("a,b\n1,2\n")
    prod = reportgen.init(project="arts", name="producer-with-a-very-long-name-that-does-not-wrap", dir=root)
    prod.log({"loss": 1.0})
    art = reportgen.Artifact("dataset-with-a-long-name-too", "dataset", metadata={"rows": 1})
    art.add_file(base / "data.csv")
    prod.log_artifact(art, aliases=["best"])
    prod.finish()
    # a crashed run: the run story (traceback, console, alert)
    subprocess.run([sys.executable, "-c", CRASH.format(root=str(root))], capture_output=True, timeout=120)
    # wandb.plot presets (pr_curve, roc_curve, line_series, confusion_matrix, wandb's area-under-curve)
    # in two runs, so each key also gets an "across runs" page; runs, classes and series named as
    # properties of Object.prototype
    log_plots(root)
    # an imported run (CSV)
    csv = base / "imported.csv"
    csv.write_text("step,loss,accuracy\n" + "".join(f"{s},{1 / (s + 1):.4f},{s / 10:.2f}\n" for s in range(10)))
    run_cli("import", "csv", str(csv), "-o", str(root), "--project", "imported", "-q")
    reports = base / "reports"
    reports.mkdir()
    (reports / "small.md").write_text(REPORT, encoding="utf-8")
    return root, reports


PROTO_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty"]


def log_plots(root: Path) -> None:
    rng = np.random.default_rng(7)
    for run_id, name in (("plots-a", "constructor"), ("plots-b", "toString")):
        run = reportgen.init(project="plots", id=run_id, name=name, dir=root)
        for step in range(4):
            run.log({"loss": 1 / (step + 1) + 0.1 * rng.random()})
        run.log({"test_acc": 0.9})  # a metric logged once: one point
        truth = rng.integers(0, 3, 120)
        probas = rng.dirichlet([1, 1, 1], 120)
        auc = reportgen.Table(data=[[0, 0, c] for c in PROTO_NAMES] + [[1, 1, c] for c in PROTO_NAMES],
                              columns=["x", "y", "class"])
        run.log({"pr": reportgen.plot.pr_curve(truth, probas, labels=PROTO_NAMES[:3]),
                 "roc": reportgen.plot.roc_curve(truth, probas, labels=PROTO_NAMES[1:]),
                 "series": reportgen.plot.line_series(xs=[0, 1, 2], ys=[[1, 2, 3], [3, 2, 1]],
                                                      keys=PROTO_NAMES[:2], title="series"),
                 "conf": reportgen.plot.confusion_matrix(probas, truth, PROTO_NAMES[:3]),
                 "auc": reportgen.plot_table("wandb/area-under-curve/v0", auc,
                                             {"x": "x", "y": "y", "class": "class"},
                                             {"title": "area under curve", "x-axis-title": "recall",
                                              "y-axis-title": "precision"})})
        run.finish()


def build_all_pages(base: Path) -> Path:
    root, reports = make_runs(base)
    out = base / "site"
    run_cli("build", str(root), "--reports", str(reports), "-o", str(out), "-q")
    return out


def page_list(site: Path) -> list[Path]:
    """Every HTML page of the site, except the raw media the site copies."""
    return sorted(p for p in site.rglob("*.html") if "media" not in p.relative_to(site).parts[:1]
                  and "assets" not in p.relative_to(site).parts[:1])
