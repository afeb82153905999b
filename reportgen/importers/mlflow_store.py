"""MLflow file stores (``mlruns/``) -> run folders (extra ``[mlflow]``: pyyaml).

The file store is read directly (its layout is simple and has not changed in years;
MLflow itself no longer needs to be installed):

``mlruns/<experiment id>/meta.yaml`` (experiment name -> project),
``<experiment id>/<run id>/meta.yaml`` (run name, status, start/end times),
``params/<key>`` -> config (``"0.1"`` -> 0.1, ``"True"`` -> true: MLflow stores text),
``metrics/<key>`` (lines ``<timestamp ms> <value> <step>``) -> history,
``tags/<key>`` -> ``mlflow.runName`` is the name, ``mlflow.note.content`` the notes,
``mlflow.parentRunId`` the group, other non-``mlflow.*`` tags become ``key=value`` tags,
``artifacts/images/<key>+step+<n>+...png`` (``mlflow.log_image(key=, step=)``) -> an Image
in history; other image artifacts -> ``artifacts/<path>`` Images in the summary.
Metric files are read from their stored byte offsets, so a re-import reads only new lines.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..storage.safety import is_inside
from .budget import FILE_MAX, OverBudget
from .common import (Problems, RunImport, read_link, safe_run_id, source_open, source_place, source_text, source_yaml,
                     walk_files)
from .images import check_image_file

METRIC_READ = 4 << 20
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")
_LOGGED_IMAGE = re.compile(r"^(?P<key>.+?)[+%]step[+%](?P<step>\d+)[+%]timestamp[+%](?P<ts>\d+)[+%][^+%]+$")
_STATUS = {1: "running", 2: "running", 3: "finished", 4: "crashed", 5: "crashed",
           "RUNNING": "running", "SCHEDULED": "running", "FINISHED": "finished", "FAILED": "crashed",
           "KILLED": "crashed"}


def _yaml(path: Path, problems: Problems) -> dict[str, Any]:
    try:
        import yaml  # noqa: F401 (present?)
    except ImportError:
        raise ImportError("importing MLflow file stores needs pyyaml: pip install 'reportgen[mlflow]'") from None
    try:
        data = source_yaml(path, path.parent)  # (a YAML bomb or a too deep file: ValueError)
    except FileNotFoundError:
        problems.warn(f"{path}: missing; skipped")
        return {}
    except Exception as exc:  # noqa: BLE001
        problems.warn(f"{path}: unreadable ({type(exc).__name__}: {exc})")
        return {}
    return data if isinstance(data, dict) else {}


def param_value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"True": True, "False": False, "None": None}.get(text, text)


def _key_files(folder: Path) -> list[tuple[str, Path]]:
    """(key, file) of everything under ``folder`` but folders: their readers refuse (with a warning)
    links that lead outside the run and pipes (:func:`source_open`)."""
    if not folder.is_dir():
        return []
    return [(p.relative_to(folder).as_posix(), p) for p in walk_files(folder)]  # (iterative, bounded depth)


def _read_metric(path: Path, offset: int, root: Path) -> tuple[list[tuple[float, float, int]], int, int]:
    """``([(timestamp s, value, step)], new offset, bad lines)`` for the complete lines after ``offset``
    (``root``: the run folder; see :func:`source_open`). Read in 4 MiB pieces: a line longer than
    ``MAX_LINE`` (64 MiB) is skipped as one bad line (a sparse 20 GB file without a newline was read
    into memory whole)."""
    from ..storage.safety import MAX_LINE

    out: list[tuple[float, float, int]] = []
    bad = 0
    with source_open(path, root) as fh:
        fh.seek(offset)
        pos, tail, skipping = offset, b"", False  # pos: the end of the last complete line
        while True:
            block = fh.read(METRIC_READ)
            if not block:
                break
            if skipping:  # inside a line too long to keep: up to its newline
                nl = block.find(b"\n")
                if nl < 0:
                    pos += len(block)
                    continue
                pos, block, skipping = pos + nl + 1, block[nl + 1:], False
            data = tail + block
            end = data.rfind(b"\n") + 1
            for line in data[:end].splitlines():
                parsed = _metric_line(line)
                if parsed is None:
                    bad += 1 if line.strip() else 0
                else:
                    out.append(parsed)
            pos, tail = pos + end, data[end:]
            if len(tail) > MAX_LINE:
                bad += 1
                pos, tail, skipping = pos + len(tail), b"", True
    return out, pos, bad


def _metric_line(line: bytes) -> tuple[float, float, int] | None:
    parts = line.split()
    try:
        ts, value = int(parts[0]) / 1000.0, float(parts[1])
        step = int(parts[2]) if len(parts) > 2 else 0
    except (ValueError, IndexError, OverflowError):
        return None
    return ts, value, step


def import_run(imp: RunImport, run_dir: Path, experiment: str, opts, problems: Problems) -> int:
    meta_yaml = _yaml(run_dir / "meta.yaml", problems)
    offsets: dict[str, int] = dict(imp.state.get("metrics") or {})
    label = f"mlflow run {run_dir.name}"
    points: dict[str, list[tuple[float, float, int]]] = {}
    for key, path in _key_files(run_dir / "metrics"):
        try:
            points[key], offsets[key], bad = _read_metric(path, int(offsets.get(key, 0)), run_dir)
        except OSError as exc:
            problems.warn(f"{label}: metric {key!r}: {exc}; skipped")
            continue
        if bad:
            problems.warn(f"{label}: metric {key!r}: {bad} unreadable lines skipped")
    params, tags = {}, {}
    for kind, into in (("params", params), ("tags", tags)):
        for key, path in _key_files(run_dir / kind):
            try:
                into[key] = source_text(path, run_dir)
            except OSError as exc:
                problems.warn(f"{label}: {kind[:-1]} {key!r}: {exc}; skipped")
    info = {k: meta_yaml.get(k) for k in ("status", "start_time", "end_time", "run_name", "user_id")}
    artifacts: Path | None = run_dir / "artifacts"
    if not is_inside(run_dir, artifacts):  # artifacts/ itself a link to ~/Pictures: none of it is read
        problems.warn(f"{label}: artifacts/ is a link to a folder outside {run_dir.name}/ (not imported)")
        artifacts = None
    return record_run(imp, RunSource(label, run_dir.name, points, params, tags, artifacts, info),
                      experiment, opts, problems, {"metrics": offsets})


@dataclass
class RunSource:
    """One MLflow run as read from a store (file or SQL): metric points (timestamp s, value, step)
    per key, params and tags as MLflow's text, the local artifacts folder (or None), and
    ``status``/``start_time``/``end_time`` (ms)/``run_name``/``user_id``."""
    label: str
    run_id: str
    points: dict[str, list[tuple[float, float, int]]]
    params: dict[str, str]
    tags: dict[str, str]
    artifacts: Path | None
    info: dict[str, Any]


def record_run(imp: RunImport, src: RunSource, experiment: str, opts, problems: Problems,
               state: dict[str, Any]) -> int:
    """Write what ``src`` adds to the run folder of ``imp``; ``state`` is the reader's own (offsets)."""
    from ..media.image import Image
    from . import run_name

    counts: dict[str, int] = dict(imp.state.get("counts") or {})
    stepped: dict[str, bool] = dict(imp.state.get("stepped") or {})
    for key, points in src.points.items():
        # log_metric() without step= writes step 0 every time: such a metric gets its point
        # number as step (as wandb.log() would), until a point with a real step shows up
        stepped[key] = stepped.get(key, False) or any(step != 0 for _, _, step in points)
        for i, (ts, value, step) in enumerate(points):
            imp.add(step if stepped[key] else counts.get(key, 0) + i, {key: value}, ts)
        counts[key] = counts.get(key, 0) + len(points)
    config = dict(imp.config)
    config.update({key: param_value(text) for key, text in src.params.items()})
    tags, meta, info = src.tags, {}, src.info
    for rel, path in _key_files(src.artifacts) if src.artifacts else ():
        if not rel.lower().endswith(IMAGE_EXTS) or rel.endswith("+compressed.webp"):
            continue
        m = _LOGGED_IMAGE.match(path.stem) if rel.startswith("images/") else None
        try:
            with source_open(path, src.artifacts, FILE_MAX) as fh:  # a link out of artifacts/, a pipe: refused
                problems.media.check_file(imp.id, os.fstat(fh.fileno()).st_size, f"artifact {rel!r}")
        except OverBudget as exc:  # (one warning per run)
            if str(exc):
                problems.warn(str(exc))
            continue
        except OSError as exc:
            problems.some(src.label, "artifacts skipped", f"{src.label}: artifact {rel!r}: {exc}; skipped")
            continue
        try:
            image = Image(check_image_file(path))  # (bounded pixels, the formats trackers write)
            if m:
                imp.add(int(m["step"]), {m["key"]: image}, int(m["ts"]) / 1000.0)
            else:
                imp.set_summary({f"artifacts/{rel}": image})
        except (ValueError, TypeError) as exc:
            problems.some(src.label, "artifacts skipped", f"{src.label}: artifact {rel!r}: {exc}; skipped")
    start, end = _seconds(info.get("start_time")), _seconds(info.get("end_time"))
    status = info.get("status")
    if not isinstance(status, (str, int)):  # meta.yaml is untrusted: a list here is no status
        status = None
    name = tags.get("mlflow.runName") or _text(info.get("run_name")) or src.run_id
    meta.update({
        "name": run_name(opts.name, path=f"{experiment}/{src.run_id}", name=str(name), id=imp.id, project=experiment),
        "project": experiment,
        "state": _STATUS.get(status, "finished"),
        "notes": tags.get("mlflow.note.content"),
        "group": tags.get("mlflow.parentRunId"),
        "tags": [f"{k}={v}" if v else k for k, v in sorted(tags.items()) if not k.startswith("mlflow.")],
        "user": _text(info.get("user_id")) or tags.get("mlflow.user"),
    })
    if start is not None:
        meta["created"] = start
        imp.t0 = start if imp.t0 is None or start < imp.t0 else imp.t0
    if end is not None:
        meta["updated"] = end
    if tags.get("mlflow.source.name"):
        meta["command"] = [tags["mlflow.source.name"]]
    return imp.commit(meta={k: v for k, v in meta.items() if v is not None}, config=config,
                      state={**state, "counts": counts, "stepped": stepped})


