"""Where a run comes from: settings from the environment, wandb arguments, git state."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

RESUME_MODES = ("allow", "must", "never")
#: wandb init() arguments that mean nothing for local folders: accepted silently.
IGNORED_INIT_ARGS = frozenset({"entity", "reinit", "mode", "settings", "anonymous", "save_code", "magic",
                               "sync_tensorboard", "monitor_gym", "allow_val_change", "force",
                               "config_include_keys", "config_exclude_keys"})  # (these three: sdk/run.py)


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"${name}: expected a number of seconds, got {raw!r}") from None


def resume_mode(resume: Any) -> str | None:
    if resume is None or resume is False:
        return None
    if resume is True or resume == "auto":
        return "allow"
    if resume in RESUME_MODES:
        return resume
    raise ValueError(f"resume: expected 'allow', 'must', 'never', True or None, got {resume!r}")


def git_info(cwd: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """commit, branch and dirty flag of the git checkout around ``cwd`` (None outside git)."""
    import subprocess

    start = Path(cwd or os.getcwd()).resolve()
    if not any((p / ".git").exists() for p in (start, *start.parents)):
        return None

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=start, capture_output=True, text=True, timeout=5)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
            "dirty": bool(status) if status is not None else None}
