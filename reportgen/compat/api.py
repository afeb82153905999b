"""The functions of the ``wandb`` stand-in module, with wandb's signatures.

Most forward to reportgen as they are. The wandb-specific parts:

- ``init(dir=X)`` means what it means in wandb, "the folder under which to keep run
  data": runs go to ``X/runs/<id>/`` (so ``reportgen build X/runs`` shows them), unless
  ``$REPORTGEN_DIR`` is set (``reportgen run --dir``), which always wins. Without ``dir``,
  ``$WANDB_DIR`` is used the same way, else ``./runs``. Positional arguments follow
  wandb's order.
- ``sweep``/``agent`` run sweeps locally (:mod:`reportgen.sweeps`, docs/sweeps.md).
- Functions that need wandb's server (``controller``, ``restore``...) raise
  :class:`reportgen.errors.UnsupportedError` naming what to do instead.
- Arguments that mean nothing locally are accepted; each is noted once on stderr.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import reportgen
from reportgen.errors import UnsupportedError
from reportgen.sdk import run as _run_module
from reportgen.sdk.term import Settings, termerror, termlog, termwarn

#: wandb.init's parameters in order (positional calls are mapped onto these names)
_INIT_ORDER = ("entity", "project", "dir", "id", "name", "notes", "tags", "config", "config_exclude_keys",
               "config_include_keys", "allow_val_change", "group", "job_type", "mode", "force", "anonymous",
               "reinit", "resume", "resume_from", "fork_from", "save_code", "tensorboard", "sync_tensorboard",
               "monitor_gym", "settings")
#: accepted, noted once, no effect
_NOTED = ("anonymous", "save_code", "sync_tensorboard", "tensorboard", "monitor_gym", "magic", "force",
          "resume_from", "fork_from")
_noted: set[str] = set()


def _note_once(what: str) -> None:
    if what not in _noted:
        _noted.add(what)
        termlog(f"{what} is accepted and has no effect (see docs/coming-from-wandb.md)", repeat=False)


def runs_root(dir: Any) -> Path | None:
    """Where runs of ``wandb.init(dir=dir)`` go; None means reportgen's default (``$REPORTGEN_DIR``/./runs)."""
    if os.environ.get("REPORTGEN_DIR"):
        return None
    base = dir if dir is not None else (os.environ.get("WANDB_DIR") or None)
    if base is None:
        return None
    return Path(os.fspath(base)) / "runs"


def init(*args: Any, **kwargs: Any) -> Any:
    if len(args) > len(_INIT_ORDER):
        raise TypeError(f"init() takes at most {len(_INIT_ORDER)} positional arguments")
    for name, value in zip(_INIT_ORDER, args):
        if name in kwargs:
            raise TypeError(f"init() got multiple values for argument {name!r}")
        kwargs[name] = value
    for name in _NOTED:
        if kwargs.get(name) not in (None, False):
            _note_once(f"wandb.init({name}=...)")
            kwargs.pop(name, None)
    for name in ("resume_from", "fork_from", "tensorboard"):
        kwargs.pop(name, None)
    if not kwargs.get("project"):
        kwargs["project"] = os.environ.get("WANDB_PROJECT") or None
    if kwargs.get("entity") is None and os.environ.get("WANDB_ENTITY"):
        kwargs["entity"] = os.environ["WANDB_ENTITY"]
    for key, env in (("name", "WANDB_NAME"), ("notes", "WANDB_NOTES"), ("group", "WANDB_RUN_GROUP"),
                     ("job_type", "WANDB_JOB_TYPE")):
        if kwargs.get(key) is None and os.environ.get(env):
            kwargs[key] = os.environ[env]
    if kwargs.get("tags") is None and os.environ.get("WANDB_TAGS"):
        kwargs["tags"] = [t for t in os.environ["WANDB_TAGS"].split(",") if t]
    if kwargs.get("id") is None and os.environ.get("WANDB_RUN_ID"):
        kwargs["id"] = os.environ["WANDB_RUN_ID"]
    if kwargs.get("resume") is None and os.environ.get("WANDB_RESUME"):
        kwargs["resume"] = os.environ["WANDB_RESUME"]
    kwargs["dir"] = runs_root(kwargs.get("dir"))
    if isinstance(kwargs.get("tags"), tuple):
        kwargs["tags"] = list(kwargs["tags"])
    return reportgen.init(**kwargs)


