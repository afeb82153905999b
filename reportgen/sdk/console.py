"""Console capture: what the program prints, kept in ``output.log`` while still reaching the terminal.

``redirect`` (the default): file descriptors 1 and 2 are pointed (``os.dup2``) at pipes; one
reader thread per pipe writes every byte on to the original descriptor unchanged and feeds
the lines to :class:`OutputLog`. Child processes inherit the pipes, so their output is kept
too. ``wrap``: only Python's ``sys.stdout``/``sys.stderr`` are wrapped (for environments
whose descriptors cannot be redirected).

Lines are stored as a terminal shows them: ``\\r`` returns to the line start and what follows
overwrites it (tqdm bars collapse to their last state). Complete lines reach the file as they
are read (a SIGKILLed run keeps everything printed before the kill that left the pipe).
The file is bounded: the first half of ``max_bytes`` is kept as the head, then a note, and
at the end the last half as the tail (kept in ``output.log.tail`` until the run finishes). The
tail file is opened, rolled and removed through ``reach()``, the path reaching the run folder where it
is (:mod:`reportgen.storage.moved`): by name, once the head was full just after the folder was moved,
it failed, or landed at the old path.
"""
from __future__ import annotations

import codecs
import os
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any, Callable

from ..storage.appender import append_whole_lines
from ..storage.safety import open_own

OUTPUT_LOG = "output.log"
TAIL_SUFFIX = ".tail"
_capture_lock = threading.RLock()  # reentrant: a SIGTERM handler may stop the capture (finish) while start() holds it
_active: "ConsoleCapture | None" = None  # one capture per process (fds 1 and 2 are global)


def overwrite(line: str, segment: str) -> str:
    """Terminal semantics of ``\\r``: ``segment`` overwrites ``line`` from column 0."""
    return segment + line[len(segment):]


