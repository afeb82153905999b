"""Raw HTML blocks of a report's markdown that are never closed end at their first blank line.

Python-Markdown takes a block-level tag (``<div>``, ``<details>``, ``<table>``...) opening a line as
the start of a raw HTML block that runs to its closing tag: one left open took the rest of the
report as raw HTML, so its headings, lists and emphasis showed as ``## After`` and ``**text**``.
As a CommonMark renderer (GitHub) does, such a block now ends at its first blank line, its open
tags are closed there, and the markdown after it is rendered; each is told in a warning. (The
sanitiser does the same for an unclosed ``<svg>``/``<math>``, inline elements: sanitize.FOREIGN.)

Whether a block is closed later is told at the blank line from the end tags after it (one pass);
a block that only seemed to be (its end tag in a comment) is ended after the whole text is read,
and the text after it read again, a few times at most (each is a parse of the rest).
"""
from __future__ import annotations

import re
from bisect import bisect_left

from markdown.htmlparser import HTMLExtractor
from markdown.preprocessors import HtmlBlockPreprocessor, Preprocessor

from ...storage.safety import printable
from .lines import LineMap, fenced_code_map
from .mdlimits import _TAG

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
#: blocks ended after the whole text was read (each costs a parse of the text after it; past these,
#: the rest of the report is left as raw HTML, which the sanitiser still cleans)
MAX_LATE_ENDS = 3
#: blocks told one by one in the warnings; the others are counted
MAX_TOLD = 10


class _EndTags:
    """Where each tag's start and end tags are, to tell whether the ones open at a place are closed later."""

    def __init__(self, text: str) -> None:
        events: dict[str, list[tuple[int, int]]] = {}
        for m in _TAG.finditer(text):
            closing, name, selfclosing = m.groups()
            if closing or not selfclosing:
                events.setdefault(name.lower(), []).append((m.start(), 1 if closing else -1))
        self.places: dict[str, list[int]] = {}
        self.sums: dict[str, list[int]] = {}  # end tags less start tags before each event
        self.best: dict[str, list[int]] = {}  # the highest of those sums from each event on
        for name, evs in events.items():
            sums = [0]
            for _, step in evs:
                sums.append(sums[-1] + step)
            best = sums[:]
            for i in range(len(best) - 2, -1, -1):
                best[i] = max(best[i], best[i + 1])
            self.places[name], self.sums[name], self.best[name] = [p for p, _ in evs], sums, best

    def closed_later(self, name: str, count: int, at: int) -> bool:
        """Whether ``count`` ``<name>`` elements open at ``at`` are all closed by the tags after it."""
        if name not in self.places:
            return False
        i = bisect_left(self.places[name], at)
        return self.best[name][i] - self.sums[name][i] >= count


class _Extractor(HTMLExtractor):
    """Python-Markdown's raw HTML extractor, ending a raw block no end tag closes at its blank line."""

    def __init__(self, md, end_tags: _EndTags, problems: list[str], file_line) -> None:
        """``file_line`` takes a line of the text fed (0-based) to the report file's."""
        super().__init__(md)
        self.end_tags, self.problems, self.file_line = end_tags, problems, file_line
        self.raw_at, self.raw_tag = 0, ""

    def handle_starttag(self, tag, attrs) -> None:
        was_raw, at, line = self.inraw, self.line_offset + self.offset, self.lineno - 1
        super().handle_starttag(tag, attrs)
        if self.inraw and not was_raw:
            self.raw_at = at
            self.raw_tag = f"line {self.file_line(line)}: {printable(self.get_starttag_text() or f'<{tag}>')[:80]}"

    def handle_data(self, data: str) -> None:
        blank = _BLANK_LINE.search(data) if self.inraw and self.stack else None
        if blank is None or self.end_tags.closed_later(self.stack[0], self.stack.count(self.stack[0]),
                                                       self.line_offset + self.offset + blank.start()):
            super().handle_data(data)
            return
        super().handle_data(data[:blank.start()])
        self.end_block()
        super().handle_data(data[blank.start():])

    def end_block(self) -> None:
        """Close the tags open in the raw block and end it here (as handle_endtag ends one)."""
        self.problems.append(f"{self.raw_tag} not closed (ended at the first blank line after it)")
        self._cache.append("".join(f"</{tag}>" for tag in reversed(self.stack)))
        self.cleandoc.append(self.md.htmlStash.store("".join(self._cache)))
        self.cleandoc.append("\n\n")
        self.inraw, self.stack, self._cache = False, [], []


