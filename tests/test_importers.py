"""reportgen import / export: sources written by the real libraries, imported through the
CLI, then checked in the run folders (values, steps, media bytes, metadata), re-imported
(incremental, idempotent), damaged (torn/corrupt files), followed live and exported."""
from __future__ import annotations

import json
import shutil
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from import_sources import MEDIA_EVERY, STEPS, loss
from conftest import run_cli
from reportgen.storage.reader import list_run_dirs, read_run

pytest.importorskip("tensorboard")


def _runs(out: Path) -> dict[str, object]:
    return {read_run(d).name: read_run(d) for d in list_run_dirs(out)}


def _series(rec, key):
    return [(r["_step"], r[key]) for r in rec.history if key in r]


def _png(run_dir: Path, record: dict) -> np.ndarray:
    return np.asarray(PILImage.open(run_dir / record["path"]))


# -- TensorBoard ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tb_runs(tracker_sources, tmp_path_factory):
    out = tmp_path_factory.mktemp("tb") / "runs"
    proc = run_cli("import", "tensorboard", str(tracker_sources["tensorboard"]), "-o", str(out), "--project", "tb")
    assert "Imported" in proc.stdout and "warning" not in proc.stderr, proc.stdout + proc.stderr
    return _runs(out)


def test_tensorboard_torch_summary_writer(tb_runs):
    pytest.importorskip("torch")
    a = tb_runs["torch/a"]
    assert a.project == "tb" and a.state == "finished"
    assert _series(a, "loss") == [(s, float(str(np.float32(loss(s))))) for s in range(STEPS)]
    assert _series(a, "acc/train")[5] == (5, 0.05)  # float32 shown as its shortest decimal
    hists = _series(a, "weights")
    assert [s for s, _ in hists] == list(range(0, STEPS, MEDIA_EVERY))
    h = hists[1][1]
    assert h["_type"] == "histogram" and sum(h["values"]) == 1000 and len(h["bins"]) == len(h["values"]) + 1
    for s, img in _series(a, "sample"):
        px = _png(a.path, img)
        assert img["width"] == 9 and img["height"] == 6 and px[..., 0].max() == s and px[..., 1].max() == 0
        assert (a.path / img["path"]).parent == a.path / "media" / "images"  # where reportgen.Image writes
    assert _series(a, "note/text_summary")[2] == (20, "step 20")
    tone = _series(a, "tone")[0][1]
    with wave.open(str(a.path / tone["path"])) as w:
        assert w.getframerate() == 8000 and w.getnframes() == 8000
    hp = tb_runs["torch/a/hp"]  # add_hparams writes its own sub-run, as TensorBoard shows it
    assert hp.config == {"lr": 0.01, "opt": "adam"} and hp.summary["hparam/score"] == 0.75


def test_tensorboard_own_writer(tb_runs):
    assert _series(tb_runs["tb"], "loss") == [(s, float(str(np.float32(loss(s))))) for s in range(STEPS)]


def test_tensorboardx_writer(tb_runs):
    x = tb_runs["tbx"]
    assert _series(x, "loss") == [(s, float(str(np.float32(loss(s))))) for s in range(STEPS)]
    assert _series(x, "note/text_summary")[1] == (10, "tbx 10")
    hx = _series(x, "weights")[0][1]
    assert sum(hx["values"]) == 100 and hx["bins"][0] == 0.0 and hx["bins"][-1] == 99.0
    img = _series(x, "sample")[2][1]
    assert (img["width"], img["height"]) == (7, 5) and _png(x.path, img)[0, 0, 0] == 60


def _main(*args: str) -> int:
    from reportgen.cli import main

    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _tbx_scalars(folder: Path, start: int, stop: int) -> None:
    """Write steps [start, stop) with tensorboardX in this process (a new event file, like a restart)."""
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(folder))
    for s in range(start, stop):
        w.add_scalar("loss", loss(s), s)
    w.close()


