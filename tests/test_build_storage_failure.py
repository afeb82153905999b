"""The build when storage fails under it: the cache is an optimisation (a full disk, a read-only
folder, a file where a folder is expected there is one warning, and the site is built complete and
correct; the next build trusts no half-written entry), the site is not (a full site folder ends
the build with one line naming the file and the OS error, every file left whole).

Real file systems: a tmpfs the test mounts, filled with a ballast file or remounted read-only
(skipped where the machine cannot mount one); real ``reportgen build`` and ``serve`` processes."""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import pytest

from reportgen.site.builder import build
from reportgen.site.cache import RunCache
from reportgen.site.config import BuildConfig, default_cache_dir
from serveproc import REPO, ServeProcess, http_get
from site_runs import append_rows, rows, wavy, write_run
from smallfs import fill, read_only_folder, tmpfs

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
SAMPLES = 100


def _runs(root: Path, n: int = 6, steps: int = 2000) -> None:
    for i in range(n):
        write_run(root, f"r{i}", rows(steps, loss=wavy, acc=lambda s, i=i: math.cos(s + i)))


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reportgen", "build", *map(str, args), "--samples", str(SAMPLES)],
                          capture_output=True, text=True, env=env or ENV, timeout=300)


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def _fresh(root: Path, out: Path) -> dict[str, bytes]:
    """The site a build without any cache makes of ``root``."""
    build(BuildConfig(runs=root, out=out, quiet=True, samples=SAMPLES, cache=False))
    return _files(out)


def _entries_whole(cache: Path) -> list[str]:
    """The cache's files that are not whole: a temporary file, or a run's entry that does not load."""
    bad = [p.name for p in cache.rglob("*") if ".tmp" in p.name]
    c = RunCache(cache, SAMPLES)
    for p in (cache / "runs").glob("*.pkl"):
        entry = c.load_info(p.stem)
        if entry is None or (entry["cols"] and c.load_cols(p.stem) is None):
            bad.append(p.name)
    return bad


def test_a_cache_that_fills_mid_build_is_one_warning_and_the_next_build_trusts_no_half_entry(tmp_path, monkeypatch):
    """$REPORTGEN_CACHE_DIR's disk fills after two runs' entries: ``reportgen build`` ended with a traceback
    (OSError: [Errno 28] from the third run's entry, left half-written; then from Jinja's compiled
    templates kept there). It warns once, naming the cache and the OS error, and builds the whole site;
    no half-written entry is left, and a build with room again makes the same site as a build without
    a cache."""
    root = tmp_path / "runs"
    _runs(root)
    out = tmp_path / "site"
    with tmpfs(tmp_path / "cachefs", "4m") as fs:
        monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(fs / "user"))
        env = {**ENV, "REPORTGEN_CACHE_DIR": str(fs / "user")}
        cache = default_cache_dir(out)
        fill(fs, leave=36 * 1024)  # two 14 KB entries, and part of the third
        proc = _cli(root, "-o", out, env=env)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        warned = [line for line in proc.stderr.splitlines() if "build cache" in line]
        assert len(warned) == 1, proc.stderr
        assert f"build cache {cache}: cannot write {cache}" in warned[0] and "No space left on device" in warned[0]
        assert _files(out) == _fresh(root, tmp_path / "fresh")
        assert _entries_whole(cache) == []
        written = sorted(p.name for p in (cache / "runs").glob("*.pkl"))
        assert 0 < len(written) < 6, written  # (some entries written: the disk filled in the middle)

        # room again, two runs grown: the runs without an entry are parsed again, the site is right
        (fs / "ballast").unlink()
        append_rows(root / "r0", rows(50, start=2000, loss=wavy))
        append_rows(root / "r5", rows(50, start=2000, loss=wavy))
        proc = _cli(root, "-o", out, env=env)
        assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
        assert _files(out) == _fresh(root, tmp_path / "fresh2")
        assert _entries_whole(cache) == [] and len(list((cache / "runs").glob("*.pkl"))) == 6


