"""Issue 12, points 1-7: the builder never writes, deletes or publishes outside what it owns.

Each test is one of the issue's reproducers (they failed on the code before the fix)."""
from __future__ import annotations

import json
import re
import os
import shutil
import warnings as pywarnings
from pathlib import Path

import pytest
from PIL import Image

from hostile import Canary, Probe, StaticServer, html_payload, svg_payload
from reportgen.site.config import BuildConfig
from reportgen.site.builder import build

def _png(path: Path, color=(200, 30, 30)) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (6, 4), color).save(path)
    return path.name


def _run(root: Path, folder: str, rows: list[dict], meta: dict | None = None, **files: str) -> Path:
    d = root / folder
    d.mkdir(parents=True, exist_ok=True)
    (d / "run.json").write_text(json.dumps({"id": folder, "name": folder, "state": "finished", **(meta or {})}))
    with open(d / "history.jsonl", "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    for name, text in files.items():
        (d / name).write_text(text)
    return d


def _img(path: str) -> dict:
    return {"_type": "image", "path": path, "width": 6, "height": 4}


def _build(runs: Path, out: Path, **kw):
    return build(BuildConfig(runs=runs, out=out, quiet=True, **kw))


def _site_bytes(out: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in out.rglob("*") if p.is_file())


# -- 1. run.json id is data, never a path -----------------------------------------------------------

@pytest.mark.parametrize("bad_id", ["../../../victim", "../" * 40 + "tmp/rg-victim", "/abs/victim", "a/b", "x\x00y"])
def test_run_id_never_becomes_a_path(tmp_path, bad_id):
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "img": _img("media/image/x.png"), "loss": 1.0}], meta={"id": bad_id})
    _png(d / "media/image/x.png")
    out = tmp_path / "site" / "out"
    res = _build(runs, out)
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and runs not in p.parents and out not in p.parents]
    assert outside == []
    assert not Path("/tmp/rg-victim").exists() and not Path("/abs").exists()
    assert (out / "media/a/image/x.png").is_file() and (out / "runs/a/index.html").is_file()
    assert any("is not a safe name" in w and "'a'" in w for w in res.warnings)


# -- 2. links out of the run folder are never followed -------------------------------------------

def test_symlinked_media_files_and_folders_are_refused(tmp_path):
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "passwd").write_text("root:x:0:0:CANARY-SECRET\n")
    _png(secret / "private.png", (1, 2, 3))
    (secret / "private.png").write_bytes((secret / "private.png").read_bytes() + b"CANARY-SECRET")
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "img": _img("media/image/x.png"), "leak": _img("media/image/leak.png"),
                          "dir": _img("media/linked/private.png"),
                          "page": {"_type": "html", "path": "media/html/p.html"},
                          "snd": {"_type": "audio", "path": "media/audio/a.wav"},
                          "t": {"_type": "tensor", "shape": [1], "dtype": "f", "path": "media/t.npy"}}])
    _png(d / "media/image/x.png")
    os.symlink(secret / "private.png", d / "media/image/leak.png")
    os.symlink(secret, d / "media/linked")
    (d / "media/html").mkdir()
    os.symlink(secret / "passwd", d / "media/html/p.html")
    (d / "media/audio").mkdir()
    os.symlink(secret / "passwd", d / "media/audio/a.wav")
    os.symlink(secret / "passwd", d / "media/t.npy")
    # run files that are links out of their folder (a JSON secret, any text file)
    (secret / "creds.json").write_text('{"token": "CANARY-SECRET"}')
    c = _run(runs, "c", [])
    (c / "history.jsonl").unlink()
    os.symlink(secret / "creds.json", c / "config.json")
    os.symlink(secret / "creds.json", c / "summary.json")
    os.symlink(secret / "passwd", c / "history.jsonl")
    # a whole run folder that is a link out of the runs root
    other = tmp_path / "elsewhere" / "b"
    _run(other.parent, "b", [{"_step": 0, "loss": 1.0}], **{"config.json": '{"secret": "CANARY-SECRET"}'})
    os.symlink(other, runs / "b")
    # reports and presets: files that are links out of their folder
    (runs / "reports").mkdir()
    os.symlink(secret / "passwd", runs / "reports" / "leak.md")
    (runs / "reports" / "ok.md").write_text("# ok\n\n![x](img.png)\n")
    os.symlink(secret / "private.png", runs / "reports" / "img.png")
    out = tmp_path / "site"
    res = _build(runs, out)
    assert b"CANARY-SECRET" not in _site_bytes(out)
    text = "\n".join(res.warnings)
    for key in ("leak", "dir", "page", "snd", "t"):
        assert f"run a: media {key} (step 0): file path" in text and "outside the run folder" in text
    assert "run folder 'b' is a link to a folder outside the runs root" in text
    for name in ("config.json", "summary.json", "history.jsonl"):
        assert f"run c: {name} is a link to a file outside the run folder (not read)" in text
    assert "report leak.md: a link to a file outside the reports folder" in text
    assert (out / "media/a/image/x.png").is_file() and (out / "reports/ok.html").is_file()


def test_symlinked_preset_is_refused(tmp_path):
    from reportgen.site.panels.charts import preset_file

    presets = tmp_path / "presets"
    presets.mkdir()
    (tmp_path / "evil.json").write_text("{}")
    os.symlink(tmp_path / "evil.json", presets / "mine.json")
    with pytest.raises(ValueError, match="outside the presets folder"):
        preset_file(presets, "mine")


# -- 3. two folders with the same run id -----------------------------------------------------------

def test_copied_run_folder_keeps_its_own_media(tmp_path):
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "tbl": {"_type": "table", "path": "media/table/t.json"}}])
    (d / "media/table").mkdir(parents=True)
    (d / "media/table/t.json").write_text(json.dumps({"columns": ["v"], "data": [["ORIGINAL"]]}))
    shutil.copytree(d, runs / "a-backup")
    (runs / "a-backup/media/table/t.json").write_text(json.dumps({"columns": ["v"], "data": [["BACKUP"]]}))
    out = tmp_path / "site"
    _build(runs, out)
    a = b"".join(p.read_bytes() for p in (out / "media/a").rglob("*.js"))
    b = b"".join(p.read_bytes() for p in (out / "media/a-backup").rglob("*.js"))
    assert b"ORIGINAL" in a and b"BACKUP" not in a
    assert b"BACKUP" in b and b"ORIGINAL" not in b
    page_a = (out / "runs/a/index.html").read_text()
    assert "media/a/data/" in page_a and "a-backup" not in page_a.split("rgp-root", 1)[-1].split("</main>")[0]


def test_run_folders_named_as_windows_devices_get_other_site_paths(tmp_path):
    """``CON``, ``nul.txt``, ``Aux`` and ``run.`` are fine folder names on Linux, but a site holding them
    cannot be unzipped or checked out on Windows (``run.`` would be ``run``): their pages and media go
    under other names, with the usual not-a-safe-name warning."""
    device = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
    runs = tmp_path / "runs"
    for folder in ["CON", "nul.txt", "Aux", "lpt1", "run.", "run"]:
        d = _run(runs, folder, [{"_step": 0, "img": _img("media/image/x.png"), "loss": 1.0}])
        _png(d / "media/image/x.png")
    out = tmp_path / "site"
    res = _build(runs, out)
    parts = {part for p in out.rglob("*") for part in p.relative_to(out).parts}
    assert not [p for p in parts if device.match(p) or p.endswith(".")]
    run_pages = sorted(p.parent.name for p in (out / "runs").glob("*/index.html"))
    assert len(run_pages) == 6 and "run" in run_pages
    assert len({p.lower() for p in run_pages}) == 6
    assert all(any(f"id {name!r} is not a safe name" in w for w in res.warnings) for name in ["CON", "nul.txt", "run."])
    assert len(list((out / "media").glob("*/image/x.png"))) == 6


# -- 4. the builder deletes only what it wrote ----------------------------------------------------