def test_tensorboard_reimport_appends_only_new_rows(tmp_path, capsys):
    logdir = tmp_path / "logs"
    _tbx_scalars(logdir / "r", 0, 20)
    out = tmp_path / "runs"
    args = ("import", "tensorboard", str(logdir), "-o", str(out))
    assert _main(*args) == 0
    (run_dir,) = list_run_dirs(out)
    assert len(read_run(run_dir).history) == 20
    stamp = {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir() if p.is_file()}
    capsys.readouterr()
    assert _main(*args) == 0
    assert "(0 new rows)" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir() if p.is_file()} == stamp  # nothing rewritten
    _tbx_scalars(logdir / "r", 20, 35)  # the training goes on: a new event file
    assert _main(*args) == 0
    assert "(15 new rows)" in capsys.readouterr().out
    rows = read_run(run_dir).history
    assert [r["_step"] for r in rows] == list(range(35))
    assert [r["loss"] for r in rows] == [float(str(np.float32(loss(s)))) for s in range(35)]
    assert len(list_run_dirs(out)) == 1  # no duplicate run


def _records(data: bytes) -> list[tuple[int, int, object]]:
    """``(start, length, Event)`` of every TFRecord in ``data``, walked here without checks."""
    from tensorboard.compat.proto import event_pb2

    out, pos = [], 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        out.append((pos, length, event_pb2.Event.FromString(data[pos + 12:pos + 12 + length])))
        pos += 16 + length
    return out


def _loss_record(records, step: int) -> tuple[int, int]:
    return next((p, n) for p, n, ev in records if ev.step == step and [v.tag for v in ev.summary.value] == ["loss"])


