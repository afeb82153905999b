"""Logged Vega-Lite specs are data: nothing in them may reach outside the site.

:func:`clean_spec` returns a copy without

- ``usermeta`` (vega-embed reads ``usermeta.embedOptions``: actions menu, loader, renderer ...);
- every ``url`` property (``data.url``, lookup ``from.data.url``, ``image`` marks, the
  ``url`` encoding channel), and ``href`` channels and mark properties (links that a click
  follows), ``loader`` and ``config.loader`` settings, and every ``cursor`` that is not a CSS
  keyword (Vega sets it as the chart's CSS cursor: ``url(https://...)`` is fetched on hover),
  and a param binding's ``element`` (a CSS selector: the input went anywhere in the page);
- a spec that vega-embed would draw as a Vega spec (``$schema`` naming Vega, or none of the
  Vega-Lite keys): refused whole;
- anything nested deeper than :data:`MAX_SPEC_DEPTH`, generating more than
  :data:`MAX_GENERATED` rows, or with an expression the page could run without bound
  (``sequence(0, 1e9)``, see :mod:`.vegaexpr`), or asking for a size no chart needs
  (``"width": 1e9``, ``"tickCount": 1e9``, see :mod:`.vegasize`; bins: :mod:`.vegabins`), or whose
  transforms make too many rows (a fold, a quantile, a density, a loess: :mod:`.vegarows`): such a
  spec is refused whole (a bin ``step`` over the data's range is rewritten to a bounded one).

Text the chart lays out (titles, axis and legend titles, subtitles, a text mark's literal or a
text channel's ``value``/``datum``, the description) is cut at :data:`TEXT_CHARS` characters (a title given as lines: the first
:data:`TEXT_LINES`). Inline data (``data.values``, ``datasets``) is kept, so charts logged with
their data still draw (up to :data:`.vegarows.MAX_INLINE_ROWS` rows). What was removed or cut is
returned, so the builder can warn naming the key.

U+2028 and U+2029 (line and paragraph separators) become spaces everywhere in the spec, inline data
included: Vega-Lite writes titles, field names and literals into Vega expressions as JSON, and
Vega's expression parser reads those characters as line breaks inside a string ("Expression parse
error": a tooltip titled ``"a\\u2028b"`` left the chart empty). Data keys and values change the same
way, so a field, a filter's ``equal`` and the rows they name still agree.
"""
from __future__ import annotations

import re
from typing import Any

from ..storage.safety import MAX_SPEC_DEPTH
from .vegabins import bounded_bin, domain_bins_problem
from .vegaexpr import expression_problem
from .vegaformat import FORMAT_KEYS, specifier_problem
from .vegarows import rows_problem
from .vegasize import size_problem

#: rows a spec may generate in the page (``data.sequence``, a ``sequence`` transform, impute
#: ``keyvals``, density ``steps``): a logged ``{"sequence": {"start": 0, "stop": 1e8}}`` crashed the tab
MAX_GENERATED = 1_000_000
_STEPS = frozenset({"steps", "minsteps", "maxsteps"})
DROP_KEYS = frozenset({"usermeta", "url", "href", "loader"})
#: the keys that make vega-embed read a spec without ``$schema`` as Vega-Lite (its ``guessMode``)
VEGA_LITE_KEYS = ("mark", "encoding", "layer", "hconcat", "vconcat", "facet", "repeat")
_SCHEMA = re.compile(r"/schema/([\w-]+)/([\w.\-]+)\.json\Z", re.ASCII)  # vega-embed's, a JS regex without flags
_CURSOR = re.compile(r"[a-z-]{1,20}")  # a CSS cursor keyword (pointer, crosshair, ...), never url(...)
DATA_KEYS = frozenset({"values", "datasets"})  # inline data: rows are kept as they are
#: text the chart lays out (titles, axis and legend titles, a title's subtitle, a text mark's
#: literal, the description): a logged 10 MB axis title made a 10 MB data file and a chart laying
#: out one unbroken word. Cut at TEXT_CHARS (a title given as lines: its first TEXT_LINES).
TEXT_KEYS = frozenset({"title", "subtitle", "description", "text"})
TEXT_CHARS = 256
TEXT_LINES = 10
CUT = "cut:"  # a path in clean_spec's list that was cut, not removed


