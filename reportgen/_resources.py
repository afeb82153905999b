"""Locate the packaged ``templates/`` and ``assets/`` folders (``reportgen/templates``,
``reportgen/assets``: package data, in a source checkout and in the wheel alike)."""
from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    path = _PKG / name
    if not path.is_dir():
        raise FileNotFoundError(f"reportgen is installed without its {name}/ folder (looked in {_PKG})")
    return path


def templates_dir() -> Path:
    return _find("templates")


def assets_dir() -> Path:
    return _find("assets")
