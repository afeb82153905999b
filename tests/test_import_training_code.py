"""Imports of what real training code paths write (issue 15's "Checked by"), each a bug found by hand:

- torch's ``add_hparams`` writes ints and bools as float64 numbers; PR curves, meshes and
  custom-scalar layouts are plugins reportgen does not import (one warning per plugin);
- Lightning's ``TensorBoardLogger`` writes ``hparams.yaml`` (typed, nested) beside the events;
  transformers' ``TensorBoardCallback`` writes its arguments and model config as JSON text;
- wandb offline runs with boxes, masks, plotly figures, ``wandb.plot.*`` charts,
  ``define_metric`` and media set on the summary only.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from import_sources import run_script, wandb_env
from reportgen.storage.reader import list_run_dirs, read_run

pytest.importorskip("tensorboard")


def _import(source: str, path: Path, out: Path, capsys) -> tuple[dict, list[str]]:
    from reportgen.cli import main

    capsys.readouterr()
    try:
        main(["import", source, str(path), "-o", str(out)])
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr()
    warnings = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning:")]
    return {read_run(d).name: read_run(d) for d in list_run_dirs(out)}, warnings


def test_torch_hparams_keep_ints_and_unknown_plugins_warn_once(tmp_path, capsys):
    pytest.importorskip("torch")
    import numpy as np
    import torch
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(tmp_path / "logs" / "r"))
    for s in range(3):
        w.add_scalar("loss", 1 / (s + 1), s)
        for tag in ("pr/a", "pr/b"):
            w.add_pr_curve(tag, np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.6, 0.4]), s)
    w.add_mesh("mesh", vertices=torch.rand(1, 4, 3), faces=torch.tensor([[[0, 1, 2], [1, 2, 3]]]))
    w.add_custom_scalars({"cat": {"loss": ["Multiline", ["loss"]]}})
    w.add_hparams({"lr": 0.1, "bs": 16, "flag": True, "opt": "sgd"}, {"hparam/acc": 0.9}, run_name="hp")
    w.close()
    runs, warnings = _import("tensorboard", tmp_path / "logs", tmp_path / "runs", capsys)
    hp = runs["r/hp"].config
    assert hp == {"lr": 0.1, "bs": 16, "flag": 1, "opt": "sgd"} and type(hp["bs"]) is int
    assert [r["loss"] for r in runs["r"].history] == [1.0, 0.5, 0.33333334]
    assert len(warnings) == 2, warnings  # pr_curves once (two tags), mesh once; custom_scalars is a layout
    assert any("'pr_curves'" in w for w in warnings) and any("'mesh'" in w for w in warnings)


TRAIN_SCRIPT = """
    import sys, torch
    import lightning as L
    from lightning.pytorch.loggers import TensorBoardLogger
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    class Net(L.LightningModule):
        def __init__(self, lr=0.05, optim={"name": "sgd", "momentum": 0.9}, use_bias=True):
            super().__init__()
            self.save_hyperparameters()
            self.layer = torch.nn.Linear(4, 2, bias=use_bias)
        def training_step(self, batch, i):
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self.layer(x), y)
            self.log("train_loss", loss)
            return loss
        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    x = torch.randn(32, 4, generator=torch.Generator().manual_seed(0))
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, (x[:, 0] > 0).long()), batch_size=8)
    L.Trainer(max_epochs=1, logger=TensorBoardLogger(sys.argv[1], name="lit"), log_every_n_steps=1,
              enable_progress_bar=False, enable_model_summary=False, enable_checkpointing=False,
              accelerator="cpu").fit(Net(), data)

    class Data(torch.utils.data.Dataset):
        def __len__(self):
            return 16
        def __getitem__(self, i):
            return {"input_ids": torch.arange(8) % 50, "labels": torch.tensor(i % 2)}

    model = BertForSequenceClassification(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=32, max_position_embeddings=16))
    args = TrainingArguments(output_dir=sys.argv[2], report_to="tensorboard", num_train_epochs=1,
                             per_device_train_batch_size=8, logging_steps=1, save_strategy="no",
                             use_cpu=True, disable_tqdm=True, learning_rate=1e-3)
    Trainer(model=model, args=args, train_dataset=Data()).train()
