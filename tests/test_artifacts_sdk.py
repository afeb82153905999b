"""Artifacts, locally: versions, aliases, dedup, references, lineage, concurrency, and the call
sequences of the HF Trainer and Lightning WandbLogger integrations (real files on tmp_path)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import reportgen
from reportgen.storage import artifact_store as st

REPO = Path(__file__).resolve().parent.parent


def _objects(root: Path) -> list[Path]:
    return sorted(p for p in (root / "_artifacts" / "objects").rglob("*") if p.is_file())


def _collection(root: Path, name: str) -> dict:
    return json.loads((root / "_artifacts" / "collections" / name / "artifact.json").read_text())


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Default downloads go to ./artifacts: keep them out of the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def files(tmp_path):
    d = tmp_path / "ckpt"
    (d / "sub").mkdir(parents=True)
    (d / "weights.bin").write_bytes(os.urandom(4096))
    (d / "sub" / "config.json").write_text('{"layers": 2}')
    return d


def test_versions_aliases_and_dedup(tmp_path, files):
    root = tmp_path / "runs"
    run = reportgen.init(project="p", dir=root)
    art = reportgen.Artifact("data", type="dataset", description="first", metadata={"rows": np.int64(3)})
    art.add_dir(files)
    art.add_file(files / "weights.bin", name="copy/weights.bin")  # same content under a second name
    assert art.state == "PENDING" and art.version is None
    logged = run.log_artifact(art, aliases=["best"])
    assert logged is art and art.version == "v0" and art.name == "data:v0" and art.state == "COMMITTED"
    assert sorted(art.aliases) == ["best", "latest"]
    assert len(_objects(root)) == 2  # weights.bin stored once although logged under two paths

    again = reportgen.Artifact("data", type="dataset")  # identical content: the same version
    again.add_dir(files)
    again.add_file(files / "weights.bin", name="copy/weights.bin")
    run.log_artifact(again, aliases=["again"])
    assert again.version == "v0" and sorted(again.aliases) == ["again", "best", "latest"]

    (files / "sub" / "config.json").write_text('{"layers": 3}')
    new = reportgen.Artifact("data", type="dataset")
    new.add_dir(files)
    run.log_artifact(new, aliases=["best"])  # "best" moves from v0 to v1
    assert new.version == "v1"
    assert len(_objects(root)) == 3
    coll = _collection(root, "data")
    assert coll["aliases"] == {"latest": "v1", "best": "v1", "again": "v0"}
    assert [v["version"] for v in coll["versions"]] == ["v0", "v1"]
    manifest = json.loads((root / "_artifacts/collections/data/v0/manifest.json").read_text())
    assert manifest["metadata"] == {"rows": 3} and manifest["description"] == "first"
    assert set(manifest["entries"]) == {"weights.bin", "sub/config.json", "copy/weights.bin"}
    run.finish()

    user = reportgen.init(project="p", dir=root)
    v0 = user.use_artifact("data:v0")
    assert v0.get_entry("sub/config.json").size == len('{"layers": 2}')
    out = Path(v0.download(root=tmp_path / "dl0"))
    assert (out / "sub/config.json").read_text() == '{"layers": 2}'
    assert (out / "copy/weights.bin").read_bytes() == (files / "weights.bin").read_bytes()
    (out / "sub/config.json").write_text("edited")  # downloads are copies: the store is untouched
    assert json.loads(Path(user.use_artifact("entity/p/data:best").download(tmp_path / "dl1"))
                      .joinpath("sub/config.json").read_text()) == {"layers": 3}
    assert Path(v0.download(root=tmp_path / "dl0")).joinpath("sub/config.json").read_text() == '{"layers": 2}'
    draft = v0.new_draft()  # a new version from an old one: only the new file is stored
    with draft.new_file("extra.txt") as fh:
        fh.write("more")
    user.log_artifact(draft)
    assert draft.version == "v2" and draft.metadata == {"rows": 3} and len(_objects(root)) == 4
    assert Path(draft.download(tmp_path / "dl2"), "copy/weights.bin").read_bytes() == (files / "weights.bin").read_bytes()
    user.finish()


def test_default_download_folder_file_and_wait(tmp_path):
    (tmp_path / "model.pt").write_bytes(b"weights")
    run = reportgen.init(dir=tmp_path / "runs")
    draft = reportgen.Artifact("m", "model")
    with pytest.raises(ValueError, match="not been logged"):
        draft.wait()
    with pytest.raises(ValueError, match="not logged"):
        draft.download()
    draft.add_file(tmp_path / "model.pt")
    art = run.log_artifact(draft).wait()
    assert art.download() == os.path.join("artifacts", "m:v0")
    assert Path(art.file()).read_bytes() == b"weights"
    with pytest.raises(ValueError, match="is logged"):
        art.add_file(tmp_path / "model.pt", name="other.pt")
    run.finish()


def test_new_file_add_table_is_tmp_and_policies(tmp_path):
    src = tmp_path / "live.txt"
    src.write_text("v1")
    run = reportgen.init(dir=tmp_path / "runs")
    art = reportgen.Artifact("bundle", "misc")
    with art.new_file("notes/readme.txt") as fh:
        fh.write("hello")
    with pytest.raises(ValueError, match="already has a file"):
        with art.new_file("notes/readme.txt"):
            pass
    art.add_file(src, name="snap.txt")  # mutable (default): snapshotted now
    other = tmp_path / "other.txt"
    other.write_text("o1")
    art.add_file(other, name="late.txt", policy="immutable")  # read when logged; must not change
    tmp_entry = art.add_file(src, name="scratch/temp.log", is_tmp=True)
    assert tmp_entry.path.startswith("scratch/") and tmp_entry.path.endswith(".log") and "temp" not in tmp_entry.path
    art.add(reportgen.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]]), "preds")
    src.write_text("v2")
    other.write_text("o2")
    with pytest.raises(ValueError, match="changed after it was added"):  # the immutable promise was broken
        run.log_artifact(art)
    assert art.is_draft()
    art.remove("late.txt")
    run.log_artifact(art)
    table = art.get("preds")
    assert isinstance(table, reportgen.Table) and table.columns == ["a", "b"] and len(table) == 2
    out = Path(art.download(tmp_path / "dl"))
    assert (out / "snap.txt").read_text() == "v1" and (out / "notes/readme.txt").read_text() == "hello"
    run.finish()


def test_references(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("1,2\n")
    (data / "b.csv").write_text("3,4\n")
    run = reportgen.init(dir=tmp_path / "runs")
    art = reportgen.Artifact("refs", "dataset")
    art.add_reference(data.as_uri(), name="local")
    art.add_reference("s3://bucket/path/train.parquet")
    art.add_reference("https://example.com/files/val.csv", name="remote/val.csv")
    with pytest.raises(ValueError, match="max_objects"):
        art.add_reference(data.as_uri(), name="x", max_objects=1)
    run.log_artifact(art)
    assert art.get_entry("local/a.csv").digest == st.hash_file(data / "a.csv")[0]
    assert art.get_entry("train.parquet").ref == "s3://bucket/path/train.parquet"
    assert _objects(tmp_path / "runs") == []  # references are not copied into the store
    with pytest.warns(UserWarning, match="does not fetch remote references"):
        out = Path(art.download(tmp_path / "dl"))
    assert (out / "local/b.csv").read_text() == "3,4\n" and not (out / "train.parquet").exists()
    (data / "a.csv").write_text("changed")
    with pytest.raises(ValueError, match="missing or has changed"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        art.download(tmp_path / "dl2")
    run.finish()


def test_lineage_in_store_and_run_folders(tmp_path):
    root = tmp_path / "runs"
    (tmp_path / "m.bin").write_bytes(b"m")
    producer = reportgen.init(project="p", name="trainer", dir=root)
    producer.log_model(tmp_path / "m.bin", name="net", aliases=["prod"])
    producer.link_model(tmp_path / "m.bin", "classifier", name="net", aliases=["staging"])
    producer.finish()
    consumer = reportgen.init(project="p", dir=root)
    path = consumer.use_model("net:prod")
    assert Path(path, "m.bin").read_bytes() == b"m"
    consumer.finish()

    coll = _collection(root, "net")
    v0 = coll["versions"][0]
    assert v0["producer"]["run"] == producer.id and [c["run"] for c in v0["consumers"]] == [consumer.id]
    assert v0["links"][0]["target"] == "model-registry/classifier" and v0["links"][0]["aliases"] == ["staging"]
    logged = json.loads((root / producer.id / "artifacts.json").read_text())
    assert [(i["name"], i["version"]) for i in logged["logged"]] == [("net", "v0")]
    used = json.loads((root / consumer.id / "artifacts.json").read_text())
    assert [(i["name"], i["version"], i["type"]) for i in used["used"]] == [("net", "v0", "model")]

    api = reportgen.Api(root)
    art = api.artifact("net:latest", type="model")
    assert art.logged_by().id == producer.id and [r.id for r in art.used_by()] == [consumer.id]
    assert [a.version for a in api.artifact_versions("model", "net")] == ["v0"]
    assert api.artifact_exists("net:v0") and not api.artifact_exists("net:v7")


def test_bad_input_raises_with_clear_errors(tmp_path):
    run = reportgen.init(dir=tmp_path / "runs")
    for bad in ("../escape", "a/b", ".hidden", "", "x" * 129, "a:b"):
        with pytest.raises(ValueError, match="Artifact name"):
            reportgen.Artifact(bad, "model")
    with pytest.raises(ValueError, match="Artifact type"):
        reportgen.Artifact("ok", "")
    with pytest.raises(TypeError, match="metadata"):
        reportgen.Artifact("ok", "model", metadata=[1])
    art = reportgen.Artifact("ok", "model")
    with pytest.raises(ValueError, match="is not a file"):
        art.add_file(tmp_path / "missing.bin")
    (tmp_path / "f").write_text("x")
    for bad in ("../f", "/abs", "a//b", "a/./b"):
        with pytest.raises(ValueError, match="entry path"):
            art.add_file(tmp_path / "f", name=bad)
    art.add_file(tmp_path / "f")
    with pytest.raises(ValueError, match="alias"):
        run.log_artifact(art, aliases=["a/b"])
    with pytest.raises(ValueError, match="v<N>"):
        run.log_artifact(art, aliases=["v3"])
    run.log_artifact(art, aliases=["", "fine alias"])  # empty aliases are dropped (yolov5 passes '')
    assert sorted(art.aliases) == ["fine alias", "latest"]
    other = reportgen.Artifact("ok", "dataset")
    other.add_file(tmp_path / "f")
    with pytest.raises(ValueError, match="has type 'model'"):
        run.log_artifact(other)
    with pytest.raises(ValueError, match="ok:nope not found"):
        run.use_artifact("ok:nope")
    with pytest.raises(ValueError, match="has type 'model', not 'dataset'"):
        run.use_artifact("ok:latest", type="dataset")
    run.finish()


def test_storage_failure_warns_and_training_goes_on(tmp_path):
    root = tmp_path / "runs"
    run = reportgen.init(dir=root)
    (root / "_artifacts").write_text("not a folder")  # the store cannot be created
    (tmp_path / "w").write_bytes(b"w")
    art = reportgen.Artifact("m", "model")
    art.add_file(tmp_path / "w")
    with pytest.warns(UserWarning, match="could not store artifact 'm'"):
        run.log_artifact(art)
    run.log({"loss": 1.0})
    run.finish()
    assert (root / run.id / "history.jsonl").read_text().count("loss") == 1


def test_hf_trainer_and_lightning_call_sequences(tmp_path):
    """The exact calls of transformers' WandbCallback (WANDB_LOG_MODEL=checkpoint|end) and
    Lightning's WandbLogger(log_model=True) / download_artifact, against reportgen as ``wandb``."""
    wandb = reportgen
    root = tmp_path / "runs"
    out = tmp_path / "out"
    wandb.init(project="hf", dir=root)
    for step in (5, 10):  # WandbCallback.on_save with WANDB_LOG_MODEL=checkpoint
        ckpt = out / f"checkpoint-{step}"
        ckpt.mkdir(parents=True)
        (ckpt / "model.safetensors").write_bytes(os.urandom(256))
        (ckpt / "trainer_state.json").write_text(json.dumps({"global_step": step}))
        meta = {"train/loss": 0.5 / step, "model/num_parameters": None}
        artifact = wandb.Artifact(name=f"model-{wandb.run.id}", type="model", metadata=meta)
        artifact.add_dir(str(ckpt))
        wandb.log_artifact(artifact, aliases=[f"epoch_{round(step / 10, 2)}", f"checkpoint_global_step_{step}"])
    artifact = wandb.Artifact(name=f"model-{wandb.run.id}", type="model", metadata={"final_model": True})
    for f in sorted((out / "checkpoint-10").glob("*")):  # on_train_end with WANDB_LOG_MODEL=end
        with artifact.new_file(f.name, mode="wb") as fa:
            fa.write(f.read_bytes())
    wandb.run.log_artifact(artifact, aliases=["final_model"])
    hf_id = wandb.run.id
    wandb.finish()
    coll = _collection(root, f"model-{hf_id}")
    assert [v["version"] for v in coll["versions"]] == ["v0", "v1"]  # the final model equals checkpoint-10
    assert coll["aliases"]["final_model"] == "v1" and coll["aliases"]["checkpoint_global_step_5"] == "v0"

    run = wandb.init(project="pl", dir=root)
    best = tmp_path / "epoch=0-step=4.ckpt"
    best.write_bytes(os.urandom(128))
    last = tmp_path / "epoch=1-step=8.ckpt"
    last.write_bytes(os.urandom(128))
    for p, aliases in ((best, ["latest", "best"]), (last, ["latest"])):  # _scan_and_log_checkpoints
        metadata = {"score": np.float32(0.25), "original_filename": p.name,
                    "ModelCheckpoint": {"monitor": "val_loss", "mode": "min", "save_top_k": 1}}
        artifact = wandb.Artifact(name=f"model-{run.id}", type="model", metadata=metadata)
        artifact.add_file(str(p), name="model.ckpt")
        run.log_artifact(artifact, aliases=aliases)
    # WandbLogger.download_artifact: with a run, run.use_artifact(...).download(root=save_dir)
    got = wandb.run.use_artifact(f"model-{run.id}:best").download(root=str(tmp_path / "restore"))
    assert Path(got, "model.ckpt").read_bytes() == best.read_bytes()
    wandb.finish()
    # ... and without a run: Api().artifact(path, type=...).download(root=...)
    api = wandb.Api(root)
    got = api.artifact(f"user/pl/model-{run.id}:latest", type="model").download(root=str(tmp_path / "r2"))
    assert Path(got, "model.ckpt").read_bytes() == last.read_bytes()
    assert api.artifact(f"model-{run.id}:v0").metadata["score"] == 0.25


