"""wandb's hyperband early termination, as its sweeps engine computes it.

Bands are iteration indices into a run's list of (finite) values of the sweep metric:
``min_iter`` gives ``min_iter * eta**k`` (k = 0, 1, ...); ``max_iter`` with ``s`` gives
``max_iter / eta**k`` for k = 1..s (those ≥ 1). At band ``b`` the threshold is, over every
run of the sweep that reached it, ``sorted(values_at_b)[int(len/eta)]`` (values negated for
``goal: maximize``); a running run whose value at its latest band is worse is stopped.
wandb's controller re-checks running runs periodically; the agent here checks a run each
time it reaches a band, against the values of all runs recorded at that band so far
(stored in the sweep's Optuna study as intermediate values, shared by all agents).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .config import SweepConfigError


def check_early_terminate(et: Any) -> dict[str, Any]:
    if not isinstance(et, Mapping):
        raise SweepConfigError(f"early_terminate: expected {{type: hyperband, min_iter: ...}}, got {et!r}")
    if et.get("type") != "hyperband":
        raise SweepConfigError(f"early_terminate.type: expected 'hyperband', got {et.get('type')!r}")
    out = {"eta": 3, **et}
    for key in ("min_iter", "max_iter", "s", "eta"):
        value = out.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise SweepConfigError(f"early_terminate.{key}: expected a positive number, got {value!r}")
    if out["eta"] <= 1:
        raise SweepConfigError(f"early_terminate.eta: expected a number greater than 1, got {out['eta']!r}")
    if "max_iter" not in out and "min_iter" not in out:
        raise SweepConfigError("early_terminate: hyperband needs min_iter, or max_iter with s")
    if not bands(out):
        raise SweepConfigError("early_terminate: these settings give no bands; increase s or max_iter, "
                               "or decrease eta")
    return out


def bands(et: Mapping[str, Any]) -> list[int]:
    eta = et.get("eta", 3)
    if "max_iter" in et:
        out, band = [], float(et["max_iter"])
        for _ in range(int(et.get("s", 0))):
            band /= eta
            if band < 1:
                break
            out.append(int(band))
        return sorted(out)
    band, out = float(et["min_iter"]), []
    while band < 1e12 and len(out) < 100:
        out.append(int(band))
        band *= eta
    return out


def threshold(values_at_band: list[float], eta: float) -> float:
    """The value a run must not exceed (lower is better) at a band all ``values_at_band`` reached."""
    if not values_at_band:
        return math.inf
    ordered = sorted(values_at_band)
    return ordered[int(len(ordered) / eta)]


class Monitor:
    """Follows one run's metric values; tells when hyperband stops it.

    ``record(band, value)`` stores the run's value at a band; ``values_at(band)`` returns
    every run's stored value at that band (both backed by the sweep's Optuna study).
    """

    def __init__(self, early_terminate: Mapping[str, Any], goal: str, record, values_at):
        self.bands = set(bands(early_terminate))
        self.eta = early_terminate.get("eta", 3)
        self.sign = -1.0 if goal == "maximize" else 1.0
        self.count = 0
        self.stopped = False
        self._record, self._values_at = record, values_at

    def observe(self, value: Any) -> bool:
        """Feed the next logged value of the metric; True once the run should stop."""
        if self.stopped:
            return True
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return False  # wandb filters invalid values out of the metric history
        index = self.count
        self.count += 1
        if index in self.bands:
            v = self.sign * float(value)
            self._record(index, float(value))
            others = [self.sign * x for x in self._values_at(index)]
            if v > threshold(others, self.eta):
                self.stopped = True
        return self.stopped
