"""``ReportgenLogger``: Lightning's ``WandbLogger`` on reportgen (same arguments).

``Trainer(logger=ReportgenLogger(project="mnist", log_model=True))``.
"""
from __future__ import annotations

from .. import compat

compat.install()

try:  # the unified package first, then the standalone one
    from lightning.pytorch.loggers import WandbLogger
except ImportError:  # pragma: no cover - depends on what is installed
    from pytorch_lightning.loggers import WandbLogger


class ReportgenLogger(WandbLogger):
    def __init__(self, *args, **kwargs):
        compat.install()
        super().__init__(*args, **kwargs)


__all__ = ["ReportgenLogger"]