@pytest.mark.parametrize("how", ["read-only", "file-for-folder"])
def test_a_cache_folder_that_refuses_writes_is_one_warning_and_the_site_is_built(tmp_path, how):
    """The cache folder itself can be written (the build's first check passes) but its ``runs/`` cannot:
    a read-only bind mount of it (its mode when not root), or a file where the snapshot's folder
    is expected. build() raised OSError (EROFS, EEXIST) from the first entry it wrote; it warns once
    and the site is the same as a build's without a cache, at every build."""
    root = tmp_path / "runs"
    _runs(root, n=3, steps=300)
    cache = tmp_path / "cache"
    cache.mkdir()
    if how == "file-for-folder":
        (cache / "snapshot").write_text("not a folder")
        blocked = cache / "snapshot"
    else:
        blocked = cache / "runs"
        blocked.mkdir()
    with read_only_folder(blocked) if how == "read-only" else nullcontext():
        for i in range(2):
            if i:  # (a run grown: parsed again, its entry written again)
                append_rows(root / "r1", rows(20, start=300, loss=wavy))
            want = _fresh(root, tmp_path / f"fresh{i}")
            res = build(BuildConfig(runs=root, out=tmp_path / "site", quiet=True, samples=SAMPLES, cache_dir=cache))
            [warning] = res.warnings
            assert warning.startswith(f"build cache {cache}: cannot write {blocked}"), warning
            assert ("EROFS" in warning or "EACCES" in warning) if how == "read-only" else "EEXIST" in warning, warning
            assert _files(tmp_path / "site") == want


@pytest.mark.parametrize("record", ["scan.bin", "site-folders.bin"])
def test_a_listing_record_the_cache_cannot_take_is_the_caches_one_warning(tmp_path, record):
    """The listings' records in the cache folder (the run folders' ``scan.bin``, the site folders'
    ``site-folders.bin``: records.py) could not be written (here a folder stands at the record's path;
    a full or read-only cache alike) and nothing was said, while every other cache write that fails is
    one warning. It is that warning, naming the record, from ``reportgen build`` (whose listings are
    made in forked children) and from build(); the site is built, the same as without a cache."""
    root = tmp_path / "runs"
    _runs(root, n=2, steps=50)
    cache = tmp_path / "cache"
    (cache / record).mkdir(parents=True)
    want = _fresh(root, tmp_path / "fresh")
    out = tmp_path / "site"
    proc = _cli(root, "-o", out, "--cache-dir", cache)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    warned = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warned) == 1 and f"build cache {cache}: cannot write {cache / record}: EISDIR" in warned[0], \
        proc.stderr
    assert _files(out) == want
    append_rows(root / "r1", rows(20, start=50, loss=wavy))  # (the run folders' record changes)
    res = build(BuildConfig(runs=root, out=out, quiet=True, samples=SAMPLES, cache_dir=cache))
    [warning] = res.warnings
    assert warning.startswith(f"build cache {cache}: cannot write {cache / record}: EISDIR"), warning
    assert _files(out) == _fresh(root, tmp_path / "fresh2")


def _leftovers(site: Path) -> list[str]:
    return [p.relative_to(site).as_posix() for p in site.rglob("*") if ".tmp" in p.name]


def test_a_full_site_folder_ends_the_build_with_one_line_and_leaves_every_file_whole(tmp_path):
    """The site's disk is full when a rebuild writes a new run: ``reportgen build`` ended with a traceback
    (OSError: [Errno 28]) and left half-written files. It ends with status 1 and one line naming the file
    and the OS error; every file of the site is whole (its previous bytes or those of the new site), none
    is deleted, the user's own file stays; with room again the next build makes the whole new site."""
    root = tmp_path / "runs"
    _runs(root, n=3)
    with tmpfs(tmp_path / "sitefs", "8m") as fs:
        out = fs / "site"
        cache = tmp_path / "cache"
        proc = _cli(root, "-o", out, "--cache-dir", cache)
        assert proc.returncode == 0, proc.stderr
        (out / "notes.txt").write_text("mine")
        before = _files(out)
        for i in range(3, 9):  # new runs: their data files and pages to write
            write_run(root, f"r{i}", rows(2000, loss=wavy, acc=lambda s, i=i: math.sin(s * i)))
        append_rows(root / "r0", rows(50, start=2000, loss=wavy))
        after = _fresh(root, tmp_path / "fresh")
        ballast = fill(fs, leave=48 * 1024)
        proc = _cli(root, "-o", out, "--cache-dir", cache)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr, proc.stderr
        [line] = [x for x in proc.stderr.splitlines() if "error" in x]  # (and the progress lines)
        assert line.startswith(f"reportgen: error: cannot write {out}{os.sep}") and "No space left on device" in line, \
            proc.stderr
        assert _leftovers(out) == []
        now = _files(out)
        assert now.keys() == before.keys()  # nothing deleted, the files it added removed
        for rel, data in now.items():
            assert data == before.get(rel) or data == after.get(rel), f"{rel} is neither the old file nor the new one"
        assert now["notes.txt"] == b"mine"

        ballast.unlink()
        proc = _cli(root, "-o", out, "--cache-dir", cache)
        assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
        now = _files(out)
        assert now.pop("notes.txt") == b"mine" and now == after


