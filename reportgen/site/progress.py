"""Progress on stderr while building: one rewritten line on a terminal, a line every
few seconds otherwise; nothing with ``--quiet``. Its texts name the output folder or URL (and whatever a
caller puts in): control characters are escaped (:func:`storage.safety.printable`), so only the
line's own ``\\r\\x1b[2K`` moves the cursor."""
from __future__ import annotations

import sys
import time

from ..storage.safety import printable


class Progress:
    def __init__(self, quiet: bool = False, stream=None, every: float = 2.0):
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self._last = 0.0
        self._shown = False

    def update(self, text: str) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            if now - self._last >= 0.1:
                self.stream.write("\r\x1b[2K" + printable(text))
                self.stream.flush()
                self._shown = True
                self._last = now
        elif now - self._last >= self.every:
            self.stream.write(printable(text) + "\n")
            self.stream.flush()
            self._last = now

    def done(self) -> None:
        if self.tty and self._shown and not self.quiet:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def line(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(printable(text) + "\n")
            self.stream.flush()
