"""Sweeps: wandb's ``sweep()`` / ``agent()`` run locally, sampled by Optuna (see docs/sweeps.md)."""
from __future__ import annotations

import os
from typing import Any

from ..tell import say
from .agent import RunStopped, agent
from .config import SweepConfigError


def sweep(sweep: Any, entity: str | None = None, project: str | None = None, prior_runs: Any = None,
          *, dir: str | os.PathLike | None = None) -> str:
    """Create a sweep from a wandb sweep config (dict or YAML path); returns its id."""
    from ..storage import format as fmt
    from . import config as sweep_config
    from .store import SweepStore

    if prior_runs:
        from ..sdk.values import user_warn

        user_warn("sweep(): prior_runs is not supported; ignored")
    store = SweepStore.create(fmt.resolve_root(dir), sweep_config.load(sweep), project=project)
    say(f"reportgen: created sweep {store.id} in {store.dir}", err=True)
    return store.id


__all__ = ["sweep", "agent", "RunStopped", "SweepConfigError"]
