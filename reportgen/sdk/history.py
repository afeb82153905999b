"""Steps and commits: the rules of ``wandb.log()`` (see docs/sdk.md).

- Each ``log(d)`` is one new step; every row gets ``_step``, ``_timestamp`` and ``_runtime``.
- ``log(d, step=s)``: keys logged with the same step merge into one row, written when
  the step changes (or on ``commit=True`` / ``finish()``). A step lower than the
  current one warns once and drops that data: history is never rewritten.
- ``log(d, commit=False)`` accumulates into the pending row (``history.row``) until a
  call without it.

The common case (no ``step``, no ``commit``, nothing pending) is the hot path:
plain numbers and strings are copied as they are, one ``orjson`` call encodes the
row and the line is queued for the writer thread.
"""
from __future__ import annotations

import threading
import time
from math import fsum as _fsum
from typing import Any, Callable

import orjson

from ..storage.jsonio import any_surrogates, encode_line, encode_plain_line, fix_surrogates
from ..storage.safety import MAX_DEPTH
from .values import Normalizer, user_warn, TooManyMedia, Unsupported

RESERVED_KEYS = frozenset({"_step", "_timestamp", "_runtime"})
_LINE_OPTS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_PASSTHROUGH_SUBCLASS
#: what JSON encoding raises for values it cannot hold (huge ints, deep nesting, odd objects)
_ENCODE_ERRORS = (TypeError, ValueError, OverflowError, RecursionError)