def test_user_files_in_the_output_folder_survive(tmp_path):
    runs = tmp_path / "runs"
    _run(runs, "a", [{"_step": 0, "loss": 1.0}])
    (runs / "reports").mkdir()
    (runs / "reports" / "sweep.md").write_text("# Sweep\n")
    docs = tmp_path / "docs"
    mine = {"reports/mine.html": "<p>mine</p>", "data/mine.txt": "mine", "notes.md": "mine",
            "media/mine.png": "mine", ".reportgen-cache-not/x": "mine"}
    for rel, text in mine.items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text)
    first = _build(runs, docs, cache=False)  # no cache: stale data files are found by walking data/
    assert (docs / "reports/sweep.html").is_file()
    (runs / "reports" / "sweep.md").unlink()
    second = _build(runs, docs, cache=False)
    assert not (docs / "reports/sweep.html").exists()  # the builder's own stale page goes
    for rel, text in mine.items():
        assert (docs / rel).read_text() == text, rel
    assert any("left 1 file(s) in the output folder alone" in w and "data/mine.txt" in w for w in second.warnings)
    listed = json.loads((docs / ".reportgen-manifest.json").read_text())["files"]
    assert "index.html" in listed and not any(rel in listed for rel in mine)
    assert first.runs == second.runs == 1


def test_a_site_folder_that_holds_the_runs_folder_is_refused(tmp_path):
    """``-o RUNS`` built the site into the runs folder, and ``-o .`` beside ``runs/`` wrote a run page
    into every run folder (the site's runs/<run>/index.html is RUNS/<run>/index.html) and published
    them; ``-o /`` crashed listing /proc. Each is now refused before anything is written, naming -o;
    a site inside the runs folder (``reportgen build . -o site`` in it) still builds."""
    import subprocess
    import sys

    runs = tmp_path / "runs"
    _run(runs, "a", [{"_step": 0, "loss": 1.0}])
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    for out in ("runs", ".", "/", "runs/.."):
        proc = subprocess.run([sys.executable, "-m", "reportgen", "build", "runs", "-o", out, "--cache-dir",
                               str(tmp_path.parent / f"{tmp_path.name}-cache")], cwd=tmp_path, capture_output=True,
                              text=True)
        assert proc.returncode == 1 and f"-o {out!r}: the site folder holds the runs folder" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    res = _build(runs, runs / "site", cache=False)
    assert res.runs == 1 and (runs / "site/runs/a/index.html").is_file() and not (runs / "a/index.html").exists()


def test_a_site_folder_holding_links_to_folders_is_refused(tmp_path):
    """A site folder that came from elsewhere (a CI artifact of runs and site, a repository's docs/)
    with ``data``, ``runs`` or ``media/a`` as links to folders outside it, and a manifest listing
    ``data/keep.txt``: the builder wrote its pages, data and assets through the links and deleted
    the listed "stale" files where they led. Such a build is now refused before anything is written,
    naming the links; without them it builds."""
    import subprocess
    import sys

    from hostile import snapshot

    runs = tmp_path / "runs"
    _run(runs, "a", [{"_step": 0, "loss": 1.0}, {"_step": 1, "loss": 0.5}])
    victim = tmp_path / "victim"
    for name in ("data", "runs", "assets", "m"):
        (victim / name).mkdir(parents=True)
        (victim / name / "keep.txt").write_text("the user's")
    site = tmp_path / "site"
    (site / "media").mkdir(parents=True)
    for name in ("data", "runs", "assets"):
        os.symlink(victim / name, site / name)
    os.symlink(victim / "m", site / "media" / "a")
    (site / ".reportgen-manifest.json").write_text(json.dumps(
        {"version": 1, "files": ["data/keep.txt", "runs/keep.txt", "assets/keep.txt", "media/a/keep.txt"]}))
    before = snapshot(victim)
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site), "--cache-dir",
                           str(tmp_path / "cache")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"-o {str(site)!r}: the site folder holds links to folders (assets, data, media/a ...)" in proc.stderr
    assert snapshot(victim) == before
    for name in ("data", "runs", "assets", "media/a"):
        (site / name).unlink()
    assert _build(runs, site).runs == 1 and (site / "runs/a/index.html").is_file()
    assert snapshot(victim) == before


def test_a_link_under_a_media_files_site_name_is_replaced(tmp_path):
    """A site folder made elsewhere holding ``media/a/images/x.png`` as a link to a file outside it,
    of the size of the run's ``x.png``: the copy was skipped (same size: already there), so the
    site kept the link, listed it as the builder's, and published the file it led to (the run page
    showed it). A link under a media file's or a thumbnail's site name is now replaced by the copy."""
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "img": _img("media/images/x.png")}])
    _png(d / "media/images/x.png")
    secret = tmp_path / "outside.png"
    secret.write_bytes(b"S" * (d / "media/images/x.png").stat().st_size)
    site = tmp_path / "site"
    (site / "media/a/images").mkdir(parents=True)
    os.symlink(secret, site / "media/a/images/x.png")
    _build(runs, site)
    copy = site / "media/a/images/x.png"
    assert not copy.is_symlink() and copy.read_bytes() == (d / "media/images/x.png").read_bytes()
    assert secret.read_bytes() == b"S" * len(copy.read_bytes())
    assert not [p for p in site.rglob("*") if p.is_symlink()]


# -- 5. deep nesting ------------------------------------------------------------------------------

def _deep(n: int) -> str:
    return '{"a":' * n + "1" + "}" * n


@pytest.mark.parametrize("depth", [3000, 500])
def test_deeply_nested_values_never_break_the_build(tmp_path, depth):
    runs = tmp_path / "runs"
    good = '{"_step": 0, "loss": 1.0}\n'
    d = _run(runs, "hist", [])
    (d / "history.jsonl").write_text(good + '{"_step": 1, "deep": ' + _deep(depth) + ', "loss": 2.0}\n'
                                     + '{"_step": 2, "loss": 3.0}\n')
    for name in ("config.json", "summary.json"):
        _run(runs, name.split(".")[0], [{"_step": 0, "loss": 1.0}], **{name: '{"x": ' + _deep(depth) + "}"})
    d = _run(runs, "meta", [{"_step": 0, "loss": 1.0}])
    (d / "run.json").write_text('{"id": "meta", "tags": ' + _deep(depth) + "}")
    _run(runs, "good", [{"_step": 0, "loss": 1.0}])
    res = _build(runs, tmp_path / "site")
    assert res.runs == 5 and (tmp_path / "site/runs/good/index.html").is_file()
    assert any("nested" in w for w in res.warnings)
    page = (tmp_path / "site/runs/hist/index.html").read_text()
    assert "loss" in page
    import reportgen

    with pywarnings.catch_warnings(record=True):
        pywarnings.simplefilter("always")
        found = reportgen.Api(runs).runs()
        assert sorted(r.id for r in found) == ["config", "good", "hist", "meta", "summary"]
        rows = list(next(r for r in found if r.id == "hist").scan_history())
        # (the line's too-deep value is left out, its loss kept)
        assert [(r["_step"], r["loss"], "deep" in r) for r in rows] == [(0, 1.0, False), (1, 2.0, False), (2, 3.0, False)]


def test_a_config_or_summary_key_nested_too_deep_is_left_out_not_the_whole_file(tmp_path):
    """One config value nested 150 levels deep (the SDK writes values up to 255 levels) made every
    reader ignore the whole config.json ("ignored, nested deeper than 100 levels"): the run's lr, its
    summary's best value, all gone from the site and from Api. The deep keys alone are left out,
    named in one warning; the rest is read."""
    import reportgen

    runs = tmp_path / "runs"
    _run(runs, "r", [{"_step": 0, "loss": 1.0}], **{
        "config.json": '{"lr": 0.25, "deep": ' + _deep(150) + ', "deep2": ' + _deep(120) + "}",
        "summary.json": '{"best_acc": 0.875, "deepsum": ' + _deep(300) + "}"})
    res = _build(runs, tmp_path / "site")
    assert "run r: config.json: 'deep', 'deep2': nested deeper than 100 levels; left out" in res.warnings, res.warnings
    assert "run r: summary.json: 'deepsum': nested deeper than 100 levels; left out" in res.warnings, res.warnings
    page = (tmp_path / "site/runs/r/index.html").read_text()
    assert "0.25" in page and "best_acc" in page and "0.875" in page
    with pywarnings.catch_warnings(record=True):
        pywarnings.simplefilter("always")
        run = reportgen.Api(runs).run("r")
    assert run.config == {"lr": 0.25} and run.summary["best_acc"] == 0.875 and "deepsum" not in run.summary