"""


@pytest.mark.frameworks
@pytest.mark.timeout(600)
def test_lightning_and_transformers_tensorboard_loggers(tmp_path, capsys):
    pytest.importorskip("lightning")
    pytest.importorskip("transformers")
    run_script(textwrap.dedent(TRAIN_SCRIPT), tmp_path / "lit", tmp_path / "hf",
               env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    runs, warnings = _import("tensorboard", tmp_path, tmp_path / "runs", capsys)
    assert not warnings
    lit = runs["lit/lit/version_0"]
    assert lit.config == {"lr": 0.05, "optim": {"name": "sgd", "momentum": 0.9}, "use_bias": True}
    assert len([r for r in lit.history if "train_loss" in r]) == 4
    (hf,) = (r for name, r in runs.items() if name.startswith("hf/runs/"))
    assert hf.config["hidden_size"] == 16 and hf.config["learning_rate"] == 1e-3
    assert hf.config["num_train_epochs"] == 1 and hf.config["model_type"] == "bert"
    assert [r["_step"] for r in hf.history if "train/loss" in r] == [1, 2]
    assert not any(k.endswith("text_summary") for r in hf.history for k in r)  # the texts became config


WANDB_SCRIPT = """
    import sys, numpy as np, wandb
    import plotly.graph_objects as go
    run = wandb.init(project="p", name="media")
    run.define_metric("epoch")
    run.define_metric("val/*", step_metric="epoch", summary="max")
    img = np.zeros((8, 8, 3), np.uint8)
    for s in range(3):
        wandb.log({"loss": 1 / (s + 1), "val/acc": s / 4, "epoch": s,
                   "pic": wandb.Image(img, boxes={"pred": {"box_data": [{"position": {"minX": 0.1, "maxX": 0.5,
                                      "minY": 0.2, "maxY": 0.6}, "class_id": 1, "box_caption": "cat"}],
                                      "class_labels": {1: "cat"}}},
                                      masks={"gt": {"mask_data": np.eye(8, dtype=np.uint8),
                                                    "class_labels": {0: "bg", 1: "diag"}}})})
    wandb.log({"fig": wandb.Plotly(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])))})
    table = wandb.Table(data=[[x, x * x] for x in range(5)], columns=["x", "y"])
    wandb.log({"curve": wandb.plot.line(table, "x", "y", title="squares")})
    run.summary["best_pic"] = wandb.Image(np.full((4, 4, 3), 200, np.uint8))
    wandb.log({"page": wandb.Html("<b>hi</b>")})
    run.finish()
"""


def test_wandb_offline_media_charts_and_metrics(tmp_path, capsys):
    pytest.importorskip("wandb")
    pytest.importorskip("plotly")
    run_script(textwrap.dedent(WANDB_SCRIPT), env=wandb_env(tmp_path))
    runs, warnings = _import("wandb", tmp_path / "wandb", tmp_path / "runs", capsys)
    assert not warnings
    run = runs["media"]
    assert run.meta["metrics"] == {"epoch": {}, "val/*": {"step_metric": "epoch", "summary": "max", "step_sync": True}}
    assert run.summary["val/acc"] == {"max": 0.5}
    pic = next(r["pic"] for r in run.history if "pic" in r)
    assert pic["boxes"]["pred"]["box_data"][0]["box_caption"] == "cat"
    assert pic["boxes"]["pred"]["class_labels"] == {"1": "cat"}
    gt = pic["masks"]["gt"]
    assert gt["class_labels"] == {"0": "bg", "1": "diag"} and (run.path / gt["path"]).is_file()
    fig = next(r["fig"] for r in run.history if "fig" in r)
    assert fig["_type"] == "plotly" and json.loads((run.path / fig["path"]).read_text())["data"][0]["y"] == [3, 4]
    curve = next(r["curve"] for r in run.history if "curve" in r)
    assert curve["_type"] == "custom_chart" and curve["preset"] == "reportgen/line" and curve["title"] == "squares"
    assert json.loads((run.path / curve["table"]).read_text())["data"][4] == [4, 16]
    assert not any("curve_table" in r for r in run.history) and "curve_table" not in run.summary
    assert run.summary["best_pic"]["_type"] == "image" and (run.path / run.summary["best_pic"]["path"]).is_file()
    page = next(r["page"] for r in run.history if "page" in r)  # without the stylesheet wandb links from its server
    assert "wandb.ai" not in (run.path / page["path"]).read_text() and "<b>hi</b>" in (run.path / page["path"]).read_text()
