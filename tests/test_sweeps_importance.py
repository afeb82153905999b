"""Parameter importance against a synthetic objective where one parameter dominates."""
from __future__ import annotations

import numpy as np
import pytest

from reportgen.sweeps.importance import design_matrix, parameter_importance


def test_dominant_parameter_is_most_important_and_correlated():
    rng = np.random.default_rng(7)
    configs, metric = [], []
    for _ in range(60):
        c = {"lr": float(rng.uniform(0, 1)), "wd": float(rng.uniform(0, 1)),
             "opt": {"name": str(rng.choice(["adam", "sgd"]))}, "seed": 3}
        configs.append(c)
        metric.append(5.0 * c["lr"] + 0.1 * c["wd"] + (0.05 if c["opt"]["name"] == "sgd" else 0.0)
                      + float(rng.normal(0, 0.01)))
    out = parameter_importance(configs, metric)
    by = {d["param"]: d for d in out}
    assert out[0]["param"] == "lr" and by["lr"]["importance"] > 0.8
    assert by["lr"]["correlation"] > 0.95 and abs(by["wd"]["correlation"]) < 0.3
    assert set(by) == {"lr", "wd", "opt/name: adam", "opt/name: sgd"}  # constant seed left out
    assert sum(d["importance"] for d in out) == pytest.approx(1.0)
    neg = parameter_importance(configs, [-m for m in metric])
    assert {d["param"]: d for d in neg}["lr"]["correlation"] < -0.95


def test_too_few_runs_and_bad_values():
    assert parameter_importance([{"a": 1}, {"a": 2}], [1.0, 2.0]) == []
    assert parameter_importance([{"a": 1}] * 4, [1.0, 2.0, 3.0, 4.0]) == []  # nothing varies
    out = parameter_importance([{"a": i} for i in range(5)], [0.0, 1.0, float("nan"), "x", 4.0])
    assert [d["param"] for d in out] == ["a"]  # three runs with a finite metric remain
    with pytest.raises(ValueError, match="3 configs but 2 metric values"):
        parameter_importance([{}, {}, {}], [1, 2])
    names, rows = design_matrix([{"b": True, "n": None}, {"b": False, "n": 2}, {"b": True, "n": 4}])
    assert names == ["b", "n"] and rows == [[1.0, 3.0], [0.0, 2.0], [1.0, 4.0]]


def test_parameters_named_like_javascript_internals_are_parameters():
    """A parameter named ``__proto__`` was left out of the importance (every ``_``-prefixed key
    was); ``constructor``, ``toString`` and a user's ``_lr`` are parameters too. Only system keys
    (``_wandb``) are not."""
    rng = np.random.default_rng(1)
    configs = [{"__proto__": float(rng.uniform()), "constructor": float(rng.uniform()), "_lr": float(rng.uniform()),
                "toString": str(rng.choice(["a", "b"])), "_wandb": {"cli_version": str(i)}} for i in range(30)]
    metric = [5 * c["__proto__"] + c["constructor"] + c["_lr"] for c in configs]
    names, _ = design_matrix(configs)
    assert names == ["__proto__", "_lr", "constructor", "toString: a", "toString: b"]
    out = parameter_importance(configs, metric)
    assert out[0]["param"] == "__proto__" and out[0]["correlation"] > 0.9
