"""Uploading a run folder to a URL root as segments, off the training thread.

The SDK writes a run whose root is a URL exactly as on disk, into a local staging folder
(:mod:`reportgen.storage.staging`), so logging costs the training thread what logging to
disk costs. :class:`RunUploader` is the output side of that folder: a thread that, every
``interval`` seconds (sooner once ``max_bytes`` are waiting), uploads

- the new complete lines of each append-only file as the next numbered segment
  (:mod:`.segments`): one PUT per segment, so a segment exists whole or not at all, and
  the number advances only after the PUT succeeded (a retry sends the same bytes under
  the same number), so a writer killed at any moment leaves segments ``1..k``, a prefix;
- new media/files (immutable names), then the JSON files that changed (run.json last).

A failing store (outage, credentials, quota) never reaches the training loop: one warning,
everything stays in the staging folder and is retried with backoff, one warning when
uploads work again. :meth:`close` does a last upload bounded by ``final_timeout``.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from . import segments as seg
from .remote import join
from .safety import printable

POLL = 0.25  # seconds between cheap size checks
MAX_BACKOFF = 30.0


class _Stream:
    """One append-only local file and the segment folder it goes to."""

    def __init__(self, local: Path, remote_dir: str, suffix: str, offset: int = 0, next_seq: int = 1):
        self.local, self.remote_dir, self.suffix = local, remote_dir, suffix
        self.offset, self.seq = offset, next_seq
        self.inflight: tuple[int, int] | None = None  # (start, end) of the segment being sent as self.seq

    def size(self) -> int:
        try:
            return self.local.stat().st_size
        except OSError:
            return self.offset

    def upload(self, fs: Any, max_bytes: int, final: bool) -> int:
        """Send every complete line (everything at ``final``) as segments; returns segments sent."""
        sent = 0
        while True:
            if self.inflight is None:
                end = self.size()
                if end <= self.offset:
                    return sent
                with open(self.local, "rb") as fh:
                    fh.seek(self.offset)
                    data = fh.read(min(end - self.offset, max_bytes) if not final else end - self.offset)
                piece = next(iter(seg.split_lines(data, max_bytes)), b"")
                if not final and not piece.endswith(b"\n"):
                    cut = piece.rfind(b"\n")
                    if cut < 0:
                        if len(data) < end - self.offset:  # one line longer than max_bytes: read it whole
                            with open(self.local, "rb") as fh:
                                fh.seek(self.offset)
                                line = fh.readline()
                            piece = line if line.endswith(b"\n") else b""
                        else:
                            return sent  # an unfinished line: wait for its end
                    else:
                        piece = piece[: cut + 1]
                if not piece:
                    return sent
                self.inflight = (self.offset, self.offset + len(piece))
            start, stop = self.inflight
            with open(self.local, "rb") as fh:
                fh.seek(start)
                data = fh.read(stop - start)
            fs.pipe_file(join(self.remote_dir, seg.segment_name(self.seq, self.suffix)), data)
            self.offset, self.seq, self.inflight = stop, self.seq + 1, None
            sent += 1


class RunUploader:
    """Mirror one staged run folder to ``dest`` (``<root>/<run>`` or ``.../writers/<label>``)."""

    def __init__(self, stage: Path, fs: Any, dest: str, shared_dest: str, *, url: str,
                 interval: float = seg.DEFAULT_UPLOAD_INTERVAL, max_bytes: int = seg.DEFAULT_SEGMENT_BYTES,
                 resume: dict[str, tuple[int, int]] | None = None, final_timeout: float = 60.0):
        self.stage, self.fs, self.dest, self.shared_dest, self.url = Path(stage), fs, dest, shared_dest, url
        self.interval, self.max_bytes, self.final_timeout = float(interval), int(max_bytes), float(final_timeout)
        resume = resume or {}
        self.streams = [_Stream(self.stage / local, join(dest, name), suffix, *resume.get(local, (0, 1)))
                        for local, (name, suffix) in seg.STREAMS.items()]
        self._sent: dict[str, tuple[int, int]] = {}  # relative path -> (size, mtime_ns) uploaded
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failing_since: float | None = None
        self.error: str | None = None
        self.segments_sent = 0
        self._backoff = 0.0
        self._next_try = 0.0
        self._last = time.monotonic()

    # -- one pass -----------------------------------------------------------------------------
    def _changed(self, path: Path, rel: str) -> bool:
        try:
            st = path.stat()
        except OSError:
            return False
        return self._sent.get(rel) != (st.st_size, st.st_mtime_ns)

    def _put(self, path: Path, rel: str, remote: str) -> None:
        st = path.stat()
        self.fs.put_file(str(path), remote)
        self._sent[rel] = (st.st_size, st.st_mtime_ns)

    def _trees(self) -> None:
        for tree in seg.TREES:
            base = self.stage / tree
            if not base.is_dir():
                continue
            for dirpath, _dirs, files in os.walk(base):
                for name in sorted(files):
                    if name.startswith(".") or name.endswith(".tmp"):
                        continue  # a file being written (temp name, renamed when complete)
                    path = Path(dirpath) / name
                    rel = path.relative_to(self.stage).as_posix()
                    if self._changed(path, rel):
                        self._put(path, rel, join(self.shared_dest, rel))

    def sync(self, final: bool = False) -> None:
        """Upload what is new; raises on a storage failure (the loop counts and retries)."""
        with self._lock:
            self._trees()
            for stream in self.streams:
                self.segments_sent += stream.upload(self.fs, self.max_bytes, final)
            for name in sorted(seg.WHOLE_FILES, key=lambda n: n == "run.json"):  # run.json last
                path = self.stage / name
                if self._changed(path, name):
                    self._put(path, name, join(self.dest, name))
            self._last = time.monotonic()

    def pending_bytes(self) -> int:
        return sum(max(0, s.size() - s.offset) for s in self.streams)

    # -- thread -------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="reportgen-upload", daemon=True)
        self._thread.start()

    def _attempt(self, final: bool = False) -> bool:
        try:
            self.sync(final)
        except Exception as exc:  # noqa: BLE001 - any store failure: keep locally, retry later
            self._failed(exc)
            return False
        self._recovered()
        return True

    def _failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        self._backoff = min(MAX_BACKOFF, max(2.0, self.interval * 10), max(self.interval, self._backoff * 2))
        self._next_try = now + self._backoff
        if self.failing_since is None:
            self.failing_since = now
            self.error = f"{type(exc).__name__}: {exc}"[:300]
            warnings.warn(printable(f"reportgen: cannot upload to {self.url} ({self.error}); the run keeps logging "
                                    f"into {self.stage} and uploads are retried"), UserWarning, stacklevel=2)

    def _recovered(self) -> None:
        self._backoff = 0.0
        if self.failing_since is not None:
            took = time.monotonic() - self.failing_since
            self.failing_since = None
            warnings.warn(printable(f"reportgen: uploads to {self.url} work again after {took:.1f} s; nothing was lost"),
                          UserWarning, stacklevel=2)

    def _loop(self) -> None:
        while not self._stop.wait(min(POLL, self.interval)):
            now = time.monotonic()
            if now < self._next_try:
                continue
            if now - self._last >= self.interval or self.pending_bytes() >= self.max_bytes:
                self._attempt()

    def close(self, timeout: float | None = None) -> bool:
        """Stop the thread and upload everything (bounded by ``timeout``, default ``final_timeout``;
        shorter after SIGTERM, whose grace period is short); True if all went up."""
        if timeout is not None:
            self.final_timeout = float(timeout)
        deadline = time.monotonic() + self.final_timeout
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.final_timeout)
        done: list[bool] = []
        worker = threading.Thread(target=lambda: done.append(self._final(deadline)), name="reportgen-upload-final",
                                  daemon=True)
        worker.start()
        worker.join(timeout=max(0.0, deadline - time.monotonic()))
        ok = bool(done and done[0])
        if ok:  # everything is at the root: the staging copy is no longer needed
            shutil.rmtree(self.stage, ignore_errors=True)
        else:
            warnings.warn(printable(f"reportgen: could not finish uploading to {self.url} "
                                    f"({self.error or 'timed out'}); the complete run stays in {self.stage}"),
                          UserWarning, stacklevel=2)
        return ok

    def _final(self, deadline: float) -> bool:
        while True:
            if self._attempt(final=True):
                return True
            if time.monotonic() + 1.0 > deadline:
                return False
            time.sleep(1.0)
