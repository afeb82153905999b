"""Turn wandb's parameter distributions into Optuna suggestions.

Optuna samples every parameter (RandomSampler, TPESampler or GridSampler); wandb's
distributions that Optuna has no native form for are drawn through Optuna too:

- log-scaled ones as a log-uniform float over the matching range;
- ``normal``/``log_normal``/``beta`` and categorical ``probabilities`` as a uniform
  quantile ``u`` in [0, 1] sampled by Optuna, mapped through the inverse CDF;
- ``q_*`` ones by rounding the sampled value to a multiple of ``q`` (as wandb does).

Categorical values are sampled by index, so any JSON value (lists, dicts) can be a choice.
"""
from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

from .config import Param, SweepConfigError

_EPS = 1e-12


def _quantize(value: float, spec: dict[str, Any]) -> float | int:
    q = spec.get("q", 1)
    out = round(value / q) * q
    if isinstance(q, int) and not isinstance(q, bool):
        return int(out)
    return float(out)


def _quantile(trial: Any, name: str) -> float:
    return min(max(trial.suggest_float(name, 0.0, 1.0), _EPS), 1 - _EPS)


def _normal(trial: Any, name: str, spec: dict[str, Any]) -> float:
    return NormalDist(spec.get("mu", 0.0), spec.get("sigma", 1.0)).inv_cdf(_quantile(trial, name))


def _beta(trial: Any, name: str, spec: dict[str, Any]) -> float:
    try:
        from scipy.stats import beta
    except ImportError:  # pragma: no cover - scipy comes with the [sweeps] extra
        raise ImportError("the 'beta' distribution needs scipy: pip install 'reportgen[sweeps]'") from None
    return float(beta.ppf(_quantile(trial, name), spec.get("a", 1.0), spec.get("b", 1.0)))


def suggest(trial: Any, param: Param) -> Any:
    """One value for ``param`` drawn through the Optuna ``trial``."""
    d, s, name = param.distribution, param.spec, param.name
    if d == "constant":
        return s["value"]
    if d == "categorical":
        values = s["values"]
        if s.get("probabilities") is not None:
            u, acc = _quantile(trial, name), 0.0
            for value, p in zip(values, s["probabilities"]):
                acc += p
                if u < acc:
                    return value
            return values[-1]
        return values[trial.suggest_categorical(name, list(range(len(values))))]
    if d == "int_uniform":
        return trial.suggest_int(name, s["min"], s["max"])
    if d in ("uniform", "q_uniform"):
        x = trial.suggest_float(name, s["min"], s["max"])
        return _quantize(x, s) if d == "q_uniform" else x
    if d in ("log_uniform", "q_log_uniform"):  # min/max are natural-log exponents
        x = trial.suggest_float(name, math.exp(s["min"]), math.exp(s["max"]), log=True)
        return _quantize(x, s) if d == "q_log_uniform" else x
    if d in ("log_uniform_values", "q_log_uniform_values"):
        x = trial.suggest_float(name, s["min"], s["max"], log=True)
        return _quantize(x, s) if d == "q_log_uniform_values" else x
    if d == "inv_log_uniform":  # log(1/X) uniform in [min, max]
        return 1.0 / trial.suggest_float(name, math.exp(s["min"]), math.exp(s["max"]), log=True)
    if d == "inv_log_uniform_values":  # log(1/X) uniform in [log(1/max), log(1/min)]
        return 1.0 / trial.suggest_float(name, 1.0 / s["max"], 1.0 / s["min"], log=True)
    if d in ("normal", "q_normal"):
        x = _normal(trial, name, s)
        return _quantize(x, s) if d == "q_normal" else x
    if d in ("log_normal", "q_log_normal"):
        x = math.exp(_normal(trial, name, s))
        return _quantize(x, s) if d == "q_log_normal" else x
    if d in ("beta", "q_beta"):
        x = _beta(trial, name, s)
        return _quantize(x, s) if d == "q_beta" else x
    raise SweepConfigError(f"parameters.{name}: unsupported distribution {d!r}")  # pragma: no cover


def grid_values(param: Param) -> list[Any]:
    """The points of ``param`` in a grid search (wandb: values, value, int_uniform, q_uniform)."""
    d, s = param.distribution, param.spec
    if d == "constant":
        return [s["value"]]
    if d == "categorical":
        return list(s["values"])
    if d == "int_uniform":
        return list(range(s["min"], s["max"] + 1))
    if d == "q_uniform":
        q, lo, hi = s.get("q", 1), s["min"], s["max"]
        n = int(math.floor((hi - lo) / q + 1e-9))
        return [_quantize(lo + i * q, s) for i in range(n + 1)]
    raise SweepConfigError(f"parameters.{param.name}: grid search needs values, value, int_uniform or "
                           f"q_uniform, got distribution {d!r}")


def grid_space(params: list[Param]) -> dict[str, list[int]]:
    """Optuna GridSampler search space: each non-constant parameter as indices into its points."""
    return {p.name: list(range(len(grid_values(p)))) for p in params if p.distribution != "constant"}


def suggest_grid(trial: Any, param: Param) -> Any:
    points = grid_values(param)
    if param.distribution == "constant":
        return points[0]
    return points[trial.suggest_categorical(param.name, list(range(len(points))))]


def nest(values: dict[tuple[str, ...], Any]) -> dict[str, Any]:
    """``{("opt", "lr"): 0.1}`` → ``{"opt": {"lr": 0.1}}`` (nested parameters as wandb passes them)."""
    out: dict[str, Any] = {}
    for path, value in values.items():
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out
