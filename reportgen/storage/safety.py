"""Rules for untrusted run folders: safe names, paths that stay inside, bounded nesting.

Run folders, reports and presets come from other people (see docs/site.md, "Trust").
Everything that turns something read from them into a file-system path or a site path
goes through this module:

- :func:`safe_name`: a name that is used as it is when it is already safe
  (``[A-Za-z0-9][A-Za-z0-9_.-]{0,63}``), else a slug plus a short hash of the original;
- :func:`inside`: a relative path from a record, resolved (links followed) and refused
  unless it stays inside its base folder;
- :func:`too_deep`: values nested deeper than :data:`MAX_DEPTH` are refused by the readers
  (one warning per line or file) instead of overflowing the stack of every later step;
- :func:`open_regular`: how readers open a file from a run folder: a named pipe, socket or
  device under a run file's name is refused (:class:`NotRegularFile`) instead of blocking the
  build forever or reading without end; :func:`open_own`, how the SDK opens the files it
  appends to: never through a link; :func:`own_dir`, the folders it writes in: never a link;
  :func:`write_own`, the files it writes whole (temp file, then renamed over the name) in such folders;
- :func:`reading_inside`: while the builder reads one run folder, every :func:`open_regular` checks
  where the file it opened really is (the open descriptor's path): a run folder replaced by a link
  out of the runs root *after* it was listed (while ``serve --watch`` rebuilt) had its link target's
  history and media published, since the checks made by name come before the opens.
"""
from __future__ import annotations

import contextvars
import errno
import hashlib
import os
import re
import shutil
import stat
import sys
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable, Iterator

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
#: Names Windows keeps for devices, in any case and with any extension (``CON``, ``nul.txt``, ``Lpt1``):
#: a site holding one cannot be unzipped, checked out or copied there. Never a site folder or file name.
WINDOWS_DEVICE = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
#: Deepest nesting (dicts and lists) a reader accepts in a history line, config, summary or run.json.
MAX_DEPTH = 100
#: levels a logged Vega-Lite spec may nest (the spec being the first): the site refuses a deeper one
#: (``site.vegaclean``), and the SDK refuses it when it is logged (``media.base.MediaContext.write_spec``)
MAX_SPEC_DEPTH = 60


class UnsafePath(ValueError):
    """A path from a run folder (or a reports/presets folder) that leaves its folder."""


class NotRegularFile(OSError):
    """A run file that is a named pipe, socket, device or folder: never read."""


class FileTooBig(OSError):
    """A run file larger than its reader accepts (``open_regular(max_bytes=...)``): never read."""


class OutsideRunFolder(OSError):
    """A run file that, as opened, is not inside its run folder (the folder, or one on the way to the
    file, was replaced by a link while the builder read it): never read."""


#: the real path of the run folder being read (:func:`reading_inside`), else None
_READING: contextvars.ContextVar[str | None] = contextvars.ContextVar("reportgen_reading", default=None)
_NOWHERE = "\x00"  # (no path is inside it: every open is refused)


def _within(path: str, folder: str) -> bool:
    """Is the real path ``path`` ``folder`` or inside it (both real paths)?"""
    if sys.platform == "darwin":  # (F_GETPATH names a folder as on disk; realpath keeps the case it was given)
        path, folder = path.casefold(), folder.casefold()
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


#: the runs root of the build under way in this thread (:func:`reading_from`), as given and as real
#: path, else None
_ROOT: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("reportgen_runs_root", default=None)


@contextmanager
def reading_from(root: str | os.PathLike) -> Iterator[None]:
    """A build of the runs root ``root``: the default root of :func:`run_folder_real` in the block."""
    # (resolved once for the build, not at every run folder)
    token = _ROOT.set((os.fspath(root), os.path.realpath(root)))
    try:
        yield
    finally:
        _ROOT.reset(token)


def run_folder_real(run_dir: str | os.PathLike, root: str | os.PathLike | None = None) -> str | None:
    """The real path of the run folder ``run_dir`` as it is now, or None when that is no longer inside
    the runs root ``root`` (default: that of the build under way, :func:`reading_from`; None: ``run_dir``
    is the root itself, or a local copy): the folder was replaced by a link out of the root after it
    was listed.

    The root of the build under way is the real path it had when the build began; a folder listed in
    it is then looked at alone (one lstat: a link is resolved), not every folder on the way to it
    (the 'many' build resolved 7 paths of 4 parts for each of its 1,000 runs)."""
    build = _ROOT.get()
    run_dir = os.fspath(run_dir)
    if root is None or (build is not None and os.fspath(root) == build[0]):
        base = build[1] if build is not None else None
    else:
        base = os.path.realpath(root)
    parent, name = os.path.split(run_dir)
    real = None
    if build is not None and parent == build[0] and name not in ("", ".", ".."):
        try:
            if stat.S_ISDIR(os.lstat(run_dir).st_mode):  # (not a link: its real path is the root's and its name)
                real = os.path.join(build[1], name)
        except OSError:
            pass
    if real is None:
        real = os.path.realpath(run_dir)
    if base is not None and not _within(real, base):
        return None
    return real


