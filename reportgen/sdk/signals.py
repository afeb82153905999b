"""Termination signals (``docker stop``, Slurm and Kubernetes preemption, a closed terminal).

On ``SIGTERM`` or ``SIGHUP`` the SDK writes every row logged so far, then lets the
program end as it would have without reportgen:

- the signal's action was the default (terminate): open runs are finished as
  ``crashed`` with ``exit_code`` 128 + signal number (143 for SIGTERM) and
  ``signal: "SIGTERM"`` in run.json, the default action is restored and the signal
  raised again, so the process ends *by that signal* (its parent sees the same
  status as without reportgen; ``atexit`` handlers do not run, as without reportgen);
- a Python handler was installed before ``init()``: history is flushed, the signal
  is noted (run.json ``signal`` when the run ends) and that handler is called; what
  it does (return, ``sys.exit``, raise) decides how the program and the run end;
- the signal was ignored, or handled outside Python: nothing is installed.

Handlers are installed once, by the first ``init()`` in the main thread (Python
allows signal handlers only there); a handler installed by the program after
``init()`` replaces ours, as it would replace any other. A forked child (a
DataLoader worker) gets the previous handlers back at fork, so it behaves as if
reportgen were not there (and does not finish its parent's runs).
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any, Callable, Iterator

SIGNAL_NAMES = ("SIGTERM", "SIGHUP")

_previous: dict[int, Any] = {}
_owner_pid: int | None = None
_hooks: dict[str, Callable[..., Any]] = {}
_depth = 0  # main-thread sections a handler must not interrupt (finish())
_pending: tuple[int, Any] | None = None


def install(*, flush: Callable[[str], None], finish: Callable[[int, str, str], None]) -> bool:
    """Install the handlers (main thread only; once per process). True if installed now or before."""
    global _owner_pid
    _hooks.update(flush=flush, finish=finish)
    if threading.current_thread() is not threading.main_thread():
        return False
    if _owner_pid == os.getpid():
        return True
    if _owner_pid is None and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_restore_in_child)
    _owner_pid = os.getpid()
    _previous.clear()
    for name in SIGNAL_NAMES:
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            prev = signal.getsignal(signum)
            if prev is signal.SIG_IGN or prev is None:
                continue  # ignored (nohup, a background job) or set from C: leave it alone
            signal.signal(signum, _handler)
        except (ValueError, OSError):
            continue
        _previous[signum] = prev
    return True


def _restore_in_child() -> None:
    for signum, prev in _previous.items():
        try:
            if signal.getsignal(signum) is _handler:
                signal.signal(signum, prev)
        except (ValueError, OSError):
            pass


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A section (``finish()``, our own handler) that a signal must not cut short.

    ``SIGTERM``/``SIGHUP`` run our handler at its end; a ``SIGINT`` (a second Ctrl-C while
    the run finishes) reaches the program's handler (``KeyboardInterrupt``) at its end."""
    global _depth, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _depth += 1
    held = _hold_sigint() if _depth == 1 else None
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            late_sigint = _release_sigint(held)
            if _pending is not None:
                signum, frame = _pending
                _pending = None
                _handler(signum, frame)
            if late_sigint is not None:
                held(*late_sigint)  # the program's SIGINT handler, as if it came now


_sigint_seen: tuple[int, Any] | None = None


def _note_sigint(signum: int, frame: Any) -> None:
    global _sigint_seen
    _sigint_seen = (signum, frame)


def _hold_sigint() -> Any:
    """Route SIGINT to a note while a deferred section runs; returns the handler it replaced."""
    global _sigint_seen
    _sigint_seen = None
    try:
        prev = signal.getsignal(signal.SIGINT)
        if not callable(prev) or prev is _note_sigint:
            return None  # ignored, default or set from C: nothing of Python's to interrupt us
        signal.signal(signal.SIGINT, _note_sigint)
    except (ValueError, OSError):
        return None
    return prev


def _release_sigint(held: Any) -> tuple[int, Any] | None:
    """Give SIGINT back to ``held``; returns the SIGINT that arrived meanwhile, if one did."""
    global _sigint_seen
    if held is None:
        return None
    try:
        if signal.getsignal(signal.SIGINT) is _note_sigint:
            signal.signal(signal.SIGINT, held)
    except (ValueError, OSError):
        pass
    seen, _sigint_seen = _sigint_seen, None
    return seen


def _default_action(signum: int) -> None:
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    os._exit(128 + signum)  # not reached: the default action of these signals ends the process


def _handler(signum: int, frame: Any) -> None:
    global _pending
    prev = _previous.get(signum, signal.SIG_DFL)
    if os.getpid() != _owner_pid:  # forked child: behave exactly as without reportgen
        if callable(prev):
            prev(signum, frame)
        elif prev != signal.SIG_IGN:
            _default_action(signum)
        return
    if _depth:  # in finish(), or writing history for a first signal: this one waits for that
        _pending = (signum, frame)
        return
    name = signal.Signals(signum).name
    with deferred():  # a second signal must not cut this flush short (it would wait for its own lock)
        try:
            _hooks["flush"](name)
        except Exception:  # noqa: BLE001 - whatever happens, end as the program would have
            pass
    if callable(prev):
        prev(signum, frame)  # the program's own handler decides what happens next, signals as usual
        return
    with deferred():
        try:
            _hooks["finish"](128 + signum, f"terminated by {name}", name)
        finally:
            _default_action(signum)