def test_torn_and_corrupt_event_files_import_the_rest(tracker_sources, tmp_path, cli):
    logdir = tmp_path / "logs"
    for name in ("torn", "corrupt", "good"):
        shutil.copytree(tracker_sources["tensorboard"] / "tbx", logdir / name)
    (torn,) = (logdir / "torn").glob("*tfevents*")
    data = torn.read_bytes()
    cut, _ = _loss_record(_records(data), 20)
    torn.write_bytes(data[:cut + 30])  # the writer died inside the record of step 20
    (bad,) = (logdir / "corrupt").glob("*tfevents*")
    data = bytearray(bad.read_bytes())
    records = _records(bytes(data))
    pos, length = _loss_record(records, 15)
    data[pos + 12 + length // 2] ^= 0xFF  # step 15: the data checksum fails, the framing holds
    pos, _ = _loss_record(records, 25)
    data[pos + 2] ^= 0xFF  # step 25: the length is garbage, its checksum fails
    bad.write_bytes(bytes(data))
    proc = cli("import", "tensorboard", str(logdir), "-o", str(tmp_path / "runs"))
    runs = _runs(tmp_path / "runs")
    assert len(runs["good"].history) == STEPS
    assert [s for s, _ in _series(runs["torn"], "loss")] == list(range(20))
    # a damaged record is skipped and the reading goes on after it
    assert [s for s, _ in _series(runs["corrupt"], "loss")] == [s for s in range(STEPS) if s not in (15, 25)]
    assert [s for s, _ in _series(runs["corrupt"], "weights")] == list(range(0, STEPS, MEDIA_EVERY))
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 3, proc.stderr
    assert any("torn" in w and "incomplete last record" in w for w in warnings)
    assert sum("corrupt" in w and "corrupt record" in w for w in warnings) == 2


def test_record_being_written_is_no_problem_while_following(tmp_path):
    """serve --watch polls a live logdir: a record cut short at the end is one still being written."""
    from reportgen.importers import ImportOptions, import_source

    _tbx_scalars(tmp_path / "full", 0, 10)
    (full,) = (tmp_path / "full").glob("*tfevents*")
    data = full.read_bytes()
    cut, _ = _loss_record(_records(data), 6)
    live = tmp_path / "logs" / "r" / full.name
    live.parent.mkdir(parents=True)
    live.write_bytes(data[:cut + 20])
    warnings: list[str] = []
    opts = ImportOptions(source="tensorboard", path=tmp_path / "logs", out=tmp_path / "runs", quiet=True,
                         follow=True, warn=warnings.append)
    assert import_source(opts).rows == 6
    live.write_bytes(data)  # the writer finished the record and went on
    assert import_source(opts).rows == 4 and warnings == []
    (run_dir,) = list_run_dirs(tmp_path / "runs")
    assert [r["_step"] for r in read_run(run_dir).history] == list(range(10))


def test_benchmark_writer_writes_what_tensorboardx_writes(tmp_path):
    """benchmarks/bench_import.py writes its 20M events itself; they are tensorboardX's records."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from bench_import import value, write_run
    from tensorboardX import SummaryWriter

    ours = write_run(tmp_path / "ours", 3, 2, 4)
    w = SummaryWriter(str(tmp_path / "tbx"))
    for s in range(4):
        for k in range(2):
            w.add_scalar(f"metric{k}", value(3, s, k), s)
    w.close()
    (theirs,) = (tmp_path / "tbx").glob("*tfevents*")

    def strip(path):
        out = []
        for _, _, ev in _records(path.read_bytes()):
            ev.wall_time = 0
            ev.ClearField("source_metadata")
            out.append(ev.SerializeToString())
        return out

    assert strip(ours) == strip(theirs) and len(strip(ours)) == 9


# -- wandb ------------------------------------------------------------------------------------
def test_wandb_offline_run(tracker_sources, tmp_path, cli):
    out = tmp_path / "runs"
    cli("import", "wandb", str(tracker_sources["wandb"]), "-o", str(out))
    (run,) = _runs(out).values()
    assert run.name == "w-run" and run.project == "wproj" and run.state == "finished"
    assert run.meta["tags"] == ["t1", "t2"] and run.meta["notes"] == "imported notes"
    assert run.meta["group"] == "g1" and run.meta["job_type"] == "train" and run.meta["exit_code"] == 0
    assert run.config == {"lr": 0.01, "arch": {"depth": 3}}
    assert _series(run, "loss") == [(s, loss(s)) for s in range(STEPS)]
    assert run.summary["best"] == 0.97 and run.summary["loss"] == loss(STEPS - 1)
    imgs = _series(run, "img")
    assert [s for s, _ in imgs] == list(range(0, STEPS, MEDIA_EVERY))
    for s, img in imgs:
        assert img["caption"] == f"s{s}" and _png(run.path, img)[0, 0, 1] == 10 + s
    h = _series(run, "hist")[1][1]
    assert h["_type"] == "histogram" and sum(h["values"]) == 50
    t = _series(run, "tbl")[2][1]
    table = json.loads((run.path / t["path"]).read_text())
    assert t["_type"] == "table" and table["columns"] == ["a", "b"] and table["data"] == [[20, "x"], [21, "y"]]
    assert (run.path / "system.jsonl").exists()
    again = cli("import", "wandb", str(tracker_sources["wandb"]), "-o", str(out))
    assert "(0 new rows)" in again.stdout and len(read_run(run.path).history) == STEPS


def test_truncated_and_corrupt_wandb_logs(tracker_sources, tmp_path, cli):
    (src,) = [p for p in tracker_sources["wandb"].iterdir() if p.name.startswith("offline-run-")]
    root = tmp_path / "wandb"
    for name, damage in (("offline-run-1-aaaa", "truncate"), ("offline-run-2-bbbb", "flip")):
        dst = root / name
        shutil.copytree(src, dst)
        (log,) = dst.glob("run-*.wandb")
        log.rename(dst / f"run-{name[-4:]}.wandb")
        log = dst / f"run-{name[-4:]}.wandb"
        data = bytearray(log.read_bytes())
        if damage == "truncate":
            data = data[: len(data) // 2]
        else:
            data[len(data) // 2] ^= 0xFF
        log.write_bytes(bytes(data))
    proc = cli("import", "wandb", str(root), "-o", str(tmp_path / "runs"))
    runs = [read_run(d) for d in list_run_dirs(tmp_path / "runs")]
    assert len(runs) == 2
    for r in runs:
        assert 0 < len(r.history) < STEPS
    assert {r.state for r in runs} == {"running"}  # no exit record was read
    warnings = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "bbbb" in warnings[0] and "checksum" in warnings[0], proc.stderr


# -- MLflow -----------------------------------------------------------------------------------
def test_mlflow_file_store(tracker_sources, tmp_path, cli):
    out = tmp_path / "runs"
    cli("import", "mlflow", str(tracker_sources["mlflow"]), "-o", str(out))
    runs = _runs(out)
    first, failed = runs["first"], runs["failed"]
    assert first.project == "exp-one" and first.state == "finished" and failed.state == "crashed"
    assert first.config == {"lr": 0.1, "layers": 3, "opt": "sgd"}
    assert first.meta["tags"] == ["team=vision"] and first.meta["notes"] == "a note"
    assert _series(first, "loss") == [(s, loss(s)) for s in range(STEPS)]
    assert _series(first, "val/acc")[3] == (6, 0.06)
    (step, pred), = _series(first, "pred")
    assert step == 3 and _png(first.path, pred)[0, 0].tolist() == [0, 0, 77]
    assert _png(first.path, first.summary["artifacts/plots/nine.png"])[0, 0].tolist() == [9, 9, 9]
    assert _series(failed, "loss") == [(0, 5.0), (1, 4.0)]  # log_metric() without step: one step each
    proc = cli("import", "mlflow", str(tracker_sources["mlflow"]), "-o", str(out))
    assert "(0 new rows)" in proc.stdout


# -- CSV / Parquet ------------------------------------------------------------------------------
def test_csv_per_file_grows_incrementally(tmp_path, cli):
    import pandas as pd

    src = tmp_path / "csv"
    src.mkdir()
    pd.DataFrame({"step": [0, 1, 2], "loss": [3.0, 2.0, 1.5], "phase": ["a", "a", "b"]}).to_csv(src / "one.csv",
                                                                                               index=False)
    pd.DataFrame({"loss": [9.0, 8.0]}).to_csv(src / "two.csv", index=False)
    out = tmp_path / "runs"
    cli("import", "csv", str(src), "-o", str(out), "--project", "p", "--name", "csv-{path}")
    runs = _runs(out)
    assert _series(runs["csv-one"], "loss") == [(0, 3.0), (1, 2.0), (2, 1.5)]
    assert _series(runs["csv-two"], "loss") == [(0, 9.0), (1, 8.0)]  # no step column: the row number
    with open(src / "one.csv", "a") as fh:
        fh.write("3,1.25,b\n")
    proc = cli("import", "csv", str(src), "-o", str(out), "--project", "p", "--name", "csv-{path}")
    assert "(1 new rows)" in proc.stdout
    assert _series(read_run(runs["csv-one"].path), "loss")[-2:] == [(2, 1.5), (3, 1.25)]



def test_a_metric_named_with_a_leading_underscore_is_not_imported_twice(tmp_path, cli):
    """An import cut short after its history was written (import.json not yet) resumes from the
    history's last step and the keys that step has. Those keys left out every ``_`` key, so a
    metric named ``_lr`` was written a second time for that step. Only ``_step``, ``_timestamp``,
    ``_runtime`` and ``_wandb`` are not metrics."""
    import pandas as pd

    from reportgen.importers.common import IMPORT_JSON

    src = tmp_path / "csv"
    src.mkdir()
    pd.DataFrame({"step": [0, 1, 2], "loss": [3.0, 2.0, 1.5], "_lr": [0.1, 0.05, 0.01]}).to_csv(src / "one.csv", index=False)
    out = tmp_path / "runs"
    cli("import", "csv", str(src), "-o", str(out), "--project", "p", "--name", "csv-{path}")
    run = _runs(out)["csv-one"]
    (run.path / IMPORT_JSON).unlink()  # as if the import had stopped before writing its state
    cli("import", "csv", str(src), "-o", str(out), "--project", "p", "--name", "csv-{path}")
    lines = [json.loads(x) for x in (run.path / "history.jsonl").read_text().splitlines()]
    assert [r["_step"] for r in lines] == [0, 1, 2]
    assert _series(read_run(run.path), "_lr") == [(0, 0.1), (1, 0.05), (2, 0.01)]


def test_a_long_csv_is_imported_a_part_at_a_time_with_the_same_rows(tmp_path, cli):
    """A 3M-row CSV (205 MB) peaked at 2.8 GB: every row became a dict twice over before any was
    written. Rows are now converted 100,000 at a time (tabular.CHUNK_ROWS) and, in step order,
    written a part at a time (455 MB). A part never ends between two rows of one step (they are
    one history row), and rows out of step order still all arrive, sorted."""
    from reportgen.importers.tabular import CHUNK_ROWS

    src = tmp_path / "csv"
    src.mkdir()
    n = CHUNK_ROWS + 50
    with open(src / "ordered.csv", "w") as fh:
        fh.write("step,loss,acc\n")
        for s in range(n):
            step = s if s < CHUNK_ROWS else s - 1  # rows CHUNK_ROWS - 1 and CHUNK_ROWS: the same step
            fh.write(f"{step},{'' if s == CHUNK_ROWS else s / n},{'' if s != CHUNK_ROWS else 0.5}\n")
    with open(src / "reversed.csv", "w") as fh:
        fh.write("step,loss\n" + "".join(f"{s},{s}\n" for s in reversed(range(n))))
    out = tmp_path / "runs"
    cli("import", "csv", str(src), "-o", str(out), "--project", "p", "--name", "{path}")
    runs = _runs(out)
    for name, last in (("ordered", n - 2), ("reversed", n - 1)):
        lines = [json.loads(x) for x in (runs[name].path / "history.jsonl").read_text().splitlines()]
        assert [r["_step"] for r in lines] == list(range(last + 1)), name
    joined = [json.loads(x) for x in (runs["ordered"].path / "history.jsonl").read_text().splitlines()][CHUNK_ROWS - 1]
    assert joined == {**joined, "loss": (CHUNK_ROWS - 1) / n, "acc": 0.5}
    assert _series(read_run(runs["reversed"].path), "loss")[:3] == [(0, 0), (1, 1), (2, 2)]

def test_parquet_long_table_and_neptune_layout(tmp_path, cli):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from decimal import Decimal

    long = tmp_path / "long.parquet"
    pd.DataFrame({"run": ["r1", "r1", "r2"], "it": [10, 20, 10], "acc": [0.5, 0.6, 0.7],
                  "when": pd.to_datetime(["2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z",
                                          "2024-01-02T00:00:00Z"])}).to_parquet(long)
    out = tmp_path / "runs"
    cli("import", "parquet", str(long), "-o", str(out), "--run-col", "run", "--step-col", "it", "--time-col", "when")
    runs = _runs(out)
    assert _series(runs["r1"], "acc") == [(10, 0.5), (20, 0.6)]
    assert runs["r1"].history[1]["_timestamp"] == 1704067260.0 and runs["r1"].history[1]["_runtime"] == 60.0
    # Neptune exporter: <data>/<project>/<run>_part_0.parquet with its schema
    schema = pa.schema([("project_id", pa.string()), ("run_id", pa.string()), ("attribute_path", pa.string()),
                        ("attribute_type", pa.string()), ("step", pa.decimal128(18, 6)),
                        ("timestamp", pa.timestamp("ms", tz="UTC")), ("int_value", pa.int64()),
                        ("float_value", pa.float64()), ("string_value", pa.string()), ("bool_value", pa.bool_()),
                        ("string_set_value", pa.list_(pa.string())),
                        ("histogram_value", pa.struct([("type", pa.string()), ("edges", pa.list_(pa.float64())),
                                                       ("values", pa.list_(pa.float64()))]))])
    rows = [dict(attribute_path="sys/name", attribute_type="string", string_value="nep run"),
            dict(attribute_path="sys/tags", attribute_type="string_set", string_set_value=["x", "y"]),
            dict(attribute_path="params/lr", attribute_type="float", float_value=0.3),
            *[dict(attribute_path="train/loss", attribute_type="float_series", step=Decimal(s),
                   timestamp=1_700_000_000_000 + s * 1000, float_value=1.0 / (s + 1)) for s in range(4)],
            dict(attribute_path="w", attribute_type="histogram_series", step=Decimal(2), timestamp=1_700_000_002_000,
                 histogram_value={"type": "COUNTING", "edges": [0.0, 1.0, 2.0], "values": [3.0, 4.0]})]
    table = pa.Table.from_pylist([{"project_id": "ws/proj", "run_id": "NEP-1", **r} for r in rows], schema=schema)
    (tmp_path / "nep" / "ws_proj").mkdir(parents=True)
    pq.write_table(table, tmp_path / "nep" / "ws_proj" / "NEP-1_part_0.parquet")
    cli("import", "parquet", str(tmp_path / "nep"), "-o", str(out))
    nep = _runs(out)["nep run"]
    assert nep.project == "ws/proj" and nep.meta["tags"] == ["x", "y"] and nep.config == {"params/lr": 0.3}
    assert _series(nep, "train/loss") == [(s, 1.0 / (s + 1)) for s in range(4)]
    assert _series(nep, "w")[0][1] == {"_type": "histogram", "bins": [0.0, 1.0, 2.0], "values": [3, 4]}


def test_neptune_records_a_run_folder_cannot_hold_are_skipped_not_fatal(tmp_path, cli):
    """A Neptune exporter table with a record without an attribute path, a series point at an infinite
    step, or a string set holding a null stopped the whole import with a traceback (AttributeError,
    OverflowError, TypeError) and no run was imported. Each such record is skipped with a warning; the
    runs are imported."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("project_id", pa.string()), ("run_id", pa.string()), ("attribute_path", pa.string()),
                        ("attribute_type", pa.string()), ("step", pa.float64()), ("float_value", pa.float64()),
                        ("string_set_value", pa.list_(pa.string()))])
    rows = [*[dict(run_id="GOOD", attribute_path="loss", attribute_type="float_series", step=float(s),
                   float_value=1.0 / (s + 1)) for s in range(3)],
            dict(run_id="BAD", attribute_path=None, attribute_type="float", float_value=1.0),
            dict(run_id="BAD", attribute_path=None, attribute_type="float_series", step=1.0, float_value=1.0),
            dict(run_id="BAD", attribute_path="loss", attribute_type="float_series", step=float("inf"), float_value=2.0),
            dict(run_id="BAD", attribute_path="loss", attribute_type="float_series", step=4.0, float_value=0.5),
            dict(run_id="BAD", attribute_path="sys/group_tags", attribute_type="string_set", string_set_value=[None, "a"])]
    (tmp_path / "nep" / "ws").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{"project_id": "ws/p", **r} for r in rows], schema=schema),
                   tmp_path / "nep" / "ws" / "part_0.parquet")
    out = tmp_path / "runs"
    proc = cli("import", "parquet", str(tmp_path / "nep"), "-o", str(out))
    assert "Traceback" not in proc.stderr
    assert "BAD: a 'float' record without an attribute path; skipped" in proc.stderr
    assert "at step inf (no path, or no finite step); skipped" in proc.stderr
    runs = _runs(out)
    assert _series(runs["GOOD"], "loss") == [(s, 1.0 / (s + 1)) for s in range(3)]
    assert _series(runs["BAD"], "loss") == [(4, 0.5)] and runs["BAD"].meta["group"] == "a"



