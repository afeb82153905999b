"""reportgen: a local-first experiment tracker with a ``wandb.log()``-compatible API.

``import reportgen as wandb`` runs wandb-style code. Heavy modules (pandas,
altair, PIL, the builder) are imported only when used.
"""
from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__
from .sdk import alert, define_metric, finish, init, log, login, save, watch

#: The active run (set by :func:`init`, cleared by :func:`finish`).
run = None
#: ``run.config`` / ``run.summary`` of the active run (None before :func:`init`).
config = None
summary = None

# Public names that live in modules imported on first use.
_LAZY = {
    "Run": ("reportgen.sdk.run", "Run"),
    "Histogram": ("reportgen.media.histogram", "Histogram"),
    "Image": ("reportgen.media.image", "Image"),
    "Audio": ("reportgen.media.audio", "Audio"),
    "Video": ("reportgen.media.video", "Video"),
    "Table": ("reportgen.media.table", "Table"),
    "Html": ("reportgen.media.html", "Html"),
    "Molecule": ("reportgen.media.molecule", "Molecule"),
    "Object3D": ("reportgen.media.object3d", "Object3D"),
    "plot": ("reportgen.media.plot", None),
    "plot_table": ("reportgen.media.plot", "plot_table"),
    "Api": ("reportgen.sdk.api", "Api"),
    "AlertLevel": ("reportgen.sdk.alerts", "AlertLevel"),
    "Settings": ("reportgen.sdk.settings", "Settings"),
    "build": ("reportgen.build.site", "build"),
    "BuildConfig": ("reportgen.build.config", "BuildConfig"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'reportgen' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


__all__ = ["__version__", "init", "log", "finish", "save", "define_metric", "watch", "login", "alert", "run", "config", "summary", *_LAZY]
