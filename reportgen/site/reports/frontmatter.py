"""Front matter of a markdown report: a small YAML subset, parsed without PyYAML.

A report may start with a block between two ``---`` lines::

    ---
    title: Learning-rate sweep
    description: "How the learning rate changes validation loss"
    runs: mlp-*, iris-h4-*        # default run selection for every directive
    tags: [demo]
    ---

Each line is ``key: value``. Values may be quoted ('...' or "..."), and a value
in square brackets is a list (``[a, b]``). ``#`` starts a comment outside quotes.
Anything else (nested maps, multi-line strings) is reported as a problem, never
a crash.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .lines import split_lines

KNOWN_KEYS = ("title", "description", "runs", "tags", "tag", "group", "project")
_KEY_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:(.*)$")


@dataclass
class FrontMatter:
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1  # line number (1-based) of the body's first line in the file
    problems: list[str] = field(default_factory=list)


def _strip_comment(text: str) -> str:
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i]
    return text


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_value(raw: str) -> Any:
    """``"x"`` -> str, ``[a, "b"]`` -> list of str, anything else -> stripped str."""
    text = _strip_comment(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [_unquote(p) for p in _split_commas(inner)] if inner else []
    return _unquote(text)


def _split_commas(text: str) -> list[str]:
    parts, cur, quote = [], [], None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            cur.append(ch)
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == ",":
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return [p for p in parts if p]


def parse_front_matter(text: str) -> FrontMatter:
    """Split ``text`` into front matter and body. No front matter: the whole text is the body."""
    text = text.lstrip("\ufeff")
    lines = split_lines(text)
    if not lines or lines[0].rstrip() != "---":
        return FrontMatter(body=text)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return FrontMatter(body=text, problems=["front matter: opening '---' has no closing '---'; "
                                                 "the block is shown as text"])
    fm = FrontMatter(body="".join(lines[end + 1:]), body_line=end + 2)
    for lineno, line in enumerate(lines[1:end], start=2):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _KEY_RE.match(stripped)
        if not m or line[:1].isspace():
            fm.problems.append(f"front matter line {lineno}: expected 'key: value', got {stripped!r}")
            continue
        key, raw = m.group(1), m.group(2)
        if key not in KNOWN_KEYS:
            fm.problems.append(f"front matter line {lineno}: unknown key {key!r} "
                               f"(known: {', '.join(KNOWN_KEYS)})")
            continue
        fm.meta[key] = parse_value(raw)
    return fm