def test_neptune_run_whose_records_are_all_skipped_leaves_no_run_folder(tmp_path, cli):
    """A Neptune run every record of which was skipped (no attribute path, a step no run folder holds)
    left an empty run folder in the runs root, listed as imported. It is skipped with a warning saying
    so, no folder is left, and the other runs import."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("project_id", pa.string()), ("run_id", pa.string()), ("attribute_path", pa.string()),
                        ("attribute_type", pa.string()), ("step", pa.float64()), ("float_value", pa.float64())])
    rows = [dict(run_id="GOOD", attribute_path="loss", attribute_type="float_series", step=0.0, float_value=1.0),
            dict(run_id="EMPTY", attribute_path=None, attribute_type="float", float_value=1.0),
            dict(run_id="EMPTY", attribute_path="loss", attribute_type="float_series", step=float("inf"), float_value=2.0),
            dict(run_id="EMPTY", attribute_path="loss", attribute_type="float_series", step=-3.0, float_value=2.0)]
    (tmp_path / "nep" / "ws").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([{"project_id": "ws/p", **r} for r in rows], schema=schema),
                   tmp_path / "nep" / "ws" / "part_0.parquet")
    out = tmp_path / "runs"
    proc = cli("import", "parquet", str(tmp_path / "nep"), "-o", str(out))
    assert "EMPTY: no record that a run folder can hold; skipped (no run written)" in proc.stderr, proc.stderr
    assert "Imported 1 runs" in proc.stdout and "1 skipped" in proc.stdout, proc.stdout
    assert [p.name for p in out.iterdir()] == [next(iter(_runs(out).values())).path.name]
    assert list(_runs(out)) == ["GOOD"]



def test_long_table_column_options_that_name_no_column_stop_the_import_once(tmp_path, capsys):
    """A --step-col (or --time-col) that is not a column of a long table (--run-col) was checked per run:
    the same warning once per run of the table, a run folder made and removed for each. It is checked
    once, before any run folder is made: an error naming the option and the table's columns."""
    src = tmp_path / "long.csv"
    src.write_text("run,step,loss\n" + "".join(f"r{i},{s},{s / 10}\n" for i in range(3) for s in range(2)))
    out = tmp_path / "runs"
    for option in ("--step-col", "--time-col"):
        assert _main("import", "csv", str(src), "-o", str(out), "--run-col", "run", option, "nope") == 2
        err = capsys.readouterr().err
        assert err.count("'nope'") == 1, err
        assert f"reportgen: error: {src}: {option} 'nope' is not a column (columns: run, step, loss)" in err, err
        assert not out.exists() or not any(out.iterdir())
    wide = tmp_path / "wide.csv"  # a table of 5,000 columns: the error names 20 and counts the rest
    wide.write_text("run,step," + ",".join(f"m{i}" for i in range(4998)) + "\nr0,0," + ",".join("1" * 4998) + "\n")
    assert _main("import", "csv", str(wide), "-o", str(out), "--run-col", "run", "--step-col", "nope") == 2
    err = capsys.readouterr().err
    assert "(columns: run, step, m0, " in err and "m17, and 4,980 more)" in err and "m18" not in err, err[:500]



