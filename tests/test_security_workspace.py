"""Issue 12: a saved view (workspace.yaml in the runs root) may not stall the build.

A YAML file of 1 KB can hold a list of ten billion strings: anchors of anchors, ten aliases each,
nine levels deep. The builder quoted such a value in its warning with ``repr()`` (cut to 60
characters only afterwards): 5.7 GB and no end. Warnings now quote a bounded repr."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _limit_memory():  # the build before the fix grew past 5 GB: keep the machine's
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_a_yaml_alias_bomb_in_a_saved_view_is_quoted_briefly(tmp_path):
    runs = tmp_path / "runs"
    (runs / "a").mkdir(parents=True)
    (runs / "a" / "run.json").write_text(json.dumps({"id": "a", "name": "a", "state": "finished"}))
    (runs / "a" / "history.jsonl").write_text(json.dumps({"_step": 0, "loss": 1.0}) + "\n")
    lines = ["l0: &l0 [" + ", ".join(["loss"] * 10) + "]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 10)]
    lines += ["sections:", "  - name: s", "    panels:", "      - {keys: *l9}", "      - {keys: [loss], title: *l9}",
              "      - {keys: [loss], smooth: *l9}"]
    (runs / "workspace.yaml").write_text("\n".join(lines) + "\n")
    assert (runs / "workspace.yaml").stat().st_size < 1000
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-m", "reportgen", "build", str(runs), "-o", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=12, env=env, preexec_fn=_limit_memory)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert "sections[0].panels[0].keys: expected a metric key or a list of metric keys, got [[[[[[" in out
    assert "sections[0].panels[1].title: expected text, got [[[[[[" in out
    assert "sections[0].panels[2].smooth: expected a number from 0 (off) to below 1, got [[[[[[" in out
    assert max(len(line) for line in out.splitlines()) < 400