# -- named pipes under run-file names: a reader that opens one blocks forever ------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
@pytest.mark.parametrize("when", ["after the scan", "after parsing"])
def test_a_run_folder_swapped_for_a_link_out_during_a_build_is_not_published(tmp_path, monkeypatch, when):
    """`serve --watch` rebuilding a shared runs folder: a run folder replaced by a link to a folder
    outside the runs root after the build listed it (the link check is made at the scan) had the
    link target's history, console output and media published (found by swapping folders while a
    served site rebuilt). Now every file is checked where it really is when opened."""
    import reportgen.site.builder as builder

    runs, out = tmp_path / "runs", tmp_path / "site"
    row = {"_step": 0, "loss": 1.0, "img": _img("media/images/a.png"),
           "tbl": {"_type": "table", "path": "media/table/t.json", "columns": ["a"], "nrows": 1},
           "page": {"_type": "html", "path": "media/html/p.html"}}
    d = _run(runs, "victim", [row], **{"output.log": "hello\n"})
    _png(d / "media/images/a.png")
    (d / "media/table").mkdir()
    (d / "media/table/t.json").write_text('{"columns": ["a"], "data": [[1]]}')
    (d / "media/html").mkdir()
    (d / "media/html/p.html").write_text("<b>hello</b>")
    _run(runs, "other", [{"_step": 0, "loss": 2.0}])
    secret = tmp_path / "outside" / "victim"
    _run(secret.parent, "victim", [{**row, "CANARY-SECRET": 5.0}], **{"output.log": "CANARY-SECRET\n"})
    _png(secret / "media/images/a.png", (9, 9, 9))
    (secret / "media/images/a.png").write_bytes((secret / "media/images/a.png").read_bytes() + b"CANARY-SECRET")
    (secret / "media/table").mkdir()
    (secret / "media/table/t.json").write_text('{"columns": ["a"], "data": [["CANARY-SECRET"]]}')
    (secret / "media/html").mkdir()
    (secret / "media/html/p.html").write_text("<b>CANARY-SECRET</b>")
    (secret / "alerts.jsonl").write_text('{"title": "CANARY-SECRET", "level": "WARN"}\n')

    def swap():
        d.rename(tmp_path / "victim-real")
        os.symlink(secret, d)

    target = "gather" if when == "after the scan" else "write_pages"
    real = getattr(builder, target)

    def then_swap(*args, **kwargs):
        result = real(*args, **kwargs) if target == "gather" else None
        swap()
        return result if target == "gather" else real(*args, **kwargs)

    monkeypatch.setattr(builder, target, then_swap)
    res = _build(runs, out)
    assert res.runs == 2
    assert b"CANARY-SECRET" not in _site_bytes(out)
    assert "the run folder is a link out of the runs root now" in "\n".join(res.warnings) or when == "after the scan"


def test_named_pipes_in_a_run_folder_never_block_the_build(tmp_path):
    """A FIFO named history.jsonl (or config.json, a media file, a console log...) used to hang the
    build for ever: opening a pipe to read waits for a writer. Every reader refuses non-regular files."""
    import subprocess
    import sys

    runs = tmp_path / "runs"
    d = _run(runs, "piped", [{"_step": 0, "loss": 1.0, "img": _img("media/image/p.png")}])
    for name in ("config.json", "summary.json", "output.log", "system.jsonl", "media/image/p.png"):
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(d / name)
    h = _run(runs, "nohistory", [])
    (h / "history.jsonl").unlink()
    os.mkfifo(h / "history.jsonl")
    _run(runs, "good", [{"_step": 0, "loss": 1.0}])
    (runs / "reports").mkdir()
    os.mkfifo(runs / "reports" / "pipe.md")
    os.mkfifo(runs / "workspace.json")
    # a subprocess with a deadline: on the old code this build never returns
    code = ("import reportgen, sys; res = reportgen.build(reportgen.BuildConfig(runs=sys.argv[1], out=sys.argv[2], quiet=True));"
            "print(res.runs); print(chr(10).join(res.warnings))")
    proc = subprocess.run([sys.executable, "-c", code, str(runs), str(tmp_path / "site")], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "3"
    assert any("history.jsonl is not a regular file" in w for w in lines)
    assert any("config.json is not a regular file" in w for w in lines)
    assert any("p.png" in w and "not a regular file" in w for w in lines)
    assert (tmp_path / "site/runs/good/index.html").is_file()
    assert not list((tmp_path / "site").rglob("p.png"))
    import reportgen

    with pywarnings.catch_warnings(record=True):
        pywarnings.simplefilter("always")
        assert sorted(r.id for r in reportgen.Api(runs).runs()) == ["good", "nohistory", "piped"]


def test_huge_lines_and_files_are_skipped_not_held_in_memory(tmp_path):
    """A sparse history.jsonl of 3 GB without a newline took >2 GB of memory and minutes to build.
    Lines longer than 64 MiB are skipped with a warning (the rows around them are kept), and
    run.json/config.json/summary.json larger than that are not read. Sparse files: no disk used."""
    runs = tmp_path / "runs"
    d = _run(runs, "long", [])
    with open(d / "history.jsonl", "wb") as fh:
        fh.write(b'{"_step": 0, "loss": 1.0}\n{"_step": 1, "junk": "')
        fh.seek(70 << 20, os.SEEK_CUR)  # a 70 MiB hole: zeros that are never written
        fh.write(b'"}\n{"_step": 2, "loss": 3.0}\n')
    with open(d / "config.json", "wb") as fh:
        fh.write(b'{"lr": ')
        fh.seek(80 << 20, os.SEEK_CUR)
        fh.write(b"1}")
    res = _build(runs, tmp_path / "site")
    # the builder reads 16 MiB blocks: a line that ends within 64 MiB + one block is decoded (and
    # refused as JSON), a longer one is skipped unread; either way memory stays bounded
    assert any("history.jsonl" in w and "byte 26" in w for w in res.warnings), res.warnings
    assert res.runs == 1 and (tmp_path / "site/runs/long/index.html").is_file()
    assert any("config.json: larger than 64 MiB" in w for w in res.warnings), res.warnings
    import reportgen

    with pywarnings.catch_warnings(record=True) as caught:
        pywarnings.simplefilter("always")
        run = reportgen.Api(runs).runs()[0]
        assert [r["_step"] for r in run.scan_history()] == [0, 2]
        assert run.config == {}
        assert any("line at byte 26 is longer than 64 MiB; skipped" in str(w.message) for w in caught)
    from reportgen.storage.lastvalues import _rows_backwards

    assert [r["_step"] for r in _rows_backwards(d / "history.jsonl")] == [2, 0]


# -- 6. logged HTML and SVG never run script with the site's origin ------------------------------

@pytest.fixture
def canary():
    c = Canary()
    yield c
    c.close()


def test_logged_html_and_svg_cannot_run_script_at_the_site_origin(tmp_path, canary, _playwright_browser):
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "page": {"_type": "html", "path": "media/html/p.html"},
                          "raw": {"_type": "html", "path": "media/html/r.html", "inject": False},
                          "fig": {"_type": "svg", "path": "media/svg/f.svg"},
                          "asimg": _img("media/image/f.svg")}])
    for rel, data in (("media/html/p.html", html_payload(canary.base)), ("media/html/r.html", html_payload(canary.base)),
                      ("media/svg/f.svg", svg_payload(canary.base)), ("media/image/f.svg", svg_payload(canary.base))):
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_bytes(data)
    (runs / "reports").mkdir()
    (runs / "reports" / "r.md").write_text('# r\n\n![f](f.svg)\n\n{{< media run="a" key="page" >}}\n')
    (runs / "reports" / "f.svg").write_bytes(svg_payload(canary.base))
    out = tmp_path / "site"
    _build(runs, out)
    assert not [p for p in (out / "media").rglob("*") if p.suffix in (".html", ".htm")]
    published = [p for p in list((out / "media").rglob("*")) + list((out / "reports").rglob("*"))
                 if p.is_file() and p.suffix in (".svg", ".html", ".js")]
    assert any(p.suffix == ".svg" for p in published)
    probe = Probe(_playwright_browser, canary)
    server = StaticServer(out)
    try:
        for p in published + [out / "runs/a/index.html", out / "reports/r.html"]:
            probe.open(p.resolve().as_uri())
            probe.open(server.base + p.relative_to(out).as_posix())
    finally:
        server.close()
    problems = probe.check()
    assert not problems, "\n".join(problems)


