"""The joined copy's state (``state.json``): the size/ETag of every file and segment written into it, so
an unchanged object costs no request; a stream whose consumed segments changed is joined again
(part of :class:`.mirror.Mirror`)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from . import segments as seg

STATE_VERSION = 1


def _sig(info: dict[str, Any]) -> list:
    tag = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified") or ""
    return [int(info.get("size") or 0), str(tag)]


class StateMixin:
    """The state of :class:`.mirror.Mirror`'s copy and what it says to read (``self.cache``, ``self.url``,
    ``self.run`` are the Mirror's; ``self._write`` its :class:`.mirror_copy.CopyMixin`'s)."""

    def _load_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_file.read_text())
            if state.get("version") == STATE_VERSION and state.get("url") == self.url and state.get("run") == self.run:
                return state
        except (OSError, ValueError):
            pass
        shutil.rmtree(self.runs, ignore_errors=True)  # unknown state: start over
        shutil.rmtree(self.streams, ignore_errors=True)
        return {"version": STATE_VERSION, "url": self.url, "run": self.run, "files": {}, "streams": {}, "writers": {}}

    def _save_state(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_name(".state.json.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_file)

    # -- whole files (``rel``: the path under the cache folder, with ``/``) ---------------------
    def _want_file(self, info: dict, rel: str, state: dict, seen: set[str]) -> bool:
        """Whether ``rel`` must be (re)read: its size/ETag differs from the one last written.
        (Strings, not Paths: this runs for every object of every run on each sync.)"""
        seen.add(rel)
        return not (state["files"].get(rel) == _sig(info) and os.path.exists(os.path.join(self._base, rel)))

    def _fetch(self, parts: tuple[str, ...], info: dict, dest: Path, state: dict, seen: set[str]) -> bool:
        """One whole file: read (one GET) only if its size/ETag changed; True if it was."""
        rel = dest.relative_to(self.cache).as_posix()
        if not self._want_file(info, rel, state, seen):
            return False
        self._write([(info, rel)], [], state, None)
        return True

    # -- append-only streams -----------------------------------------------------------------
    def _want_stream(self, key: str, found: dict[int, dict], dest: Path, state: dict,
                     warnings: list[str]) -> list[tuple[int, dict]] | None:
        """The segments of one stream to read and append to ``dest`` (None: nothing changed).
        Consumed segments that changed or vanished (or a local file not as left) restart it."""
        st = state["streams"].get(key)
        try:
            size = os.stat(dest).st_size
        except FileNotFoundError:
            size = None
        if st is not None and (size != st["size"] or any(
                _sig(found[int(n)]) != sig if int(n) in found else True for n, sig in st["sigs"].items())):
            st = None  # consumed segments changed: rebuild
        if st is None:
            st = {"size": 0, "sigs": {}}
            if size is not None:
                os.unlink(dest)
                size = None
        state["streams"][key] = st
        parts, gap = seg.ordered(found, len(st["sigs"]) + 1)
        if gap:
            warnings.append(f"{os.path.basename(dest)} of {key}: {gap}")
        if not parts and size is not None:
            return None
        return parts

    def _sync_stream(self, key: str, found: dict[int, dict], dest: Path, state: dict, warnings: list[str]) -> bool:
        """Append the new segments of one stream to ``dest``; True if it changed."""
        parts = self._want_stream(key, found, dest, state, warnings)
        if parts is None:
            return False
        self._write([], [(key, dest, parts)], state, warnings)
        return True
