"""Framework callbacks that log to reportgen without going through ``import wandb``.

- :mod:`reportgen.integrations.keras`: ``WandbMetricsLogger``, ``WandbModelCheckpoint``
  (Keras 3; also what ``wandb.integration.keras`` is under ``reportgen run``).
- :mod:`reportgen.integrations.transformers`: ``ReportgenCallback`` for the HF Trainer.
- :mod:`reportgen.integrations.lightning`: ``ReportgenLogger`` for Lightning.

The transformers and Lightning ones reuse those frameworks' own wandb integrations on
top of reportgen's wandb stand-in (:func:`reportgen.compat.install`).
"""
