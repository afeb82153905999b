"""Sources for the importer tests, written by the real libraries in subprocesses
(torch's SummaryWriter, tensorboardX, wandb offline, mlflow's file store).

Each ``*_SCRIPT`` takes the output folder as ``sys.argv[1]``; the values written are
the ones the tests expect back (kept next to the scripts so the two cannot drift)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

STEPS = 30
MEDIA_EVERY = 10


def loss(s: int) -> float:
    return 1.0 / (s + 1)


TORCH_SCRIPT = r'''
import sys, numpy as np
from torch.utils.tensorboard import SummaryWriter
steps, every = int(sys.argv[2]), int(sys.argv[3])
start = int(sys.argv[4]) if len(sys.argv) > 4 else 0
w = SummaryWriter(sys.argv[1])
for s in range(start, steps):
    w.add_scalar("loss", 1.0 / (s + 1), s)
    w.add_scalar("acc/train", s / 100, s)
    if s % every == 0:
        w.add_histogram("weights", np.random.default_rng(s).normal(size=1000), s)
        img = np.zeros((3, 6, 9), dtype=np.uint8); img[0] = s
        w.add_image("sample", img, s)
        w.add_text("note", f"step {s}", s)
        w.add_audio("tone", np.sin(np.linspace(0, 100, 8000)).astype(np.float32), s, sample_rate=8000)
if start == 0:
    w.add_hparams({"lr": 0.01, "opt": "adam"}, {"hparam/score": 0.75}, run_name="hp")
w.close()
'''

TBX_SCRIPT = r'''
import sys, numpy as np
from tensorboardX import SummaryWriter
w = SummaryWriter(sys.argv[1])
for s in range(int(sys.argv[4]) if len(sys.argv) > 4 else 0, int(sys.argv[2])):
    w.add_scalar("loss", 1.0 / (s + 1), s)
    if s % int(sys.argv[3]) == 0:
        w.add_histogram("weights", np.arange(100, dtype=float) + s, s)
        w.add_image("sample", np.full((3, 5, 7), 40 + s, dtype=np.uint8), s)
        w.add_text("note", f"tbx {s}", s)
w.close()
'''

TB_SCRIPT = r'''
import sys
from tensorboard.summary import Writer  # TensorBoard's own writer (no TensorFlow): tensor scalars
w = Writer(sys.argv[1])
for s in range(int(sys.argv[2])):
    w.add_scalar("loss", 1.0 / (s + 1), step=s)
w.close()
'''

WANDB_SCRIPT = r'''
import sys, os, numpy as np
import wandb
run = wandb.init(project="wproj", name="w-run", config={"lr": 0.01, "arch": {"depth": 3}}, tags=["t1", "t2"],
                 notes="imported notes", group="g1", job_type="train")
for s in range(int(sys.argv[2])):
    d = {"loss": 1.0 / (s + 1), "acc": s / 100}
    if s % int(sys.argv[3]) == 0:
        img = np.zeros((6, 9, 3), dtype=np.uint8); img[..., 1] = 10 + s
        d["img"] = wandb.Image(img, caption=f"s{s}")
        d["hist"] = wandb.Histogram(np.arange(50, dtype=float) + s)
        d["tbl"] = wandb.Table(columns=["a", "b"], data=[[s, "x"], [s + 1, "y"]])
    wandb.log(d)
run.summary["best"] = 0.97
run.finish()
'''

MLFLOW_SCRIPT = r'''
import sys, numpy as np, mlflow
mlflow.set_tracking_uri("file:" + sys.argv[1])
mlflow.set_experiment("exp-one")
with mlflow.start_run(run_name="first", tags={"team": "vision"}) as run:
    mlflow.log_params({"lr": 0.1, "layers": 3, "opt": "sgd"})
    for s in range(int(sys.argv[2])):
        mlflow.log_metric("loss", 1.0 / (s + 1), step=s)
        if s % 2 == 0:
            mlflow.log_metric("val/acc", s / 100, step=s)
    img = np.zeros((4, 6, 3), dtype=np.uint8); img[..., 2] = 77
    mlflow.log_image(img, key="pred", step=3)
    mlflow.log_image(np.full((3, 3, 3), 9, dtype=np.uint8), "plots/nine.png")
    mlflow.set_tag("mlflow.note.content", "a note")
with mlflow.start_run(run_name="failed") as run:
    mlflow.log_metric("loss", 5.0)
    mlflow.log_metric("loss", 4.0)
    mlflow.end_run(status="FAILED")
'''


def start_script(script: str, *args: object, env: dict | None = None) -> subprocess.Popen:
    full = {**os.environ, **(env or {})}
    full.pop("PYTHONPATH", None)  # the real libraries only: no reportgen on the path
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], env=full, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_script(proc: subprocess.Popen, timeout: float = 300) -> None:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"source script failed ({proc.returncode}):\n{out}\n{err}")


# MLflow SQL stores (tests/test_importers_mlflow_sql.py, _server.py): argv folder, tracking URI,
# experiment, "first" (two runs) or "more" (the first run goes on)
MLFLOW_SQL_SCRIPT = r'''
import os, sys, numpy as np, mlflow
os.chdir(sys.argv[1])  # artifacts go to ./mlruns (the client's default next to a database store)
mlflow.set_tracking_uri(sys.argv[2])
mlflow.set_experiment(sys.argv[3])
if sys.argv[4] == "first":
    with mlflow.start_run(run_name="first", tags={"team": "nlp"}) as run:
        mlflow.log_params({"lr": 0.01, "layers": 2, "opt": "adam"})
        for s in range(20):
            mlflow.log_metric("loss", 1.0 / (s + 1), step=s)
        mlflow.log_metric("odd", float("nan"), step=18)
        mlflow.log_metric("odd", float("inf"), step=19)
        img = np.zeros((4, 6, 3), dtype=np.uint8); img[..., 1] = 55
        mlflow.log_image(img, key="pred", step=3)
    with mlflow.start_run(run_name="failed"):
        mlflow.log_metric("loss", 5.0)
        mlflow.log_metric("loss", 4.0)
        mlflow.end_run(status="FAILED")
    open("first.id", "w").write(run.info.run_id)
else:  # the training run goes on: more rows in the same run
    with mlflow.start_run(run_id=open("first.id").read()):
        for s in range(20, 25):
            mlflow.log_metric("loss", 1.0 / (s + 1), step=s)
'''



MLFLOW_DELETE_SCRIPT = r'''
import os, sys, mlflow
from mlflow.entities import ViewType
os.chdir(sys.argv[1])
client = mlflow.tracking.MlflowClient(sys.argv[2])
runs = client.search_runs([e.experiment_id for e in client.search_experiments()], run_view_type=ViewType.ALL)
(run,) = [r for r in runs if r.info.run_name == sys.argv[3]]
getattr(client, sys.argv[4])(run.info.run_id)  # delete_run, restore_run
'''


def check_mlflow_sql_runs(runs: dict, project: str) -> None:
    """What MLFLOW_SQL_SCRIPT's "first" runs must be once imported (``runs``: run name -> record)."""
    import math

    first, failed = runs["first"], runs["failed"]
    assert first.project == project and first.state == "finished" and failed.state == "crashed"
    assert first.config == {"lr": 0.01, "layers": 2, "opt": "adam"}
    assert first.meta["tags"] == ["team=nlp"]
    loss = [(r["_step"], r["loss"]) for r in first.history if "loss" in r]
    assert loss == [(s, 1.0 / (s + 1)) for s in range(20)]
    (s18, nan), (s19, inf) = [(r["_step"], r["odd"]) for r in first.history if "odd" in r]
    assert (s18, s19) == (18, 19) and math.isnan(nan) and inf == math.inf  # MLflow's is_nan and 1.797e308
    assert [(r["_step"], r["loss"]) for r in failed.history if "loss" in r] == [(0, 5.0), (1, 4.0)]


