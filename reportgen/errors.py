"""Exceptions with wandb's names (``wandb.Error``, ``wandb.errors.UsageError`` ...).

reportgen raises the built-in exception that fits (``TypeError``/``ValueError`` for bad
arguments); these classes exist so that code catching wandb's names keeps working, and
they are what reportgen raises where wandb raises them (calling ``log()`` before ``init()``
raises :class:`UsageError`, which is also a ``RuntimeError``).
"""
from __future__ import annotations


class Error(Exception):
    """Base class of wandb's errors (``wandb.Error``)."""

    def __init__(self, message: str = "", context: object = None):
        super().__init__(message)
        self.message = message
        self.context = context


class UsageError(Error):
    """The API was used the wrong way."""


class PreInitError(UsageError, RuntimeError):
    """A run function was called before ``init()``."""


class CommError(Error):
    """wandb: talking to the server failed. reportgen has no server; never raised."""


class AuthenticationError(CommError):
    """wandb: bad API key. Never raised (``login()`` always succeeds)."""


class UnsupportedError(UsageError):
    """A wandb feature that needs the wandb server (see docs/coming-from-wandb.md)."""


class ConfigError(Error):
    """A config value changed with ``allow_val_change=False`` (``config.update()`` or ``init()``). Without
    the argument reportgen accepts the change (wandb raises outside notebooks): sdk/config.py."""


__all__ = ["Error", "UsageError", "PreInitError", "CommError", "AuthenticationError", "UnsupportedError",
           "ConfigError"]
