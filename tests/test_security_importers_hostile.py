"""Issue 12 for foreign folders, second hunt: hostile TensorBoard logdirs, wandb run folders,
MLflow stores and CSV files crafted byte by byte (real protobufs, real framing, real YAML).
Each must import what is readable, warn naming the file, never read or publish what lies
outside the source, and never crash, hang or fill memory. Imports run as real subprocesses
with a deadline and an address-space limit, so a bomb fails the test instead of the machine."""
from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from hostile import leaked

pytest.importorskip("tensorboard")
pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32",
                                reason="links, sparse files and rlimits: POSIX")

REPO = Path(__file__).parent.parent
SECRET = "SECRET-7c2e-CANARY"
MEMORY = 6 << 30  # address space of an import: a bomb raises MemoryError here instead of eating the machine


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _import(source: str, path: Path, out: Path, timeout: float = 60, extra=()) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "reportgen", "import", source, str(path), "-o", str(out), *extra],
                          capture_output=True, text=True, timeout=timeout, preexec_fn=_limit,
                          env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr[-3000:]
    return proc


def _runs(out: Path) -> dict:
    from reportgen.storage.reader import list_run_dirs, read_run

    return {r.id: r for r in (read_run(d) for d in list_run_dirs(out))}


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder outside every source, holding what a hostile link points at."""
    from PIL import Image

    d = tmp_path / "outside"
    d.mkdir()
    (d / "id_rsa").write_text(f"{SECRET}\n")
    Image.new("RGB", (3, 3), (1, 2, 3)).save(d / "holiday.png")
    (d / "holiday.png").write_bytes((d / "holiday.png").read_bytes() + SECRET.encode())
    return d


# -- wandb: records in the .wandb log's LevelDB framing, as wandb-core writes them -------------------
W_HEADER = b":W&B" + struct.pack("<H", 0xBEE1) + b"\x00"
W_BLOCK = 32768


def _wandb_log(path: Path, records: list) -> None:
    out = bytearray(W_HEADER)
    for rec in records:
        data = rec if isinstance(rec, bytes) else rec.SerializeToString()
        first = True
        while True:
            left = W_BLOCK - len(out) % W_BLOCK
            if left < 7:
                out += b"\0" * left
                continue
            chunk, data = data[:left - 7], data[left - 7:]
            kind = (1 if not data else 2) if first else (4 if not data else 3)
            out += struct.pack("<IHB", zlib.crc32(chunk, zlib.crc32(bytes([kind]))), len(chunk), kind) + chunk
            first = False
            if not data:
                break
    path.write_bytes(bytes(out))


def _w(kind: str, step: int | None = None, **items):
    from wandb.proto import wandb_internal_pb2 as pb

    rec = pb.Record()
    if kind == "run":
        rec.run.run_id, rec.run.project, rec.run.display_name = items.pop("id", "abc"), "p", "n"
    elif kind == "exit":
        rec.exit.exit_code = 0
    else:
        msg = {"history": rec.history, "config": rec.config, "summary": rec.summary}[kind]
        field = msg.item if kind == "history" else msg.update
        if step is not None:
            items = {"_step": step, **items}
        for k, v in items.items():
            it = field.add()
            it.key, it.value_json = k, v if isinstance(v, str) else json.dumps(v)
    return rec


def _wandb_run(root: Path, records: list, rid: str = "abc") -> Path:
    run = root / "wandb" / f"run-20240101_000000-{rid}"
    (run / "files").mkdir(parents=True, exist_ok=True)
    _wandb_log(run / f"run-{rid}.wandb", [_w("run", id=rid), *records])
    return run


def test_wandb_files_folder_linked_out_is_not_read(tmp_path, outside):
    """A wandb run whose files/ folder is itself a link (files -> ~/.ssh): every file in it was
    copied into the run's files/ and an html-file record named one of them was published as a
    page. Now files/ is not read at all, with a warning naming it; the history still imports."""
    src = tmp_path / "src"
    run = _wandb_run(src, [_w("history", 0, loss=1.0, page=json.dumps({"_type": "html-file", "path": "id_rsa"})),
                           _w("exit")])
    (run / "files").rmdir()
    (run / "files").symlink_to(outside)
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert leaked(out, SECRET) == []
    assert "files/ is a link to a folder outside" in proc.stderr
    assert [r["loss"] for r in _runs(out)["wandb-abc"].history] == [1.0]


# -- MLflow file stores ----------------------------------------------------------------------------
def _mlflow_run(store: Path, rid: str, meta: str = "", exp_meta: str = "name: exp\n") -> Path:
    exp = store / "1"
    exp.mkdir(parents=True, exist_ok=True)
    if not (exp / "meta.yaml").exists():
        (exp / "meta.yaml").write_text(f"experiment_id: '1'\nlifecycle_stage: active\n{exp_meta}")
    run = exp / rid
    for sub in ("metrics", "params", "tags"):
        (run / sub).mkdir(parents=True, exist_ok=True)
    (run / "meta.yaml").write_text(meta or f"run_id: {rid}\nstatus: 3\nstart_time: 1700000000000\n"
                                           "lifecycle_stage: active\n")
    (run / "metrics" / "loss").write_text("1700000000000 0.5 0\n1700000001000 0.25 1\n")
    (run / "params" / "lr").write_text("0.1")
    return run


def test_mlflow_artifacts_folder_linked_out_is_not_read(tmp_path, outside):
    """An MLflow run whose artifacts/ folder is itself a link (artifacts -> ~/Pictures): every image
    under it was imported as a summary Image and so published. Now artifacts/ is not read, with a
    warning naming the run; its metrics and params still import."""
    store = tmp_path / "mlruns"
    run = _mlflow_run(store, "r1")
    (run / "artifacts").symlink_to(outside)
    out = tmp_path / "runs"
    proc = _import("mlflow", store, out)
    assert leaked(out, SECRET) == [] and not list(out.rglob("*.png"))
    assert "mlflow run r1: artifacts/ is a link to a folder outside r1/" in proc.stderr
    r = _runs(out)["mlflow-r1"]
    assert [x["loss"] for x in r.history] == [0.5, 0.25] and r.config["lr"] == 0.1


def _laughs(levels: int = 9) -> str:
    """A "billion laughs" YAML document: 1 KB whose aliases expand to 9**levels strings."""
    doc = 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, levels):
        doc += f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]\n"
    return doc


def test_yaml_bombs_in_meta_and_hparams_yaml(tmp_path):
    """A 1 KB "billion laughs" meta.yaml (experiment name, run name) or Lightning hparams.yaml
    expands to 9**9 strings: the MLflow import hung for ever in str() of the name and the
    TensorBoard import would have written them all into config.json; an hparams.yaml nested
    20,000 deep crashed the TensorBoard import with RecursionError. Now such a file is not read,
    with a warning naming it, and everything else imports."""
    from tensorboardX import SummaryWriter

    store = tmp_path / "mlruns"
    _mlflow_run(store, "r1", exp_meta=_laughs() + "name: *l8\n")
    _mlflow_run(store, "r2", meta=_laughs() + "run_name: *l8\nuser_id: *l8\nstatus: 3\nlifecycle_stage: active\n")
    out = tmp_path / "runs"
    proc = _import("mlflow", store, out)
    assert "1/meta.yaml: unreadable (ValueError: its aliases expand to more than" in proc.stderr
    assert "r2/meta.yaml: unreadable" in proc.stderr
    runs = _runs(out)
    assert [x["loss"] for x in runs["mlflow-r2"].history] == [0.5, 0.25] and runs["mlflow-r1"].project == "1"

    logdir = tmp_path / "logs"
    for name, text in (("laughs", _laughs() + "lr: *l8\n"), ("deep", "lr: " + "[" * 20000 + "]" * 20000 + "\n")):
        w = SummaryWriter(str(logdir / name))
        w.add_scalar("loss", 0.5, 0)
        w.close()
        (logdir / name / "hparams.yaml").write_text(text)
    proc = _import("tensorboard", logdir, tmp_path / "tb")
    assert "laughs/hparams.yaml: ValueError: its aliases expand to more than" in proc.stderr
    assert "deep/hparams.yaml: ValueError: nested deeper than" in proc.stderr
    runs = _runs(tmp_path / "tb")
    assert len(runs) == 2 and all(r.config == {} and r.history[0]["loss"] == 0.5 for r in runs.values())


def test_mlflow_runs_with_hostile_meta_and_ids_do_not_lose_the_import(tmp_path):
    """One run of an mlruns/ store with ``status: [1, 2]`` (TypeError: unhashable), a start_time of
    400 digits (OverflowError) or a folder name that is no run id (``has space``: ValueError) ended
    the whole import with a traceback, every other run lost. Now such values are ignored (the state
    is "finished", no time), an odd id gets a safe one with a warning, and every run imports."""
    store = tmp_path / "mlruns"
    _mlflow_run(store, "good")
    _mlflow_run(store, "status", meta="status: [1, 2]\nrun_name: {a: 1}\nlifecycle_stage: active\n")
    _mlflow_run(store, "times", meta=f"status: 3\nstart_time: {'9' * 400}\nend_time: .inf\n")
    _mlflow_run(store, "has space")
    _mlflow_run(store, "x" * 80)
    out = tmp_path / "runs"
    proc = _import("mlflow", store, out)
    assert "mlflow run 'has space': not usable as a folder name; imported as mlflow-has_space-" in proc.stderr
    runs = {r.name: r for r in _runs(out).values()}
    assert sorted(runs) == sorted(["good", "status", "times", "has space", "x" * 80])
    assert all([x["loss"] for x in r.history] == [0.5, 0.25] for r in runs.values())
    assert runs["status"].state == "finished" and runs["times"].meta["created"] == 1700000000.0  # (its first metric)
    assert runs["good"].meta["created"] == 1700000000.0


def test_wandb_undecodable_records_and_deep_json_do_not_lose_the_import(tmp_path):
    """A .wandb log record whose checksum holds but that is no protobuf Record (DecodeError), or a
    config / history value_json of 100,000 nested brackets (RecursionError), ended the whole import
    with a traceback, every other run lost; a value nested 900 deep crashed the media conversion.
    Now the record or the key is skipped with a warning naming it, and the rest imports."""
    src = tmp_path / "src"
    deep = "[" * 100_000 + "]" * 100_000
    _wandb_run(src, [_w("history", 0, loss=1.0), b"\xff\xff\xff\xff\xff", _w("config", lr=0.1, deep=deep),
                     _w("history", 1, loss=0.5, deep=deep, deep900='{"a":' * 900 + "1" + "}" * 900),
                     _w("summary", best=0.9, deep=deep), _w("exit")])
    _wandb_run(src, [_w("history", 0, loss=3.0), _w("exit")], rid="other")
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert "undecodable record (5 bytes" in proc.stderr and "config key 'deep': nested deeper than 100 levels" in proc.stderr
    assert "history key 'deep900': nested deeper than 100 levels" in proc.stderr
    runs = _runs(out)
    a = runs["wandb-abc"]
    assert [(r["_step"], r["loss"]) for r in a.history] == [(0, 1.0), (1, 0.5)]
    assert a.config == {"lr": 0.1} and a.summary["best"] == 0.9 and "deep" not in a.summary
    assert runs["wandb-other"].history[0]["loss"] == 3.0


def test_wandb_histogram_packed_bins_count_is_checked(tmp_path):
    """A wandb histogram record ``{"packedBins": {"count": 10**12}}`` (an 80-byte history value) made
    a list of 10**12 bin edges: the import ate all memory. Now a count that is not the number of its
    values is refused with a warning naming the key; a true packed histogram still imports."""

    src = tmp_path / "src"
    bomb = {"_type": "histogram", "values": [1, 2], "packedBins": {"min": 0, "size": 1, "count": 10**12}}
    good = {"_type": "histogram", "values": [1, 2, 3], "packedBins": {"min": 0.0, "size": 0.5, "count": 3}}
    _wandb_run(src, [_w("history", 0, loss=1.0, h=json.dumps(bomb)), _w("history", 1, h=json.dumps(good)),
                     _w("exit")])
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert "key 'h' (histogram): packedBins count 1000000000000 is not the number of its values (2)" in proc.stderr
    h = [r["h"] for r in _runs(out)["wandb-abc"].history if "h" in r]
    assert len(h) == 1 and h[0]["bins"] == [0.0, 0.5, 1.0, 1.5] and h[0]["values"] == [1, 2, 3]


def test_wandb_sparse_log_is_not_read_whole(tmp_path):
    """A .wandb log made 20 GB by a sparse tail (``truncate -s 20G``: no disk used) was read into
    memory whole: MemoryError and a traceback under a 6 GiB limit, the machine's memory without
    one. Now the log is read in 1 MiB pieces; its records import and the zero tail ends the read."""
    src = tmp_path / "src"
    run = _wandb_run(src, [_w("history", s, loss=1.0 / (s + 1)) for s in range(3)] + [_w("exit")])
    with open(run / "run-abc.wandb", "r+b") as fh:
        fh.truncate(20 << 30)
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert "bytes after the last complete record not read" in proc.stderr
    assert [r["loss"] for r in _runs(out)["wandb-abc"].history] == [1.0, 0.5, 1.0 / 3]


# -- TensorBoard: events framed as TFRecords, as every writer frames them ------------------------------
def _frame(data: bytes) -> bytes:
    from reportgen.importers.tfrecord import frame

    return frame(data)


def _event(step: int, **summary) -> bytes:
    """An Event at ``step``: ``loss=0.5`` a simple_value scalar, or ``value=`` a Summary.Value."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    values = [summary_pb2.Summary.Value(tag=k, simple_value=v) for k, v in summary.items() if k != "value"]
    if "value" in summary:
        values.append(summary["value"])
    return event_pb2.Event(step=step, wall_time=1700000000.0 + step,
                           summary=summary_pb2.Summary(value=values)).SerializeToString()


