"""``run.summary``: last value per key unless overridden; persisted atomically."""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Callable, Iterator


class Summary(MutableMapping):
    """A dict that persists itself on every explicit change.

    ``run.summary["k"] = v`` and ``run.summary.update({...})`` override the
    automatic "last logged value" and are written at once.
    """

    def __init__(self, data: dict[str, Any] | None, persist: Callable[[dict[str, Any]], None],
                 convert: Callable[[str, Any], Any] | None = None):
        self._data: dict[str, Any] = dict(data or {})
        self._persist = persist
        self._convert = convert or (lambda key, value: value)

    # automatic updates from log(): no write here, the run persists in batches
    def _set_from_history(self, row: dict[str, Any]) -> None:
        for k, v in row.items():
            if not k.startswith("_"):
                self._data[k] = v

    def _save(self) -> None:
        self._persist(self._data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = self._convert(key, value)
        self._save()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._save()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def update(self, other: Any = (), /, **kwargs: Any) -> None:  # type: ignore[override]
        items = dict(other or {}, **kwargs)
        for k, v in items.items():
            self._data[k] = self._convert(k, v)
        self._save()

    def as_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        return f"Summary({self._data!r})"
