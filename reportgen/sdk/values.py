"""Turning logged Python values into what a run folder stores.

``Normalizer(run_dir).normalize(key, value, step)`` maps one logged value to plain JSON data:

- ``bool``, ``int``, ``float`` (NaN and +-Infinity included), ``str``, ``None``: as is;
- numpy / torch scalars and 0-d or one-element arrays and tensors: the Python scalar;
- arrays and tensors with more than one element: a ``histogram`` record (as wandb does);
- :class:`reportgen.media.Media` objects: ``value.to_record(ctx)``;
- a list/tuple of Media: a ``gallery`` record; other lists stay JSON lists;
- nested dicts stay nested (the builder shows them as ``a/b`` paths);
- matplotlib / plotly figures and objects with a ``_reportgen_record(ctx)`` hook:
  converted by ``reportgen.media.convert.to_media`` when that module exists.

Anything else raises :class:`Unsupported`; the caller warns once naming the key
and the type, and logs the rest of the row. Tensors are duck-typed
(``.detach().cpu().numpy()``), so neither numpy nor torch is imported here.
"""
from __future__ import annotations

import os
import sys
import types
import warnings
from typing import Any

from ..storage import kinds
from ..storage.moved import named
from ..storage.safety import printable

SCALAR_TYPES = (bool, int, float, str, type(None))
_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointing at the first caller outside the reportgen package."""
    pkg = _PKG_DIR
    frame = sys._getframe(1)
    level = 2  # stacklevel=1 would be this function
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(pkg):
        frame = frame.f_back
        level += 1
    # (keys and ids of a resumed, shared run; a run folder by the folder's place, not /proc/self/fd/<n>)
    warnings.warn(printable(named(message)), category, stacklevel=level)


def valid_unicode(what: str, key: str, value: Any) -> tuple[str, Any]:
    """``key`` and ``value`` (JSON data) with each lone surrogate replaced by U+FFFD, as the JSON files
    store them, with one warning naming the key when there was one, as log() warns (``what``: "summary",
    "config"). Call it on a value whose depth is already bounded (the walk recurses)."""
    from ..storage.jsonio import any_surrogates, fix_surrogates

    bad_key, bad_value = any_surrogates(key), any_surrogates(value)
    if not (bad_key or bad_value):
        return key, value
    fixed = fix_surrogates(key) if bad_key else key
    which = "the key and its text are" if bad_key and bad_value else "the key is" if bad_key else "its text is"
    user_warn(f"{what} key {key!r}: {which} not valid Unicode (lone surrogates, e.g. from a file name); "
              "each is stored as U+FFFD" + (f", under the key {fixed!r}" if bad_key else ""))
    return fixed, (fix_surrogates(value) if bad_value else value)


class Unsupported(TypeError):
    """A value that cannot be stored; carries the offending type name."""

    def __init__(self, type_name: str, reason: str = ""):
        super().__init__(type_name)
        self.type_name = type_name
        self.reason = reason


class TooManyMedia(ValueError):
    """More media objects under one key than the type allows per step (raised to the caller)."""


def _media_base():
    from ..media.base import Media, MediaContext
    return Media, MediaContext


def is_media(value: Any) -> bool:
    Media, _ = _media_base()
    return isinstance(value, Media)


ARRAY_AS_LIST = 32  # wandb: an array or tensor of at most 32 values is logged as a list
ARRAY_BINS = 32  # and a bigger one as a histogram of 32 bins (not Histogram()'s default 64)


def _is_array_like(value: Any) -> bool:
    t = type(value)
    return hasattr(t, "shape") and hasattr(t, "dtype") or (hasattr(value, "detach") and hasattr(value, "shape"))


def to_numpy(value: Any):
    """numpy array from a numpy array, a torch tensor (duck-typed) or a jax/tf array."""
    import numpy as np

    if hasattr(value, "detach"):  # torch
        value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        try:
            return np.asarray(value.numpy())
        except TypeError:  # bfloat16 & co. have no numpy dtype
            if not hasattr(value, "float"):
                raise
            return np.asarray(value.float().numpy())
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):  # tensorflow eager
        try:
            return np.asarray(value.numpy())
        except Exception:  # noqa: BLE001 - fall back to the array protocol
            pass
    return np.asarray(value)


def scalar_from_numpy(value: Any) -> Any:
    """A Python scalar from a numpy scalar (``np.float32(1)`` -> ``1.0``)."""
    item = value.item()
    if isinstance(item, bytes):
        return item.decode("utf-8", "replace")
    if type(item) not in SCALAR_TYPES:
        raise Unsupported(type(value).__name__, "numpy scalar of an unsupported dtype")
    return item


def _is_figure(value: Any) -> bool:
    if hasattr(value, "_reportgen_record"):
        return True
    if isinstance(value, types.ModuleType):
        return value.__name__ == "matplotlib.pyplot"
    module = type(value).__module__ or ""
    return module.startswith(("matplotlib.", "plotly.", "altair."))


def convert_figure(value: Any) -> Any:
    """A Media object for a figure / hooked object via ``reportgen.media.convert``."""
    try:
        from ..media.convert import to_media
    except ImportError:
        raise Unsupported(type(value).__name__, "figure conversion is not available") from None
    try:
        return to_media(value)
    except TypeError as exc:
        raise Unsupported(type(value).__name__, str(exc)) from None


class Normalizer:
    """Per-run state for :meth:`normalize`: warns once per key about large galleries."""

    def __init__(self, run_dir, reach=None):
        self.run_dir = run_dir
        self.reach = reach  # the path media files are written by (MediaContext.reach), else run_dir
        self._warned_gallery: set[str] = set()

    def context(self, key: str, step: int | None, index: int | None = None):
        _, MediaContext = _media_base()
        return MediaContext(self.run_dir, key, step, index, reach=self.reach)

    def normalize(self, key: str, value: Any, step: int | None) -> Any:
        """Normalise one logged value (raises :class:`Unsupported` or ValueError for too many media)."""
        t = type(value)
        if t in SCALAR_TYPES:
            return value
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                sub = k if isinstance(k, str) else str(k)
                out[sub] = self.normalize(f"{key}/{sub}", v, step)
            return out
        if isinstance(value, (list, tuple)):
            return self._sequence(key, value, step)
        if t.__module__ == "numpy" and t.__name__ != "ndarray" and hasattr(value, "item"):
            return scalar_from_numpy(value)  # numpy scalars (np.float64 & co.)
        if isinstance(value, SCALAR_TYPES):  # subclasses: IntEnum, str subclasses...
            for base in (bool, int, float, str):
                if isinstance(value, base):
                    return base(value)
        Media, _ = _media_base()
        if isinstance(value, Media):
            return value.to_record(self.context(key, step))
        if _is_array_like(value):
            return self._array(key, value, step)
        if _is_figure(value):
            ctx = self.context(key, step)
            hook = getattr(value, "_reportgen_record", None)
            if callable(hook) and not isinstance(value, types.ModuleType):
                result = hook(ctx)  # a record dict, or a Media to record
                if isinstance(result, Media):
                    return result.to_record(ctx)
                if isinstance(result, dict) and "_type" in result:
                    return result
                raise Unsupported(t.__name__, "_reportgen_record() must return a record dict with '_type' or a Media")
            return convert_figure(value).to_record(ctx)
        raise Unsupported(t.__name__)

    def _array(self, key: str, value: Any, step: int | None) -> Any:
        """As wandb: one value is a number, up to :data:`ARRAY_AS_LIST` a (nested) list, more a
        histogram of :data:`ARRAY_BINS` bins (wandb's ``maybe_compress_history``)."""
        arr = to_numpy(value)
        if arr.size == 1:
            return scalar_from_numpy(arr.reshape(()))
        if arr.size == 0:
            return []
        if arr.size <= ARRAY_AS_LIST and arr.dtype.kind in "biufU":
            return self._sequence(key, arr.tolist(), step)
        if arr.dtype.kind not in "biuf":
            raise Unsupported(f"{type(value).__name__}[{arr.dtype}]", "only numeric arrays become histograms")
        from ..media.histogram import Histogram
        return Histogram(arr, num_bins=ARRAY_BINS).to_record(self.context(key, step))

    def _sequence(self, key: str, value: list | tuple, step: int | None) -> Any:
        if not value:
            return []
        Media, _ = _media_base()
        if all(isinstance(item, Media) for item in value):
            return self._gallery(key, value, step)
        out = []
        for i, item in enumerate(value):
            if type(item) in SCALAR_TYPES:
                out.append(item)
            elif isinstance(item, Media):
                out.append(item.to_record(self.context(key, step, i)))
            else:
                out.append(self.normalize(key, item, step))
        return out

    def _gallery(self, key: str, items: list | tuple, step: int | None) -> dict[str, Any]:
        n = len(items)
        for cls in dict.fromkeys(type(item) for item in items):  # first-seen order: deterministic
            limit = getattr(cls, "MAX_PER_STEP", None)
            if limit is not None and n > limit:
                raise TooManyMedia(f"log(): key {key!r}: at most {limit} {cls.__name__} objects per step, got {n}")
            soft = getattr(cls, "WARN_PER_STEP", None)
            if soft is not None and n > soft and key not in self._warned_gallery:
                self._warned_gallery.add(key)
                user_warn(f"log(): key {key!r}: {n} {cls.__name__} objects in one step; "
                          f"fewer than {soft} per step is recommended")
        ctx = self.context(key, step)
        return {"_type": kinds.GALLERY, "items": [item.to_record(ctx.child(i)) for i, item in enumerate(items)],
                "count": n}


# -- summary tensors -------------------------------------------------------------------

TENSOR_PERCENTILES = (5, 25, 50, 75, 95)


def tensor_stats(arr) -> dict[str, Any]:
    """min, max, mean, std, var and p5..p95 of the finite values of ``arr`` (NaN if none)."""
    import numpy as np

    flat = np.asarray(arr, dtype=np.float64).ravel()
    finite = flat[np.isfinite(flat)]
    stats: dict[str, Any] = {"shape": list(np.shape(arr)), "dtype": str(np.asarray(arr).dtype)}
    if finite.size == 0:
        nan = float("nan")
        stats.update(min=nan, max=nan, mean=nan, std=nan, var=nan)
        stats.update({f"p{p}": nan for p in TENSOR_PERCENTILES})
        return stats
    stats.update(min=float(finite.min()), max=float(finite.max()), mean=float(finite.mean()),
                 std=float(finite.std()), var=float(finite.var()))
    for p, v in zip(TENSOR_PERCENTILES, np.percentile(finite, TENSOR_PERCENTILES)):
        stats[f"p{p}"] = float(v)
    return stats


def tensor_record(arr, ctx) -> dict[str, Any]:
    """Save ``arr`` as ``.npy`` under ``media/tensors/`` and return the summary record."""
    import io

    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.asarray(arr), allow_pickle=False)
    path = ctx.write_bytes("tensors", "npy", buf.getvalue())
    return {"_type": kinds.TENSOR, "path": path, **tensor_stats(arr)}


def summary_value(normalizer: Normalizer, key: str, value: Any) -> Any:
    """A value set explicitly on ``run.summary``: arrays/tensors become ``tensor`` records.

    Raises TypeError naming the key for values that cannot be stored.
    """
    try:
        if _is_array_like(value) and not is_media(value):
            arr = to_numpy(value)
            if arr.size > 1 and arr.dtype.kind in "biuf":
                return tensor_record(arr, normalizer.context(key, None))
        return normalizer.normalize(key, value, None)
    except Unsupported as exc:
        raise TypeError(f"summary key {key!r}: values of type {exc.type_name} cannot be stored"
                        + (f" ({exc.reason})" if exc.reason else "")) from None


__all__ = ["Normalizer", "Unsupported", "TooManyMedia", "tensor_stats", "tensor_record", "summary_value", "to_numpy"]