class SpecRefused(ValueError):
    """A spec that cannot be shown (not an object, nested too deeply)."""


def clean_spec(spec: Any) -> tuple[dict[str, Any], list[str]]:
    """``(cleaned copy, sorted list of the removed properties' paths)``."""
    if not isinstance(spec, dict):
        raise SpecRefused("a Vega-Lite spec must be a JSON object")
    _check_vega_lite(spec)
    removed: list[str] = []
    out = _clean(spec, "", 0, removed)
    out = _unseparated(out)
    problem = rows_problem(out) or domain_bins_problem(out)
    if problem:
        raise SpecRefused(problem)
    return out, sorted(set(removed))


def _clean(v: Any, path: str, depth: int, removed: list[str]) -> Any:
    if depth > MAX_SPEC_DEPTH:
        raise SpecRefused(f"the spec is nested deeper than {MAX_SPEC_DEPTH} levels")
    if isinstance(v, dict):
        _check_generated(v)
        problem = size_problem(v, in_view=path.endswith("view."))
        if problem:
            raise SpecRefused(f"{path}{problem}" if path else problem)
        out = {}
        for k, x in v.items():
            k = str(k)
            if k == "cursor" and not (isinstance(x, str) and _CURSOR.fullmatch(x)):
                removed.append(f"{path}{k}")  # "url(https://...), auto": fetched when a reader points at the chart
                continue
            if k == "element" and path.endswith("bind."):  # a CSS selector: where in the page the input goes
                removed.append(f"{path}{k}")
                continue
            if k in DROP_KEYS:
                if k != "usermeta":
                    removed.append(f"{path}{k}")
                elif isinstance(x, dict) and "embedOptions" in x:  # other usermeta (the SDK's presets) is quiet
                    removed.append(f"{path}usermeta.embedOptions")
                continue
            if k in FORMAT_KEYS and isinstance(x, str) and (problem := specifier_problem(x)):
                raise SpecRefused(f"{path}{k}: {problem}")
            if k == "bin" and isinstance(x, dict):  # a step over the data's range: bounded bins
                x = bounded_bin(x) or x
            if k in DATA_KEYS:
                _check_depth(x, depth + 1)
                out[k] = x
            else:
                out[k] = _clean(x, f"{path}{k}.", depth + 1, removed)
        return out
    if isinstance(v, list):
        inner = path[:-1] + "[]." if path else "[]."
        if len(v) > TEXT_LINES and _props(path)[-1] in TEXT_KEYS:  # a title given as lines
            v = v[:TEXT_LINES]
            removed.append(f"{CUT}{path}")
        return [_clean(x, inner, depth + 1, removed) for x in v]
    if isinstance(v, str):
        if len(v) > TEXT_CHARS and _is_text(path):
            from .clip import clip

            removed.append(f"{CUT}{path}")
            return clip(v, TEXT_CHARS)
        problem = expression_problem(v, path.rstrip(".").rsplit(".", 1)[-1].removesuffix("[]"))
        if problem:
            raise SpecRefused(f"{path.rstrip('.') or 'the spec'} {problem}")
    return v


_SEPARATORS = re.compile("[\u2028\u2029]")
_SEPARATOR_BYTES = re.compile(b"\xe2\x80[\xa8\xa9]")  # the two in UTF-8, as orjson writes them