log = reportgen.log
finish = reportgen.finish
save = reportgen.save
define_metric = reportgen.define_metric
watch = reportgen.watch
unwatch = reportgen.unwatch
setup = reportgen.setup
teardown = reportgen.teardown
login = reportgen.login


def _run_method(fn: str, *args: Any, **kwargs: Any) -> Any:
    run = _run_module._active(fn)
    method = getattr(type(run), fn, None) if not isinstance(run, reportgen.DisabledRun) else None
    if method is None:
        if isinstance(run, reportgen.DisabledRun):
            return None
        raise UnsupportedError(f"wandb.{fn}() is not available in this reportgen version")
    return getattr(run, fn)(*args, **kwargs)


def log_artifact(*args: Any, **kwargs: Any) -> Any:
    return _run_method("log_artifact", *args, **kwargs)


def use_artifact(*args: Any, **kwargs: Any) -> Any:
    return _run_method("use_artifact", *args, **kwargs)


def log_model(*args: Any, **kwargs: Any) -> Any:
    return _run_method("log_model", *args, **kwargs)


def use_model(*args: Any, **kwargs: Any) -> Any:
    return _run_method("use_model", *args, **kwargs)


def link_model(*args: Any, **kwargs: Any) -> Any:
    return _run_method("link_model", *args, **kwargs)


def mark_preempting() -> None:
    run = reportgen.run
    if run is not None:
        run.mark_preempting()


def alert(title: str, text: str, level: Any = None, wait_duration: Any = None) -> None:
    _run_module._active("alert").alert(title, text, level, wait_duration)


def log_code(*args: Any, **kwargs: Any) -> Any:
    return _run_module._active("log_code").log_code(*args, **kwargs)


def require(*args: Any, **kwargs: Any) -> None:
    """wandb feature flags ("service", "core"...): nothing to switch on locally."""


def _server_only(name: str, instead: str) -> Any:
    def fn(*args: Any, **kwargs: Any) -> Any:
        raise UnsupportedError(f"wandb.{name}() needs the wandb server, which reportgen does not have; {instead}")
    fn.__name__ = name
    fn.__doc__ = f"Raises UnsupportedError: {instead}"
    return fn


def sweep(sweep: Any, entity: str | None = None, project: str | None = None, prior_runs: Any = None) -> str:
    """Create a local sweep (reportgen.sweeps, see docs/sweeps.md) under the runs root; returns its id."""
    from reportgen.sweeps import sweep as local_sweep

    return local_sweep(sweep, entity=entity, project=project, prior_runs=prior_runs, dir=runs_root(None))


def agent(sweep_id: str, function: Any = None, entity: str | None = None, project: str | None = None,
          count: int | None = None) -> None:
    """Run sweep runs locally (reportgen.sweeps.agent, see docs/sweeps.md)."""
    from reportgen.sweeps import agent as local_agent

    local_agent(sweep_id, function=function, entity=entity, project=project, count=count, dir=runs_root(None))


controller = _server_only("controller", "use wandb.agent() or 'reportgen agent SWEEP_ID' (docs/sweeps.md)")
restore = _server_only("restore", "read the file from the run folder (runs/<id>/files/)")
publish_api = _server_only("publish_api", "nothing is published")

#: names forwarded to reportgen when the ``wandb`` module is asked for them
LIVE = ("run", "config", "summary")
SUBMODULES = ("sdk", "helper", "plot", "errors", "data_types", "util", "env", "apis", "integration", "keras",
              "wandb_run")


def module_getattr(name: str) -> Any:
    """``wandb.<name>`` for names the stand-in does not define itself."""
    if name in LIVE:
        return getattr(reportgen, name)
    if name in SUBMODULES:
        return importlib.import_module(f"wandb.{name}")
    if not name.startswith("_"):
        try:
            return getattr(reportgen, name)
        except AttributeError:
            pass
    raise AttributeError(f"module 'wandb' (reportgen's stand-in) has no attribute {name!r}; "
                         "see docs/coming-from-wandb.md")


__all__ = ["init", "log", "finish", "save", "define_metric", "watch", "unwatch", "setup", "teardown", "login",
           "log_artifact", "use_artifact", "log_model", "use_model", "link_model", "mark_preempting", "alert",
           "log_code", "require", "sweep", "agent", "controller", "restore", "termlog", "termwarn", "termerror",
           "Settings"]
