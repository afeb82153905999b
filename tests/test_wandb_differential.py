"""One script run twice: with the real wandb (offline; its run imported by ``reportgen import
wandb``) and with ``import reportgen as wandb``. The history, summary and config must be the same:
a difference is a drop-in gap of the SDK or a reading gap of the importer."""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from import_sources import run_script, wandb_env
from reportgen.storage.reader import read_run

pytest.importorskip("wandb")

REPO = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import sys
import numpy as np
if sys.argv[1] == "wandb":
    import wandb
else:
    import reportgen as wandb
run = wandb.init(project="d", config={"a": 1, "nested": {"b": 2}}, dir=sys.argv[2])
wandb.define_metric("loss", summary="min")
wandb.define_metric("acc", summary="max,last")
wandb.define_metric("val/*", step_metric="epoch")
wandb.define_metric("m", summary="mean")
wandb.define_metric("f", summary="first")
wandb.define_metric("hidden", summary="none")
wandb.define_metric("quiet/*", summary="none")
for i in range(10):
    wandb.log({"loss": 1 / (i + 1), "acc": i / 10, "m": i, "f": (i - 5) ** 2, "hidden": i, "quiet/x": -i,
               "nested": {"x": i, "y": {"z": i * 2}}})
wandb.log({"val/loss": 0.5, "epoch": 1})
wandb.log({"late": 1}, step=5)  # a step lower than the current one: dropped
wandb.log({"c1": 1}, commit=False)
wandb.log({"c2": 2}, commit=False)
wandb.log({"c3": 3})
wandb.log({"s": 7}, step=20)
wandb.log({"s": 8}, step=20)
wandb.log({"s": 9}, step=21)
run.summary["manual"] = 42
run.summary.update({"loss": 123})
wandb.config.update({"later": "x"})
wandb.log({"nan": float("nan"), "inf": float("inf"), "text": "hello", "flag": True, "none": None})
wandb.log({"lst": [1, 2, 3], "tup": (1, 2), "small": np.arange(5), "grid": np.ones((2, 2)), "one": np.float32(1.5),
           "npint": np.int64(3), "big": 2 ** 70, "arr": np.arange(100), "h": wandb.Histogram([1, 2, 2, 3, 3, 3]),
           "h2": wandb.Histogram(np_histogram=np.histogram([1, 2, 3], bins=3))})
run.finish()
'''


def _both(tmp_path: Path, cli, script: str):
    """``script`` run with the real wandb (offline, then ``reportgen import wandb``) and with
    reportgen: the two runs as the readers see them."""
    wroot, rroot, imported = tmp_path / "w", tmp_path / "r", tmp_path / "imported"
    run_script(script, "wandb", wroot, env=wandb_env(wroot))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script, "reportgen", rroot], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    cli("import", "wandb", str(wroot / "wandb"), "-o", str(imported), "-q")
    (theirs,) = [read_run(p) for p in imported.iterdir() if p.is_dir()]
    (ours,) = [read_run(p) for p in rroot.iterdir() if p.is_dir()]
    return theirs, ours


def _user(d: dict) -> dict:
    return {k: v for k, v in d.items() if not k.startswith("_")}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def test_a_script_logs_the_same_with_wandb_and_with_reportgen(tmp_path, cli):
    theirs, ours = _both(tmp_path, cli, SCRIPT)
    assert [r["_step"] for r in theirs.history] == [r["_step"] for r in ours.history]
    for a, b in zip(theirs.history, ours.history):
        assert _same(_user(a), _user(b)), (a, b)
    assert _same(_user(theirs.summary), _user(ours.summary)), (theirs.summary, ours.summary)
    assert "hidden" not in ours.summary and "quiet/x" not in ours.summary and ours.summary["loss"] == 123
    assert theirs.config == ours.config == {"a": 1, "nested": {"b": 2}, "later": "x"}


MEDIA_SCRIPT = r'''
import sys
import numpy as np
if sys.argv[1] == "wandb":
    import wandb
else:
    import reportgen as wandb
