"""``reportgen serve --watch`` on a local runs root holding a shared run (labelled writers in their own
processes, ``writers/<label>/`` segments): the run is served from its joined copy and followed as the
writers append, as ``reportgen build`` of the same root shows it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from serveproc import ServeProcess, http_get

REPO = Path(__file__).resolve().parent.parent
WRITER = """
import os, sys, time, reportgen
root, label, go = sys.argv[1], sys.argv[2], sys.argv[3]
run = reportgen.init(dir=root, id="dist", project="p",
                     settings={"x_label": label, "x_upload_interval": 0.1})
for i in range(5):
    run.log({"loss": 1.0 / (i + 1), "only_" + label: i})
print("logged", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
for i in range(5, 12):
    run.log({"loss": 1.0 / (i + 1), "only_" + label: i})
run.finish()
"""


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "REPORTGEN_CACHE_DIR": str(tmp_path / "cache"),
            "REPORTGEN_DISABLE_META": "1", "REPORTGEN_DISABLE_GIT": "1", "REPORTGEN_STATS_INTERVAL": "0"}


def _run_data(port: int) -> dict | None:
    """The served data of run ``dist`` (data/runs/dist.js), None while it is not there."""
    resp = http_get(port, "/data/runs/dist.js")
    body = resp.read().decode()
    if resp.status != 200:
        return None
    return json.loads(body[body.index(",") + 1: body.rindex(")")])


def _wait(what, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def _uploaded(runs: Path, steps: int) -> bool:
    """Both writers' first rows are in the root (a labelled writer uploads segments every 0.1 s)."""
    texts = ["".join(p.read_text() for p in (runs / "dist" / "writers" / w / "history").glob("*.jsonl"))
             if (runs / "dist" / "writers" / w / "history").is_dir() else "" for w in ("rank0", "rank1")]
    return all(t.count("\n") >= steps for t in texts)


def test_serve_watch_shows_and_follows_a_shared_run(tmp_path):
    runs, go = tmp_path / "runs", tmp_path / "go"
    (runs / "plain").mkdir(parents=True)  # a plain run beside it, served as before
    (runs / "plain" / "history.jsonl").write_text('{"_step": 0, "acc": 1.0}\n')
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(runs), label, str(go)], env=_env(tmp_path),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for label in ("rank0", "rank1")]
    try:
        assert _wait(lambda: _uploaded(runs, 5)), [w.stderr.read() for w in writers if w.poll() is not None]
        with ServeProcess(str(runs), "--watch", "--port", "0", env=_env(tmp_path)) as srv:
            page = http_get(srv.port, "/runs/dist/")
            html = page.read().decode()
            assert page.status == 200, html[:300]  # answered 404: the run was not shown at all
            index = http_get(srv.port, "/").read().decode()
            assert "runs/dist/" in index and "runs/plain/" in index
            data = _run_data(srv.port)
            assert data["x"]["_step"]["n"] == 5
            assert {m["key"] for m in data["m"].values()} >= {"loss", "loss@rank1", "only_rank0", "only_rank1"}
            gen = json.loads(http_get(srv.port, "/__reportgen__/events?since=0").read())["generation"]

            go.touch()  # both writers append 7 more steps each and finish
            for w in writers:
                assert w.wait(120) == 0, w.stderr.read()
            data = _wait(lambda: (d := _run_data(srv.port)) and d["x"]["_step"]["n"] == 12 and d)
            assert data, _run_data(srv.port)
            state = json.loads(http_get(srv.port, f"/__reportgen__/events?since={gen}").read())
            assert state["error"] is None and "data/runs/dist.js" in state["changed"], state
            assert _wait(lambda: "rg-state-finished" in http_get(srv.port, "/runs/dist/").read().decode())
        assert "Traceback" not in srv.stderr(), srv.stderr()
    finally:
        go.touch()
        for w in writers:
            if w.poll() is None:
                w.kill()
            w.wait()