class _BeforeFencedCode(Preprocessor):
    """Keeps the text fenced_code is given, to tell the lines it took out (lines.fenced_code_map)."""

    text = ""

    def run(self, lines: list[str]) -> list[str]:
        self.text = "\n".join(lines)
        return lines


class UnclosedBlocks(HtmlBlockPreprocessor):
    """Replaces Python-Markdown's ``html_block`` preprocessor; ``problems`` gets one line per block ended,
    naming its line in the report file (``file_lines``: the lines of the text converted to the file's)."""

    def __init__(self, md, problems: list[str], file_lines: LineMap, before: _BeforeFencedCode) -> None:
        super().__init__(md)
        self.problems, self.file_lines, self.before = problems, file_lines, before

    def run(self, lines: list[str]) -> list[str]:
        rest, out, first = "\n".join(lines), [], len(self.problems)
        fenced = "fenced_code_block" in self.md.preprocessors  # (the lines it took out: their placeholders)
        code = fenced_code_map(self.before.text, rest, self.md.preprocessors["fenced_code_block"].FENCED_BLOCK_RE) \
            if fenced else LineMap(0)
        done = 0  # lines of the text read before ``rest``

        def file_line(line: int) -> int:
            return self.file_lines(code(done + line))

        end_tags = _EndTags(rest)
        for late in range(MAX_LATE_ENDS + 1):
            told: list[str] = []  # (kept once the text after them needs no second reading)
            parser = _Extractor(self.md, end_tags, told, file_line)
            parser.feed(rest)
            cut = _BLANK_LINE.search(rest, parser.raw_at) if parser.inraw else None
            if cut is None or late == MAX_LATE_ENDS:  # every block ended, or the open one runs to the end
                if cut is not None:
                    told.append(f"{parser.raw_tag} not closed (more than {MAX_LATE_ENDS} such blocks; the rest "
                                "of the report is left as HTML)")
                parser.close()
                out.extend(parser.cleandoc)
                self.problems.extend(told)
                break
            # an end tag the tags were counted on was no tag (in a comment, an attribute): the text up
            # to the blank line read again, its block ended there, and the rest read again after it
            head = _Extractor(self.md, end_tags, self.problems, file_line)
            head.feed(rest[:cut.start()])
            if head.inraw and head.stack:
                head.end_block()
            head.close()
            out.extend(head.cleandoc)
            done += rest.count("\n", 0, cut.start())
            rest = rest[cut.start():]
            end_tags = _EndTags(rest)
        more = len(self.problems) - first - MAX_TOLD
        if more > 0:  # (16,000 unclosed divs were as many lines in the report's problems)
            self.problems[first + MAX_TOLD:] = [f"{more:,} more HTML blocks not closed (each ended at its first blank line)"]
        return "".join(out).split("\n")


def end_unclosed_blocks(md, problems: list[str], file_lines: LineMap | None = None) -> None:
    """Have ``md`` (a ``markdown.Markdown``) end raw HTML blocks left open at their first blank line;
    ``file_lines`` takes the lines of the text converted to the report file's (directives.Extracted.lines)."""
    before = _BeforeFencedCode(md)  # (after normalize_whitespace, 30; fenced_code_block is 25)
    md.preprocessors.register(before, "rg_before_fenced_code", 27)
    md.preprocessors.register(UnclosedBlocks(md, problems, file_lines or LineMap(), before), "html_block", 20)