class LineCollector:
    """Turns a byte stream into terminal lines (``\\r`` overwrites, ``\\n`` ends a line)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.line = ""  # the line being written (shown at close if never ended)
        self._cr = False  # a \r was seen: the next text overwrites from column 0

    def feed(self, data: bytes) -> list[str]:
        text = self._decoder.decode(data)
        if not text:
            return []
        done = []
        parts = text.split("\n")
        for i, part in enumerate(parts):
            if i > 0:  # a \n ended the previous line
                done.append(self.line)
                self.line, self._cr = "", False
            if "\r" in part:
                pieces = part.split("\r")
                for j, piece in enumerate(pieces):
                    if j > 0:
                        self._cr = True
                    if piece:
                        self.line = overwrite(self.line, piece) if self._cr else self.line + piece
                        self._cr = False
            elif part:
                self.line = overwrite(self.line, part) if self._cr else self.line + part
                self._cr = False
        return done


class OutputLog:
    """``output.log``: head written through, tail kept on disk in a rolling file, a note of what was cut."""

    def __init__(self, path: Path, max_bytes: int, reach: Callable[[], Path] | None = None):
        self.path = Path(path)
        self.tail_path = self.path.with_name(self.path.name + TAIL_SUFFIX)
        self.reach = reach  # the path the run folder is written by, wherever it is (storage.moved)
        self.head_budget = max_bytes // 2
        self.tail_budget = max_bytes - self.head_budget
        self._fd = open_own(self.path)
        self.head_bytes = self.path.stat().st_size  # a resumed run appends
        self._tail: deque[bytes] = deque()
        self._tail_bytes = 0
        self._tail_file_bytes = 0
        self._tail_fd = -1
        self.cut_lines = 0
        self.cut_bytes = 0
        # reentrant: a SIGTERM arriving in print() (console="wrap" writes here from the main thread)
        # finishes the run, which closes this log, in that same thread
        self._lock = threading.RLock()
        self.error: str | None = None
        # head lines a failed write left (a full disk), written first, in order, at the next write: at
        # most the head's budget. (They were dropped, and a line cut by the failure was glued to the next.)
        self._unwritten = b""

    def write_lines(self, lines: list[str]) -> None:
        if not lines:
            return
        with self._lock:
            try:
                self._write(lines)
            except OSError as exc:  # folder removed, a tail that cannot be rolled: never crash
                self.error = self.error or f"{exc.__class__.__name__}: {exc}"

    def _write(self, lines: list[str]) -> None:
        data = [(line + "\n").encode("utf-8", "replace") for line in lines]
        head = []
        while data and self.head_bytes + len(data[0]) <= self.head_budget:
            self.head_bytes += len(data[0])
            head.append(data.pop(0))
        if head:
            self._unwritten += b"".join(head)
        if self._unwritten:
            self._write_head()  # (a failure keeps them for the next write, or the end)
        if not data:
            return
        if self._tail_fd < 0:
            self.head_bytes = self.head_budget + 1  # head closed for good
            self._tail_fd = open_own(self._tail_file(), os.O_WRONLY | os.O_APPEND | os.O_TRUNC)
        for item in data:
            self._tail.append(item)
            self._tail_bytes += len(item)
        while self._tail_bytes > self.tail_budget and len(self._tail) > 1:
            gone = self._tail.popleft()
            self._tail_bytes -= len(gone)
            self.cut_lines += 1
            self.cut_bytes += len(gone)
        chunk = b"".join(data)
        _, error = append_whole_lines(self._tail_fd, chunk)
        # (the tail is in memory too: a write that failed is made good by the next roll, which rewrites it)
        self._tail_file_bytes += len(chunk) if error is None else 2 * self.tail_budget + 1
        if self._tail_file_bytes > 2 * self.tail_budget:  # roll: rewrite with the kept tail only
            self._roll()

    def _tail_file(self) -> Path:
        """``output.log.tail`` in the run folder where it is now."""
        return (self.tail_path.parent if self.reach is None else self.reach()) / self.tail_path.name

    def _roll(self) -> None:
        kept = b"".join(self._tail)
        tail = self._tail_file()
        tmp = tail.with_name(tail.name + ".tmp")
        try:
            tmp.write_bytes(kept)
            os.replace(tmp, tail)
        except OSError:
            tmp.unlink(missing_ok=True)
            return  # (a full disk: tried again at the next write)
        os.close(self._tail_fd)
        self._tail_fd = open_own(tail)
        self._tail_file_bytes = len(kept)

    def _write_head(self) -> OSError | None:
        written, error = append_whole_lines(self._fd, self._unwritten)
        self._unwritten = self._unwritten[written:]
        return error

    def close(self) -> None:
        with self._lock:
            try:
                if self._unwritten and (error := self._write_head()) is not None:
                    raise error
                if self._tail_fd >= 0:
                    note = (f"[reportgen: {self.cut_lines} lines ({self.cut_bytes} bytes) of output cut here; "
                            f"head and tail kept]\n") if self.cut_lines else ""
                    self._unwritten = note.encode() + b"".join(self._tail)
                    if (error := self._write_head()) is not None:
                        raise error
                    os.close(self._tail_fd)
                    self._tail_fd = -1
                    self._tail_file().unlink(missing_ok=True)
                os.fsync(self._fd)
            except OSError as exc:
                self.error = self.error or f"{exc.__class__.__name__}: {exc}"
            finally:
                if self._fd >= 0:
                    os.close(self._fd)
                    self._fd = -1


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Pipe:
    """One redirected descriptor: the pipe, the saved original and the reader thread."""

    def __init__(self, fd: int, log: OutputLog):
        self.fd = fd
        self.log = log
        self.collector = LineCollector()
        self.saved = os.dup(fd)
        self.read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        self.thread = threading.Thread(target=self._loop, name=f"reportgen-console-{fd}", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        terminal_ok = True
        while True:
            try:
                data = os.read(self.read_end, 65536)
            except OSError:
                break
            if not data:
                break
            if terminal_ok:
                try:
                    _write_all(self.saved, data)
                except OSError:
                    terminal_ok = False  # the terminal went away; keep recording
            self.log.write_lines(self.collector.feed(data))
        if self.collector.line:
            self.log.write_lines([self.collector.line])
            self.collector.line = ""

    def restore(self) -> None:
        os.dup2(self.saved, self.fd)  # our write end is gone; EOF once children close theirs

    def join(self, timeout: float) -> bool:
        self.thread.join(timeout)
        alive = self.thread.is_alive()
        if not alive:
            os.close(self.read_end)
            os.close(self.saved)
        return not alive


class _Wrapped:
    """``console="wrap"``: a text stream that writes through and records what it writes."""

    def __init__(self, stream: Any, collector: LineCollector, log: OutputLog):
        self._stream, self._collector, self._log = stream, collector, log

    def write(self, s: str) -> int:
        n = self._stream.write(s)
        try:
            self._log.write_lines(self._collector.feed(s.encode("utf-8", "replace")))
        except Exception:  # noqa: BLE001 - recording must never break print()
            pass
        return n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _auto_mode() -> str:
    """``redirect`` when Python's stdout writes to descriptor 1; ``wrap`` otherwise (Jupyter's
    kernel streams, an IDE console), as wandb's ``auto`` does."""
    try:
        return "redirect" if sys.stdout is not None and sys.stdout.fileno() == 1 else "wrap"
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return "wrap"


