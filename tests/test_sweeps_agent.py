"""Real sweeps: function and command agents, Optuna samplers, hyperband, concurrent agents."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pytest

import reportgen
from reportgen.storage.reader import read_history, read_run
from reportgen.sweeps.store import SweepStore

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
       "REPORTGEN_FLUSH_INTERVAL": "0.05"}
ENV.pop("REPORTGEN_DIR", None)


def sweep_runs(root: Path, sweep_id: str) -> list:
    runs = [read_run(p) for p in sorted(root.iterdir()) if (p / "run.json").is_file()]
    return [r for r in runs if r.meta.get("sweep_id") == sweep_id]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportgen", *args], env=ENV, cwd=cwd, capture_output=True,
                          text=True, timeout=240)


def test_function_agent_random_with_hyperband(tmp_path):
    cfg = {"method": "random", "metric": {"name": "loss", "goal": "minimize"},
           "parameters": {"x": {"min": -1.0, "max": 1.0}, "opt": {"parameters": {"name": {"values": ["a", "b"]}}}},
           "early_terminate": {"type": "hyperband", "min_iter": 1, "eta": 3}}
    sweep_id = reportgen.sweep(cfg, project="sw", dir=tmp_path)
    order: list[float] = []
    rng = np.random.default_rng(0)

    def train():
        run = reportgen.init(config={"x": 99, "epochs": 6})
        order.append(run.config["x"])
        k = len(order)  # every later run is worse, so hyperband stops it at band 1
        for step in range(run.config["epochs"]):
            reportgen.log({"loss": 10 * k + (run.config["x"] - 0.3) ** 2 + 0.01 * rng.random() / (step + 1)})

    assert reportgen.agent(sweep_id, function=train, count=4, dir=tmp_path) == 4
    runs = sorted(sweep_runs(tmp_path, sweep_id), key=lambda r: r.meta["created"])
    assert len(runs) == 4
    study = SweepStore.open(tmp_path, sweep_id).study()
    by_run = {t.user_attrs["run_id"]: t for t in study.get_trials()}
    for i, run in enumerate(runs):
        assert run.meta["project"] == "sw" and run.meta["state"] == "finished"
        trial = by_run[run.id]
        assert run.config["x"] == order[i] == trial.user_attrs["params"]["x"]  # sweep value beats init's 99
        assert run.config["opt"] == trial.user_attrs["params"]["opt"] and run.config["opt"]["name"] in "ab"
        assert run.config["epochs"] == 6
        if i == 0:
            assert "early_terminated" not in run.meta and len(run.history) == 6
            assert trial.state == optuna.trial.TrialState.COMPLETE and trial.value == run.summary["loss"]
        else:  # stopped right after its value at band 1 (the second logged value)
            assert run.meta["early_terminated"] is True and len(run.history) == 2, run.id
            assert trial.state == optuna.trial.TrialState.PRUNED
            assert trial.intermediate_values[1] == run.history[1]["loss"]


def test_function_agent_bayes_uses_tpe_and_feeds_it_metric_values(tmp_path):
    cfg = {"method": "bayes", "metric": {"name": "val/loss", "goal": "minimize"},
           "parameters": {"x": {"min": 0.0, "max": 1.0}, "k": {"values": [1, 2]}}, "run_cap": 14}

    def train():
        with reportgen.init() as run:
            for step in range(3):
                run.log({"val/loss": (run.config["x"] - 0.3) ** 2 * run.config["k"] + 0.1 / (step + 1)})

    sweep_id = reportgen.sweep(cfg, dir=tmp_path)
    assert reportgen.agent(sweep_id, function=train, dir=tmp_path) == 14  # stops at run_cap
    assert reportgen.agent(sweep_id, function=train, count=3, dir=tmp_path) == 0
    store = SweepStore.open(tmp_path, sweep_id)
    assert isinstance(store.study().sampler, optuna.samplers.TPESampler)
    runs = sweep_runs(tmp_path, sweep_id)
    assert len(runs) == 14
    trials = store.study().get_trials()
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert store.study().best_value == pytest.approx(min(r.summary["val/loss"] for r in runs))
    assert sorted(t.user_attrs["run_id"] for t in trials) == sorted(r.id for r in runs)


def test_function_that_raises_is_a_crashed_run_and_the_agent_goes_on(tmp_path):
    calls = []

    def train():
        run = reportgen.init()
        calls.append(run.id)
        if len(calls) == 1:
            raise RuntimeError("boom")
        run.log({"loss": 1.0})

    sweep_id = reportgen.sweep({"method": "random", "metric": {"name": "loss"},
                                "parameters": {"x": {"values": [1, 2]}}}, dir=tmp_path)
    assert reportgen.agent(sweep_id, function=train, count=2, dir=tmp_path) == 2
    states = {r.id: r.meta["state"] for r in sweep_runs(tmp_path, sweep_id)}
    assert states == {calls[0]: "crashed", calls[1]: "finished"}
    assert reportgen.run is None and "REPORTGEN_SWEEP_ID" not in os.environ
    assert not list((tmp_path / "sweeps" / sweep_id).glob("params-*"))  # per-run files are removed


TRAIN = """
import argparse, reportgen as wandb
p = argparse.ArgumentParser()
p.add_argument("--learning_rate", type=float)
p.add_argument("--optimizer")
p.add_argument("--epochs", type=int, default=4)
args = p.parse_args()
run = wandb.init(config=vars(args))
for epoch in range(args.epochs):
    wandb.log({"val_loss": args.learning_rate * (10 - epoch) + (0.1 if args.optimizer == "sgd" else 0.0)})