def test_values_at_steps_no_run_folder_holds_are_warned_once_per_key(tmp_path, cli):
    """Every importer leaves out values at steps a run folder cannot hold (below 0, past 2**63 - 1) in
    RunImport.add: it warned once per row, naming only the step, while the TensorBoard importer's own
    copy of the check said how many values of which tag. Now RunImport says it for all, once per run
    and key: how many values, and the first step."""
    src = tmp_path / "a.csv"
    src.write_text("step,loss,acc\n0,1.0,1.0\n-1,2.0,2.0\n-2,3.0,3.0\n1e30,4.0,\n1,5.0,5.0\n")
    out = tmp_path / "runs"
    proc = cli("import", "csv", str(src), "-o", str(out))
    (run,) = _runs(out).values()
    warned = [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]
    assert warned == [f"warning: {run.id}: key 'loss': 3 values at steps outside 0..{2 ** 63 - 1} left out "
                      "(the first at step -1)",
                      f"warning: {run.id}: key 'acc': 2 values at steps outside 0..{2 ** 63 - 1} left out "
                      "(the first at step -1)"], warned
    assert [(r["_step"], r["loss"]) for r in run.history] == [(0, 1.0), (1, 5.0)]


# -- live following and export ------------------------------------------------------------------
def test_follow_imports_as_the_logdir_grows(tmp_path, monkeypatch):
    from reportgen.importers import detect
    from reportgen.importers.follow import Follower, follow_for_serve

    logdir = tmp_path / "logs"
    _tbx_scalars(logdir / "live", 0, 5)
    assert detect(logdir) == "tensorboard"
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))
    out = follow_for_serve(logdir, watch=False)
    assert out.is_relative_to(tmp_path / "cache")
    (run_dir,) = list_run_dirs(out)
    assert len(read_run(run_dir).history) == 5
    f = Follower("tensorboard", logdir, out)
    assert f.poll() == 0
    _tbx_scalars(logdir / "live", 5, 8)  # the training goes on: a new event file
    assert f.poll() == 3  # steps 5, 6, 7
    assert read_run(run_dir).meta["state"] == "running"  # following, files just written


