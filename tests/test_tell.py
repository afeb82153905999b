"""Warnings on the terminal (reportgen/tell.py): the one way `build`, `summary`, `import`, `export` and
`serve` print them (they were five copies of the same line, and serve's alone was counted)."""
from __future__ import annotations

from reportgen.tell import tell, tell_all


def test_tell_escapes_control_characters(capsys):
    tell("run \x1b]0;owned\x07: bad line")
    tell("from the source", "note")
    assert capsys.readouterr().err.splitlines() == ["warning: run \\x1b]0;owned\\x07: bad line",
                                                    "note: from the source"]


def test_tell_all_tells_each_once_and_counts_past_most(capsys):
    told: set[str] = set()
    tell_all(["a", "b", "a", "c", "d"], told, most=2, more=" (listed on the site's pages)")
    assert capsys.readouterr().err.splitlines() == [
        "warning: a", "warning: b", "warning: … and 2 more (listed on the site's pages)"]
    tell_all(["a", "e"], told, most=2)  # (a rebuild: only what is new)
    assert capsys.readouterr().err.splitlines() == ["warning: e"]
    tell_all(["x\n", "x\n", "y"])  # (a command's own list: every one, once)
    assert capsys.readouterr().err.splitlines() == ["warning: x\\n", "warning: y"]
