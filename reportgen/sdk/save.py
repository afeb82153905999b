"""``run.save(glob_str, base_path=None, policy="live")``: files kept with the run, as wandb.

- ``glob_str`` is a path or a glob (``"checkpoints/*.pt"``, ``"**/*.json"``), relative to the
  working folder or absolute. Matches are copied to ``<run>/files/<path relative to
  base_path>``. ``base_path`` defaults to the working folder for a relative ``glob_str``
  and to its own folder for an absolute one (the copy is then flat, as wandb does).
- ``policy="now"``: copy now. ``"live"`` (default): copy now and again at ``finish()``
  (the last version is kept; files matching the glob later are picked up then).
  ``"end"``: copy at ``finish()`` only.
- A file already inside the run's ``files/`` folder (``run.dir``) is kept where it is.
- Returns the paths of the copies (strings), as wandb returns its symlinks.

A literal path that does not exist warns with ``"now"`` and is looked for again at
``finish()`` with ``"live"``/``"end"``.
"""
from __future__ import annotations

import glob as globmod
import os
from pathlib import Path
from typing import Any, Callable

from ..storage.safety import open_regular, write_own
from .values import user_warn

POLICIES = ("live", "now", "end")


def _has_magic(text: str) -> bool:
    return globmod.has_magic(text)


class Saver:
    def __init__(self, files_dir: Path, reach: Callable[[], Path] | None = None):
        self.files_dir = files_dir
        self.reach = reach  # the path copies are written by (the run folder's descriptor: storage.moved)
        self.pending: list[tuple[str, Path, str | None]] = []  # (glob, base, name) to copy again at finish
        self._failed: set[Path] = set()  # copies that failed (warned about once each)

    def save(self, glob_str: Any, base_path: Any = None, policy: str = "live", name: str | None = None) -> list[str]:
        if not isinstance(glob_str, (str, os.PathLike)):
            raise TypeError(f"save(): glob_str: expected a path or glob string, got {type(glob_str).__name__}")
        if policy not in POLICIES:
            raise ValueError(f"save(): policy: expected 'live', 'now' or 'end', got {policy!r}")
        pattern = os.fspath(glob_str)
        if isinstance(pattern, bytes):
            pattern = pattern.decode()
        if not pattern:
            raise ValueError("save(): glob_str: expected a path or glob, got ''")
        if base_path is None:
            base = Path(pattern).parent if os.path.isabs(pattern) else Path(".")
            if os.path.isabs(pattern) and _has_magic(str(base)):
                raise ValueError(f"save(): glob_str {pattern!r}: pass base_path= when the folder part is a glob")
        else:
            base = Path(os.fspath(base_path))
        full = pattern  # relative to the working folder (or absolute); base_path is a prefix of it
        if name is not None:
            if _has_magic(pattern):
                raise ValueError("save(): name= is only allowed for a single file, not a glob")
            if "/" in name.replace("\\", "/") or name in ("", ".", ".."):
                raise ValueError(f"save(): name {name!r}: expected a plain file name")
        if policy != "end":
            copies, matched = self._copy(full, base, name)
            if not matched and policy == "now":
                if _has_magic(pattern):
                    user_warn(f"save(): no file matches {pattern!r}")
                else:
                    raise FileNotFoundError(f"save(): path {pattern!r} is not a file")
        else:
            copies, matched = [], 0
        if policy in ("live", "end"):
            self.pending.append((full, base, name))
            if not matched and policy == "live" and not _has_magic(pattern):
                user_warn(f"save(): {pattern!r} does not exist yet; it is copied at finish() if it appears")
        return copies

    def _targets(self, full: str, base: Path, name: str | None) -> list[tuple[Path, Path]]:
        matches = sorted(globmod.glob(full, recursive=True)) if _has_magic(full) else [full]
        base_abs = base.resolve()
        base_norm = Path(os.path.normpath(base.absolute()))  # ('sub/../x' as 'x'; '../x' is outside, not files/../x)
        files_abs = self.files_dir.resolve()
        out = []
        for m in matches:
            src = Path(m)
            if not src.is_file():
                continue
            src_abs, src_norm = src.resolve(), Path(os.path.normpath(src.absolute()))
            if src_abs.is_relative_to(files_abs):
                out.append((src_abs, src_abs))  # already in run.dir: kept where it is
                continue
            if name is not None:
                rel = Path(name)
            elif src_norm.is_relative_to(base_norm):
                rel = src_norm.relative_to(base_norm)
            elif src_abs.is_relative_to(base_abs):
                rel = src_abs.relative_to(base_abs)
            else:
                raise ValueError(f"save(): {m!r} is outside base_path {str(base)!r}")
            out.append((src, self.files_dir / rel))
        return out

    def _copy(self, full: str, base: Path, name: str | None) -> tuple[list[str], int]:
        """The copies made, and how many files matched (a copy that could not be written is warned about)."""
        copies, targets = [], self._targets(full, base, name)
        for src, dest in targets:
            if src == dest or self._copy_file(src, dest):
                copies.append(str(dest))
        return copies, len(targets)

    def _copy_file(self, src: Path, dest: Path) -> bool:
        """Copy ``src`` to ``dest`` whole or not at all (a full disk leaves the previous copy as
        it was, and no partial file); a failure to write warns once per file and returns False."""
        with open_regular(src) as fin:  # the user's file: a failure to open it is the caller's error
            try:
                run_dir = self.files_dir.parent  # (never through a link in a shared run folder)
                base = run_dir if self.reach is None else self.reach()  # (wherever it is now)
                write_own(base, dest.relative_to(run_dir).as_posix(), fin)
            except OSError as exc:
                if dest not in self._failed:
                    self._failed.add(dest)
                    kept = "the run keeps its previous copy" if dest.exists() else "nothing is saved for it yet"
                    user_warn(f"save(): could not copy {str(src)!r} to {str(dest)!r} ({type(exc).__name__}: "
                              f"{exc}); {kept}")
                return False
        self._failed.discard(dest)
        return True

    def follow(self, files_dir: Path) -> None:
        """The run folder moved (storage.moved) and its ``files/`` is ``files_dir`` now: a file saved from
        the old one (``save(os.path.join(run.dir, "model.pt"))``), copied again at finish, is looked for
        in the new one (it "never appeared" at its old path, with a warning)."""
        old, self.files_dir = Path(os.path.normpath(self.files_dir.absolute())), files_dir

        def moved(path: Any) -> Any:
            norm = Path(os.path.normpath(os.path.abspath(path)))
            return str(files_dir / norm.relative_to(old)) if norm.is_relative_to(old) else path

        self.pending = [(moved(full), Path(moved(base)), name) for full, base, name in self.pending]

    def finish(self) -> None:
        """Copy the latest version of every ``live``/``end`` file; never raises."""
        for full, base, name in self.pending:
            try:
                if not self._copy(full, base, name)[1] and not _has_magic(full):
                    user_warn(f"save(): {full!r} never appeared; nothing saved for it")
            except Exception as exc:  # noqa: BLE001 - finishing must go on
                user_warn(f"save(): could not copy {full!r} at finish ({type(exc).__name__}: {exc})")
        self.pending = []