def _logdir(root: Path, *records: bytes, name: str = "run") -> Path:
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / "events.out.tfevents.1700000000.host.1.0").write_bytes(b"".join(records))
    return root


def test_tfrecord_length_of_2_to_the_60_is_not_read(tmp_path):
    """An event file (over 4 MiB) with a record whose length, checksummed, claims 2**60 bytes: that
    length was passed to read(), a MemoryError traceback that ended the whole import. Now such a
    length ends the read of that file with a warning; its records before it and the other runs import."""
    from reportgen.importers.tfrecord import masked_crc32c

    head = struct.pack("<Q", 1 << 60)
    bomb = head + struct.pack("<I", masked_crc32c(head)) + b"x" * (5 << 20)
    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)), _frame(_event(1, loss=0.5)), bomb)
    _logdir(logs, _frame(_event(0, loss=2.0)), name="other")
    out = tmp_path / "runs"
    proc = _import("tensorboard", logs, out)
    at = len(_frame(_event(0, loss=1.0))) + len(_frame(_event(1, loss=0.5)))
    assert f"record at byte {at} claims {1 << 60} bytes" in proc.stderr
    runs = {r.name: r for r in _runs(out).values()}
    assert [x["loss"] for x in runs["run"].history] == [1.0, 0.5] and runs["other"].history[0]["loss"] == 2.0


