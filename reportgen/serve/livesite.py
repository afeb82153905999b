"""The site being served: two build folders, swapped only after a good build.

``LiveSite`` owns two folders (slots). Requests read the *active* slot; a
rebuild writes into the other one, waiting first until no request still reads
it, and swaps only when ``build()`` returned. A half-built site is never served
and a failed rebuild leaves the last good site in place. Each rebuild that
changes something (files or the error state) bumps the *generation* and records
which site paths changed; open pages poll :meth:`LiveSite.wait_events` (with timeout 0).
"""
from __future__ import annotations

import shutil
import threading
import time
import traceback
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..tell import say
from .manifest import Manifest, diff, scan

HISTORY = 200  # generations remembered for clients that fall behind


@dataclass
class Event:
    generation: int
    paths: list[str]  # site paths added, changed or removed by this rebuild
    error: str | None  # the rebuild error, None after a good rebuild


def _copy(src: str, dest: str) -> str:
    """``shutil.copy2`` keeping the holes of a sparse file: the site keeps those of a run's media file
    (publish.copy_keeping_holes), and seeding the second slot wrote a sparse 4 GiB video dense into
    the temporary folder (4 GiB of disk per file, for a run folder of a few KB)."""
    from ..site.publish import copy_keeping_holes

    copy_keeping_holes(Path(src), Path(dest))
    shutil.copystat(src, dest)
    return dest


def describe_error(exc: BaseException) -> str:
    """One line for the banner: the exception and where it was raised."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    tb = traceback.extract_tb(exc.__traceback__)
    if tb:
        last = tb[-1]
        text += f" (at {Path(last.filename).name}:{last.lineno})"
    return text


class LiveSite:
    def __init__(self, root: Path, build_fn: Callable[[Path], object], *, boot: str,
                 log: Callable[[str], None] | None = None):
        self.root = Path(root)
        self.slots = [self.root / "a", self.root / "b"]
        self.build_fn = build_fn
        self.boot = boot
        self.log = log or (lambda msg: say(msg, err=True))
        self.active = 0
        self.generation = 0
        self.error: str | None = None
        self.closed = False
        self._manifests: list[Manifest] = [{}, {}]
        self._refs = [0, 0]
        self._events: deque[Event] = deque(maxlen=HISTORY)
        self._cond = threading.Condition()
        self._build_lock = threading.Lock()

    # -- building ------------------------------------------------------------------
    def initial_build(self) -> None:
        """Build slot a (errors propagate: there is no good site to fall back to), seed slot b.

        Rebuilds asked for meanwhile (the watcher already runs) wait for it."""
        with self._build_lock:
            self.build_fn(self.slots[0])
            self._manifests[0] = scan(self.slots[0])
            # The second slot starts as a copy, so its first rebuild reuses the Vega runtime etc.
            shutil.copytree(self.slots[0], self.slots[1], dirs_exist_ok=True, copy_function=_copy)
            # ... and its build cache (server.build_into keeps it in cache-<slot>): the first rebuild
            # into b then parses only what changed, as every later one (incr19)
            if (self.root / "cache-a").is_dir():
                shutil.copytree(self.root / "cache-a", self.root / "cache-b", dirs_exist_ok=True, copy_function=_copy)
            self._manifests[1] = scan(self.slots[1])

    def rebuild(self) -> Event | None:
        """Build into the idle slot and swap it in; returns the new event, if any."""
        with self._build_lock:
            if self.closed:  # stopping: no new build into a folder about to be removed
                return None
            target = 1 - self.active
            self._wait_idle(target)
            t0 = time.perf_counter()
            try:
                self.build_fn(self.slots[target])
            except Exception as exc:  # any build failure: keep serving the last good site
                message = describe_error(exc)
                self.log(f"rebuild failed, still serving the last good site: {message}")
                return self._publish([], message)
            manifest = scan(self.slots[target], self._manifests[target])
            changes = diff(self._manifests[self.active], manifest)
            with self._cond:
                self._manifests[target] = manifest
                self.active = target
            seconds = time.perf_counter() - t0
            if not changes and self.error is None:
                return None
            if changes:
                self.log(f"rebuilt in {seconds:.2f}s: {len(changes.all())} files changed")
            else:
                self.log(f"rebuilt in {seconds:.2f}s: the last error is resolved")
            return self._publish(changes.all(), None)

    def _publish(self, paths: list[str], error: str | None) -> Event:
        with self._cond:
            self.generation += 1
            self.error = error
            event = Event(self.generation, paths, error)
            self._events.append(event)
            self._cond.notify_all()
            return event

    def _wait_idle(self, slot: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._refs[slot] > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)

    # -- serving -------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[tuple[Path, int]]:
        """The active site folder and its generation, pinned until the block ends."""
        with self._cond:
            slot = self.active
            gen = self.generation
            self._refs[slot] += 1
        try:
            yield self.slots[slot], gen
        finally:
            with self._cond:
                self._refs[slot] -= 1
                if self._refs[slot] == 0:
                    self._cond.notify_all()

    def wait_events(self, since: int, timeout: float) -> dict:
        """Block until the generation passes ``since`` (or ``timeout``), then describe what changed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while since == self.generation and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._events_since(since)

    def _events_since(self, since: int) -> dict:
        out = {"boot": self.boot, "generation": self.generation, "error": self.error,
               "changed": [], "reload": False}
        if since > self.generation:
            out["reload"] = True  # a page from another server process
            return out
        if since < self.generation:
            newer = [e for e in self._events if e.generation > since]
            if not newer or newer[0].generation != since + 1:
                out["reload"] = True  # fell behind the remembered history
                return out
            out["changed"] = sorted({p for e in newer for p in e.paths})
        return out

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
