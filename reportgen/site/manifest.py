"""``SITE/.reportgen-manifest.json``: the files the builder wrote, so it only ever deletes those.

The output folder may hold the user's own files (``-o docs`` with a hand-written
``docs/reports/mine.html``). At the start of a build the folder is listed (size and
mtime of every file); a file is the builder's when the previous manifest lists it, or
when it appeared or changed during this build. (The incremental-build cache lives outside
the site; a ``.reportgen-cache/`` folder left by older versions counts as the builder's.) Deleting goes through :meth:`Manifest.remove`,
which leaves every other file alone and counts it for one summary warning. The manifest
is rewritten atomically at the end of every build.

The site and the manifest must not disagree: a file this build added and the manifest does not
list would be the user's to the next build, never deleted. A build stopped while writing the site
deletes the files it added (:meth:`Manifest.remove_new`) and lists what is left. A build whose last
step failed (a stale file that cannot be deleted, the manifest itself that cannot be written: a full
or read-only site folder) writes the manifest again, and where even that fails deletes the files it
added, so the previous manifest is true again; either way it ends with the one-line ``BuildError``
of a failed site write (builder.py: ``_unlisted``). Only a file that cannot be deleted then either
(the folder read-only since it was written) stays unlisted.

When a build cache is kept, the listing's folders (mtime, file names, sub-folders) are kept too,
in ``<cache dir>/site-folders.bin`` (outside the site): the next build lists again only the
folders whose mtime changed, as the listing at the end of a build already did (incr20: two full
listings of a 10,000-run site's 30,000 files were a sixth of a rebuild).
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterable

import orjson

from . import records
from .write import replace_bytes, writing

MANIFEST = ".reportgen-manifest.json"
CACHE_PREFIX = ".reportgen-cache/"  # the incremental-build cache: the builder's own folder, not listed
VERSION = 1


RACY_NS = 2_000_000_000  # a folder changed this close to the first listing is listed again regardless


RECORD_VERSION = 3  # the folder record (site-folders.bin): files by their site path since version 2; 3: every
# folder listed once more, for links to folders (a record of version 2 did not look for them)
_UNKNOWN = (-1, -1)  # a file's (size, mtime) when its folder was not listed again


def _walk(out: Path, dirs: dict[str, tuple[int, list[str], list[str]]] | None = None,
          reuse: dict[str, tuple[int, list[str], list[str]]] | None = None, since: int = 0,
          known: set[str] | frozenset[str] = frozenset(), names_only: bool = False,
          trusted: set[str] | frozenset[str] = frozenset(),
          links: list[str] | None = None) -> dict[str, tuple[int, int]]:
    """``{site path: (size, mtime_ns)}`` of every file under ``out`` (links are not followed).

    ``os.scandir`` and string paths: a 10,000-run site has 30,000 files (incr19). ``dirs`` collects
    each folder's mtime, files (by site path) and sub-folders. With ``reuse`` (such a record from the
    start of the build), a folder whose mtime did not change, and did not change within ``RACY_NS``
    of ``since`` (the start), keeps its recorded files unread (sizes then come from the record:
    (-1, -1); incr20: taken in one ``dict.update``, not name by name). A folder in ``trusted`` keeps
    its ``reuse`` record without even a stat (the builder wrote nothing there). ``links`` collects the
    site paths of links to folders found in the folders listed."""
    files: dict[str, tuple[int, int]] = {}
    sep = os.sep
    stack = [(os.fspath(out).rstrip(sep) or sep, "")]
    while stack:
        path, prefix = stack.pop()
        if reuse is not None and prefix in reuse:
            rec = reuse[prefix]
            if prefix in trusted:
                mtime = rec[0]
            else:
                try:
                    mtime = os.stat(path).st_mtime_ns
                except OSError:
                    continue
            if prefix in trusted or (rec[0] == mtime and mtime < since - RACY_NS):
                files.update(dict.fromkeys(rec[1], _UNKNOWN))
                for sub in rec[2]:
                    stack.append((path + sep + sub, prefix + sub + "/"))
                if dirs is not None:
                    dirs[prefix] = rec
                continue
        try:
            mtime = os.stat(path).st_mtime_ns  # before listing: a change after it shows next time
            it = os.scandir(path)
        except OSError:
            continue
        names: list[str] = []
        subs: list[str] = []
        with it:
            for e in it:
                try:
                    if e.is_dir():  # as os.walk: a link to a folder is neither walked nor listed
                        if not e.is_symlink():
                            stack.append((e.path, prefix + e.name + "/"))
                            subs.append(e.name)
                        elif links is not None:
                            links.append(prefix + e.name)
                        continue
                    rel = prefix + e.name
                    if names_only or rel in known:
                        files[rel] = _UNKNOWN
                    else:
                        st = e.stat(follow_symlinks=False)
                        files[rel] = (st.st_size, st.st_mtime_ns)
                except OSError:
                    continue
                names.append(rel)
        if dirs is not None:
            dirs[prefix] = (mtime, names, subs)
    return files


class Manifest:
    def __init__(self, out: Path, record: Path | None = None, state: tuple | None = None):
        """``record``: where the folders of the listing are kept between builds (None: not kept).
        ``state``: the :meth:`state` of the same listing made in another process (``listings.py``)."""
        self.out = out
        self.record = record
        self._media: dict[str, list[str]] | None = None  # (owned_media: made once, when asked)
        if state is not None:
            self.old, self._raw, self.dirs, self.started, self.before, self.left, self.links = state
            return
        self.old = self._load()
        self.dirs: dict[str, tuple] = {}  # folder -> (mtime, file names, sub-folders) at the start
        self.started = time.time_ns()
        kept, since = records.load(record, RECORD_VERSION, os.fspath(out)) or (None, 0)
        # links to folders in the output folder: the builder would write (and delete its stale files)
        # wherever they lead; the build refuses them (builder.py)
        self.links: list[str] = []
        self.before = _walk(out, self.dirs, reuse=kept, since=since, known=self.old,
                            links=self.links) if out.is_dir() else {}
        if kept:  # a file in a folder not listed again: its size and mtime, unless the builder wrote it
            for rel in self.before.keys() - self.old:
                if self.before[rel][0] == -1:
                    try:
                        s = os.lstat(os.path.join(out, rel))
                        self.before[rel] = (s.st_size, s.st_mtime_ns)
                    except OSError:
                        pass
        self.left: list[str] = []  # files the builder would have deleted but did not write

    def state(self) -> tuple:
        """What the listing found, as plain data (``Manifest(out, record, state)``)."""
        return self.old, self._raw, self.dirs, self.started, self.before, self.left, self.links

    def _load(self) -> set[str]:
        self._raw = b""
        try:
            raw = (self.out / MANIFEST).read_bytes()
            data = orjson.loads(raw)
        except (OSError, orjson.JSONDecodeError):
            return set()
        self._raw = raw  # (save() does not write the same bytes again)
        files = data.get("files") if isinstance(data, dict) and data.get("version") == VERSION else None
        if not isinstance(files, list):
            return set()
        # (the split only for the names that hold "..": 30,000 names per build, incr20)
        return {f for f in files if isinstance(f, str) and f and f[0] != "/" and (".." not in f or ".." not in f.split("/"))}

    def owns(self, rel: str) -> bool:
        """Did the builder write ``rel`` (in an earlier build, or in this one)?"""
        if rel in self.old or rel not in self.before or rel.startswith(CACHE_PREFIX):
            return True
        try:
            st = (self.out / rel).lstat()
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) != self.before[rel]

    def remove(self, rel: str) -> bool:
        """Delete ``rel`` if the builder wrote it (and its folder if left empty); else remember it."""
        p = self.out / rel
        if not (p.is_file() or p.is_symlink()):
            return False
        if not self.owns(rel):
            self.left.append(rel)
            return False
        with writing(p):  # (a read-only site: WriteFailed, the build's error)
            p.unlink(missing_ok=True)
        parent = p.parent
        while parent != self.out:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
        return True

    def remove_new(self) -> None:
        """Delete the files that appeared in the output folder since the listing at the start (a build
        that stopped: the site is left as it was, but for the files it replaced, each whole). They are
        the builder's (:meth:`owns`); left there, the next build, finding them, would not write them
        again and never list them as its own."""
        for rel in sorted(_walk(self.out).keys() - self.before.keys() - {MANIFEST}):
            self.remove(rel)

    def owned_under(self, folder: str) -> list[str]:
        """Site paths under ``folder/`` that the builder wrote in an earlier build and that still exist."""
        prefix = folder.rstrip("/") + "/"
        return sorted(f for f in self.old if f.startswith(prefix) and (self.out / f).is_file())

    def owned_media(self) -> dict[str, list[str]]:
        """The files under ``media/<run>/`` that the builder wrote in an earlier build, by run (its site
        key); in one pass over the previous manifest (not one per run: 10,000 runs, 30,000 files)."""
        if self._media is None:
            self._media = {}
            # (no media/ folder in the listing at the start: none to delete, and no pass over the names)
            for rel in self.old if "media/" in self.dirs or not self.dirs else ():
                if rel.startswith("media/"):
                    run, sep, _ = rel[6:].partition("/")
                    if sep:
                        self._media.setdefault(run, []).append(rel)
        return self._media

    def remove_unlinked_media(self, runs: Iterable[str], touched: Iterable[str], linked: set[str]) -> None:
        """The one rule for a run's media files (issue 12): of the files under ``media/<run>/`` that this
        build wrote or used (``touched``: the files of items the run pages could not show, of items the
        reports made) or an earlier build wrote (the previous manifest: those of the ``runs`` that are
        still there, by site key), delete each that no run page and no report links now (``linked``).
        Through :meth:`remove`, so only files the builder wrote: a user's file under ``media/<run>/``
        stays. A thumbnail a report's item made of an image the run page leaves out, a copy made before
        its item failed, a record a resumed run's rewritten history no longer holds, a step the
        per-key limit now leaves out, every file of a run that logs no media now: all the same rule."""
        stale = {rel for rel in touched if rel.startswith("media/") and rel not in linked}
        owned = self.owned_media()
        for run in runs if owned else ():
            stale.update(rel for rel in owned.get(run, ()) if rel not in linked)
        for rel in sorted(stale):
            self.remove(rel)

    def warning(self) -> str | None:
        if not self.left:
            return None
        shown = ", ".join(self.left[:3]) + (f" and {len(self.left) - 3} more" if len(self.left) > 3 else "")
        return (f"left {len(self.left)} file(s) in the output folder alone that reportgen did not write "
                f"({shown})")

    def save(self, untouched: set[str] | frozenset[str] = frozenset()) -> str | None:
        """Write the manifest atomically (temp file, then rename). ``untouched``: folders (``runs/x/``)
        the builder neither wrote in nor deleted from in this build: their listing at the start of
        the build stands (incr20: 10,000 run-page folders were stat'ed again). A file someone else
        put there meanwhile is then not listed: it is left alone, as any file that is not the builder's.
        Returns the error of the folder record's write, if it failed (a cache write: warned of, records.py)."""
        dirs: dict[str, tuple] = {}
        listed = _walk(self.out, dirs, reuse=self.dirs, since=self.started, names_only=True, trusted=untouched)
        # (those the previous manifest lists are the builder's: in one set operation, incr20)
        others = listed.keys() - self.old
        files = sorted((listed.keys() & self.old).union(rel for rel in others if self.owns(rel)))
        files = [rel for rel in files if rel != MANIFEST and not rel.startswith(CACHE_PREFIX)]
        target = self.out / MANIFEST
        data = orjson.dumps({"version": VERSION, "files": files})
        # the manifest read at the start, byte for byte: not written again (incr20: 30,000 names
        # rewritten by every rebuild that only changed files)
        if data != self._raw or not target.is_file():
            replace_bytes(target, data)
        if self.record is not None:
            # the root folder changed with the manifest's rename: listed again next time (cheap)
            dirs.pop("", None)
            return records.save(self.record, RECORD_VERSION, os.fspath(self.out), self.started, dirs)
        return None
