"""storage/merge.py: the writers of one shared run (ranks, nodes) merged into one run folder."""
from __future__ import annotations

import json

from reportgen.storage.merge import merge_run
from reportgen.storage.reader import read_run


def _writer(folder, rows, summary, config):
    folder.mkdir(parents=True)
    (folder / "history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "run.json").write_text(json.dumps({"format": 1, "id": "shared", "state": "finished", "created": 1.0}))
    return folder


def test_metrics_named_with_a_leading_underscore_are_metrics_of_each_writer(tmp_path):
    """A metric named ``_lr`` logged by two ranks: the merge took every ``_`` key for a system key,
    so the second rank's values overwrote the first's under one name, and summary keys beginning with
    ``_`` were dropped. Only ``_step``, ``_timestamp``, ``_runtime`` and ``_wandb`` are not metrics."""
    a = _writer(tmp_path / "w" / "rank0",
                [{"_step": s, "_timestamp": 10.0 + s, "_runtime": float(s), "_lr": 0.1, "loss": 1.0 / (s + 1)} for s in range(3)],
                {"_lr": 0.1, "loss": 1 / 3, "_private": "a", "_wandb": {"runtime": 3}}, {"lr": 0.1})
    b = _writer(tmp_path / "w" / "rank1",
                [{"_step": s, "_timestamp": 20.0 + s, "_runtime": float(s) + 0.5, "_lr": 0.2, "_only_b": s} for s in range(2)],
                {"_lr": 0.2, "_only_b": 1}, {"lr": 0.2, "b": 1})
    out = tmp_path / "merged"
    assert merge_run({"rank0": a, "rank1": b}, out) == []
    run = read_run(out)
    rows = run.history
    assert [r["_step"] for r in rows] == [0, 1, 2]
    assert [r["_lr"] for r in rows] == [0.1, 0.1, 0.1]
    assert [r.get("_lr@rank1") for r in rows] == [0.2, 0.2, None]
    assert [r.get("_only_b") for r in rows] == [0, 1, None]  # one writer's key keeps its name
    assert rows[0]["_timestamp"] == 20.0 and rows[0]["_runtime"] == 0.5  # time keys: the latest, not renamed
    assert not any(k.startswith(("_timestamp@", "_runtime@", "_step@")) for r in rows for k in r)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["_lr"] == 0.1 and summary["_lr@rank1"] == 0.2 and summary["_private"] == "a"
    assert summary["_only_b"] == 1 and "_wandb" not in summary
    assert json.loads((out / "config.json").read_text()) == {"lr": 0.1, "b": 1}
