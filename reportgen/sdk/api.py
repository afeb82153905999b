"""Reading runs back: ``reportgen.Api()``, modelled on ``wandb.Api()``.

    api = reportgen.Api()                      # root: $REPORTGEN_DIR or ./runs
    run = api.run("user/project/run_id")       # or "project/run_id" or "run_id"
    run.history(keys=["loss"], samples=500)    # sampled pandas DataFrame
    for row in run.scan_history(min_step=100): # every row, streamed
        ...
    run.summary["t"] = np.random.random(1000)  # saved as a tensor record
    run.summary.update()                       # persisted (atomic write)

Everything goes through :mod:`reportgen.storage.reader`; problems found while
reading (a torn last line, a bad line) are reported with ``warnings.warn``.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..storage import format as fmt
from ..storage.jsonio import read_json, write_json_atomic
from ..storage.format import flatten
from ..storage.reader import iter_history, list_run_dirs, read_meta, run_status, without_deep_keys
from ..storage.lastvalues import complete_summary
from ..storage.safety import (MAX_LINE, NOT_REGULAR, FileTooBig, NotRegularFile, is_inside, linked_out,
                              open_regular, printable, write_own)
from .summary import Summary
from .values import Normalizer, summary_value


def sample_indices(n: int, samples: int) -> list[int]:
    """``samples`` indices spread evenly over ``range(n)``, first and last included (deterministic)."""
    if samples <= 0 or n <= 0:
        return []
    if n <= samples:
        return list(range(n))
    if samples == 1:
        return [n - 1]
    return sorted({round(i * (n - 1) / (samples - 1)) for i in range(samples)})


def _warn(problems: list[str]) -> None:
    for p in problems:  # (they name folders, files and ids of a shared root: no terminal escapes printed)
        warnings.warn(printable(f"reportgen.Api: {p}"), stacklevel=3)


@dataclass
class File:
    """A file inside a run folder (``run.files()``)."""

    name: str  # path relative to the run folder, with '/'
    path: Path
    size: int

    def download(self, root: str | os.PathLike = ".", replace: bool = False) -> Path:
        """Copy the file to ``root/name``; refuses to overwrite unless ``replace=True``.

        Written as the SDK writes run files (:func:`write_own`): a folder on the way that is a link is
        refused (NotRegularFile), a link under the name is replaced, never written through."""
        target = Path(root) / self.name
        if os.path.lexists(target) and not replace:  # (a broken link too: it would be written through)
            raise FileExistsError(f"download(): {target} exists; pass replace=True to overwrite it")
        with open_regular(self.path) as fin:  # (a pipe swapped in after files() listed it: never blocks)
            return write_own(root, self.name, fin)


class ApiRun:
    """A run read back from its folder. ``summary`` is mutable and persists on change."""

    def __init__(self, path: Path):
        self.dir = Path(path)
        self._paths = fmt.RunPaths(self.dir)
        self.meta, problems = read_meta(self.dir, exact_ints=True)  # (ints as wandb's Api gives them, as below)
        _warn([p for p in problems if "missing" not in p])
        self.id: str = str(self.meta.get("id") or self.dir.name)
        self.name: str = str(self.meta.get("name") or self.id)
        self.project: str = str(self.meta.get("project") or "uncategorized")
        self.group = self.meta.get("group")
        tags = self.meta.get("tags")
        self.tags: list[str] = [str(t) for t in tags] if isinstance(tags, list) else []
        self.notes = self.meta.get("notes")
        self.config: dict[str, Any] = self._read_dict(self._paths.config_json)
        normalizer = Normalizer(self.dir)
        self.summary = Summary(complete_summary(self._read_dict(self._paths.summary_json), self.meta,
                                                self._paths.history, exact_ints=True),
                               lambda data: write_json_atomic(self._paths.summary_json, data),
                               convert=lambda key, value: summary_value(normalizer, key, value))

    def _read_dict(self, path: Path) -> dict[str, Any]:
        if not path.exists():
            return {}
        if linked_out(path):
            _warn([f"{path}: a link to a file outside the run folder (not read)"])
            return {}
        try:
            data = read_json(path, max_bytes=MAX_LINE, exact_ints=True)  # a few KB normally; ints as wandb's Api gives them
        except NotRegularFile:
            _warn([f"{path} {NOT_REGULAR}"])
            return {}
        except FileTooBig:
            _warn([f"{path}: larger than {MAX_LINE >> 20} MiB; not read"])
            return {}
        except (OSError, ValueError) as exc:
            _warn([f"{path}: unreadable ({exc.__class__.__name__})"])
            return {}
        if not isinstance(data, dict):
            return {}
        said: list[str] = []
        data = without_deep_keys(data, str(path), said)
        _warn(said)
        return data

    @property
    def state(self) -> str:
        """``running``, ``finished``, ``crashed`` or ``stale`` (running with an old heartbeat)."""
        return run_status(self.meta)

    @property
    def path(self) -> list[str]:
        return [self.project, self.id]

    def __repr__(self) -> str:
        return f"<ApiRun {self.project}/{self.id} ({self.state})>"

    # -- artifacts (wandb's Run.logged_artifacts / used_artifacts) ------------------------
    def logged_artifacts(self, per_page: int = 100) -> list:
        """The artifact versions this run logged, in the order it logged them."""
        return self._artifacts("logged")

    def used_artifacts(self, per_page: int = 100) -> list:
        """The artifact versions this run used (``use_artifact``)."""
        return self._artifacts("used")

    def _artifacts(self, kind: str) -> list:
        from .artifact_run import RUN_ARTIFACTS_JSON, api_artifact

        data = self._read_dict(self.dir / RUN_ARTIFACTS_JSON)
        items = data.get(kind) if isinstance(data.get(kind), list) else []
        found = []
        for item in items:
            if not isinstance(item, dict):
                continue
            ref = f"{item.get('name')}:{item.get('version')}"
            try:
                found.append(api_artifact(self.dir.parent, ref))
            except (ValueError, OSError) as exc:
                _warn([f"{self.dir.name}: artifact {ref!r} listed in {RUN_ARTIFACTS_JSON} cannot be read ({exc})"])
        return found

    # -- history ------------------------------------------------------------------------
    def _rows(self) -> Iterator[dict[str, Any]]:
        problems: list[str] = []
        yield from iter_history(self._paths.history, warnings=problems, exact_ints=True)
        _warn(problems)

    def scan_history(self, keys: list[str] | None = None, min_step: int | None = None,
                     max_step: int | None = None, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every row with ``min_step <= _step < max_step`` (as wandb), streamed from disk.

        Nested dicts are flattened to ``a/b`` keys. With ``keys``, each row has
        ``_step`` plus those keys, and rows lacking all of them are skipped.
        """
        keys = _check_keys(keys)
        for row in self._rows():
            step = row.get("_step")
            if min_step is not None and (not isinstance(step, int) or step < min_step):
                continue
            if max_step is not None and (not isinstance(step, int) or step >= max_step):
                continue
            flat = flatten(row)
            if keys is None:
                yield flat
                continue
            if not any(k in flat for k in keys):
                continue
            out = {"_step": step}
            out.update({k: flat.get(k) for k in keys})
            yield out

    def history(self, keys: list[str] | None = None, samples: int = 500, x_axis: str = "_step",
                pandas: bool = True):
        """Up to ``samples`` rows spread evenly over the run (first and last kept).

        Rows need ``x_axis`` and, with ``keys``, at least one of the keys; columns are
        ``x_axis`` then the keys (all keys when None). ``pandas=False`` returns a list of dicts.
        """
        keys = _check_keys(keys)
        if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
            raise ValueError(f"history(): samples: expected a positive integer, got {samples!r}")
        rows = []
        for row in self._rows():
            flat = flatten(row)
            if x_axis not in flat:
                continue
            if keys is None:
                rows.append(flat)
            elif any(k in flat for k in keys):
                out = {x_axis: flat[x_axis]}
                out.update({k: flat.get(k) for k in keys if k != x_axis})
                rows.append(out)
        rows = [rows[i] for i in sample_indices(len(rows), samples)]
        if not pandas:
            return rows
        import pandas as pd

        columns = None
        if keys is not None:
            columns = [x_axis, *[k for k in keys if k != x_axis]]
        return pd.DataFrame(rows, columns=columns)

    # -- files --------------------------------------------------------------------------
    def files(self) -> list[File]:
        """Every file of the run folder (run.json, history, summary, media/..., files/...), sorted."""
        out, outside = [], []
        for p in sorted(self.dir.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                if p.is_symlink() and not is_inside(self.dir, p):
                    outside.append(p.relative_to(self.dir).as_posix())  # a shared run folder's link to ~/.ssh/id_rsa
                    continue
                out.append(File(p.relative_to(self.dir).as_posix(), p, p.stat().st_size))
        if outside:
            _warn([f"run {self.id}: {len(outside)} file(s) are links to files outside the run folder; not listed: "
                   + ", ".join(repr(n) for n in outside[:5]) + (" ..." if len(outside) > 5 else "")])
        return out

    def file(self, name: str) -> File:
        for f in self.files():
            if f.name == name:
                return f
        raise FileNotFoundError(f"file(): run {self.id} has no file {name!r}")


def _check_keys(keys: Any) -> list[str] | None:
    if keys is None:
        return None
    if isinstance(keys, str):
        return [keys]
    keys = list(keys)
    if not all(isinstance(k, str) for k in keys):
        raise TypeError(f"keys: expected a list of strings, got {keys!r}")
    return keys


class Api:
    """Read (and annotate) the runs under one root folder."""

    def __init__(self, root: str | os.PathLike | None = None, overrides: dict | None = None, **_: Any):
        from ..storage.remote import resolve_runs  # storage20: a URL root is read from a synced local copy
        from ..tell import waiting_line

        self._warnings: list[str] = []
        self.root = resolve_runs(root, warnings=self._warnings, waiting=waiting_line)

    def runs(self, project: str | None = None, filters: dict[str, Any] | None = None,
             order: str | None = None) -> list[ApiRun]:
        """Runs under the root, optionally of one ``project`` (``"entity/project"`` accepted).

        ``filters`` maps a field to the wanted value: ``state``, ``name``, ``group``, ``tags``
        (the run has that tag), ``config.<key>`` or ``summary.<key>`` (``a/b`` for nested keys).
        ``order``: a field such as ``"created"`` or ``"-summary.acc"`` (``-`` = descending).
        """
        if project is not None and "/" in project:
            project = project.split("/")[-1]
        problems: list[str] = []
        runs = []
        for p in list_run_dirs(self.root, problems):
            try:
                runs.append(ApiRun(p))
            except Exception as exc:  # readers never raise on a run folder: warn, skip it, go on
                problems.append(f"skipped run folder {p.name!r} ({exc.__class__.__name__}: {exc})")
        _warn(problems)
        if project is not None:
            runs = [r for r in runs if r.project == project]
        for field, wanted in (filters or {}).items():
            runs = [r for r in runs if _matches(r, field, wanted)]
        if order:
            desc = order.startswith("-")
            field = order.lstrip("-+")
            present = [r for r in runs if _field(r, field) is not None]
            missing = [r for r in runs if _field(r, field) is None]
            present.sort(key=lambda r: _sort_key(_field(r, field)), reverse=desc)
            runs = present + missing
        return runs

    def run(self, path: str) -> ApiRun:
        """``"entity/project/run_id"``, ``"project/run_id"`` or ``"run_id"`` (the entity is ignored)."""
        if not isinstance(path, str) or not path.strip("/"):
            raise ValueError(f"run(): path: expected 'entity/project/run_id', 'project/run_id' or 'run_id', got {path!r}")
        parts = path.strip("/").split("/")
        if len(parts) > 3:
            raise ValueError(f"run(): path {path!r}: expected at most entity/project/run_id")
        run_id = parts[-1]
        if run_id == "runs" and len(parts) == 1:
            raise ValueError(f"run(): path {path!r}: no run id")
        project = parts[-2] if len(parts) >= 2 else None
        folder = self.root / run_id
        if run_id in (".", "..") or not fmt.RunPaths(folder).is_run():  # ("..": not the root's parent)
            matches = [p for p in list_run_dirs(self.root) if ApiRun(p).id == run_id]
            if not matches:
                raise ValueError(f"run(): no run with id {run_id!r} under {self.root}")
            folder = matches[0]
        run = ApiRun(folder)
        if project is not None and run.project != project:
            raise ValueError(f"run(): run {run_id!r} belongs to project {run.project!r}, not {project!r}")
        return run

    # -- artifacts (implemented in artifact_run.py) ----------------------------------------
    def artifact(self, name: str, type: str | None = None):
        """A logged artifact: ``"name:alias"``, ``"name:v3"`` or ``"entity/project/name:latest"``."""
        from .artifact_run import api_artifact
        return api_artifact(self.root, name, type)

    def artifact_versions(self, type_name: str | None = None, name: str | None = None, per_page: int = 50):
        """Every version of artifact ``name`` (oldest first)."""
        from .artifact_run import api_artifact_versions
        return api_artifact_versions(self.root, type_name, name)

    artifacts = artifact_versions

    def artifact_exists(self, name: str, type: str | None = None) -> bool:
        from .artifact_run import api_artifact
        try:
            api_artifact(self.root, name, type)
        except ValueError:
            return False
        return True


def _field(run: ApiRun, field: str) -> Any:
    if field.startswith("config."):
        return flatten(run.config).get(field[len("config."):])
    if field.startswith("summary."):
        return flatten(run.summary.as_dict()).get(field[len("summary."):])
    if field == "state":
        return run.state
    if field in ("id", "name", "project", "group", "tags", "notes"):
        return getattr(run, field)
    return run.meta.get(field)


def _matches(run: ApiRun, field: str, wanted: Any) -> bool:
    value = _field(run, field)
    if field == "tags":
        wanted_tags = [wanted] if isinstance(wanted, str) else list(wanted)
        return all(t in run.tags for t in wanted_tags)
    return value == wanted


def _sort_key(value: Any) -> tuple:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, str(value))
