"""Line numbers of a report file through the texts made from it.

A report's warnings name the line of the file as the user wrote it, but the markdown is checked and
rendered after it was changed: directives.extract puts a block directive's token in a paragraph of its
own (two lines more each), and Python-Markdown's fenced_code takes each fenced block out for a
placeholder of three lines before its raw HTML blocks are read (rawblocks.py). A :class:`LineMap`
takes a line of the changed text back to the line it came from.

A line ends at ``\\n``: render.render_report turns ``\\r\\n`` and ``\\r`` into ``\\n`` first, as
Python-Markdown and editors read them; a form feed or U+2028, which ``str.splitlines`` breaks at,
breaks no line in an editor or in Python-Markdown.
"""
from __future__ import annotations

import re
from bisect import bisect_right

from markdown.util import HTML_PLACEHOLDER_RE


def split_lines(text: str) -> list[str]:
    """``text``'s lines, each with its ``\\n`` (``str.splitlines(keepends=True)`` breaking at ``\\n`` only)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


class LineMap:
    """Where the lines of a changed text come from: line ``i`` (0-based) of the changed text is line
    ``target + i - start`` of the original, (``start``, ``target``) the last place resumed at or
    before ``i``, and at most the line before the next place's target (a line added by the change is
    told as the line it was added in)."""

    def __init__(self, first: int = 1) -> None:
        self.starts, self.targets = [0], [first]

    def resume(self, start: int, target: int) -> None:
        """From the changed text's line ``start`` on, the lines are the original's from ``target``."""
        self.starts.append(start)
        self.targets.append(target)

    def __call__(self, index: int) -> int:
        k = bisect_right(self.starts, index) - 1
        line = self.targets[k] + index - self.starts[k]
        return line if k + 1 == len(self.targets) else min(line, self.targets[k + 1] - 1)


def fenced_code_map(before: str, after: str, fence: re.Pattern) -> LineMap:
    """The lines of ``after`` (Python-Markdown's text once its fenced_code preprocessor replaced each
    fenced block of ``before`` by ``\\n<placeholder>\\n``, its ``fence`` regex matching the block)
    back to ``before``'s, 0-based."""
    lines = LineMap(0)
    grown = 0  # how much longer ``after`` is than ``before`` up to here
    at_before = at_after = line_before = line_after = 0
    for m in HTML_PLACEHOLDER_RE.finditer(after):  # (the user's STX/ETX were removed before: every one is a block)
        start = m.start() - 1 - grown
        block = fence.match(before, start) if start == 0 or before[start - 1:start] == "\n" else None
        if block is None:  # (not as fenced_code leaves them: the lines after are left as they are)
            break
        line_before += before.count("\n", at_before, block.end())
        line_after += after.count("\n", at_after, m.end()) + 2
        lines.resume(line_after, line_before + 1)  # (the close fence's line end, then the lines after)
        at_before, at_after = block.end(), m.end() + 2
        grown += len(m.group()) + 2 - (block.end() - start)
    return lines
