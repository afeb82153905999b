"""The contract every loggable object follows.

A media object validates its arguments in its constructor (raising a
``ValueError``/``TypeError`` that names the argument) and, when logged, turns
itself into a plain JSON record with :meth:`Media.to_record`. Files are written
under ``<run>/media/<kind>/`` with deterministic names built from the key, the
step, the index in a list and a content hash (never random), and referenced by
their path relative to the run folder.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar

from ..storage.safety import own_dir

if TYPE_CHECKING:  # numpy is imported only when a helper needs it: plain log() rows stay cheap
    import numpy as np

_SLUG_RE = re.compile(r"[^A-Za-z0-9_.-]+")


def slug(text: str, max_len: int = 48) -> str:
    s = _SLUG_RE.sub("_", text).strip("._") or "key"
    return s[:max_len]


def content_hash(data: bytes, n: int = 12) -> str:
    return hashlib.sha256(data).hexdigest()[:n]


@dataclass
class MediaContext:
    """Where and under which name a logged object writes its files."""

    run_dir: Path
    key: str
    step: int | None
    index: int | None = None
    suffix: str = ""  # set by :meth:`sub` (e.g. a table cell), part of every file name
    #: the path files are written by (a run's: through its folder's descriptor, so a file written while
    #: the folder is moved lands in it, not in a new folder at its old path: storage.moved); run_dir
    #: stays the run's identity
    reach: Callable[[], Path] | None = field(default=None, repr=False, compare=False)

    def file_name(self, ext: str, data: bytes, suffix: str = "") -> str:
        parts = [slug(self.key)]
        parts.append("summary" if self.step is None else str(self.step))
        if self.index is not None:
            parts.append(str(self.index))
        if self.suffix:
            parts.append(slug(self.suffix))
        if suffix:
            parts.append(slug(suffix))
        parts.append(content_hash(data))
        return "_".join(parts) + "." + ext.lstrip(".")

    def write_bytes(self, kind: str, ext: str, data: bytes, suffix: str = "", named_by: bytes | None = None) -> str:
        """Write ``data`` under ``media/<kind>/`` and return its run-relative path. The name's hash is
        of ``data``, or of ``named_by`` (what the data was made from, when making it is not
        byte-reproducible)."""
        base = self.run_dir if self.reach is None else self.reach()
        folder = own_dir(base, f"media/{kind}")  # never a link out of a shared run folder
        name = self.file_name(ext, data if named_by is None else named_by, suffix)
        target = folder / name
        if not target.exists():
            # a temp name of this thread's own: two threads logging the same file (same name) at once
            # renamed one temp file twice (FileNotFoundError in the second)
            tmp = target.with_name(f".{name}.{os.getpid()}-{threading.get_ident()}.tmp")
            try:
                tmp.write_bytes(data)
                tmp.replace(target)
            except BaseException:
                # a full disk (or a kill) must not leave a half-written temp file behind
                tmp.unlink(missing_ok=True)
                raise
        return f"media/{kind}/{name}"

    def write_json(self, kind: str, obj: Any, suffix: str = "") -> str:
        """Write ``obj`` as JSON (non-finite floats kept as tokens) under ``media/<kind>/``; TooDeep (a
        ValueError: log() and the summary warn naming the key) when it nests deeper than the site
        reads a run's JSON file (``MAX_DEPTH`` levels, the file being the first). (Bug: a Table with a
        cell 150 lists deep was written without a word, and its page said "could not show".)"""
        from ..storage.jsonio import dumps
        from ..storage.safety import MAX_DEPTH

        return self.write_bytes(kind, "json", dumps(obj, max_depth=MAX_DEPTH), suffix)

    def write_spec(self, spec: Any, suffix: str = "") -> str:
        """:meth:`write_json` for a Vega-Lite spec under ``media/charts/`` (:func:`check_spec`)."""
        check_spec(spec)
        return self.write_json("charts", spec, suffix)

    def child(self, index: int, suffix: str = "") -> "MediaContext":
        """The context of item ``index`` of a list logged under one key."""
        return MediaContext(self.run_dir, self.key, self.step, index, _join(self.suffix, suffix), self.reach)

    def sub(self, suffix: str) -> "MediaContext":
        """A context whose file names carry an extra ``suffix`` (e.g. ``r3c1`` for a table cell)."""
        return MediaContext(self.run_dir, self.key, self.step, self.index, _join(self.suffix, suffix), self.reach)


def check_spec(spec: Any) -> None:
    """TooDeep (a ValueError: log() warns naming the key) when the Vega-Lite spec ``spec`` nests
    deeper than ``MAX_SPEC_DEPTH`` levels (itself the first), the deepest the site draws: it refuses
    a deeper spec whole."""
    from ..storage.jsonio import TooDeep
    from ..storage.safety import MAX_SPEC_DEPTH, too_deep

    if too_deep(spec, MAX_SPEC_DEPTH):
        raise TooDeep(f"the Vega-Lite spec nests deeper than {MAX_SPEC_DEPTH} levels, which the site does not draw")


def _join(a: str, b: str) -> str:
    return f"{a}_{b}" if a and b else (a or b)


class Media:
    """Base class of every loggable object."""

    TYPE: ClassVar[str] = ""
    #: More than this many objects of the class under one key in one step is an error.
    MAX_PER_STEP: ClassVar[int | None] = None
    #: More than this many objects under one key in one step gives a warning.
    WARN_PER_STEP: ClassVar[int | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("TYPE") and not getattr(cls, "_abstract", False):
            raise TypeError(f"{cls.__name__} must declare a TYPE tag")

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


# -- helpers shared by the media modules ------------------------------------------

def to_numpy(value: Any) -> "np.ndarray | None":
    """``value`` as a numpy array when it is one or looks like a tensor, else None.

    Tensors are recognised by duck typing (``.detach().cpu().numpy()`` for torch,
    ``.numpy()`` for TensorFlow/JAX-likes), so no framework is imported here; they are
    converted as ``log()`` converts them (:func:`reportgen.sdk.values.to_numpy`).
    """
    import numpy as np

    if isinstance(value, np.ndarray):
        return value
    if (hasattr(value, "detach") and hasattr(value, "cpu")) or \
            (hasattr(value, "numpy") and callable(value.numpy) and hasattr(value, "shape")) or \
            (hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype")):
        from ..sdk.values import to_numpy as convert

        return convert(value)
    return None


def as_array(value: Any, where: str, expected: str, dtype: Any = None) -> "np.ndarray":
    """``value`` (an array, a tensor or nested lists) as a numpy array; a ``TypeError`` naming
    ``where`` and what was ``expected`` when it is none of those. ``dtype`` applies to lists."""
    import numpy as np

    arr = to_numpy(value)
    if arr is None:
        try:
            arr = np.asarray(value, dtype=dtype)
        except Exception:
            raise TypeError(f"{where}: expected {expected}") from None
    return arr


def check_caption(caption: Any, arg: str = "caption") -> str | None:
    if caption is None:
        return None
    if isinstance(caption, (str, int, float)) and not isinstance(caption, bool):
        return str(caption)
    raise TypeError(f"{arg}: expected a string, got {type(caption).__name__}")


def read_source(data: Any, arg: str) -> tuple[bytes, str | None]:
    """Read a path or a file object; return its bytes and its file name (if known)."""
    import os

    if isinstance(data, (str, os.PathLike)):
        return read_once(data, arg, "media")  # (opened once, as audio and video are)
    if hasattr(data, "read"):
        name = getattr(data, "name", None)
        if isinstance(name, (str, os.PathLike)) and "b" not in str(getattr(data, "mode", "b")) \
                and Path(name).is_file():
            return read_once(name, arg, "media")  # text-mode open() of a binary file works too
        content = data.read()
        if isinstance(content, str):
            content = content.encode("utf-8")
        if not isinstance(content, (bytes, bytearray)):
            raise TypeError(f"{arg}: the file object returned {type(content).__name__}, expected bytes or str")
        name = getattr(data, "name", None)
        return bytes(content), (Path(name).name if isinstance(name, (str, os.PathLike)) else None)
    raise TypeError(f"{arg}: expected a path or a file object, got {type(data).__name__}")


def read_once(source: Any, arg: str, what: str) -> tuple[bytes, str]:
    """The bytes and the file name of a media file given as a path or as a binary file object already
    opened (an importer opens the source's file once: :mod:`reportgen.importers.wandb_media`). A path
    is opened once, its links resolved first (the user's own: a DVC cache links its files), then
    without following a link put there since (``O_NOFOLLOW``), non-blocking, and checked on the open
    descriptor: a regular file (bug: a regular-file check, then ``open()`` of the path, read a named
    pipe or a link swapped in between, or blocked on the pipe for ever). ValueError naming ``arg``."""
    from ..storage.safety import NotRegularFile, open_regular

    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        return source.read(), (os.path.basename(os.fsdecode(name)) if isinstance(name, (str, bytes, os.PathLike))
                               else "")
    path = os.fspath(source)
    try:
        with open_regular(os.path.realpath(path), follow=False) as fh:
            return fh.read(), os.path.basename(path)
    except NotRegularFile:
        raise ValueError(f"{arg}: {path!r} is not a regular {what} file (a pipe, socket, device, folder or "
                         "link); not read") from None
    except FileNotFoundError:
        raise ValueError(f"{arg}: {what} file not found: {path!r}") from None
    except OSError as exc:
        raise ValueError(f"{arg}: {what} file {path!r} cannot be read ({exc.strerror or exc})") from None


def extension(name: str | None) -> str:
    """Lower-case extension without the dot (``"a.PDB"`` -> ``"pdb"``)."""
    if not name or "." not in name:
        return ""
    return name.rsplit(".", 1)[1].lower()