def test_html_panel_is_an_opaque_sandbox_with_a_policy(tmp_path, canary, _playwright_browser):
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "page": {"_type": "html", "path": "media/html/p.html"}}])
    (d / "media/html").mkdir(parents=True)
    (d / "media/html/p.html").write_bytes(b"<p id=x>hi</p><script>document.getElementById('x').textContent='ran';"
                                          + f"fetch('{canary.base}/hit')".encode() + b"</script>")
    out = tmp_path / "site"
    _build(runs, out)
    ctx = _playwright_browser.new_context()
    page = ctx.new_page()
    page.goto((out / "runs/a/index.html").resolve().as_uri())
    frame_el = page.locator("iframe.rgp-html")
    frame_el.scroll_into_view_if_needed()
    assert frame_el.get_attribute("sandbox") == "allow-scripts"
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_selector("#x:text('ran')")  # logged script runs, in its own opaque origin ...
    assert frame.evaluate("() => self.origin") == "null"
    page.wait_for_timeout(200)
    ctx.close()
    assert canary.hits == []  # ... and cannot reach the network



def test_logged_html_cannot_navigate_its_frame_out_of_the_site(tmp_path, canary, _playwright_browser):
    """The frame's own policy forbids fetches, not navigations: a logged meta refresh, a script setting
    location.href or a link it clicks took the srcdoc frame of a run page (a table cell's too) to any
    URL, a request out of the published site. Site pages forbid every frame load (frame-src 'none')."""
    ways = {"refresh": f'<meta http-equiv="refresh" content="0;url={canary.base}/refresh">',
            "script": f'<script>location.href = "{canary.base}/script"</script>',
            "click": f'<a id=a href="{canary.base}/click">x</a><script>document.getElementById("a").click()</script>'}
    runs = tmp_path / "runs"
    row = {"_step": 0, **{k: {"_type": "html", "path": f"media/html/{k}.html"} for k in ways},
           "cells": {"_type": "table", "path": "media/table/t.table.json"}}
    d = _run(runs, "a", [row])
    (d / "media/html").mkdir(parents=True)
    for k, html in ways.items():
        (d / f"media/html/{k}.html").write_text(html + "<p id=x>shown</p>")
    (d / "media/table").mkdir(parents=True)
    (d / "media/table/t.table.json").write_text(json.dumps({
        "columns": ["way", "html"], "data": [[k, {"_type": "html", "path": f"media/html/{k}.html"}] for k in ways]}))
    (runs / "reports").mkdir()
    (runs / "reports" / "r.md").write_text("# r\n\n" + "".join(f'{{{{< media run="a" key="{k}" >}}}}\n' for k in ways))
    out = tmp_path / "site"
    _build(runs, out)
    ctx = _playwright_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        for target in ("runs/a/index.html", "reports/r.html"):
            page = ctx.new_page()
            page.goto((out / target).resolve().as_uri())
            for y in range(0, 4000, 300):  # panels and table cells are drawn as they come into view
                page.evaluate(f"scrollTo(0, {y})")
                page.wait_for_timeout(80)
            page.wait_for_timeout(800)
            frames = page.frames[1:]
            assert len(frames) >= (6 if target.startswith("runs") else 3), target
            assert all(not f.url.startswith("http") for f in frames), [f.url for f in frames]
            page.close()
    finally:
        ctx.close()
    assert canary.hits == []

# -- 7. Vega-Lite specs are data -------------------------------------------------------------------

def test_vega_spec_cannot_reach_outside(tmp_path, canary, site_browser):
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "usermeta": {"embedOptions": {"actions": True}},
            "data": {"url": f"{canary.base}/data.json"},
            "layer": [{"mark": "point", "encoding": {"x": {"field": "a", "type": "quantitative"},
                                                    "href": {"field": "u"}}},
                      {"mark": {"type": "image", "url": f"{canary.base}/img.png"}},
                      {"data": {"values": [{"a": 1, "u": "javascript:alert(1)"}]}, "mark": "bar",
                       "encoding": {"url": {"value": f"{canary.base}/u.png"}, "x": {"field": "a", "type": "quantitative"}}}]}
    runs = tmp_path / "runs"
    _run(runs, "a", [{"_step": 0, "chart": {"_type": "vega_lite", "spec": spec}}])
    (runs / "reports").mkdir()
    d = runs / "a"
    (d / "media").mkdir()
    (d / "media/spec.json").write_text(json.dumps(spec))
    with open(d / "history.jsonl", "a") as fh:
        fh.write(json.dumps({"_step": 1, "chart2": {"_type": "vega_lite", "spec": "media/spec.json"}}) + "\n")
    (runs / "reports" / "v.md").write_text('# v\n\n{{< custom run="a" key="chart2" >}}\n')
    out = tmp_path / "site"
    res = _build(runs, out)
    assert any("removed from the Vega-Lite spec" in w and "usermeta" in w and "data.url" in w for w in res.warnings)
    data = b"".join(p.read_bytes() for p in (out / "media/a/data").glob("*.js"))
    assert b"usermeta" not in data and canary.base.encode() not in data
    for target in (out / "runs/a/index.html", out / "reports/v.html"):
        page = site_browser.open(target)
        for el in page.locator(".rgp-vega, .rg-vega").all():
            el.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        assert page.locator(".vega-actions, details[title='Click to view actions']").count() == 0
    assert canary.hits == []  # site_browser also fails on any request that leaves the site


# -- numbers beyond any date or float: a run.json "created": 1e308 made the build raise ----------------

def test_numbers_beyond_any_date_never_break_the_build_or_the_pages(tmp_path, site_browser):
    """Finite numbers a date cannot hold (``datetime`` stops at year 9999, ``Date`` at 8.64e15 ms):
    the build raised OverflowError at the run page, and the index page threw "Invalid time value"."""
    runs = tmp_path / "runs"
    d = _run(runs, "far", [{"_step": 0, "loss": 1.0, "_timestamp": 1e300}, {"_step": 10 ** 30, "loss": 1e308},
                           {"_step": 2, "loss": -1e308, "_timestamp": -1e300}],
             meta={"created": 1e308, "updated": -1e308, "heartbeat": 1e300},
             **{"summary.json": '{"a": 1e400, "b": -1e400, "c": 123456789012345678901234567890}',
                "config.json": '{"lr": 1e-400, "n": 99999999999999999999999999999999999999}'})
    _run(runs, "year10k", [{"_step": 0, "loss": 1.0}], meta={"created": 253402300800, "updated": 253402300900})
    _run(runs, "good", [{"_step": 0, "loss": 2.0}], meta={"created": 1_700_000_000})
    out = tmp_path / "site"
    res = _build(runs, out)
    assert res.runs == 3
    assert d.is_dir() and (out / "runs/far/index.html").is_file()
    for target in (out / "index.html", out / "compare.html", out / "runs/far/index.html", out / "runs/year10k/index.html"):
        page = site_browser.open(target)  # fails on any console or page error
        page.wait_for_timeout(300)
    # the runs table's CSV holds every run's start time (runs-table.js): beyond any date it is left empty
    page = site_browser.open(out / "index.html")
    visible = page.evaluate("() => RG.table.visible()")
    started = visible["cols"].index("Started")
    assert {row[0]: row[started] for row in visible["rows"]} == {
        "far": "", "year10k": "+010000-01-01T00:00:00.000Z", "good": "2023-11-14T22:13:20.000Z"}
    from reportgen.storage.lock import _holder
    import io

    assert _holder(io.BytesIO(b'{"pid": 1, "since": 1e308}')) == "pid 1"  # no "since ?"
    from reportgen.sdk.artifacts import Artifact

    art = Artifact("a", "dataset")
    for created, want in ((1e308, None), ("x", None), (float("nan"), None), (0, "1970-01-01T00:00:00Z")):
        art._created = created  # as read from an artifact store's index (untrusted)
        assert art.created_at == want


# -- keys that come and go: a 1.2 MB history took more than 2 GB (a 2.5 MB one, 24 GB) ------------------

