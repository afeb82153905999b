"""Runs, steps and commits, config, summary and resume, on real run folders."""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import pytest

import reportgen
from reportgen.storage.jsonio import read_json
from reportgen.storage.reader import read_run


def history(run):
    run.finish()
    return read_run(run.folder).history


def user_rows(rows):
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


@pytest.fixture
def run(tmp_path):
    r = reportgen.init(project="p", id="r", dir=tmp_path)
    yield r
    r.finish()


# -- init / finish ----------------------------------------------------------------------

def test_init_sets_module_run_and_finish_clears_it(tmp_path):
    run = reportgen.init(project="proj", name="nice name", id="abc", dir=tmp_path, group="g", tags=["a", "b"],
                         notes="hello", config={"lr": 0.1})
    assert reportgen.run is run and reportgen.config is run.config and reportgen.summary is run.summary
    meta = read_json(run.folder / "run.json")
    assert meta["format"] == 1 and meta["state"] == "running"
    assert (meta["project"], meta["name"], meta["group"], meta["tags"], meta["notes"]) == \
        ("proj", "nice name", "g", ["a", "b"], "hello")
    assert meta["pid"] > 0 and meta["heartbeat"] >= meta["created"]
    reportgen.log({"a": 1})
    reportgen.finish()
    assert reportgen.run is None
    meta = read_json(run.folder / "run.json")
    assert meta["state"] == "finished" and meta["exit_code"] == 0
    with pytest.warns(UserWarning, match="finished"):
        run.log({"late": 1})
    with pytest.raises(RuntimeError, match="before reportgen.init"):
        reportgen.log({"a": 1})


def test_context_manager(tmp_path):
    with reportgen.init(project="p", id="ctx", dir=tmp_path) as run:
        run.log({"a": 1})
    assert read_run(run.folder).state == "finished"


def test_init_finishes_previous_run(tmp_path):
    first = reportgen.init(project="p", id="one", dir=tmp_path)
    second = reportgen.init(project="p", id="two", dir=tmp_path)
    assert read_run(first.folder).state == "finished" and reportgen.run is second
    second.finish()


def test_reinit_modes_as_wandb(tmp_path):
    """reinit="create_new" (wandb's several runs in one process) finished the active run as every
    other value did, and an unknown value passed silently: each mode now does what wandb's does."""
    main = reportgen.init(dir=tmp_path, id="main")
    main.log({"a": 1})
    assert reportgen.init(dir=tmp_path, id="unused", reinit="return_previous") is main
    side = reportgen.init(dir=tmp_path, id="side", reinit="create_new")
    assert reportgen.run is side and not main._finished
    side.log({"b": 2})
    main.log({"a": 2})
    side.finish()
    main.log({"a": 3})
    last = reportgen.init(dir=tmp_path, id="last", settings={"reinit": True})  # finish_previous
    assert main._finished and reportgen.run is last
    last.finish()
    def rows(run):
        return [json.loads(line) for line in (run.folder / "history.jsonl").read_text().splitlines()]

    assert [r["a"] for r in rows(main)] == [1, 2, 3] and [r["b"] for r in rows(side)] == [2]
    assert read_run(main.folder).state == read_run(side.folder).state == "finished"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(r.folder.name for r in (main, side, last))
    with pytest.raises(ValueError, match="reinit: expected True, False or one of .*'create_new', got 'sometimes'"):
        reportgen.init(dir=tmp_path, reinit="sometimes")


