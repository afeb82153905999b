"""JSON encoding for run folders.

Plain JSON everywhere, with one extension: non-finite floats are written as the
bare tokens ``NaN``, ``Infinity`` and ``-Infinity`` (the convention of Python's
``json`` module), so they survive the round trip instead of becoming ``null``.
Lines without non-finite values are encoded and decoded by orjson.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Iterator

import orjson

_ORJSON_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _has_nonfinite(obj: Any) -> bool:
    """Is there a NaN or an infinity anywhere in ``obj``? (Iterative: a cell nested 490 lists deep
    raised RecursionError here, and its table could not be shown.)"""
    stack = [obj]
    while stack:
        v = stack.pop()
        if type(v) is float:
            if v - v != 0.0:
                return True
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, float) and not math.isfinite(v):  # numpy floating scalars subclass float
            return True
    return False


def _json_default(obj: Any) -> Any:
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if np is not None:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def fix_text(text: str) -> str:
    """``text`` encodable as UTF-8: surrogate pairs joined, each lone surrogate replaced by U+FFFD.

    Lone surrogates come from ``os.listdir``/``sys.argv`` on undecodable bytes
    (``surrogateescape``) or from broken UTF-16; U+FFFD is what decoding the original
    bytes with ``errors="replace"`` gives."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def any_surrogates(obj: Any) -> bool:
    """True if a string or dict key anywhere in ``obj`` holds a lone surrogate."""
    if isinstance(obj, str):
        return has_surrogates(obj)
    if isinstance(obj, dict):
        return any(any_surrogates(k) or any_surrogates(v) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return any(any_surrogates(v) for v in obj)
    return False


def fix_surrogates(obj: Any) -> Any:
    """``obj`` with :func:`fix_text` applied to every string and dict key inside it."""
    if isinstance(obj, str):
        return fix_text(obj) if has_surrogates(obj) else obj
    if isinstance(obj, dict):
        return {fix_surrogates(k): fix_surrogates(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [fix_surrogates(v) for v in obj]
    return obj


#: dicts and lists nested deeper than this are never encoded (:class:`TooDeep`): orjson's own limit,
#: the encoder's hard bound (the stdlib encoder took them up to Python's recursion limit, ~1,000, so
#: whether a value was written depended on its floats and on the caller's stack). What the SDK writes
#: into a run folder is held to the readers' ``safety.MAX_DEPTH`` instead (``max_depth``); the
#: builder's own files wrap values read at that depth in levels of their own, so they keep this one.
ENCODE_DEPTH = 255


def dumps(obj: Any, *, indent: bool = False, fix: bool = True, max_depth: int = ENCODE_DEPTH) -> bytes:
    """Encode ``obj``; NaN/Infinity become bare tokens rather than null; :class:`TooDeep` (a
    ValueError) for dicts and lists nested deeper than ``max_depth`` (``obj`` itself is the first
    level, as ``safety.too_deep`` counts; at most :data:`ENCODE_DEPTH`).

    Lone surrogates become U+FFFD (``fix``), or raise UnicodeEncodeError (``fix=False``:
    history lines, whose writer warns naming the key)."""
    limit = min(max_depth, ENCODE_DEPTH)
    deep = f"nested deeper than {limit} levels" + (", counted from the row or file it is in" if limit < ENCODE_DEPTH else "")
    if not _has_nonfinite(obj):
        # orjson refuses more than ENCODE_DEPTH levels: ``obj`` wrapped in ``pad`` lists is refused exactly
        # when it nests deeper than ``limit``, and its encoding is that of ``obj`` between the wrappers'
        # brackets. The depth is checked in C as the value is encoded (a Python walk of a 10,000-row
        # table or a 100,000-point scene made logging it 1.4x and 2.1x dearer); indented output is not
        # that of ``obj`` wrapped, and is checked by the walk. (orjson does not count a tuple's levels:
        # the SDK turns tuples into lists before it encodes a value, and readers give lists)
        pad = ENCODE_DEPTH - limit if not indent else 0
        if indent:
            _refuse_deep(obj, limit, deep)
        wrapped = obj
        for _ in range(pad):
            wrapped = [wrapped]
        try:
            out = orjson.dumps(wrapped, option=_ORJSON_OPTS | (orjson.OPT_INDENT_2 if indent else 0))
            return out[pad:len(out) - pad] if pad else out
        except TypeError as exc:  # fall through to the stdlib, which reports the offending type
            if "Recursion limit" in str(exc):
                raise TooDeep(deep) from None
    _refuse_deep(obj, limit, deep)
    text = json.dumps(obj, allow_nan=True, default=_json_default, indent=2 if indent else None, ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        if not fix:
            raise
        return fix_text(text).encode("utf-8")


def _refuse_deep(obj: Any, limit: int, deep: str) -> None:
    """:class:`TooDeep` when ``obj`` nests deeper than ``limit`` (a walk that never recurses)."""
    from .safety import too_deep

    if too_deep(obj, limit):
        raise TooDeep(deep)


class TooDeep(ValueError):
    """JSON nested deeper than the decoders take (orjson's depth limit, or Python's recursion limit)."""


def _parse_int(s: str) -> int | float:
    """A JSON integer as orjson reads one: an int within 64 bits, else a float (+-inf past a double:
    orjson refuses such a document, and the stdlib made a 400-digit int that ended the build with
    OverflowError wherever it met a float)."""
    if len(s) <= 20:
        i = int(s)
        if -(1 << 63) <= i < 1 << 64:
            return i
    return float(s)


#: integers of more digits are read as floats (+-inf) even by ``exact_ints`` readers: Python's own bound
#: on parsing an int (``sys.get_int_max_str_digits()``, 4300), past which the work grows as its square
INT_DIGITS = 4300
_LONG_INT = re.compile(r"\d{19}")  # (an integer of fewer digits is within orjson's 64 bits: read exactly by it)
#: each digit and "-" as "9", any other byte a space: :func:`has_long_int` looks for 20 of them in a row, the
#: integers orjson reads as floats (past 2**64, or a "-" and 19 digits: below -2**63), in C (the regex
#: above took 2.1 us a history line, this 0.7, and the Api's reader checks many lines at once)
_DIGITS_ONLY = bytes(57 if 48 <= i <= 57 or i == 45 else 32 for i in range(256))
_DIGIT_RUN = b"9" * 20


def has_long_int(data: bytes) -> bool:
    """Might ``data`` (JSON) hold an integer orjson does not read exactly (it reads one past 64 bits as a float)?"""
    return _DIGIT_RUN in data.translate(_DIGITS_ONLY)


def _exact_int(s: str) -> int | float:
    """A JSON integer as Python's json module reads it (any size: wandb's Api gives ints), up to
    :data:`INT_DIGITS` digits; a longer one as the float orjson would make of it."""
    if len(s) - s.startswith("-") <= INT_DIGITS:
        return int(s)
    return float(s)


class IntText(str):
    """An integer past a double, as its digits (:func:`_int_or_digits`): text to the builder, which shows and
    exports it as it is, and tells it from text logged as text (the runs table sorts it as a number)."""

    __slots__ = ()


def _int_or_digits(s: str) -> int | float | str:
    """:func:`_exact_int`, but an int past a double (10**400) as its digits (:class:`IntText`): text the
    builder shows and exports as it is, where an int no float holds would end any arithmetic (OverflowError)."""
    value = _exact_int(s)
    if isinstance(value, int) and len(s) > 300:
        try:
            float(value)
        except OverflowError:
            return IntText(s)
    return value


def loads(data: bytes | str, *, max_depth: int | None = None, what: str = "JSON",
          exact_ints: bool | str = False) -> Any:
    """Decode JSON (NaN/Infinity tokens accepted); ValueError for anything else, including
    nesting too deep for the decoder (never RecursionError). ``max_depth``: a value whose dicts and
    lists nest deeper is refused too (:class:`TooDeep` naming ``what`` and the limit). An integer past
    64 bits is read as a float (orjson's reading), or, with ``exact_ints`` (run.summary and run.config
    read back by the Api), as the int it is, up to :data:`INT_DIGITS` digits; ``exact_ints="digits"``
    (the builder's reading of them): the same, but one past a double as its digits, text."""
    if max_depth is None:
        return _loads(data, exact_ints)
    from .safety import too_deep

    try:
        value = _loads(data, exact_ints)
        deep = text_depth(data) > max_depth if _JSON_STRING is not None and isinstance(data, bytes) \
            and len(data) >= TEXT_DEPTH_BYTES else too_deep(value, max_depth)
    except TooDeep:  # (deeper than the decoder goes: deeper than max_depth too)
        deep = True
    if deep:
        raise TooDeep(f"{what}: nested deeper than {max_depth} levels; not read")
    return value


#: a JSON document read with a depth bound is measured from its text (:func:`text_depth`) from this
#: size on: the walk of the decoded value (safety.too_deep) took 5 s of a 2M-point scene's 7.4 s read
TEXT_DEPTH_BYTES = 1 << 20
try:  # a JSON string, possessive (Python 3.11+): the regex engine keeps no state per character or escape
    # (the plain '"(?:[^"\\]|\\.)*"' held memory in proportion to a string's length: a table file of one
    # 60 MiB cell was MemoryError under a 6 GiB limit, and the table not shown)
    _JSON_STRING: re.Pattern[bytes] | None = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
except re.error:  # Python 3.10 has no possessive repeats: the decoded value is walked instead
    _JSON_STRING = None


def text_depth(data: bytes) -> int:
    """How deep the dicts and lists of the JSON document ``data`` nest (as ``safety.too_deep`` counts:
    the outermost is level 1), from its brackets outside strings, counted with numpy: a document
    orjson or the standard library decoded holds no other bracket."""
    import numpy as np

    steps = np.zeros(256, np.int8)
    steps[[ord("["), ord("{")]], steps[[ord("]"), ord("}")]] = 1, -1
    if _JSON_STRING is None:
        raise NotImplementedError("text_depth needs Python 3.11+ (possessive repeats)")
    text = _JSON_STRING.sub(b'""', data) if b'"' in data else data
    moves = steps[np.frombuffer(text, np.uint8)]
    moves = moves[moves != 0]
    return int(np.cumsum(moves, dtype=np.int32).max()) if moves.size else 0


def _loads(data: bytes | str, exact_ints: bool | str = False) -> Any:
    parse_int = (_int_or_digits if exact_ints == "digits" else _exact_int) if exact_ints else _parse_int
    if exact_ints and (has_long_int(data) if isinstance(data, bytes) else _LONG_INT.search(data)):
        return _std_loads(_text(data), parse_int)  # (else orjson reads every integer exactly)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc) or "recursion" in str(exc):  # orjson >= 3.9 limits nesting itself
            raise TooDeep("JSON nested too deeply") from None
        # NaN / Infinity tokens are not JSON to orjson; the stdlib accepts them.
        return _std_loads(_text(data), parse_int)


def _text(data: bytes | str) -> str:
    """decoded as json.loads(bytes) does (surrogatepass), kept to look for surrogates"""
    return data.decode(json.detect_encoding(data), "surrogatepass") if isinstance(data, bytes) else data


def _std_loads(text: str, parse_int: Any) -> Any:
    try:
        obj = json.loads(text, parse_int=parse_int)
    except RecursionError:
        raise TooDeep("JSON nested too deeply") from None
    if _SURROGATE.search(text):
        obj = _no_surrogates(obj)
    return obj


# "\ud800" (escaped, or as raw bytes) decodes to a lone surrogate that cannot be written as
# UTF-8 again: readers replace it, so a page or data file can always be written.
_SURROGATE = re.compile("[\ud800-\udfff]|\\\\[uU][dD][89a-fA-F]")


def _fix_str(s: str) -> str:
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _no_surrogates(v: Any) -> Any:
    if isinstance(v, str):
        return _fix_str(v)
    if isinstance(v, list):
        return [_no_surrogates(x) for x in v]
    if isinstance(v, dict):
        return {_fix_str(k): _no_surrogates(x) for k, x in v.items()}
    return v


def encode_line(row: dict, max_depth: int = ENCODE_DEPTH) -> bytes:
    """One history line, newline included (raises on values JSON cannot hold, lone surrogates included;
    :class:`TooDeep` past ``max_depth`` levels, the row being the first)."""
    return dumps(row, fix=False, max_depth=max_depth) + b"\n"


_LINE_OPTS = orjson.OPT_APPEND_NEWLINE


def encode_plain_line(row: dict, maybe_nonfinite: bool, max_depth: int = ENCODE_DEPTH) -> bytes:
    """The hot path of ``log()``: ``row`` holds plain JSON values already (normalised).

    The caller tracks whether any float in it may be non-finite, or any value is a dict or list;
    only then the slower token-preserving encoder runs (and checks ``max_depth``, as
    :func:`encode_line`).
    """
    if not maybe_nonfinite:
        try:
            return orjson.dumps(row, option=_LINE_OPTS)
        except TypeError:  # e.g. integers beyond 64 bits
            pass
    return encode_line(row, max_depth)


def decode_line(line: bytes | str, exact_ints: bool | str = False) -> Any:
    """One history line; ``exact_ints``: its integers past 64 bits as ints (the Api's reading), as :func:`loads`."""
    return loads(line, exact_ints=exact_ints)


def read_json(path: str | os.PathLike, max_bytes: int | None = None, *, max_depth: int | None = None,
              exact_ints: bool | str = False) -> Any:
    """Decode a JSON file; only a regular file of at most ``max_bytes`` is read (else
    ``safety.NotRegularFile`` / ``safety.FileTooBig``): a pipe under a run file's name must not
    block the reader, a huge (e.g. sparse) one must not fill memory. ``max_depth``, ``exact_ints``: as :func:`loads`."""
    from .safety import open_regular

    with open_regular(path, max_bytes) as fh:
        return loads(fh.read(), max_depth=max_depth, what=Path(path).name, exact_ints=exact_ints)


_umask_cache: int | None = None


def current_umask() -> int:
    """The process umask, read without changing it where Linux allows (``/proc/self/status``)."""
    global _umask_cache
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    if _umask_cache is None:  # elsewhere: set and restore once (racy with other threads, so cached)
        _umask_cache = os.umask(0o022)
        os.umask(_umask_cache)
    return _umask_cache


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, *, fsync: bool = True) -> Iterator[Any]:
    """A binary file object whose content replaces ``path`` at once when the block ends: temp
    file in the same folder, fsync (unless ``fsync=False``: a kill cannot tear it either), rename. If the block (or the writing) fails, ``path`` keeps
    its previous content and no temp file is left.

    The file gets the permissions of any file the user creates (``0o666 & ~umask``),
    like history and media, not ``mkstemp``'s private 0600."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):  # POSIX; Windows has no mode bits to set
                os.fchmod(fh.fileno(), 0o666 & ~current_umask())
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` atomically (:func:`atomic_file`)."""
    data = dumps(obj, indent=True) + b"\n"
    with atomic_file(path) as fh:
        fh.write(data)
