"""A run: one folder of history, config, summary and metadata; ``init``/``log``/``finish``."""
from __future__ import annotations

import os
import platform
import socket
import sys
import time
import weakref
from pathlib import Path
from typing import Any

from ..storage import format as fmt
from ..storage.lock import WriterLock
from ..storage.writer import DEFAULT_FLUSH_INTERVAL, DEFAULT_HEARTBEAT_INTERVAL, RunWriter
from . import signals, state
from .config import Config, config_defaults, config_to_dict, select_keys
from .environment import IGNORED_INIT_ARGS, env_float, git_info, resume_mode
from .services import RunServices
from .settings import resolve as resolve_settings
from .history import History
from .run_extras import RunExtras
from .summary import Summary
from . import remote_run, sweep_hook
from .values import Normalizer, summary_value, user_warn

_current: "Run | None" = None
_started: "weakref.WeakSet[Any]" = weakref.WeakSet()  # the runs init() started (reinit="create_new" leaves them open)




def _now() -> float:
    return time.time()


class Run(RunExtras):
    """One run. Create it with :func:`reportgen.init`."""

    def __init__(self, *, project: str | None = None, name: str | None = None, id: str | None = None,
                 dir: str | os.PathLike | None = None, config: Any = None, group: str | None = None,
                 tags: list[str] | tuple[str, ...] | None = None, notes: str | None = None,
                 resume: Any = None, job_type: str | None = None,
                 flush_interval: float | None = None, heartbeat_interval: float | None = None,
                 save_code_info: bool = True, console: str | None = None, **unknown: Any):
        from . import modes

        self._mode = modes.init_mode(unknown.get("mode"), unknown.get("settings"))
        self._settings = resolve_settings(unknown.get("settings"), console=console)
        self._entity = unknown.get("entity") if isinstance(unknown.get("entity"), str) else None
        unknown_allow = unknown.get("allow_val_change")  # False: a changed config value raises (config.py)
        unknown_include, unknown_exclude = unknown.get("config_include_keys"), unknown.get("config_exclude_keys")
        unknown = {k: v for k, v in unknown.items() if k not in IGNORED_INIT_ARGS}
        if unknown:
            user_warn(f"init(): ignoring unsupported arguments {sorted(unknown)}")
        for arg, value in (("project", project), ("name", name), ("group", group), ("notes", notes),
                           ("job_type", job_type)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"init(): {arg}: expected a string, got {type(value).__name__}")
        if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str) for t in tags)):
            raise TypeError(f"init(): tags: expected a list of strings, got {tags!r}")
        mode = resume_mode(resume)
        if mode in ("allow", "must") and id is None:
            id = os.environ.get("REPORTGEN_RUN_ID") or os.environ.get("WANDB_RUN_ID") or None
            if id is None and mode == "must":
                raise ValueError(f"init(): resume={resume!r} needs id= (the id of the run to continue)")
            # resume="allow" without an id starts a new run, as wandb does
        swept = modes.sweep_params()  # the sweep's choices: kept over any later change (config.py)
        given = select_keys(config_to_dict(config), unknown_include, unknown_exclude)
        config_items = {**config_defaults(), **given, **swept}  # config-defaults.yaml < config= < the sweep's
        self._sweep_id = modes.sweep_id()
        sweep = sweep_hook.from_env() if self._sweep_id else None
        if sweep is not None:  # started by reportgen's sweep agent: its project and reserved run id
            project = project or sweep.project
            if id is None and sweep.run_id and not (fmt.resolve_root(dir) / sweep.run_id).exists():
                id = sweep.run_id
        self._early_terminated = False
        flush_interval = flush_interval if flush_interval is not None else env_float(
            "REPORTGEN_FLUSH_INTERVAL", DEFAULT_FLUSH_INTERVAL)
        heartbeat_interval = heartbeat_interval if heartbeat_interval is not None else env_float(
            "REPORTGEN_HEARTBEAT_INTERVAL", DEFAULT_HEARTBEAT_INTERVAL)

        # storage20: a URL root (or a labelled writer) writes a local staging folder, uploaded as segments
        self._remote, self._uploader, resume_at = remote_run.open_target(dir, self._settings, self._mode), None, None
        # absolute: a program that changes its working folder after init() (os.chdir) split its run, the
        # files written by name (run.json, summary.json, media) going to a new runs/<id> under the new one
        self.root = (self._remote.stage_root if self._remote else modes.writable_root(dir)).absolute()
        if self._remote is not None and id is not None:
            resume_at = self._remote.prepare(fmt.validate_run_id(id))
        self._lock: WriterLock | None = None
        self.id, existing = self._claim_folder(id, mode)
        self.folder = self.root / self.id
        self.resumed = existing is not None

        prev_meta = existing.meta if existing else {}
        if isinstance(prev_meta.get("pinned_config"), list):  # resuming: kept
            self._pinned = [k for k in prev_meta["pinned_config"] if isinstance(k, str)]
        if not self._sweep_id and isinstance(prev_meta.get("sweep_id"), str):  # resuming a sweep run
            self._sweep_id = prev_meta["sweep_id"]
        self.project = project or prev_meta.get("project") or "uncategorized"
        self.name = name or prev_meta.get("name") or self.id
        self.group = group if group is not None else prev_meta.get("group")
        self.job_type = job_type if job_type is not None else prev_meta.get("job_type")
        self.tags = list(tags) if tags is not None else list(prev_meta.get("tags") or [])
        self.notes = notes if notes is not None else prev_meta.get("notes")
        self._created = prev_meta.get("created") or _now()
        self._finished = False
        self._exit_code: int | None = None
        self._signal: str | None = None
        self._metrics: dict[str, Any] = dict(prev_meta.get("metrics") or {})

        self._writer = RunWriter(self.folder, flush_interval=flush_interval, heartbeat_interval=heartbeat_interval,
                                 lock=self._lock)
        self._normalizer = Normalizer(self.folder, reach=self._writer.folder.reach)  # (media: storage.moved)
        prev_config = dict(existing.config) if existing else {}
        self.config = Config({**prev_config, **config_items}, persist=self._writer.write_config,
                             locked=dict.fromkeys(swept, "sweep"),
                             allow_val_change=unknown_allow is not False)
        self._writer.write_config(self.config.as_dict())
        prev_summary = dict(existing.summary) if existing else {}
        self.summary = Summary(prev_summary, self._writer.write_summary,
                               convert=lambda key, value: summary_value(self._normalizer, key, value))
        start_step, runtime_offset = 0, 0.0
        if existing is not None:
            start_step, runtime_offset = self._resume_point(existing)
        self._starting_step = start_step
        self.history = History(self._normalizer, self._writer.append_encoded, self.summary,
                               start_step=start_step, runtime_offset=runtime_offset)
        self._restore_metric_defs()
        self._git = git_info() if save_code_info and not self._settings.disable_git else None
        self._traceback: str | None = None
        # From the console capture on, until the run is registered, a Ctrl-C waits (milliseconds):
        # it used to leave output redirected, so its own traceback never reached the terminal
        with signals.deferred():
            self._services = RunServices(self.folder, self._settings, run_label=f"{self.project}/{self.name}",
                                         t0=lambda: self.history._t0, step=lambda: self.history.step,
                                         git=save_code_info, on_meta=self._meta_collected,
                                         reach=self._writer.folder.reach)
            self._writer.on_moved = self._follow_folder
            try:
                self._write_meta("running", resumed=(prev_meta.get("resumed", 0) + 1) if existing else 0)
                if existing is None:
                    self._writer.write_summary({})
                self._writer.start(periodic=self.summary._persist_if_dirty, often=self.summary._persist_soon)
                if self._remote is not None:
                    self._uploader = self._remote.uploader(self.id, interval=self._settings.x_upload_interval,
                                                           max_bytes=self._settings.x_segment_bytes, resume=resume_at)
                    self._uploader.start()
            except BaseException:  # init() fails (a folder that cannot be written): give the console back
                self._services.close(quick=True)
                self._writer.release()
                raise
            state.register(self)
        if self._sweep_id:
            sweep_hook.created_runs.append(self)

    # -- folder and resume ------------------------------------------------------------------
    def _where(self) -> str:
        """The runs root as the user gave it: the URL for a URL root, not its local staging folder."""
        return self._remote.url if self._remote is not None else str(self.root)

    def _claim_folder(self, run_id: str | None, mode: str | None):
        from ..storage.lastvalues import complete_summary
        from ..storage.reader import read_run, run_status

        if run_id is None:
            for _ in range(100):
                candidate = fmt.new_run_id()
                try:
                    (self.root / candidate).mkdir()
                except FileExistsError:
                    continue
                self._lock = WriterLock(self.root / candidate, candidate)
                return candidate, None
            raise RuntimeError(f"init(): could not create a new run folder in {self._where()}")
        run_id = fmt.validate_run_id(run_id)
        folder = self.root / run_id
        exists = fmt.RunPaths(folder).is_run()
        if exists:
            if mode in ("allow", "must"):
                self._lock = WriterLock(folder, run_id)  # before reading: the previous writer is gone
                existing = read_run(folder, with_history=False, exact_ints=True)  # (written back as they are)
                if run_status(existing.meta) == "running" and self._lock.held:
                    # its writer was killed, whatever process its pid names now (a restarted container
                    # runs as the same pid on the same host): its summary misses the last values
                    existing.summary = complete_summary(existing.summary, {}, fmt.RunPaths(folder).history,
                                                        exact_ints=True)
                elif run_status(existing.meta) == "running":  # no lock on this file system: cannot tell
                    user_warn(f"init(): resuming run {run_id!r}, which still looks alive (pid "
                              f"{existing.meta.get('pid')} on {existing.meta.get('host')}); two writers "
                              "appending to one history interleave their rows")
                return run_id, existing
            raise ValueError(f"init(): id={run_id!r}: a run with this id already exists in {self._where()}; "
                             "pass resume='allow' to continue it, or choose another id")
        if mode == "must":
            raise ValueError(f"init(): resume='must': no run with id={run_id!r} in {self._where()}")
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = WriterLock(folder, run_id)
        return run_id, None

    @staticmethod
    def _resume_point(existing) -> tuple[int, float]:
        from ..storage.reader import iter_history

        last_step, last_runtime = -1, 0.0
        for row in iter_history(fmt.RunPaths(existing.path).history):  # streamed: constant memory
            s = row.get("_step")
            if isinstance(s, int) and not isinstance(s, bool) and s > last_step:
                last_step = s
            r = row.get("_runtime")
            if isinstance(r, (int, float)) and not isinstance(r, bool) and r == r and r > last_runtime:
                last_runtime = float(r)
        return last_step + 1, last_runtime

    # -- metadata ----------------------------------------------------------------------
    def _write_meta(self, state_name: str, exit_code: int | None = None, error: str | None = None,
                    resumed: int | None = None) -> None:
        now = _now()
        meta = {
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "group": self.group,
            "job_type": self.job_type,
            "tags": self.tags,
            "notes": self.notes,
            "state": state_name,
            "created": self._created,
            "updated": now,
            "heartbeat": now,
            "heartbeat_interval": self._writer.heartbeat_interval,
            "exit_code": exit_code,
            "error": error,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "python": platform.python_version(),
            "command": [sys.executable, *sys.argv],
            "git": self._git,
        }
        if self._metrics:
            meta["metrics"] = self._metrics
        if self._sweep_id:
            meta["sweep_id"] = self._sweep_id
        if self._pinned is not None:
            meta["pinned_config"] = self._pinned
        if self._early_terminated:
            meta["early_terminated"] = True
        if self._traceback:
            meta["traceback"] = self._traceback
        if self._signal:
            meta["signal"] = self._signal
        self._services.annotate(meta)
        if resumed is not None:
            meta["resumed"] = resumed
        elif self._writer._meta and "resumed" in self._writer._meta:
            meta["resumed"] = self._writer._meta["resumed"]
        self._writer.write_meta(meta)

    def _meta_collected(self) -> None:
        if not hasattr(self, "_services"):  # collected before init() finished: its run.json includes it
            return
        self._writer.update_meta(**self._services.annotate({"git": self._git}))

    def _follow_folder(self, where: Path) -> None:
        """The run folder left its path (``umount -l``, ``mv``; storage.moved) and is reached at ``where``,
        where its history goes (media, ``save()`` copies, alerts and the console tail always go through its
        descriptor): ``run.folder``, ``run.dir`` name its new place (a checkpoint saved in ``run.dir``
        went to a new folder at the old path, out of the run)."""
        self._moved_to(self._writer.folder.place() or self.folder)

    def _place_now(self) -> Path:
        """``run.folder``, after noticing a move the writer has not noticed yet (at its next flush), and
        following the folder again after another: a script writes in ``run.dir`` by name."""
        self._writer.follow_if_moved()
        if self._writer.moved:
            self._moved_to(self._writer.folder.place() or self.folder)
        return self.folder

    def _moved_to(self, place: Path) -> None:
        if place != self.folder:
            self.folder = place
            saver = self.__dict__.get("_saver")
            if saver is not None:  # (the files saved from the old run.dir, copied again at finish)
                saver.follow(place / fmt.FILES_DIR)

    # -- logging -----------------------------------------------------------------------
    def log(self, data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
        """Log a dict of metrics / media as one step (see docs/sdk.md for ``step`` and ``commit``)."""
        if self._finished:
            user_warn(f"log(): run {self.id} is finished; log() ignored")
            return
        if self._writer.foreign("log()"):
            return
        self.history.log(data, step, commit)
        if self._sweep_id:
            sweep_hook.observe(self, data)  # may raise to stop a run hyperband terminated

    @property
    def step(self) -> int:
        return self.history.step

    @property
    def path(self) -> str:
        return f"{self.project}/{self.id}"

    # -- artifacts (implemented in artifact_run.py) -------------------------------------------
    def log_artifact(self, artifact_or_path: Any, name: str | None = None, type: str | None = None,
                     aliases: Any = None, **kwargs: Any):
        from .artifact_run import log_artifact
        return log_artifact(self, artifact_or_path, name=name, type=type, aliases=aliases, **kwargs)

    def use_artifact(self, artifact_or_name: Any, type: str | None = None, aliases: Any = None, **kwargs: Any):
        from .artifact_run import use_artifact
        return use_artifact(self, artifact_or_name, type=type, aliases=aliases, **kwargs)

    def log_model(self, path: Any, name: str | None = None, aliases: Any = None, **kwargs: Any):
        from .artifact_run import log_model
        return log_model(self, path, name=name, aliases=aliases, **kwargs)

    def use_model(self, name: str) -> str:
        from .artifact_run import use_model
        return use_model(self, name)

    def alert(self, title: str, text: str, level: Any = None, wait_duration: Any = None) -> bool:
        """Record an alert in ``alerts.jsonl``, print it, post it to the webhook if set (docs/sdk.md)."""
        return self._services.alerts.alert(title, text, level, wait_duration)

    def link_model(self, path: Any, registered_model_name: str, name: str | None = None,
                   aliases: Any = None, **kwargs: Any):
        from .artifact_run import link_model
        return link_model(self, path, registered_model_name, name=name, aliases=aliases, **kwargs)

    def link_artifact(self, artifact: Any, target_path: str, aliases: Any = None, **kwargs: Any):
        from .artifact_run import link_artifact
        return link_artifact(self, artifact, target_path, aliases=aliases)

    # -- lifecycle -----------------------------------------------------------------------
    def finish(self, exit_code: int = 0, *, error: str | None = None) -> None:
        """Write the pending row, flush and fsync history, write summary and the final state.

        Never raises over storage: a write that fails is recorded in run.json (``storage``)."""
        global _current
        if self._finished:
            return
        self._finished = True
        state.unregister(self)
        if self._writer.foreign("finish()", warn=False):  # a fork ending: the run is its parent's
            return
        with signals.deferred():  # a SIGTERM now is handled once the run is finished
            try:
                self._finish_extras()
                self.history.flush_pending(timeout=1.0 if self._signal else -1)
            finally:
                self._services.close(quick=bool(self._signal))
                self._writer.close(join_timeout=2.0 if self._signal else 10.0)
                self.summary._save()
                self._exit_code = exit_code
                self._write_meta("finished" if exit_code == 0 else "crashed", exit_code, error)
                self._writer.release()
                if self._uploader is not None:  # storage20: last segments, then the final run.json
                    self._uploader.close(timeout=10.0 if self._signal else None)
                if _current is self:
                    _current = None
                    _set_module_run(None)

    def _finish_from_hook(self, exit_code: int, error: str | None, signal: str | None = None) -> None:
        self._signal = signal or self._signal
        self._traceback = state.last_traceback()
        self.finish(exit_code, error=error)

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.finish(0)
        else:
            code = 130 if issubclass(exc_type, KeyboardInterrupt) else (
                state.exit_code_of(exc.code) if issubclass(exc_type, SystemExit) else 1)
            if code != 0:
                self._traceback = state.format_traceback(exc_type, exc, tb)
            self.finish(code, error=None if code == 0 else f"{exc_type.__name__}: {exc}")

    def __repr__(self) -> str:
        return f"<reportgen.Run {self.project}/{self.id} name={self.name!r}>"


def _set_module_run(run: Run | None) -> None:
    import reportgen
    reportgen.run = run
    reportgen.config = run.config if run is not None else None
    reportgen.summary = run.summary if run is not None else None


REINIT = ("default", "return_previous", "finish_previous", "create_new")


def _reinit(value: Any, settings: Any) -> str:
    """``init(reinit=)`` (or the settings' ``reinit``) as one of :data:`REINIT`, as wandb reads it:
    True is "finish_previous", False and None "default" (which finishes the active run here)."""
    if value is None and settings is not None:
        value = settings.get("reinit") if isinstance(settings, dict) else getattr(settings, "reinit", None)
    if value is None or value is False:
        return "default"
    if value is True:
        return "finish_previous"
    if value not in REINIT:
        raise ValueError(f"init(): reinit: expected True, False or one of {', '.join(map(repr, REINIT))}, "
                         f"got {value!r}")
    return value


def init(**kwargs: Any) -> Run:
    """Start a run (finishing the active one) and make it ``reportgen.run``.

    ``mode="disabled"`` (or ``$WANDB_MODE=disabled``) returns a :class:`DisabledRun` that
    writes nothing; ``reinit="return_previous"`` returns the active run instead of finishing it,
    ``reinit="create_new"`` starts another run and leaves the open ones open (wandb's several
    runs in one process: each logs to its own folder until finished); otherwise every open run
    is finished first.
    """
    global _current
    from .modes import DisabledRun, init_mode

    reinit = _reinit(kwargs.get("reinit"), kwargs.get("settings"))
    if _current is not None and reinit == "return_previous":
        return _current
    mode = init_mode(kwargs.get("mode"), kwargs.get("settings"))
    if reinit != "create_new":  # "default" and "finish_previous": every run init() started, as wandb
        for other in [_current, *(r for r in list(_started) if r is not _current)]:
            if other is not None:
                other.finish()
    _current = DisabledRun(**kwargs) if mode == "disabled" else Run(**kwargs)
    _started.add(_current)
    _set_module_run(_current)
    return _current


def _active(fn: str) -> Run:
    if _current is None:
        from ..errors import PreInitError
        raise PreInitError(f"reportgen.{fn}() called before reportgen.init() (wandb: You must call wandb.init() before {fn}())")
    return _current


def log(data: dict[str, Any], step: int | None = None, commit: bool | None = None, sync: Any = None) -> None:
    _active("log").log(data, step=step, commit=commit)


def finish(exit_code: int | None = None, quiet: Any = None) -> None:
    if _current is not None:
        _current.finish(0 if exit_code is None else exit_code)


def define_metric(name: str, step_metric: str | None = None, **kwargs: Any) -> dict[str, Any]:
    return _active("define_metric").define_metric(name, step_metric, **kwargs)


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> bool:
    """``run.alert()`` of the active run (wandb's ``wandb.alert``)."""
    return _active("alert").alert(title, text, level, wait_duration)


def watch(models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
          idx: int | None = None, log_graph: bool = False) -> None:
    _active("watch").watch(models, criterion, log=log, log_freq=log_freq, idx=idx, log_graph=log_graph)


def unwatch(models: Any = None) -> None:
    _active("unwatch").unwatch(models)


def login(*args: Any, **kwargs: Any) -> bool:
    """Nothing to log in to: runs are local folders. Returns True, as wandb does when logged in."""
    return True


def save(glob_str: str | os.PathLike, base_path: str | os.PathLike | None = None, policy: str = "live",
         *, name: str | None = None) -> list[str]:
    return _active("save").save(glob_str, base_path, policy, name=name)


def setup(settings: Any = None) -> None:
    """wandb starts its service process here; reportgen needs nothing."""
    return None


def teardown(exit_code: int | None = None) -> None:
    """Finish every open run (wandb: shut its service down)."""
    from . import state

    for run in list(state._open_runs):
        run.finish(0 if exit_code is None else exit_code)
