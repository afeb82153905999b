"""reportgen.Api: finding runs, history / scan_history, files, writable summary."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import reportgen
from reportgen.sdk.api import sample_indices
from reportgen.storage.jsonio import read_json


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("api_runs")
    for i, lr in enumerate([0.1, 0.01]):
        run = reportgen.init(project="proj", id=f"run{i}", name=f"lr={lr}", dir=root, config={"lr": lr, "opt": {"name": "sgd"}},
                             tags=["base"] + (["best"] if i else []))
        for step in range(1000):
            run.log({"loss": 1.0 / (step + 1) + i, "train": {"acc": step / 1000}, "epoch": step // 100,
                     **({"val": float("nan")} if step % 100 == 0 else {})})
        run.summary["best"] = 0.5 + i
        (root / "model.bin").write_bytes(b"\0" * 10)
        run.save(root / "model.bin")
        run.finish()
    other = reportgen.init(project="other", id="solo", dir=root)
    other.log({"x": 1})
    other.finish(exit_code=2)
    return root


def test_runs_and_filters(root):
    api = reportgen.Api(root)
    assert [r.id for r in api.runs()] == ["run0", "run1", "solo"]
    assert [r.id for r in api.runs("proj")] == ["run0", "run1"]
    assert [r.id for r in api.runs("entity/proj")] == ["run0", "run1"]
    assert [r.id for r in api.runs(filters={"config.lr": 0.01})] == ["run1"]
    assert [r.id for r in api.runs(filters={"config.opt/name": "sgd", "tags": "best"})] == ["run1"]
    assert [r.id for r in api.runs(filters={"state": "crashed"})] == ["solo"]
    assert [r.id for r in api.runs("proj", order="-summary.best")] == ["run1", "run0"]


def test_run_paths(root):
    api = reportgen.Api(root)
    for path in ("user/proj/run1", "proj/run1", "run1"):
        run = api.run(path)
        assert (run.id, run.name, run.project, run.state) == ("run1", "lr=0.01", "proj", "finished")
    assert api.run("solo").state == "crashed"
    assert api.run("run0").config == {"lr": 0.1, "opt": {"name": "sgd"}}
    with pytest.raises(ValueError, match="no run with id 'zzz'"):
        api.run("proj/zzz")
    with pytest.raises(ValueError, match="belongs to project 'proj'"):
        api.run("other/run1")


def test_run_ids_no_folder_can_be_named(tmp_path):
    """Api().run(id) looks for a folder of that name first: an id longer than a file name may be (a
    shared run.json's, 300 characters) raised OSError "File name too long" instead of finding the run
    by its id (fuzz seed 9); a NUL in it raised "embedded null byte"; ".." read the root's parent
    when that was a run folder."""
    runs = tmp_path / "shared" / "runs"
    (runs / "long").mkdir(parents=True)
    (runs / "long" / "run.json").write_text('{"id": "%s", "project": "p"}' % ("a" * 300))
    (runs / "long" / "history.jsonl").write_text('{"_step": 0, "loss": 1.0}\n')
    (tmp_path / "shared" / "run.json").write_text('{"id": "parent", "project": "p"}')
    api = reportgen.Api(runs)
    assert api.run("a" * 300).history()["loss"].tolist() == [1.0]
    assert api.run("p/" + "a" * 300).project == "p"
    for bad in ("b" * 300, "x\x00y", "..", "."):
        with pytest.raises(ValueError, match="no run with id"):
            api.run(bad)


def test_warnings_naming_a_shared_roots_files_print_no_terminal_escapes(tmp_path):
    """The Api's warnings name folders, files and run ids of a shared root: a folder named
    "r\x1b]0;PWN\x07", an id "x\x1b[2J" or a linked file "l\x1b[31m.png" set the terminal's title,
    cleared it or coloured it when the warning was printed. Their control characters are escaped."""
    import os
    import warnings

    d = tmp_path / "runs" / "r\x1b]0;PWN\x07\x1b[31m"
    (d / "media" / "image").mkdir(parents=True)
    (d / "run.json").write_text('{"id": "x\\u001b[2J", "name": "n"}')
    os.mkfifo(d / "config.json")
    (d / "media" / "image" / "l\x1b[31m.png").symlink_to(tmp_path / "secret.png")
    (tmp_path / "secret.png").write_bytes(b"secret")
    (d / "history.jsonl").write_text('{"_step": 0, "x": 1}\n')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = reportgen.Api(tmp_path / "runs").runs()[0]
        assert not [f for f in run.files() if f.name.endswith(".png")]
    texts = [str(w.message) for w in caught]
    assert any("config.json" in t for t in texts) and any("links to files outside" in t for t in texts), texts
    assert not any("\x1b" in t or "\x07" in t for t in texts), texts
    assert any("\\x1b]0;PWN\\x07" in t for t in texts)  # (named, escaped)


def test_api_root_from_environment(root, monkeypatch):
    monkeypatch.setenv("REPORTGEN_DIR", str(root))
    assert reportgen.Api().run("run0").id == "run0"


def test_history_sampled_pandas(root):
    run = reportgen.Api(root).run("proj/run0")
    df = run.history()
    assert isinstance(df, pd.DataFrame) and len(df) == 500
    assert df["_step"].iloc[0] == 0 and df["_step"].iloc[-1] == 999  # first and last kept
    assert df["_step"].is_monotonic_increasing and "train/acc" in df.columns
    df = run.history(keys=["loss"], samples=10)
    assert list(df.columns) == ["_step", "loss"] and len(df) == 10
    assert df["loss"].iloc[0] == 1.0
    rows = run.history(keys=["val"], samples=100, pandas=False)
    assert len(rows) == 10 and all(math.isnan(r["val"]) for r in rows)  # NaN survives
    by_epoch = run.history(keys=["loss"], x_axis="epoch", samples=5000, pandas=False)
    assert len(by_epoch) == 1000 and list(by_epoch[0]) == ["epoch", "loss"]
    with pytest.raises(ValueError, match="samples"):
        run.history(samples=0)


def test_scan_history_streams_every_row(root):
    run = reportgen.Api(root).run("run1")
    it = run.scan_history()
    assert next(it)["_step"] == 0  # a generator, not a list
    rows = list(run.scan_history(keys=["loss"], min_step=100, max_step=200))
    assert [r["_step"] for r in rows] == list(range(100, 200)) and set(rows[0]) == {"_step", "loss"}
    assert len(list(run.scan_history())) == 1000
    assert [r["_step"] for r in run.scan_history(keys=["val"])] == list(range(0, 1000, 100))


def test_files(root, tmp_path):
    run = reportgen.Api(root).run("run0")
    names = [f.name for f in run.files()]
    assert {"run.json", "config.json", "history.jsonl", "summary.json", "files/model.bin"} <= set(names)
    f = run.file("files/model.bin")
    assert f.size == 10
    target = f.download(tmp_path)
    assert target.read_bytes() == b"\0" * 10
    with pytest.raises(FileExistsError, match="replace=True"):
        f.download(tmp_path)


def test_files_linked_out_of_a_shared_run_are_not_listed_or_downloaded(tmp_path):
    """A downloaded run folder whose files/key is a link to ~/.ssh/id_rsa: run.files() listed it and
    download() copied the private key into the download folder (to be uploaded with the rest)."""
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    folder = tmp_path / "runs" / "x"
    (folder / "files").mkdir(parents=True)
    (folder / "run.json").write_text('{"id": "x", "state": "finished"}')
    (folder / "files" / "notes.txt").write_text("mine")
    (folder / "files" / "key").symlink_to(secret)
    (folder / "files" / "alias").symlink_to("notes.txt")  # a link inside the run folder is its own file
    run = reportgen.Api(tmp_path / "runs").run("x")
    with pytest.warns(UserWarning, match="links to files outside the run folder; not listed: 'files/key'"):
        names = [f.name for f in run.files()]
    assert "files/key" not in names and {"files/notes.txt", "files/alias"} <= set(names)
    with pytest.warns(UserWarning), pytest.raises(FileNotFoundError):
        run.file("files/key")
    with pytest.warns(UserWarning, match="not listed"):
        listed = reportgen.Api(tmp_path / "runs").run("x").files()
    for f in listed:
        f.download(tmp_path / "dl")
    assert "PRIVATE KEY" not in [p.read_text() for p in (tmp_path / "dl").rglob("*") if p.is_file()]


@pytest.mark.parametrize("planted", ["link", "broken link", "linked folder"])
def test_download_never_writes_through_a_link_in_the_download_folder(root, tmp_path, planted):
    """File.download() wrote with open(target, "wb"): a link under the file's name in the download
    folder (replace=True) had its target overwritten, a broken one (exists() False) made its target
    outside, and a folder on the way that was a link was written into. Now the file is written as the
    SDK writes run files (storage.safety.write_own): the link is replaced, a broken one counts as there,
    a linked folder is refused; nothing outside changes."""
    from reportgen.storage.safety import NotRegularFile

    f = reportgen.Api(root).run("run0").file("files/model.bin")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "precious"
    dl = tmp_path / "dl"
    (dl / "files").mkdir(parents=True)
    if planted == "link":
        victim.write_text("precious\n")
        (dl / "files" / "model.bin").symlink_to(victim)
        assert f.download(dl, replace=True) == dl / "files" / "model.bin"
        assert (dl / "files" / "model.bin").read_bytes() == b"\0" * 10 and not (dl / "files" / "model.bin").is_symlink()
        assert victim.read_text() == "precious\n"
    elif planted == "broken link":
        (dl / "files" / "model.bin").symlink_to(victim)
        with pytest.raises(FileExistsError, match="replace=True"):
            f.download(dl)
        assert not victim.exists()
    else:
        (dl / "files").rmdir()
        (dl / "files").symlink_to(outside)
        with pytest.raises(NotRegularFile, match="files: a symbolic link"):
            f.download(dl, replace=True)
    assert sorted(p.name for p in outside.iterdir()) == (["precious"] if planted == "link" else [])


def test_summary_update_persists_tensor(root):
    arr = np.random.default_rng(0).random(1000)
    run = reportgen.Api(root).run("user/proj/run0")
    run.summary["t"] = arr
    run.summary.update()
    saved = read_json(root / "run0" / "summary.json")
    t = saved["t"]
    assert t["_type"] == "tensor" and t["shape"] == [1000] and saved["best"] == 0.5
    assert np.array_equal(np.load(root / "run0" / t["path"]), arr)
    assert t["p95"] == pytest.approx(np.percentile(arr, 95)) and t["std"] == pytest.approx(arr.std())
    again = reportgen.Api(root).run("run0")
    assert again.summary["t"]["path"] == t["path"]
    again.summary.update({"note": "checked"})
    assert read_json(root / "run0" / "summary.json")["note"] == "checked"


def test_torn_last_line_is_skipped_with_a_warning(tmp_path):
    run = reportgen.init(id="torn", dir=tmp_path)
    for i in range(3):
        run.log({"i": i})
    run.finish()
    with open(run.folder / "history.jsonl", "ab") as fh:
        fh.write(b'{"_step": 3, "i": ')
    api_run = reportgen.Api(tmp_path).run("torn")
    with pytest.warns(UserWarning, match="incomplete last line"):
        rows = list(api_run.scan_history())
    assert [r["i"] for r in rows] == [0, 1, 2]


def test_sample_indices_pure():
    assert sample_indices(5, 10) == [0, 1, 2, 3, 4]
    assert sample_indices(1000, 3) == [0, 500, 999]
    assert sample_indices(10, 1) == [9]
    assert sample_indices(0, 5) == [] and sample_indices(5, 0) == []
    idx = sample_indices(10_001, 500)
    assert len(idx) == 500 and idx[0] == 0 and idx[-1] == 10_000