def _seconds(ms: Any) -> float | None:
    """A ``start_time``/``end_time`` (ms since the epoch) as seconds; None unless a finite number in the
    range of dates (meta.yaml and the database are untrusted: ``9e400`` or ``.inf`` are no time)."""
    if isinstance(ms, bool) or not isinstance(ms, (int, float)):
        return None
    try:
        s = ms / 1000.0
    except OverflowError:
        return None
    return s if abs(s) < 1e11 else None  # (+-inf and NaN fail this too)


def _text(value: Any) -> str | None:
    """A name from meta.yaml: a string or a number, else None (a list or a mapping is no name)."""
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None


def _folders(folder: Path, problems: Problems) -> list[Path]:
    """The folders in ``folder``, sorted; none, with a warning, when it cannot be read."""
    try:
        with os.scandir(folder) as it:
            return sorted(Path(e.path) for e in it if _is_dir(e))
    except OSError as exc:
        problems.warn(f"{folder}: cannot be read ({exc.strerror or type(exc).__name__}); skipped")
        return []


def _is_dir(e: os.DirEntry) -> bool:
    try:
        return e.is_dir()
    except OSError:
        return False


def _has_meta(folder: Path, problems: Problems) -> bool:
    """Whether ``folder`` holds a meta.yaml (an experiment or a run); a folder that may not be searched
    is skipped with a warning."""
    try:
        os.stat(folder / "meta.yaml")
        return True
    except PermissionError as exc:
        problems.warn(f"{folder}: cannot be read ({exc.strerror}); skipped")
    except OSError:
        pass
    return False


