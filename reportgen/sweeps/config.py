"""wandb's sweep configuration: load it (dict or YAML), check it, list its parameters.

Errors name the key and what was expected. See docs/sweeps.md for the keys.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..sdk.values import user_warn
from ..storage.safety import open_regular

METHODS = ("grid", "random", "bayes")
MAX_CONFIG_BYTES = 16 << 20  # a sweep config file read at most (a few KB normally)
GOALS = ("minimize", "maximize")
DISTRIBUTIONS = {
    # name: keys it needs (beyond `distribution`)
    "constant": ("value",), "categorical": ("values",), "int_uniform": ("min", "max"),
    "uniform": ("min", "max"), "q_uniform": ("min", "max"), "log_uniform": ("min", "max"),
    "log_uniform_values": ("min", "max"), "q_log_uniform": ("min", "max"),
    "q_log_uniform_values": ("min", "max"), "inv_log_uniform": ("min", "max"),
    "inv_log_uniform_values": ("min", "max"), "normal": (), "q_normal": (), "log_normal": (),
    "q_log_normal": (), "beta": (), "q_beta": (),
}
TOP_LEVEL = {"program", "entity", "project", "description", "name", "method", "metric", "parameters",
             "early_terminate", "command", "run_cap", "controller", "job", "image_uri", "launch"}


class SweepConfigError(ValueError):
    """A sweep configuration that cannot be run; the message names the key."""


@dataclass(frozen=True)
class Param:
    path: tuple[str, ...]  # nested parameters give ("optimizer", "lr")
    distribution: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return ".".join(self.path)


def load(source: Any) -> dict[str, Any]:
    """A sweep config from a dict, or from a YAML/JSON file path."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"sweep config: no such file {str(path)!r}")
        import yaml

        with open_regular(path, MAX_CONFIG_BYTES) as fh:  # (a named pipe: NotRegularFile, never waited on)
            text = fh.read().decode("utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SweepConfigError(f"sweep config {path}: not valid YAML: {exc}") from None
        source = data
    if not isinstance(source, Mapping):
        raise SweepConfigError(f"sweep config: expected a mapping of keys (method, parameters, ...), "
                               f"got {type(source).__name__}")
    return dict(source)


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SweepConfigError(f"{where}: expected a finite number, got {value!r}")
    return value


def infer_distribution(where: str, spec: Mapping[str, Any]) -> str:
    dist = spec.get("distribution")
    if dist is not None:
        if dist not in DISTRIBUTIONS:
            raise SweepConfigError(f"{where}.distribution: expected one of {sorted(DISTRIBUTIONS)}, got {dist!r}")
        return dist
    if "value" in spec:
        return "constant"
    if "values" in spec:
        return "categorical"
    if "min" in spec and "max" in spec:
        ints = all(isinstance(spec[k], int) and not isinstance(spec[k], bool) for k in ("min", "max"))
        return "int_uniform" if ints else "uniform"
    raise SweepConfigError(f"{where}: expected value, values, min/max or distribution, got keys {sorted(spec)}")


def _check_param(where: str, spec: Mapping[str, Any]) -> str:
    dist = infer_distribution(where, spec)
    for key in DISTRIBUTIONS[dist]:
        if key not in spec:
            raise SweepConfigError(f"{where}: distribution {dist!r} needs {key!r}")
    if dist == "categorical":
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise SweepConfigError(f"{where}.values: expected a non-empty list, got {values!r}")
        probs = spec.get("probabilities")
        if probs is not None:
            if not isinstance(probs, list) or len(probs) != len(values):
                raise SweepConfigError(f"{where}.probabilities: expected a list as long as values "
                                       f"({len(values)}), got {probs!r}")
            if any(_number(f"{where}.probabilities", p) < 0 for p in probs) or abs(sum(probs) - 1) > 1e-6:
                raise SweepConfigError(f"{where}.probabilities: expected non-negative numbers summing to 1, "
                                       f"got {probs!r}")
    for key in ("min", "max", "q", "mu", "sigma", "a", "b"):
        if key in spec:
            _number(f"{where}.{key}", spec[key])
    if "min" in spec and "max" in spec and spec["min"] > spec["max"]:
        raise SweepConfigError(f"{where}: min ({spec['min']}) is greater than max ({spec['max']})")
    if dist == "int_uniform" and not all(isinstance(spec[k], int) for k in ("min", "max")):
        raise SweepConfigError(f"{where}: int_uniform needs integer min and max, got {spec['min']!r}, {spec['max']!r}")
    if dist in ("log_uniform_values", "q_log_uniform_values", "inv_log_uniform_values") and spec["min"] <= 0:
        raise SweepConfigError(f"{where}.min: {dist} needs min > 0 (the values themselves), got {spec['min']!r}")
    if "q" in spec and spec["q"] <= 0:
        raise SweepConfigError(f"{where}.q: expected a positive number, got {spec['q']!r}")
    for key in ("sigma", "a", "b"):
        if key in spec and spec[key] <= 0:
            raise SweepConfigError(f"{where}.{key}: expected a positive number, got {spec[key]!r}")
    return dist


def parameters(config: Mapping[str, Any]) -> list[Param]:
    """Every sampled or constant parameter, nested ``parameters:`` blocks flattened to paths."""
    out: list[Param] = []

    def walk(block: Any, path: tuple[str, ...]) -> None:
        where = "parameters" + "".join(f".{p}" for p in path)
        if not isinstance(block, Mapping) or (not block and not path):
            raise SweepConfigError(f"{where}: expected a non-empty mapping of parameter names, got {block!r}")
        for name, spec in block.items():
            if not isinstance(name, str) or not name:
                raise SweepConfigError(f"{where}: parameter names must be non-empty strings, got {name!r}")
            at = f"{where}.{name}"
            if not isinstance(spec, Mapping):
                raise SweepConfigError(f"{at}: expected a mapping such as {{values: [...]}}, got {spec!r}")
            if "parameters" in spec:
                walk(spec["parameters"], path + (name,))
                continue
            out.append(Param(path + (name,), _check_param(at, spec), dict(spec)))

    walk(config.get("parameters"), ())
    return out


def validate(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with defaults filled (metric.goal, early_terminate.eta); raises on bad keys."""
    cfg = dict(config)
    unknown = sorted(set(cfg) - TOP_LEVEL)
    if unknown:
        user_warn(f"sweep config: ignoring unknown keys {unknown}")
    method = cfg.get("method")
    if method not in METHODS:
        raise SweepConfigError(f"method: expected one of {list(METHODS)}, got {method!r}")
    if "parameters" not in cfg:
        raise SweepConfigError("parameters: required (the parameters to search)")
    params = parameters(cfg)
    metric = cfg.get("metric")
    if metric is not None:
        if isinstance(metric, str):
            metric = {"name": metric}
        if not isinstance(metric, Mapping) or not isinstance(metric.get("name"), str) or not metric["name"]:
            raise SweepConfigError(f"metric: expected {{name: ..., goal: minimize|maximize}}, got {metric!r}")
        metric = {"goal": "minimize", **metric}
        if metric["goal"] not in GOALS:
            raise SweepConfigError(f"metric.goal: expected minimize or maximize, got {metric['goal']!r}")
        if metric.get("target") is not None:
            _number("metric.target", metric["target"])
        cfg["metric"] = metric
    if method == "bayes" and metric is None:
        raise SweepConfigError("metric: method 'bayes' needs metric: {name: ..., goal: ...}")
    if method == "grid":
        from .params import grid_values

        for p in params:
            grid_values(p)  # raises for continuous distributions
    run_cap = cfg.get("run_cap")
    if run_cap is not None and (isinstance(run_cap, bool) or not isinstance(run_cap, int) or run_cap < 1):
        raise SweepConfigError(f"run_cap: expected a positive integer, got {run_cap!r}")
    command = cfg.get("command")
    if command is not None and (not isinstance(command, list) or not all(isinstance(c, str) for c in command)):
        raise SweepConfigError(f"command: expected a list of strings, got {command!r}")
    if cfg.get("program") is not None and not isinstance(cfg["program"], str):
        raise SweepConfigError(f"program: expected a file name, got {cfg['program']!r}")
    et = cfg.get("early_terminate")
    if et is not None:
        from .hyperband import check_early_terminate

        if metric is None:
            raise SweepConfigError("early_terminate: needs metric: {name: ..., goal: ...}")
        cfg["early_terminate"] = check_early_terminate(et)
    return cfg
