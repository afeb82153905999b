"""reportgen's stand-in for ``wandb`` (see docs/coming-from-wandb.md).

Everything here forwards to reportgen; ``wandb.run``, ``wandb.config`` and
``wandb.summary`` follow ``reportgen.run`` and friends.
"""
from reportgen.compat import WANDB_VERSION as __version__
from reportgen.compat.api import *  # noqa: F401,F403
from reportgen.compat.api import module_getattr as _module_getattr
from reportgen.errors import Error  # noqa: F401

__reportgen__ = True


def __getattr__(name):
    return _module_getattr(name)
