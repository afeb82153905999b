"""``reportgen.agent`` / ``reportgen agent``: claim runs from a sweep and run them.

A ``function=`` agent calls the function in this process once per run, with the run's
parameters handed to ``reportgen.init()`` through :mod:`reportgen.sdk.sweep_hook`.
Without a function, the agent starts the sweep's ``program``/``command`` as a child
process per run. Hyperband stops a function run by raising :class:`RunStopped` from
``log()``, and a command run with SIGTERM (SIGKILL 10 s later). Stopped runs end as
``state: finished`` with ``early_terminated: true`` in run.json.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import time
import traceback
from typing import Any, Callable

from ..sdk import sweep_hook
from ..storage import format as fmt
from ..storage.jsonio import read_json, write_json_atomic
from ..storage.reader import read_history
from ..storage.safety import write_own
from ..tell import say, tell
from . import command as sweep_command
from .hyperband import Monitor
from .store import Job, SweepStore

MAX_INITIAL_FAILURES = 3  # like wandb: an agent whose first runs all fail gives up
POLL_SECONDS = 0.5


class RunStopped(Exception):
    """Raised from ``log()`` in a function run that the sweep's early termination stopped."""


def _monitor(store: SweepStore, job: Job) -> Monitor | None:
    et = store.config.get("early_terminate")
    if not et:
        return None
    return Monitor(et, store.metric["goal"], lambda band, v: store.record_band(job, band, v),
                   store.values_at_band)


