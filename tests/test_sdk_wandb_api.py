"""wandb's documented run API (issue 14): init modes, save, define_metric, watch, run.*."""
from __future__ import annotations

import json
import os
import pickle
import stat

import pytest

import reportgen
from reportgen.storage.jsonio import read_json


def rows(run):
    run._writer.flush() if hasattr(run._writer, "flush") else None
    return [json.loads(x) for x in (run.folder / "history.jsonl").read_text().splitlines() if x.strip()]


def test_resume_allow_without_id_starts_a_new_run(tmp_path, monkeypatch):
    monkeypatch.delenv("REPORTGEN_RUN_ID", raising=False)
    monkeypatch.delenv("WANDB_RUN_ID", raising=False)
    run = reportgen.init(dir=tmp_path, resume="allow")
    assert not run.resumed and (tmp_path / run.id / "run.json").exists()
    run.finish()


def test_disabled_mode_writes_nothing_and_pickles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = reportgen.init(mode="disabled", project="p", config={"lr": 0.1})
    assert reportgen.run is run and run.disabled and run.config.lr == 0.1
    run.log({"a": 1})
    reportgen.log({"a": 2})
    run.define_metric("a", summary="min")
    run.log_artifact("anything")
    run.summary["x"] = 1
    assert run.save("*.txt") == []
    clone = pickle.loads(pickle.dumps(run))
    assert clone.id == run.id and clone.config.lr == 0.1
    reportgen.finish()
    assert reportgen.run is None and list(tmp_path.iterdir()) == []


def test_wandb_mode_env_disables(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    run = reportgen.init(dir=tmp_path)
    assert isinstance(run, reportgen.DisabledRun) and not any(tmp_path.iterdir())
    run.finish()
    monkeypatch.setenv("WANDB_MODE", "offline")
    run = reportgen.init(dir=tmp_path)
    assert run.offline and run.settings.mode == "offline"
    run.finish()
    with pytest.raises(ValueError, match="mode"):
        reportgen.init(dir=tmp_path, mode="bogus")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_dir_falls_back_with_a_warning(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv("REPORTGEN_DIR", str(tmp_path / "fallback"))
    with pytest.warns(UserWarning, match="not writable"):
        run = reportgen.init(dir=locked / "runs")
    assert run.root == tmp_path / "fallback"
    run.finish()


def test_unwritable_dir_falls_back_even_as_root(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")  # a path below a file cannot be created, even by root
    monkeypatch.setenv("REPORTGEN_DIR", str(tmp_path / "fallback"))
    with pytest.warns(UserWarning, match="not writable"):
        run = reportgen.init(dir=blocker / "runs")
    assert run.root == tmp_path / "fallback"
    run.finish()


def test_sweep_parameters_win_over_init_config(tmp_path, monkeypatch):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"lr": {"value": 0.5}, "layers": 3, "wandb_version": 1}))
    monkeypatch.setenv("REPORTGEN_SWEEP_CONFIG", str(params))
    monkeypatch.setenv("REPORTGEN_SWEEP_ID", "sw1")
    run = reportgen.init(dir=tmp_path / "runs", config={"lr": 0.1, "epochs": 2})
    assert dict(run.config.items()) == {"lr": 0.5, "epochs": 2, "layers": 3} and run.sweep_id == "sw1"
    run.finish()
    assert read_json(run.folder / "config.json")["lr"] == 0.5


def test_sweep_parameters_stay_when_the_script_updates_config_later(tmp_path, monkeypatch):
    """wandb locks the sweep's keys: ``config.update(vars(args))`` after init() (a common script)
    kept the sweep's lr in wandb and replaced it here, silently (the run trained and recorded another lr)."""
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"lr": {"value": 0.5}}))
    monkeypatch.setenv("REPORTGEN_SWEEP_CONFIG", str(params))
    monkeypatch.setenv("REPORTGEN_SWEEP_ID", "sw1")
    run = reportgen.init(dir=tmp_path / "runs", config={"epochs": 2})
    with pytest.warns(UserWarning, match="config key 'lr' was locked by 'sweep'") as caught:
        run.config.update({"lr": 0.01, "batch": 8}, allow_val_change=True)
        run.config.lr = 0.02
        run.config["lr"] = 0.03
    assert len([w for w in caught if "locked" in str(w.message)]) == 1  # once per key
    run.config.update({"lr": 0.5}, allow_val_change=False)  # the same value: no change, no error
    assert dict(run.config.items()) == {"lr": 0.5, "epochs": 2, "batch": 8}
    run.finish()
    assert read_json(run.folder / "config.json") == {"lr": 0.5, "epochs": 2, "batch": 8}


