"""reportgen: a local-first experiment tracker with a ``wandb.log()``-compatible API.

``import reportgen as wandb`` runs wandb-style code. Heavy modules (pandas,
altair, PIL, the builder, and the SDK itself: ``reportgen build`` never needs it) are imported
only when used.
"""
from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

#: The active run (set by :func:`init`, cleared by :func:`finish`).
run = None
#: ``run.config`` / ``run.summary`` of the active run (None before :func:`init`).
config = None
summary = None

# Public names that live in modules imported on first use.
_LAZY = {
    # the SDK (imported on first use: ``reportgen build`` and ``serve`` never load it; incr19)
    **{name: ("reportgen.sdk", name) for name in ("Settings", "alert", "define_metric", "finish", "init", "log",
                                                   "login", "save", "setup", "teardown", "termerror", "termlog",
                                                   "termwarn", "unwatch", "watch")},
    "Run": ("reportgen.sdk.run", "Run"),
    "Histogram": ("reportgen.media.histogram", "Histogram"),
    "Image": ("reportgen.media.image", "Image"),
    "Audio": ("reportgen.media.audio", "Audio"),
    "Video": ("reportgen.media.video", "Video"),
    "Table": ("reportgen.media.table", "Table"),
    "Html": ("reportgen.media.html", "Html"),
    "Plotly": ("reportgen.media.figures", "Plotly"),  # wandb.Plotly(fig); a figure logged as it is works too
    "Molecule": ("reportgen.media.molecule", "Molecule"),
    "Object3D": ("reportgen.media.object3d", "Object3D"),
    "box3d": ("reportgen.media.object3d", "box3d"),
    "plot": ("reportgen.media.plot", None),
    "plot_table": ("reportgen.media.plot", "plot_table"),
    "Api": ("reportgen.sdk.api", "Api"),
    "AlertLevel": ("reportgen.sdk.alerts", "AlertLevel"),
    "Artifact": ("reportgen.sdk.artifacts", "Artifact"),
    "log_artifact": ("reportgen.sdk.artifact_run", "module_log_artifact"),
    "use_artifact": ("reportgen.sdk.artifact_run", "module_use_artifact"),
    "log_model": ("reportgen.sdk.artifact_run", "module_log_model"),
    "use_model": ("reportgen.sdk.artifact_run", "module_use_model"),
    "link_model": ("reportgen.sdk.artifact_run", "module_link_model"),
    "sweep": ("reportgen.sweeps", "sweep"),
    "agent": ("reportgen.sweeps", "agent"),
    "Error": ("reportgen.errors", "Error"),
    "errors": ("reportgen.errors", None),
    "DisabledRun": ("reportgen.sdk.modes", "DisabledRun"),
    "compat": ("reportgen.compat", None),
    "wandb_compat": ("reportgen.compat", "install"),
    # the rest of wandb's module functions, so that `import reportgen as wandb` has them too
    **{name: ("reportgen.compat.api", name) for name in ("require", "log_code", "mark_preempting", "controller",
                                                          "restore")},
    "build": ("reportgen.site.builder", "build"),
    "BuildConfig": ("reportgen.site.config", "BuildConfig"),
    "BuildResult": ("reportgen.site.builder", "BuildResult"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'reportgen' has no attribute {name!r} (what it has of wandb's: "
                             "docs/coming-from-wandb.md)") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


__all__ = ["__version__", "init", "log", "finish", "save", "define_metric", "watch", "unwatch", "login", "setup",
           "teardown", "termlog", "termwarn", "termerror", "Settings", "alert", "run", "config", "summary", *_LAZY]