@contextmanager
def reading_inside(run_dir: str | os.PathLike, root: str | os.PathLike | None = None) -> Iterator[str | None]:
    """A block in which the builder reads files of the run folder ``run_dir`` of the runs root ``root``
    (see :func:`run_folder_real`), and nothing else: every :func:`open_regular` in it (this thread)
    refuses, with :class:`OutsideRunFolder`, a file that is not really inside the folder's real path as
    it is when the block starts; when that is outside ``root`` already, every open is refused.

    The check is made on the open descriptor (its path as the kernel has it), so a run folder swapped
    for a link between any check by name and the open is still caught. Yields the real path (None
    when the folder left the root)."""
    real = run_folder_real(run_dir, root)
    token = _READING.set(_NOWHERE if real is None else real)
    try:
        yield real
    finally:
        _READING.reset(token)


def opened_path(fd: int) -> str | None:
    """Where the open file ``fd`` is, as the kernel names it (Linux ``/proc/self/fd``, macOS
    ``F_GETPATH``), else None."""
    try:
        where = os.readlink(f"/proc/self/fd/{fd}")
        return where[:-len(" (deleted)")] if where.endswith(" (deleted)") else where
    except OSError:
        pass
    try:
        import fcntl

        getpath = getattr(fcntl, "F_GETPATH", None)
        if getpath is not None:
            return os.fsdecode(fcntl.fcntl(fd, getpath, b"\0" * 1024).split(b"\0", 1)[0])
    except (ImportError, OSError):
        pass
    return None


def _check_inside(fd: int, path: str | os.PathLike) -> None:
    region = _READING.get()
    if region is None:
        return
    where = opened_path(fd)
    if where is None or not os.path.isabs(where):  # (no such facility: the name, resolved now)
        where = os.path.realpath(path)
    if not _within(where, region):
        raise OutsideRunFolder(f"{os.fspath(path)}: not inside its run folder when opened (the folder, or one "
                               "on the way, was replaced by a link out of it); not read")