def test_export_parquet_and_csv(tracker_sources, tmp_path, cli):
    import pandas as pd

    runs = tmp_path / "runs"
    cli("import", "mlflow", str(tracker_sources["mlflow"]), "-o", str(runs))
    for fmt, read in (("parquet", pd.read_parquet), ("csv", pd.read_csv)):
        out = tmp_path / f"export-{fmt}"
        cli("export", str(runs), "--format", fmt, "-o", str(out))
        table = read(out / f"runs.{fmt}").set_index("name")
        assert table.loc["first", "config/lr"] == 0.1 and table.loc["first", "state"] == "finished"
        assert table.loc["first", "summary/loss"] == loss(STEPS - 1)
        run_id = table.loc["first", "run_id"]
        hist = read(out / "history" / f"{run_id}.{fmt}")
        assert hist["_step"].tolist() == list(range(STEPS))
        assert hist["loss"].tolist() == [loss(s) for s in range(STEPS)]
        pred = json.loads(hist.loc[hist["_step"] == 3, "pred"].iloc[0])
        assert pred["_type"] == "image" and (runs / run_id / pred["path"]).exists()


def test_bad_arguments_and_sources_name_the_problem(tmp_path, capsys):
    assert _main("import", "csv", str(tmp_path), "-o", str(tmp_path / "r")) == 0
    assert "no .csv files found" in capsys.readouterr().err
    (tmp_path / "a.csv").write_text("x\n1\n")
    assert _main("import", "csv", str(tmp_path / "a.csv"), "-o", str(tmp_path / "r"), "--name", "{nope}") == 2
    assert "--name '{nope}': expected a template" in capsys.readouterr().err
    assert _main("import", "csv", str(tmp_path / "a.csv"), "-o", str(tmp_path / "r"), "--step-col", "zz") == 0
    assert "--step-col 'zz' is not a column" in capsys.readouterr().err
    assert _main("import", "wandb", str(tmp_path), "-o", str(tmp_path / "r"), "--strict") == 1
    assert "no wandb run folders found" in capsys.readouterr().err


