"""The process that samples a run's system metrics (reportgen/sdk/system_process.py), for real."""
from __future__ import annotations

import json
import os
import signal
import warnings
from pathlib import Path

import psutil
import pytest

import reportgen
from test_run_story import ended, sampling_process, start

QUIET = {"console": "off", "x_disable_meta": True}


def rows(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / "system.jsonl").read_text().splitlines()]


def test_the_run_is_sampled_by_a_process_that_ends_at_finish(tmp_path):
    blob = bytearray(300 * 1024 * 1024)  # the training process's memory, not the sampler's
    blob[::4096] = b"x" * len(blob[::4096])
    run = reportgen.init(project="p", id="m", dir=tmp_path, settings={**QUIET, "x_stats_sampling_interval": 60})
    sampler = psutil.Process(run._services.sampler.pid)
    assert sampler.ppid() == os.getpid() and "reportgen.sdk.system_process" in " ".join(sampler.cmdline())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "system metrics lost data"
        run.finish()
    assert not psutil.pid_exists(sampler.pid)
    (last,) = rows(tmp_path / "m")  # the sample taken at finish()
    assert last["system/proc.memory.rssMB"] > 300 and last["system/proc.cpu.threads"] >= 1
    assert last["_runtime"] > 0 and "_step" not in last
    del blob


def test_a_ctrl_c_is_the_runs_to_handle(tmp_path):
    """Ctrl-C reaches the terminal's whole process group; it reached the sampling process too, which died
    (a warning at finish(), no last sample) when it came before it ignored the signal."""
    proc = start(tmp_path, """
        import sys, time, reportgen
        reportgen.init(project="p", id="c", dir="runs", settings={"x_stats_sampling_interval": 60})
        print("ready", flush=True)
        for _ in range(600):  # short sleeps: a signal landing on another thread does not cut a long one short
            time.sleep(0.1)
    """, start_new_session=True)  # a process group of its own, as a terminal gives a command
    assert proc.stdout.readline().strip() == b"ready"
    sampler = sampling_process(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode in (1, 130, -signal.SIGINT) and b"KeyboardInterrupt" in err, err
    assert b"lost data" not in err, err
    assert ended(sampler)
    assert meta(tmp_path / "runs" / "c")["state"] == "crashed"
    (last,) = rows(tmp_path / "runs" / "c")  # the sample taken at finish()
    assert last["system/proc.memory.rssMB"] > 0


def test_a_killed_sampling_process_is_told_at_finish(tmp_path):
    run = reportgen.init(project="p", id="x", dir=tmp_path, settings={**QUIET, "x_stats_sampling_interval": 60})
    sampler = psutil.Process(run._services.sampler.pid)
    sampler.kill()  # (not waited for here: psutil would reap it, leaving the run no exit code to read)
    with pytest.warns(UserWarning, match=r"system metrics lost data: the sampling process \(pid \d+\) ended "
                                         r"with exit code -9, no report"):
        run.finish()
    assert meta(tmp_path / "x")["state"] == "finished"


def meta(folder: Path) -> dict:
    return json.loads((folder / "run.json").read_text())


@pytest.mark.parametrize("exe", ["embedding program", "unrunnable python"])
def test_a_thread_samples_where_no_sampling_process_starts(tmp_path, exe):
    """sys.executable is not a Python interpreter (Blender, uWSGI): no process is started, a thread samples.
    Or it names a Python that cannot run (here a file that may not be executed): starting the sampling
    process fails with an OSError, and a thread samples too. That fallback was silent, which left a CI
    run's pause in the rows unexplained; init() now warns once, naming the error."""
    fake = tmp_path / "python3"
    fake.write_text("not a program")
    fake.chmod(0o644)
    proc = start(tmp_path, f"""
        import sys, time, psutil, reportgen
        sys.executable = {"/usr/bin/blender" if exe == "embedding program" else str(fake)!r}
        run = reportgen.init(project="p", id="e", dir="runs", settings={{"x_stats_sampling_interval": 0.05}})
        assert type(run._services.sampler).__name__ == "SystemSampler", run._services.sampler
        assert not [p for p in psutil.Process().children() if "system_process" in " ".join(p.cmdline())]
        t = time.time()
        while open("runs/e/system.jsonl").read().count("\\n") < 2 and time.time() - t < 30:
            time.sleep(0.05)
        run.finish()
    """)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert len(rows(tmp_path / "runs" / "e")) >= 3 and "system/cpu" in rows(tmp_path / "runs" / "e")[-1]
    lines = [x for x in err.decode().splitlines() if "system metrics are sampled by a thread" in x]
    if exe == "embedding program":  # (no interpreter to start: as before, nothing to tell)
        assert lines == [], err
    else:
        assert len(lines) == 1, err
        assert "no sampling process could start (PermissionError: " in lines[0] and str(fake) in lines[0], lines


def test_a_sampling_process_that_cannot_sample_still_reports(tmp_path):
    """A sampling process whose sampler could not be made (here: the process to sample is gone) ended
    while its thread read stdin: the interpreter aborted at exit (exit code -6, 'Fatal Python error:
    _enter_buffered_busy'), so finish() warned of an exit code and no report instead of the error. It
    now ends with its report and exit code 0."""
    import subprocess
    import sys

    from reportgen.sdk.system_process import _BOOT, _ROOT

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    args = {"dir": str(tmp_path), "interval": 0.05, "t0": 0.0, "pid": gone.pid}
    proc = subprocess.Popen([sys.executable, "-c", _BOOT, _ROOT, json.dumps(args)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:  # finish() comes later: the process ends before it is told to
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    out, _ = proc.communicate(b"stop\n", timeout=60)
    assert proc.returncode == 0, out
    report = json.loads(out.decode().splitlines()[-1])
    assert report["samples"] == 0 and "NoSuchProcess" in report["error"]