def test_bad_init_arguments_raise(tmp_path):
    with pytest.raises(ValueError, match="id="):
        reportgen.init(id="../escape", dir=tmp_path)
    with pytest.raises(TypeError, match="tags"):
        reportgen.init(tags="oops", dir=tmp_path)
    with pytest.raises(TypeError, match="project"):
        reportgen.init(project=3, dir=tmp_path)
    with pytest.raises(ValueError, match="resume"):
        reportgen.init(id="x", resume="sometimes", dir=tmp_path)
    with pytest.raises(reportgen.errors.ConfigError, match="config: config file 'lr=0.1' does not exist"):
        reportgen.init(config="lr=0.1", dir=tmp_path)  # a string is a config file's path, as in wandb
    with pytest.raises(TypeError, match="config"):
        reportgen.init(config=3, dir=tmp_path)
    with pytest.raises(ValueError, match="flush_interval"):
        reportgen.init(dir=tmp_path, flush_interval=0)


def test_random_ids_are_unique_folders(tmp_path):
    ids = set()
    for _ in range(5):
        r = reportgen.init(dir=tmp_path)
        ids.add(r.id)
        r.finish()
    assert len(ids) == 5 and all((tmp_path / i / "run.json").exists() for i in ids)


def test_existing_id_without_resume_is_refused(tmp_path):
    reportgen.init(id="same", dir=tmp_path).finish()
    with pytest.raises(ValueError, match="resume='allow'"):
        reportgen.init(id="same", dir=tmp_path)


# -- steps and commits --------------------------------------------------------------------

def test_each_log_is_a_step_with_system_keys(run):
    t0 = time.time()
    for i in range(3):
        run.log({"loss": 1.0 / (i + 1)})
    rows = history(run)
    assert [r["_step"] for r in rows] == [0, 1, 2]
    assert all(t0 - 1 <= r["_timestamp"] <= time.time() and r["_runtime"] >= 0 for r in rows)
    assert rows[0]["_runtime"] <= rows[2]["_runtime"]


def test_same_step_merges_and_step_change_writes(run):
    run.log({"a": 1}, step=0)
    run.log({"b": 2}, step=0)
    assert not (run.folder / "history.jsonl").read_bytes()  # not written before the step changes
    run.log({"a": 3}, step=1)
    run.log({"a": 4}, step=3)  # skipping steps is allowed
    rows = history(run)
    assert [(r["_step"], user_rows([r])[0]) for r in rows] == [(0, {"a": 1, "b": 2}), (1, {"a": 3}), (3, {"a": 4})]