def test_serve_watch_warns_when_a_rebuild_cannot_write_its_cache_and_serves_the_new_site(tmp_path):
    """``serve --watch``: a rebuild whose cache cannot be written (its cache-<slot>/runs a file: a
    folder expected) failed, and serve kept the previous site with the error banner; the new run was
    never served. It warns (once) and serves the rebuilt site, and the next rebuild too."""
    root = tmp_path / "runs"
    _runs(root, n=2, steps=100)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with ServeProcess(str(root), "--watch", "--port", "0", env={"TMPDIR": str(tmp)}) as srv:
        [served] = list(tmp.glob("reportgen-serve-*"))
        blocked = served / "cache-b" / "runs"  # the first rebuild builds into slot b
        shutil.rmtree(blocked)
        blocked.write_text("not a folder")
        write_run(root, "late", rows(100, loss=wavy))
        _wait_page(srv, "/runs/late/index.html")
        err = srv.stderr()
        assert "rebuild failed" not in err, err
        assert err.count(f"warning: build cache {served / 'cache-b'}: cannot write {blocked}") == 1, err
        write_run(root, "later", rows(100, loss=wavy))  # (into slot a, whose cache is fine)
        _wait_page(srv, "/runs/later/index.html")
        assert "rebuild failed" not in srv.stderr() and srv.proc.poll() is None


def _wait_page(srv: ServeProcess, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        resp = http_get(srv.port, path)
        resp.read()
        if resp.status == 200:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} not served after {timeout} s:\n{srv.stderr()}")
        time.sleep(0.2)


def test_a_build_stopped_by_its_site_deletes_no_media_the_old_pages_link(tmp_path):
    """A rebuild after which a run's page no longer shows its images deleted their copies before writing
    the run pages; stopped there (the run page's folder cannot be written: a read-only bind mount, or
    its mode when not root), it left the old page linking deleted images. The copies are deleted once
    every page is written: the stopped build leaves them, and the error names the page."""
    import json

    import numpy as np

    import reportgen
    from reportgen.site.executor import BuildError

    root, out = tmp_path / "runs", tmp_path / "site"
    run = reportgen.init(dir=root, id="a", name="a", project="p", settings={"x_disable_stats": True})
    for i in range(3):
        run.log({"loss": 1.0 / (i + 1), "img": reportgen.Image(np.full((8, 8, 3), 40 * i, np.uint8))})
    run.finish()
    write_run(root, "b", rows(50, loss=wavy))
    build(BuildConfig(runs=root, out=out, quiet=True, samples=SAMPLES, cache_dir=tmp_path / "cache"))
    media = sorted(p for p in (out / "media").rglob("*") if p.is_file())
    page = (out / "runs" / "a" / "index.html").read_bytes()
    assert len(media) == 3
    history = root / "a" / "history.jsonl"  # (rewritten without its images: the page shows none)
    kept = [json.loads(line) for line in history.read_text().splitlines()]
    history.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "img"}) + "\n" for r in kept))
    with read_only_folder(out / "runs" / "a"):
        with pytest.raises(BuildError, match=r"cannot write .*runs/a/.*(EROFS|EACCES)"):
            build(BuildConfig(runs=root, out=out, quiet=True, samples=SAMPLES, cache_dir=tmp_path / "cache"))
        assert (out / "runs" / "a" / "index.html").read_bytes() == page
        assert all(p.is_file() for p in media), [p for p in media if not p.is_file()]
    build(BuildConfig(runs=root, out=out, quiet=True, samples=SAMPLES, cache_dir=tmp_path / "cache"))
    # built in full: the images the pages no longer show are deleted (the summary's, the last, is shown)
    assert [p.exists() for p in media] == [False, False, True]


def test_a_site_folder_that_cannot_be_made_or_cleaned_is_one_line(tmp_path):
    """``-o`` in a read-only folder ended ``reportgen build`` with a traceback (OSError: [Errno 30] from the
    site folder's mkdir), as did a stale page that could not be deleted once every page was written (a
    run gone, its page's folder read-only). Each is one line naming the file and the OS error, status 1."""
    root = tmp_path / "runs"
    _runs(root, n=2, steps=20)
    parent = tmp_path / "ro"
    parent.mkdir()
    with read_only_folder(parent):
        proc = _cli(root, "-o", parent / "site", "--cache-dir", tmp_path / "cache")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if "error" in x]
    assert line.startswith(f"reportgen: error: cannot write {parent / 'site'} (") and "before writing anything" in line

    out = tmp_path / "site"
    assert _cli(root, "-o", out, "--cache-dir", tmp_path / "cache").returncode == 0
    shutil.rmtree(root / "r1")
    with read_only_folder(out / "runs" / "r1"):
        proc = _cli(root, "-o", out, "--cache-dir", tmp_path / "cache")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = [x for x in proc.stderr.splitlines() if "error" in x]
    assert line.startswith(f"reportgen: error: cannot write {out / 'runs' / 'r1' / 'index.html'} (") \
        and "after writing every page" in line, line
    assert b"r1" not in (out / "index.html").read_bytes()  # (the pages are the new site's)
    assert _cli(root, "-o", out, "--cache-dir", tmp_path / "cache").returncode == 0
    assert not (out / "runs" / "r1").exists()


