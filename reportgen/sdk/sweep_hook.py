"""What reportgen's sweep agent adds to a sweep run (no Optuna import here).

The parameters and sweep id reach ``init()`` the general way (:mod:`reportgen.sdk.modes`:
``$REPORTGEN_SWEEP_CONFIG`` names a JSON file of parameters, ``$REPORTGEN_SWEEP_ID``).
The agent also sets, for a child process or in-process around a ``function=`` call:

- ``REPORTGEN_SWEEP_RUN_ID``: the run id the agent reserved (used when ``init()`` gets no
  ``id=`` and no folder with that id exists yet), so the agent finds the run's folder;
- ``REPORTGEN_SWEEP_PROJECT``: the sweep's project, used when ``init()`` gets no ``project=``.

In-process agents also install an observer (:func:`set_observer`) that sees every
``log()`` of a sweep run; it raises to stop a run that hyperband terminates.
"""
from __future__ import annotations

import os
from typing import Any, Callable

SWEEP_ID_ENV = "REPORTGEN_SWEEP_ID"
PARAMS_FILE_ENV = "REPORTGEN_SWEEP_CONFIG"
RUN_ID_ENV = "REPORTGEN_SWEEP_RUN_ID"
PROJECT_ENV = "REPORTGEN_SWEEP_PROJECT"

_observer: Callable[[Any, dict], None] | None = None
#: Runs created in this process while a sweep id was set (the function agent reads them).
created_runs: list[Any] = []


class SweepContext:
    def __init__(self, run_id: str | None, project: str | None):
        self.run_id, self.project = run_id, project


def from_env() -> SweepContext | None:
    """The agent's reserved run id and project, or None when no agent set them."""
    run_id, project = os.environ.get(RUN_ID_ENV) or None, os.environ.get(PROJECT_ENV) or None
    if run_id is None and project is None:
        return None
    return SweepContext(run_id, project)


def set_observer(observer: Callable[[Any, dict], None] | None) -> None:
    global _observer
    _observer = observer


def observe(run: Any, data: dict) -> None:
    if _observer is not None:
        _observer(run, data)