run = wandb.init(project="d", dir=sys.argv[2])
img = np.zeros((8, 6, 3), dtype=np.uint8)
img[..., 0] = 200
t = wandb.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])
t.add_data(3, "z")
t.add_column("c", [7, 8, 9])
wandb.log({"img": wandb.Image(img, caption="red"), "imgs": [wandb.Image(img), wandb.Image(img // 2)], "t": t,
           "line": wandb.plot.line(t, "a", "c", title="L"), "scatter": wandb.plot.scatter(t, "a", "c"),
           "bar": wandb.plot.bar(t, "b", "c"), "hist": wandb.plot.histogram(t, "c"),
           "ls": wandb.plot.line_series(xs=[0, 1, 2], ys=[[1, 2, 3], [3, 2, 1]], keys=["u", "v"], title="S", xname="x"),
           "cm": wandb.plot.confusion_matrix(y_true=[0, 1, 1, 0], preds=[0, 1, 0, 0], class_names=["n", "p"]),
           "custom": wandb.plot_table("wandb/lineseries/v0", t, {"step": "a", "lineKey": "b", "lineVal": "c"},
                                      {"title": "T"})})
run.finish()
'''


def _table(run, rec: dict) -> dict:
    import json

    data = json.loads((run.path / rec["table" if rec["_type"] == "custom_chart" else "path"]).read_text())
    return {"columns": data["columns"], "data": data["data"]}


def test_media_and_charts_log_the_same_with_wandb_and_with_reportgen(tmp_path, cli):
    """wandb.plot.* charts of one table each, read back from a real wandb run: only the last
    chart's definition survived the import (each is a config update of its own nested key), and
    wandb's ``lineseries`` preset was unknown."""
    theirs, ours = _both(tmp_path, cli, MEDIA_SCRIPT)
    (a,), (b,) = theirs.history, ours.history
    assert _user(a).keys() == _user(b).keys()
    for key in ("line", "scatter", "bar", "hist", "ls", "cm", "custom"):
        assert a[key]["_type"] == b[key]["_type"] == "custom_chart", key
        assert (a[key]["preset"], a[key]["fields"]) == (b[key]["preset"], b[key]["fields"]), key
        assert _table(theirs, a[key]) == _table(ours, b[key]), key
    assert _table(theirs, a["t"]) == _table(ours, b["t"]) == {
        "columns": ["a", "b", "c"], "data": [[1, "x", 7], [2, "y", 8], [3, "z", 9]]}
    for x, y in ((a["img"], b["img"]), *zip(a["imgs"]["items"], b["imgs"]["items"])):
        assert {k: x.get(k) for k in ("_type", "width", "height", "mode", "caption")} == \
               {k: y.get(k) for k in ("_type", "width", "height", "mode", "caption")}
        assert (theirs.path / x["path"]).read_bytes() == (ours.path / y["path"]).read_bytes() or \
            _pixels(theirs.path / x["path"]) == _pixels(ours.path / y["path"])


def _pixels(path: Path) -> list:
    from PIL import Image

    with Image.open(path) as im:
        return list(im.convert("RGB").getdata())


STEPS_SCRIPT = r'''
import sys
if sys.argv[1] == "wandb":
    import wandb
else:
    import reportgen as wandb
run = wandb.init(project="d", dir=sys.argv[2])
wandb.log({"a": 1}, commit=False)
wandb.log({"b": 2}, step=3)
wandb.log({"c": 3}, step=3, commit=False)
wandb.log({"d": 4})
wandb.log({"e": 5}, step=5, commit=True)
wandb.log({"f": 6}, step=5)
wandb.log({"g": 7}, commit=False)
wandb.log({"g": 8}, commit=False)
wandb.log({"h": 9})
wandb.define_metric("epoch")
wandb.define_metric("val_acc", step_metric="epoch", step_sync=True)
wandb.define_metric("val_loss", step_metric="epoch", step_sync=False)
wandb.log({"epoch": 1})
wandb.log({"val_acc": 0.5, "val_loss": 0.1})
wandb.log({"val_loss": 0.2})
wandb.define_metric("train/*", step_metric="train/step")
wandb.log({"train/loss": 1, "train/step": 10})
wandb.log({"train/loss": 2})
wandb.log({"train/other": 3, "train/step": 11})
run.finish()
'''


def test_steps_commits_and_step_sync_are_the_same_with_wandb_and_with_reportgen(tmp_path, cli):
    """define_metric(step_metric=...) syncs the step metric into rows that lack it (wandb's
    step_sync, on by default with a step_metric): those rows had no epoch / train/step here."""
    theirs, ours = _both(tmp_path, cli, STEPS_SCRIPT)
    assert [_user(r) | {"_step": r["_step"]} for r in theirs.history] == \
           [_user(r) | {"_step": r["_step"]} for r in ours.history]
    assert {"_step": 8, "val_acc": 0.5, "val_loss": 0.1, "epoch": 1} in [_user(r) | {"_step": r["_step"]}
                                                                         for r in ours.history]
    assert {"_step": 11, "train/loss": 2, "train/step": 10} in [_user(r) | {"_step": r["_step"]}
                                                                for r in ours.history]


SUMMARY_SCRIPT = r'''
import sys
if sys.argv[1] == "wandb":
    import wandb
else:
    import reportgen as wandb
run = wandb.init(project="d", dir=sys.argv[2])
run.summary["x"] = {"y": 1}
run.summary["x"]["z"] = 2
run.summary.best = 5
run.summary.gone = 6
run.summary.update({"n": {"a": {"b": 1}}})
run.summary["n"]["a"]["c"] = 3
wandb.log({"loss": 1.0})
run.summary["loss"] = 0.5
wandb.log({"acc": 1.0})
del run.summary["gone"]
wandb.summary["ws"] = 7
run.finish()
'''


def test_summary_changes_are_the_same_with_wandb_and_with_reportgen(tmp_path, cli):
    """``run.summary.best = 5`` was a Python attribute here (never written); the importer took a
    nested summary key (``run.summary["x"]["z"] = 2``) for the whole of ``x`` and missed deletions."""
    theirs, ours = _both(tmp_path, cli, SUMMARY_SCRIPT)
    assert _user(theirs.summary) == _user(ours.summary) == {
        "x": {"y": 1, "z": 2}, "best": 5, "n": {"a": {"b": 1, "c": 3}}, "loss": 0.5, "acc": 1.0, "ws": 7}
