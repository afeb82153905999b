"""The GitHub Actions workflow in docs/: valid YAML, only documented commands, and its
build job really works when its shell steps are run here (GitHub expressions filled in)."""
from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

yaml = pytest.importorskip("yaml", reason="the workflow test needs PyYAML (pip install '.[test]')")

WORKFLOW = REPO / "docs" / "github-actions" / "reportgen-pages.yml"
CI_DOC = REPO / "docs" / "ci.md"
ALLOWED_ACTIONS = {"actions/checkout", "actions/setup-python", "actions/configure-pages",
                   "actions/upload-pages-artifact", "actions/deploy-pages"}
SHELL_WORDS = {"if", "then", "else", "fi", "[", "mkdir", "cp", "cat"}
PAGES_URL = "https://owner.github.io/repo"


def _load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _run_steps(job: dict) -> list[str]:
    return [s["run"] for s in job["steps"] if "run" in s]


def _commands(script: str) -> list[list[str]]:
    """Simple commands of a shell script: split on newlines, ;, &&, ||, and drop comments/redirects."""
    out = []
    for line in script.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        for part in re.split(r";|&&|\|\|", line):
            words = shlex.split(part.replace(">>", " >> "))
            if ">>" in words:
                words = words[:words.index(">>")]
            if words and words[0] not in ("then", "else", "fi"):
                out.append(words)
    return out


def test_workflow_is_valid_yaml_with_pages_jobs():
    wf = _load()
    triggers = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    assert wf["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = wf["jobs"]["build"], wf["jobs"]["deploy"]
    uses = [s["uses"] for job in (build, deploy) for s in job["steps"] if "uses" in s]
    for u in uses:
        name, _, version = u.partition("@")
        assert name in ALLOWED_ACTIONS and re.fullmatch(r"v\d+", version), u
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "site"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy["steps"]] == ["actions/deploy-pages"]


def test_workflow_calls_only_documented_commands():
    from reportgen.cli import cli

    doc = CI_DOC.read_text(encoding="utf-8")
    seen = set()
    for script in _run_steps(_load()["jobs"]["build"]):
        for words in _commands(script):
            prog = words[0]
            if prog == "reportgen":
                sub = words[1]
                assert sub in cli.commands, f"reportgen {sub} is not a command"
                opts = {o for p in cli.commands[sub].params for o in getattr(p, "opts", [])}
                for w in words[2:]:
                    if w.startswith("-"):
                        assert w.split("=")[0] in opts, f"reportgen {sub}: unknown option {w}"
                        assert w.split("=")[0] in doc or sub == "build", f"{w} is not in docs/ci.md"
                assert f"reportgen {sub}" in doc
                seen.add(sub)
            elif prog == "python":
                assert (REPO / words[1]).is_file(), words
                assert words[1] in doc
            elif prog == "pip":
                assert words[1:] == ["install", "."]
            else:
                assert prog in SHELL_WORDS, f"unexpected command {prog!r} in the workflow"
    assert seen == {"build", "summary"}


def _shim(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "reportgen"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reportgen "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def _run_script(script: str, cwd: Path, env: dict, event: str) -> None:
    script = (script.replace("${{ github.event_name }}", event)
              .replace("${{ steps.pages.outputs.base_url }}", PAGES_URL))
    assert "${{" not in script, script
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f"{script}\n{proc.stdout}\n{proc.stderr}"


def test_workflow_build_job_runs(tmp_path):
    work = tmp_path / "checkout"
    work.mkdir()
    (work / "examples").symlink_to(REPO / "examples")
    summary = tmp_path / "step-summary.md"
    env = {**os.environ, "PATH": f"{_shim(tmp_path)}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(REPO), "GITHUB_STEP_SUMMARY": str(summary)}
    steps = [s for s in _run_steps(_load()["jobs"]["build"]) if not s.startswith("pip install")]
    for script in steps:
        _run_script(script, work, env, "push")
    site = work / "site"
    assert (site / "index.html").is_file() and (site / "reports" / "iris-sweep.html").is_file()
    assert not (site / ".reportgen-cache").exists()  # the published artifact carries no build cache
    text = summary.read_text()
    refs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert refs and "| Run |" in text
    for ref in refs:  # published with the site: the Pages URL plus the path inside site/
        assert ref.startswith(PAGES_URL + "/summary_files/")
        assert (site / ref[len(PAGES_URL) + 1:]).is_file()
    # pull requests: a table-only summary, nothing written into the site
    summary.write_text("")
    _run_script(steps[-1], work, env, "pull_request")
    assert "| Run |" in summary.read_text() and "![" not in summary.read_text()