def test_tfrecord_resync_after_a_broken_length_is_bounded(tmp_path):
    """After a record whose length checksum fails, the reader searched byte by byte for the next good
    record through the rest of the file, read whole: a 4 MiB zero tail took 5 s (so a GB, an hour),
    and a sparse 20 GB tail was a MemoryError ending the import. Now the search is filtered with
    numpy and bounded to the next 32 MiB: a good record after 12 MiB of garbage is still found, the
    sparse tail is skipped with a warning, in seconds."""
    import random

    broken = struct.pack("<QI", 5, 0) + b"abcde"  # length checksum 0: wrong
    garbage = random.Random(0).randbytes(12 << 20)
    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)), broken, garbage, b"\0" * (4 << 20),
                   _frame(_event(1, loss=0.5)), name="found")
    sparse = logs / "sparse" / "events.out.tfevents.1700000000.host.1.0"
    _logdir(logs, _frame(_event(0, loss=2.0)), broken, name="sparse")
    with open(sparse, "r+b") as fh:
        fh.truncate(20 << 30)
    out = tmp_path / "runs"
    proc = _import("tensorboard", logs, out)
    assert f"{(16 << 20) + len(broken)} bytes skipped" in proc.stderr
    assert "sparse/events.out.tfevents.1700000000.host.1.0: corrupt record at byte" in proc.stderr
    assert "no whole record in the next 32 MiB; the rest of this file is skipped" in proc.stderr
    runs = {r.name: r for r in _runs(out).values()}
    assert [x["loss"] for x in runs["found"].history] == [1.0, 0.5]
    assert [x["loss"] for x in runs["sparse"].history] == [2.0]


def _tensor_value(tag: str, plugin: str, shape: list[int], **fields):
    from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2

    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in shape]
    return summary_pb2.Summary.Value(
        tag=tag, tensor=tensor_pb2.TensorProto(tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims), **fields),
        metadata=summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin)))


def test_tensor_shape_bomb_is_not_expanded(tmp_path):
    """A 40-byte event holding a tensor of shape [10**9] with a single float_val (or a single
    string_val, as text) was expanded by TensorBoard's make_ndarray into 10**9 values: 4 GB of memory
    (8 GB for the strings, the machine's memory when there are a few). Now a tensor needing more
    values than it stores (beyond 65,536) is skipped with a warning naming its tag."""
    bomb = _tensor_value("big", "scalars", [10**9], dtype=1, float_val=[1.0])
    text = _tensor_value("words", "text", [10**9], dtype=7, string_val=[b"lol"])
    ok = _tensor_value("const", "text", [3], dtype=7, string_val=[b"same"])  # TF's compact constant: kept
    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)), _frame(_event(1, value=bomb)),
                   _frame(_event(2, value=text)), _frame(_event(3, value=ok)), _frame(_event(4, loss=0.5)))
    out = tmp_path / "runs"
    proc = _import("tensorboard", logs, out)
    assert "tag 'big' (scalars): ValueError: tensor of shape [1000000000] (1000000000 values) from 1 stored" \
        in proc.stderr and "tag 'words' (text): ValueError: tensor of shape" in proc.stderr
    (run,) = _runs(out).values()
    assert [x.get("loss") for x in run.history] == [1.0, None, 0.5] and "big" not in run.summary


def test_event_the_compat_layer_cannot_read_is_skipped(tmp_path):
    """An audio event whose tensor has shape [1, 0] made TensorBoard's dataclass_compat raise
    "slice step cannot be zero" outside any handler: the whole import ended (every run lost).
    Now that event is skipped with a warning naming the file and step; the rest imports."""
    audio = _tensor_value("clip", "audio", [1, 0], dtype=7, string_val=[b"RIFF"])
    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)), _frame(_event(1, value=audio)),
                   _frame(_event(2, loss=0.5)))
    _logdir(logs, _frame(_event(0, loss=2.0)), name="other")
    out = tmp_path / "runs"
    proc = _import("tensorboard", logs, out)
    assert "run/events.out.tfevents.1700000000.host.1.0: event at step 1 cannot be read (ValueError: slice step" \
        in proc.stderr
    runs = {r.name: r for r in _runs(out).values()}
    assert [x["loss"] for x in runs["run"].history] == [1.0, 0.5] and runs["other"].history[0]["loss"] == 2.0


def test_mlflow_metric_file_with_a_7_gb_line(tmp_path):
    """An MLflow metric file holding a 7 GB line (a sparse file: no disk used) was read into memory
    whole: MemoryError under a 6 GiB limit (the run lost), the machine's memory without one; a
    400-digit timestamp raised OverflowError. Now metric files are read in 4 MiB pieces, a line
    over 64 MiB (and an unreadable one) counts as an unreadable line, and the lines around it import."""
    store = tmp_path / "mlruns"
    run = _mlflow_run(store, "r1")
    metric = run / "metrics" / "loss"
    with open(metric, "r+b") as fh:
        fh.truncate(7 << 30)
        fh.seek(0, 2)
        fh.write(b"\n" + b"9" * 400 + b" 1.0 5\n1700000002000 0.125 2\n")
    out = tmp_path / "runs"
    proc = _import("mlflow", store, out, timeout=120)
    assert "mlflow run r1: metric 'loss': 2 unreadable lines skipped" in proc.stderr
    assert [(x["_step"], x["loss"]) for x in _runs(out)["mlflow-r1"].history] == [(0, 0.5), (1, 0.25), (2, 0.125)]


def test_csv_with_infinite_steps(tmp_path):
    """A CSV whose step column holds ``inf`` ended the whole import with OverflowError (int(inf)),
    every other file lost. Now such rows count as rows without a usable step (warned), the rest of
    the file and the other files import."""
    src = tmp_path / "tables"
    src.mkdir()
    (src / "a.csv").write_text("step,loss\n0,1.0\ninf,2.0\n-inf,3.0\n1e30,4.0\n2,0.5\n")
    (src / "b.csv").write_text("step,loss\n0,9.0\n")
    out = tmp_path / "runs"
    proc = _import("csv", src, out)
    assert "a.csv: 2 rows without a usable step in 'step'; skipped" in proc.stderr
    runs = {r.name: r for r in _runs(out).values()}
    assert [(x["_step"], x["loss"]) for x in runs["a"].history][:2] == [(0, 1.0), (2, 0.5)]
    # 1e30 is past the steps a run folder holds (0 to 2**63-1; it was written as a 31-digit _step)
    assert [x["loss"] for x in runs["a"].history] == [1.0, 0.5]
    assert f"key 'loss': 1 value at steps outside 0..{2 ** 63 - 1} left out (the first at step 1e+30)" in proc.stderr
    assert runs["b"].history[0]["loss"] == 9.0


def test_csv_with_dates_a_nanosecond_clock_cannot_hold(tmp_path):
    """A time column holding 9999-12-31 (a common "no end" value) or 0001-01-01 raised OutOfBoundsDatetime
    (seconds were counted from a nanosecond epoch) and the whole file was skipped. Now every row imports,
    at its date; a cell that is no date is a row without a time."""
    src = tmp_path / "tables"
    src.mkdir()
    (src / "a.csv").write_text("step,time,loss\n0,2020-01-01,1.0\n1,9999-12-31,2.0\n2,0001-01-01,3.0\n3,no date,4.0\n")
    out = tmp_path / "runs"
    proc = _import("csv", src, out)
    assert "skipped" not in proc.stderr and "UserWarning" not in proc.stderr, proc.stderr
    run = next(iter(_runs(out).values()))
    assert [x["loss"] for x in run.history] == [1.0, 2.0, 3.0, 4.0]
    assert [x["_timestamp"] for x in run.history][:3] == [1577836800.0, 253402214400.0, -62135596800.0]


