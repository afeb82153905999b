"""A folder followed for a long time (``serve --watch``'s runs root, a followed logdir) stays the one it was.

``serve --watch runs`` read the path it was given at every rebuild: the folder swapped for a link
to another one after start (``mv runs runs.old; ln -s ~/other-project/runs runs``) had the next
rebuild publish the other folder's runs, where the builder never follows a link out of the runs
root. :class:`RootPin` notes where the folder leads when following starts; each later pass asks
:meth:`RootPin.moved`, and one that leads elsewhere is not read (the last site is kept).
"""
from __future__ import annotations

import os
from pathlib import Path


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop: it leads nowhere readable
        return path.absolute()


class RootMoved(RuntimeError):
    """A followed folder leads elsewhere than when following started (the text says where)."""


class RootPin:
    def __init__(self, path: str | os.PathLike, what: str = "the runs root") -> None:
        self.path, self.what = Path(path), what
        self.real = _real(self.path)

    def moved(self) -> str | None:
        """Why the folder may not be read now (it leads elsewhere than when following started), or None."""
        now = _real(self.path)
        if now == self.real:
            return None
        return (f"{self.what} {self.path} now leads to {now} (it was {self.real} when following started): "
                f"a folder swapped for a link is not followed; restart to show {now}")

    def check(self) -> None:
        """Raise :class:`RootMoved` when the folder leads elsewhere than when following started."""
        why = self.moved()
        if why is not None:
            raise RootMoved(why)