def open_regular(path: str | os.PathLike, max_bytes: int | None = None, follow: bool = True):
    """Open ``path`` for reading in binary mode, refusing anything but a regular file.

    Opened non-blocking first (opening a named pipe with no writer would block), checked with
    fstat on the open descriptor (no race with a swap after a check), then made blocking again.
    ``follow=False``: a link as the path's last part is refused too (``O_NOFOLLOW``: a path checked,
    then swapped for a link to somewhere else before it is opened, is not read).
    Raises :class:`NotRegularFile`, or :class:`FileTooBig` beyond ``max_bytes``, or (inside
    :func:`reading_inside`) :class:`OutsideRunFolder` (all OSErrors, so readers' ``except OSError``
    covers them)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags if follow else flags | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if not follow and exc.errno in (errno.ELOOP, getattr(errno, "EMLINK", None)) and os.path.islink(path):
            raise NotRegularFile(f"{os.fspath(path)}: a symbolic link; not read") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(f"{os.fspath(path)}: not a regular file (a pipe, socket, device or folder); not read")
        if max_bytes is not None and st.st_size > max_bytes:
            raise FileTooBig(f"{os.fspath(path)}: larger than {max_bytes >> 20} MiB; not read")
        _check_inside(fd, path)  # (inside reading_inside(): where the file really is)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return open(path, "rb", opener=lambda _path, _flags: fd)  # (named by the path, as open() names it)
    except BaseException:
        os.close(fd)
        raise


def next_data(fh, pos: int) -> int:
    """Move the binary file ``fh`` to the first byte at or after ``pos`` that is data, not a hole of a
    sparse file, and return that offset (``pos`` itself where the file system cannot tell; the size
    when only a hole follows). A hole reads as zeros, so no line ends in it: a reader skipping the
    rest of an over-long line jumps it (a 1 TiB sparse history.jsonl, a few KB on disk, was read
    byte by byte: ~50 minutes in which `serve --watch` showed no change of any run)."""
    if not hasattr(os, "SEEK_DATA"):
        return pos
    try:
        new = os.lseek(fh.fileno(), pos, os.SEEK_DATA)
    except OSError as exc:
        if exc.errno != errno.ENXIO:  # (EINVAL: not supported here)
            fh.seek(pos)
            return pos
        new = max(pos, os.fstat(fh.fileno()).st_size)  # ENXIO: nothing but a hole up to the end
    # (the lseek above moved the descriptor under fh's buffer: a seek within what fh holds moved only its
    # buffer pointer, and the next read repeated bytes from the descriptor's new place; a seek to the end
    # first drops the buffer)
    fh.seek(0, os.SEEK_END)
    fh.seek(new)
    return new


def open_own(path: str | os.PathLike, flags: int = os.O_WRONLY | os.O_APPEND) -> int:
    """``os.open`` (with ``O_CREAT``, mode ``0o666 & ~umask``) of a file the SDK writes in a run folder.

    A run folder may come from someone else (a shared drive, a colleague's copy, then resumed):
    its ``history.jsonl`` or ``run.lock`` can be a link to ``~/.bashrc``, or a named pipe. Links are
    not followed and anything but a regular file is refused, with :class:`NotRegularFile` (an
    OSError) naming the file, instead of writing (or truncating) outside the run folder."""
    path = os.fspath(path)
    try:
        fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        if os.path.islink(path):
            raise NotRegularFile(f"{path}: a symbolic link (to {os.readlink(path)!r}); reportgen does not write "
                                 "through links in a run folder: remove it, or use another run id") from None
        if exc.errno == getattr(errno, "ENXIO", None):  # a named pipe that nobody reads
            raise NotRegularFile(f"{path}: not a regular file (a named pipe); not written") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile(f"{path}: not a regular file (a pipe, socket, device or folder); not written")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


#: folders are walked and files made by descriptor (``mkdirat``, ``openat``, ``renameat``): a part swapped
#: for a link after it was checked is not followed (else, as on Windows, by name: checked, then used)
_AT = ({os.open, os.mkdir, os.stat, os.readlink, os.rename, os.unlink} <= os.supports_dir_fd
       and hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW"))
_DIR_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def _linked(path: str | os.PathLike, target: str) -> NotRegularFile:
    # (write_own and own_dir write a run folder's files, a download, a sweep's, an export's tables)
    return NotRegularFile(f"{os.fspath(path)}: a symbolic link (to {target!r}); reportgen does not write "
                          "through links where it writes its own files: remove it")


def _own_folder(base: str | os.PathLike, rel: str) -> int | None:
    """The folder ``base/rel`` made one part at a time, none a link (:func:`own_dir`): its open
    descriptor (the caller closes it), or None where folders are not walked by descriptor."""
    Path(base).mkdir(parents=True, exist_ok=True)  # (``base`` itself is the user's choice: followed)
    fd = os.open(base, _DIR_FLAGS) if _AT else None
    path = Path(base)
    try:
        for part in PurePosixPath(rel).parts:
            path = path / part
            name = path if fd is None else part
            try:
                os.mkdir(name, dir_fd=fd)
            except FileExistsError:
                pass
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                raise _linked(path, os.readlink(name, dir_fd=fd))
            if not stat.S_ISDIR(st.st_mode):
                raise NotRegularFile(f"{path}: not a folder; not written")
            if fd is not None:
                try:
                    sub = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # swapped since the check
                        raise NotRegularFile(f"{path}: a symbolic link or not a folder; not written") from None
                    raise
                os.close(fd)
                fd = sub
        return fd
    except BaseException:
        if fd is not None:
            os.close(fd)
        raise


def own_dir(base: str | os.PathLike, rel: str) -> Path:
    """The folder ``base/rel`` (``rel`` a POSIX path the SDK chose: ``media/images``, ``files/code/x``),
    made one part at a time, for the SDK to write in.

    A shared run folder, resumed, can hold ``media/`` or ``files/code`` as a link to ``~`` or
    ``~/.ssh``: the SDK wrote its images and copied code there. A part that is a link, or not a
    folder, is refused with :class:`NotRegularFile` naming it (``base`` itself is the user's choice)."""
    fd = _own_folder(base, rel)
    if fd is not None:
        os.close(fd)
    return Path(base).joinpath(*PurePosixPath(rel).parts)


def write_own(base: str | os.PathLike, rel: str, data: bytes | BinaryIO | Callable[[BinaryIO], object], *,
              fsync: bool = False, refuse_link: bool = False) -> Path:
    """Write ``base/rel`` whole or not at all: ``data`` (bytes, or a binary file read to its end) goes
    into a temporary file beside it, which then replaces the name. The one way the SDK writes a file
    it makes whole into a run folder (``files/requirements.txt``, ``run.save()`` and ``log_code()``
    copies), and ``Api`` downloads, the sweep's per-run files and ``reportgen export``'s tables are written.
    ``data`` may also be a function that writes the file into the binary file it is given (a table's
    writer: ``lambda fh: df.to_parquet(fh)``).

    ``rel`` stays inside ``base`` (no ``..``: :class:`UnsafePath`); the folders on the way are made
    by :func:`own_dir` (none a link) and the file is made and renamed through the folder's descriptor,
    so a folder swapped for a link meanwhile is not followed. A link under the name itself is replaced,
    never written through (``refuse_link``: refused, :class:`NotRegularFile`), and so is a named pipe;
    a folder under the name is refused (NotRegularFile). The file gets ``0o666 & ~umask``."""
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts or "\x00" in rel:
        raise UnsafePath(f"file path {rel!r} leaves {os.fspath(base)}")
    target = Path(base).joinpath(*p.parts)
    folder = _own_folder(base, p.parent.as_posix())
    if folder is None:  # (no descriptor walk here: by name)
        from .jsonio import atomic_file

        if refuse_link and os.path.islink(target):
            raise _linked(target, os.readlink(target))
        with atomic_file(target, fsync=fsync) as fh:
            _put(fh, data)
        return target
    try:
        try:
            st = os.stat(p.name, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and stat.S_ISLNK(st.st_mode) and refuse_link:
            raise _linked(target, os.readlink(p.name, dir_fd=folder))
        if st is not None and stat.S_ISDIR(st.st_mode):
            raise NotRegularFile(f"{target}: a folder; not written")
        tmp = f".{p.name}.{os.urandom(4).hex()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                     0o666, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                _put(fh, data)
                fh.flush()
                if fsync:
                    os.fsync(fh.fileno())
            os.rename(tmp, p.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=folder)
            except OSError:
                pass
            raise
    finally:
        os.close(folder)
    return target


def _put(fh: BinaryIO, data: bytes | BinaryIO | Callable[[BinaryIO], object]) -> None:
    if isinstance(data, (bytes, bytearray, memoryview)):
        fh.write(data)
    elif callable(data):
        data(fh)
    else:
        shutil.copyfileobj(data, fh, 2**20)


def is_safe_name(name: Any) -> bool:
    """A name usable as is for a site folder or file on any file system: ASCII letters, digits and
    ``_.-``, at most 64, not a Windows device name and not ending in a dot (Windows drops it: ``run.``
    would be ``run``)."""
    return (isinstance(name, str) and bool(SAFE_NAME.match(name)) and not name.endswith(".")
            and not WINDOWS_DEVICE.match(name))


def _sha8(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def slug(text: str, *, keep: str = "", max_len: int = 40, fallback: str = "x", hashed: bool = False) -> str:
    """The one slug helper (site paths, ids and file names all come from it): runs of characters
    other than ASCII letters, digits and ``keep`` become ``-`` (trimmed, cut to ``max_len``);
    ``hashed`` appends 8 hex digits of the text's SHA-1, so different texts never share a slug (so does
    a slug that would be a Windows device name, :data:`WINDOWS_DEVICE`)."""
    out = re.sub(f"[^A-Za-z0-9{re.escape(keep)}]+", "-", text).strip("-." if "." in keep else "-")[:max_len]
    out = out or fallback
    device = WINDOWS_DEVICE.match(out)  # (``nul.txt-<hash>`` would be one too: the hash goes after its name)
    if device:
        return f"{device.group(1)}-{_sha8(text)}{device.group(2) or ''}"
    return f"{out}-{_sha8(text)}" if hashed else out


def safe_name(name: Any) -> str:
    """A file-system and URL safe, stable name: ``name`` itself when already safe, else a slug
    of it plus 8 hex digits of its hash (so different names never share a slug)."""
    name = str(name)
    if is_safe_name(name):
        return name
    return slug(name, keep="_.-", hashed=True)


def safe_file_name(part: str) -> str:
    """:func:`safe_name` of a file name that keeps a (safe) extension: ``a b.png`` -> ``a-b-<hash>.png``."""
    if is_safe_name(part):
        return part
    stem, dot, ext = part.rpartition(".")
    if not (dot and stem and re.fullmatch(r"[A-Za-z0-9]{1,10}", ext)):
        return safe_name(part)
    return f"{slug(stem, keep='_.-')}-{_sha8(part)}.{ext}"


def unique_name(name: Any, seen: set[str]) -> str:
    """:func:`safe_name` of ``name``, made unique against ``seen`` (lower-cased names so far), which
    it joins."""
    out = safe_name(name)
    while out.lower() in seen:  # also unique on case-insensitive file systems
        out = safe_name(out + "_")
    seen.add(out.lower())
    return out


def unique_names(names: list[str]) -> list[str]:
    """:func:`safe_name` of each, de-duplicated deterministically (in the given order)."""
    seen: set[str] = set()
    return [unique_name(n, seen) for n in names]


def check_relative(rel: Any, folder: str = "its folder") -> PurePosixPath:
    """``rel`` as a relative POSIX path with no ``..``, no NUL and no drive; else UnsafePath."""
    if not isinstance(rel, str) or not rel or "\x00" in rel:
        raise UnsafePath(f"file path {rel!r} is not a usable relative path")
    p = PurePosixPath(rel.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
        raise UnsafePath(f"file path {rel!r} leaves {folder}")
    return p


def inside(base: str | os.PathLike, rel: Any, folder: str = "its folder") -> Path:
    """The real path of ``base/rel`` when it exists and stays inside ``base`` after following
    every link; :class:`UnsafePath` when it leaves, FileNotFoundError when it does not exist."""
    p = check_relative(rel, folder)
    root = Path(base).resolve()
    try:
        real = (root / p).resolve(strict=True)
    except (OSError, RuntimeError, ValueError) as exc:  # missing, link loop, odd characters
        raise FileNotFoundError(f"missing file {rel}") from exc
    if real != root and root not in real.parents:
        raise UnsafePath(f"file path {rel!r} is a link to a file outside {folder} (not published)")
    if real.exists() and not (real.is_file() or real.is_dir()):
        raise UnsafePath(f"file path {rel!r} is not a regular file (a pipe, socket or device; not published)")
    return real


def is_inside(root: str | os.PathLike, path: str | os.PathLike) -> bool:
    """Does ``path`` (links followed) stay inside ``root`` (links followed)?"""
    try:
        r, p = Path(root).resolve(), Path(path).resolve()
    except (OSError, RuntimeError):
        return False
    return p == r or r in p.parents


def linked_out(path: str | os.PathLike) -> bool:
    """Is ``path`` a link to something outside its own folder (a run file that must not be read)?"""
    p = Path(path)
    return p.is_symlink() and not is_inside(p.parent, p)


def special_file(path: str | os.PathLike) -> bool:
    """Does ``path`` exist as something other than a regular file (pipe, socket, device, folder)?"""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


#: Longest history line a reader keeps (a row is a few KB; media are files). Longer lines are skipped
#: with a warning: a sparse file of 3 GB without a newline took >2 GB of memory and minutes to build.
MAX_LINE = 64 << 20


def too_long(start: int) -> str:
    return f"line at byte {start} is longer than {MAX_LINE >> 20} MiB; skipped"


NOT_REGULAR = "is not a regular file (a pipe, socket, device or folder; not read)"


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when dicts/lists in ``value`` nest deeper than ``limit`` (iterative: never recurses)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, dict):
            items = v.values()
        elif isinstance(v, (list, tuple)):
            items = v
        else:
            continue
        if depth > limit:
            return True
        stack.extend((x, depth + 1) for x in items if isinstance(x, (dict, list, tuple)))
    return False


# "\x1b]0;...\x07\x1b[2J" rewrote the terminal of the person importing when a warning named it
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character written as its escape (``\\x1b``, ``\\n``): warnings
    name things from the source, and are printed on the user's terminal."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def denied_reason(path: str | os.PathLike) -> str | None:
    """Why the folder ``path`` cannot be read, when a permission is the reason: it cannot be listed,
    or it can (read permission) but not entered (no search permission: mode 0o600), so the run files
    it lists cannot be opened (bug: such a run folder was skipped without a word)."""
    try:
        with os.scandir(os.fspath(path)) as it:
            listed = [e.name for e in it if e.name in ("run.json", "history.jsonl")]
    except PermissionError as exc:
        return exc.strerror or "permission denied"
    except OSError:
        return None
    for name in listed:
        try:
            os.stat(os.path.join(os.fspath(path), name))
        except PermissionError as exc:
            return f"{exc.strerror or 'permission denied'}: its files are listed but cannot be opened"
        except OSError:
            continue
    return None