@pytest.mark.skipif(not hasattr(os, "fork"), reason="the memory bound is set on a child process (POSIX)")
def test_a_new_key_in_every_row_builds_in_bounded_memory(tmp_path):
    """20,000 keys each logged once (and "loss" in every row): polars, asked again for a schema
    inferred from every row, held every key in every row (20,000 x 20,000 floats) and the row reader
    made a list per key over every row. Under a 2 GB data limit the build died (SIGABRT). Now it
    builds, and charts the first MAX_METRICS keys logged, with a warning naming the first left out."""
    import resource
    import subprocess
    import sys

    from reportgen.site.config import MAX_METRICS

    runs = tmp_path / "runs"
    d = _run(runs, "wide", [{"_step": i, f"k{i:05d}": float(i), "loss": 1.0 / (i + 1)} for i in range(20_000)])
    assert d.joinpath("history.jsonl").stat().st_size < 1_500_000
    out = tmp_path / "site"

    def limit():
        resource.setrlimit(resource.RLIMIT_DATA, (2_000_000_000, 2_000_000_000))

    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(out),
                           "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, preexec_fn=limit)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 0, said[-2000:]
    assert f"built 1 runs, {MAX_METRICS} metrics" in said
    first_left = f"k{MAX_METRICS - 1:05d}"  # row 0 logs k00000 and loss: the first MAX_METRICS are k00000..k09998, loss
    assert f"more than {MAX_METRICS:,} metrics" in said and repr(first_left) in said
    page = (out / "runs/wide/index.html").read_text()
    assert 'data-key="k09998"' in page and 'data-key="loss"' in page and f'data-key="{first_left}"' not in page


def test_the_metrics_charted_past_the_limit_do_not_depend_on_the_chunks(tmp_path, monkeypatch):
    """The keys kept are the first logged (first row, then name): the same whether the history is
    read whole, in small chunks, or as an incremental build reads what was appended."""
    from reportgen.site import runagg
    from reportgen.site.history import parse_history

    monkeypatch.setattr(runagg, "MAX_METRICS", 40)
    rows = []
    for i in range(300):
        row = {"_step": i, "loss": 1.0}
        for j in range(i % 4):
            row[f"m{(i * 7 + j) % 97:02d}"] = float(j)
        rows.append(row)
    d = _run(tmp_path / "runs", "r", rows)
    results = set()
    for chunk in (200, 1000, 5000, 1 << 20):
        agg = runagg.RunAgg(1000, 100)
        cols = parse_history(d / "history.jsonl", chunk_bytes=chunk, sink=lambda c, agg=agg: agg.consume(c, lambda k: False))
        results.add((tuple(agg.metrics()), tuple(w for w in cols.warnings if "more than" in w)))
    assert len(results) == 1
    (metrics, warned), = results
    assert len(metrics) == 40 and len(warned) == 1
    # the first 40 keys logged, by (first row, name)
    first: dict[str, int] = {}
    for i, row in enumerate(rows):
        for k in sorted(row):
            if not k.startswith("_"):
                first.setdefault(k, i)
    assert list(metrics) == sorted(sorted(first, key=lambda k: (first[k], k))[:40])


# -- names of Object.prototype's properties, logged as data: page scripts and Vega use plain objects --

PROTO_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]


def test_object_prototype_names_in_logged_data_neither_break_nor_pollute_pages(tmp_path, site_browser):
    """Logged names that are properties of Object.prototype, each found by a hostile run folder:
    - a mask or box score named ``__proto__`` wrote into Object.prototype itself (panels-images.js:
      every object of the run page then had ``min``, ``max`` and the mask's class ids);
    - a run named ``constructor``: "Cannot read properties of undefined (reading 's')" on every page
      with its charts (chart-lite.js grouped rows in a plain object);
    - a metric ``toString`` (its chart's title), a table column ``constructor`` (a logged chart's
      field), a config value ``__proto__`` (a sweep axis): Vega threw "Operator not defined";
    - a summary key ``constructor``: the sweep page threw ("... .map is not a function");
    - a config key ``toString`` that a run lacks: its cell in the runs table showed
      "function toString() { [native code] }", and a config key ``__proto__`` was missing from the
      compare page's differences."""
    runs = tmp_path / "runs"
    for i, name in enumerate(PROTO_NAMES):
        _run(runs, f"r{i}", [{"_step": s, "loss": 1.0 / (s + 1) + i, "toString": s * 2.0 + i} for s in range(4)],
             meta={"name": name, "created": 1_700_000_000 + i},
             **{"config.json": json.dumps({"opt": name, "lr": 0.1 * (i + 1), name: i}),
                "summary.json": json.dumps({"constructor": float(i), "valueOf": float(-i), "loss": float(i)})})
    d = runs / "r0"
    (d / "media/masks").mkdir(parents=True)
    Image.new("L", (6, 4), 1).save(d / "media/masks/m.png")
    _png(d / "media/image/x.png")
    image = {**_img("media/image/x.png"),
             "masks": {"__proto__": {"path": "media/masks/m.png", "class_labels": {"1": "__proto__", "0": "toString"}}},
             "boxes": {"__proto__": {"box_data": [{"position": {"minX": 0.1, "maxX": 0.6, "minY": 0.1, "maxY": 0.6},
                                                   "class_id": 1, "scores": {"__proto__": 0.5, "constructor": 0.4}}],
                                     "class_labels": {"1": "constructor"}}}}
    spec = {"data": {"values": [{"constructor": "toString", "valueOf": 1}, {"constructor": "__proto__", "valueOf": 2}]},
            "mark": "bar", "title": "hasOwnProperty",
            "encoding": {"x": {"field": "constructor", "type": "nominal"}, "y": {"field": "valueOf", "type": "quantitative"}}}
    (d / "media/charts").mkdir()
    (d / "media/charts/c.json").write_text(json.dumps(spec))
    with open(d / "history.jsonl", "a") as fh:
        fh.write(json.dumps({"_step": 4, "img": image, "chart": {"_type": "vega_lite", "spec": "media/charts/c.json"}}) + "\n")
    out = tmp_path / "site"
    res = _build(runs, out)
    assert res.runs == len(PROTO_NAMES)

    def look(page) -> None:
        for _ in range(6):
            page.mouse.wheel(0, 800)
            page.wait_for_timeout(150)
        page.wait_for_timeout(300)
        assert page.evaluate("() => Object.getOwnPropertyNames(Object.prototype).filter(k => ({})[k] !== undefined "
                             "&& !['constructor', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty', "
                             "'isPrototypeOf', 'propertyIsEnumerable', '__defineGetter__', '__defineSetter__', "
                             "'__lookupGetter__', '__lookupSetter__', '__proto__'].includes(k))") == []

    pages = [out / "index.html", out / "runs/r0/index.html", out / "runs/r1/index.html", out / "sweeps/_all.html"]
    for target in pages:  # charts drawn by the lite renderer, then (below) by Vega
        look(site_browser.open(target))
    # a run without the config key "toString" showed "function toString() { [native code] }" there
    table = site_browser.open(out / "index.html")
    table.wait_for_selector("#rg-runs tbody tr")
    assert "[native code]" not in table.inner_text("#rg-runs")
    # the config differences of two runs: a key "__proto__" was missing from them
    compare = site_browser.open((out / "compare.html").resolve().as_uri() + "#runs=r0,r1,r3")
    compare.wait_for_function("() => (document.getElementById('rg-diff') || {}).innerText.includes('hasOwnProperty')")
    keys = compare.evaluate("() => Array.from(document.querySelectorAll('#rg-diff tr')).map(tr => tr.cells[0].innerText)")
    assert "__proto__" in keys and "constructor" in keys, keys
    page = site_browser.open(out / "runs/r0/index.html")
    look(page)
    assert page.locator(".rgp-mask-toggle").count() == 1 and "__proto__" in page.locator(".rgp-mask-toggle").inner_text()
    site_browser.use_vega_charts()
    for target in pages:
        look(site_browser.open(target))