def _unseparated(spec: dict) -> dict:
    """``spec`` with U+2028/U+2029 in every string and key as a space (``spec`` itself when it has
    none: one pass of orjson over it tells)."""
    import orjson

    try:
        if not _SEPARATOR_BYTES.search(orjson.dumps(spec, option=orjson.OPT_NON_STR_KEYS)):
            return spec
    except (TypeError, ValueError):  # not JSON (e.g. a number too large): looked at one by one
        pass

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return _SEPARATORS.sub(" ", v)
        if isinstance(v, dict):
            return {walk(k) if isinstance(k, str) else k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(spec)


def _props(path: str) -> list[str]:
    """The properties a path goes through (``x.axis.title.``: x, axis, title; ``title[].``: title)."""
    return [p.removesuffix("[]") for p in path.rstrip(".").split(".")]


def _is_text(path: str) -> bool:
    """Whether a string at ``path`` is text the chart lays out: a TEXT_KEYS property, or the literal
    ``value``/``datum`` of one (``encoding.text.value``, ``encoding.text.datum``)."""
    props = _props(path)
    return props[-1] in TEXT_KEYS or (len(props) > 1 and props[-1] in ("value", "datum") and props[-2] in TEXT_KEYS)


def _check_vega_lite(spec: dict) -> None:
    """The page hands a spec to vega-embed, which draws a *Vega* spec as it is when ``$schema``
    names Vega, or when there is no ``$schema`` and none of its Vega-Lite keys: a Vega spec's
    signals can update themselves on a timer (a string doubling every 50 ms took the tab to a
    gigabyte) and compute any transform's parameters, so only what vega-embed reads as
    Vega-Lite is drawn (a ``concat`` spec, as Altair writes one, only with its ``$schema``: see
    :func:`schema_needed`)."""
    schema = spec.get("$schema")
    if schema is not None:
        m = _SCHEMA.search(schema) if isinstance(schema, str) else None
        if m is None or m.group(1) != "vega-lite":
            what = f"a {m.group(1)} spec" if m else "a spec"
            raise SpecRefused(f"{what} ($schema {str(schema)[:80]!r}), not a Vega-Lite one: only Vega-Lite specs are drawn")
    if not any(k in spec for k in VEGA_LITE_KEYS) and not (schema is not None and "concat" in spec):
        raise SpecRefused(f"not a Vega-Lite spec: it has none of {', '.join(VEGA_LITE_KEYS)} at its top, "
                          "nor concat and a Vega-Lite $schema (vega-embed would draw it as a Vega spec)")


def schema_needed(spec: dict) -> bool:
    """Whether vega-embed needs the (cleaned) spec's ``$schema`` to read it as Vega-Lite."""
    return not any(k in spec for k in VEGA_LITE_KEYS)


def _rows(seq: Any) -> float:
    """How many rows ``{"start", "stop", "step"}`` generates (0 when it is not such a range)."""
    if not isinstance(seq, dict) or not all(isinstance(seq.get(k, 1), (int, float)) for k in ("start", "stop", "step")):
        return 0
    start, stop, step = float(seq.get("start", 0)), float(seq.get("stop", 0)), float(seq.get("step", 1))
    n = (stop - start) / step if step else float("inf")
    return n if n == n else float("inf")  # a step of 0, NaN: refused too


def _check_generated(v: dict) -> None:
    ranges = [v.get("sequence"), v.get("keyvals")] + ([v] if v.get("type") == "sequence" else [])
    steps = [x for k, x in v.items() if k in _STEPS and isinstance(x, (int, float))]
    if any(_rows(r) > MAX_GENERATED for r in ranges) or any(not x <= MAX_GENERATED for x in steps):
        raise SpecRefused(f"the spec generates more than {MAX_GENERATED:,} rows in the page")


def _check_depth(v: Any, depth: int) -> None:
    from ..storage.safety import too_deep

    if too_deep(v, MAX_SPEC_DEPTH - depth + 1):
        raise SpecRefused(f"the spec is nested deeper than {MAX_SPEC_DEPTH} levels")


def removed_note(removed: list[str]) -> str:
    """What :func:`clean_spec` removed (and cut: its ``cut:`` entries), in one warning."""
    def shown(paths: list[str]) -> str:
        return ", ".join(p.rstrip(".") for p in paths[:5]) + (" ..." if len(paths) > 5 else "")

    gone = [p for p in removed if not p.startswith(CUT)]
    cut = [p[len(CUT):] for p in removed if p.startswith(CUT)]
    notes = [f"removed from the Vega-Lite spec (it may not reach outside the site): {shown(gone)}"] if gone else []
    if cut:
        notes.append(f"text of the Vega-Lite spec longer than {TEXT_CHARS} characters (or {TEXT_LINES} lines) "
                     f"cut: {shown(cut)}")
    return "; ".join(notes)
