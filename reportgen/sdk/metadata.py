"""What a run ran on: git remote/commit/branch and a diff, installed packages, OS, Python, CPU, GPU.

Collected on a background thread at ``init()`` (listing installed packages takes a moment);
``files/diff.patch`` and ``files/requirements.txt`` are written into the run folder and the
rest goes into ``run.json`` (``git`` and ``system``). See docs/format.md.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..storage.safety import write_own

MAX_DIFF_BYTES = 10 * 1024 * 1024
DIFF_FILE = "diff.patch"
REQUIREMENTS_FILE = "requirements.txt"


def _git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.decode("utf-8", "replace") if out.returncode == 0 else None


def _strip_credentials(url: str) -> str:
    """``https://user:token@host/x`` -> ``https://host/x`` (never store a token from a remote URL)."""
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return url


def git_details(files_dir: Path, cwd: str | os.PathLike | None = None) -> dict[str, Any]:
    """remote and root of the checkout; the uncommitted diff against HEAD saved as ``files/diff.patch``."""
    start = Path(cwd or os.getcwd()).resolve()
    out: dict[str, Any] = {}
    remote = _git(start, "remote", "get-url", "origin")
    if remote and remote.strip():
        out["remote"] = _strip_credentials(remote.strip())
    root = _git(start, "rev-parse", "--show-toplevel")
    if root:
        out["root"] = root.strip()
    diff = _git(start, "diff", "HEAD", "--binary")
    if diff:
        data = diff.encode("utf-8")
        if len(data) > MAX_DIFF_BYTES:
            out["diff_truncated"] = len(data)
            data = data[:MAX_DIFF_BYTES]
        write_own(files_dir.parent, f"{files_dir.name}/{DIFF_FILE}", data)  # (never through a link: a shared run)
        out["diff"] = f"files/{DIFF_FILE}"
    return out


def requirements() -> list[str]:
    """``name==version`` of every installed distribution, sorted (as ``pip freeze`` lists them).

    Names and versions come from the ``name-version.dist-info`` folder names (reading every
    METADATA file takes seconds on a large environment); other layouts read the metadata.
    """
    from importlib import metadata

    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        folder = getattr(getattr(dist, "_path", None), "name", "")
        name = version = None
        stem = folder[: -len(".dist-info")] if folder.endswith(".dist-info") else ""
        if stem.count("-") == 1:
            name, version = stem.split("-")
        else:
            try:
                name, version = dist.metadata["Name"], dist.version
            except Exception:  # noqa: BLE001 - a broken egg-info
                continue
        if name and version and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={version}"
    return [seen[k] for k in sorted(seen)]


_requirements_cache: list[str] | None = None


def cached_requirements() -> list[str]:
    """:func:`requirements` once per process (several runs in one program share it)."""
    global _requirements_cache
    if _requirements_cache is None:
        _requirements_cache = requirements()
    return _requirements_cache


def cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip() or None
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, timeout=5)
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or None


def host_info(gpu_names: list[str] | None = None) -> dict[str, Any]:
    """OS, Python, CPU model and counts, memory, GPUs (``run.json`` ``system``)."""
    info: dict[str, Any] = {
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
    }
    try:
        import psutil

        info["cpu_count_physical"] = psutil.cpu_count(logical=False)
        info["memory_total_gb"] = round(psutil.virtual_memory().total / 1024 ** 3, 2)
    except Exception:  # noqa: BLE001 - psutil missing or unsupported platform
        pass
    if gpu_names:
        info["gpu"] = gpu_names[0] if len(set(gpu_names)) == 1 else ", ".join(gpu_names)
        info["gpu_count"] = len(gpu_names)
        info["gpus"] = gpu_names
    return info


def collect(run_dir: Path, *, git: bool, gpu_names: list[str] | None) -> dict[str, Any]:
    """Write the files and return ``{"system": ..., "git_extra": ...}`` for run.json."""
    files_dir = Path(run_dir) / "files"
    out: dict[str, Any] = {"system": host_info(gpu_names)}
    reqs = cached_requirements()
    write_own(run_dir, f"files/{REQUIREMENTS_FILE}", ("\n".join(reqs) + "\n").encode("utf-8"))
    out["system"]["requirements"] = f"files/{REQUIREMENTS_FILE}"
    if git:
        out["git_extra"] = git_details(files_dir)
    return out
