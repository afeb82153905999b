"""``wandb.sdk``: the names frameworks import from it, forwarded to reportgen."""
from reportgen.compat.api import (Settings, define_metric, finish, init, log, login, save, setup,  # noqa: F401
                                  teardown, unwatch, watch)
from reportgen.sdk.config import Config  # noqa: F401
from reportgen.sdk.run import Run  # noqa: F401
from reportgen.sdk.summary import Summary  # noqa: F401

from . import lib, wandb_helper, wandb_run  # noqa: F401,E402


def __getattr__(name):
    if name == "Artifact":
        import reportgen
        return reportgen.Artifact
    raise AttributeError(f"module 'wandb.sdk' (reportgen's stand-in) has no attribute {name!r}")