def run_script(script: str, *args: object, env: dict | None = None) -> None:
    wait_script(start_script(script, *args, env=env))


def wandb_env(root: Path) -> dict:
    return {"WANDB_MODE": "offline", "WANDB_DIR": str(root), "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
            "WANDB_CONFIG_DIR": str(root / ".config"), "WANDB_CACHE_DIR": str(root / ".cache"),
            "WANDB_DATA_DIR": str(root / ".data"), "WANDB_DISABLE_GIT": "true"}


def mlflow_env() -> dict:
    return {"MLFLOW_ALLOW_FILE_STORE": "true"}



def has_torch() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def make_sources(root: Path) -> dict[str, Path]:
    """A TensorBoard logdir (torch's SummaryWriter when torch is installed, and tensorboardX), a wandb folder and an mlruns store,
    written by the real libraries (in parallel: their imports are slow)."""
    tb = root / "logs"
    procs = [start_script(TORCH_SCRIPT, tb / "torch" / "a", STEPS, MEDIA_EVERY)] if has_torch() else []
    procs += [start_script(TBX_SCRIPT, tb / "tbx", STEPS, MEDIA_EVERY),
              start_script(TB_SCRIPT, tb / "tb", STEPS),
             start_script(WANDB_SCRIPT, root / "wb", STEPS, MEDIA_EVERY, env=wandb_env(root / "wb")),  # wb/wandb/
             start_script(MLFLOW_SCRIPT, root / "mlruns", STEPS, env=mlflow_env())]
    for proc in procs:
        wait_script(proc)
    return {"tensorboard": tb, "wandb": root / "wb" / "wandb", "mlflow": root / "mlruns"}