def _mlflow_db(path: Path, value: str, rows: int = 20) -> Path:
    """An mlflow.db with MLflow's tables (the columns read), runs 'bomb' and 'good', ``rows`` metric rows
    each; the metrics table's ``value`` is the SQL expression ``value`` (a generated column)."""
    import sqlite3

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE experiments (experiment_id INTEGER, name TEXT, lifecycle_stage TEXT);
        CREATE TABLE runs (run_uuid TEXT, name TEXT, status TEXT, start_time INTEGER, end_time INTEGER,
                           lifecycle_stage TEXT, experiment_id INTEGER, user_id TEXT, artifact_uri TEXT);
        CREATE TABLE metrics (key TEXT, n INTEGER, timestamp INTEGER, step INTEGER, is_nan INTEGER, run_uuid TEXT);
        CREATE TABLE params (key TEXT, value TEXT, run_uuid TEXT);
        CREATE TABLE tags (key TEXT, value TEXT, run_uuid TEXT);
        INSERT INTO experiments VALUES (1, 'exp', 'active');
        INSERT INTO runs VALUES ('bomb', 'b', 'FINISHED', 1700000000000, NULL, 'active', 1, 'u', NULL),
                                ('good', 'g', 'FINISHED', 1700000000001, NULL, 'active', 1, 'u', NULL);""")
    for run in ("bomb", "good"):
        conn.executemany("INSERT INTO metrics (key, n, timestamp, step, is_nan, run_uuid) "
                         "VALUES ('loss', ?, 1700000000000, ?, 0, ?)", [(i, i, run) for i in range(rows)])
    conn.execute(f"ALTER TABLE metrics ADD COLUMN value AS ({value})")  # (added last: inserts compute it too)
    conn.commit()
    conn.close()
    return path


def test_mlflow_database_with_a_blob_bomb_column(tmp_path):
    """A 24 KB mlflow.db whose metrics table computes ``value`` as zeroblob(900000000) (a generated
    column, allowed with trusted_schema off) made 900 MB per row, all rows fetched at once: a
    MemoryError traceback after 12 s under a 6 GiB limit, the machine's memory without one. Now no
    query may produce a value over 1 MiB (SQLITE_LIMIT_LENGTH), and (next fix) such a database is
    not read at all; either way the import warns, naming it, and ends cleanly."""
    db = _mlflow_db(tmp_path / "store" / "mlflow.db",
                    "CASE WHEN run_uuid = 'bomb' THEN zeroblob(900000000) ELSE n * 0.5 END")
    out = tmp_path / "runs"
    proc = _import("mlflow", db, out)
    assert "mlflow run bomb: DataError: string or blob too big; skipped" in proc.stderr \
        or "column 'value' of table metrics is computed, not stored" in proc.stderr
    assert "mlflow-bomb" not in _runs(out)


def test_mlflow_database_with_computed_columns_is_not_read(tmp_path):
    """A 2 MB mlflow.db whose metrics table computes ``value AS (hex(zeroblob(500000)))`` (under any
    length limit) for 100,000 rows made 100 GB of text to read it: the import ran for 5 minutes.
    MLflow's schema has no generated column nor virtual table: such a database is now refused at
    once, with a warning naming the column."""

    db = _mlflow_db(tmp_path / "store" / "mlflow.db", "hex(zeroblob(500000))", rows=50_000)
    out = tmp_path / "runs"
    proc = _import("mlflow", db, out)
    assert "not an MLflow database (column 'value' of table metrics is computed, not stored); not read" \
        in proc.stderr
    assert _runs(out) == {}


def test_wandb_media_files_that_are_too_large(tmp_path):
    """A wandb table-file record naming a 7 GB file of files/ (sparse: no disk used) had it read into
    memory whole: MemoryError under a 6 GiB limit, the machine's memory without one. Now a table,
    HTML, plotly or boxes file over 64 MiB (and any media file over 1 GiB) is skipped with a warning
    naming the key and file."""
    src = tmp_path / "src"
    run = _wandb_run(src, [_w("history", 0, loss=1.0, tbl=json.dumps({"_type": "table-file", "path": "media/t.json"})),
                           _w("exit")])
    (run / "files" / "media").mkdir()
    with open(run / "files" / "media" / "t.json", "wb") as fh:
        fh.truncate(7 << 30)
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert "key 'tbl' (table-file): media file 'media/t.json' is larger than 64 MiB; not imported" in proc.stderr
    assert [r["loss"] for r in _runs(out)["wandb-abc"].history] == [1.0]


def _png_bomb() -> bytes:
    """A small PNG of 6,000 x 6,000 pixels (a 1-bit one: quick to make; Pillow would decode up to 179M
    pixels of any mode, 13,300 x 13,300 RGBA is 690 KB of PNG and 700 MB decoded)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    return _png_bomb()


def test_image_decompression_bombs_are_not_decoded(tmp_path, png_bomb):
    """A TensorBoard image summary, a wandb image-file or an MLflow image artifact holding a 690 KB PNG
    of 13,300 x 13,300 pixels was decoded (700 MB) and re-encoded (5 s) each, Pillow only warning:
    100 MB of them cost 12 minutes. Images in another format than trackers write (a TIFF named .png)
    were decoded by whatever Pillow plugin matched. Now images beyond 33.5M pixels or in another
    format are skipped with a warning naming the key, at the cost of reading their header."""
    import io

    from PIL import Image
    from tensorboard.compat.proto import summary_pb2

    tiff = io.BytesIO()
    Image.new("RGB", (4, 4)).save(tiff, "TIFF")
    ok = io.BytesIO()
    Image.new("RGB", (4, 3), (9, 9, 9)).save(ok, "PNG")
    logs = tmp_path / "logs"
    records = [_frame(_event(0, loss=1.0))]
    for step, (tag, data) in enumerate((("bomb", png_bomb), ("tiff", tiff.getvalue()), ("ok", ok.getvalue())), 1):
        img = summary_pb2.Summary.Image(height=1, width=1, colorspace=4, encoded_image_string=data)
        records.append(_frame(_event(step, value=summary_pb2.Summary.Value(tag=tag, image=img))))
    _logdir(logs, *records)
    src = tmp_path / "src"
    run = _wandb_run(src, [_w("history", 0, loss=1.0, img=json.dumps({"_type": "image-file", "path": "media/b.png"})),
                           _w("exit")])
    (run / "files" / "media").mkdir()
    (run / "files" / "media" / "b.png").write_bytes(png_bomb)
    store = tmp_path / "mlruns"
    art = _mlflow_run(store, "r1") / "artifacts" / "plots"
    art.mkdir(parents=True)
    (art / "bomb.png").write_bytes(png_bomb)
    (art / "tiff.png").write_bytes(tiff.getvalue())
    said = "".join(_import(kind, path, tmp_path / f"out-{kind}").stderr
                   for kind, path in (("tensorboard", logs), ("wandb", src), ("mlflow", store)))
    bomb = "an image of 6000 x 6000 pixels (more than 33,554,432); not imported"
    assert f"tag 'bomb' (images): ValueError: {bomb}" in said and "tag 'tiff' (images): ValueError: not an image" in said
    assert f"key 'img' (image-file): {bomb}" in said
    assert f"artifact 'plots/bomb.png': {bomb}" in said and "artifact 'plots/tiff.png': not an image" in said
    (tb,) = _runs(tmp_path / "out-tensorboard").values()
    assert [sorted(k for k in r if not k.startswith("_")) for r in tb.history] == [["loss"], ["ok"]]
    assert not list((tmp_path / "out-mlflow").rglob("*.png")) and not list((tmp_path / "out-wandb").rglob("*.png"))


