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
        new = self.new.get(space)
        if new is None:
            new = self.new[space] = {}
        old = self.old.get(space)
        kept = old.get(name) if old is not None else None
        if kept is not None and kept[0] == key:
            new[name] = kept  # (the kept pair itself: 50,000 calls per rebuild of 10,000 runs)
            self.hits += 1
            return kept[1]
        value = make()
        self.misses += 1
        self.touched.add(name)
        new[name] = (key, value)
        return value

    def run_key(self, r) -> tuple:
        """What a run's own values are made from: its folder, the signature of its files (run.json,
        config, summary, history, media), its status (a heartbeat goes stale with time).

        When it equals the previous build's, the previous build's object is returned (kept in the
        ``run`` space): the keys of every other space then compare it by identity, not by value
        (incr20)."""
        key = self._run_keys.get(r.file)
        if key is None or key[0] is not r:
            # the signature itself (a dict of tuples), not its repr: keys are only compared, and
            # repr() of 10,000 signatures was ~5% of a rebuild (incr20)
            value = (r.path, r.sig, r.status)
            kept = self.old.get("run", {}).get(r.file)
            if kept is not None and kept[0] == value:
                value = kept[0]
            else:
                self.touched.add(r.file)
            self.new.setdefault("run", {})[r.file] = (value, None)
            key = self._run_keys[r.file] = (r, value)
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
