"""What the pages are made from, per run, kept between builds (in the build snapshot).

A page that lists every run (the index, the compare page, the runs table's data file) needs, per
run, its table row: its summary and config cells, its min/max/last per metric, why it ended and its
alerts (a file read per run). With 10,000 runs that is most of a rebuild, although one run changed.
:class:`Memo` keeps each such value with the key it was made from (the signature of the run's files
and whatever else it depends on: its label, its colour, the page's folder, the table's columns) and
makes it again only when the key differs. Values are returned as they were stored: callers must not
change them.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable


class Memo:
    def __init__(self, old: dict[str, dict[str, tuple]] | None = None):
        self.old = old or {}
        self.new: dict[str, dict[str, tuple]] = {}
        self.hits = self.misses = 0
        self._run_keys: dict[str, tuple] = {}  # run key -> (run, its key): made once per build
        self.touched: set[str] = set()  # names made again in this build (snapshot.py saves their buckets)

    def get(self, space: str, name: str, key: Any, make: Callable[[], Any]) -> Any:
        """The value of ``name`` in ``space`` made from ``key`` (``make()`` when not kept)."""
        kept = self.old.get(space, {}).get(name)
        if kept is not None and kept[0] == key:
            value = kept[1]
            self.hits += 1
        else:
            value = make()
            self.misses += 1
            self.touched.add(name)
        self.new.setdefault(space, {})[name] = (key, value)
        return value

    def run_key(self, r) -> tuple:
        """What a run's own values are made from: its folder, the signature of its files (run.json,
        config, summary, history, media), its status (a heartbeat goes stale with time)."""
        key = self._run_keys.get(r.file)
        if key is None or key[0] is not r:
            # the signature itself (a dict of tuples), not its repr: keys are only compared, and
            # repr() of 10,000 signatures was ~5% of a rebuild (incr20)
            key = self._run_keys[r.file] = (r, (r.path, r.sig, r.status))
        return key[1]


def sweep_files_key(runs_root: Path) -> tuple:
    """Signature of the sweep files the sweep pages read (``<runs>/sweeps/<id>/sweep.json``)."""
    out = []
    try:
        with os.scandir(runs_root / "sweeps") as it:
            for e in sorted(it, key=lambda e: e.name):
                try:
                    st = os.stat(os.path.join(e.path, "sweep.json"))
                    out.append((e.name, st.st_size, st.st_mtime_ns))
                except OSError:
                    continue
    except OSError:
        pass
    return tuple(out)
