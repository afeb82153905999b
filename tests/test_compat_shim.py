"""``reportgen run`` and ``reportgen.compat.install()``: ``import wandb`` means reportgen."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import reportgen
from reportgen import compat

REPO = Path(__file__).resolve().parents[1]


def fake_wandb(where: Path) -> Path:
    """A stand-in for the real wandb in site-packages: its own package and dist-info."""
    pkg = where / "wandb"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = '9.9.9'\nREAL = True\n")
    info = where / "wandb-9.9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: wandb\nVersion: 9.9.9\n")
    return where


def reportgen_run(tmp_path: Path, script: str, *args: str, pythonpath: str = "", env: dict | None = None):
    (tmp_path / "prog.py").write_text(textwrap.dedent(script))
    full = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), pythonpath) if p), **(env or {})}
    full.pop("REPORTGEN_DIR", None)
    return subprocess.run([sys.executable, "-m", "reportgen", "run", *args, "--", sys.executable, "prog.py"],
                          cwd=tmp_path, env=full, capture_output=True, text=True, timeout=600)


PROBE = """
    import importlib.metadata, json, subprocess, sys
    import wandb
    from wandb.sdk.lib.config_util import ConfigError
    from wandb.sdk.lib import RunDisabled
    from wandb.wandb_run import Run
    from wandb.integration.keras import WandbMetricsLogger
    import wandb.plot, wandb.data_types, wandb.errors, wandb.util
    child = subprocess.run([sys.executable, "-c", "import wandb, importlib.metadata as m; "
                            "print(wandb.__file__, m.version('wandb'))"], capture_output=True, text=True)
    print(json.dumps({"file": wandb.__file__, "version": importlib.metadata.version("wandb"),
                      "attr": wandb.__version__, "child": child.stdout.strip(), "run": wandb.run is None,
                      "plot_line": wandb.plot.line.__module__, "error": wandb.Error is wandb.errors.Error}))
    sys.exit(7)