def _remove_chain(base: Path) -> None:
    """Delete the chain ``base/a/a/...`` bottom-up, by descriptors (shutil.rmtree recurses: pytest's
    clean-up of old temporary folders would meet RecursionError on it)."""
    fds = [os.open(base, os.O_RDONLY)]
    while "a" in os.listdir(fds[-1]):
        fds.append(os.open("a", os.O_RDONLY, dir_fd=fds[-1]))
    while fds:
        fd = fds.pop()
        for name in os.listdir(fd):
            if name != "a":
                os.unlink(name, dir_fd=fd)
        if fds:
            os.rmdir("a", dir_fd=fds[-1])
        os.close(fd)


@pytest.fixture
def chains():
    """Bases of the folder chains a test makes, removed after it."""
    bases: list[Path] = []
    yield bases
    for base in bases:
        _remove_chain(base)


def test_sources_with_1100_nested_folders(tmp_path, chains):
    """A logdir, CSV folder or MLflow artifacts folder holding a chain of 1,100 nested folders ended
    ``reportgen import`` (os.walk, Path.rglob: RecursionError) and ``reportgen build LOGDIR`` (the
    source detection) with a traceback. Now folders are walked iteratively, at most 64 deep, with a
    warning naming the folder; everything shallower imports and builds."""
    def chain(base: Path) -> None:  # (made by descriptors: pathlib's mkdir(parents=True) recurses too)
        base.mkdir(parents=True, exist_ok=True)
        chains.append(base)
        fd = os.open(base, os.O_RDONLY)
        for _ in range(1100):
            os.mkdir("a", dir_fd=fd)
            fd, old = os.open("a", os.O_RDONLY, dir_fd=fd), fd
            os.close(old)
        out = os.open("x.csv", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, b"step,loss\n0,1\n")
        os.close(out)
        os.close(fd)

    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)), _frame(_event(1, loss=0.5)))
    chain(logs / "deep")
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "a.csv").write_text("step,loss\n0,1.0\n")
    chain(tables / "deep")
    store = tmp_path / "mlruns"
    chain(_mlflow_run(store, "r1") / "artifacts")
    for kind, path in (("tensorboard", logs), ("csv", tables), ("mlflow", store)):
        proc = _import(kind, path, tmp_path / f"out-{kind}")
        runs = _runs(tmp_path / f"out-{kind}")
        assert len(runs) == 1 and next(iter(runs.values())).history[0]["loss"] in (1.0, 0.5), kind
        if kind != "mlflow":
            assert "folders more than 64 levels deep are not searched" in proc.stderr, kind
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(logs), "-o", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=120,  # (no rlimit: V8 reserves address space)
                          env={**os.environ, "PYTHONPATH": str(REPO), "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").is_file()


def test_wandb_files_are_copied_up_to_a_total(tmp_path):
    """A wandb run whose files/ holds sparse files of 50 MB each (no disk used in the source) had each
    copied dense into the runs root: 1,000 of them wrote 50 GB. Now a run's files are copied up to
    200 MiB in all, smallest first (logs, requirements); the others are skipped with a warning naming them."""
    src = tmp_path / "src"
    run = _wandb_run(src, [_w("history", 0, loss=1.0), _w("exit")])
    (run / "files" / "output.log").write_text("epoch 1\n")
    for i in range(6):
        with open(run / "files" / f"blob{i}.bin", "wb") as fh:
            fh.truncate(40 << 20)
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    for skipped in ("blob4.bin", "blob5.bin"):
        assert f"files/{skipped}: the run's files pass 200 MiB in all; not copied" in proc.stderr
    copied = sorted(p.name for p in (out / "wandb-abc" / "files").iterdir())
    assert copied == ["blob0.bin", "blob1.bin", "blob2.bin", "blob3.bin", "output.log"]  # (smallest first)


def test_wandb_gltf1_model_cannot_read_files_outside(tmp_path, outside):
    """A wandb object3D-file record naming a glTF 1.0 model whose buffer uri is "/home/me/.ssh/id_rsa"
    (or "../../x", or a link next to it): the file was read as the vertex buffer (uint8 positions),
    so the published scene held the secret byte for byte. Now a buffer must be a file in the .gltf's
    folder (links followed): the model is skipped with a warning naming the key."""
    secret = outside / "id_rsa"
    n = len(secret.read_bytes()) // 3

    def model(uri: str) -> str:
        return json.dumps({"asset": {"version": "1.0"}, "buffers": {"b": {"uri": uri}},
                           "bufferViews": {"v": {"buffer": "b", "byteOffset": 0}},
                           "accessors": {"a": {"bufferView": "v", "componentType": 5121, "count": n, "type": "VEC3"}},
                           "meshes": {"m": {"primitives": [{"attributes": {"POSITION": "a"}, "mode": 4}]}}})

    src = tmp_path / "src"
    uris = {"abs": str(secret), "up": os.path.relpath(secret, tmp_path / "x" / "y"), "link": "link.bin",
            "ok": "ok.bin"}
    records = [_w("history", i, **{k: json.dumps({"_type": "object3D-file", "path": f"media/object3D/{k}.gltf"})})
               for i, k in enumerate(uris)]
    run = _wandb_run(src, [*records, _w("exit")])
    folder = run / "files" / "media" / "object3D"
    folder.mkdir(parents=True)
    for k, uri in uris.items():
        (folder / f"{k}.gltf").write_text(model(uri))
    (folder / "link.bin").symlink_to(secret)
    (folder / "ok.bin").write_bytes(bytes(range(3 * n)))
    uris["up"] = os.path.relpath(secret, folder)
    (folder / "up.gltf").write_text(model(uris["up"]))
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert leaked(out, SECRET) == []
    for scene in out.rglob("*scene*.json"):  # vertices as bytes: what a reader of the site could decode
        vertices = json.loads(scene.read_text())["mesh"]["vertices"]
        assert SECRET.encode() not in bytes(int(x) % 256 for v in vertices for x in v)
    for k in ("abs", "up", "link"):
        assert f"key '{k}' (object3D-file): data_or_path: cannot read this glTF 1.0 file (ValueError: glTF 1.0: " \
               f"buffer 'b': file path {uris[k]!r}" in proc.stderr, k
    rows = _runs(out)["wandb-abc"].history
    assert [sorted(k for k in r if not k.startswith("_")) for r in rows] == [["ok"]]  # a buffer beside it: read


def test_wandb_nested_keys_deeper_than_the_limit(tmp_path):
    """A config or history item whose nested_key holds 5,000 names built a value 5,000 dicts deep:
    writing it raised RecursionError and the whole run was lost. Now a key nesting (with its value)
    deeper than 100 levels is skipped with a warning naming it; the rest of the run imports."""
    src = tmp_path / "src"
    cfg = _w("config", lr=0.1)
    item = cfg.config.update.add()
    item.nested_key.extend(["k"] * 5000)
    item.value_json = "1"
    row = _w("history", 0, loss=1.0)
    item = row.history.item.add()
    item.nested_key.extend(["k"] * 99)
    item.value_json = "[[1]]"  # 99 keys and 2 levels of lists: 101 deep
    _wandb_run(src, [cfg, row, _w("exit")])
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert "config key 'k/k/k/" in proc.stderr and "history key 'k/k/k/" in proc.stderr
    assert proc.stderr.count("nested deeper than 100 levels") == 2
    run = _runs(out)["wandb-abc"]
    assert run.config == {"lr": 0.1} and [r["loss"] for r in run.history] == [1.0]


def test_transformers_config_text_nested_too_deep(tmp_path):
    """transformers' TensorBoardCallback writes its TrainingArguments as the JSON text
    ``args/text_summary``, which becomes the run's config: a text of 950 nested objects was taken as
    config and writing config.json raised RecursionError, the whole run lost. Now JSON deeper than
    100 levels stays a text value, with a warning naming the tag."""
    deep = '{"a":' * 950 + "1" + "}" * 950
    text = _tensor_value("args/text_summary", "text", [], dtype=7, string_val=[deep.encode()])
    good = _tensor_value("model_config/text_summary", "text", [], dtype=7, string_val=[b'{"layers": 12}'])
    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)), _frame(_event(1, value=text)),
                   _frame(_event(2, value=good)))
    out = tmp_path / "runs"
    proc = _import("tensorboard", logs, out)
    assert "tag 'args/text_summary': JSON nested deeper than 100 levels; kept as text" in proc.stderr
    (run,) = _runs(out).values()
    assert run.config == {"layers": 12} and run.history[0]["loss"] == 1.0


