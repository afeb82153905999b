"""Issue 12: JSON integers of hundreds of digits (JSON sets no bound) in every field of a run folder
or a foreign source. They are read as orjson reads integers past 64 bits: floats, +-inf past a double."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_security_importers_hostile import _import, _runs, _w, _wandb_run

REPO = Path(__file__).parent.parent
BIG = "1" + "0" * 400


def test_400_digit_integers_in_a_run_folder_never_end_the_build(tmp_path):
    """A 401-digit integer in run.json's ``created``, a config or summary value, a history value or a
    step ended the build with OverflowError (orjson refuses such a document; the stdlib made a
    Python int that met ``float()``). Now they read as +-inf in history and run.json, as orjson reads
    any integer past 64 bits as a float, and as their digits (text) in config and summary (the Api
    reads the int; tests/test_values_ints.py): every run and page is built."""
    runs = tmp_path / "runs"
    for name in ("a", "b"):
        d = runs / name
        d.mkdir(parents=True)
        (d / "run.json").write_text(f'{{"id": "{name}", "project": "p", "created": {BIG}, "updated": -{BIG}}}')
        (d / "config.json").write_text(f'{{"lr": {BIG}, "seed": 18446744073709551616}}')
        (d / "summary.json").write_text(f'{{"best": -{BIG}}}')
        (d / "history.jsonl").write_text(f'{{"_step": 0, "loss": {BIG}, "acc": 1}}\n'
                                         f'{{"_step": 1{"0" * 30}, "loss": -{BIG}, "acc": 2}}\n')
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(site), "--no-cache"],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert (site / "runs/a/index.html").is_file() and (site / "runs/b/index.html").is_file()
    from reportgen.storage.reader import read_run

    r = read_run(runs / "a")  # config and summary: ints as the Api reads them, one past a double as its digits
    assert r.config["lr"] == BIG and r.config["seed"] == 2 ** 64 and r.summary["best"] == "-" + BIG
    assert [x["loss"] for x in r.history] == [float("inf"), float("-inf")]


def test_400_digit_integers_in_a_wandb_log_do_not_lose_the_run(tmp_path):
    """The same in a wandb log's history, config and summary values: the run was skipped whole
    (``OverflowError: int too large to convert to float; skipped``). Now it imports."""
    src = tmp_path / "src"
    _wandb_run(src, [_w("config", lr=BIG), _w("history", 0, loss=BIG, acc=1.0), _w("summary", best=BIG), _w("exit")])
    out = tmp_path / "runs"
    _import("wandb", src, out)
    r = _runs(out)["wandb-abc"]
    assert [(x["loss"], x["acc"]) for x in r.history] == [(float("inf"), 1.0)]
    assert json.loads((out / "wandb-abc/config.json").read_text())["lr"] == float("inf")