def test_a_table_that_lists_itself_in_its_cells_builds_at_once(tmp_path):
    """A 150-byte table file whose two cells are records of that same table: the builder expanded
    each cell as a table, 2, 4, 8... times, and the build never finished (one such cell: 50 nested
    data files, until their names were too long). The SDK never nests tables: the cell is shown
    as unsupported, with a warning naming the run and key."""
    import subprocess
    import sys

    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "loss": 1.0, "t": {"_type": "table", "path": "media/table/t.json"}}])
    (d / "media/table").mkdir(parents=True)
    me = {"_type": "table", "path": "media/table/t.json"}
    (d / "media/table/t.json").write_text(json.dumps({"columns": ["c", "d"], "data": [[me, me], ["x", 1]]}))
    code = ("import reportgen, sys; res = reportgen.build(reportgen.BuildConfig(runs=sys.argv[1], out=sys.argv[2], quiet=True));"
            "print(chr(10).join(res.warnings))")
    proc = subprocess.run([sys.executable, "-c", code, str(runs), str(tmp_path / "site")], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert proc.returncode == 0, proc.stderr
    assert "run a: media t (step 0) row 0 column c: a table inside a table cell is not shown" in proc.stdout
    assert len(list((tmp_path / "site/media/a/data").glob("t_*.js"))) == 1


def test_plotly_figures_cannot_make_the_page_load_from_the_internet(tmp_path, site_browser):
    """plotly.js fetches on its own: a logged ``scattergeo`` figure made the run page request
    https://cdn.plot.ly/un/world_110m.json, a ``scattermap`` one https://basemaps.cartocdn.com/...
    (only ``layout.images`` were filtered). Such traces, subplots and image sources are removed
    with a warning naming the run and key; the rest of the figure draws."""
    figs = {
        "geo": {"data": [{"type": "scattergeo", "lon": [0], "lat": [0]}, {"type": "bar", "y": [1, 2]}]},
        "map": {"data": [{"type": "scattermap", "lon": [0], "lat": [0]}], "layout": {"map": {"style": "open-street-map"}}},
        "mapbox": {"data": [{"type": "choroplethmapbox", "z": [1], "locations": ["a"]}],
                   "layout": {"mapbox": {"style": "https://example.com/style.json"}}},
        "tmpl": {"data": [{"type": "bar", "y": [1, 2]}],
                 "layout": {"template": {"layout": {"images": [{"source": "https://example.com/i.png"}]}},
                            "updatemenus": [{"buttons": [{"method": "relayout",
                                                          "args": ["images[0].source", "https://example.com/j.png"]}]}]}},
    }
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, **{k: {"_type": "plotly", "path": f"media/plotly/{k}.json"} for k in figs}}])
    (d / "media/plotly").mkdir(parents=True)
    for k, fig in figs.items():
        (d / f"media/plotly/{k}.json").write_text(json.dumps(fig))
    out = tmp_path / "site"
    res = _build(runs, out)
    for k in figs:
        assert any(w.startswith(f"run a: media {k} (step 0): removed from the plotly figure") for w in res.warnings), k
    data = b"".join(p.read_bytes() for p in (out / "media/a/data").glob("*.js"))
    assert b"example.com" not in data and b"geo\"" not in data and b"map\"" not in data and b"mapbox\"" not in data
    page = site_browser.open(out / "runs/a/index.html")
    for el in page.locator(".rgp-plotly").all():
        el.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
    page.wait_for_function("() => document.querySelectorAll('.rgp-plotly[data-rendered=done]').length === 4")


def test_plotly_text_styles_and_buttons_cannot_make_the_page_load_from_the_internet(tmp_path, site_browser):
    """plotly.js sets the ``style`` of its text markup (``<span style="...">`` in a title, a trace
    name, a label, a hover template) on the drawn text: ``background-image:url(...)``,
    ``mask:url(...)``, ``cursor:url(...)`` were fetched from the logged address as the page drew
    (entities and CSS escapes decoded: ``&#117;rl(``, ``u\\72l(``). A button whose ``restyle``
    made a trace ``scattergeo`` fetched the world map from cdn.plot.ly at the click. Such styles
    and arguments are removed with a warning; plain styles (``color:red``) and other buttons stay."""
    ex = "https://example.com"
    styles = [f"background-image:url({ex}/bg.png)", f"mask:&#117;rl({ex}/m.svg#m)",
              f"cursor:u\\72l({ex}/c.png), auto", f"fill:url({ex}/f.svg#g)"]
    spans = " ".join(f'<span style="{s}">s{i}</span>' for i, s in enumerate(styles))
    fig = {"data": [{"type": "scatter", "x": [1, 2], "y": [2, 1], "mode": "markers+text", "name": spans,
                     "text": [spans, "<b style='color:red'>ok</b>"], "hovertemplate": spans}],
           "layout": {"title": {"text": spans}, "showlegend": True,
                      "annotations": [{"text": spans, "x": 1, "y": 1}],
                      "updatemenus": [{"type": "buttons", "buttons": [
                          {"label": "geo", "method": "restyle", "args": [{"type": ["scattergeo"]}]},
                          {"label": "choro", "method": "update", "args": [{"type": "choropleth"}, {}]},
                          {"label": "map", "method": "restyle", "args": ["type", "scattermap"], "args2": ["type", "scatter"]},
                          {"label": "bar", "method": "restyle", "args": [{"type": "bar"}]}]}]}}
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "fig": {"_type": "plotly", "path": "media/plotly/f.json"}}])
    (d / "media/plotly").mkdir(parents=True)
    (d / "media/plotly/f.json").write_text(json.dumps(fig))
    out = tmp_path / "site"
    res = _build(runs, out)
    note = [w for w in res.warnings if w.startswith("run a: media fig (step 0): removed from the plotly figure")]
    assert note and "a style that loads from a URL" in note[0], res.warnings
    data = b"".join(p.read_bytes() for p in (out / "media/a/data").glob("*.js"))
    assert b"example.com" not in data and b"scattergeo" not in data and b"choropleth" not in data
    assert b"color:red" in data and b'"bar"' in data
    page = site_browser.open(out / "runs/a/index.html")
    page.locator(".rgp-plotly").first.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 1")
    for el in page.locator(".js-plotly-plot text, .js-plotly-plot .point").all():
        el.hover(force=True)
    for button in page.locator(".updatemenu-button").all():
        button.click(force=True)
        page.wait_for_timeout(200)
    page.wait_for_timeout(300)
    assert not site_browser.problems.external_requests
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].type") == "bar"


def test_pages_load_images_from_the_site_alone(tmp_path, _playwright_browser):
    """What plotly draws from a hover or text template is known in the page only: a template of
    ``%{customdata[0]}%{customdata[1]}`` over data halves ``<span sty`` + ``le="background-image:
    url(...)">``, or ``<a href="%{customdata}">`` over ``x" style="cursor:url(...)"``, gave
    plotly a style no build-time cleaning can see, and the page fetched it as a reader pointed at
    a point (from file:// and over http). Site pages now say where images (CSS url() included)
    may come from: the site itself (``img-src 'self' file: data: blob:``)."""
    canary = Canary()
    try:
        c = canary.base
        fig = {"data": [{"type": "scatter", "x": [1, 2], "y": [1, 2], "mode": "markers+text", "marker": {"size": 60},
                         "customdata": [["<span sty", f'le="background-image:url({c}/split.png);mask:url({c}/m.svg#m)">x</span>']] * 2,
                         "texttemplate": "%{customdata[0]}%{customdata[1]}",
                         "hovertemplate": "%{customdata[0]}%{customdata[1]}<extra></extra>"},
                        {"type": "scatter", "x": [1, 2], "y": [2, 1], "mode": "markers", "marker": {"size": 60},
                         "customdata": [f'x" style="cursor:url({c}/cur.png),auto;background-image:url({c}/href.png)'] * 2,
                         "hovertemplate": '<a href="%{customdata}">h</a><extra></extra>'}],
               "layout": {"width": 600, "height": 400, "hovermode": "closest"}}
        runs = tmp_path / "runs"
        d = _run(runs, "a", [{"_step": 0, "fig": {"_type": "plotly", "path": "media/plotly/f.json"}}])
        (d / "media/plotly").mkdir(parents=True)
        (d / "media/plotly/f.json").write_text(json.dumps(fig))
        _png(d / "media/images/i.png")
        with open(d / "history.jsonl", "a") as fh:
            fh.write(json.dumps({"_step": 1, "img": _img("media/images/i.png")}) + "\n")
        out = tmp_path / "site"
        _build(runs, out)
        server = StaticServer(out)
        try:
            for url in ((out / "runs/a/index.html").as_uri(), server.base + "runs/a/index.html"):
                ctx = _playwright_browser.new_context(viewport={"width": 1400, "height": 900})
                page = ctx.new_page()
                page.goto(url)
                page.evaluate("() => document.querySelectorAll('.rgp-panel').forEach(e => e.scrollIntoView())")
                page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .point').length === 4")
                for point in page.locator(".js-plotly-plot .point").all():
                    point.hover(force=True)
                    page.wait_for_timeout(150)
                page.wait_for_function("() => [...document.querySelectorAll('.rgp-panel img')].some(i => i.naturalWidth > 0)")
                ctx.close()
        finally:
            server.close()
        assert not canary.hits
    finally:
        canary.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the memory bound is set on a child process (POSIX)")
