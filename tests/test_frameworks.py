"""Real frameworks, unmodified scripts, ``reportgen run`` around them (issue 14).

Each test writes the script a user would write (``report_to="wandb"``, ``WandbLogger``,
``wandb.integration.keras``, ``log_with="wandb"``), runs it with
``python -m reportgen run -- python script.py`` in a subprocess, then checks the run
folder and the built site. Tiny models on CPU, no hub downloads. Marked ``frameworks``
(``pytest -m frameworks``; each test is independent, so they can run in parallel).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import reportgen

pytestmark = [pytest.mark.frameworks, pytest.mark.timeout(600)]
REPO = Path(__file__).resolve().parents[1]


def run_script(tmp_path: Path, source: str, **env: str) -> subprocess.CompletedProcess:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(source))
    full_env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "KERAS_BACKEND": "torch",
                "TOKENIZERS_PARALLELISM": "false", "WANDB_SILENT": "true", **env}
    for var in ("REPORTGEN_DIR", "WANDB_MODE", "WANDB_DIR", "WANDB_DISABLED"):
        if var not in env:
            full_env.pop(var, None)
    proc = subprocess.run([sys.executable, "-m", "reportgen", "run", "--", sys.executable, "train.py"],
                          cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=550)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return proc


def only_run(root: Path) -> Path:
    runs = [p for p in root.iterdir() if (p / "run.json").exists()]
    assert len(runs) == 1, runs
    return runs[0]


def read(run: Path) -> tuple[dict, dict, list[dict], dict]:
    meta = json.loads((run / "run.json").read_text())
    config = json.loads((run / "config.json").read_text())
    rows = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines() if line.strip()]
    summary = json.loads((run / "summary.json").read_text())
    assert meta["state"] == "finished" and meta["exit_code"] == 0
    return meta, config, rows, summary


def build_and_check(tmp_path: Path, run: Path, keys: list[str]) -> str:
    """Build the site and return the run page; every key must be on it."""
    from reportgen.build.config import BuildConfig
    from reportgen.build.site import build

    out = tmp_path / "site"
    build(BuildConfig(runs=run.parent, out=out, quiet=True))
    page = (out / "runs" / run.name / "index.html")
    assert page.exists()
    html = page.read_text()
    for key in keys:
        assert key in html, key
    return html


HF_SCRIPT = """
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    class Data(torch.utils.data.Dataset):
        def __init__(self, n):
            g = torch.Generator().manual_seed(0)
            self.x = torch.randint(0, 50, (n, 8), generator=g)
            self.y = (self.x[:, 0] > 25).long()
        def __len__(self):
            return len(self.x)
        def __getitem__(self, i):
            return {"input_ids": self.x[i], "labels": self.y[i]}

    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16)
    model = BertForSequenceClassification(config)
    args = TrainingArguments(output_dir="out", report_to="wandb", run_name="tiny-bert", num_train_epochs=2,
                             per_device_train_batch_size=8, logging_steps=2, save_strategy="epoch",
                             eval_strategy="epoch", use_cpu=True, disable_tqdm=True, learning_rate=1e-3)
    Trainer(model=model, args=args, train_dataset=Data(32), eval_dataset=Data(16)).train()
