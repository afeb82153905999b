"""``ReportgenCallback``: the HF Trainer's own ``WandbCallback`` on reportgen.

``Trainer(..., report_to="none", callbacks=[ReportgenCallback()])`` (or
``report_to="wandb"`` under ``reportgen run``) logs metrics, config, ``WANDB_WATCH``
histograms and ``WANDB_LOG_MODEL`` checkpoints exactly as the wandb integration does.
"""
from __future__ import annotations

from .. import compat

compat.install()

from transformers.integrations import WandbCallback  # noqa: E402


class ReportgenCallback(WandbCallback):
    def __init__(self) -> None:
        compat.install()
        super().__init__()


__all__ = ["ReportgenCallback"]
