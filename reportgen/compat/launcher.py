"""``reportgen run [--] COMMAND ...``: run a program with ``import wandb`` meaning reportgen.

The environment gets the shim folder first on ``PYTHONPATH`` (inherited by every child
process) and, with ``--dir``, ``$REPORTGEN_DIR``. On POSIX the program replaces this
process (``exec``), so its exit code and signals are its own; elsewhere it runs as a child
and its exit code is passed through. A first argument ending in ``.py`` runs with this
Python (``reportgen run train.py``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from . import prepend_path


def child_env(runs_dir: str | os.PathLike | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = prepend_path(env.get("PYTHONPATH"))
    env["REPORTGEN_WANDB_SHIM"] = "1"
    if runs_dir is not None:
        from ..storage.remote import is_url  # a URL root (s3://...) is passed on as it is

        env["REPORTGEN_DIR"] = runs_dir if is_url(runs_dir) else str(Path(runs_dir).resolve())
    return env


def resolve_command(command: Sequence[str]) -> list[str]:
    if not command:
        raise ValueError("reportgen run: expected a command to run, e.g. `reportgen run -- python train.py`")
    argv = list(command)
    if argv[0].endswith(".py") and not shutil.which(argv[0]):
        argv = [sys.executable, *argv]
    elif argv[0] in ("python", "python3") and shutil.which(argv[0]) is None:
        argv[0] = sys.executable
    return argv


def launch(command: Sequence[str], runs_dir: str | os.PathLike | None = None, *, use_exec: bool | None = None) -> int:
    """Run ``command``; returns its exit code (``128 + N`` when killed by signal N)."""
    argv = resolve_command(command)
    env = child_env(runs_dir)
    if use_exec is None:
        use_exec = os.name == "posix"
    if shutil.which(argv[0], path=env.get("PATH")) is None and not os.path.exists(argv[0]):
        raise FileNotFoundError(f"reportgen run: command not found: {argv[0]!r}")
    if use_exec:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execvpe(argv[0], argv, env)
    try:
        proc = subprocess.run(argv, env=env)
    except KeyboardInterrupt:
        return 130
    return 128 - proc.returncode if proc.returncode < 0 else proc.returncode