def test_source_keys_named_like_the_rows_own(tmp_path):
    """An MLflow metric (or a TensorBoard tag) named ``_step``, ``_timestamp`` or ``_runtime`` replaced
    the row's own step and time in history.jsonl: steps became 0.5 and 99999.0, times 1e300 and
    NaN, so charts and the run's times were the source's fiction. Now such keys are skipped with a
    warning naming them; steps and times stay the importer's."""
    store = tmp_path / "mlruns"
    run = _mlflow_run(store, "r1")
    (run / "metrics" / "_step").write_text("1700000000000 0.5 0\n1700000001000 99999 1\n")
    (run / "metrics" / "_timestamp").write_text("1700000000000 1e300 0\n1700000001000 -5 1\n")
    (run / "metrics" / "_runtime").write_text("1700000000000 nan 0\n")
    out = tmp_path / "runs"
    proc = _import("mlflow", store, out)
    for key in ("_step", "_timestamp", "_runtime"):
        assert f"key {key!r} is the row's own (step, time)" in proc.stderr, key
    rows = _runs(out)["mlflow-r1"].history
    assert [(r["_step"], r["_timestamp"], r["_runtime"], r["loss"]) for r in rows] == \
        [(0, 1700000000.0, 0.0, 0.5), (1, 1700000001.0, 1.0, 0.25)]


def test_wandb_media_file_named_by_many_records(tmp_path):
    """2,000 history records of a 190 KB .wandb log each naming the same 450 KB table-file: the table
    was parsed and converted 2,000 times, minutes (a 100 MB log: hours, and again on every serve --watch
    restart). wandb writes a new file per logged value, so a file named by more than 8 records is
    now read no more, with a warning naming it; the rows' other values import."""

    src = tmp_path / "src"
    rec = json.dumps({"_type": "table-file", "path": "media/t.json"})
    run = _wandb_run(src, [_w("history", i, loss=1.0 / (i + 1), tbl=rec) for i in range(2000)] + [_w("exit")])
    (run / "files" / "media").mkdir()
    (run / "files" / "media" / "t.json").write_text(
        json.dumps({"columns": ["a", "b"], "data": [[i, "x" * 40] for i in range(9000)]}))
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert "key 'tbl' (table-file): media file 'media/t.json' is named by more than 8 records; not read again" \
        in proc.stderr
    rows = _runs(out)["wandb-abc"].history
    assert len(rows) == 2000 and sum("tbl" in r for r in rows) == 8


def test_table_files_too_large_to_read(tmp_path):
    """A 1.7 MB Parquet file whose dictionary-encoded column holds 100M rows decoded to 10 GB (and a
    100M-row Python loop after it), and a CSV made 7 GB by a sparse tail was read whole by pandas:
    each took the machine's memory (under a 6 GiB limit: MemoryError). Now a Parquet file whose
    footer declares more than 50M cells is not read, and of a CSV that is mostly holes only the rows in
    its first 64 MiB are, with a warning naming it."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "tables"
    src.mkdir()
    chunk = pa.table({"step": pa.array(np.zeros(10_000_000, dtype=np.int64)),
                      "s": pa.DictionaryArray.from_arrays(pa.array(np.zeros(10_000_000, dtype=np.int32)),
                                                          pa.array(["x" * 100]))})
    with pq.ParquetWriter(src / "bomb.parquet", chunk.schema, compression="zstd") as w:
        for _ in range(3):
            w.write_table(chunk)
    pq.write_table(pa.table({"step": [0, 1], "loss": [1.0, 0.5]}), src / "ok.parquet")
    out = tmp_path / "runs"
    proc = _import("parquet", src, out)
    assert "bomb.parquet: 30000000 rows x 2 columns (more than 50,000,000 cells); not read (split it" in proc.stderr
    assert [r["loss"] for r in _runs(out)[next(iter(_runs(out)))].history] == [1.0, 0.5]
    csvs = tmp_path / "csvs"
    csvs.mkdir()
    (csvs / "ok.csv").write_text("step,loss\n0,1.0\n")
    with open(csvs / "big.csv", "wb") as fh:
        fh.write(b"step,loss\n0,")
        fh.truncate(7 << 30)
    proc = _import("csv", csvs, tmp_path / "csv-runs")
    assert f"big.csv: larger than 64 MiB ({7 << 30:,} bytes); only the rows in its first 64 MiB are imported" \
        in proc.stderr, proc.stderr
    # (no whole row in those 64 MiB: the file is skipped, and leaves no empty run folder)
    assert "big.csv: no row with a step and a value that can be stored; skipped" in proc.stderr
    assert sorted(len(r.history) for r in _runs(tmp_path / "csv-runs").values()) == [1]


def test_huge_sparse_csv_keeps_the_rows_before_the_read_limit(tmp_path):
    """A CSV of 2 GiB (``truncate -s 2G`` after its rows: free to make) was read whole into memory
    (only a file over 2 GiB was refused, whole). Now at most 64 MiB of it are read (the importers' one
    read limit for a source file), with a warning naming the file and the limit; the rows before it
    are imported."""
    src = tmp_path / "csvs"
    src.mkdir()
    with open(src / "run.csv", "wb") as fh:
        fh.write(b"step,loss\n" + b"".join(b"%d,%r\n" % (s, 1.0 / (s + 1)) for s in range(1000)))
        fh.truncate(2 << 30)
    proc = _import("csv", src, tmp_path / "runs", timeout=120)
    assert f"run.csv: larger than 64 MiB ({2 << 30:,} bytes); only the rows in its first 64 MiB are imported" \
        in proc.stderr, proc.stderr
    (run,) = _runs(tmp_path / "runs").values()
    assert [r["loss"] for r in run.history] == [1.0 / (s + 1) for s in range(1000)]



def test_a_csv_of_60000_columns_imports_in_a_deadline(tmp_path):
    """A CSV of 100,000 columns and two rows (1 MB) took 10 minutes to import, more with holes: each
    column of each part was set into the part's frame one at a time, each costing as much as the columns
    set before it, and each column of integers with an empty cell parsed the whole part again to tell
    whether its cells are written as integers (60,000: 15 minutes). Now the typed columns make one
    new frame and those columns are told from one more parse, and a table of 60,000 columns imports
    within the deadline with its integers (a hole kept integers), floats and text."""
    n = 60_000
    src = tmp_path / "csvs"
    src.mkdir()
    kinds = ("7", "0.5", "a")
    head = ",".join(f"c{i}" for i in range(n))
    first = ",".join(kinds[i % 3] for i in range(n))
    second = ",".join("" if i % 3 == 0 and i % 2 else kinds[i % 3] for i in range(n))
    (src / "wide.csv").write_text(f"step,{head}\n0,{first}\n1,{second}\n")
    _import("csv", src, tmp_path / "runs", timeout=300)
    (run,) = _runs(tmp_path / "runs").values()
    a, b = run.history
    assert (a["c0"], a["c1"], a["c2"], a[f"c{n - 1}"]) == (7, 0.5, "a", "a")
    assert type(a["c3"]) is int and "c3" not in b and type(b["c6"]) is int and b["c5"] == "a"
    assert sum(k.startswith("c") for k in a) == n

def test_a_large_csv_of_real_rows_is_read_whole(tmp_path):
    """The 64 MiB read limit is for a sparse CSV (holes: free to make); a CSV whose bytes are on disk
    (an export of many rows) is read whole, a part at a time: a 70 MiB one lost its rows after the first
    64 MiB."""
    src = tmp_path / "csvs"
    src.mkdir()
    note = "x" * (700 << 10)
    with open(src / "run.csv", "w") as fh:
        fh.write("step,loss,note\n")
        for s in range(100):
            fh.write(f"{s},{1.0 / (s + 1)!r},{note}\n")
    assert (src / "run.csv").stat().st_size > 68 << 20  # (past the 64 MiB a sparse file is read to)
    proc = _import("csv", src, tmp_path / "runs", timeout=300)
    assert "larger than" not in proc.stderr, proc.stderr
    (run,) = _runs(tmp_path / "runs").values()
    assert [r["loss"] for r in run.history] == [1.0 / (s + 1) for s in range(100)]

def test_hparams_yaml_with_types_json_cannot_hold(tmp_path):
    """A Lightning hparams.yaml holding a ``!!binary`` value or a ``!!set`` became a config that
    config.json could not be written from (TypeError): the whole run was lost. Now YAML's types come
    back as JSON's (bytes as text, sets as sorted lists, dates as ISO text); the run imports."""
    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)))
    (logs / "run" / "hparams.yaml").write_text("lr: 0.1\nb: !!binary aGVsbG8=\ns: !!set {b, a}\nd: 2024-01-01\n"
                                               "1: one\n")
    out = tmp_path / "runs"
    _import("tensorboard", logs, out)
    (run,) = _runs(out).values()
    assert run.config == {"lr": 0.1, "b": "hello", "s": ["a", "b"], "d": "2024-01-01", "1": "one"}
    assert run.history[0]["loss"] == 1.0