"""


def test_shim_wins_over_an_installed_wandb_in_the_program_and_its_children(tmp_path):
    site = fake_wandb(tmp_path / "site")
    plain = subprocess.run([sys.executable, "-c", "import wandb, importlib.metadata as m; print(m.version('wandb'))"],
                           env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True)
    assert plain.stdout.strip() == "9.9.9"  # without reportgen run: the "installed" wandb
    proc = reportgen_run(tmp_path, PROBE, pythonpath=str(site), env={"KERAS_BACKEND": "torch"})
    assert proc.returncode == 7, proc.stderr  # the program's exit code passes through
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    shim = str(compat.SHIM_DIR)
    assert out["file"].startswith(shim) and out["version"] == out["attr"] == compat.WANDB_VERSION
    assert out["child"].startswith(shim) and out["child"].endswith(compat.WANDB_VERSION)
    assert out["run"] and out["error"] and out["plot_line"] == "reportgen.media.plot"


def test_shim_dist_info_matches_the_version():
    assert (compat.SHIM_DIR / f"wandb-{compat.WANDB_VERSION}.dist-info" / "METADATA").read_text().count(
        f"Version: {compat.WANDB_VERSION}") == 1


def test_reportgen_run_dir_and_quickstart(tmp_path):
    script = """
        import wandb
        with wandb.init(project="quick", config={"lr": 0.1}) as run:
            for i in range(3):
                wandb.log({"loss": 1.0 / (i + 1)})
            run.summary["best"] = 1
            assert wandb.run is run and wandb.config.lr == 0.1
    """
    proc = reportgen_run(tmp_path, script, "--dir", "out/runs")
    assert proc.returncode == 0, proc.stderr
    (run,) = list((tmp_path / "out" / "runs").iterdir())
    rows = [json.loads(x) for x in (run / "history.jsonl").read_text().splitlines()]
    assert [r["loss"] for r in rows] == [1.0, 0.5, 1.0 / 3]
    assert json.loads((run / "summary.json").read_text())["best"] == 1


def test_wandb_helper_parse_config_selects_keys(tmp_path):
    """wandb's deprecation of init(config_include_keys=...) points to wandb.helper.parse_config,
    which the stand-in lacked (AttributeError)."""
    script = """
        import wandb
        from wandb.sdk import wandb_helper
        assert wandb_helper.parse_config({"a": 1, "b": 2}, include=("a",)) == {"a": 1}
        cfg = wandb.helper.parse_config({"a": 1, "secret": 2}, exclude=["secret"])
        with wandb.init(project="p", config=cfg) as run:
            assert dict(run.config) == {"a": 1}
    """
    proc = reportgen_run(tmp_path, script)
    assert proc.returncode == 0, proc.stderr


def test_reportgen_run_reports_a_missing_command(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "reportgen", "run", "--", "no-such-program-xyz"],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
    assert proc.returncode == 2 and "command not found" in proc.stderr


def test_wandb_dir_means_the_folder_above_runs(tmp_path):
    script = """
        import os, wandb
        wandb.init(dir="logs", project="p").finish()
        os.environ["REPORTGEN_DIR"] = "explicit"
        wandb.init(dir="logs", project="p").finish()
    """
    proc = reportgen_run(tmp_path, script)
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "logs" / "runs").iterdir())) == 1  # wandb: logs/wandb/run-*
    assert len(list((tmp_path / "explicit").iterdir())) == 1  # $REPORTGEN_DIR wins


def test_install_in_process(tmp_path, monkeypatch):
    site = fake_wandb(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    import importlib
    import importlib.metadata

    for name in [n for n in sys.modules if n == "wandb" or n.startswith("wandb.")]:
        monkeypatch.delitem(sys.modules, name)
    importlib.invalidate_caches()
    assert importlib.import_module("wandb").REAL  # the "installed" one
    try:
        wandb = reportgen.wandb_compat()
        assert wandb.__file__.startswith(str(compat.SHIM_DIR))
        assert importlib.metadata.version("wandb") == compat.WANDB_VERSION
        assert os.environ["PYTHONPATH"].split(os.pathsep)[0] == str(compat.SHIM_DIR)
        run = wandb.init(dir=str(tmp_path), project="nb")
        assert wandb.run is run is reportgen.run and isinstance(run, wandb.wandb_run.Run)
        wandb.log({"x": 1})
        wandb.finish()
        assert wandb.run is None
        assert (tmp_path / "runs" / run.id / "history.jsonl").read_text().count('"x":1') == 1
    finally:
        compat.uninstall()
    assert "wandb" not in sys.modules or not sys.modules["wandb"].__file__.startswith(str(compat.SHIM_DIR))


def test_server_only_functions_raise_a_named_error():
    wandb = compat.install(children=False)
    try:
        with pytest.raises(wandb.errors.UnsupportedError, match="controller.*reportgen agent"):
            wandb.controller("abc")
        with pytest.raises(AttributeError, match="stand-in.*no attribute 'nonexistent'"):
            wandb.nonexistent  # noqa: B018
        with pytest.raises(wandb.Error):
            wandb.log({"a": 1})  # before init, as wandb
    finally:
        compat.uninstall()


def test_import_reportgen_as_wandb_has_the_stand_ins_module_functions(tmp_path):
    """`import reportgen as wandb` lacked wandb.require (common at the top of scripts: "service",
    "core"), log_code, mark_preempting, controller and restore, which the stand-in module has."""
    import reportgen as wandb
    from reportgen.errors import UnsupportedError

    wandb.require("core")
    run = wandb.init(dir=tmp_path, id="plain")
    (tmp_path / "train.py").write_text("print('hi')\n")
    assert wandb.log_code(str(tmp_path)) is not None
    wandb.mark_preempting()
    with pytest.raises(UnsupportedError, match="restore.*runs/<id>/files"):
        wandb.restore("model.pt")
    with pytest.raises(UnsupportedError, match="controller"):
        wandb.controller("abc")
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'.*coming-from-wandb.md"):
        wandb.nonexistent  # noqa: B018
    run.finish()


def test_native_transformers_callback_uses_the_stand_in(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    try:
        from reportgen.integrations.transformers import ReportgenCallback

        cb = ReportgenCallback()
        assert cb._wandb.__file__.startswith(str(compat.SHIM_DIR)) and cb._wandb.run is None
    finally:
        compat.uninstall()
