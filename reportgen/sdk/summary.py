"""``run.summary``: last value per key unless overridden; persisted atomically.

Every committed history row updates the summary (the last logged value wins);
those automatic updates are written by the writer thread after each flush of history
(about every second: a SIGKILLed run's summary.json holds the values of its last
flush; a summary so large that writing it costs more than 2% of the time is written
less often, and at least every heartbeat) and at ``finish()``.
``run.summary["k"] = v`` and ``run.summary.update({...})`` convert the value (arrays
and tensors become ``tensor`` records with the array saved as ``.npy``; Media objects
become their records) and write ``summary.json`` at once.
"""
from __future__ import annotations

import threading
import time
from collections.abc import MutableMapping
from typing import Any, Callable, Iterator


class Summary(MutableMapping):
    """A dict that persists itself on every explicit change."""

    def __init__(self, data: dict[str, Any] | None, persist: Callable[[dict[str, Any]], None],
                 convert: Callable[[str, Any], Any] | None = None):
        self._data: dict[str, Any] = dict(data or {})
        self._persist = persist
        self._convert = convert or (lambda key, value: value)
        self._dirty = False
        self._next_soon = 0.0  # monotonic time before which _persist_soon() leaves the summary
        self._lock = threading.RLock()  # reentrant (a signal handler may save); explicit writes and the writer thread's writes never interleave

    # automatic updates from log(): no write here, the writer thread persists in batches
    def _persist_if_dirty(self) -> None:
        """Called by the writer thread: write the summary if log() changed it since the last write."""
        if self._dirty:
            self._save()

    def _persist_soon(self) -> None:
        """Called by the writer thread after each flush of history: :meth:`_persist_if_dirty`, unless
        the last write took more than 2% of the time since (a summary of 60,000 keys)."""
        if not self._dirty or time.monotonic() < self._next_soon:
            return
        t0 = time.monotonic()
        self._save()
        took = time.monotonic() - t0
        self._next_soon = t0 + 50 * took

    def _save(self) -> None:
        with self._lock:
            self._dirty = False
            self._persist(dict(self._data))

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def _storable(self, key: str, value: Any) -> tuple[bool, str, Any]:
        """(True, key, converted ``value``), lone surrogates in either replaced by U+FFFD with a warning
        naming the key (as log() does); (False, key, None) with a warning naming ``key`` when JSON cannot hold it
        (a 5,000-digit int, nesting deeper than the readers read: ``MAX_DEPTH`` levels, summary.json
        being the first; a value that contains itself), as log() does for such values. Storing it
        anyway would make every later summary write, and finish(), fail. Media that cannot be written
        (a full disk, a Table whose JSON nests deeper than the site reads) warn the same way. A type that cannot be stored at all raises TypeError naming
        the key."""
        from ..storage.jsonio import TooDeep, dumps
        from ..storage.safety import MAX_DEPTH
        from .values import valid_unicode

        try:
            converted = self._convert(key, value)
        except (RecursionError, OSError, TooDeep) as exc:  # (converting recurses as deep as the value; media
            return self._refused(key, value, exc)  # files, and their JSON past what the site reads)
        try:
            dumps({key: converted}, max_depth=MAX_DEPTH)
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            return self._refused(key, value, exc)
        return (True, *valid_unicode("summary", key, converted))

    @staticmethod
    def _refused(key: str, value: Any, exc: BaseException) -> tuple[bool, str, Any]:
        from .values import user_warn

        user_warn(f"summary key {key!r}: could not store {type(value).__name__} "
                  f"({type(exc).__name__}: {str(exc)[:120]}); the key was not changed")
        return False, key, None

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise TypeError(f"summary key {key!r}: expected a string")
        ok, key, converted = self._storable(key, value)
        if ok:
            self._data[key] = converted
            self._save()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._save()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"summary has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        """``run.summary.best_acc = 0.9`` sets the key, as wandb's summary does (it was a Python
        attribute here: never written, and lost)."""
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __delattr__(self, name: str) -> None:
        if name.startswith("_"):
            object.__delattr__(self, name)
            return
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"summary has no key {name!r}") from None

    def update(self, other: Any = (), /, **kwargs: Any) -> None:  # type: ignore[override]
        """Merge ``other`` and ``kwargs`` and persist; ``summary.update()`` alone just persists."""
        items = dict(other or {}, **kwargs)
        for k, v in items.items():
            if not isinstance(k, str):
                raise TypeError(f"summary key {k!r}: expected a string")
            ok, k, converted = self._storable(k, v)
            if ok:
                self._data[k] = converted
        self._save()

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        return f"Summary({self._data!r})"
