"""The double-buffered LiveSite driven by the real build(), and the real watchdog Watcher."""
from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

from reportgen.site.config import BuildConfig
from reportgen.site.builder import build
from reportgen.sdk.run import Run
from reportgen.serve.livesite import LiveSite
from reportgen.serve.watcher import Watcher


def _make_runs(root: Path, n: int = 2, rows: int = 20) -> None:
    for i in range(n):
        run = Run(id=f"r{i}", name=f"run {i}", project="p", dir=root, config={"lr": 0.1 * (i + 1)})
        for s in range(rows):
            run.log({"loss": 1.0 / (s + 1) + i})
        run.finish()


def test_livesite_swaps_only_good_builds(tmp_path):
    runs = tmp_path / "runs"
    _make_runs(runs)
    logs: list[str] = []
    site = LiveSite(tmp_path / "serve", lambda out: build(BuildConfig(runs=runs, out=out, quiet=True)),
                    boot="t", log=logs.append)
    site.initial_build()
    with site.reading() as (root, gen):
        assert gen == 0 and (root / "index.html").is_file()
    assert site.rebuild() is None  # nothing changed: no event, no generation
    assert site.generation == 0
    with site.reading() as (first, _):
        pass

    with open(runs / "r1" / "history.jsonl", "a") as fh:
        fh.write('{"_step": 20, "loss": 0.5}\n')
    ev = site.rebuild()
    assert ev is not None and ev.generation == 1 and ev.error is None
    assert any(p.startswith("data/runs/") for p in ev.paths)
    with site.reading() as (root, gen):
        assert gen == 1 and root != first

    # A real failure: the runs folder disappears. The last good site stays active.
    shutil.move(runs, tmp_path / "away")
    active = site.active
    ev = site.rebuild()
    assert ev.error and "does not exist" in ev.error and site.active == active
    assert any("rebuild failed" in m for m in logs)
    state = site.wait_events(1, timeout=0)
    assert state["error"] == ev.error and state["changed"] == [] and state["generation"] == 2
    with site.reading() as (root, _):
        assert (root / "index.html").is_file()

    shutil.move(tmp_path / "away", runs)
    ev = site.rebuild()
    assert ev is not None and ev.error is None and site.error is None

    # Clients that are behind get the union of changes; a client from the future must reload.
    assert site.wait_events(0, timeout=0)["changed"]
    assert site.wait_events(99, timeout=0)["reload"] is True


def test_livesite_wait_events_wakes_on_rebuild(tmp_path):
    runs = tmp_path / "runs"
    _make_runs(runs, n=1)
    site = LiveSite(tmp_path / "serve", lambda out: build(BuildConfig(runs=runs, out=out, quiet=True)),
                    boot="t", log=lambda m: None)
    site.initial_build()
    got = {}

    def waiter():
        t0 = time.monotonic()
        got["state"] = site.wait_events(0, timeout=10)
        got["waited"] = time.monotonic() - t0

    th = threading.Thread(target=waiter)
    th.start()
    time.sleep(0.2)
    with open(runs / "r0" / "history.jsonl", "a") as fh:
        fh.write('{"_step": 99, "loss": 0.1, "acc": 1.0}\n')
    site.rebuild()
    th.join(10)
    assert got["state"]["generation"] == 1 and got["waited"] < 9
    assert "index.html" in got["state"]["changed"]  # a new metric changes the page structure


def _wait_for(cond, timeout=5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_watcher_follows_folders_and_their_recreation(tmp_path):
    runs, presets, other = tmp_path / "runs", tmp_path / "presets", tmp_path / "other"
    for d in (runs, presets, other):
        d.mkdir()
    pokes = []
    w = Watcher([runs, presets], lambda: pokes.append(1)).start()
    try:
        (runs / "r1").mkdir()
        (runs / "r1" / "history.jsonl").write_text("{}\n")
        assert _wait_for(lambda: pokes)
        pokes.clear()
        (presets / "p.json").write_text("{}")
        assert _wait_for(lambda: pokes)

        (other / "x.txt").write_text("no")  # a sibling folder is not watched
        (tmp_path / "stray.txt").write_text("no")  # nor the parent's other files
        time.sleep(0.3)
        pokes.clear()
        (other / "y.txt").write_text("no")
        time.sleep(0.3)
        assert pokes == []

        # reading files (as build() does) is not a change
        (runs / "r1" / "history.jsonl").read_text()
        time.sleep(0.3)
        assert pokes == []

        # the runs folder is deleted and made again: still followed
        shutil.rmtree(runs)
        assert _wait_for(lambda: pokes)
        runs.mkdir()
        time.sleep(0.3)
        pokes.clear()
        (runs / "new.txt").write_text("1")
        assert _wait_for(lambda: pokes), "a re-created folder is not watched again"
    finally:
        w.stop()


def test_readers_never_see_a_half_built_site(tmp_path):
    runs = tmp_path / "runs"
    _make_runs(runs, n=3, rows=200)
    site = LiveSite(tmp_path / "serve", lambda out: build(BuildConfig(runs=runs, out=out, quiet=True)),
                    boot="t", log=lambda m: None)
    site.initial_build()
    stop = threading.Event()
    bad: list[str] = []
    reads = [0]

    def reader():
        while not stop.is_set():
            with site.reading() as (root, _):
                pages = [root / "index.html", *sorted((root / "runs").glob("*/index.html"))]
                data = sorted((root / "data").rglob("*.js"))
                for page in pages:
                    text = page.read_text(encoding="utf-8")
                    if not text.rstrip().endswith("</html>"):
                        bad.append(f"truncated {page}")
                    # every chart a page shows has its data in the same build
                    for cid in re.findall(r'data-chart="([^"]+)"', text):
                        if not (root / "data" / "overview" / f"{cid}.js").is_file():
                            bad.append(f"{page.name}: chart {cid} without data")
                    for rf in re.findall(r'"f": ?"([^"]+)"', text):  # every run listed has its data file
                        if not (root / "data" / "runs" / f"{rf}.js").is_file():
                            bad.append(f"{page.name}: run {rf} without data")
                for f in data:
                    if not f.read_text(encoding="utf-8").rstrip().endswith(");"):
                        bad.append(f"truncated {f}")
            reads[0] += 1

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for k in range(6):
            with open(runs / f"r{k % 3}" / "history.jsonl", "a") as fh:
                fh.write(f'{{"_step": {1000 + k}, "loss": {k}, "extra{k}": 1}}\n')
            assert site.rebuild() is not None
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert reads[0] > 0 and not bad, bad[:5]
