"""The logging SDK: ``init``, ``log``, ``finish`` and the :class:`Run` they drive."""
from .run import Run, alert, define_metric, finish, init, log, login, save, watch

__all__ = ["Run", "init", "log", "finish", "save", "define_metric", "watch", "login", "alert"]