@contextlib.contextmanager
def _sweep_env(store: SweepStore, job: Job):
    import json

    # wandb's form: {"lr": {"value": 0.1}}; never through a link planted under its name (refused)
    data = json.dumps({k: {"value": v} for k, v in job.params.items()}).encode("utf-8")
    params_file = write_own(store.dir, f"params-{job.run_id}.json", data, refuse_link=True)
    values = {sweep_hook.SWEEP_ID_ENV: store.id, sweep_hook.PARAMS_FILE_ENV: str(params_file.resolve()),
              sweep_hook.RUN_ID_ENV: job.run_id, fmt.ROOT_ENV: str(store.root)}
    if store.project:
        values[sweep_hook.PROJECT_ENV] = store.project
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        params_file.unlink(missing_ok=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run_function(store: SweepStore, job: Job, function: Callable[[], Any]) -> tuple[str, bool, dict]:
    monitor = _monitor(store, job)
    metric = (store.metric or {}).get("name")

    def observer(run: Any, data: dict) -> None:
        if monitor is None or metric not in data:
            return
        if monitor.observe(data[metric]):
            run._early_terminated = True
            raise RunStopped(f"run {run.id} stopped by the sweep's hyperband early termination")

    sweep_hook.created_runs.clear()
    sweep_hook.set_observer(observer)
    error: str | None = None
    try:
        with _sweep_env(store, job):
            function()
    except RunStopped:
        pass
    except Exception as exc:  # noqa: BLE001 - one failing run does not end the sweep
        say(traceback.format_exc(), err=True, end="", lines=True)  # (its text may hold the sweep's values)
        error = f"{type(exc).__name__}: {exc}"
    finally:
        sweep_hook.set_observer(None)
    runs, sweep_hook.created_runs[:] = list(sweep_hook.created_runs), []
    if not runs:
        tell(f"the function of run {job.run_id} did not call reportgen.init()", "reportgen agent")
        return "crashed", False, {}
    stopped = any(r._early_terminated for r in runs)
    for r in runs:
        if not r._finished:
            r.finish(1 if error else 0, error=error)
    last = runs[-1]
    meta = read_json(last.folder / fmt.RUN_JSON) if (last.folder / fmt.RUN_JSON).exists() else {}
    summary = read_json(last.folder / fmt.SUMMARY_JSON) if (last.folder / fmt.SUMMARY_JSON).exists() else {}
    return (meta.get("state") or "crashed"), stopped, summary if isinstance(summary, dict) else {}


def _run_command(store: SweepStore, job: Job) -> tuple[str, bool, dict]:
    run_dir = store.root / job.run_id
    args_file = store.dir / f"args-{job.run_id}.json"
    cmd = sweep_command.build(store.config, job.params, args_file)
    monitor = _monitor(store, job)
    metric = (store.metric or {}).get("name")
    with _sweep_env(store, job) as values:
        env = {**os.environ, **values}
        tell(f"run {job.run_id}: {' '.join(cmd)}", "reportgen agent")  # (the sweep config's: escaped)
        proc = subprocess.Popen(cmd, env=env)
        offset, stopped = 0, False
        try:
            while True:
                rc = proc.poll()
                if monitor is not None and not stopped:
                    chunk = read_history(run_dir / fmt.HISTORY_JSONL, offset)
                    offset = chunk.end
                    for row in chunk.rows:
                        if metric in row and monitor.observe(row[metric]):
                            stopped = True
                            tell(f"stopping run {job.run_id} (hyperband)", "reportgen agent")
                            proc.terminate()
                            try:
                                proc.wait(10)
                            except subprocess.TimeoutExpired:
                                proc.kill()
                            break
                if rc is not None or stopped:
                    break
                time.sleep(POLL_SECONDS)
            rc = proc.wait()
        except BaseException:
            proc.kill()
            raise
        finally:
            args_file.unlink(missing_ok=True)
    meta_path = run_dir / fmt.RUN_JSON
    meta = read_json(meta_path) if meta_path.is_file() else None
    if isinstance(meta, dict):
        if stopped:  # killed by us: the run itself could not write its final state
            meta.update(state="finished", early_terminated=True, exit_code=0, error=None, updated=time.time())
            meta.pop("signal", None)  # the SDK's SIGTERM handler marked it crashed; the sweep stopped it
            write_json_atomic(meta_path, meta)
        elif meta.get("state") == "running":  # died without finishing (signal, os._exit)
            meta.update(state="crashed", exit_code=rc, updated=time.time())
            write_json_atomic(meta_path, meta)
    elif rc == 0:
        tell(f"run {job.run_id}: the program wrote no run folder in {store.root} "
             "(does it call reportgen.init() without dir=?)", "reportgen agent")
    state = meta.get("state", "crashed") if isinstance(meta, dict) else ("finished" if rc == 0 else "crashed")
    summary_path = run_dir / fmt.SUMMARY_JSON
    summary = read_json(summary_path) if summary_path.is_file() else {}
    return state, stopped, summary if isinstance(summary, dict) else {}


def agent(sweep_id: str, function: Callable[[], Any] | None = None, entity: str | None = None,
          project: str | None = None, count: int | None = None, *, dir: str | os.PathLike | None = None) -> int:
    """Run sweep runs until ``count`` runs are done or the sweep is (grid done, run_cap, target).

    Returns the number of runs this agent ran.
    """
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError(f"agent(): count: expected a positive integer or None, got {count!r}")
    if function is not None and not callable(function):
        raise TypeError(f"agent(): function: expected a callable, got {type(function).__name__}")
    store = SweepStore.open(fmt.resolve_root(dir), sweep_id)
    if function is None and not (store.config.get("program") or store.config.get("command")):
        raise ValueError(f"agent(): sweep {store.id} has no program or command; pass function=")
    done, failures = 0, 0
    while count is None or done < count:
        job, reason = store.next_job()
        if job is None:
            tell(f"sweep {store.id}: {reason}; stopping", "reportgen agent")
            break
        try:
            state, stopped, summary = (_run_function(store, job, function) if function is not None
                                       else _run_command(store, job))
        except BaseException:  # Ctrl-C: the claimed run is over (FAIL), then stop the agent
            store.finish_job(job, "crashed", False, {})
            raise
        store.finish_job(job, state, stopped, summary)
        done += 1
        failures = failures + 1 if state == "crashed" else -1
        if failures >= MAX_INITIAL_FAILURES and failures == done:
            tell(f"the first {failures} runs failed; stopping", "reportgen agent")
            break
    return done
