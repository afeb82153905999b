"""``reportgen import ... -o s3://bucket/prefix`` against a real S3-compatible server on 127.0.0.1
(moto): the runs land as segments, a re-import uploads only the new rows, and a fresh machine
(no staging copy) continues from what is on the bucket without duplicating rows."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto")
pytest.importorskip("tensorboardX")

from s3server import S3Server  # noqa: E402

from reportgen.storage.reader import list_run_dirs, read_run  # noqa: E402
from reportgen.storage.remote import materialize, open_root  # noqa: E402


@pytest.fixture(scope="module")
def s3():
    server = S3Server().start()
    yield server
    server.stop()


def _scalars(folder: Path, start: int, stop: int) -> None:
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(folder))
    for s in range(start, stop):
        w.add_scalar("loss", 1.0 / (s + 1), s)
    w.close()


def _import(logdir: Path, url: str, capsys) -> str:
    from reportgen.cli import main

    capsys.readouterr()
    try:
        main(["import", "tensorboard", str(logdir), "-o", url])
    except SystemExit as exc:
        assert not exc.code, capsys.readouterr()
    return capsys.readouterr().out


def test_import_to_s3_is_incremental_also_from_a_fresh_machine(s3, monkeypatch, tmp_path, capsys):
    s3.apply_env(monkeypatch)
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache1"))
    url = f"s3://{s3.bucket()}/runs"
    fs, root = open_root(url)
    fs.pipe_file(f"{root}/mine/run.json", b'{"id": "mine"}')  # a run the import did not write
    logdir = tmp_path / "logs"
    _scalars(logdir / "r", 0, 20)
    assert "(20 new rows)" in _import(logdir, url, capsys)
    _scalars(logdir / "r", 20, 35)  # training went on: a new event file
    assert "(15 new rows)" in _import(logdir, url, capsys)
    assert "(0 new rows)" in _import(logdir, url, capsys)
    (run_id,) = [p.rsplit("/", 1)[-1] for p in fs.ls(root, detail=False) if not p.endswith("/mine")]
    segments = sorted(p.rsplit("/", 1)[-1] for p in fs.ls(f"{root}/{run_id}/history", detail=False))
    assert segments == ["000001.jsonl", "000002.jsonl"]  # the re-import sent only its new rows

    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache2"))  # a fresh machine: no staging copy
    _scalars(logdir / "r", 35, 40)
    assert "(5 new rows)" in _import(logdir, url, capsys)
    assert fs.cat_file(f"{root}/mine/run.json") == b'{"id": "mine"}'
    local = materialize(url, tmp_path / "reader")
    (run_dir,) = [d for d in list_run_dirs(local) if d.name == run_id]
    rows = read_run(run_dir).history
    assert [r["_step"] for r in rows] == list(range(40))
    assert rows[-1]["loss"] == 0.025 and read_run(run_dir).meta["imported"]["source"]["kind"] == "tensorboard"