def _unlisted(site: Path) -> set[str]:
    """The files of ``site`` its manifest does not list (the user's, to the next build)."""
    import json

    from reportgen.site.manifest import MANIFEST

    listed = set(json.loads((site / MANIFEST).read_text())["files"])
    return {rel for rel in _files(site) if rel not in listed and rel != MANIFEST}


@pytest.mark.parametrize("fails", ["manifest", "stale page"])
def test_a_build_stopped_at_its_end_leaves_no_file_it_added_unlisted(tmp_path, fails):
    """The last step of a build, every page written: a stale file deleted, then the manifest written. When
    either failed (the manifest: a folder stands where its temporary file goes, as a full site folder;
    a stale page: its folder read-only), the build ended with its one line, but the manifest was not
    written: the new run's files stayed unlisted, so the next build took them for the user's, and never
    deleted them once the run was gone. The manifest is written again, or, where it cannot be, the files
    the build added are deleted: the site and its manifest agree, and the next builds finish the work."""
    from reportgen.site.executor import BuildError

    root, out, cache = tmp_path / "runs", tmp_path / "site", tmp_path / "cache"
    _runs(root, n=2, steps=50)

    def _build():
        return build(BuildConfig(runs=root, out=out, quiet=True, samples=SAMPLES, cache_dir=cache))

    assert _build().warnings == []
    (out / "notes.txt").write_text("mine")
    write_run(root, "new", rows(50, loss=wavy))
    if fails == "manifest":
        blocker = out / f"..reportgen-manifest.json.tmp{os.getpid()}"  # (write.replace_bytes)
        blocker.mkdir()
        with pytest.raises(BuildError, match=r"cannot write .*\.reportgen-manifest\.json \(EISDIR.*it could not "
                                             r"list its files, so it deleted those it added"):
            _build()
        blocker.rmdir()
        assert not (out / "runs" / "new").exists()
    else:
        shutil.rmtree(root / "r1")
        with read_only_folder(out / "runs" / "r1"):
            with pytest.raises(BuildError, match=r"cannot write .*r1.*index\.html \((EROFS|EACCES).*listing its own"):
                _build()
        assert (out / "runs" / "new" / "index.html").is_file()
    assert _unlisted(out) == {"notes.txt"}
    assert _build().warnings == []
    shutil.rmtree(root / "new")  # every file of its the builder wrote: deleted, none left as the user's
    assert _build().warnings == []
    assert not (out / "runs" / "new").exists() and not list(out.glob("**/new*")) and _unlisted(out) == {"notes.txt"}


@pytest.mark.parametrize("what", ["image", "waveform", "report image"])
def test_a_media_file_the_site_cannot_take_ends_the_build(tmp_path, what):
    """A run's image copy, an audio's waveform picture, a report's image: one that could not be written
    into the site (its folder read-only here, as a full disk) was a warning ('could not show image',
    'no waveform', 'image ... not published') and the build went on to a site without it, status 0.
    It is the build's one-line error naming the file, as any file of the site."""
    import numpy as np

    import reportgen
    from reportgen.media import Audio, Image
    from reportgen.site.executor import BuildError

    root, out, reports = tmp_path / "runs", tmp_path / "site", tmp_path / "reports"
    run = reportgen.init(dir=root, id="a", name="a", project="p", settings={"x_disable_stats": True})
    run.log({"loss": 1.0, "img": Image(np.full((8, 8, 3), 90, np.uint8)),
             "snd": Audio(np.sin(np.arange(8000) / 10).astype(np.float32), sample_rate=8000)})
    run.finish()
    reports.mkdir()
    from PIL import Image as PILImage

    PILImage.new("RGB", (40, 20), (200, 30, 30)).save(reports / "pic.png")
    (reports / "notes.md").write_text("# Notes\n\n![a picture](pic.png)\n")
    cfg = BuildConfig(runs=root, out=out, quiet=True, samples=SAMPLES, cache_dir=tmp_path / "cache", reports=reports)
    assert build(cfg).warnings == []
    made = {"image": "media/a/**/img_*.png", "waveform": "media/a/**/*_wave.png", "report image": "reports/files/pic.png"}
    [gone] = out.glob(made[what])
    gone.unlink()  # (made again by the next build, into a folder that cannot take it)
    with read_only_folder(gone.parent):
        with pytest.raises(BuildError, match=rf"cannot write {gone} \((EROFS|EACCES)"):
            build(cfg)
    assert build(cfg).warnings == [] and gone.is_file()