class ConsoleCapture:
    """Start with :meth:`start`; :meth:`stop` restores the streams and completes ``output.log``."""

    def __init__(self, run_dir: Path, mode: str, max_bytes: int, reach: Callable[[], Path] | None = None):
        self.mode = (_auto_mode() if mode == "auto" else mode)
        self.log = OutputLog(Path(run_dir) / OUTPUT_LOG, max_bytes, reach=reach)
        self._pipes: list[_Pipe] = []
        self._wrapped: list[tuple[str, _Wrapped]] = []
        self._stopped = False

    @staticmethod
    def start(run_dir: Path, mode: str, max_bytes: int,
              reach: Callable[[], Path] | None = None) -> "ConsoleCapture | None":
        """A running capture, or None when off or another run of this process already captures."""
        global _active
        if mode == "off":
            return None
        with _capture_lock:
            if _active is not None:
                return None
            cap = ConsoleCapture(run_dir, mode, max_bytes, reach=reach)
            cap._flush_python()
            try:
                if cap.mode == "redirect":
                    for fd in (1, 2):
                        cap._pipes.append(_Pipe(fd, cap.log))
                else:
                    for name in ("stdout", "stderr"):
                        stream = getattr(sys, name)
                        if stream is not None:
                            wrapped = _Wrapped(stream, LineCollector(), cap.log)
                            setattr(sys, name, wrapped)
                            cap._wrapped.append((name, wrapped))
            except OSError:  # no usable descriptors (e.g. pythonw): undo and run without capture
                cap._restore(timeout=0.5)
                cap.log.close()
                return None
            _active = cap
            return cap

    @staticmethod
    def _flush_python() -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed or odd stream
                pass

    def _restore(self, timeout: float) -> None:
        self._flush_python()
        for pipe in self._pipes:
            pipe.restore()
        for pipe in self._pipes:
            pipe.join(timeout)  # a child still holding the pipe: its reader keeps teeing, detached
        for name, wrapped in self._wrapped:
            if getattr(sys, name) is wrapped:
                setattr(sys, name, wrapped._stream)
            if wrapped._collector.line:
                self.log.write_lines([wrapped._collector.line])

    def stop(self, timeout: float = 2.0) -> str | None:
        """Restore the streams, write the tail; returns an error message if output was lost."""
        global _active
        with _capture_lock:
            if self._stopped:
                return None
            self._stopped = True
            self._restore(timeout)
            self.log.close()
            if _active is self:
                _active = None
        return self.log.error
