"""The rest of wandb's ``Run`` surface: ``dir``, ``url``, ``save``, ``define_metric``, ``watch``...

Kept apart from :mod:`reportgen.sdk.run` (which owns the folder and the log path);
:class:`reportgen.sdk.run.Run` inherits these.
"""
from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..storage import format as fmt
from ..storage.safety import NotRegularFile, open_regular, own_dir, write_own
from .values import user_warn

#: folders never copied by ``log_code()``
_CODE_SKIP = {".git", "__pycache__", "node_modules", "site-packages", "wandb", ".venv", "venv", ".tox", ".mypy_cache"}
_CODE_MAX_FILES = 1000


class RunDir(str):
    """``run.dir``: the run's ``files/`` folder as a string (wandb's ``run.dir``).

    For code written against earlier reportgen versions, ``run.dir / "name"`` still
    means a path in the run folder (use ``run.folder / "name"``).
    """

    folder: Path

    def __new__(cls, files: Path, folder: Path) -> "RunDir":
        obj = super().__new__(cls, str(files))
        obj.folder = folder
        return obj

    def __truediv__(self, other: Any) -> Path:
        return self.folder / other


@dataclass
class RunStatus:
    """``run.status()``: nothing is ever pending (there is no upload)."""
    state: str
    step: int
    sync_items_total: int = 0
    sync_items_pending: int = 0
    sync_time: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class RunExtras:
    """Mixin for :class:`reportgen.sdk.run.Run` (uses ``folder``, ``history``, ``_writer``...)."""

    _mode = "online"
    _entity: str | None = None
    _labels: dict[str, Any] | None = None
    _sweep_id: str | None = None
    _pinned: list[str] | None = None  # pin_config_keys()

    # -- where things are ------------------------------------------------------------
    @property
    def dir(self) -> RunDir:
        files = (self._place_now() / fmt.FILES_DIR).absolute()  # (a moved folder's place now: storage.moved)
        try:
            own_dir(self.folder, fmt.FILES_DIR)
        except NotRegularFile as exc:  # a shared run folder's files/ linked to ~: files written there leave it
            if not self.__dict__.get("_dir_warned"):
                self.__dict__["_dir_warned"] = True
                user_warn(f"run.dir: {exc}")
        except OSError:
            pass
        return RunDir(files, self.folder)

    @property
    def url(self) -> str:
        """A ``file://`` URL of the run folder (there is no server)."""
        return self.folder.resolve().as_uri()

    def get_url(self) -> str:
        return self.url

    def get_project_url(self) -> str:
        return self.root.resolve().as_uri()

    def get_sweep_url(self) -> str | None:
        return None

    @property
    def project_url(self) -> str:
        return self.get_project_url()

    @property
    def sweep_url(self) -> str | None:
        return self.get_sweep_url()

    @property
    def sync_dir(self) -> str:
        """The run folder (wandb: the folder ``wandb sync`` takes)."""
        return str(self.folder)

    @property
    def starting_step(self) -> int:
        """The step of the first row this process logs (0, or where a resumed run went on)."""
        return getattr(self, "_starting_step", 0)

    @property
    def config_static(self):
        """A read-only copy of the config, by attribute or item (wandb's ``ConfigStatic``)."""
        from .config import ConfigStatic

        return ConfigStatic(self.config.as_dict())

    def pin_config_keys(self, keys: Any = ()) -> None:
        """wandb pins these keys on its run page; kept in run.json ``pinned_config`` (the site does not
        show them apart yet). Calling it again replaces the list."""
        if isinstance(keys, str) or not all(isinstance(k, str) for k in keys):
            raise TypeError(f"pin_config_keys(): keys: expected a list of config keys, got {keys!r}")
        self._pinned = list(keys)
        self._writer.update_meta(pinned_config=self._pinned)

    def project_name(self) -> str:
        return self.project

    @property
    def entity(self) -> str:
        if self._entity:
            return self._entity
        try:
            return getpass.getuser()
        except Exception:  # noqa: BLE001 - no user name in some containers
            return ""

    @property
    def offline(self) -> bool:
        return self._mode in ("offline", "dryrun")

    @property
    def disabled(self) -> bool:
        return False

    @property
    def sweep_id(self) -> str | None:
        return self._sweep_id

    @property
    def start_time(self) -> float:
        return self._created

    @property
    def settings(self) -> Any:
        from .term import Settings

        return Settings(mode=self._mode, project=self.project, entity=self.entity, run_id=self.id,
                        run_name=self.name, run_group=self.group, run_job_type=self.job_type,
                        run_tags=tuple(self.tags), run_notes=self.notes, root_dir=str(self.root),
                        files_dir=str(self.dir), sync_dir=str(self.folder), resumed=self.resumed,
                        sweep_id=self._sweep_id, disabled=False, offline=self.offline)

    def status(self) -> RunStatus:
        return RunStatus(state="finished" if self._finished else "running", step=self.history.step)

    # -- files -----------------------------------------------------------------------
    def save(self, glob_str: Any, base_path: Any = None, policy: str = "live", *, name: str | None = None) -> list[str]:
        """Keep files with the run (see :mod:`reportgen.sdk.save`); returns the copies' paths."""
        from .save import Saver

        self._place_now()
        saver = self.__dict__.get("_saver")
        if saver is None:
            saver = self.__dict__["_saver"] = Saver(self.folder / fmt.FILES_DIR, reach=self._writer.folder.reach)
        if self._finished:
            user_warn(f"save(): run {self.id} is finished; save() ignored")
            return []
        return saver.save(glob_str, base_path, policy, name=name)

    def log_code(self, root: Any = ".", name: str | None = None, include_fn: Any = None,
                 exclude_fn: Any = None, **ignored: Any) -> list[str]:
        """Copy the source files under ``root`` (``*.py`` by default) to ``files/code/``."""
        base = Path(os.fspath(root)).resolve()
        runs_root = self.root.resolve()
        include = include_fn or (lambda path, root=None: path.endswith(".py"))
        copied: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if d not in _CODE_SKIP and not d.startswith(".")
                                 and (here / d).resolve() != runs_root)
            for fname in sorted(filenames):
                path = str(here / fname)
                if not _call(include, path, str(base)) or (exclude_fn and _call(exclude_fn, path, str(base))):
                    continue
                if len(copied) >= _CODE_MAX_FILES:
                    user_warn(f"log_code(): more than {_CODE_MAX_FILES} files under {str(base)!r}; the rest skipped")
                    return copied
                rel = (here / fname).relative_to(base)
                try:
                    fin = open_regular(path)  # (a named pipe among the sources would wait for ever)
                except OSError as exc:
                    user_warn(f"log_code(): {exc}; skipped")
                    continue
                dest = PurePosixPath(fmt.FILES_DIR, "code", *rel.parts).as_posix()
                try:  # never through a link in a shared run folder (files/code linked to ~ got the code)
                    with fin:
                        copied.append(str(write_own(self.folder, dest, fin)))
                except OSError as exc:  # (a full disk, a link: never raised into the training script)
                    user_warn(f"log_code(): {exc}; {path!r} and the files after it are not copied")
                    return copied
        return copied

    # -- metrics ---------------------------------------------------------------------
    def define_metric(self, name: str, step_metric: str | None = None, step_sync: bool | None = None,
                      hidden: bool | None = None, summary: Any = None, goal: str | None = None,
                      overwrite: bool | None = None, **ignored: Any) -> dict[str, Any]:
        """wandb's ``define_metric`` (see :mod:`reportgen.sdk.metrics`); stored in run.json ``metrics``."""
        from .metrics import MetricDefs, check_spec

        spec = check_spec(name, step_metric, summary, goal)
        if hidden is not None:
            spec["hidden"] = bool(hidden)
        if step_sync is not None:
            spec["step_sync"] = bool(step_sync)
        self._metrics[name] = {**self._metrics.get(name, {}), **spec}
        if "summary" in spec:
            defs = self.history.metric_defs
            if defs is None:
                defs = MetricDefs(self._metrics)
            else:
                defs.add(name, spec)
            self.history.metric_defs = defs
        self._set_step_sync()
        self._writer.update_meta(metrics=dict(self._metrics))
        return dict(self._metrics[name])

    def _set_step_sync(self) -> None:
        """wandb's step_sync from the definitions (sdk/metrics.py): the last step values carried over,
        or the summary's on a resumed run."""
        from .metrics import StepSync

        old = self.history.step_sync
        sync = StepSync(self._metrics, {**self.history._summary_data, **(old._last if old is not None else {})})
        self.history.step_sync = sync if sync.active else None

    def _restore_metric_defs(self) -> None:
        from .metrics import MetricDefs

        if any(isinstance(s, dict) and "summary" in s for s in self._metrics.values()):
            self.history.metric_defs = MetricDefs(self._metrics)
        self._set_step_sync()

    def watch(self, models: Any, criterion: Any = None, log: str | None = "gradients", log_freq: int = 1000,
              idx: int | None = None, log_graph: bool = False) -> None:
        """Histograms of gradients/parameters every ``log_freq`` steps (see :mod:`reportgen.sdk.watch`)."""
        from .watch import watch

        watch(self, models, criterion, log, log_freq, idx, log_graph)

    def unwatch(self, models: Any = None) -> None:
        from .watch import unwatch

        unwatch(self, models)

    # -- accepted for compatibility ----------------------------------------------------
    def _label(self, code: str | None = None, repo: str | None = None, code_version: str | None = None,
               **kwargs: Any) -> None:
        """Frameworks name themselves here (wandb telemetry); kept in memory only."""
        self._labels = {k: v for k, v in {"code": code, "repo": repo, "code_version": code_version, **kwargs}.items()
                        if v is not None}

    def mark_preempting(self) -> None:
        """wandb tells its server the run may be preempted; a local run needs nothing."""

    # alert() is Run.alert (sdk/alerts.py): recorded, printed, posted to a webhook

    def to_html(self, height: int = 420, hidden: bool = False) -> str:
        import html

        return (f'<div class="reportgen-run">reportgen run <a href="{html.escape(self.url)}">'
                f'{html.escape(self.name)}</a> ({html.escape(self.path)}) in {html.escape(str(self.folder))}</div>')

    def _repr_html_(self) -> str:
        return self.to_html()

    def display(self, height: int = 420, hidden: bool = False) -> bool:
        """In Jupyter, show a link to the run folder; returns False outside a notebook (as wandb)."""
        try:
            from IPython import get_ipython
            from IPython.display import HTML, display
        except ImportError:
            return False
        if get_ipython() is None:
            return False
        display(HTML(self.to_html(height, hidden)))
        return True

    def _finish_extras(self) -> None:
        """At finish: copy ``live``/``end`` files again, remove watch hooks."""
        saver = self.__dict__.get("_saver")
        if saver is not None:
            saver.finish()
        if self.__dict__.get("_watchers"):
            self.unwatch()


def _call(fn: Any, path: str, root: str) -> bool:
    try:
        return bool(fn(path, root))
    except TypeError:
        return bool(fn(path))
