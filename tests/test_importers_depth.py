"""The importers write what the readers read: a value nested deeper than ``MAX_DEPTH`` (the history
line, config or summary file being the first level, as ``storage.safety.too_deep`` counts) is
refused by key when it is imported, in one warning per file naming the key and the limit, the rest
kept. Real sources written by the real libraries (wandb offline, tensorboardX) in subprocesses, the
real CLI, then Api and the site read back what was imported."""
from __future__ import annotations

import json
import warnings

import reportgen
from import_sources import run_script, wandb_env
from reportgen.site.builder import build
from reportgen.site.config import BuildConfig
from reportgen.storage.reader import list_run_dirs, read_run
from reportgen.storage.safety import MAX_DEPTH

# an image with boxes nested in dicts: wandb's record of it (image, boxes, group) is 3 levels, the
# record the import makes of it (image, boxes, group, box_data, box, position) 6, so a value that fit
# in the wandb log was written 3 levels deeper than it was read. ``nest(n)``: n dicts above the image,
# under the row (the row 1, the dicts 2..n+1, the image record n+2, its box's position n+7)
WANDB_DEEP = r'''
import sys, numpy as np, wandb
def nest(n, leaf):
    for _ in range(n):
        leaf = {"k": leaf}
    return leaf
def lists(n):
    v = 1
    for _ in range(n):
        v = [v]
    return v
def img():
    return wandb.Image(np.zeros((8, 8, 3), dtype=np.uint8), boxes={"pred": {"box_data": [
        {"position": {"minX": 0.1, "maxX": 0.5, "minY": 0.1, "maxY": 0.5}, "class_id": 1}],
        "class_labels": {1: "cat"}}})
limit = int(sys.argv[1])
run = wandb.init(project="deep", config={"c_fits": lists(limit - 2), "lr": 0.1})
run.log({"loss": 0.5, "fits": nest(limit - 7, img()), "deeper": nest(limit - 6, img()), "v_fits": lists(limit - 1)})
run.log({"loss": 0.25, "t_fits": wandb.Table(columns=["a", "b"], data=[[lists(limit - 3), 1]]),
         "t_deeper": wandb.Table(columns=["a", "b"], data=[[lists(limit - 2), 1]])})
run.finish()
'''


