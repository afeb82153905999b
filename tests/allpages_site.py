"""One site with every page kind (index, run, compare, media compare, sweep, report, artifacts,
a crashed run's story, an imported run, a project overview), built once for the layout tests.

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
    # an imported run (CSV)
    csv = base / "imported.csv"
    csv.write_text("step,loss,accuracy\n" + "".join(f"{s},{1 / (s + 1):.4f},{s / 10:.2f}\n" for s in range(10)))
    run_cli("import", "csv", str(csv), "-o", str(root), "--project", "imported", "-q")
    reports = base / "reports"
    reports.mkdir()
    (reports / "small.md").write_text(REPORT, encoding="utf-8")
    return root, reports


def build_all_pages(base: Path) -> Path:
    root, reports = make_runs(base)
    out = base / "site"
    run_cli("build", str(root), "--reports", str(reports), "-o", str(out), "-q")
    return out


def page_list(site: Path) -> list[Path]:
    """Every HTML page of the site, except the raw media the site copies."""
    return sorted(p for p in site.rglob("*.html") if "media" not in p.relative_to(site).parts[:1]
                  and "assets" not in p.relative_to(site).parts[:1])
