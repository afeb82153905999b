"""A wandb run's system metrics are imported where the SDK writes its own (``system.jsonl``, keys
``system/...``, ``_timestamp`` and ``_runtime``), so the run page draws its System charts: the stats
records of a real offline run's ``.wandb`` log (its monitor's samples and samples published through
the run's own interface, as the monitor publishes them), and, for a log without them (wandb < 0.13),
a hand-written ``files/wandb-events.jsonl`` with hostile lines. Imported and built by the CLI, drawn
in Chromium."""
from __future__ import annotations

import json
import os

import pytest

from conftest import run_cli
from import_sources import run_script, wandb_env
from reportgen.storage.reader import list_run_dirs

pytestmark = pytest.mark.browser

# the monitor samples every 0.1 s while the loop runs; two GPU samples are published as the monitor
# publishes its own (this machine has no GPU)
MONITORED = r'''
import time, wandb
run = wandb.init(project="sys", settings=wandb.Settings(x_stats_sampling_interval=0.1))
t = time.time()
while time.time() - t < 1.5:
    run.log({"loss": 0.5})
    time.sleep(0.02)
run._interface.publish_stats({"gpu.0.gpu": 40.0, "gpu.0.temp": 55.0, "gpu.0.memoryAllocated": 10.0})
time.sleep(0.2)
run._interface.publish_stats({"gpu.0.gpu": 80.0, "gpu.0.temp": 61.0, "gpu.0.memoryAllocated": 12.5})
run.finish()
'''

# a wandb run whose log holds no stats record: its system metrics are in files/wandb-events.jsonl
UNMONITORED = r'''
import wandb
run = wandb.init(project="sys", settings=wandb.Settings(x_disable_stats=True))
run.log({"loss": 0.5})
run.finish()
'''


def _lists(n: int, leaf=1.0):
    for _ in range(n):
        leaf = [leaf]
    return leaf


def _source(tmp_path, script: str):
    src = tmp_path / "wb"
    src.mkdir()
    run_script(script, env=wandb_env(src))
    (run_dir,) = [p for p in (src / "wandb").iterdir() if p.name.startswith("offline-run-")]
    return src / "wandb", run_dir / "files"