"""

# Taken unchanged from wandb's docs (define sweep configuration, YAML with program and command).
WANDB_DOCS_YAML = """\
program: train.py
method: bayes
metric:
  name: val_loss
  goal: minimize
parameters:
  learning_rate:
    min: 0.0001
    max: 0.1
  optimizer:
    values: ["adam", "sgd"]
command:
  - ${env}
  - ${interpreter}
  - ${program}
  - ${args}
"""


def test_wandb_docs_yaml_runs_unchanged_with_the_cli(tmp_path):
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "sweep.yaml").write_text(WANDB_DOCS_YAML)
    made = cli("sweep", "sweep.yaml", "--project", "docs", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    sweep_id = made.stdout.strip()
    ran = cli("agent", sweep_id, "--count", "2", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    root = tmp_path / "runs"
    assert (root / "sweeps" / sweep_id / "sweep.yaml").read_text() and (root / "sweeps" / sweep_id / "sweep.json").is_file()
    runs = sweep_runs(root, sweep_id)
    assert len(runs) == 2
    for run in runs:
        cfg = run.config
        assert cfg["optimizer"] in ("adam", "sgd") and 0.0001 <= cfg["learning_rate"] <= 0.1
        assert f"--learning_rate={cfg['learning_rate']}" in run.meta["command"]  # passed by ${args}
        assert run.meta["project"] == "docs" and run.meta["state"] == "finished" and len(run.history) == 4
    bad = cli("agent", "nosuchid", cwd=tmp_path)
    assert bad.returncode == 2 and "no sweep 'nosuchid'" in bad.stderr
    (tmp_path / "bad.yaml").write_text("method: grid\nparameters:\n  lr: {min: 0.1, max: 1.0}\n")
    bad = cli("sweep", "bad.yaml", cwd=tmp_path)
    assert bad.returncode == 2 and "parameters.lr: grid search needs" in bad.stderr


SLOW = """
import json, os, sys, time, reportgen
counter = os.path.join(os.path.dirname(os.path.abspath(__file__)), "counter")
k = len(open(counter).read()) if os.path.exists(counter) else 0
open(counter, "a").write("x")
run = reportgen.init()
for step in range(40):
    reportgen.log({"acc": 1.0 - k - 0.001 * step})  # maximize: every later run is worse
    time.sleep(0.05)
