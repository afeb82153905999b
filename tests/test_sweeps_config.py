"""Sweep configs, distributions, command macros and hyperband bands (units; real Optuna)."""
from __future__ import annotations

import json
import math
import sys

import optuna
import pytest

from reportgen.sweeps import command, config as sc, hyperband, params

optuna.logging.set_verbosity(optuna.logging.WARNING)


def sample(spec: dict, n: int = 200) -> list:
    [param] = sc.parameters({"parameters": {"p": spec}})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    out = []
    for _ in range(n):
        trial = study.ask()
        out.append(params.suggest(trial, param))
        study.tell(trial, 0.0)
    return out


def test_log_uniform_takes_exponents_and_values_variant_takes_values():
    xs = sample({"distribution": "log_uniform", "min": -5, "max": 0})
    assert all(math.exp(-5) <= x <= 1 for x in xs) and min(xs) < 0.05
    ys = sample({"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1})
    assert all(1e-4 <= y <= 1e-1 for y in ys)
    assert sum(y < 1e-3 for y in ys) > 40  # log-uniform: a third of the draws below 1e-3
    inv = sample({"distribution": "inv_log_uniform", "min": 0, "max": 3})
    assert all(math.exp(-3) <= x <= 1 for x in inv)
    inv_v = sample({"distribution": "inv_log_uniform_values", "min": 0.01, "max": 1})
    assert all(0.01 <= x <= 1 for x in inv_v)


def test_quantized_normal_categorical_and_inference():
    q = sample({"distribution": "q_uniform", "min": 0, "max": 10, "q": 2})
    assert set(q) <= {0, 2, 4, 6, 8, 10} and all(isinstance(v, int) for v in q)
    qf = sample({"distribution": "q_log_uniform_values", "min": 1, "max": 100, "q": 0.5})
    assert all(abs(v * 2 - round(v * 2)) < 1e-9 for v in qf)
    normal = sample({"distribution": "normal", "mu": 5, "sigma": 0.5}, 400)
    mean = sum(normal) / len(normal)
    assert 4.8 < mean < 5.2 and 0.35 < (sum((x - mean) ** 2 for x in normal) / len(normal)) ** 0.5 < 0.65
    assert all(x > 0 for x in sample({"distribution": "log_normal", "mu": 0, "sigma": 1}))
    assert all(0 <= x <= 1 for x in sample({"distribution": "beta", "a": 2, "b": 5}))
    cats = sample({"values": [[1, 2], {"a": 1}, "s"]})
    assert {json.dumps(c) for c in cats} == {json.dumps([1, 2]), json.dumps({"a": 1}), '"s"'}
    weighted = sample({"values": ["a", "b"], "probabilities": [0.9, 0.1]}, 400)
    assert 300 < weighted.count("a") < 390
    assert sample({"value": 7}, 3) == [7, 7, 7]
    assert set(sample({"min": 1, "max": 3})) == {1, 2, 3}  # integer min/max: int_uniform
    assert all(isinstance(x, float) for x in sample({"min": 0.0, "max": 1}, 5))


def test_nested_parameters_and_grid_points():
    cfg = {"method": "grid", "parameters": {
        "opt": {"parameters": {"lr": {"values": [0.1, 0.01]}, "name": {"value": "adam"}}},
        "layers": {"distribution": "int_uniform", "min": 1, "max": 3},
        "drop": {"distribution": "q_uniform", "min": 0, "max": 0.5, "q": 0.25}}}
    ps = sc.parameters(sc.validate(cfg))
    assert [p.name for p in ps] == ["opt.lr", "opt.name", "layers", "drop"]
    assert [params.grid_values(p) for p in ps] == [[0.1, 0.01], ["adam"], [1, 2, 3], [0.0, 0.25, 0.5]]
    assert params.nest({("opt", "lr"): 0.1, ("opt", "name"): "adam", ("layers",): 2}) == {
        "opt": {"lr": 0.1, "name": "adam"}, "layers": 2}


@pytest.mark.parametrize("cfg, message", [
    ({"method": "anneal", "parameters": {"x": {"value": 1}}}, "method: expected one of"),
    ({"method": "random"}, "parameters: required"),
    ({"method": "bayes", "parameters": {"x": {"min": 0.0, "max": 1.0}}}, "metric: method 'bayes' needs"),
    ({"method": "grid", "parameters": {"x": {"min": 0.0, "max": 1.0}}}, "parameters.x: grid search needs"),
    ({"method": "random", "parameters": {"x": {"distribution": "gamma"}}}, "parameters.x.distribution"),
    ({"method": "random", "parameters": {"x": {"values": [1, 2], "probabilities": [0.5]}}},
     "parameters.x.probabilities"),
    ({"method": "random", "parameters": {"x": {"distribution": "log_uniform_values", "min": 0, "max": 1}}},
     "parameters.x.min"),
    ({"method": "random", "parameters": {"x": {"min": 2, "max": 1}}}, "min (2) is greater than max"),
    ({"method": "random", "metric": {"name": "l", "goal": "up"}, "parameters": {"x": {"value": 1}}},
     "metric.goal"),
    ({"method": "random", "metric": {"name": "l"}, "parameters": {"x": {"value": 1}},
      "early_terminate": {"type": "hyperband"}}, "needs min_iter"),
    ({"method": "random", "parameters": {"x": {"value": 1}}, "run_cap": 0}, "run_cap"),
])
def test_bad_configs_name_the_key(cfg, message):
    with pytest.raises(sc.SweepConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sc.validate(cfg)


def test_command_macros(tmp_path):
    p = {"lr": 0.01, "flag": True, "off": False, "opt": {"m": 0.9}}
    cfg = {"program": "train.py", "command": ["${env}", "${interpreter}", "${program}", "--fixed", "${args}"]}
    cmd = command.build(cfg, p, tmp_path / "a.json")
    assert cmd[1:] == [sys.executable, "train.py", "--fixed", "--lr=0.01", "--flag=True", "--off=False",
                       '--opt={"m": 0.9}']
    assert command.build({"program": "t.py"}, {"a": 1}, tmp_path / "a.json")[-2:] == ["t.py", "--a=1"]
    cfg = {"command": ["run", "${args_no_hyphens}", "${args_no_boolean_flags}", "${args_json}", "${args_json_file}"]}
    cmd = command.build(cfg, {"a": 1, "f": True, "g": False}, tmp_path / "a.json")
    assert cmd == ["run", "a=1", "f=True", "g=False", "--a=1", "--f", json.dumps({"a": 1, "f": True, "g": False}),
                   str(tmp_path / "a.json")]
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": 1, "f": True, "g": False}
    with pytest.raises(sc.SweepConfigError, match="program"):
        command.build({}, {}, tmp_path / "b.json")


def test_hyperband_bands_as_wandb_documents():
    assert hyperband.bands({"min_iter": 3, "eta": 3})[:4] == [3, 9, 27, 81]
    assert hyperband.bands({"max_iter": 27, "s": 2, "eta": 3}) == [3, 9]
    assert hyperband.bands({"max_iter": 5, "s": 2, "eta": 2}) == [1, 2]


def test_hyperband_reproduces_wandb_example():
    """wandb's own example (sweeps/hyperband_stopping.py docstring): b and c stop, d goes on."""
    et = {"type": "hyperband", "max_iter": 5, "eta": 2, "s": 2}
    store: dict[int, list[float]] = {}
    histories = {"a": [10, 9], "e": [10, 6, 6], "b": [10, 10], "c": [10, 8, 8], "d": [10, 7, 7]}

    def monitor():
        return hyperband.Monitor(et, "minimize", lambda b, v: store.setdefault(b, []).append(v),
                                 lambda b: store.get(b, []))

    for name in ("a", "e", "d"):  # finished / running runs whose values are already known
        m = monitor()
        assert not any(m.observe(v) for v in histories[name])
    stopped = {}
    for name in ("b", "c"):
        m = monitor()
        stopped[name] = [m.observe(v) for v in histories[name]]
    assert stopped["b"] == [False, True]  # worse than the band-1 threshold
    assert stopped["c"] == [False, False, True]  # passes band 1, not band 2
    m = hyperband.Monitor(et, "maximize", lambda b, v: None, lambda b: [5.0, 1.0])
    assert m.observe(0) is False and m.observe(0.5) is True  # maximize: 0.5 is below the band threshold (1)
    assert m.observe(float("nan")) is True  # stays stopped


def test_metric_value_reads_plain_nested_and_define_metric_summaries():
    from reportgen.sweeps.store import metric_value

    assert metric_value({"loss": 0.5}, "loss") == 0.5
    assert metric_value({"val": {"loss": 0.25}}, "val.loss") == 0.25
    assert metric_value({"loss": {"min": 0.1, "max": 0.9}}, "loss") == 0.1
    assert metric_value({"loss": {"min": 0.1, "max": 0.9}}, "loss", "maximize") == 0.9
    assert metric_value({"acc": {"best": 0.7, "last": 0.6}}, "acc", "maximize") == 0.7
    assert metric_value({"loss": {"last": 2}}, "loss") == 2.0
    assert metric_value({"loss": float("nan")}, "loss") is None and metric_value({}, "loss") is None
    assert metric_value({"loss": "x"}, "loss") is None