class History:
    """The pending row and the step counter of one run (``run.history``)."""

    def __init__(self, normalizer: Normalizer, append: Callable[[bytes], None], summary: Any,
                 *, start_step: int = 0, runtime_offset: float = 0.0,
                 clock: Callable[[], float] = time.time):
        self._norm = normalizer
        self._append = append
        self._summary = summary  # run.summary: updated in place with every committed row
        self._summary_data = summary._data
        self._clock = clock
        self._step = int(start_step)
        self._t0 = clock() - runtime_offset
        self._pending: dict[str, Any] = {}
        self._pending_time: float | None = None
        self._seen: set[str] = set()  # keys accepted so far (fast membership test)
        self._lower: dict[str, str] = {}  # lower-cased key -> first spelling
        self._warned: set[Any] = set()
        self.rows_committed = 0
        self._lock = threading.Lock()  # log() may be called from several threads
        self.metric_defs: Any = None  # sdk.metrics.MetricDefs once define_metric(summary=...) is used
        self.step_sync: Any = None  # sdk.metrics.StepSync once a definition names a step_metric
        self.on_commit: Any = None  # called with the step after each committed row (run.watch)

    # -- public (wandb's run.history) ---------------------------------------------------
    @property
    def step(self) -> int:
        """The step the next committed row gets."""
        return self._step

    @property
    def row(self) -> dict[str, Any]:
        """The pending row: mutable, written by the next committing ``log()`` or ``add()``."""
        return self._pending

    def add(self, data: dict[str, Any] | None = None) -> None:
        """Merge ``data`` into the pending row and commit it (wandb's ``history.add``)."""
        self.log(data or {})

    # -- logging -------------------------------------------------------------------------
    def log(self, data: dict[str, Any], step: Any = None, commit: bool | None = None) -> None:
        with self._lock:
            if step is None and commit is None and not self._pending and self.step_sync is None:  # hot path
                now = self._clock()
                if type(data) is dict and data.keys() <= self._seen:  # every key accepted before
                    row = _plain_row(self._step, now, now - self._t0, data)
                    if row is not None:
                        try:
                            line = orjson.dumps(row, option=_LINE_OPTS)
                        except TypeError:  # a type orjson does not take as is, an integer beyond 64 bits
                            pass
                        else:
                            self._emit_line(row, line)
                            return
                row = {"_step": self._step, "_timestamp": now, "_runtime": now - self._t0}
                nonfinite = self._fill(row, data, self._step)
                self._emit(row, nonfinite)
                return
            self._log(data, step, commit)

    def _log(self, data: dict[str, Any], step: Any, commit: bool | None) -> None:
        if step is not None:
            step = self._check_step(step)
            if step < self._step:
                if "lower-step" not in self._warned:
                    self._warned.add("lower-step")
                    user_warn(f"log(): step {step} is lower than the current step {self._step}; that data "
                                  "is dropped (history is never rewritten; only the current or a later step "
                                  "can be logged). This warning is shown once.")
                return
            if step > self._step:
                if self._pending:
                    self._commit()
                self._step = step
        values: dict[str, Any] = {}
        self._fill(values, data, self._step)
        self._pending.update(values)
        self._pending_time = self._clock()
        if commit is True or (commit is None and step is None):
            self._commit()

    def commit(self) -> None:
        """Write the pending row (even an empty one) as step ``step`` and move to the next step."""
        with self._lock:
            self._commit()

    def _commit(self) -> None:
        now = self._pending_time if self._pending_time is not None else self._clock()
        row = {"_step": self._step, "_timestamp": now, "_runtime": now - self._t0}
        pending = self._pending
        self._pending = {}
        self._pending_time = None
        nonfinite = self._fill(row, pending, self._step)  # values set through history.row
        if self.step_sync is not None:
            nonfinite = self.step_sync.apply(row) or nonfinite
        self._emit(row, nonfinite)

    def flush_pending(self, timeout: float = -1) -> None:
        """At ``finish()``: write the pending row if there is one.

        ``timeout``: from a signal handler, which may have interrupted a ``log()`` holding the
        lock in this very thread, give up after that long (the interrupted row is not written)."""
        if not self._pending:
            return
        if not self._lock.acquire(timeout=timeout):
            return
        try:
            if self._pending:
                self._commit()
        finally:
            self._lock.release()

    # -- internals ---------------------------------------------------------------------
    def _emit(self, row: dict[str, Any], nonfinite: bool) -> None:
        # (nested at most MAX_DEPTH levels, the row being the first: what the readers read back)
        try:
            line = encode_plain_line(row, nonfinite, MAX_DEPTH)
        except _ENCODE_ERRORS:  # rare: repair or drop the values JSON cannot hold, naming their keys
            row = self._repair(row)
            line = encode_line(row, MAX_DEPTH)
        self._emit_line(row, line)

    def _emit_line(self, row: dict[str, Any], line: bytes) -> None:
        # orjson's result keeps its whole working buffer (>= 1 KiB) allocated; the queue holds
        # a compact copy, so a burst of queued lines costs what the lines weigh (docs/sdk.md)
        self._append(memoryview(line).tobytes())
        if self.metric_defs is None:
            self._summary_data.update(row)
        else:
            self.metric_defs.apply(row, self._summary_data)
        self._summary._dirty = True  # the writer thread persists it
        self._step += 1
        self.rows_committed += 1

    def _repair(self, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` with lone surrogates replaced (U+FFFD) and unencodable values dropped, with warnings."""
        out: dict[str, Any] = {}
        for k, v in row.items():
            if any_surrogates(k):
                fixed = fix_surrogates(k)
                self._warn_once(("surrogate-key", k), f"log(): key {k!r} is not valid Unicode (lone surrogates, "
                                f"e.g. from a file name); stored as {fixed!r}")
                k = fixed
            try:  # (the surrogate walk recurses as deep as the value: a dict nested 600 deep raised here)
                if any_surrogates(v):
                    v = fix_surrogates(v)
                    self._warn_once(("surrogate", k), f"log(): key {k!r}: text with lone surrogates (not valid "
                                    "Unicode, e.g. a file name from os.listdir); each is stored as U+FFFD")
                encode_line({k: v}, MAX_DEPTH)
            except _ENCODE_ERRORS as exc:
                self._warn_once(("encode", k, type(exc).__name__),
                                f"log(): key {k!r}: could not store {type(v).__name__} as JSON "
                                f"({type(exc).__name__}: {str(exc)[:120]}); skipped, the rest of the row is logged")
                continue
            out[k] = v
        return out

    def _fill(self, row: dict[str, Any], data: dict[str, Any], step: int) -> bool:
        """Copy ``data`` into ``row``, normalising values; True if a value may hold NaN/Infinity."""
        if type(data) is not dict:
            if not isinstance(data, dict):
                raise TypeError(f"log(): expected a dict of metrics, got {type(data).__name__}")
        nonfinite = False
        seen = self._seen
        for k, v in data.items():
            if k not in seen and not self._accept_key(k):
                continue
            t = type(v)
            if t is float:
                if v - v != 0.0:  # NaN or +-Infinity
                    nonfinite = True
                row[k] = v
            elif t is int or t is str or t is bool or v is None:
                row[k] = v
            else:
                try:
                    row[k] = self._norm.normalize(k, v, step)
                except Unsupported as exc:
                    self._warn_once(("type", k, exc.type_name),
                                    f"log(): key {k!r}: values of type {exc.type_name} cannot be logged"
                                    + (f" ({exc.reason})" if exc.reason else "") + "; skipped, the rest of the row is logged")
                    continue
                except TooManyMedia:
                    raise  # too many media objects for one step: the caller's mistake, raised at once
                except Exception as exc:  # noqa: BLE001 - never crash the training loop over one value
                    self._warn_once(("error", k, type(exc).__name__),
                                    f"log(): key {k!r}: could not store {type(v).__name__} "
                                    f"({type(exc).__name__}: {exc}); skipped, the rest of the row is logged")
                    continue
                nonfinite = True  # nested values: let the encoder look
        return nonfinite

    def _accept_key(self, key: Any) -> bool:
        if not isinstance(key, str):
            self._warn_once(("key", repr(key)), f"log(): key {key!r} is a {type(key).__name__}, expected a "
                                                "string; skipped")
            return False
        if key in RESERVED_KEYS:
            self._warn_once(("reserved", key), f"log(): key {key!r} is reserved for the row's own "
                                               f"{key[1:]}; skipped")
            return False
        if not key:
            self._warn_once(("key", "''"), "log(): empty key '' skipped")
            return False
        lower = key.lower()
        first = self._lower.setdefault(lower, key)
        if first != key:
            self._warn_once(("case", lower), f"log(): metric names are compared case-insensitively: {key!r} "
                                             f"and {first!r} look like the same metric; rename one of them")
        self._seen.add(key)
        return True

    def _warn_once(self, tag: Any, message: str) -> None:
        if tag not in self._warned:
            self._warned.add(tag)
            user_warn(message)

    @staticmethod
    def _check_step(step: Any) -> int:
        if isinstance(step, bool) or not hasattr(step, "__index__"):
            raise TypeError(f"log(): step: expected a non-negative integer, got {step!r}")
        # a negative step is lower than every step: dropped with the lower-step warning, as wandb does
        return step.__index__()


def _plain_row(step: int, now: float, runtime: float, data: dict[str, Any]) -> dict[str, Any] | None:
    """The hot path's row when every value is a finite number, else None (``History._fill``
    looks at each value). No per-value Python code runs: ``math.fsum`` takes only numbers (and
    objects with ``__float__``, which orjson then refuses: the caller falls back), so text,
    None, containers, media and arrays take the slow path; its result is NaN or +-Infinity
    when a value is (JSON has no token for them: orjson would write null), or it raises."""
    try:
        total = _fsum(data.values())
    except (TypeError, ValueError, OverflowError):
        return None
    if total - total != 0.0:  # a non-finite value (or a sum beyond 1e308: the slow path decides)
        return None
    return {"_step": step, "_timestamp": now, "_runtime": runtime, **data}
