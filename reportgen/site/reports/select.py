"""Choosing runs for a directive: by name or id (with globs), tag, group or project.

Selection attributes (in a directive, or as defaults in the front matter)::

    runs="mlp-*, iris-h4-lr0p1"   names, ids or display labels; * ? [..] globs
    tags="demo, numpy"            runs having any of these tags
    group="hidden=16"             runs in any of these groups
    project="iris-mlp"            runs in any of these projects

Several attributes combine with AND; commas inside one attribute mean OR.
A directive without any selection attribute uses the front matter's; with
none there either, it selects every run.
"""
from __future__ import annotations

import fnmatch
from typing import Any, Iterable, Sequence

SELECT_KEYS = ("runs", "run", "tags", "tag", "group", "project")


def split_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = str(value).split(",")
    return [s.strip() for s in items if s.strip()]


def selection_from(attrs: dict[str, Any]) -> dict[str, list[str]]:
    """Normalise selection attributes: ``run``/``runs`` -> runs, ``tag``/``tags`` -> tags."""
    sel: dict[str, list[str]] = {}
    for key in SELECT_KEYS:
        if key in attrs:
            norm = {"run": "runs", "tag": "tags"}.get(key, key)
            sel.setdefault(norm, []).extend(split_list(attrs[key]))
    return sel


def describe(sel: dict[str, list[str]]) -> str:
    if not sel:
        return "all runs"
    return " and ".join(f'{k}="{", ".join(v)}"' for k, v in sel.items())


def _names(run: Any) -> set[str]:
    return {str(run.name), str(run.id), str(run.label)}


def matches(view: Any, sel: dict[str, list[str]]) -> bool:
    meta = view.meta
    if "runs" in sel:
        names = _names(view)
        if not any(n == pat or fnmatch.fnmatchcase(n, pat) for pat in sel["runs"] for n in names):
            return False
    if "tags" in sel:
        tags = {str(t) for t in (meta.get("tags") or [])}
        if not tags.intersection(sel["tags"]):
            return False
    if "group" in sel and str(meta.get("group") or "") not in sel["group"]:
        return False
    if "project" in sel and str(view.project) not in sel["project"]:
        return False
    return True


def select_runs(views: Sequence[Any], attrs: dict[str, Any],
                defaults: dict[str, Any] | None = None) -> tuple[list[Any], dict[str, list[str]]]:
    """The runs (``RunInfo``) a directive refers to (site order kept) and the selection used."""
    sel = selection_from(attrs)
    if not sel:
        sel = selection_from(defaults or {})
    return [v for v in views if matches(v, sel)], sel


def match_keys(keys: Iterable[str], patterns: list[str]) -> list[str]:
    """Metric keys matching any pattern (globs allowed), in the order of ``keys``."""
    keys = list(keys)
    out = []
    for k in keys:
        if any(k == p or fnmatch.fnmatchcase(k, p) for p in patterns):
            out.append(k)
    return out
