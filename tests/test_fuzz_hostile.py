"""Fuzz: hostile run roots (issue 12). For every generated root:

- the build finishes;
- every file under SITE is one the builder wrote (its manifest; the cache folder is its own);
- nothing outside SITE changed (snapshot of the surrounding tree before and after);
- no file from outside RUNS is published (canary files outside; the site is grepped for them);
- pages opened in Chromium show no executed payload (marker, title, canary server request).

Roots come from a seeded generator (:class:`HostileRoot`); hypothesis picks the seeds (a
handful per run) and a few fixed seeds always run (ten more without the browser, which is
the slow part; seeds that once found a bug stay in the fixed lists).
"""
from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

from hostile import Canary, Probe, StaticServer, html_payload, payloads, snapshot, svg_payload
from reportgen.site.config import BuildConfig
from reportgen.site.manifest import CACHE_PREFIX, MANIFEST
from reportgen.site.builder import build


def _png_bytes(extra: bytes = b"") -> bytes:
    import io

    buf = io.BytesIO()
    Image.new("RGB", (5, 3), (10, 200, 10)).save(buf, format="PNG")
    return buf.getvalue() + extra


class HostileRoot:
    """One generated tree: ``base/{outside, neighbour, runs, site}``."""

    def __init__(self, seed: int, base: Path, canary: str):
        self.seed = seed
        self.rng = random.Random(seed)
        self.pipes = random.Random(seed ^ 0x5EED)  # FIFOs: their own draws, so pinned seeds stay as they were
        self.base = base
        self.canary = canary
        self.token = f"CANARY-{seed:x}-OUTSIDE"
        self.strings = payloads(canary)
        self.runs = base / "runs"
        self.site = base / "site"
        self.outside = base / "outside"

    # -- pieces ----------------------------------------------------------------------------------
    def s(self) -> str:
        """A hostile string."""
        r = self.rng.random()
        if r < 0.55:
            return self.rng.choice(self.strings)
        if r < 0.7:
            return self.rng.choice(["../../../victim", "/etc/passwd", "a/b", "x\x00y", "..", ".", "C:\\x", "\ud800",
                                    "", " ", "con", "a" * 300])
        return "".join(self.rng.choice("ab<>\"'&/{}%.\\`$") for _ in range(self.rng.randint(1, 12)))

    def wrong(self):
        return self.rng.choice([None, 5, -1.5, True, [], {}, [self.s()], {"x": self.s()}, "NaN", float("nan")])

    def deep(self, n: int) -> str:
        return '{"a":' * n + "1" + "}" * n if self.rng.random() < 0.5 else "[" * n + "]" * n

    def value(self):
        r = self.rng.random()
        if r < 0.4:
            return self.s()
        if r < 0.7:
            return self.rng.uniform(-1e3, 1e3)
        return self.wrong()

    def media_path(self, d: Path) -> str:
        """A record path: a real file, a link out, a link to a folder out, or a hostile string."""
        r = self.rng.random()
        if r < 0.3:
            return "media/image/ok.png"
        if r < 0.45:
            return "media/image/leak.png"  # link to a file outside
        if r < 0.6:
            return "media/linked/secret.png"  # through a linked folder outside
        if r < 0.7:
            return "media/html/p.html"
        if r < 0.8:
            return "media/svg/f.svg"
        return self.rng.choice(["../../outside/secret.txt", str(self.outside / "secret.txt"), "media/x\x00.png",
                                "media/../../outside/secret.png", "", 5, None, "media/image/", "run.json"])

    def record(self, d: Path):
        t = self.rng.choice(["image", "html", "svg", "audio", "video", "table", "vega_lite", "custom_chart",
                             "object3d", "molecule", "tensor", "histogram", "gallery", self.s(), 7])
        rec = {"_type": t, "path": self.media_path(d), "caption": self.s()}
        if t == "table":
            rec["path"] = "media/table/t.json"
        if t == "vega_lite":
            rec["spec"] = {"usermeta": {"embedOptions": {"actions": True}}, "data": {"url": f"{self.canary}/d.json"},
                           "mark": {"type": "image", "url": f"{self.canary}/i.png"},
                           "encoding": {"href": {"value": "javascript:alert(1)"}},
                           "title": self.s()}
        if t == "gallery":
            rec["items"] = [self.record(d) for _ in range(2)]
        if self.rng.random() < 0.2:
            rec = {k: self.wrong() if self.rng.random() < 0.5 else v for k, v in rec.items()}
        return rec

    def history(self, d: Path) -> bytes:
        lines = []
        for step in range(self.rng.randint(0, 8)):
            r = self.rng.random()
            if r < 0.08:
                lines.append(b"{not json")
            elif r < 0.14:
                lines.append(self.deep(self.rng.choice([150, 600, 3000])).encode())
            elif r < 0.18:
                lines.append(json.dumps({"_step": step, "big": "x" * 200_000}).encode())
            elif r < 0.22:
                lines.append(json.dumps([1, 2, 3]).encode())
            else:
                row = {"_step": step if self.rng.random() < 0.8 else self.wrong(), "loss": self.rng.random(),
                       self.s(): self.value()}
                if self.rng.random() < 0.6:
                    row[self.rng.choice(["img", self.s()])] = self.record(d)
                if self.rng.random() < 0.2:
                    row["nested"] = {self.s(): {self.s(): self.value()}}
                lines.append(json.dumps(row, ensure_ascii=self.rng.random() < 0.5).encode("utf-8", "surrogatepass"))
        data = b"\n".join(lines) + (b"\n" if lines else b"")
        if self.rng.random() < 0.3:
            data += b'{"_step": 99, "torn'
        return data

    def json_file(self, d: Path, name: str, build) -> None:
        r = self.rng.random()
        if r < 0.1:
            return
        if r < 0.2:
            (d / name).write_bytes(b"\xff\xfe garbage {")
        elif r < 0.3:
            (d / name).write_text(self.deep(self.rng.choice([200, 3000])))
        elif r < 0.35:
            (d / name).write_text(json.dumps(self.wrong()))
        else:
            (d / name).write_bytes(json.dumps(build()).encode("utf-8", "surrogatepass"))

    def run_folder(self, i: int, ids: list) -> None:
        name = self.rng.choice([f"run{i}", f"run{i} <b>", f"r{i}-{self.s()[:20]}", f"{i}ünï"])
        name = name.replace("/", "_").replace("\x00", "_").replace("\ud800", "_")[:80] or f"run{i}"
        d = self.runs / name
        if d.exists():
            d = self.runs / f"run{i}"
        (d / "media/image").mkdir(parents=True, exist_ok=True)
        (d / "media/image/ok.png").write_bytes(_png_bytes())
        os.symlink(self.outside / "secret.png", d / "media/image/leak.png")
        os.symlink(self.outside / "dir", d / "media/linked")
        (d / "media/html").mkdir()
        (d / "media/html/p.html").write_bytes(html_payload(self.canary))
        (d / "media/svg").mkdir()
        (d / "media/svg/f.svg").write_bytes(svg_payload(self.canary))
        (d / "media/table").mkdir()
        (d / "media/table/t.json").write_text(json.dumps({"columns": [self.s(), "b"],
                                                          "data": [[self.s(), self.value()] for _ in range(3)]}))
        run_id = self.rng.choice([self.s(), ids[0] if ids else "dup", d.name, self.wrong()])
        ids.append(run_id)
        self.json_file(d, "run.json", lambda: {
            "id": run_id, "name": self.value(), "project": self.value(), "group": self.value(),
            "tags": self.rng.choice([[self.s(), self.s()], self.wrong()]), "notes": self.value(),
            "state": self.rng.choice(["finished", "running", self.s(), 3]), "created": self.value()})
        self.json_file(d, "config.json", lambda: {self.s(): self.value() for _ in range(3)})
        self.json_file(d, "summary.json", lambda: {self.s(): self.value(), "media": self.record(d)})
        (d / "history.jsonl").write_bytes(self.history(d))
        self.fifos(d)

    def fifos(self, d: Path) -> None:
        """Named pipes under run-file and media names: opening one to read blocks until a writer comes,
        so a builder that reads it never finishes."""
        if not hasattr(os, "mkfifo"):
            return
        names = ["history.jsonl", "config.json", "summary.json", "run.json", "output.log", "system.jsonl"]
        for name in self.pipes.sample(names, self.pipes.randint(1, 2)):  # one or two in every run folder
            (d / name).unlink(missing_ok=True)
            os.mkfifo(d / name)
        os.mkfifo(d / "media/image/pipe.png")
        with open(d / "history.jsonl", "ab") if (d / "history.jsonl").is_file() else open(os.devnull, "ab") as fh:
            fh.write(b'{"_step": 999, "piped": {"_type": "image", "path": "media/image/pipe.png", "width": 1, "height": 1}}\n')

    def make(self) -> None:
        self.outside.mkdir(parents=True)
        (self.outside / "secret.txt").write_text(self.token)
        (self.outside / "secret.png").write_bytes(_png_bytes(self.token.encode()))
        (self.outside / "dir").mkdir()
        (self.outside / "dir/secret.png").write_bytes(_png_bytes(self.token.encode()))
        (self.outside / "dir/secret.html").write_text(self.token)
        (self.base / "neighbour").mkdir()
        (self.base / "neighbour/keep.txt").write_text("neighbour")
        self.runs.mkdir()
        ids: list = []
        for i in range(self.rng.randint(1, 4)):
            self.run_folder(i, ids)
        os.symlink(self.outside, self.runs / "linked-run")  # a "run folder" that is a link out
        (self.outside / "run.json").write_text('{"id": "linked"}')
        rep = self.runs / "reports"
        rep.mkdir()
        body = "\n\n".join(self.s() for _ in range(4))
        first = next(iter(sorted(p.name for p in self.runs.iterdir() if p.is_dir() and p.name != "reports")))
        (rep / "r.md").write_text(f"---\ntitle: {self.s()!r}\n---\n# {self.s()}\n\n{body}\n\n"
                                  f'![x](img.svg) ![y](../outside/secret.png) [l]({self.s()})\n\n'
                                  f'{{{{< media run="{first}" key="img" >}}}}\n\n'
                                  f'{{{{< value run="{self.s()}" key="{self.s()}" >}}}}\n',
                                  encoding="utf-8", errors="surrogatepass")
        (rep / "img.svg").write_bytes(svg_payload(self.canary))
        os.symlink(self.outside / "secret.txt", rep / "leak.md")
        if hasattr(os, "mkfifo"):
            os.mkfifo(rep / "pipe.md")
            if self.pipes.random() < 0.5:
                os.mkfifo(self.runs / "workspace.json")