def test_a_report_number_format_cannot_ask_for_gigabytes(tmp_path):
    """``{{< value key="loss" format=".3000000000f" >}}`` in a report (reports travel with run
    folders) matched the allowed format pattern and made one directive a 3 GB string: under a
    2 GB data limit the directive failed with MemoryError, without one, a 3 GB page. Width and
    precision are bounded, with a warning naming the report's line."""
    import resource
    import subprocess
    import sys

    runs = tmp_path / "runs"
    _run(runs, "a", [{"_step": 0, "loss": 0.25}], **{"summary.json": '{"loss": 0.25}'})
    (runs / "reports").mkdir()
    (runs / "reports" / "r.md").write_text('# r\n\nloss {{< value run="a" key="loss" format=".3000000000f" >}}, '
                                           'or {{< value run="a" key="loss" format=".3f" >}}\n')
    out = tmp_path / "site"

    def limit():
        resource.setrlimit(resource.RLIMIT_DATA, (2_000_000_000, 2_000_000_000))

    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(out),
                           "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, preexec_fn=limit,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    said = proc.stdout + proc.stderr
    assert proc.returncode == 0, said[-2000:]
    assert 'report r.md: line 3: value: format=".3000000000f": width and precision are at most 100' in said
    page = (out / "reports/r.html").read_text()
    assert "0.250" in page and (out / "reports/r.html").stat().st_size < 1_000_000


def test_a_sweep_with_thousands_of_parameters_builds_in_seconds(tmp_path):
    """A sweep folder whose sweep.json lists 5,000 parameters (5 runs): the importance of each
    read the random forest's ``feature_importances_``, a property that walks all 100 trees, once
    per parameter; the build took 2.5 minutes (20,000 parameters: a quarter of an hour). Now seconds."""
    import subprocess
    import sys

    runs, n = tmp_path / "runs", 5000
    for i in range(5):
        _run(runs, f"r{i}", [{"_step": 0, "loss": 1.0}], meta={"sweep_id": "sw1"},
             **{"config.json": json.dumps({f"p{j}": (i * j) % 7 for j in range(n)}),
                "summary.json": json.dumps({"acc": i * 0.1, "loss": 1 - i * 0.1})})
    (runs / "sweeps/sw1").mkdir(parents=True)
    (runs / "sweeps/sw1/sweep.json").write_text(json.dumps(
        {"name": "wide", "config": {"method": "grid", "metric": {"name": "acc"},
                                    "parameters": {f"p{j}": {"values": [1, 2]} for j in range(n)}}}))
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(tmp_path / "site"), "-q",
                           "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "p4999" in (tmp_path / "site/sweeps/sw1.html").read_text()


def _silent_flac(path: Path, seconds: int, tone: bool = False) -> None:
    import av
    import numpy as np

    out = av.open(str(path), "w")
    stream = out.add_stream("flac", rate=48000)
    stream.layout = "mono"
    block = 48000
    for i in range(seconds):
        t = (np.arange(block) + i * block) / 48000.0
        a = (np.sin(2 * np.pi * 3 * t) * (i + 1) / seconds * 20000 if tone else np.zeros(block)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(a.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, i * block
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the memory bound is set on a child process (POSIX)")
def test_a_long_compressed_audio_file_draws_its_waveform_in_bounded_memory(tmp_path):
    """An hour of silence is 0.5 MB of FLAC: its waveform decoded every sample into one float64
    array (1.4 GB, twice while joined; three hours ran a 23 GB machine short), so a run folder of a
    few such files could not be built. Long files are now reduced column by column as they
    decode; under a 1 GB data limit the waveform is drawn."""
    pytest.importorskip("av")
    import resource
    import subprocess
    import sys

    from reportgen.site.panels import waveform

    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, "snd": {"_type": "audio", "path": "media/audio/s.flac", "format": "flac"}}])
    (d / "media/audio").mkdir(parents=True)
    _silent_flac(d / "media/audio/s.flac", 3600)
    assert (d / "media/audio/s.flac").stat().st_size < 1_000_000

    def limit():
        resource.setrlimit(resource.RLIMIT_DATA, (1_000_000_000, 1_000_000_000))

    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(tmp_path / "site"),
                           "--cache-dir", str(tmp_path / "cache")], capture_output=True, text=True, timeout=300,
                          preexec_fn=limit, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "could not show audio" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert list((tmp_path / "site/media/a").rglob("*_wave.png"))
    # the reduced envelope is the one drawn from every sample (a tone that swells over 8 s)
    _silent_flac(tmp_path / "tone.flac", 8, tone=True)
    samples = waveform.read_audio(tmp_path / "tone.flac")
    lo, hi = waveform.envelope(samples, 600)
    lo2, hi2 = waveform._long_envelope(tmp_path / "tone.flac", 8 * 48000, 600)
    top = max(abs(lo2).max(), abs(hi2).max())
    assert abs(lo2 / top - lo / abs(samples).max()).max() < 0.01 and abs(hi2 / top - hi / abs(samples).max()).max() < 0.01


def test_a_tiny_mask_with_thousands_of_class_ids_writes_a_bounded_number_of_layers(tmp_path):
    """A 200-byte 16-bit mask PNG holding 4,096 class ids made 4,096 layer images (17 MB, and as
    many toggles on the page); 65,535 ids, as many. At most MAX_MASK_LAYERS are drawn (labeled
    classes first), with a warning naming the run, key and mask."""
    import numpy as np

    from reportgen.site.panels.overlays import MAX_MASK_LAYERS

    runs = tmp_path / "runs"
    image = {**_img("media/image/x.png"), "width": 64, "height": 64,
             "masks": {"m": {"path": "media/image/m.png", "class_labels": {"4000": "kept"}}}}
    d = _run(runs, "a", [{"_step": 0, "img": image}])
    (d / "media/image").mkdir(parents=True)
    Image.new("RGB", (64, 64)).save(d / "media/image/x.png")
    Image.fromarray((np.arange(64 * 64).reshape(64, 64) + 1).astype(np.uint16)).save(d / "media/image/m.png")
    assert (d / "media/image/m.png").stat().st_size < 1000
    out = tmp_path / "site"
    res = _build(runs, out)
    assert "run a: media img (step 0): mask m: 4,096 classes; 256 are drawn (the labeled ones first)" in res.warnings
    layers = [p for p in (out / "media/a").rglob("*.png") if "_c" in p.name]
    assert len(layers) == MAX_MASK_LAYERS and any(p.name.split("_c")[-1].startswith("4000") for p in layers)


def test_one_media_file_named_by_many_rows_is_published_once(tmp_path):
    """500 history lines naming one 100 KB table wrote 500 copies of its data (50 MB; 2,000 lines,
    200 MB and 25 s, from a 250 KB run folder). Equal records are one item: one data file."""
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": s, "t": {"_type": "table", "path": "media/t.json"},
                          "h": {"_type": "html", "path": "media/p.html"}} for s in range(500)])
    (d / "media").mkdir()
    (d / "media/t.json").write_text(json.dumps({"columns": ["a", "b"], "data": [[i, "x" * 40] for i in range(2000)]}))
    (d / "media/p.html").write_text("<p>" + "y" * 50_000 + "</p>")
    out = tmp_path / "site"
    res = _build(runs, out)
    assert res.runs == 1
    data = sorted((out / "media/a/data").glob("*.js"))
    assert len(data) == 2, [p.name for p in data]
    assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) < 5_000_000