"""


def test_hf_trainer_report_to_wandb(tmp_path, site_browser):
    pytest.importorskip("transformers")
    run_script(tmp_path, HF_SCRIPT, WANDB_WATCH="all", WANDB_PROJECT="hf-tiny")
    run = only_run(tmp_path / "runs")  # no dir= from the Trainer: ./runs
    meta, config, rows, summary = read(run)
    assert meta["project"] == "hf-tiny" and meta["name"] == "tiny-bert"
    assert config["hidden_size"] == 16 and config["num_train_epochs"] == 2 and config["model/num_parameters"] > 0
    assert meta["metrics"]["*"]["step_metric"] == "train/global_step"
    train = [r for r in rows if "train/loss" in r]
    assert [r["train/global_step"] for r in train] == [2, 4, 6, 8]
    assert sum("eval/loss" in r for r in rows) == 2
    # WANDB_WATCH=all: gradient and parameter histograms of every layer, in the first logged row
    first = train[0]
    assert first["gradients/classifier.weight"]["_type"] == "histogram"
    assert first["parameters/bert.embeddings.word_embeddings.weight"]["_type"] == "histogram"
    assert sum(k.startswith("gradients/") for k in first) == sum(1 for k in first if k.startswith("parameters/"))
    assert summary["train_loss"] > 0 and "train_runtime" in summary
    build_and_check(tmp_path, run, ["train/loss", "eval/loss", "tiny-bert"])
    page = site_browser.open(tmp_path / "site" / "runs" / run.name / "index.html")
    assert page.locator("text=train/loss").count() >= 1


@pytest.mark.parametrize("when", ["checkpoint", "end"])
def test_hf_trainer_log_model(tmp_path, when):
    pytest.importorskip("transformers")
    run_script(tmp_path, HF_SCRIPT, WANDB_LOG_MODEL=when)
    run = only_run(tmp_path / "runs")
    read(run)
    api_run = reportgen.Api(str(tmp_path / "runs")).run(run.name)
    logged = api_run.logged_artifacts()
    assert {a.type for a in logged} == {"model"}
    aliases = {alias for a in logged for alias in a.aliases}
    assert "base_model" in aliases  # the architecture, logged at setup
    if when == "end":
        assert "final_model" in aliases
    else:
        assert {"checkpoint_global_step_4", "checkpoint_global_step_8"} <= aliases


LIGHTNING_SCRIPT = """
    import numpy as np
    import torch
    import lightning as L
    from lightning.pytorch.loggers import WandbLogger

    class Net(L.LightningModule):
        def __init__(self, lr=0.05):
            super().__init__()
            self.save_hyperparameters()
            self.layer = torch.nn.Linear(4, 2)
        def forward(self, x):
            return self.layer(x)
        def training_step(self, batch, i):
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self(x), y)
            self.log("train_loss", loss)
            return loss
        def validation_step(self, batch, i):
            x, y = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self.layer(x), y))
        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = (x[:, 0] > 0).long()
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
    logger = WandbLogger(project="lit", name="tiny-lit", LOG_MODEL_ARG)
    model = Net()
    logger.watch(model, log="all", log_freq=2)
    trainer = L.Trainer(max_epochs=2, logger=logger, log_every_n_steps=2, enable_progress_bar=False,
                        accelerator="cpu", enable_model_summary=False)
    trainer.fit(model, data, data)
    logger.log_table(key="samples", columns=["a", "b"], data=[[1, "x"], [2, "y"]])
    logger.log_image(key="pictures", images=[np.zeros((8, 8, 3), np.uint8)], caption=["zeros"])
    logger.experiment.config["extra"] = 1
"""


def test_lightning_wandb_logger(tmp_path):
    pytest.importorskip("lightning")
    run_script(tmp_path, LIGHTNING_SCRIPT.replace(", LOG_MODEL_ARG", ""))
    # WandbLogger passes dir="." (wandb: "./wandb/run-*"): the runs land in ./runs, not loose in "."
    run = only_run(tmp_path / "runs")
    assert not any((p / "run.json").exists() for p in tmp_path.iterdir())
    meta, config, rows, summary = read(run)
    assert meta["project"] == "lit" and meta["name"] == "tiny-lit"
    assert config["lr"] == 0.05 and config["extra"] == 1
    assert meta["metrics"]["*"]["step_metric"] == "trainer/global_step"
    losses = [r for r in rows if "train_loss" in r]
    assert len(losses) >= 4 and all("trainer/global_step" in r for r in losses)
    assert sum("val_loss" in r for r in rows) == 2
    assert any(k.startswith("gradients/layer.weight") for r in rows for k in r)
    assert any(k.startswith("parameters/layer.bias") for r in rows for k in r)
    table = next(r["samples"] for r in rows if "samples" in r)
    assert table["_type"] == "table"
    images = next(r["pictures"] for r in rows if "pictures" in r)
    assert images["_type"] in ("gallery", "image")
    build_and_check(tmp_path, run, ["train_loss", "val_loss", "samples", "pictures"])


def test_lightning_native_logger_without_reportgen_run(tmp_path):
    """reportgen.integrations.lightning.ReportgenLogger: one changed line, plain `python train.py`."""
    pytest.importorskip("lightning")
    source = LIGHTNING_SCRIPT.replace(", LOG_MODEL_ARG", "").replace(
        "from lightning.pytorch.loggers import WandbLogger",
        "from reportgen.integrations.lightning import ReportgenLogger as WandbLogger")
    script = tmp_path / "native.py"
    script.write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("REPORTGEN_DIR", None)
    proc = subprocess.run([sys.executable, "native.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=550)
    assert proc.returncode == 0, proc.stderr[-4000:]
    meta, config, rows, summary = read(only_run(tmp_path / "runs"))
    assert meta["name"] == "tiny-lit" and config["lr"] == 0.05 and any("train_loss" in r for r in rows)


def test_lightning_log_model(tmp_path):
    pytest.importorskip("lightning")
    run_script(tmp_path, LIGHTNING_SCRIPT.replace("LOG_MODEL_ARG", "log_model=True"))
    run = only_run(tmp_path / "runs")
    read(run)
    logged = reportgen.Api(str(tmp_path / "runs")).run(run.name).logged_artifacts()
    assert logged and all(a.type == "model" for a in logged)


KERAS_SCRIPT = """
    import numpy as np
    import keras
    import wandb
    from wandb.integration.keras import WandbMetricsLogger, WandbModelCheckpoint

    run = wandb.init(project="keras-tiny", config={"epochs": 3, "batch_size": 16})
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, validation_split=0.25, epochs=wandb.config.epochs, batch_size=wandb.config.batch_size,
              verbose=0, callbacks=[WandbMetricsLogger(log_freq=2),
                                    WandbModelCheckpoint("models/model.keras", save_best_only=False)])
    run.finish()
