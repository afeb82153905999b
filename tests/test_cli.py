"""The command line: help is instant (no heavy imports), usage errors are one line with exit 2."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO, run_cli


def test_version():
    from reportgen import __version__

    proc = run_cli("--version")
    assert proc.stdout.strip() == f"reportgen {__version__}"


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["serve", "--help"], ["demo", "--help"]])
def test_help_lists_commands_and_options(args):
    proc = run_cli(*args)
    assert "Usage:" in proc.stdout
    if args == ["--help"]:
        for cmd in ("build", "serve", "demo"):
            assert cmd in proc.stdout


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys; from reportgen.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'altair', 'PIL', 'vl_convert', 'numpy', 'jinja2', 'reportgen.site.builder') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert "HEAVY []" in proc.stdout, proc.stdout


def test_python_dash_m_and_console_script_entry_point_agree():
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["reportgen"] == "reportgen.cli:main"


@pytest.mark.parametrize("args, fragment", [
    (["build"], "Missing argument 'RUNS'"),
    (["build", "/definitely/not/here"], "does not exist"),
    (["build", ".", "--samples", "3"], "--samples"),
    (["bild"], "No such command 'bild'"),
    (["serve", ".", "--port", "99999"], "--port"),
    (["demo", "--nope"], "No such option"),
])
def test_wrong_arguments_one_line_exit_2(args, fragment, tmp_path):
    proc = run_cli(*args, check=False, cwd=tmp_path)
    assert proc.returncode == 2, proc
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr
    assert len(err.splitlines()) == 1, err
    assert fragment in err
    assert err.startswith("reportgen")


def test_build_into_a_dangling_symlink_is_a_usage_error(tmp_path):
    """-o naming a symbolic link whose target is gone: one line naming it (was a FileExistsError traceback)."""
    (tmp_path / "runs").mkdir()
    (tmp_path / "site").symlink_to(tmp_path / "gone")
    proc = run_cli("build", "runs", "-o", "site", check=False, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "'site' is a symbolic link to" in proc.stderr and "which does not exist" in proc.stderr


@pytest.mark.parametrize("case", ["sweep config pipe", "agent lock link"])
def test_a_link_or_pipe_where_a_file_should_be_is_one_line_for_any_command(tmp_path, case):
    """storage.safety's NotRegularFile (a link, pipe or folder under a file's name) was turned into a
    one-line error by the `agent` command alone: `reportgen sweep` of a named pipe said 'no such file'
    of a file that is there (a pipe swapped in after that check waited for a writer for ever), and any
    other command hitting one printed a traceback. main() turns it into one line, exit 1, for all."""
    pytest.importorskip("optuna")
    if case == "sweep config pipe":
        os.mkfifo(tmp_path / "sweep.yaml")
        proc = run_cli("sweep", "sweep.yaml", "--dir", "runs", check=False, cwd=tmp_path, timeout=120)
        expected = "reportgen: error: sweep.yaml: not a regular file (a pipe, socket, device or folder); not read"
    else:
        (tmp_path / "sweep.yaml").write_text("program: x.py\nmethod: random\nparameters: {x: {values: [1]}}\n")
        sweep_id = run_cli("sweep", "sweep.yaml", "--dir", "runs", cwd=tmp_path).stdout.strip()
        lock = tmp_path / "runs" / "sweeps" / sweep_id / "lock"
        lock.symlink_to(tmp_path / "outside")
        proc = run_cli("agent", sweep_id, "--dir", "runs", check=False, cwd=tmp_path, timeout=120)
        expected = f"reportgen: error: runs/sweeps/{sweep_id}/lock: a symbolic link (to {str(tmp_path / 'outside')!r})"
        assert not os.path.lexists(tmp_path / "outside")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("reportgen: error:")]
    assert len(errors) == 1 and errors[0].startswith(expected), proc.stderr


def test_build_prints_where_to_open(tmp_path):
    import reportgen

    reportgen.init(project="p", name="one", dir=tmp_path / "runs")
    reportgen.log({"loss": 1.0})
    reportgen.finish()
    proc = run_cli("build", str(tmp_path / "runs"), "-o", str(tmp_path / "site"))
    assert (tmp_path / "site" / "index.html").exists()
    assert "file://" in proc.stdout and "index.html" in proc.stdout


def test_no_cache_leaves_only_the_site(tmp_path):
    import reportgen

    reportgen.init(project="p", name="one", dir=tmp_path / "runs")
    reportgen.log({"loss": 1.0})
    reportgen.finish()
    run_cli("build", str(tmp_path / "runs"), "-o", str(tmp_path / "a"), "-q", "--cache-dir", str(tmp_path / "ca"))
    run_cli("build", str(tmp_path / "runs"), "-o", str(tmp_path / "b"), "-q", "--no-cache", "--cache-dir",
            str(tmp_path / "cb"))
    assert (tmp_path / "ca" / "pages.pkl").is_file()  # the cache is outside the site ...
    assert not (tmp_path / "cb").exists()
    assert not any(".reportgen-cache" in p.parts or p.suffix == ".pkl" for p in (tmp_path / "a").rglob("*"))
    assert (tmp_path / "b" / "index.html").read_bytes() == (tmp_path / "a" / "index.html").read_bytes()


def test_default_cache_is_outside_the_site_and_keyed_by_its_path(tmp_path):
    import reportgen
    from reportgen.site.cache import default_cache_dir

    reportgen.init(project="p", name="one", dir=tmp_path / "runs")
    reportgen.log({"loss": 1.0})
    reportgen.finish()
    env = {"REPORTGEN_CACHE_DIR": str(tmp_path / "usercache")}
    run_cli("build", str(tmp_path / "runs"), "-o", str(tmp_path / "s1"), "-q", env=env)
    run_cli("build", str(tmp_path / "runs"), "-o", str(tmp_path / "s2"), "-q", env=env)
    builds = sorted(p.name for p in (tmp_path / "usercache" / "builds").iterdir())
    assert len(builds) == 2  # one cache per site folder
    assert not any(p.suffix == ".pkl" for p in (tmp_path / "s1").rglob("*"))
    import os
    os.environ["REPORTGEN_CACHE_DIR"], old = str(tmp_path / "usercache"), os.environ.get("REPORTGEN_CACHE_DIR")
    try:
        assert default_cache_dir(tmp_path / "s1").name in builds
    finally:
        if old is None:
            del os.environ["REPORTGEN_CACHE_DIR"]
        else:
            os.environ["REPORTGEN_CACHE_DIR"] = old


def test_a_build_lists_a_runs_root_without_run_folders_once(tmp_path):
    """RUNS holding no run folder (empty here; another tracker's folder alike): ``reportgen build`` listed
    it for run folders, then again in follow_for_serve before looking for another tracker's files. It is
    listed once (the events of the interpreter's audit hook: ``os.listdir`` of the root, as
    ``storage.reader.list_run_dirs`` lists it; the builder's own scan uses ``os.scandir``)."""
    (tmp_path / "runs").mkdir()
    code = ("import os, sys\nfrom reportgen.cli import main\nroot = %r\nseen = []\n"
            "sys.addaudithook(lambda event, args: seen.append(1) if event == 'os.listdir' and args[0] is not None "
            "and os.fsdecode(args[0]) == root else None)\n"
            "try:\n    main(['build', root, '-o', %r, '--quiet'])\nexcept SystemExit as e:\n    assert not e.code, e\n"
            "print('LISTED', len(seen))\n") % (str(tmp_path / "runs"), str(tmp_path / "site"))
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "LISTED 1" in proc.stdout, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "index.html").is_file()


def test_a_build_does_not_import_the_sdk(tmp_path):
    """Building reads run folders; the logging SDK (and what it imports) is not loaded for it."""
    writer = ("import reportgen as wandb\n"
              "for i in range(2):\n"
              "    run = wandb.init(project='p', dir=%r, config={'lr': 0.1 * (i + 1)}, sweep_id='s1')\n"
              "    [run.log({'loss': 1.0 / (s + 1), 'val_accuracy': s / 10}) for s in range(5)]\n"
              "    run.finish()\n") % str(tmp_path / "runs")
    subprocess.run([sys.executable, "-c", writer], cwd=REPO, check=True, capture_output=True)
    code = ("import sys; from reportgen.cli import main\n"
            "try:\n    main(['build', %r, '-o', %r, '--quiet'])\nexcept SystemExit as e:\n    assert not e.code, e\n"
            "print('SWEEP', 'reportgen.site.sweep_pages' in sys.modules)\n"
            "print('SDK', sorted(m for m in sys.modules if m.startswith('reportgen.sdk')))\n"
            ) % (str(tmp_path / "runs"), str(tmp_path / "site"))
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert "SWEEP True" in proc.stdout, proc.stdout + proc.stderr  # the sweep pages were built
    assert "SDK []" in proc.stdout, proc.stdout
