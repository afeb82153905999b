"""``define_metric``: the x axis of a metric and its summary aggregations (as wandb).

``define_metric(name, step_metric=None, summary=None, goal=None, hidden=None, step_sync=None)``:

- ``name`` may end with ``*`` (``"val/*"``, ``"*"``): the definition applies to every key
  with that prefix that has no exact definition of its own.
- ``step_metric`` names another logged metric to use as the default x axis on the site.
  With ``step_sync`` (its default when ``step_metric`` is given, as wandb) a row that logs the
  metric without the step metric gets the step metric's last value (:class:`StepSync`).
- ``summary="min,max"`` (or a list): instead of the last value, ``summary.json`` stores
  ``{"loss": {"min": 0.1, "max": 2.3}}`` like wandb. Aggregations: ``min``, ``max``,
  ``mean``, ``first``, ``last``, ``best`` (needs ``goal="minimize"|"maximize"``), and
  ``none`` (the metric stays out of the summary).

The aggregations are updated row by row from committed history (non-numbers are kept as
``last``/``first`` only), so ``summary.json`` holds them at every moment.
"""
from __future__ import annotations

import math
from typing import Any

from ..storage.format import SUMMARY_OPS
GOALS = {"minimize": "minimize", "min": "minimize", "maximize": "maximize", "max": "maximize"}


def parse_summary(summary: Any) -> tuple[str, ...] | None:
    if summary is None:
        return None
    if isinstance(summary, str):
        ops = [s.strip().lower() for s in summary.split(",") if s.strip()]
    elif isinstance(summary, (list, tuple)) and all(isinstance(s, str) for s in summary):
        ops = [s.strip().lower() for s in summary]
    else:
        raise TypeError(f"define_metric(): summary: expected a string like 'min,max', got {summary!r}")
    bad = [s for s in ops if s not in SUMMARY_OPS]
    if bad:
        raise ValueError(f"define_metric(): summary: unknown aggregation {bad[0]!r}; expected some of "
                         f"{', '.join(SUMMARY_OPS)}")
    return tuple(dict.fromkeys(ops))


def check_spec(name: Any, step_metric: Any, summary: Any, goal: Any) -> dict[str, Any]:
    if not isinstance(name, str) or not name:
        raise TypeError(f"define_metric(): name: expected a non-empty string, got {name!r}")
    if "*" in name[:-1]:
        raise ValueError(f"define_metric(): name {name!r}: '*' is only allowed at the end")
    if step_metric is not None and (not isinstance(step_metric, str) or not step_metric):
        raise TypeError(f"define_metric(): step_metric: expected a metric name, got {step_metric!r}")
    ops = parse_summary(summary)
    if goal is not None:
        if goal not in GOALS:
            raise ValueError(f"define_metric(): goal: expected 'minimize' or 'maximize', got {goal!r}")
        goal = GOALS[goal]
    if ops and "best" in ops and goal is None:
        raise ValueError("define_metric(): summary='best' needs goal='minimize' or goal='maximize'")
    spec: dict[str, Any] = {}
    if step_metric is not None:
        spec["step_metric"] = step_metric
    if ops is not None:
        spec["summary"] = ",".join(ops)
    if goal is not None:
        spec["goal"] = goal
    return spec


class Definitions:
    """Which definition applies to a key, as wandb resolves ``define_metric``: an exact
    definition wins (even one that says nothing of what is asked: then None), else the glob
    (``"val/*"``: ``"val/"``) with the longest prefix. Answers are memoised per key."""

    def __init__(self, exact: dict[str, Any], globs: list[tuple[str, Any]]):
        self._exact = exact
        self._globs = sorted(globs, key=lambda g: -len(g[0]))  # the longest prefix first
        self._resolved: dict[str, Any] = {}

    def __bool__(self) -> bool:
        return any(v is not None for v in self._exact.values()) or bool(self._globs)

    def values(self) -> list[Any]:
        return [v for v in self._exact.values() if v is not None] + [v for _p, v in self._globs]

    def __call__(self, key: str) -> Any:
        try:
            return self._resolved[key]
        except KeyError:
            pass
        if key in self._exact:
            found = self._exact[key]
        else:
            found = next((v for prefix, v in self._globs if key.startswith(prefix)), None)
        self._resolved[key] = found
        return found