def _rows(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _import_and_build(tmp_path):
    proc = run_cli("import", "wandb", str(tmp_path / "wb" / "wandb"), "-o", str(tmp_path / "runs"))
    (run_dir,) = list_run_dirs(tmp_path / "runs")
    return [ln for ln in proc.stderr.splitlines() if ln.startswith("warning:")], run_dir


def _charts(site_browser, tmp_path, run_dir) -> dict[str, dict]:
    """The System charts of the run's page: title -> {series label: last value shown, "points": [...]}."""
    run_cli("build", str(run_dir.parent), "-o", str(tmp_path / "site"))
    page = site_browser.open(tmp_path / "site" / "runs" / run_dir.name / "index.html")
    assert page.locator("#rg-system").is_visible()
    out = {}
    for fig in page.locator(".rg-sys-chart").all():
        legend = [s.inner_text().rsplit(" ", 1) for s in fig.locator(".rg-sys-legend span").all()]
        lines = fig.locator("polyline").all()
        assert lines and all(ln.bounding_box()["width"] > 0 for ln in lines)  # drawn
        out[fig.get_attribute("data-title")] = {**{k: v for k, v in legend},
                                                "points": [ln.get_attribute("points").split() for ln in lines]}
    return out


def test_a_wandb_runs_stats_records_are_its_system_charts(tmp_path, site_browser):
    """The stats records were written to files/wandb-system-metrics.jsonl, which nothing reads: the
    imported run's page had no System section. They are now the run's system.jsonl, as the SDK's
    monitor writes it (wandb-core's ``memory_percent`` named ``system/memory`` as the SDK names it),
    charted; a files/wandb-events.jsonl beside the log's stats is not read again."""
    _, files = _source(tmp_path, MONITORED)
    (files / "wandb-events.jsonl").write_text(json.dumps({"system.from_events": 1, "_timestamp": 1.7e9}) + "\n")
    said, run_dir = _import_and_build(tmp_path)
    assert said == []
    assert not (run_dir / "files" / "wandb-system-metrics.jsonl").exists()
    rows = _rows(run_dir / "system.jsonl")
    created = json.loads((run_dir / "run.json").read_text())["created"]
    assert len(rows) >= 4
    for row in rows:
        assert row["_runtime"] == pytest.approx(max(0.0, row["_timestamp"] - created))
        assert all(k.startswith("system/") for k in row if k not in ("_timestamp", "_runtime")), row
    keys = {k for r in rows for k in r}
    assert {"system/memory", "system/proc.memory.rssMB", "system/cpu"} <= keys and "system/memory_percent" not in keys
    assert "system/from_events" not in keys
    gpu = [r for r in rows if "system/gpu.0.gpu" in r]
    assert [(r["system/gpu.0.gpu"], r["system/gpu.0.temp"]) for r in gpu] == [(40.0, 55.0), (80.0, 61.0)]

    charts = _charts(site_browser, tmp_path, run_dir)
    assert {"CPU", "Memory", "Process memory", "GPU utilisation", "GPU temperature", "GPU memory"} <= set(charts)
    assert charts["GPU utilisation"]["gpu.0.gpu"] == "80" and charts["GPU temperature"]["gpu.0.temp"] == "61"
    assert len(charts["Memory"]["points"][0]) >= 2  # a line over the run's time, not one dot
    assert "memory" in charts["Memory"]

    again = run_cli("import", "wandb", str(tmp_path / "wb" / "wandb"), "-o", str(tmp_path / "runs"))
    assert "(0 new rows)" in again.stdout and len(_rows(run_dir / "system.jsonl")) == len(rows)


def test_wandb_events_jsonl_of_older_runs_with_hostile_lines(tmp_path, site_browser):
    """wandb before 0.13 wrote system metrics to files/wandb-events.jsonl (``system.*`` keys,
    ``_timestamp``, ``_runtime``): not read. Per-device disk I/O had no chart. Now, for a log without stats records, its samples are the
    run's system.jsonl; torn lines, lines that are no JSON object, a value nested too deep, a time no
    date has and a value too large for a double are each skipped or kept as the readers read them, named
    in warnings, and the import reads only what was added at the next import."""
    _, files = _source(tmp_path, UNMONITORED)
    t0 = 1.7e9
    good = [{"system.cpu": 20.5, "system.memory": 40, "system.disk": 12.5, "system.network.sent": 1000,
             "system.network.recv": 2000, "system.proc.memory.rssMB": 300.0, "system.gpu.0.gpu": 30,
             "system.gpu.0.temp": 50, "system.disk.sda.in": 0.5, "system.disk.sda.out": 1.0, "_wandb": True,
             "_timestamp": t0 + 2, "_runtime": 2},
            {"system.cpu": 60.25, "system.memory": 45, "system.network.sent": 5000, "system.network.recv": 9000,
             "system.proc.memory.rssMB": 310.0, "system.gpu.0.gpu": 70, "system.gpu.0.temp": 58,
             "system.disk.sda.in": 1.5, "system.disk.sda.out": 3.0, "_wandb": True, "_timestamp": t0 + 4,
             "_runtime": 4}]
    lines = [json.dumps(good[0]), '{"system.cpu": 5, "_timest', "[1, 2, 3]", '"text"', "42", "null",
             json.dumps(good[1]),
             json.dumps({"system.deep": _lists(100), "system.cpu": 33.0, "_timestamp": t0 + 6}),
             '{"system.cpu": 1e999, "system.proc.memory.rssMB": ' + "9" * 400 + ', "_timestamp": %s}' % (t0 + 8),
             json.dumps({"system.cpu": 1.0, "_timestamp": 1e300}),
             json.dumps({"system.cpu": 2.0, "_timestamp": "yesterday"})]
    (files / "wandb-events.jsonl").write_text("\n".join(lines) + '\n{"system.cpu": 7')  # torn last line
    said, run_dir = _import_and_build(tmp_path)
    text = "\n".join(said)
    assert "files/wandb-events.jsonl: skipped a line that is not valid JSON" in text, said
    assert "files/wandb-events.jsonl: skipped a line that is not a JSON object" in text, said
    assert "'system.deep'" in text and "nested deeper than 100 levels" in text, said
    assert "files/wandb-events.jsonl: 2 samples without a _timestamp" in text, said
    assert "incomplete last line" in text, said

    rows = _rows(run_dir / "system.jsonl")
    created = json.loads((run_dir / "run.json").read_text())["created"]
    assert [r["_timestamp"] for r in rows] == [t0 + 2, t0 + 4, t0 + 6, t0 + 8]
    assert all(r["_runtime"] == max(0.0, r["_timestamp"] - created) for r in rows)
    assert rows[0]["system/disk.usagePercent"] == 12.5 and rows[0]["system/memory"] == 40
    assert rows[1]["system/gpu.0.temp"] == 58 and "_wandb" not in rows[1]
    assert rows[2] == {"_timestamp": t0 + 6, "_runtime": rows[2]["_runtime"], "system/cpu": 33.0}
    assert rows[3]["system/cpu"] == float("inf") and rows[3]["system/proc.memory.rssMB"] == float("inf")

    # the torn line completed and one more sample: read from where the last import stopped
    with open(files / "wandb-events.jsonl", "a") as fh:
        fh.write(', "_timestamp": %s}\n' % (t0 + 10))
        fh.write(json.dumps({"system.cpu": 9.5, "_timestamp": t0 + 12}) + "\n")
    _import_and_build(tmp_path)
    rows = _rows(run_dir / "system.jsonl")
    assert [(r["_timestamp"], r["system/cpu"]) for r in rows[4:]] == [(t0 + 10, 7), (t0 + 12, 9.5)]

    charts = _charts(site_browser, tmp_path, run_dir)
    assert {"CPU", "Memory", "Process memory", "Network", "GPU utilisation", "GPU temperature"} <= set(charts)
    assert charts["CPU"]["cpu"] == "9.5" and charts["GPU temperature"]["gpu.0.temp"] == "58"
    assert charts["Network"]["network.recv"] == "9000"
    # per-device disk I/O (as wandb-core writes it too: disk.<device>.in, .out) with the SDK's totals
    assert charts["Disk I/O"]["disk.sda.in"] == "1.5" and charts["Disk I/O"]["disk.sda.out"] == "3"


def test_system_jsonl_of_the_imported_run_that_is_a_link_is_not_written_through(tmp_path):
    """The runs root may hold what others made: an imported run's system.jsonl that is a link to a file
    elsewhere is not appended to (the SDK's own rule, storage.safety.open_own), with a warning."""
    _source(tmp_path, UNMONITORED)
    files = next((tmp_path / "wb" / "wandb").glob("offline-run-*/files"))
    (files / "wandb-events.jsonl").write_text(json.dumps({"system.cpu": 1.0, "_timestamp": 1.7e9}) + "\n")
    target = tmp_path / "elsewhere" / "id_rsa"
    target.parent.mkdir()
    target.write_bytes(before := b"secret\n")
    runs = tmp_path / "runs"
    run_cli("import", "wandb", str(tmp_path / "wb" / "wandb"), "-o", str(runs))
    (run_dir,) = list_run_dirs(runs)
    os.remove(run_dir / "system.jsonl")
    os.symlink(target, run_dir / "system.jsonl")
    os.remove(run_dir / "import.json")  # (imported again from the start)
    proc = run_cli("import", "wandb", str(tmp_path / "wb" / "wandb"), "-o", str(runs))
    assert "system.jsonl" in proc.stderr and "system metrics not written" in proc.stderr, proc.stderr
    assert target.read_bytes() == before


# wandb before 0.13 sampled the network as one nested value, {"sent": ..., "recv": ...} (its stats.py),
# which its sender flattened to system.network.sent in files/wandb-events.jsonl
NESTED_STATS = r'''
import wandb
run = wandb.init(project="sys", settings=wandb.Settings(x_disable_stats=True))
run._interface.publish_stats({"cpu": 10.0, "network": {"sent": 100, "recv": 200}})
run._interface.publish_stats({"cpu": 20.0, "network": {"sent": 300, "recv": 700}})
run.log({"loss": 0.5})
run.finish()
'''


@pytest.mark.parametrize("where", ["stats records", "wandb-events.jsonl"])
def test_nested_network_samples_of_wandb_012_are_flattened_to_its_network_chart(tmp_path, where):
    """wandb 0.12's monitor sampled ``network`` as ``{"sent": n, "recv": n}``: in its stats records and in
    lines of files/wandb-events.jsonl as ``"system.network": {...}``. The nested value was written as it
    was (``system/network`` holding a dict), which no chart draws: the run had no Network chart. It is
    flattened to wandb's own names (``system/network.sent``, ``.recv``), charted as the SDK's are; a
    value nested deeper than the readers read is still left out, named."""
    from reportgen.site.story import system_charts

    _, files = _source(tmp_path, NESTED_STATS if where == "stats records" else UNMONITORED)
    if where == "wandb-events.jsonl":
        t0 = 1.7e9
        lines = [{"system.cpu": 10.0, "system.network": {"sent": 100, "recv": 200}, "_timestamp": t0 + 2},
                 {"system.cpu": 20.0, "system.network": {"sent": 300, "recv": 700},
                  "system.deep": {"a": _lists(99)}, "_timestamp": t0 + 4}]
        (files / "wandb-events.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    said, run_dir = _import_and_build(tmp_path)
    rows = _rows(run_dir / "system.jsonl")
    assert [(r["system/cpu"], r["system/network.sent"], r["system/network.recv"]) for r in rows] == [
        (10.0, 100, 200), (20.0, 300, 700)], rows
    assert not any("system/network" in r or any(k.startswith("system/deep") for k in r) for r in rows), rows
    if where == "wandb-events.jsonl":
        assert len(said) == 1 and "'system.deep'" in said[0] and "nested deeper than 100 levels" in said[0], said
    else:
        assert said == []
    (network,) = [c for c in system_charts(run_dir) if c["title"] == "Network"]
    assert {s["label"]: s["last"] for s in network["series"]} == {"network.sent": 300, "network.recv": 700}
    assert all(s["path"].count(",") == 2 for s in network["series"])  # a line of the two samples


# stats records as wandb 0.12's monitor published them (which also wrote them to files/wandb-events.jsonl)
OLD_WANDB = r'''
import json, os, wandb
run = wandb.init(project="sys", settings=wandb.Settings(x_disable_stats=True))
for i, stats in enumerate([{"cpu": 10.0, "memory_percent": 40.0, "network": {"sent": 100, "recv": 200}},
                           {"cpu": 20.0, "memory_percent": 41.0, "network": {"sent": 300, "recv": 700}}]):
    run._interface.publish_stats(stats)
    run.log({"loss": 0.5 / (i + 1)})
run.finish()
'''


@pytest.mark.parametrize("events", [False, True], ids=["wandb-0.13+", "wandb-0.12"])
def test_a_run_imported_before_system_jsonl_has_its_samples_moved_there_by_the_next_import(tmp_path, events):
    """Imports made before system.jsonl (3cccf68^) wrote a wandb run's stats records to the imported
    run's files/wandb-system-metrics.jsonl (``_timestamp`` and wandb's names under ``system/`` as they
    were, a nested network value too), which nothing reads, and import.json said nothing of system
    metrics. Importing such a run again read the log from where it stopped, past its stats records: the
    samples stayed in that file, and the run never had System charts (a run of wandb 0.12 had them read
    again from its files/wandb-events.jsonl, the file left). The next import now moves them to
    system.jsonl (as an import today writes them) and removes the file; a files/wandb-events.jsonl
    (the same samples, from wandb 0.12) is not read as well, so each sample is there once, and a
    further import adds nothing."""
    from reportgen.site.story import system_charts

    _, files = _source(tmp_path, OLD_WANDB)
    today = tmp_path / "runs"
    _import_and_build(tmp_path)  # (an import of today: what the old one must become)
    (run_dir,) = list_run_dirs(today)
    want = _rows(run_dir / "system.jsonl")
    assert [(r["system/cpu"], r["system/memory"], r["system/network.sent"]) for r in want] == [
        (10.0, 40.0, 100), (20.0, 41.0, 300)]

    # the run folder as the old importer left it (its code: git show 3cccf68^:reportgen/importers/wandb_local.py)
    if events:  # wandb 0.12's copy of the samples, copied by the import too
        with open(files / "wandb-events.jsonl", "w") as fh:
            for r in want:
                fh.write(json.dumps({"system.cpu": r["system/cpu"], "system.memory": r["system/memory"],
                                     "system.network.sent": r["system/network.sent"],
                                     "system.network.recv": r["system/network.recv"], "_wandb": True,
                                     "_timestamp": r["_timestamp"], "_runtime": r["_runtime"]}) + "\n")
        (run_dir / "files" / "wandb-events.jsonl").write_bytes((files / "wandb-events.jsonl").read_bytes())
    os.remove(run_dir / "system.jsonl")
    with open(run_dir / "files" / "wandb-system-metrics.jsonl", "w") as fh:
        for r in want:
            fh.write(json.dumps({"_timestamp": r["_timestamp"], "system/cpu": r["system/cpu"],
                                 "system/memory_percent": r["system/memory"],
                                 "system/network": {"sent": r["system/network.sent"],
                                                    "recv": r["system/network.recv"]}}) + "\n")
    record = json.loads((run_dir / "import.json").read_text())
    record["state"] = {k: record["state"][k] for k in ("offset", "exit_code")}
    (run_dir / "import.json").write_text(json.dumps(record))
    assert system_charts(run_dir) == []

    said, again = _import_and_build(tmp_path)
    assert again == run_dir and said == []
    assert _rows(run_dir / "system.jsonl") == want
    assert not (run_dir / "files" / "wandb-system-metrics.jsonl").exists()
    assert {"CPU", "Memory", "Network"} <= {c["title"] for c in system_charts(run_dir)}
    _import_and_build(tmp_path)
    assert _rows(run_dir / "system.jsonl") == want