def test_warnings_never_print_control_characters(tmp_path):
    """A logdir folder named "x\\x1b]0;owned\\x07\\x1b[2J" (or a key, or a file) reached the terminal
    raw in every warning naming it: the importing user's terminal title was set and the screen
    cleared (and a name with "\\n" forged warning lines). Now warnings write control characters as
    their escapes."""
    evil = "x\x1b]0;owned\x07\x1b[2J\nwarning: all good"
    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)), name=evil)
    (logs / evil / "hparams.yaml").write_text("a: [unclosed\n")
    out = tmp_path / "runs"
    proc = _import("tensorboard", logs, out)
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "x\\x1b]0;owned\\x07\\x1b[2J\\nwarning: all good/hparams.yaml: " in proc.stderr
    assert not any(line.startswith("warning: all good") for line in proc.stderr.splitlines())


def test_wandb_mask_decompression_bomb(tmp_path, png_bomb):
    """The mask PNG of a wandb image-file record (``masks: {name: {path}}``) was decoded by Pillow
    whatever its size or format, as images were: a small PNG of 6,000 x 6,000 (or 13,300 x 13,300
    RGBA, 700 MB) pixels. Now masks go through the same check as images: skipped with a warning."""
    import io

    from PIL import Image

    src = tmp_path / "src"
    img = {"_type": "image-file", "path": "media/images/i.png",
           "masks": {"pred": {"_type": "mask", "path": "media/images/mask/m.png"}}}
    run = _wandb_run(src, [_w("history", 0, loss=1.0, img=json.dumps(img)), _w("exit")])
    (run / "files" / "media" / "images" / "mask").mkdir(parents=True)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    (run / "files" / "media" / "images" / "i.png").write_bytes(buf.getvalue())
    (run / "files" / "media" / "images" / "mask" / "m.png").write_bytes(png_bomb)
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert "key 'img' (image-file): an image of 6000 x 6000 pixels (more than 33,554,432); not imported" \
        in proc.stderr
    assert [r["loss"] for r in _runs(out)["wandb-abc"].history] == [1.0]


def test_gltf_accessor_count_bomb(tmp_path):
    """A 400-byte glTF 2.0 model (a wandb object3D-file) whose POSITION accessor has no bufferView and
    a count of 300M: trimesh allocated the zeros it declares, 3.6 GB then 7 GB (and a 900M-float
    list for the scene). Now a model whose accessors declare more than 20M values, or more than
    their bufferView holds, is not read, with a warning naming the key."""
    import base64

    idx = struct.pack("<3I", 0, 1, 2)
    model = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
             "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
             "buffers": [{"uri": "data:application/octet-stream;base64," + base64.b64encode(idx).decode(),
                          "byteLength": 12}],
             "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 12}],
             "accessors": [{"componentType": 5126, "count": 300_000_000, "type": "VEC3",
                            "min": [0, 0, 0], "max": [1, 1, 1]},
                           {"bufferView": 0, "componentType": 5125, "count": 3, "type": "SCALAR"}]}
    src = tmp_path / "src"
    run = _wandb_run(src, [_w("history", 0, loss=1.0, obj=json.dumps({"_type": "object3D-file",
                                                                      "path": "media/object3D/m.gltf"})),
                           _w("exit")])
    (run / "files" / "media" / "object3D").mkdir(parents=True)
    (run / "files" / "media" / "object3D" / "m.gltf").write_text(json.dumps(model))
    out = tmp_path / "runs"
    proc = _import("wandb", src, out)
    assert "key 'obj' (object3D-file): data_or_path: cannot read this gltf file (glTF accessors declare more " \
           "than 20,000,000 values (accessor 0: 300000000 x VEC3); not read)" in proc.stderr
    assert [r["loss"] for r in _runs(out)["wandb-abc"].history] == [1.0]


def test_building_a_tracker_folder_with_an_escape_in_its_name_keeps_the_terminal(tmp_path):
    """``reportgen build LOGS`` on another tracker's folder imports it into a cache folder named after
    the source and says so: that name was printed as it was, so a folder named with a terminal escape
    (unzipped from someone's archive) rewrote the terminal of the person building."""
    logs = _logdir(tmp_path / "logs\x1b]0;owned\x07\x1b[2J", _frame(_event(0, loss=1.0)))
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(logs), "-o", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1",
                               "REPORTGEN_CACHE_DIR": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "importing it into" in proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr and "\\x1b]0;owned" in proc.stderr


