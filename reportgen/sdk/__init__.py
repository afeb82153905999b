"""The logging SDK: ``init``, ``log``, ``finish`` and the :class:`Run` they drive."""
from .run import Run, finish, init, log, save

__all__ = ["Run", "init", "log", "finish", "save"]
