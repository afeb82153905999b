"""``termlog``/``termwarn``/``termerror`` and ``Settings``: wandb's small public helpers.

The messages go to stderr prefixed ``reportgen:`` (wandb prints ``wandb:``), their control
characters escaped (they name keys, paths and exception texts: :func:`reportgen.tell.say`);
``repeat=False`` prints a message once per process; ``$WANDB_SILENT``/``$REPORTGEN_SILENT``
set to true silences ``termlog`` (warnings and errors still print).
"""
from __future__ import annotations

import os
from typing import Any

from ..tell import say

_seen: set[str] = set()


def _silent() -> bool:
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes") for v in ("REPORTGEN_SILENT", "WANDB_SILENT"))


def _emit(level: str, string: str = "", newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    text = str(string)
    if not repeat:
        if text in _seen:
            return
        _seen.add(text)
    head = ("reportgen: " + (f"{level} " if level else "")) if prefix else ""
    lines = text.split("\n") if text else [""]
    out = "\n".join(head + line for line in lines)
    try:
        say(out, err=True, end="\n" if newline else "", lines=True)
    except (OSError, ValueError):
        pass


def termlog(string: str = "", newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    if not _silent():
        _emit("", string, newline, repeat, prefix)


def termwarn(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    _emit("WARNING", string, newline, repeat, prefix)


def termerror(string: str, newline: bool = True, repeat: bool = True, prefix: bool = True) -> None:
    _emit("ERROR", string, newline, repeat, prefix)


class Settings:
    """``wandb.Settings(...)``: accepted for compatibility; reportgen reads ``mode`` only.

    Any keyword is kept as an attribute (``settings.mode``, ``settings.silent`` ...);
    unknown attributes read as None. ``run.settings`` describes the active run the same way.
    """

    def __init__(self, **kwargs: Any):
        self.__dict__.update(kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def update(self, settings: Any = None, **kwargs: Any) -> None:
        if settings is not None:
            self.__dict__.update(settings if isinstance(settings, dict) else vars(settings))
        self.__dict__.update(kwargs)

    def get(self, key: str, default: Any = None) -> Any:
        return self.__dict__.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    model_dump = to_dict

    def __repr__(self) -> str:
        return f"Settings({self.__dict__!r})"
