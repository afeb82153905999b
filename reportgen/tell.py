"""Warnings on the user's terminal: ``warning: <text>`` lines on stderr, as every command prints them.

The texts name things from run folders and other people's sources, so control characters are
escaped (:func:`storage.safety.printable`: a name holding ``\\x1b]0;...`` rewrote the terminal). A
list of warnings is told each once (``told`` carries what was told across calls, as the rebuilds of
``serve`` do), at most ``most`` new ones a call, the rest counted in one line ("… and 12 more").
"""
from __future__ import annotations

import sys
from collections.abc import Iterable

from .storage.safety import printable

#: what ``told`` keeps at most (a run folder rewritten with new garbage at every rebuild)
TOLD_KEPT = 100_000


def tell(message: object, label: str = "warning") -> None:
    """One line on stderr: ``<label>: <message>``, control characters escaped (also a command's
    ``reportgen: error: ...`` line and the sweep agent's ``reportgen agent: ...`` lines)."""
    print(f"{label}: {printable(str(message))}", file=sys.stderr, flush=True)


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
