"""The logging SDK: ``init``, ``log``, ``finish`` and the :class:`Run` they drive."""
from .run import Run, define_metric, finish, init, log, login, save, watch

__all__ = ["Run", "init", "log", "finish", "save", "define_metric", "watch", "login"]