def test_skipped_tables_leave_no_run_folder(tmp_path):
    """A CSV or Parquet file that was skipped left an empty run folder behind (listed as an imported run,
    shown by the site as a run without data): a header alone, only unusable steps, only binary cells
    (Parquet written by polars), a --step-col that is not a column; also in the cache runs root that
    ``reportgen build FILE.csv`` imports into. Now such a file is counted as skipped, with a warning
    naming it, and no run folder is left; an unreadable file likewise."""
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    src = tmp_path / "tables"
    src.mkdir()
    (src / "good.csv").write_text("step,loss\n0,1.0\n1,0.5\n")
    (src / "header.csv").write_text("step,loss\n")
    (src / "nosteps.csv").write_text("step,loss\nx,1.0\ny,2.0\n")
    (src / "garbage.csv").write_bytes(bytes(range(256)) * 8)
    out = tmp_path / "runs"
    proc = _import("csv", src, out)
    assert [r.name for r in _runs(out).values()] == ["good"] and len(os.listdir(out)) == 1, os.listdir(out)
    assert "Imported 1 runs (2 new rows)" in proc.stdout and "3 skipped" in proc.stdout
    for name in ("header", "nosteps", "garbage"):
        assert f"{src / name}.csv: " in proc.stderr and "skipped" in proc.stderr
    proc = _import("csv", src, out)  # again: the good run is no skipped file, nothing new is written
    assert "Imported 1 runs (0 new rows)" in proc.stdout and len(os.listdir(out)) == 1

    psrc = tmp_path / "parquet"
    psrc.mkdir()
    pl.DataFrame({"step": [0, 1], "loss": [1.0, 0.5]}).write_parquet(psrc / "good.parquet")
    pl.DataFrame({"blob": [b"\x00\x01", b"\x02"]}).write_parquet(psrc / "binary.parquet")
    pl.DataFrame({"loss": []}, schema={"loss": pl.Float64}).write_parquet(psrc / "empty.parquet")
    (psrc / "garbage.parquet").write_bytes(b"PAR1" + b"\xff" * 100 + b"PAR1")
    pout = tmp_path / "pruns"
    proc = _import("parquet", psrc, pout)
    assert [r.name for r in _runs(pout).values()] == ["good"] and len(os.listdir(pout)) == 1, os.listdir(pout)
    assert "3 skipped" in proc.stdout
    for name in ("binary", "empty", "garbage"):
        assert f"{psrc / name}.parquet: " in proc.stderr

    sout = tmp_path / "sruns"
    proc = _import("csv", src / "good.csv", sout, extra=("--step-col", "nope"))
    assert "good.csv: --step-col 'nope' is not a column (columns: step, loss); skipped" in proc.stderr
    assert "Imported 0 runs" in proc.stdout and not os.listdir(sout)

    cache = tmp_path / "cache"  # the cache runs root a source is imported into for serve --watch (follow.py)
    code = "import sys; from reportgen.importers.follow import import_tracker; print(import_tracker(sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-c", code, str(src / "header.csv")], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO), "REPORTGEN_CACHE_DIR": str(cache)})
    assert proc.returncode == 0 and "header.csv: no row with a step and a value that can be stored; skipped" \
        in proc.stderr, proc.stderr
    root = Path(proc.stdout.strip())
    assert root.parent == cache / "follow" and root.is_dir() and not os.listdir(root), os.listdir(root)


def test_hundreds_of_bad_media_records_are_counted_not_each_named(tmp_path):
    """A logdir with 300 undecodable image summaries (each under its own tag) or a wandb run whose 300
    image records name missing files printed 300 warnings, one each, burying everything else. Now the
    first 3 of a run are named and the rest counted in one line naming the run; the rest imports."""
    from tensorboard.compat.proto import summary_pb2

    records = [_frame(_event(0, loss=1.0))]
    for i in range(300):
        img = summary_pb2.Summary.Image(height=1, width=1, colorspace=4, encoded_image_string=b"junk %d" % i)
        records.append(_frame(_event(i + 1, value=summary_pb2.Summary.Value(tag=f"sample/{i}", image=img))))
    records.append(_frame(_event(301, loss=0.5)))
    logs = _logdir(tmp_path / "logs", *records)
    proc = _import("tensorboard", logs, tmp_path / "tb-runs")
    warned = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    assert [w for w in warned if "(images): ValueError: not an image" in w] == [
        f"warning: run: tag 'sample/{i}' (images): ValueError: not an image in one of the formats imported "
        "(PNG, JPEG, GIF, WEBP, BMP); skipped" for i in range(3)]
    assert "warning: … and 297 more values skipped in run" in warned and len(warned) == 4, warned
    (run,) = _runs(tmp_path / "tb-runs").values()
    assert [r["loss"] for r in run.history] == [1.0, 0.5]

    src = tmp_path / "src"
    _wandb_run(src, [*(_w("history", i, loss=1.0 / (i + 1), img=json.dumps(
        {"_type": "image-file", "path": f"media/images/img_{i}.png"})) for i in range(300)), _w("exit")])
    proc = _import("wandb", src, tmp_path / "w-runs")
    warned = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    assert warned == [f"warning: run-20240101_000000-abc: key 'img' (image-file): media file "
                      f"'media/images/img_{i}.png' is missing; skipped" for i in range(3)] + [
        "warning: … and 297 more media values skipped in run-20240101_000000-abc"], warned
    assert len(_runs(tmp_path / "w-runs")["wandb-abc"].history) == 300


def test_event_steps_a_run_folder_cannot_hold_are_left_out_with_a_warning(tmp_path):
    """TensorBoard steps are int64: an event at step -2**63 (or -5, an image) was left out without a word,
    and one at -1 was even written as a history row at step -1. A run folder's steps run from 0 to
    2**63 - 1 (docs/format.md). Now values at other steps are left out with a warning naming the run,
    tag and step: once per run and tag, and past 3 tags of a run counted in one line (by RunImport, as for
    every importer: the run's id and "key")."""
    import io

    from PIL import Image
    from tensorboard.compat.proto import summary_pb2

    png = io.BytesIO()
    Image.new("RGB", (2, 2)).save(png, "PNG")
    pic = summary_pb2.Summary.Value(tag="pic", image=summary_pb2.Summary.Image(
        height=2, width=2, colorspace=3, encoded_image_string=png.getvalue()))
    logs = _logdir(tmp_path / "logs", _frame(_event(0, loss=1.0)), _frame(_event(-2 ** 63, loss=9.0)),
                   _frame(_event(-2 ** 63, loss=8.0)), _frame(_event(-1, acc=9.0)), _frame(_event(-5, value=pic)),
                   _frame(_event(1, loss=0.5)))
    _logdir(logs, _frame(_event(0, a=1.0)), *(_frame(_event(-1, **{f"t{i}": 1.0})) for i in range(5)), name="many")
    out = tmp_path / "runs"
    proc = _import("tensorboard", logs, out)
    warned = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    runs = {r.name: r for r in _runs(out).values()}
    run, many = runs["run"].id, runs["many"].id
    assert [w for w in warned if w.startswith(f"warning: {run}: ")] == [
        f"warning: {run}: key 'loss': 2 values at steps outside 0..{2 ** 63 - 1} left out (the first at step {-2 ** 63})",
        f"warning: {run}: key 'acc': 1 value at steps outside 0..{2 ** 63 - 1} left out (the first at step -1)",
        f"warning: {run}: key 'pic': 1 value at steps outside 0..{2 ** 63 - 1} left out (the first at step -5)"]
    assert [w for w in warned if many in w] == [
        *(f"warning: {many}: key 't{i}': 1 value at steps outside 0..{2 ** 63 - 1} left out (the first at step -1)"
          for i in range(3)), f"warning: … and 2 more keys with steps out of range in {many}"], warned
    assert [(r["_step"], r.get("loss")) for r in runs["run"].history] == [(0, 1.0), (1, 0.5)]
    assert [r["_step"] for r in runs["many"].history] == [0]
    assert "warning" not in _import("tensorboard", logs, out).stderr  # (read once: not warned again)


def test_rows_at_steps_no_run_folder_holds_are_warned_whatever_their_size(tmp_path):
    """RunImport.add, for every importer: a step of 400 digits (an MLflow metrics line; float() of it
    overflows) made the warning itself raise OverflowError and the whole run was lost; a step of -5 in
    a new run was dropped without a word (the last-step check came first). Both are warned and
    skipped, the other rows imported. Found in review."""
    from reportgen.importers.common import Problems, RunImport

    said: list[str] = []
    problems = Problems(emit=said.append)
    imp = RunImport(tmp_path / "runs", "r", source={"kind": "test"}, problems=problems)
    imp.add(0, {"loss": 1.0})
    imp.add(10 ** 400, {"loss": 2.0})
    imp.add(-5, {"loss": 3.0})
    imp.add(1, {"loss": 0.5})
    imp.commit(meta={"name": "r"})
    assert said == [f"r: key 'loss': 2 values at steps outside 0..{2 ** 63 - 1} left out (the first at step "
                    "a number of about 400 digits)"], said  # (-5 the second)
    rows = [json.loads(x) for x in (tmp_path / "runs" / "r" / "history.jsonl").read_text().splitlines()]
    assert [(r["_step"], r["loss"]) for r in rows] == [(0, 1.0), (1, 0.5)]