def test_published_svg_cannot_load_anything_through_css(tmp_path, canary, _playwright_browser):
    """The SVG sanitizer looked for ``url(`` and ``@import`` as written: CSS that loads without
    them, or with them escaped, stayed in the published SVG, and opened on its own (file:// or
    over http) it requested the canary: ``image-set("http://...")`` in a style attribute or sheet,
    ``u\\72l(...)``, ``@\\69mport``, and a sheet's text after an element inside ``<style>``."""
    b = canary.base
    svgs = {
        "set": f'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" style="background-image: '
               f'image-set(\'{b}/set.png\' 1x); cursor: image-set(\'{b}/cur.png\' 1x), auto"><rect width="9" height="9"/></svg>',
        "esc": f'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" style="background: u\\72l({b}/esc.png)">'
               f'<style>@\\69mport "{b}/imp.css"; rect {{ mask-image: image-set("{b}/mask.png" 1x) }}</style>'
               f'<rect width="9" height="9"/></svg>',
        "tail": f'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><style>rect {{ fill: blue }}<g/>'
                f'svg {{ background: url({b}/tail.png) }}</style><rect width="9" height="9"/></svg>',
    }
    runs = tmp_path / "runs"
    d = _run(runs, "a", [{"_step": 0, **{k: {"_type": "svg", "path": f"media/svg/{k}.svg"} for k in svgs}}])
    (d / "media/svg").mkdir(parents=True)
    for k, text in svgs.items():
        (d / f"media/svg/{k}.svg").write_text(text)
    out = tmp_path / "site"
    _build(runs, out)
    published = sorted((out / "media/a").rglob("*.svg"))
    assert len(published) == 3 and all(b"<rect" in p.read_bytes() for p in published)
    probe = Probe(_playwright_browser, canary)
    server = StaticServer(out)
    try:
        for p in published:
            probe.open(p.resolve().as_uri())
            probe.open(server.base + p.relative_to(out).as_posix())
    finally:
        server.close()
    assert probe.check() == []


def test_a_logged_vega_spec_cannot_generate_millions_of_rows_in_the_page(tmp_path, site_browser):
    """``{"data": {"sequence": {"start": 0, "stop": 1e8}}}`` in a logged Vega-Lite spec (60 bytes)
    crashed the run page's tab ("Target crashed"); a sequence transform, impute ``keyvals`` or
    density ``steps`` as large would too. Such a spec is refused with a warning naming the key;
    the page and its other charts draw."""
    runs = tmp_path / "runs"
    ok = {"data": {"sequence": {"start": 0, "stop": 50, "as": "a"}}, "mark": "point",
          "encoding": {"x": {"field": "a", "type": "quantitative"}}}
    bomb = {**ok, "data": {"sequence": {"start": 0, "stop": 100_000_000, "as": "a"}}}
    impute = {**ok, "transform": [{"impute": "a", "key": "a", "keyvals": {"start": 0, "stop": 1e9}}]}
    _run(runs, "a", [{"_step": 0, "loss": 1.0, **{k: {"_type": "vega_lite", "spec": v}
                                                  for k, v in (("ok", ok), ("bomb", bomb), ("impute", impute))}}])
    out = tmp_path / "site"
    res = _build(runs, out)
    for key in ("bomb", "impute"):
        assert f"run a: media {key} (step 0): could not show vega_lite: SpecRefused: the spec generates more than " \
               "1,000,000 rows in the page" in res.warnings
    page = site_browser.open(out / "runs/a/index.html")
    for el in page.locator(".rgp-vega").all():
        el.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelectorAll('.rgp-vega canvas').length === 1")
    assert page.evaluate("() => document.title") != ""


# -- metrics of their own in every run: 50 runs x 5,000 made a 2.2 GB site of 500,000 files ----------

@pytest.mark.browser
def test_the_all_runs_pages_chart_at_most_the_site_cap_of_metrics(tmp_path, monkeypatch, site_browser):
    """Runs that each log metrics of their own: every distinct metric got two overview files and a
    chart on the index and compare pages (50 runs x 5,000 metrics of 3 steps, a 13 MB folder: 3 min,
    4.6 GB, a 2.2 GB site of 500,000 files, a 54 MB index.html). Now the all-runs pages chart the
    MAX_SITE_METRICS logged by the most runs, with a warning; each run page still charts its own."""
    from browser import assert_charts_rendered
    from reportgen.site import phases

    monkeypatch.setattr(phases, "MAX_SITE_METRICS", 5)
    runs = tmp_path / "runs"
    for r in range(4):  # loss and acc in every run, then 3 metrics of each run's own
        _run(runs, f"r{r}", [{"_step": s, "loss": 1.0 / (s + 1), "acc": s / 10, **{f"own{r}_{k}": float(k + s)
                                                                               for k in range(3)}} for s in range(5)])
    out = tmp_path / "site"
    res = build(BuildConfig(runs, out, quiet=True, cache_dir=tmp_path / "cache"))
    said = " ".join(str(w) for w in res.warnings)
    assert "the runs log 14 metrics: the all-runs pages chart the 5 logged by the most runs" in said
    kept = {"acc", "loss", "own0_0", "own0_1", "own0_2"}  # by runs logging them, then by name
    index = (out / "index.html").read_text()
    assert {k for k in re.findall(r'data-key="([^"]+)"', index)} == kept
    assert len(list((out / "data" / "overview").iterdir())) == 5  # one file per metric charted (4 runs: 1 shard)
    assert 'data-key="own3_2"' in (out / "runs" / "r3" / "index.html").read_text()
    for page_name in ("index.html", "compare.html"):
        page = site_browser.open(out / page_name)  # fails on any console error or request for a missing file
        assert_charts_rendered(page)
    page = site_browser.open(out / "runs" / "r3" / "index.html")
    assert assert_charts_rendered(page) == 5


@pytest.mark.browser
def test_text_longer_than_a_page_lays_out_is_cut(tmp_path, site_browser):
    """A run.json name of 5,000,000 characters hung the index page's tab for good (and its run page
    for 10 s); long tags, notes, groups and config values slowed every page showing them. The site
    now shows names cut to 256 characters and other text to 4,096, with a warning; long config keys
    are cut with a hash, so two of them stay apart."""
    from browser import assert_charts_rendered
    from reportgen.site.clip import NAME_CHARS, TEXT_CHARS

    runs = tmp_path / "runs"
    rows = [{"_step": s, "loss": 1.0 / (s + 1)} for s in range(5)]
    _run(runs, "long", rows, meta={"name": "n" * 5_000_000, "tags": ["t" * 100_000] * 3, "notes": "x" * 1_000_000,
                                   "group": "g" * 100_000},
         **{"config.json": json.dumps({"k" * 1000 + "a": 1, "k" * 1000 + "b": 2, "v": "y" * 1_000_000})})
    _run(runs, "short", rows)
    out = tmp_path / "site"
    res = build(BuildConfig(runs, out, quiet=True, cache_dir=tmp_path / "cache"))
    said = "\n".join(res.warnings)
    assert "run.json name, tags, notes, group: text longer than the site shows is cut" in said
    assert "config.json: keys longer than" in said
    index = (out / "index.html").read_text()
    assert "n" * NAME_CHARS + "\\u2026 (5,000,000 characters)" in index and "n" * (NAME_CHARS + 1) not in index
    page_text = (out / "runs" / "long" / "index.html").read_text()
    assert "x" * (TEXT_CHARS + 1) not in page_text and "y" * (TEXT_CHARS + 1) not in page_text
    assert page_text.count("k" * NAME_CHARS + "…") == 2  # two long keys, two entries
    for page in ("index.html", "compare.html", "runs/long/index.html"):
        assert_charts_rendered(site_browser.open(out / page))  # (the index timed out before)


def test_build_warnings_carry_no_control_characters(tmp_path, cli):
    """A logged key 'img\\x1b[5m' with a bad media path was named raw in the build's warning: a
    run folder could rewrite the terminal of the person building it (as importers' warnings could)."""
    runs = tmp_path / "runs"
    _run(runs, "r", [{"_step": 0, "img\x1b[5m": {"_type": "image", "path": "../../\x1b[2Jx.png"}, "k\x1b]0;t\x07": 1}])
    res = build(BuildConfig(runs, tmp_path / "site", quiet=True, cache_dir=tmp_path / "cache"))
    said = "\n".join(res.warnings)
    assert "img\\x1b[5m" in said and not any(c in said for c in "\x1b\x07")
    out = cli("build", str(runs), "-o", str(tmp_path / "site2"))
    assert "\x1b" not in out.stdout + out.stderr and "img\\x1b[5m" in out.stderr