"""


def test_keras_metrics_logger_and_checkpoint(tmp_path):
    if importlib.util.find_spec("keras") is None:  # importing keras here would pick the TensorFlow backend
        pytest.skip("keras is not installed")
    run_script(tmp_path, KERAS_SCRIPT)
    run = only_run(tmp_path / "runs")
    meta, config, rows, summary = read(run)
    assert config == {"epochs": 3, "batch_size": 16}
    epochs = [r for r in rows if "epoch/loss" in r]
    assert [r["epoch/epoch"] for r in epochs] == [0, 1, 2]
    assert all(isinstance(r["epoch/val_accuracy"], float) and r["epoch/learning_rate"] > 0 for r in epochs)
    batches = [r for r in rows if "batch/loss" in r]
    assert batches and [r["batch/batch_step"] for r in batches][:2] == [0, 2]
    assert meta["metrics"]["batch/*"]["step_metric"] == "batch/batch_step"
    assert (tmp_path / "models" / "model.keras").exists()
    if hasattr(reportgen, "Artifact"):
        logged = reportgen.Api(str(tmp_path / "runs")).run(run.name).logged_artifacts()
        assert len(logged) == 3
    else:  # without artifact support the checkpoint is kept with the run
        assert (run / "files" / "model.keras").stat().st_size > 0
    build_and_check(tmp_path, run, ["epoch/loss", "batch/loss", "epoch/val_accuracy"])


ACCELERATE_SCRIPT = """
    import torch
    from accelerate import Accelerator

    accelerator = Accelerator(log_with="wandb", cpu=True)
    accelerator.init_trackers("acc-tiny", config={"lr": 0.1, "epochs": 2},
                              init_kwargs={"wandb": {"name": "tiny-acc", "tags": ["cpu"]}})
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model, opt = accelerator.prepare(model, opt)
    x = torch.randn(32, 3, generator=torch.Generator().manual_seed(0))
    y = x.sum(dim=1, keepdim=True)
    step = 0
    for epoch in range(2):
        for i in range(0, 32, 8):
            loss = torch.nn.functional.mse_loss(model(x[i:i + 8]), y[i:i + 8])
            accelerator.backward(loss)
            opt.step()
            opt.zero_grad()
            accelerator.log({"train_loss": loss.item(), "epoch": epoch}, step=step)
            step += 1
    accelerator.get_tracker("wandb").log_table("preds", columns=["x", "y"], data=[[1.0, 2.0]], step=step)
    accelerator.end_training()
"""


def test_accelerate_log_with_wandb(tmp_path):
    pytest.importorskip("accelerate")
    run_script(tmp_path, ACCELERATE_SCRIPT)
    run = only_run(tmp_path / "runs")
    meta, config, rows, summary = read(run)
    assert meta["project"] == "acc-tiny" and meta["name"] == "tiny-acc" and meta["tags"] == ["cpu"]
    assert config == {"lr": 0.1, "epochs": 2}
    losses = [r for r in rows if "train_loss" in r]
    assert [r["_step"] for r in losses] == list(range(8))
    assert next(r for r in rows if "preds" in r)["preds"]["_type"] == "table"
    build_and_check(tmp_path, run, ["train_loss", "preds"])