def _shared_layout(root: HostileRoot) -> None:
    """Every run folder of ``root`` in the segmented layout of shared runs (docs/format.md): its
    history as segment 1, and for odd seeds a second writer with the same rows and run.json. A root
    holding such folders is read through its joined copy (storage/mirror.py), not as run folders."""
    for d in sorted(root.runs.iterdir()):
        if d.is_symlink() or not d.is_dir():
            continue
        history = d / "history.jsonl"
        if history.is_file() and not history.is_symlink():
            (d / "history").mkdir()
            os.replace(history, d / "history/000001.jsonl")
        if root.seed % 2 and (d / "history/000001.jsonl").is_file():
            writer = d / "writers/rank1"
            (writer / "history").mkdir(parents=True)
            shutil.copyfile(d / "history/000001.jsonl", writer / "history/000001.jsonl")
            if (d / "run.json").is_file() and not (d / "run.json").is_symlink():
                shutil.copyfile(d / "run.json", writer / "run.json")


def _build_or_fail(seed: int, cfg: BuildConfig):
    """The build, failing the test (instead of hanging it) when it does not finish: a reader that
    opens a named pipe blocks forever."""
    out: dict = {}

    def go() -> None:
        try:
            out["res"] = build(cfg)
        except BaseException as exc:  # re-raised below, in the test's thread
            out["exc"] = exc

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(300)
    assert not t.is_alive(), f"seed {seed}: the build did not finish in 300 s (blocked reading a pipe?)"
    if "exc" in out:
        raise out["exc"]
    return out["res"]


