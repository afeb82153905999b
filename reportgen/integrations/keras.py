"""Keras 3 callbacks with the names and logging of wandb's ``wandb.integration.keras``.

- ``WandbMetricsLogger(log_freq="epoch"|"batch"|N, initial_global_step=0)``: logs the
  ``logs`` of ``model.fit`` as ``epoch/<name>`` (with ``epoch/epoch`` and
  ``epoch/learning_rate``) at the end of every epoch, or as ``batch/<name>`` (with
  ``batch/batch_step`` and ``batch/learning_rate``) every N batches; the step metric is
  declared with ``define_metric`` so the site draws them against it.
- ``WandbModelCheckpoint(filepath, ...)``: keras' ``ModelCheckpoint``; every file it
  writes is logged as a version of the model artifact ``run_<id>_model`` with aliases
  ``latest``, ``epoch_<n>`` (and ``best`` with ``save_best_only``). Without artifact
  support the file is saved with the run instead (``files/``).
- ``WandbCallback``: the old all-in-one callback, reduced to metrics logging per epoch
  (``WandbMetricsLogger(backward_compatibility="v1")``); its other options are accepted.
"""
from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np

import reportgen
from reportgen.errors import Error
from reportgen.sdk.term import termerror, termwarn


def _require_run(what: str) -> Any:
    if reportgen.run is None:
        raise Error(f"You must call wandb.init() (reportgen.init()) before {what}()")
    return reportgen.run


def _scalar(value: Any) -> Any:
    try:
        arr = np.asarray(keras.ops.convert_to_numpy(value))
    except Exception:  # noqa: BLE001 - leave it to log() to judge
        return value
    return arr.item() if arr.ndim == 0 else arr


class WandbMetricsLogger(keras.callbacks.Callback):
    def __init__(self, log_freq: Any = "epoch", initial_global_step: int = 0,
                 backward_compatibility: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        _require_run("WandbMetricsLogger")
        if log_freq == "batch":
            log_freq = 1
        if not (log_freq == "epoch" or (isinstance(log_freq, int) and not isinstance(log_freq, bool) and log_freq > 0)):
            raise ValueError(f"WandbMetricsLogger: log_freq: expected 'epoch', 'batch' or a positive integer, got {log_freq!r}")
        self.logging_batch_wise = isinstance(log_freq, int)
        self.log_freq = log_freq if self.logging_batch_wise else None
        self.global_batch = 0
        self.global_step = initial_global_step
        self.v1 = backward_compatibility == "v1"
        if not self.v1:
            if self.logging_batch_wise:
                reportgen.define_metric("batch/batch_step")
                reportgen.define_metric("batch/*", step_metric="batch/batch_step")
            else:
                reportgen.define_metric("epoch/epoch")
                reportgen.define_metric("epoch/*", step_metric="epoch/epoch")

    def _lr(self) -> float | None:
        try:
            return float(_scalar(self.model.optimizer.learning_rate))
        except Exception:  # noqa: BLE001
            termerror("Unable to log learning rate.", repeat=False)
            return None

    def _prefixed(self, prefix: str, logs: dict[str, Any] | None) -> dict[str, Any]:
        logs = logs or {}
        if self.v1:
            return {k: _scalar(v) for k, v in logs.items()}
        return {f"{prefix}/{k}": _scalar(v) for k, v in logs.items()}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.v1 and self.logging_batch_wise:
            return
        row = self._prefixed("epoch", logs)
        row["epoch" if self.v1 else "epoch/epoch"] = epoch
        lr = self._lr()
        if lr is not None:
            row["learning_rate" if self.v1 else "epoch/learning_rate"] = lr
        reportgen.log(row)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.global_step += 1
        if not self.logging_batch_wise or batch % self.log_freq:
            return
        row = self._prefixed("batch", logs)
        row["batch_step" if self.v1 else "batch/batch_step"] = self.global_batch
        lr = self._lr()
        if lr is not None:
            row["learning_rate" if self.v1 else "batch/learning_rate"] = lr
        reportgen.log(row)
        self.global_batch += self.log_freq


class WandbModelCheckpoint(keras.callbacks.ModelCheckpoint):
    def __init__(self, filepath: Any, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq: Any = "epoch",
                 initial_value_threshold: float | None = None, **kwargs: Any):
        kwargs.pop("options", None)  # a TensorFlow-only option
        super().__init__(filepath=os.fspath(filepath), monitor=monitor, verbose=verbose,
                         save_best_only=save_best_only, save_weights_only=save_weights_only, mode=mode,
                         save_freq=save_freq, initial_value_threshold=initial_value_threshold, **kwargs)
        _require_run("WandbModelCheckpoint")
        self._warned_artifacts = False

    def _save_model(self, epoch: int, batch: Any, logs: dict[str, Any] | None) -> None:
        path = self._get_file_path(epoch, batch, logs)
        before = os.path.getmtime(path) if os.path.exists(path) else None
        was_best = self.best
        super()._save_model(epoch, batch, logs)
        if not os.path.exists(path) or (before is not None and os.path.getmtime(path) == before):
            return  # nothing written this time (save_best_only and no improvement)
        aliases = ["latest", f"epoch_{epoch}" if batch is None else f"epoch_{epoch}_batch_{batch}"]
        if self.save_best_only and self.best is not was_best:
            aliases.append("best")
        self._log_checkpoint(path, aliases)

    def _log_checkpoint(self, path: str, aliases: list[str]) -> None:
        run = reportgen.run
        if run is None:
            return
        try:
            if hasattr(reportgen, "Artifact"):
                art = reportgen.Artifact(f"run_{run.id}_model", type="model")
                art.add_file(path)
                run.log_artifact(art, aliases=aliases)
                return
        except AttributeError:
            pass
        except Exception as exc:  # noqa: BLE001 - a failed upload never stops training
            termwarn(f"WandbModelCheckpoint: could not log {path!r} as an artifact ({exc})", repeat=False)
            return
        if not self._warned_artifacts:
            self._warned_artifacts = True
            termwarn("WandbModelCheckpoint: artifacts are not available; checkpoints are saved in the run's "
                     "files/ folder instead", repeat=False)
        run.save(path, base_path=os.path.dirname(os.path.abspath(path)), policy="now")


class WandbCallback(WandbMetricsLogger):
    """The legacy ``WandbCallback``: epoch metrics only; other options accepted and ignored."""

    def __init__(self, monitor: str = "val_loss", verbose: int = 0, mode: str = "auto", save_weights_only: bool = False,
                 log_weights: bool = False, log_gradients: bool = False, save_model: bool = True, **ignored: Any):
        super().__init__(log_freq="epoch", backward_compatibility="v1")
