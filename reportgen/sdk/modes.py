"""What ``init()`` decides before a run folder exists: mode, runs root, sweep parameters.

- ``mode``: ``"online"``, ``"offline"``, ``"shared"`` (and wandb's old ``"dryrun"``/``"run"``)
  all write a local run folder (reportgen has no server); ``run.offline`` is True for
  ``"offline"``/``"dryrun"``. ``"disabled"`` writes nothing and returns a :class:`DisabledRun`.
  The mode comes from ``init(mode=...)``, else ``settings.mode``, else ``$REPORTGEN_MODE``,
  else ``$WANDB_MODE`` (``$WANDB_DISABLED=true`` means disabled, as transformers sets it).
- The runs root must be writable: an unwritable ``dir`` warns and falls back to
  ``$REPORTGEN_DIR`` / ``./runs``, then to ``<tmp>/reportgen-runs``.
- Sweeps: ``$REPORTGEN_SWEEP_CONFIG`` (or wandb's ``$WANDB_SWEEP_PARAM_PATH``) names a
  JSON (or YAML) file of parameters, ``{"lr": 0.1}`` or wandb's ``{"lr": {"value": 0.1}}``;
  they are merged into ``run.config`` and win over the config given to ``init()``, as in
  a wandb sweep. ``run.sweep_id`` comes from ``$REPORTGEN_SWEEP_ID`` / ``$WANDB_SWEEP_ID``.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..storage import format as fmt
from .values import user_warn

MODES = ("online", "offline", "disabled", "shared", "dryrun", "run")
OFFLINE_MODES = ("offline", "dryrun")
SWEEP_ENV = ("REPORTGEN_SWEEP_CONFIG", "WANDB_SWEEP_PARAM_PATH")


def init_mode(mode: Any = None, settings: Any = None) -> str:
    if mode is None and settings is not None:
        mode = settings.get("mode") if isinstance(settings, dict) else getattr(settings, "mode", None)
    if mode is None:
        mode = os.environ.get("REPORTGEN_MODE") or os.environ.get("WANDB_MODE") or None
        if mode is None and os.environ.get("WANDB_DISABLED", "").lower() in ("true", "1", "yes"):
            mode = "disabled"
    if mode is None:
        return "online"
    if mode not in MODES:
        raise ValueError(f"init(): mode: expected 'online', 'offline' or 'disabled', got {mode!r}")
    return mode


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def writable_root(dir: Any) -> Path:
    """The runs root for ``init(dir=...)``; falls back (with a warning) when it is not writable."""
    root = fmt.resolve_root(dir)
    if _writable(root):
        return root
    fallbacks = [fmt.resolve_root(None), Path(tempfile.gettempdir()) / "reportgen-runs"]
    for candidate in fallbacks:
        if candidate != root and _writable(candidate):
            user_warn(f"init(): dir {str(root)!r} is not writable; writing the run under {str(candidate)!r}")
            return candidate
    raise PermissionError(f"init(): dir {str(root)!r} is not writable, and neither is any fallback")


def sweep_params() -> dict[str, Any]:
    """The parameters of the sweep this process runs in ({} outside a sweep): the file named by
    ``$REPORTGEN_SWEEP_CONFIG`` / ``$WANDB_SWEEP_PARAM_PATH``, read as a config file (sdk/config.py)."""
    from ..errors import ConfigError
    from .config import read_config_file

    for var in SWEEP_ENV:
        path = os.environ.get(var)
        if path:
            try:
                return read_config_file(path, argument=f"${var} (the sweep parameters file)")
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
    return {}


def sweep_id() -> str | None:
    return os.environ.get("REPORTGEN_SWEEP_ID") or os.environ.get("WANDB_SWEEP_ID") or None


class _NoOp:
    """A callable that does nothing and returns None (any method of a disabled run)."""

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        return None


class DisabledRun:
    """What ``init(mode="disabled")`` returns: every method is a no-op, nothing is written.

    ``config`` and ``summary`` still work as plain in-memory mappings, so code that reads
    back what it set keeps working; the object pickles.
    """

    disabled = True
    offline = False
    resumed = False
    sweep_id = None
    entity = ""
    url = None
    group = None
    job_type = None
    notes = None
    step = 0

    def __init__(self, *, project: str | None = None, name: str | None = None, id: str | None = None,
                 config: Any = None, tags: Any = None, **ignored: Any):
        from .config import Config, config_to_dict

        self.id = id or fmt.new_run_id()
        self.name = name or "dummy-" + self.id
        self.project = project or "uncategorized"
        self.tags = list(tags or [])
        swept = sweep_params()
        self.config = Config({**config_to_dict(config), **swept}, locked=dict.fromkeys(swept, "sweep"))
        self.summary: dict[str, Any] = {}
        self.dir = tempfile.gettempdir()
        self.path = f"{self.project}/{self.id}"
        self.settings = {"mode": "disabled"}

    def log(self, data: Any = None, step: Any = None, commit: Any = None, **kwargs: Any) -> None:
        return None

    def finish(self, exit_code: int = 0, **kwargs: Any) -> None:
        from . import run as run_module

        if run_module._current is self:
            run_module._current = None
            run_module._set_module_run(None)

    def save(self, *args: Any, **kwargs: Any) -> list[str]:
        return []

    def status(self) -> dict[str, Any]:
        return {"state": "disabled"}

    def __enter__(self) -> "DisabledRun":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.finish()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["config"] = self.config.as_dict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from .config import Config

        state = dict(state)
        config = Config(state.pop("config", None))
        self.__dict__.update(state)
        self.config = config

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _NoOp()

    def __repr__(self) -> str:
        return f"<reportgen.DisabledRun {self.id}>"