_WRITER = textwrap.dedent("""
    import sys, pathlib, reportgen
    root, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    work = pathlib.Path(root).parent / tag
    work.mkdir(exist_ok=True)
    run = reportgen.init(dir=root)
    for i in range(n):
        p = work / "f.txt"
        p.write_text(f"{tag}-{i}")
        art = reportgen.Artifact("shared", "dataset")
        art.add_file(p)
        art.add_file(pathlib.Path(root).parent / "common.txt")  # the same object from both processes
        run.log_artifact(art, aliases=[f"{tag}-{i}"])
    same = reportgen.Artifact("shared", "dataset")  # identical content in both: one version
    (work / "f.txt").write_text("same")
    same.add_file(work / "f.txt")
    run.log_artifact(same)
    run.finish()
""")


def test_two_processes_allocate_versions_without_collisions(tmp_path):
    root = tmp_path / "runs"
    (tmp_path / "common.txt").write_text("shared object")
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    n = 6
    procs = [subprocess.Popen([sys.executable, str(script), str(root), tag, str(n)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for tag in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    coll = _collection(root, "shared")
    versions = [v["version"] for v in coll["versions"]]
    assert versions == [f"v{i}" for i in range(2 * n + 1)]  # every version once, none lost
    store = root / "_artifacts"
    contents = set()
    for v in versions:
        manifest = st.read_manifest(store, "shared", v)
        e = manifest["entries"]["f.txt"]
        contents.add(st.object_path(store, e["digest"]).read_text())
    assert contents == {f"{t}-{i}" for t in "ab" for i in range(n)} | {"same"}
    for t in "ab":
        for i in range(n):
            v = coll["aliases"][f"{t}-{i}"]
            entry = st.read_manifest(store, "shared", v)["entries"]["f.txt"]
            assert st.object_path(store, entry["digest"]).read_text() == f"{t}-{i}"
    common = st.hash_file(tmp_path / "common.txt")[0]
    assert [p.name for p in (store / "objects").rglob("*") if p.is_file()].count(common) == 1
