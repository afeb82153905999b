"""A sweep on disk: ``<runs root>/sweeps/<sweep_id>/`` and its shared Optuna study.

```
sweeps/<sweep_id>/
  sweep.json      {"format": 1, "id", "project", "name", "created", "config"} (config with defaults)
  sweep.yaml      the config as given, for people
  optuna.journal  Optuna JournalStorage: one trial per run (params, run id, metric value,
                  values at hyperband bands); shared by every agent
  journal.flock   OS-locked around every append to optuna.journal (see journal.py)
  lock            OS-locked while an agent claims the next run (run_cap, grid points, target)
```
"""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from ..storage import format as fmt
from ..storage.jsonio import read_json, write_json_atomic
from ..tell import say
from . import config as sweep_config
from . import journal as sweep_journal
from .params import grid_space, grid_values, nest, suggest, suggest_grid

SWEEPS_DIR = "sweeps"
SWEEP_JSON = "sweep.json"
JOURNAL = sweep_journal.JOURNAL


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ImportError("sweeps need Optuna: pip install 'reportgen[sweeps]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no per-trial INFO lines on stderr
    return optuna


def sweep_dir(root: Path, sweep_id: str) -> Path:
    return Path(root) / SWEEPS_DIR / sweep_id


def parse_sweep_id(sweep_id: Any) -> str:
    """``abc123``, ``project/abc123`` or ``entity/project/abc123`` (wandb's forms) → ``abc123``."""
    if not isinstance(sweep_id, str) or not sweep_id.strip():
        raise ValueError(f"sweep_id: expected a sweep id string, got {sweep_id!r}")
    return fmt.validate_run_id(sweep_id.strip().rstrip("/").split("/")[-1])


class Job:
    def __init__(self, trial: Any, params: dict[str, Any], run_id: str):
        self.trial, self.params, self.run_id = trial, params, run_id


class SweepStore:
    def __init__(self, root: Path, sweep_id: str):
        self.root = Path(root)
        self.id = sweep_id
        self.dir = sweep_dir(self.root, sweep_id)
        meta = read_json(self.dir / SWEEP_JSON)
        if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
            raise ValueError(f"{self.dir / SWEEP_JSON}: not a sweep file (expected an object with 'config')")
        self.meta = meta
        self.config = sweep_config.validate(meta["config"])
        self.params = sweep_config.parameters(self.config)
        self.metric = self.config.get("metric")
        self._study = None

    # -- creation ------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, config: dict[str, Any], project: str | None = None) -> "SweepStore":
        checked = sweep_config.validate(config)
        _optuna()  # fail now, not in the agent, when the extra is missing
        root = Path(root)
        for _ in range(100):
            sweep_id = fmt.new_run_id()
            folder = sweep_dir(root, sweep_id)
            try:
                folder.mkdir(parents=True)
                break
            except FileExistsError:
                continue
        else:  # pragma: no cover
            raise RuntimeError(f"could not create a sweep folder in {root / SWEEPS_DIR}")
        import yaml

        (folder / "sweep.yaml").write_text(yaml.safe_dump(dict(config), sort_keys=False), encoding="utf-8")
        write_json_atomic(folder / SWEEP_JSON, {
            "format": 1, "id": sweep_id, "project": project or checked.get("project"),
            "name": checked.get("name") or sweep_id, "created": time.time(), "config": checked})
        store = cls(root, sweep_id)
        store.study()  # create the study so agents only ever load it
        return store

    @classmethod
    def open(cls, root: Path, sweep_id: str) -> "SweepStore":
        sweep_id = parse_sweep_id(sweep_id)
        if not (sweep_dir(root, sweep_id) / SWEEP_JSON).is_file():
            raise ValueError(f"sweep_id: no sweep {sweep_id!r} in {Path(root) / SWEEPS_DIR} "
                             "(create it with reportgen.sweep(config) or 'reportgen sweep CONFIG.yaml')")
        return cls(root, sweep_id)

    @property
    def project(self) -> str | None:
        return self.meta.get("project")

    # -- Optuna ------------------------------------------------------------------------
    def _sampler(self):
        optuna = _optuna()
        method = self.config["method"]
        if method == "grid":
            space = grid_space(self.params)
            if not space:
                return optuna.samplers.RandomSampler()

            class Grid(optuna.samplers.GridSampler):
                def after_trial(self, *args, **kwargs):  # the agent ends a done grid (done_reason);
                    pass  # Optuna's own Study.stop() fails outside Study.optimize

            return Grid(space)
        if method == "bayes":
            return optuna.samplers.TPESampler()
        return optuna.samplers.RandomSampler()

    def study(self):
        if self._study is None:
            optuna = _optuna()
            from optuna.storages import JournalStorage

            journal = self.dir / JOURNAL
            backend = sweep_journal.backend(self.dir)  # NotRegularFile (naming it) for a link or a pipe
            note = sweep_journal.optuna_lock_note(self.dir, self.id)
            if note:
                say(note, err=True)
            goal = (self.metric or {}).get("goal", "minimize")
            sampler = self._sampler()  # (outside the try: a bad sampler is no unreadable journal)
            try:
                storage = JournalStorage(backend)
                self._study = optuna.create_study(storage=storage, study_name=self.id, sampler=sampler,
                                                  direction=goal, load_if_exists=True)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:  # not Optuna's journal lines
                raise ValueError(f"sweep {self.id}: {journal} cannot be read as an Optuna journal "
                                 f"({type(exc).__name__}: {str(exc)[:200]})") from None
        return self._study

    def grid_size(self) -> int | None:
        if self.config["method"] != "grid":
            return None
        return math.prod(len(grid_values(p)) for p in self.params)

    def lock(self) -> sweep_journal.JournalLock:
        """An exclusive lock across processes (released by the OS if the holder dies), on the regular
        file ``lock``: never through a link (a shared folder's ``lock`` linked to a missing file outside
        made that file), NotRegularFile naming it otherwise. Held in a ``with`` block."""
        return sweep_journal.JournalLock(self.dir / "lock")

    # -- claiming and closing runs ----------------------------------------------------------
    def done_reason(self, trials: list[Any]) -> str | None:
        cap = self.config.get("run_cap")
        if cap is not None and len(trials) >= cap:
            return f"run_cap {cap} reached"
        size = self.grid_size()
        if size is not None and len(trials) >= size:
            return f"grid search done ({size} points)"
        target = (self.metric or {}).get("target")
        if target is not None:
            maximize = self.metric["goal"] == "maximize"
            for t in trials:
                v = t.value if t.state.name == "COMPLETE" else None
                if v is not None and (v >= target if maximize else v <= target):
                    return f"metric target {target} reached by run {t.user_attrs.get('run_id')}"
        return None

    def next_job(self) -> tuple[Job | None, str | None]:
        """Claim the next run: its parameters and run id, or (None, why the sweep is done)."""
        study = self.study()
        with self.lock():
            trials = study.get_trials(deepcopy=False)
            reason = self.done_reason(trials)
            if reason is not None:
                return None, reason
            trial = study.ask()
            draw = suggest_grid if self.config["method"] == "grid" else suggest
            params = nest({p.path: draw(trial, p) for p in self.params})
            run_id = fmt.new_run_id()
            while (self.root / run_id).exists():  # pragma: no cover - 36**8 ids
                run_id = fmt.new_run_id()
            trial.set_user_attr("run_id", run_id)
            trial.set_user_attr("params", params)
        return Job(trial, params, run_id), None

    def finish_job(self, job: Job, run_state: str, early_terminated: bool, summary: dict[str, Any]) -> None:
        """Record how the run ended; its metric value (from its summary) feeds the sampler."""
        from optuna.trial import TrialState

        study = self.study()
        job.trial.set_user_attr("run_state", run_state)
        job.trial.set_user_attr("early_terminated", early_terminated)
        value = metric_value(summary, self.metric["name"], self.metric["goal"]) if self.metric else None
        if early_terminated:
            study.tell(job.trial, state=TrialState.PRUNED)
        elif run_state == "finished" and value is not None:
            study.tell(job.trial, value)
        else:
            study.tell(job.trial, state=TrialState.FAIL)

    def record_band(self, job: Job, band: int, value: float) -> None:
        job.trial.report(value, band)

    def values_at_band(self, band: int) -> list[float]:
        return [t.intermediate_values[band] for t in self.study().get_trials(deepcopy=False)
                if band in t.intermediate_values]


def metric_value(summary: dict[str, Any], name: str, goal: str = "minimize") -> float | None:
    """The summary's value of ``name`` (a key, or a dotted path into nested dicts) if finite.

    A ``define_metric(summary=...)`` summary (``{"min": .., "max": .., "last": ..}``) gives
    its ``best``, else ``min``/``max`` by the goal, else ``last``.
    """
    value: Any = summary.get(name)
    if value is None and "." in name:
        value = summary
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, dict):
        for key in ("best", "max" if goal == "maximize" else "min", "last"):
            if key in value:
                value = value[key]
                break
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)
