"""What reportgen writes to the user's terminal: ``warning: <text>`` lines on stderr, as every command
prints them (:func:`tell`), and a command's or the SDK's own lines (:func:`say`). Nothing else in the
package prints (tests/test_lint.py checks it).

The texts name things from run folders and other people's sources (a run's name, a metric key, a
folder, a URL from a config, an exception's text), so control characters are escaped
(:func:`storage.safety.printable`: a name holding ``\\x1b]0;...`` rewrote the terminal). A
list of warnings is told each once (``told`` carries what was told across calls, as the rebuilds of
``serve`` do), at most ``most`` new ones a call, the rest counted in one line ("… and 12 more").
"""
from __future__ import annotations

import sys
from collections.abc import Iterable

from .storage.safety import printable

#: what ``told`` keeps at most (a run folder rewritten with new garbage at every rebuild)
TOLD_KEPT = 100_000


def say(text: object = "", err: bool = False, end: str = "\n", lines: bool = False) -> None:
    """``text`` on stdout (``err``: on stderr) with its control characters escaped, newlines too (one
    line: a name cannot fake a second one), unless ``lines`` (a traceback, a help text: each line escaped)."""
    text = str(text)
    shown = "\n".join(map(printable, text.split("\n"))) if lines else printable(text)
    stream = sys.stderr if err else sys.stdout
    if stream is not None:  # (None: pythonw, a daemon)
        print(shown, end=end, file=stream, flush=True)


def tell(message: object, label: str = "warning") -> None:
    """One line on stderr: ``<label>: <message>``, control characters escaped (also a command's
    ``reportgen: error: ...`` line and the sweep agent's ``reportgen agent: ...`` lines)."""
    say(f"{label}: {message}", err=True)


def waiting_line(message: object) -> None:
    """``reportgen: <message>``: a command waiting for another process (the joined copy of a runs root
    another build syncs), told before it waits."""
    tell(message, "reportgen")


def tell_all(warnings: Iterable[object], told: set[str] | None = None, most: int | None = None,
             more: str = "") -> None:
    """:func:`tell` each of ``warnings`` once, leaving out those in ``told`` (which then gets the new
    ones); past ``most`` new ones, one line counts the rest ("… and 3 more" + ``more``)."""
    new = [w for w in dict.fromkeys(map(str, warnings)) if told is None or w not in told]
    for w in new[:most]:
        tell(w)
    if most is not None and len(new) > most:
        tell(f"… and {len(new) - most} more{more}")
    if told is not None and len(told) < TOLD_KEPT:
        told.update(new)