"""


def test_command_agent_hyperband_terminates_the_child(tmp_path):
    (tmp_path / "slow.py").write_text(SLOW)
    cfg = {"program": "slow.py", "method": "random", "metric": {"name": "acc", "goal": "maximize"},
           "parameters": {"x": {"values": [1, 2, 3]}}, "early_terminate": {"type": "hyperband", "min_iter": 2}}
    sweep_id = reportgen.sweep(cfg, dir=tmp_path / "runs")
    ran = cli("agent", sweep_id, "--count", "2", "--dir", "runs", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    first, second = sorted(sweep_runs(tmp_path / "runs", sweep_id), key=lambda r: r.meta["created"])
    assert first.meta["state"] == "finished" and "early_terminated" not in first.meta and len(first.history) == 40
    assert second.meta["state"] == "finished" and second.meta["early_terminated"] is True
    assert second.meta["exit_code"] == 0 and "signal" not in second.meta
    assert 3 <= len(second.history) < 40  # SIGTERM after its value at band 2 (the third)


GRID_PROGRAM = """
import reportgen
run = reportgen.init()
run.log({"loss": run.config["a"] * 10 + run.config["b"]})
"""


def test_two_agent_processes_share_a_grid_without_duplicates(tmp_path):
    (tmp_path / "g.py").write_text(GRID_PROGRAM)
    cfg = {"program": "g.py", "method": "grid", "metric": {"name": "loss"},
           "parameters": {"a": {"values": [1, 2, 3]}, "b": {"values": [0, 1]}, "c": {"value": "same"}}}
    sweep_id = reportgen.sweep(cfg, dir=tmp_path / "runs")
    procs = [subprocess.Popen([sys.executable, "-m", "reportgen", "agent", sweep_id, "--count", "4", "--dir", "runs"],
                              env=ENV, cwd=tmp_path, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=240)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    counts = [int(o.rsplit("ran ", 1)[1].split()[0]) for o in outs]
    assert sum(counts) == 6 and max(counts) <= 4, outs
    runs = sweep_runs(tmp_path / "runs", sweep_id)
    points = sorted((r.config["a"], r.config["b"]) for r in runs)
    assert points == [(a, b) for a in (1, 2, 3) for b in (0, 1)]
    assert not list((tmp_path / "runs" / "sweeps" / sweep_id).glob("*-*.json"))
    assert all(r.config["c"] == "same" and r.summary["loss"] == r.config["a"] * 10 + r.config["b"] for r in runs)
    assert "grid search done" in outs[0] + outs[1]


@pytest.mark.parametrize("journal", ["link", "garbage"])
def test_a_shared_sweeps_journal_is_never_written_through_a_link_or_read_as_garbage(tmp_path, journal):
    """A shared sweep folder whose optuna.journal was a link to ~/.bashrc: the agent appended the
    trial records to it, then died with a bare JSONDecodeError. Now a clear error names the file
    before anything is written; a journal of garbage lines gets one too."""
    from reportgen.storage.safety import NotRegularFile

    sweep_id = reportgen.sweep({"method": "random", "metric": {"name": "loss"},
                                "parameters": {"x": {"values": [1, 2]}}}, dir=tmp_path / "runs")
    path = tmp_path / "runs" / "sweeps" / sweep_id / "optuna.journal"
    path.unlink(missing_ok=True)
    victim = tmp_path / "bashrc"
    victim.write_text("precious\n")
    if journal == "link":
        path.symlink_to(victim)
    else:
        path.write_text('garbage\n[1]\n{"op_code": 99}\n')
    ran = []
    err = NotRegularFile if journal == "link" else ValueError
    with pytest.raises(err, match="optuna.journal"):
        reportgen.agent(sweep_id, function=lambda: ran.append(1), count=1, dir=tmp_path / "runs")
    assert victim.read_text() == "precious\n" and ran == []


ONE_RUN = """
import reportgen
run = reportgen.init()
run.log({"loss": run.config["x"]})
"""


def _program_sweep(tmp_path: Path) -> Path:
    (tmp_path / "one.py").write_text(ONE_RUN)
    sweep_id = reportgen.sweep({"program": "one.py", "method": "random", "metric": {"name": "loss"},
                                "parameters": {"x": {"values": [1, 2]}}}, dir=tmp_path / "runs")
    return tmp_path / "runs" / "sweeps" / sweep_id


@pytest.mark.parametrize("target", ["broken", "outside"])
def test_a_stale_optuna_lock_link_neither_hangs_the_agent_nor_is_touched(tmp_path, target):
    """A shared sweep folder holding optuna.journal.lock as a broken link (hostile, or left by an agent
    killed mid-append before the folder moved) made `reportgen agent` spin forever in Optuna's
    JournalFileSymlinkLock. The journal is now locked with an OS lock on journal.flock: the agent runs,
    says the link is ignored (naming it and how to remove it), and never follows, renames or deletes it."""
    folder = _program_sweep(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / ("missing" if target == "broken" else "precious")
    if target == "outside":
        victim.write_text("precious\n")
        os.utime(victim, (1, 1))  # older than any grace period
    link = folder / "optuna.journal.lock"
    link.symlink_to(victim)
    try:  # the timeout is a hang guard only
        ran = cli("agent", folder.name, "--count", "2", "--dir", "runs", cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("the agent hung on a stale optuna.journal.lock")
    assert ran.returncode == 0, ran.stderr
    assert "ran 2 run(s)" in ran.stderr
    assert f"ignoring {Path('runs', 'sweeps', folder.name, 'optuna.journal.lock')}" in ran.stderr
    assert "rm runs/sweeps/" in ran.stderr
    runs = sweep_runs(tmp_path / "runs", folder.name)
    assert sorted(r.summary["loss"] for r in runs) in ([1, 2], [1, 1], [2, 2])
    assert all(r.meta["state"] == "finished" for r in runs)
    study = SweepStore.open(tmp_path / "runs", folder.name).study()
    assert [t.state.name for t in study.get_trials()] == ["COMPLETE", "COMPLETE"]
    assert os.readlink(link) == str(victim)  # the link itself is left alone
    if target == "outside":
        assert victim.read_text() == "precious\n" and victim.stat().st_mtime == 1
    else:
        assert not victim.exists()
    assert sorted(p.name for p in outside.iterdir()) == ([] if target == "broken" else ["precious"])


@pytest.mark.parametrize("name", ["lock", "journal.flock"])
def test_a_sweep_lock_file_that_is_a_link_out_is_refused_not_created_outside(tmp_path, name):
    """The sweep's own lock files are opened without following links: a shared folder whose `lock` was a
    link to a missing file outside had the agent create that file (open(..., "a+b")). Now the agent
    stops at once with an error naming the file and how to remove it; nothing appears outside."""
    folder = _program_sweep(tmp_path)
    victim = tmp_path / "outside-created"
    (folder / name).unlink(missing_ok=True)
    (folder / name).symlink_to(victim)
    try:  # the timeout is a hang guard only
        ran = cli("agent", folder.name, "--count", "1", "--dir", "runs", cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("the agent hung on a linked lock file")
    assert ran.returncode == 1, ran.stderr
    assert "Traceback" not in ran.stderr
    assert f"reportgen: error: runs/sweeps/{folder.name}/{name}: a symbolic link (to {str(victim)!r})" in ran.stderr
    assert "remove it (rm " in ran.stderr
    assert not victim.exists() and not os.path.lexists(victim)
    assert sweep_runs(tmp_path / "runs", folder.name) == []


@pytest.mark.parametrize("name", ["params", "args"])
def test_a_link_planted_under_a_runs_params_or_args_file_is_refused(tmp_path, name):
    """The agent wrote params-<run>.json (every run) and args-<run>.json (${args_json_file}) with
    write_text(), following links: a link planted under that name in a shared sweep folder sent the
    run's parameters to (or truncated) the file it led to. Both are written with storage.safety.write_own
    now, which refuses a link under the name (NotRegularFile naming it); nothing outside is written."""
    from reportgen.storage.safety import NotRegularFile
    from reportgen.sweeps import command as sweep_command
    from reportgen.sweeps.agent import _sweep_env
    from reportgen.sweeps.store import Job

    folder = _program_sweep(tmp_path)
    store = SweepStore.open(tmp_path / "runs", folder.name)
    victim = tmp_path / "outside" / "victim.json"
    victim.parent.mkdir()
    victim.write_text("precious\n")
    (folder / f"{name}-r1.json").symlink_to(victim)
    (folder / f"{name}-r2.json").symlink_to(tmp_path / "outside" / "made.json")  # (a broken one)
    for run_id in ("r1", "r2"):
        with pytest.raises(NotRegularFile, match=f"{name}-{run_id}.json: a symbolic link"):
            if name == "params":
                with _sweep_env(store, Job(None, {"x": 1}, run_id)):
                    pass
            else:
                sweep_command.build({"program": "one.py", "command": ["${args_json_file}"]}, {"x": 1},
                                    folder / f"args-{run_id}.json")
    assert victim.read_text() == "precious\n"
    assert sorted(p.name for p in victim.parent.iterdir()) == ["victim.json"]
    with _sweep_env(store, Job(None, {"x": 1}, "r3")) as env:  # (no link: written, removed after)
        assert json.loads(Path(env["REPORTGEN_SWEEP_CONFIG"]).read_text()) == {"x": {"value": 1}}
    assert not (folder / "params-r3.json").exists()


def test_a_journal_swapped_for_a_link_after_the_sweep_was_opened_is_not_read(tmp_path):
    """Optuna's JournalFileBackend reads optuna.journal by name: one swapped for a link after the agent
    checked and opened it had the trials of the file the link led to read as the sweep's (and
    sampled from). The journal is read through a descriptor opened without following links now:
    the swap is refused with an error naming the journal."""
    from reportgen.storage.safety import NotRegularFile

    folder = _program_sweep(tmp_path)
    store = SweepStore.open(tmp_path / "runs", folder.name)
    study = store.study()
    study.ask()
    assert len(study.get_trials()) == 1
    (tmp_path / "other").mkdir()
    other = _program_sweep(tmp_path / "other")  # a journal of another sweep, outside this one
    for _ in range(2):
        SweepStore.open(tmp_path / "other" / "runs", other.name).study().ask()
    journal = folder / "optuna.journal"
    journal.unlink()
    journal.symlink_to(other / "optuna.journal")
    with pytest.raises(NotRegularFile, match="optuna.journal: a symbolic link"):
        SweepStore.open(tmp_path / "runs", folder.name).study().get_trials()  # (a new agent: refused)
    with pytest.raises(NotRegularFile, match="optuna.journal: a symbolic link"):
        study.get_trials()  # (the agent that opened it before the swap)


def test_sweep_id_in_run_json_and_resume_keeps_it(tmp_path, monkeypatch):
    monkeypatch.setenv("REPORTGEN_SWEEP_ID", "abc")
    (tmp_path / "p.json").write_text(json.dumps({"lr": {"value": 0.5}}))
    monkeypatch.setenv("REPORTGEN_SWEEP_CONFIG", str(tmp_path / "p.json"))
    with reportgen.init(dir=tmp_path, id="r1", config={"lr": 1, "other": 2}) as run:
        run.log({"a": 1})
        assert run.sweep_id == "abc"
    monkeypatch.delenv("REPORTGEN_SWEEP_ID")
    monkeypatch.delenv("REPORTGEN_SWEEP_CONFIG")
    with reportgen.init(dir=tmp_path, id="r1", resume="allow") as run:
        run.log({"a": 2})
    rec = read_run(tmp_path / "r1")
    assert rec.meta["sweep_id"] == "abc" and rec.config == {"lr": 0.5, "other": 2}
    assert [row["a"] for row in read_history(tmp_path / "r1" / "history.jsonl").rows] == [1, 2]


def test_wandb_stand_in_runs_sweep_and_agent(tmp_path, monkeypatch):
    from reportgen import compat

    monkeypatch.chdir(tmp_path)
    wandb = compat.install(children=False)
    try:
        sweep_id = wandb.sweep({"method": "grid", "parameters": {"lr": {"values": [0.1, 0.2]}}}, project="shim")

        def train():
            run = wandb.init()
            wandb.log({"loss": wandb.config.lr})
            run.finish()

        wandb.agent(sweep_id, function=train)
    finally:
        compat.uninstall()
    runs = sweep_runs(tmp_path / "runs", sweep_id)
    assert sorted(r.summary["loss"] for r in runs) == [0.1, 0.2] and {r.meta["project"] for r in runs} == {"shim"}