def test_lower_step_warns_once_and_drops(run):
    run.log({"a": 1}, step=5)
    with pytest.warns(UserWarning, match="step 2 is lower than the current step 5"):
        run.log({"a": 2}, step=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.log({"a": 3}, step=1)
    run.log({"b": 1}, step=5)
    rows = history(run)
    assert len(rows) == 1 and user_rows(rows) == [{"a": 1, "b": 1}] and rows[0]["_step"] == 5


def test_commit_false_accumulates(run):
    run.log({"loss": 0.2}, commit=False)
    run.log({"lr": 0.1}, commit=False)
    run.log({"accuracy": 0.8})
    run.log({"loss": 0.1})
    rows = history(run)
    assert user_rows(rows) == [{"loss": 0.2, "lr": 0.1, "accuracy": 0.8}, {"loss": 0.1}]
    assert [r["_step"] for r in rows] == [0, 1]


def test_step_with_commit_true_writes_at_once(run):
    run.log({"a": 1}, step=2, commit=True)
    run.log({"b": 1})
    rows = history(run)
    assert [(r["_step"], user_rows([r])[0]) for r in rows] == [(2, {"a": 1}), (3, {"b": 1})]


def test_log_without_step_after_step_commits_the_pending_row(run):
    run.log({"a": 1}, step=4)
    run.log({"b": 2})
    run.log({"c": 3})
    rows = history(run)
    assert [(r["_step"], user_rows([r])[0]) for r in rows] == [(4, {"a": 1, "b": 2}), (5, {"c": 3})]


def test_pending_row_written_at_finish(run):
    run.log({"a": 1}, step=0)
    run.log({"b": 1}, commit=False)
    rows = history(run)
    assert user_rows(rows) == [{"a": 1, "b": 1}]


def test_bad_step_raises(run):
    with pytest.raises(TypeError, match="step"):
        run.log({"a": 1}, step=1.5)
    with pytest.raises(TypeError, match="dict"):
        run.log([("a", 1)])


def test_a_negative_step_is_dropped_as_a_lower_step_as_in_wandb(run):
    """wandb takes step=-1 and drops it (lower than the current step); it raised ValueError here,
    ending a training loop that ran under wandb."""
    with pytest.warns(UserWarning, match="step -1 is lower than the current step 0; that data is dropped"):
        run.log({"a": 1}, step=-1)
    run.log({"a": 2})
    assert user_rows(history(run)) == [{"a": 2}]


def test_custom_x_axes_are_plain_metrics(run):
    for epoch in range(3):
        run.log({"acc": 0.5 + epoch / 10, "epoch": epoch, "batch": epoch * 10, "global_step": epoch * 100})
    rows = history(run)
    assert [r["global_step"] for r in rows] == [0, 100, 200] and [r["epoch"] for r in rows] == [0, 1, 2]


def test_legacy_history_row_and_add(run):
    run.history.row["manual"] = 1
    run.history.row.update({"other": 2})
    run.history.add({"added": 3})
    run.history.add()
    run.log({"x": 1}, commit=False)
    assert run.history.row == {"x": 1}
    rows = history(run)
    assert user_rows(rows) == [{"manual": 1, "other": 2, "added": 3}, {}, {"x": 1}]


def test_case_insensitive_names_warn_once(run):
    run.log({"My-Metric": 1})
    with pytest.warns(UserWarning, match="case-insensitively.*'my-metric'.*'My-Metric'"):
        run.log({"my-metric": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run.log({"my-metric": 3, "My-Metric": 4})
    rows = history(run)
    assert rows[1]["my-metric"] == 2 and rows[2]["My-Metric"] == 4  # both stored as logged


def test_bad_keys_warn_and_row_survives(run):
    with pytest.warns(UserWarning) as rec:
        run.log({1: "int key", "_step": 99, "ok": 1})
    text = " ".join(str(w.message) for w in rec)
    assert "key 1" in text and "'_step' is reserved" in text
    rows = history(run)
    assert rows[0]["_step"] == 0 and rows[0]["ok"] == 1 and len(user_rows(rows)[0]) == 1


# -- summary ------------------------------------------------------------------------------

def test_summary_last_value_and_overrides(run):
    run.log({"acc": 0.5, "loss": 1.0})
    run.log({"acc": 0.7})
    assert run.summary["acc"] == 0.7 and run.summary["loss"] == 1.0
    run.summary["best_acc"] = 0.9
    assert read_json(run.folder / "summary.json")["best_acc"] == 0.9  # persisted at once
    run.summary.update({"final": "done"}, extra=1)
    saved = read_json(run.folder / "summary.json")
    assert saved["final"] == "done" and saved["extra"] == 1
    run.summary["acc"] = 0.99  # explicit override of a logged key
    run.finish()
    saved = read_json(run.folder / "summary.json")
    assert saved["acc"] == 0.99 and saved["loss"] == 1.0 and saved["_step"] == 1
    assert run.summary.best_acc == 0.9


def test_summary_bad_key_raises(run):
    with pytest.raises(TypeError, match="summary key"):
        run.summary[3] = 1


# -- config --------------------------------------------------------------------------------

class FakeAbslFlags:
    """absl.flags.FLAGS look-alike: values via flag_values_dict()."""

    def flag_values_dict(self):
        return {"num_steps": 100, "batch_size": 32}


class PlainConfig:
    def __init__(self):
        self.lr = 0.01
        self.layers = [64, 64]
        self._private = "hidden"

    def method(self):  # pragma: no cover - not a value
        return 1


@pytest.mark.parametrize("source, expected", [
    ({"num_steps": 100, "nested": {"a": 1}}, {"num_steps": 100, "nested": {"a": 1}}),
    (argparse.Namespace(num_steps=100, name="x"), {"num_steps": 100, "name": "x"}),
    (FakeAbslFlags(), {"num_steps": 100, "batch_size": 32}),
    (PlainConfig(), {"lr": 0.01, "layers": [64, 64]}),
])
def test_config_sources(tmp_path, source, expected):
    run = reportgen.init(id="cfg", dir=tmp_path, config=source)
    assert run.config.as_dict() == expected
    assert read_json(run.folder / "config.json") == expected
    key = next(iter(expected))
    assert run.config[key] == getattr(run.config, key) == expected[key]
    run.finish()


def test_config_update_and_attribute_set(tmp_path):
    import numpy as np

    run = reportgen.init(id="cfgu", dir=tmp_path, config={"num_steps": 10})
    run.config.update({"lr": np.float32(0.5), "arr": np.arange(3)})
    run.config.update(argparse.Namespace(batch_size=8), dropout=0.1)
    run.config.epochs = 3
    reportgen.config["seed"] = 7
    saved = json.loads((run.folder / "config.json").read_text())
    assert saved == {"num_steps": 10, "lr": 0.5, "arr": [0, 1, 2], "batch_size": 8, "dropout": 0.1,
                     "epochs": 3, "seed": 7}
    assert run.config.num_steps == 10 and "lr" in run.config and len(run.config) == 7
    with pytest.raises(AttributeError, match="missing"):
        _ = run.config.missing
    run.finish()


# -- resume --------------------------------------------------------------------------------

def test_resume_allow_continues_after_last_step(tmp_path):
    first = reportgen.init(project="p", id="res", dir=tmp_path, config={"lr": 0.1}, tags=["t"])
    for i in range(3):
        first.log({"loss": i})
    first.summary["best"] = 1
    first.finish()
    again = reportgen.init(id="res", dir=tmp_path, resume="allow", config={"epochs": 5})
    assert again.resumed and again.step == 3 and again.project == "p" and again.tags == ["t"]
    assert again.config.as_dict() == {"lr": 0.1, "epochs": 5} and again.summary["best"] == 1
    again.log({"loss": 3})
    with pytest.warns(UserWarning, match="lower than the current step 4"):
        again.log({"loss": 9}, step=1)  # lower than the resumed step: dropped
    again.finish()
    rec = read_run(tmp_path / "res")
    assert [r["_step"] for r in rec.history] == [0, 1, 2, 3] and rec.history[-1]["loss"] == 3
    assert rec.history[3]["_runtime"] >= rec.history[2]["_runtime"]
    assert rec.meta["resumed"] == 1 and rec.state == "finished" and rec.summary["best"] == 1


def test_resume_must_needs_an_existing_run(tmp_path):
    with pytest.raises(ValueError, match="resume='must'.*nope"):
        reportgen.init(id="nope", dir=tmp_path, resume="must")
    with pytest.raises(ValueError, match="needs id"):
        reportgen.init(dir=tmp_path, resume="must")
    run = reportgen.init(id="fresh", dir=tmp_path, resume="allow")  # allow: a new run is fine
    assert not run.resumed and run.step == 0
    run.finish()


def test_save_copies_into_files(tmp_path, run):
    src = tmp_path / "model.txt"
    src.write_text("weights")
    assert run.save(src) == [str(run.folder / "files" / "model.txt")]  # wandb returns the copies' paths
    assert (run.folder / "files" / "model.txt").read_text() == "weights"
    with pytest.raises(FileNotFoundError, match="save"):
        run.save(tmp_path / "missing.txt", policy="now")


def test_wandb_compat_helpers(tmp_path):
    assert reportgen.login() is True
    run = reportgen.init(id="compat", dir=tmp_path, entity="me", reinit=True, mode="offline")  # accepted silently
    reportgen.define_metric("val/*", step_metric="epoch")
    run.define_metric("loss", summary="min")
    with pytest.raises(ValueError, match="watch.*torch.nn.Module"):
        reportgen.watch(object())
    run.finish()
    meta = read_json(run.folder / "run.json")
    assert meta["metrics"] == {"val/*": {"step_metric": "epoch"}, "loss": {"summary": "min"}}
    again = reportgen.init(id="compat", dir=tmp_path, resume="allow")
    again.finish()
    assert read_json(run.folder / "run.json")["metrics"]["val/*"] == {"step_metric": "epoch"}
    with pytest.warns(UserWarning, match="unsupported arguments.*bogus"):
        reportgen.init(id="compat2", dir=tmp_path, bogus=1).finish()


def test_a_second_writer_of_a_live_run_is_refused(tmp_path):
    """Two writers of one run id (both resume="allow") once interleaved their histories silently."""
    import os
    import socket

    from reportgen.sdk.run import Run
    from reportgen.storage.lock import RunLockedError

    live = Run(id="live", dir=tmp_path)  # still running in this (alive) process
    live.log({"a": 1})
    with pytest.raises(RunLockedError, match=rf"run 'live' is being written by another process "
                                             rf"\(pid {os.getpid()} on {socket.gethostname()}"):
        reportgen.init(id="live", dir=tmp_path, resume="allow")
    live.log({"a": 2})
    live.finish()  # the lock goes with the writer: now the run can be continued
    again = reportgen.init(id="live", dir=tmp_path, resume="allow")
    again.log({"a": 3})
    again.finish()
    assert [(r["_step"], r["a"]) for r in history(again)] == [(0, 1), (1, 2), (2, 3)]


HOLDER = """
import fcntl, json, os, socket, subprocess, sys, time
dead = subprocess.Popen([sys.executable, "-c", "pass"])
dead.wait()
fh = open(sys.argv[1], "a+b")
if sys.argv[2] == "stale":  # a dead holder's details
    fh.write(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "since": 1.0}).encode())
fh.flush()
fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # taken, its details not written yet (as between flock and _stamp)
print("locked", dead.pid, flush=True)
if sys.stdin.readline().strip() == "stamp":
    fh.truncate(0)
    fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}).encode())
    fh.flush()
sys.stdin.readline()
"""


@pytest.mark.parametrize("before", ["empty", "stale"])
@pytest.mark.parametrize("stamp", [True, False])
def test_a_refused_writer_names_the_holder_once_its_details_are_written(tmp_path, stamp, before):
    """The holder writes its details after it takes the lock: a second writer refused in between read an
    empty file, or the previous (dead) holder's details, and said "pid ? on ?, since ?" (or named a dead
    pid). It waits for them (a bounded while), and says they are still being written when they never come."""
    import subprocess
    import sys
    import threading

    pytest.importorskip("fcntl")
    from reportgen.storage.lock import RunLockedError, WriterLock

    folder = tmp_path / "r"
    folder.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder / "run.lock"), before], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        said, dead = holder.stdout.readline().split()
        assert said == "locked"
        if stamp:  # told while the second writer waits for the details
            threading.Timer(0.2, lambda: (holder.stdin.write("stamp\n"), holder.stdin.flush())).start()
        with pytest.raises(RunLockedError) as err:
            WriterLock(folder, "r")
    finally:
        holder.communicate("-\n-\n", timeout=30)
    message = str(err.value)
    assert "?" not in message and f"pid {dead} " not in message, message
    if stamp:
        assert f"another process (pid {holder.pid} on " in message, message
    else:
        assert "another process (its details are still being written; lock " in message, message


def test_logging_from_several_threads(run):
    import threading

    def worker(k):
        for i in range(2000):
            run.log({"worker": k, "i": i})

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    rows = history(run)
    assert [r["_step"] for r in rows] == list(range(8000))
    for k in range(4):
        assert [r["i"] for r in rows if r["worker"] == k] == list(range(2000))