def test_wandb_log_still_being_written_is_continued(tracker_sources, tmp_path):
    from reportgen.importers import ImportOptions, import_source

    (src,) = [p for p in tracker_sources["wandb"].iterdir() if p.name.startswith("offline-run-")]
    dst = tmp_path / "wandb" / src.name
    shutil.copytree(src, dst)
    (log,) = dst.glob("run-*.wandb")
    full = log.read_bytes()
    log.write_bytes(full[: len(full) * 2 // 5])  # the training is still running
    opts = ImportOptions(source="wandb", path=tmp_path / "wandb", out=tmp_path / "runs", quiet=True, follow=True)
    first = import_source(opts)
    assert first.warnings == [] and 0 < first.rows < STEPS
    (run_dir,) = list_run_dirs(tmp_path / "runs")
    assert read_run(run_dir).meta["state"] == "running"
    log.write_bytes(full)  # ... and finishes
    second = import_source(opts)
    assert first.rows + second.rows == STEPS and second.warnings == []
    run = read_run(run_dir)
    assert [r["_step"] for r in run.history] == list(range(STEPS)) and run.meta["state"] == "finished"


def test_build_of_a_tracker_folder_imports_it_as_serve_does(tmp_path, monkeypatch):
    """``reportgen build ./logs -o site`` on a TensorBoard logdir (no run folders in it) built an empty
    site without a word; it imports the logdir into its cache runs root first, as ``serve`` does."""
    monkeypatch.setenv("REPORTGEN_CACHE_DIR", str(tmp_path / "cache"))
    _tbx_scalars(tmp_path / "logs" / "exp1", 0, 12)
    site = tmp_path / "site"
    assert _main("build", str(tmp_path / "logs"), "-o", str(site), "-q") == 0
    (page,) = list((site / "runs").glob("*/index.html"))
    assert 'data-key="loss"' in page.read_text()
    _tbx_scalars(tmp_path / "logs" / "exp1", 12, 20)  # the logdir grows: the next build imports what is new
    assert _main("build", str(tmp_path / "logs"), "-o", str(site), "-q") == 0
    from reportgen.importers.follow import cache_root

    (run,) = [read_run(d) for d in list_run_dirs(cache_root(tmp_path / "logs"))]
    assert [r["_step"] for r in run.history] == list(range(20))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _main("build", str(empty), "-o", str(tmp_path / "site2"), "-q") == 0  # neither: an empty site, as before
    assert not list(cache_root(empty).parent.glob(f"{empty.name}-*"))


def test_a_logdir_of_linked_runs_is_imported_and_a_link_loop_ends(tmp_path, cli):
    """docs/import-export.md: 'ln -s /data/exp1 logs/exp1 is how many logdirs are made' and such
    links are followed with --follow-links (links out of the logdir: tests/test_security_importers.py);
    the walker never went into them (0 runs, 'no event files found')."""
    pytest.importorskip("tensorboardX")
    from tensorboardX import SummaryWriter

    data, logs = tmp_path / "data", tmp_path / "logs"
    for name in ("exp1", "exp2"):
        w = SummaryWriter(str(data / name))
        for s in range(4):
            w.add_scalar("loss", 1.0 / (s + 1), s)
        w.close()
    logs.mkdir()
    (logs / "exp1").symlink_to(data / "exp1")
    (logs / "exp2").symlink_to(data / "exp2")
    (data / "exp1" / "back").symlink_to(logs)  # a loop: each real folder is walked once
    out = tmp_path / "runs"
    cli("import", "tensorboard", str(logs), "-o", str(out), "-q", "--follow-links")
    runs = _runs(out)
    assert sorted(r.meta["name"] for r in runs.values()) == ["exp1", "exp2"]
    assert all(_series(r, "loss")[-1] == (3, 0.25) for r in runs.values())