def import_mlflow(opts, problems: Problems, progress, result) -> None:
    from ..storage.remote import is_db_url
    from .mlflow_server import import_server_store
    from .mlflow_sql import import_sql_store, sql_store

    if is_db_url(opts.path):  # a tracking server's database: postgresql://..., mysql://...
        import_server_store(opts.path, opts, problems, progress, result)
        return
    root = Path(opts.path)
    db = sql_store(root)
    if db is not None:  # MLflow >= 3's default store: sqlite:///mlflow.db
        import_sql_store(db, opts, problems, progress, result)
        return
    # (os.path, not Path: pathlib raises PermissionError for a folder of the store the user may not read)
    if os.path.exists(root / "meta.yaml") and os.path.isdir(root / "metrics"):  # one run folder
        experiments = [(root.parent, [root])]
    elif os.path.exists(root / "meta.yaml"):  # one experiment
        experiments = [(root, [p for p in _folders(root, problems) if _has_meta(p, problems)])]
    else:
        experiments = [(e, [p for p in _folders(e, problems) if _has_meta(p, problems)])
                       for e in _folders(root, problems) if _has_meta(e, problems)]
    experiments = [(e, [r for r in runs if read_link(r, root, "mlruns folder", opts.follow_links, problems.warn)])
                   for e, runs in experiments]
    total = sum(len(r) for _, r in experiments)
    if not total:
        problems.warn(f"{root}: no MLflow runs found (expected mlruns/<experiment>/<run>/meta.yaml)")
        return
    n = 0
    for exp_dir, run_dirs in experiments:
        exp_meta = _yaml(exp_dir / "meta.yaml", problems)
        if exp_meta.get("lifecycle_stage") == "deleted":
            continue
        project = opts.project or str(exp_meta.get("name") or exp_dir.name)
        for run_dir in run_dirs:
            n += 1
            progress.update(f"mlflow: run {n}/{total}")
            if _yaml(run_dir / "meta.yaml", problems).get("lifecycle_stage") == "deleted":
                continue
            run_id = safe_run_id("mlflow", run_dir.name, problems)
            try:
                imp = RunImport(opts.out, run_id, source={"kind": "mlflow", "path": source_place(run_dir)},
                                problems=problems)
                result.rows += import_run(imp, run_dir, project, opts, problems)
            except OSError as exc:
                problems.skip(f"mlflow run {run_dir.name}: {exc}; skipped")
                continue
            except Exception as exc:  # noqa: BLE001 - one hostile run never loses the others
                problems.skip(f"mlflow run {run_dir.name}: {type(exc).__name__}: {exc}; skipped")
                continue
            result.runs.append(run_id)