class MetricDefs:
    """The definitions of one run and the running aggregates behind its summary."""

    def __init__(self, defs: dict[str, dict[str, Any]] | None = None):
        self.defs: dict[str, dict[str, Any]] = {}
        self._lookup = Definitions({}, [])  # key -> (aggregations, goal) or None
        self._state: dict[str, dict[str, Any]] = {}
        for name, spec in (defs or {}).items():
            if isinstance(name, str) and isinstance(spec, dict):
                self.add(name, spec)

    def add(self, name: str, spec: dict[str, Any]) -> None:
        self.defs[name] = {**self.defs.get(name, {}), **spec}
        exact: dict[str, tuple[tuple[str, ...], str | None] | None] = {}
        globs = []
        for n, s in self.defs.items():
            ops = parse_summary(s.get("summary")) if isinstance(s.get("summary"), str) else None
            found = (ops, s.get("goal")) if ops is not None else None
            if n.endswith("*"):
                exact[n] = None  # (a key logged as "val/*" is not matched by the glob "val/*")
                if found is not None:
                    globs.append((n[:-1], found))
            else:
                exact[n] = found
        self._lookup = Definitions(exact, globs)

    @property
    def active(self) -> bool:
        return bool(self._lookup)

    def hidden(self, key: str) -> bool:
        """Whether ``key`` stays out of the summary (``summary="none"``, by its own or a glob's definition)."""
        found = self._lookup(key)
        return found is not None and "none" in found[0]

    def apply(self, row: dict[str, Any], summary: dict[str, Any]) -> None:
        """Update ``summary`` (the plain dict) from one committed row."""
        for key, value in row.items():
            if key[:1] == "_":
                summary[key] = value
                continue
            found = self._lookup(key)
            if found is None:
                summary[key] = value
                continue
            ops, goal = found
            if "none" in ops:
                summary.pop(key, None)
                continue
            if "copy" in ops:
                summary[key] = value
                continue
            st = self._state.setdefault(key, {"n": 0, "sum": 0.0})
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and not (
                isinstance(value, float) and math.isnan(value))
            out: dict[str, Any] = {}
            if "first" in ops:
                st.setdefault("first", value)
            if number:
                st["n"] += 1
                st["sum"] += value
                st["min"] = value if "min" not in st else min(st["min"], value)
                st["max"] = value if "max" not in st else max(st["max"], value)
            for op in ops:
                if op == "last":
                    out["last"] = value
                elif op == "first":
                    out["first"] = st["first"]
                elif op in ("min", "max") and op in st:
                    out[op] = st[op]
                elif op == "mean" and st["n"]:
                    out["mean"] = st["sum"] / st["n"]
                elif op == "best" and number:
                    side = "min" if goal == "minimize" else "max"
                    out["best"] = st[side]
            summary[key] = out


class StepSync:
    """wandb's ``step_sync``: a committed row that logs a metric whose definition names a
    ``step_metric`` (``step_sync`` true, its default when ``step_metric`` is given), but not the
    step metric itself, gets the step metric's last logged value (``{"val_acc": 0.5}`` after
    ``{"epoch": 1}`` is stored as ``{"val_acc": 0.5, "epoch": 1}``). An exact definition wins
    over the globs; the longest glob prefix wins among them."""

    def __init__(self, defs: dict[str, dict[str, Any]], last: dict[str, Any] | None = None):
        exact: dict[str, str | None] = {}
        globs: list[tuple[str, str]] = []
        for name, spec in defs.items():
            if not isinstance(name, str) or not isinstance(spec, dict):
                continue
            step = spec.get("step_metric")
            sync = spec.get("step_sync")
            target = step if isinstance(step, str) and step and (sync is None or sync) else None
            if name.endswith("*"):
                if target:
                    globs.append((name[:-1], target))
            else:
                exact[name] = target
        self._lookup = Definitions(exact, globs)
        self.steps = set(self._lookup.values())
        self._last = {k: v for k, v in (last or {}).items() if k in self.steps and _plain_number(v)}

    @property
    def active(self) -> bool:
        return bool(self.steps)

    def _target(self, key: str) -> str | None:
        found = self._lookup(key)
        return None if found == key else found  # (a metric that is its own step metric)

    def apply(self, row: dict[str, Any]) -> bool:
        """Add the synced step values to ``row`` (a committed row); True if one is not finite."""
        last = self._last
        for s in self.steps:
            if s in row:
                last[s] = row[s]
        add: dict[str, Any] = {}
        for key in row:
            if key[:1] == "_":
                continue
            target = self._target(key)
            if target is not None and target not in row and target in last:
                add[target] = last[target]
        row.update(add)
        return any(isinstance(v, float) and not math.isfinite(v) for v in add.values())


def _plain_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