def _is_run(d: Path) -> bool:
    """Whether the folder ``d`` is a run folder (a link out of the root is not)."""
    from reportgen.storage.format import RunPaths

    return not d.is_symlink() and d.is_dir() and RunPaths(d).is_run()


def _check_root(seed: int, browser=None, joined: Path | None = None) -> None:
    """``joined``: the root's runs in the shared (segmented) layout, read through a joined copy
    there (``$REPORTGEN_CACHE_DIR``, set by the caller), which must hold nothing from outside either."""
    base = Path(tempfile.mkdtemp(prefix="rg-fuzz-"))
    canary = Canary()
    try:
        root = HostileRoot(seed, base, canary.base)
        root.make()
        if joined is not None:
            _shared_layout(root)
        before = snapshot(base, skip=root.site)
        cfg = BuildConfig(runs=root.runs, out=root.site, quiet=True, join_segmented=joined is not None)
        res = _build_or_fail(seed, cfg)  # 1. finishes
        # (a root whose folders all lack run.json and hold a pipe as history.jsonl has no run: such a
        # folder is one the SDK is still creating, scan.py; seeds 1038 and 1128)
        assert res.runs >= 1 or not any(_is_run(d) for d in root.runs.iterdir()), f"seed {seed}: no run built"
        # 2. every file under SITE is the builder's
        listed = set(json.loads((root.site / MANIFEST).read_text())["files"])
        for p in root.site.rglob("*"):
            rel = p.relative_to(root.site).as_posix()
            if p.is_file() or p.is_symlink():
                assert rel in listed or rel == MANIFEST or rel.startswith(CACHE_PREFIX), f"seed {seed}: {rel}"
            assert not p.is_symlink(), f"seed {seed}: a link in the site: {rel}"
        # 3. nothing outside SITE changed
        assert snapshot(base, skip=root.site) == before, f"seed {seed}: the tree around the site changed"
        # 4. nothing from outside RUNS is published
        for p in root.site.rglob("*"):
            if p.is_file() and not p.name.endswith(".pkl"):
                assert root.token.encode() not in p.read_bytes(), f"seed {seed}: {p} leaks a file from outside"
        assert not [p for p in (root.site / "media").rglob("*.htm*")] if (root.site / "media").exists() else True
        for p in joined.rglob("*") if joined is not None else ():
            assert not (p.is_file() and root.token.encode() in p.read_bytes()), f"seed {seed}: {p} copies a file from outside"
        # a rebuild over the same site changes nothing of that
        _build_or_fail(seed, cfg)
        assert snapshot(base, skip=root.site) == before, f"seed {seed}: a rebuild changed the tree around the site"
        if browser is None:
            return
        # 5. no payload runs, in the pages or in published files opened on their own
        probe = Probe(browser, canary)
        runs = sorted(root.site.glob("runs/*/index.html"))
        pages = [root.site / "index.html"] + runs[-1:] + sorted(root.site.glob("reports/*.html"))[:1] \
            + sorted(root.site.rglob("*.svg"))[:1]
        for page in pages:
            probe.open(page.resolve().as_uri(), wait_ms=150)
        server = StaticServer(root.site)
        try:
            for page in runs[:1]:  # the same files served over http (the GitHub Pages case)
                probe.open(server.base + page.relative_to(root.site).as_posix(), wait_ms=150)
        finally:
            server.close()
        problems = probe.check()
        assert not problems, f"seed {seed}:\n" + "\n".join(problems)
    finally:
        canary.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("seed", [0, 1, 103])  # 103: a gallery whose items are a number
