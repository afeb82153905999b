"""Run code written for wandb unchanged: ``import wandb`` resolves to reportgen.

The ``shim/`` folder next to this file holds a ``wandb`` package of thin modules that
forward to reportgen, plus a ``wandb-<version>.dist-info`` so that
``importlib.metadata.version("wandb")`` answers too (Lightning and Accelerate check it).

- ``reportgen run -- python train.py`` puts that folder first on ``PYTHONPATH`` for the
  program and every process it starts (see :mod:`reportgen.compat.launcher`).
- :func:`install` does the same inside a running interpreter (a notebook): it puts the
  folder first on ``sys.path``, drops any wandb modules already imported and, unless
  ``children=False``, prepends it to ``$PYTHONPATH`` for processes started later.

Both win over a real wandb installed in site-packages. See docs/coming-from-wandb.md.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

#: the wandb version the stand-in reports (``wandb.__version__`` and its dist-info)
WANDB_VERSION = "0.22.0"
SHIM_DIR = Path(__file__).resolve().parent / "shim"


def _is_shim(module: object) -> bool:
    file = getattr(module, "__file__", None) or ""
    return os.path.abspath(file).startswith(str(SHIM_DIR) + os.sep)


def prepend_path(value: str | None) -> str:
    """``value`` (a ``PYTHONPATH``) with the shim folder first, and only once."""
    parts = [p for p in (value or "").split(os.pathsep) if p and os.path.abspath(p) != str(SHIM_DIR)]
    return os.pathsep.join([str(SHIM_DIR), *parts])


def install(children: bool = True) -> ModuleType:
    """Make ``import wandb`` (here and, with ``children``, in child processes) mean reportgen.

    Returns the ``wandb`` module. Safe to call more than once.
    """
    shim = str(SHIM_DIR)
    sys.path[:] = [shim, *[p for p in sys.path if p != shim]]
    for name in [n for n in sys.modules if n == "wandb" or n.startswith("wandb.")]:
        if not _is_shim(sys.modules[name]):
            del sys.modules[name]
    importlib.invalidate_caches()
    if children:
        os.environ["PYTHONPATH"] = prepend_path(os.environ.get("PYTHONPATH"))
    return importlib.import_module("wandb")


def uninstall() -> None:
    """Undo :func:`install` (the real wandb, if installed, is importable again)."""
    shim = str(SHIM_DIR)
    sys.path[:] = [p for p in sys.path if p != shim]
    for name in [n for n in sys.modules if n == "wandb" or n.startswith("wandb.")]:
        if _is_shim(sys.modules[name]):
            del sys.modules[name]
    pp = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and os.path.abspath(p) != shim]
    if pp:
        os.environ["PYTHONPATH"] = os.pathsep.join(pp)
    else:
        os.environ.pop("PYTHONPATH", None)
    importlib.invalidate_caches()


__all__ = ["install", "uninstall", "WANDB_VERSION", "SHIM_DIR", "prepend_path"]
