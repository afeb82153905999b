"""How many bytes of media one import may take from its source.

A source folder is untrusted, and a sparse file costs its maker nothing: a zip of a wandb run naming
100 video files of 1 GiB each (holes, no disk) was imported as 100 GiB written dense under the runs
root, and every media object of a run is held in memory until the run is committed. So media
objects (images, audio, video, molecules, 3D objects: whatever carries file bytes) are counted as
they are added to a run (:meth:`RunImport.add`): a run takes at most ``per_run`` bytes
(:data:`RUN_MAX`, 2 GiB; ``reportgen import --max-media MIB`` raises it), an import at most
:data:`IMPORT_FACTOR` times that in all; past either, the value is skipped with one warning per
run naming the first key left out. Readers ask :meth:`MediaBudget.fits` before they read a file,
so nothing past the budget is read either.
"""
from __future__ import annotations

from typing import Any

FILE_MAX = 1 << 30  # one media file (video, audio, image) larger than this is not imported
RUN_MAX = 2 << 30  # media bytes one run may take (per import)
IMPORT_FACTOR = 4  # an import takes at most this many runs' worth in all (8 GiB by default)


def _mib(n: int) -> str:
    if n >= 1 << 30 and not n % (1 << 30):
        return f"{n >> 30} GiB"
    return f"{n / (1 << 20):.4g} MiB" if n >= 1 << 20 else f"{n:,} bytes"


def media_bytes(value: Any, depth: int = 0) -> int:
    """Bytes of file data the media objects in ``value`` (a media object, or lists and dicts of them) hold."""
    from ..sdk.values import is_media

    if depth > 8:
        return 0
    if isinstance(value, (list, tuple)):
        return sum(media_bytes(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return sum(media_bytes(v, depth + 1) for v in value.values())
    if is_media(value):
        data = getattr(value, "_bytes", None)
        return len(data) if isinstance(data, (bytes, bytearray)) else 0
    return 0


class OverBudget(ValueError):
    """A media file a reader did not read: past the budget. Its message is the run's one warning, or empty."""


class MediaBudget:
    """The media bytes an import has taken, per run and in all."""

    def __init__(self, per_run: int = RUN_MAX, total: int | None = None):
        self.per_run = int(per_run)
        self.total = self.per_run * IMPORT_FACTOR if total is None else int(total)
        self.spent = 0
        self._runs: dict[str, int] = {}
        self._told: set[str] = set()

    def fits(self, run: str, size: int) -> bool:
        """Whether ``size`` more bytes of media fit in ``run``'s budget and the import's."""
        return self._runs.get(run, 0) + size <= self.per_run and self.spent + size <= self.total

    def take(self, run: str, size: int) -> bool:
        """Count ``size`` bytes against ``run``; False (nothing counted) when they do not fit."""
        if not self.fits(run, size):
            return False
        self._runs[run] = self._runs.get(run, 0) + size
        self.spent += size
        return True

    def check_file(self, run: str, size: int, what: str) -> None:
        """Raise :class:`OverBudget` when a media file of ``size`` bytes would not fit (asked before reading it)."""
        if not self.fits(run, size):
            raise OverBudget(self.refusal(run, what, size) or "")

    def refusal(self, run: str, what: str, size: int) -> str | None:
        """The warning for ``size`` bytes of media of ``run`` left out (``what``: its key or file); None
        after the first for that run (one warning per run, however many are left out)."""
        if run in self._told:
            return None
        self._told.add(run)
        which = (f"{_mib(self.per_run)} per run" if self._runs.get(run, 0) + size > self.per_run
                 else f"{_mib(self.total)} per import")
        return (f"{run}: media past {which} are not imported (the first: {what}, {_mib(size)}; "
                "reportgen import --max-media MIB raises the limit per run)")
