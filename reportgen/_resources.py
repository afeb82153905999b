"""Locate the packaged ``templates/`` and ``assets/`` folders.

In a wheel they are force-included as ``reportgen/templates`` and
``reportgen/assets``; in a source checkout (or editable install) they live at
the repository top level, one folder above the package.
"""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PKG / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"reportgen is installed without its {name}/ folder (looked in {_PKG})")


def templates_dir() -> Path:
    return _find("templates")


def assets_dir() -> Path:
    return _find("assets")
