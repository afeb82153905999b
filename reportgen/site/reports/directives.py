"""Report directives: ``{{< kind key="value" ... >}}`` shortcodes in markdown.

One syntax for everything, written on one line::

    {{< chart metric="val/loss" runs="mlp-*" >}}
    Best accuracy: {{< value run="mlp-h16-lr0.1" key="best_val_accuracy" format=".3f" >}}

Directives inside fenced code blocks (``` or ~~~) and inline code spans are
left alone, so a report can show the syntax itself. :func:`extract` replaces
every directive by an alphanumeric placeholder token that survives markdown
rendering and HTML sanitising; the caller swaps the tokens for panels later.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .lines import LineMap, split_lines

KINDS = ("chart", "runs", "media", "custom", "value")
BLOCK_KINDS = ("chart", "runs", "media", "custom")

_DIRECTIVE_RE = re.compile(r"\{\{<\s*(.*?)\s*>\}\}")
_ATTR_RE = re.compile(r"""\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=]+))""")
_NAME_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_-]*)")
_FENCE_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})")


class DirectiveError(ValueError):
    pass


@dataclass
class Directive:
    kind: str
    attrs: dict[str, str]
    line: int  # 1-based line in the report file
    raw: str
    token: str = ""
    block: bool = False  # alone on its line
    error: str | None = None  # set when the directive itself could not be parsed

    def where(self) -> str:
        return f"line {self.line}: {self.raw}"


@dataclass
class Extracted:
    text: str
    directives: list[Directive] = field(default_factory=list)
    prefix: str = ""  # what every token starts with (``prefix`` + a number of 4+ digits + ``Z``)
    lines: LineMap = field(default_factory=LineMap)  # ``text``'s lines (0-based) to the file's


def parse_directive(inner: str) -> tuple[str, dict[str, str]]:
    """``'chart metric="a" runs=b'`` -> ``("chart", {"metric": "a", "runs": "b"})``."""
    m = _NAME_RE.match(inner)
    if not m:
        raise DirectiveError("expected a directive name (one of " + ", ".join(KINDS) + ")")
    kind = m.group(1)
    if kind not in KINDS:
        raise DirectiveError(f"unknown directive {kind!r} (expected one of {', '.join(KINDS)})")
    attrs: dict[str, str] = {}
    pos = m.end()
    while pos < len(inner):
        if inner[pos:].strip() == "":
            break
        am = _ATTR_RE.match(inner, pos)
        if not am:
            raise DirectiveError(f"could not read attributes from {inner[pos:].strip()!r} "
                                 "(expected key=\"value\")")
        key = am.group(1)
        if key in attrs:
            raise DirectiveError(f"attribute {key!r} given twice")
        attrs[key] = next(g for g in am.groups()[1:] if g is not None)
        pos = am.end()
    return kind, attrs


def _code_spans(line: str) -> list[tuple[int, int]]:
    """(start, end) ranges of inline code spans in one line (backtick runs of equal length)."""
    spans, i = [], 0
    while i < len(line):
        if line[i] != "`":
            i += 1
            continue
        j = i
        while j < len(line) and line[j] == "`":
            j += 1
        ticks = line[i:j]
        close = line.find(ticks, j)
        while close >= 0 and close + len(ticks) < len(line) and line[close + len(ticks)] == "`":
            close = line.find(ticks, close + len(ticks) + 1)
        if close < 0:
            i = j
            continue
        spans.append((i, close + len(ticks)))
        i = close + len(ticks)
    return spans


def token_prefix(text: str) -> str:
    return "RGD" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10].upper()


def extract(text: str, first_line: int = 1) -> Extracted:
    """Replace directives outside code by placeholder tokens (``text`` starting at the file's line
    ``first_line``)."""
    prefix = token_prefix(text)
    out_lines: list[str] = []
    found: list[Directive] = []
    fence: str | None = None
    lines, added = LineMap(first_line), 0
    for offset, line in enumerate(split_lines(text)):
        fm = _FENCE_RE.match(line)
        if fence is not None:
            if fm and fm.group(2)[0] == fence[0] and len(fm.group(2)) >= len(fence) and \
                    line.strip() == fm.group(2):
                fence = None
            out_lines.append(line)
            continue
        if fm:
            fence = fm.group(2)
            out_lines.append(line)
            continue
        spans = _code_spans(line)
        pieces, last = [], 0
        for m in _DIRECTIVE_RE.finditer(line):
            if any(s <= m.start() < e for s, e in spans):
                continue
            token = f"{prefix}{len(found):04d}Z"
            d = Directive("", {}, first_line + offset, m.group(0), token)
            try:
                d.kind, d.attrs = parse_directive(m.group(1))
            except DirectiveError as exc:
                d.error = str(exc)
            d.block = line.strip() == m.group(0) and (d.kind in BLOCK_KINDS or d.error is not None)
            found.append(d)
            pieces.append(line[last:m.start()])
            if d.block:  # its own paragraph, so it can be swapped for a block element
                indent = line[:len(line) - len(line.lstrip())]
                pieces.append(f"\n{indent}{token}\n")
                added += 2  # (the token's line and the line it leaves: told as the directive's line)
                lines.resume(offset + added + 1, first_line + offset + 1)
            else:
                pieces.append(token)
            last = m.end()
        pieces.append(line[last:])
        out_lines.append("".join(pieces))
    return Extracted("".join(out_lines), found, prefix, lines)
