"""How a sweep agent hands a run its sweep id and parameters (no Optuna import here).

The agent sets, for a child process or in-process around a ``function=`` call:

- ``REPORTGEN_SWEEP_ID``: the sweep's id, recorded as ``sweep_id`` in run.json;
- ``REPORTGEN_SWEEP_PARAMS``: the sampled parameters as a JSON object, merged into
  ``run.config`` over the values given to ``init(config=...)`` (as wandb does);
- ``REPORTGEN_SWEEP_RUN_ID``: the run id the agent reserved (used when ``init()`` gets no
  ``id=`` and no folder with that id exists yet), so the agent finds the run's folder;
- ``REPORTGEN_SWEEP_PROJECT``: the sweep's project, used when ``init()`` gets no ``project=``.

In-process agents also install an observer (:func:`set_observer`) that sees every
``log()`` of a sweep run; it raises to stop a run that hyperband terminates.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable

SWEEP_ID_ENV = "REPORTGEN_SWEEP_ID"
PARAMS_ENV = "REPORTGEN_SWEEP_PARAMS"
RUN_ID_ENV = "REPORTGEN_SWEEP_RUN_ID"
PROJECT_ENV = "REPORTGEN_SWEEP_PROJECT"

_observer: Callable[[Any, dict], None] | None = None
#: Runs created in this process while a sweep id was set (the function agent reads them).
created_runs: list[Any] = []


class SweepContext:
    def __init__(self, sweep_id: str, params: dict[str, Any], run_id: str | None, project: str | None):
        self.sweep_id, self.params, self.run_id, self.project = sweep_id, params, run_id, project


def from_env() -> SweepContext | None:
    """The sweep this process runs for, or None. Bad values raise naming the variable."""
    sweep_id = os.environ.get(SWEEP_ID_ENV)
    if not sweep_id:
        return None
    raw = os.environ.get(PARAMS_ENV) or "{}"
    try:
        params = json.loads(raw)
    except ValueError:
        raise ValueError(f"${PARAMS_ENV}: expected a JSON object, got {raw[:80]!r}") from None
    if not isinstance(params, dict):
        raise ValueError(f"${PARAMS_ENV}: expected a JSON object, got {type(params).__name__}")
    return SweepContext(sweep_id, params, os.environ.get(RUN_ID_ENV) or None,
                        os.environ.get(PROJECT_ENV) or None)


def set_observer(observer: Callable[[Any, dict], None] | None) -> None:
    global _observer
    _observer = observer


def observe(run: Any, data: dict) -> None:
    if _observer is not None:
        _observer(run, data)
