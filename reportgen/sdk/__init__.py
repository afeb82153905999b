"""The logging SDK: ``init``, ``log``, ``finish`` and the :class:`Run` they drive."""
from .run import Run, alert, define_metric, finish, init, log, login, save, setup, teardown, unwatch, watch
from .term import Settings, termerror, termlog, termwarn

__all__ = ["Run", "init", "log", "finish", "save", "define_metric", "watch", "unwatch", "login", "setup",
           "teardown", "termlog", "termwarn", "termerror", "Settings", "alert"]