def _api(runs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (run,) = reportgen.Api(runs).runs()
        rows = list(run.scan_history())
    return run, rows, [str(w.message) for w in caught]


def _wandb_import(tmp_path, cli, script: str):
    """``script`` run as a wandb offline run (given MAX_DEPTH), imported by the CLI: its warnings and
    the run folder."""
    src = tmp_path / "wb"
    src.mkdir()
    run_script(script, MAX_DEPTH, env=wandb_env(src))
    proc = cli("import", "wandb", str(src / "wandb"), "-o", str(tmp_path / "runs"))
    (run_dir,) = list_run_dirs(tmp_path / "runs")
    return [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")], run_dir


def test_wandb_values_the_import_makes_too_deep_are_refused_by_key(tmp_path, cli):
    """A wandb image with boxes nested 94 dicts deep fit in the wandb log (97 levels) and became 101
    levels once imported: the import wrote it into history.jsonl and summary.json without a word, and
    Api and the site then left it out ("'deeper' (byte 0): nested deeper than 100 levels"). A Table
    whose cell made its file 101 levels deep was written the same and shown as "could not show". Each
    is now refused when imported, named once per file with the limit; the row's other values, and the
    same values one level shallower, are imported and read back."""
    said, run_dir = _wandb_import(tmp_path, cli, WANDB_DEEP)
    runs = run_dir.parent
    rid = run_dir.name
    assert any(f"{rid}: history.jsonl: 'deeper' (step 0): nested deeper than {MAX_DEPTH} levels; not imported" in w
               for w in said), said
    assert any(f"{rid}: summary.json: 'deeper': nested deeper than {MAX_DEPTH} levels" in w for w in said), said
    assert any("'t_deeper' at step 1" in w and f"nested deeper than {MAX_DEPTH} levels" in w for w in said), said
    assert not any("fits" in w for w in said), said

    run, rows, read = _api(runs)
    assert read == []  # nothing imported is left out by a reader
    assert [r["loss"] for r in rows] == [0.5, 0.25]
    heads = {k.split("/")[0] for k in rows[0]}  # (Api names a nested dict's values by their paths)
    assert {"fits", "v_fits"} <= heads and "deeper" not in heads, heads
    assert "t_fits" in rows[1] and "t_deeper" not in rows[1], rows[1]
    assert run.config["lr"] == 0.1 and "c_fits" in run.config
    assert {"fits", "deeper"} & {k.split("/")[0] for k in run.summary.keys()} == {"fits"}
    record = read_run(run_dir)  # the builder's reader
    assert record.warnings == []
    box = record.history[0]["fits"]
    for _ in range(MAX_DEPTH - 7):
        box = box["k"]
    assert box["boxes"]["pred"]["box_data"][0]["position"]["minX"] == 0.1
    table = json.loads((run_dir / rows[1]["t_fits"]["path"]).read_text())
    assert table["data"][0][1] == 1

    site = tmp_path / "site"
    built = build(BuildConfig(runs=runs, out=site, quiet=True)).warnings
    assert not any("could not show" in w or "nested deeper" in w for w in built), built
    page = (site / "runs" / rid / "index.html").read_text()
    assert ">t_fits<" in page and ">t_deeper<" not in page


TBX_HF = r'''
import json, sys
from tensorboardX import SummaryWriter
def dicts(n):
    v = 1
    for _ in range(n):
        v = {"k": v}
    return v
w = SummaryWriter(sys.argv[1])
w.add_text("args", json.dumps({"lr": 0.5, "deep": dicts(int(sys.argv[2]) - 1)}), 0)
w.add_text("model_config", json.dumps({"layers": 3, "deep2": dicts(int(sys.argv[2]))}), 0)
w.add_scalar("loss", 0.5, 0)
w.close()
'''


def test_tensorboard_config_text_at_the_limit_is_imported_and_one_level_more_kept_as_text(tmp_path, cli):
    """transformers' TensorBoardCallback writes its config as JSON text (``args``, ``model_config``):
    a config of 100 levels (config.json's own) becomes the run's config and is read back; one of 101
    levels is refused as config, named with the limit, and kept as the text it was."""
    logdir = tmp_path / "logs" / "hf"
    run_script(TBX_HF, logdir, MAX_DEPTH)
    runs = tmp_path / "runs"
    proc = cli("import", "tensorboard", str(tmp_path / "logs"), "-o", str(runs))
    said = [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")]
    assert len(said) == 1 and "'model_config/text_summary'" in said[0] and \
        f"nested deeper than {MAX_DEPTH} levels" in said[0], said
    run, rows, read = _api(runs)
    assert read == []
    assert run.config["lr"] == 0.5 and "deep" in run.config and "layers" not in run.config
    assert isinstance(rows[0]["model_config/text_summary"], str) and rows[0]["loss"] == 0.5


# system metrics as wandb records them (a stats record of the run's .wandb log): an open-metrics or
# custom value nested in lists, published through the run's own interface, as wandb's monitor does
WANDB_STATS = r'''
import sys, wandb
def lists(n):
    v = 1.5
    for _ in range(n):
        v = [v]
    return v
limit = int(sys.argv[1])
run = wandb.init(project="deep", settings=wandb.Settings(x_disable_stats=True))
run.log({"loss": 0.5})
run._interface.publish_stats({"cpu": 12.5, "fits": lists(limit - 1), "deeper": lists(limit)})
run.finish()
'''


def test_wandb_system_metrics_too_deep_are_refused_by_key(tmp_path, cli):
    """A wandb system-metrics sample is written as one JSON object a line (of the run's system.jsonl), its
    values under their ``system/<name>`` keys: a value nested 100 levels deep (the readers' limit) became
    a line 101 levels deep, written without a word. It is now refused by key, named with the limit, and the sample's other
    values, one of 99 levels among them, are written; every line is one the readers read."""
    from reportgen.storage.jsonio import loads
    from reportgen.storage.safety import too_deep

    said, run_dir = _wandb_import(tmp_path, cli, WANDB_STATS)
    assert len(said) == 1 and "system metric 'deeper'" in said[0] and \
        f"nested deeper than {MAX_DEPTH} levels" in said[0], said
    lines = (run_dir / "system.jsonl").read_bytes().splitlines()
    samples = [loads(ln) for ln in lines]
    assert not any(too_deep(s, MAX_DEPTH) for s in samples)
    (sample,) = [s for s in samples if "system/fits" in s]
    assert sample["system/cpu"] == 12.5 and "system/deeper" not in sample
    v = sample["system/fits"]
    for _ in range(MAX_DEPTH - 1):
        v = v[0]
    assert v == 1.5
