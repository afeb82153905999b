"""Column types of a :class:`~reportgen.media.table.Table`, as ``wandb.Table`` checks them.

A column's type is fixed by ``dtype=`` / :meth:`Table.cast`, or else by the first
non-``None`` value it receives; later values must have the same type unless the
table was made with ``allow_mixed_types=True`` (then every column is ``any``).
``None`` is accepted when the column is optional (the default, ``optional=True``).

Types are plain strings: ``number`` (int and float alike; bools are not numbers),
``string``, ``bool``, ``timestamp``, ``list``, ``dict``, ``ndarray``, a media tag
(``image``, ``audio``, ...), ``primary_key``, ``foreign_key``, ``const`` (every value
equals one given value), ``any`` and ``unknown`` (nothing seen yet).
"""
from __future__ import annotations

import datetime as _dt
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import Media

_NO_CONST = object()


@dataclass
class ColumnType:
    kind: str = "unknown"
    optional: bool = True
    const: Any = field(default=_NO_CONST)

    def describe(self) -> str:
        name = f"const {self.const!r}" if self.kind == "const" else self.kind
        return name + (" (optional)" if self.optional and self.kind != "any" else "")

    def stored(self) -> str:
        """The name written to the run folder (``"number"``, ``"image"``, ``"any"``...)."""
        return self.kind


def kind_of(value: Any) -> str | None:
    """The column type a single (already normalised) cell value has; None for None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, numbers.Number):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (_dt.datetime, _dt.date)) or type(value).__name__ == "Timestamp":
        return "timestamp"
    if isinstance(value, np.ndarray):
        return "ndarray"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, Media):
        return value.TYPE
    return type(value).__name__


def type_from_dtype(dtype: Any, where: str) -> ColumnType:
    """``dtype=`` / ``cast()`` argument -> a ColumnType (optional is set by the caller)."""
    if dtype is None:
        return ColumnType("unknown")
    if isinstance(dtype, ColumnType):
        return ColumnType(dtype.kind, dtype.optional, dtype.const)
    if isinstance(dtype, str) and dtype in ("any", "number", "string", "bool", "timestamp", "list", "dict",
                                            "ndarray", "unknown"):
        return ColumnType(dtype)
    if isinstance(dtype, type):
        if issubclass(dtype, (bool, np.bool_)):
            return ColumnType("bool")
        if issubclass(dtype, (numbers.Number, np.number)):
            return ColumnType("number")
        if issubclass(dtype, str):
            return ColumnType("string")
        if issubclass(dtype, (_dt.datetime, _dt.date)):
            return ColumnType("timestamp")
        if issubclass(dtype, np.ndarray):
            return ColumnType("ndarray")
        if issubclass(dtype, (list, tuple)):
            return ColumnType("list")
        if issubclass(dtype, dict):
            return ColumnType("dict")
        if issubclass(dtype, Media) and dtype.__dict__.get("TYPE"):
            return ColumnType(dtype.TYPE)
        if dtype is object:
            return ColumnType("any")
        raise TypeError(f"{where}: unsupported column type {dtype.__name__}; expected int, float, str, bool, "
                        "list, dict, datetime, numpy.ndarray, a media class such as Image, or a value")
    if isinstance(dtype, Media):  # an example object
        return ColumnType(dtype.TYPE)
    if isinstance(dtype, (str, numbers.Number, bool)):
        return ColumnType("const", const=dtype)
    raise TypeError(f"{where}: expected a type (int, str, Image, ...), an example value or None, "
                    f"got {type(dtype).__name__}")


def assign(ctype: ColumnType, value: Any, where: str, allow_hint: bool = True) -> ColumnType:
    """The column type after accepting ``value``; a TypeError naming ``where`` when it does not fit."""
    if ctype.kind == "any":
        return ctype
    kind = kind_of(value)
    if kind is None:
        if ctype.optional:
            return ctype
        raise TypeError(f"{where}: None is not allowed in a non-optional {ctype.kind} column")
    if ctype.kind == "unknown":
        return ColumnType(kind, ctype.optional)
    if ctype.kind == "const":
        if value != ctype.const:
            raise TypeError(f"{where}: expected the constant {ctype.const!r}, got {value!r}")
        return ctype
    if ctype.kind in ("primary_key", "foreign_key"):
        if kind not in ("string", "number"):
            raise TypeError(f"{where}: a key column holds strings or numbers, got {kind}")
        return ctype
    if kind != ctype.kind:
        hint = " (pass allow_mixed_types=True to Table to allow mixed columns)" if allow_hint else ""
        raise TypeError(f"{where}: expected a value of type {ctype.kind} like the rest of the column, "
                        f"got {kind} {value!r:.60}{hint}")
    return ctype