def test_allow_val_change_false_raises_config_error_as_wandb(tmp_path):
    from reportgen.compat.shim.wandb.sdk.lib.config_util import ConfigError

    run = reportgen.init(dir=tmp_path / "runs", config={"lr": 0.1})
    run.config.update({"lr": 0.2})  # reportgen's default: accepted (docs/coming-from-wandb.md)
    with pytest.raises(ConfigError, match='(?s)key "lr" from 0.2 to 0.3.*allow_val_change=True'):
        run.config.update({"other": 1, "lr": 0.3}, allow_val_change=False)
    assert dict(run.config.items()) == {"lr": 0.2}  # nothing of the refused update was set
    run.finish()
    strict = reportgen.init(dir=tmp_path / "runs", config={"a": 1}, allow_val_change=False)
    strict.config.a = 1
    strict.config.b = 2
    with pytest.raises(reportgen.errors.ConfigError, match='key "a"'):
        strict.config.a = 2
    strict.config.update({"a": 3}, allow_val_change=True)
    strict.finish()
    assert read_json(strict.folder / "config.json") == {"a": 3, "b": 2}


def test_save_globs_base_path_and_policies(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ckpt" / "sub").mkdir(parents=True)
    (tmp_path / "ckpt" / "a.pt").write_text("a")
    (tmp_path / "ckpt" / "sub" / "b.pt").write_text("b")
    run = reportgen.init(dir=tmp_path / "runs")
    files = run.folder / "files"
    got = run.save("ckpt/**/*.pt", policy="now")
    assert sorted(got) == sorted([str(files / "ckpt" / "a.pt"), str(files / "ckpt" / "sub" / "b.pt")])
    assert run.save("ckpt/sub/b.pt", base_path="ckpt", policy="now") == [str(files / "sub" / "b.pt")]
    assert run.save(str(tmp_path / "ckpt" / "a.pt"), policy="now") == [str(files / "a.pt")]  # absolute: flat
    (tmp_path / "live.txt").write_text("v1")
    run.save("live.txt")  # live: copied now and again at finish
    assert run.save("end.txt", policy="end") == []  # end: only at finish
    (tmp_path / "end.txt").write_text("done")
    inside = os.path.join(run.dir, "model.bin")  # wandb idiom: write into run.dir
    with open(inside, "w") as fh:
        fh.write("w")
    assert run.save(inside) == [inside]
    with pytest.raises(ValueError, match="policy"):
        run.save("x", policy="sometimes")
    with pytest.raises(ValueError, match="outside base_path"):
        run.save("live.txt", base_path="ckpt", policy="now")
    (tmp_path / "live.txt").write_text("v2")
    run.finish()
    assert (files / "live.txt").read_text() == "v2" and (files / "end.txt").read_text() == "done"
    assert (files / "model.bin").read_text() == "w"


def test_define_metric_summaries_as_wandb_stores_them(tmp_path):
    run = reportgen.init(dir=tmp_path)
    run.define_metric("loss", summary="min,max,mean,last")
    run.define_metric("acc", summary="best", goal="maximize")
    run.define_metric("val/*", summary="first")
    run.define_metric("noise", summary="none")
    run.define_metric("epoch_x", hidden=True)
    for loss, acc, v in ((3.0, 0.1, 7), (1.0, 0.9, 8), (2.0, 0.5, 9)):
        run.log({"loss": loss, "acc": acc, "val/x": v, "noise": 1, "plain": loss})
    run.finish()
    summary = read_json(run.folder / "summary.json")
    assert summary["loss"] == {"min": 1.0, "max": 3.0, "mean": 2.0, "last": 2.0}
    assert summary["acc"] == {"best": 0.9}
    assert summary["val/x"] == {"first": 7}
    assert "noise" not in summary and summary["plain"] == 2.0
    with pytest.raises(ValueError, match="goal"):
        run.define_metric("x", summary="best")
    with pytest.raises(ValueError, match="unknown aggregation 'median'"):
        run.define_metric("x", summary="median")
    # a resumed run keeps aggregating
    again = reportgen.init(dir=tmp_path, id=run.id, resume="must")
    again.log({"loss": 0.5})
    again.finish()
    assert read_json(run.folder / "summary.json")["loss"]["min"] == 0.5


def test_watch_logs_histograms_every_log_freq_steps(tmp_path):
    torch = pytest.importorskip("torch")
    run = reportgen.init(dir=tmp_path)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    run.watch(model, log="all", log_freq=2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _step in range(4):
        loss = model(torch.randn(5, 3)).pow(2).mean()
        loss.backward()
        opt.step()
        opt.zero_grad()
        run.log({"loss": loss.item()})
    run.unwatch(model)
    model(torch.randn(5, 3)).sum().backward()
    run.log({"loss": 0.0})
    run.finish()
    history = rows(run)
    with_grads = [r["_step"] for r in history if "gradients/0.weight" in r]
    with_params = [r["_step"] for r in history if "parameters/2.bias" in r]
    assert with_grads == [0, 2] and with_params == [0, 2]
    h = history[0]["gradients/0.weight"]
    assert h["_type"] == "histogram" and sum(h["values"] if "values" in h else h["counts"]) == 12
    with pytest.raises(ValueError, match="log"):
        reportgen.init(dir=tmp_path).watch(model, log="weights")
    reportgen.finish()


def test_run_properties_as_wandb(tmp_path, capsys):
    run = reportgen.init(dir=tmp_path, project="p", entity="team")
    assert isinstance(run.dir, str) and run.dir == str(run.folder / "files") and os.path.isdir(run.dir)
    assert run.url.startswith("file://") and run.url.endswith(run.id)
    assert run.entity == "team" and run.offline is False and run.settings.run_id == run.id
    assert run.status().state == "running" and run.project_name() == "p"
    assert run.display() is False and run.id in run.to_html()
    run._label(code="transformers_trainer")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "train.py").write_text("print(1)")
    (tmp_path / "code" / "notes.txt").write_text("x")
    copied = run.log_code(tmp_path / "code")
    assert [os.path.basename(p) for p in copied] == ["train.py"]
    run.finish()
    assert run.status().state == "finished"
    reportgen.termwarn("careful", repeat=False)
    reportgen.termwarn("careful", repeat=False)
    reportgen.termerror("bad")
    err = capsys.readouterr().err
    assert err.count("reportgen: WARNING careful") == 1 and "reportgen: ERROR bad" in err
    assert reportgen.setup() is None
    other = reportgen.init(dir=tmp_path)
    reportgen.teardown()
    assert read_json(other.folder / "run.json")["state"] == "finished"


def test_config_keys_lose_their_dashes_as_in_wandb(tmp_path):
    run = reportgen.init(dir=tmp_path / "runs", config={"--lr": 0.1, "-x-": 1, "--": 2})
    run.config.update({"--epochs": 3})
    run.config["--batch"] = 8
    run.config.setdefaults({"--seed": 1, "--lr": 9})
    assert dict(run.config.items()) == {"lr": 0.1, "x": 1, "--": 2, "epochs": 3, "batch": 8, "seed": 1}
    run.finish()


def test_run_properties_wandb_scripts_read(tmp_path):
    run = reportgen.init(dir=tmp_path / "runs", id="props", config={"lr": 0.1})
    run.log({"a": 1})
    assert run.project_url == run.get_project_url() and run.sweep_url is None
    assert run.sync_dir == str(run.folder) and run.starting_step == 0
    static = run.config_static
    assert static.lr == 0.1 and static["lr"] == 0.1
    with pytest.raises(AttributeError, match="read-only"):
        static.lr = 1
    run.pin_config_keys(["lr"])
    art = reportgen.Artifact("data", type="dataset")
    art.add_file(str(run.folder / "run.json"), name="a.json")
    assert art.file_count == 1
    run.finish()
    again = reportgen.init(dir=tmp_path / "runs", id="props", resume="allow")
    assert again.starting_step == 1
    again.finish()
    assert read_json(run.folder / "run.json")["pinned_config"] == ["lr"]


def test_config_files_defaults_and_key_selection_as_in_wandb(tmp_path, monkeypatch):
    """wandb reads config-defaults.yaml from the working directory, takes config= as a path to a
    YAML file, and filters with config_include_keys / config_exclude_keys; here the first was
    not read, the second raised TypeError and the last two were ignored."""
    pytest.importorskip("yaml")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config-defaults.yaml").write_text(
        "wandb_version: 1\nlr:\n  desc: learning rate\n  value: 0.01\nepochs:\n  value: 3\nbatch: 8\n")
    (tmp_path / "exp.yaml").write_text("lr: 0.5\nlayers: 4\nsecret: x\n")
    run = reportgen.init(dir=tmp_path / "runs", config=str(tmp_path / "exp.yaml"), config_exclude_keys=["secret"])
    assert dict(run.config.items()) == {"lr": 0.5, "epochs": 3, "batch": 8, "layers": 4}
    run.config.update(tmp_path / "exp.yaml", allow_val_change=True)
    assert run.config.secret == "x"
    run.finish()
    only = reportgen.init(dir=tmp_path / "runs", config={"a": 1, "b": 2}, config_include_keys=["a"])
    assert dict(only.config.items()) == {"lr": 0.01, "epochs": 3, "batch": 8, "a": 1}
    only.finish()
    with pytest.raises(reportgen.errors.UsageError, match="at most one"):
        reportgen.init(dir=tmp_path / "runs", config_include_keys=["a"], config_exclude_keys=["b"])
    with pytest.raises(reportgen.errors.ConfigError, match="missing.yaml.*does not exist"):
        reportgen.init(dir=tmp_path / "runs", config="missing.yaml")
    monkeypatch.setenv("WANDB_CONFIG_PATHS", str(tmp_path / "exp.yaml"))
    env = reportgen.init(dir=tmp_path / "runs")
    assert dict(env.config.items()) == {"lr": 0.5, "layers": 4, "secret": "x"}  # instead of config-defaults.yaml
    env.finish()
