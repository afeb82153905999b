"""The logging SDK: ``init``, ``log``, ``finish`` and the :class:`Run` they drive."""
from .run import Run, finish, init, log

__all__ = ["Run", "init", "log", "finish"]