def test_fixed_hostile_roots(seed, _playwright_browser):
    _check_root(seed, _playwright_browser)


@pytest.mark.parametrize("seed", [80, 1038] + [200 + i for i in range(10)])
def test_hostile_roots_build_only(seed):
    """204: raw surrogate bytes in a key; 80: a NaN config value of a sweep's parameter (the sweep
    page's JSON raised "Out of range float values", found by hypothesis in CI)."""
    _check_root(seed)


@pytest.mark.parametrize("seed", [0, 1, 203])
def test_hostile_roots_of_shared_runs_build_only(seed, tmp_path, monkeypatch):
    """The same roots with their runs in the shared runs' layout: the joined copy followed links out
    (a secret published), read pipes (the build never finished) and /dev/zero, all of which the run
    folders' readers refuse (tests/test_security_shared_root.py)."""
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))
    _check_root(seed, joined=tmp_path / "cache")


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=4, max_value=2**31))
def test_generated_hostile_roots(seed, _playwright_browser):
    _check_root(seed, _playwright_browser)


def _other_readers(seed: int) -> None:
    """The generated root through the other readers of run folders: ``Api()`` (every run's fields,
    history, scan, files; sorted, filtered, looked up by id), ``reportgen export`` (Parquet, CSV) and
    ``reportgen summary``. None raises, none writes outside its output folder, none copies a file
    from outside RUNS, and no warning carries a control character to the terminal."""
    import warnings

    import reportgen
    from reportgen.export.summary_md import SummaryOptions, write_summary
    from reportgen.export.tabular import export_runs

    base = Path(tempfile.mkdtemp(prefix="rg-fuzz-readers-"))
    canary = Canary()
    try:
        root = HostileRoot(seed, base, canary.base)
        root.make()
        work = base / "work"
        work.mkdir()
        before = snapshot(base, skip=work)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            api = reportgen.Api(root.runs)
            runs = api.runs()
            for r in runs:
                (r.id, r.name, r.project, r.group, r.tags, r.state, dict(r.config), dict(r.summary))
                r.history(), r.history(samples=3), r.history(keys=["loss"]), list(r.scan_history())
                [f.name for f in r.files()]
                if isinstance(r.id, str):
                    try:
                        api.run(r.id)
                    except ValueError:  # (an id shared by two folders, or one a folder name cannot be)
                        pass
            api.runs(order="-summary.loss"), api.runs(order="created"), api.runs(filters={"tags": "x"})
        export_runs(root.runs, work / "pq", "parquet")
        export_runs(root.runs, work / "csv", "csv")
        for fmt in ("png", "svg"):
            write_summary(SummaryOptions(root.runs, work / f"s-{fmt}.md", image_format=fmt))
        assert snapshot(base, skip=work) == before, f"seed {seed}: a reader changed the tree around its output"
        for p in work.rglob("*"):
            assert not (p.is_file() and root.token.encode() in p.read_bytes()), f"seed {seed}: {p} leaks a file"
        texts = [str(w.message) for w in caught]
        assert not [t for t in texts if "\x1b" in t or "\x07" in t], f"seed {seed}: {texts}"
    finally:
        canary.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize("seed", [9, 17])  # 9: a 300-character run id; 17: "created" of mixed types
def test_hostile_roots_through_the_other_readers(seed):
    _other_readers(seed)


@settings(max_examples=2, deadline=None)
@given(seed=st.integers(min_value=4, max_value=2**31))
def test_generated_hostile_roots_through_the_other_readers(seed):
    _other_readers(seed)
