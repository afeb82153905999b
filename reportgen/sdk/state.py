"""Process-wide hooks: finish forgotten runs at exit, record how the process ended.

- ``atexit``: every run still open is finished (history flushed and fsynced).
- ``sys.excepthook``: an uncaught exception marks open runs ``crashed`` with exit
  code 1 (130 for KeyboardInterrupt) and the error message.
- ``sys.exit(code)``: the code is remembered, so ``sys.exit(3)`` gives exit code 3
  (a non-zero code means ``crashed``).
- The traceback of an uncaught exception is kept (``run.json`` ``traceback``), printed
  first so the console capture still sees it.
- ``SIGTERM`` / ``SIGHUP``: see :mod:`reportgen.sdk.signals` (installed from the main thread).

The hooks are installed once, by the first ``init()``, and chain to the previous ones.
"""
from __future__ import annotations

import atexit
import os
import sys
import threading
import traceback
import weakref
from typing import Any

from ..tell import say
from . import signals

_open_runs: "weakref.WeakSet[Any]" = weakref.WeakSet()
_installed = False
_lock = threading.Lock()
_exit_code: int | None = None
_error: str | None = None
_traceback: str | None = None


def register(run: Any) -> None:
    install()
    _open_runs.add(run)
    signals.install(flush=_flush_all, finish=_finish_all_by_signal)


def unregister(run: Any) -> None:
    _open_runs.discard(run)


def exit_code_of(code: Any) -> int:
    if code is None:
        return 0
    if isinstance(code, bool):
        return int(code)
    if isinstance(code, int):
        return code
    return 1  # sys.exit("message") exits with 1


def format_traceback(exc_type: Any, exc: Any, tb: Any) -> str:
    return "".join(traceback.format_exception(exc_type, exc, tb))


def last_traceback() -> str | None:
    return _traceback


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        previous_hook = sys.excepthook

        def excepthook(exc_type, exc, tb):
            global _exit_code, _error, _traceback
            _exit_code = 130 if issubclass(exc_type, KeyboardInterrupt) else 1
            _error = f"{exc_type.__name__}: {exc}"
            _traceback = format_traceback(exc_type, exc, tb)
            try:
                previous_hook(exc_type, exc, tb)  # printed while the console capture still runs
            finally:
                _finish_all()

        sys.excepthook = excepthook
        previous_exit = sys.exit

        def exit(code: Any = None):  # noqa: A001 - mirrors sys.exit
            global _exit_code
            _exit_code = exit_code_of(code)
            previous_exit(code)

        exit.__doc__ = previous_exit.__doc__
        sys.exit = exit
        atexit.register(_finish_all)
        if hasattr(os, "register_at_fork"):  # a forked child's open runs are its parent's, not its own
            os.register_at_fork(after_in_child=_open_runs.clear)


def _finish_all(code: int | None = None, error: str | None = None, signal: str | None = None) -> None:
    if code is None:
        code, error = (_exit_code if _exit_code is not None else 0), _error
    for run in list(_open_runs):
        try:
            run._finish_from_hook(code, error, signal=signal)
        except KeyboardInterrupt:  # a second Ctrl-C while the process ends: that run is finished
            continue              # (signals.deferred), the process ends anyway: finish the others
        except Exception as exc:  # noqa: BLE001 - at exit, report and go on with the others
            say(f"reportgen: could not finish run {getattr(run, 'id', '?')}: {exc}", err=True)


def _finish_all_by_signal(code: int, error: str, signal: str) -> None:
    _finish_all(code, error, signal)


def _flush_all(signal: str) -> None:
    """A termination signal arrived: note it on every open run and write their queued rows now."""
    for run in list(_open_runs):
        run._signal = signal
        try:
            run._writer.history.flush(timeout=2.0)
        except Exception:  # noqa: BLE001 - best effort; finishing follows
            pass
