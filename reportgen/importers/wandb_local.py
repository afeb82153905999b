"""wandb local run folders (``wandb/run-*``, ``wandb/offline-run-*``) -> run folders (extra ``[wandb]``).

The ``run-<id>.wandb`` transaction log is read record by record (:mod:`.wandb_log`):
``run`` (name, project, group, job type, tags, notes, host, start time, config),
``config`` updates, ``history`` rows (``_step``, ``_timestamp``, values; media
records point at ``files/media/...``), ``summary`` updates (plain values override the
last history values), ``stats`` (system metrics: rows of the run's ``system.jsonl``, as the
SDK's monitor writes them, :mod:`.wandb_system`; ``files/wandb-events.jsonl`` of wandb before
0.13 when the log has none),
``environment`` (program, Python) and ``exit`` (exit code -> finished / crashed).
A log without an exit record is a run still writing (or killed): ``running``, with the
log's modification time as heartbeat, so readers show it ``stale`` once it stops.

Media: ``image-file`` -> Image, ``images/separated`` -> a gallery, ``histogram`` ->
Histogram, ``table-file`` -> Table, ``audio-file`` -> Audio, ``video-file`` -> Video,
``html-file`` -> Html, ``object3D-file`` -> Object3D, ``molecule-file`` -> Molecule;
other types warn once and are skipped. Other files in ``files/`` (config.yaml,
output.log, requirements.txt...) are copied into the run's ``files/``.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable

from ..sdk.metrics import MetricDefs
from ..storage.jsonio import TooDeep, loads
from ..storage.safety import MAX_DEPTH, FileTooBig, is_inside, too_deep
from .common import Problems, RunImport, read_link, safe_run_id, source_open, source_place
from .wandb_log import LogError, iter_records
from .wandb_media import WandbMedia
from .wandb_system import SystemSamples


def find_runs(path: Path) -> list[Path]:
    """Run folders under ``path``: itself, ``path/run-*``, or ``path/wandb/run-*``."""
    path = Path(path)
    if path.is_file() and path.suffix == ".wandb":
        return [path.parent]
    if any(path.glob("run-*.wandb")):
        return [path]
    for base in (path, path / "wandb"):
        runs = sorted(p for p in base.glob("*run-*") if p.is_dir() and p.name.startswith(("run-", "offline-run-"))
                      and any(p.glob("run-*.wandb")))
        if runs:
            return runs
    return []


def _json(text: str, depth: int = 0) -> Any:
    """A ``value_json`` of the log (``depth``: the dicts it sits in): ValueError (never RecursionError)
    for anything but JSON nested at most ``MAX_DEPTH`` deep in all (a config value of 100,000 brackets
    crashed the import)."""
    if depth >= MAX_DEPTH:  # (a nested_key of 5,000 names made a config 5,000 deep: the run was lost)
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = loads(text)
    except TooDeep:  # (orjson >= 3.9 stops at its own depth limit; older ones parse it all: the same message)
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if too_deep(value, MAX_DEPTH - depth):
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _value(item) -> tuple[list[str], Any]:
    keys = list(item.nested_key) or [item.key]
    return keys, _json(item.value_json, len(keys))  # (under the config's or row's dict: as the readers count)


def _nest(items, bad: Callable[[Any, Exception], None] | None = None,
          into: dict[str, Any] | None = None) -> dict[str, Any]:
    """The items' values at their key paths (``nested_key``: ``["_wandb", "visualize", "line"]``),
    set in ``into`` (a config: one path changes, its neighbours stay) or in a new dict; an item
    that cannot be read goes to ``bad``."""
    out: dict[str, Any] = {} if into is None else into
    for item in items:
        try:
            keys, v = _value(item)
        except ValueError as exc:
            if bad is not None:
                bad(item, exc)
            continue
        d = out
        for k in keys[:-1]:
            nxt = d.get(k)
            if not isinstance(nxt, dict):
                nxt = d[k] = {}
            d = nxt
        d[keys[-1]] = v
    return out


_SUMMARY_OPS = ("min", "max", "mean", "best", "last", "none", "copy", "first")


def _metric_spec(m) -> tuple[str, dict[str, Any]] | None:
    """A ``define_metric`` record as run.json ``metrics`` stores it (reportgen/sdk/metrics.py)."""
    name = m.name or m.glob_name
    if not name or m.expanded_from_glob:
        return None
    spec: dict[str, Any] = {}
    if m.step_metric:
        spec["step_metric"] = m.step_metric
    ops = [op for op in _SUMMARY_OPS if getattr(m.summary, op)]
    if ops:
        spec["summary"] = ",".join(ops)
    if m.goal in (1, 2):
        spec["goal"] = "minimize" if m.goal == 1 else "maximize"
    if m.options.hidden:
        spec["hidden"] = True
    if m.options.step_sync:
        spec["step_sync"] = True
    return name, spec


def _merged(old: Any, new: Any) -> Any:
    """``new`` set over ``old``: plain dicts (not media records) merge key by key, as wandb's nested
    summary keys do; anything else replaces."""
    if isinstance(old, dict) and isinstance(new, dict) and "_type" not in old and "_type" not in new:
        out = dict(old)
        for k, v in new.items():
            out[k] = _merged(out.get(k), v)
        return out
    return new


FILE_MAX = 50 << 20  # a file of files/ larger than this is not copied
FILES_TOTAL = 200 << 20  # nor the files past this much in all (sparse source files are written dense)


def _copy_files(src: Path, dst: Path, problems: Problems, label: str) -> None:
    """The run's own files (output.log, requirements.txt, ...) up to 50 MB each and 200 MB in all (a
    folder of sparse 50 MB files, no disk in the source, filled the disk of the runs root); a link to
    a file outside ``files/`` or a pipe is refused with a warning (:func:`common.source_open`)."""
    if not src.is_dir():
        return
    def size(p: Path) -> int:
        try:
            return p.stat().st_size
        except OSError:
            return 0

    try:
        listed = list(src.iterdir())
    except OSError as exc:  # (a files/ folder the user may not read: the run's history still imports)
        problems.warn(f"{label}: files/: cannot be read ({exc.strerror or type(exc).__name__}); not copied")
        return
    total = 0
    for p in sorted(listed, key=lambda p: (size(p), p.name)):  # (small ones first: logs, requirements)
        if os.path.isdir(p):
            continue
        try:
            with source_open(p, src, FILE_MAX) as fh:
                size_now = os.fstat(fh.fileno()).st_size
                if total + size_now > FILES_TOTAL:
                    problems.warn(f"{label}: files/{p.name}: the run's files pass {FILES_TOTAL >> 20} MiB in all; "
                                  "not copied")
                    continue
                total += size_now
                target = dst / p.name
                if os.path.islink(target) or (os.path.lexists(target) and not os.path.isfile(target)):
                    problems.warn(f"{label}: files/{p.name}: the imported run's file of that name is a link "
                                  "or no regular file; not copied over it")
                    continue
                if not target.exists() or target.stat().st_size != size_now:
                    dst.mkdir(parents=True, exist_ok=True)
                    with open(target, "wb") as out:
                        shutil.copyfileobj(fh, out)
        except FileTooBig:
            continue  # (large files were never copied)
        except OSError as exc:
            problems.warn(f"{label}: files/{p.name}: {exc}; skipped")


def import_run(imp: RunImport, run_dir: Path, log: Path, opts, problems: Problems) -> int:
    from . import run_name

    label = run_dir.name
    offset = int(imp.state.get("offset", 0))
    size = log.stat().st_size
    if size < offset:
        problems.warn(f"{label}: {log.name} shrank since the last import; read again from the start")
        offset = 0
    config = dict(imp.config)
    files = run_dir / "files"
    if not is_inside(run_dir, files):  # files/ itself a link to ~/.ssh: nothing in it is read
        problems.warn(f"{label}: files/ is a link to a folder outside {run_dir.name}/ (not imported); "
                      "its files and media are skipped")
        files = None
    media = WandbMedia(files, problems, label, config, run=imp.id)
    meta: dict[str, Any] = {}
    metrics: dict[str, Any] = dict(imp.meta.get("metrics") or {})
    in_history = set(imp.summary)  # keys with a history value: their summary media is the last one
    overrides: dict[str, Any] = {}
    removed: set[str] = set()  # summary keys deleted after they were set
    system = SystemSamples(imp, label, problems)
    # system metrics come from the log's stats records, else (wandb < 0.13) from files/wandb-events.jsonl
    events = imp.state.get("events")  # the offset read of that file, once it is the source
    events = events if isinstance(events, int) and events >= 0 else None
    old_import = system.read_old_import(files)  # (an import made before system.jsonl: its samples moved)
    stats_seen = bool(imp.state.get("stats")) or old_import is not None
    exit_code = imp.state.get("exit_code")
    end = offset

    def bad(item, exc: Exception) -> None:
        name = item.key or "/".join(item.nested_key)
        name = name if len(name) <= 200 else f"{name[:200]}..."
        what = "system metric" if kind == "stats" else f"{kind} key"
        problems.warn(f"{label}: {log.name}: {what} {name!r}: {exc}; skipped")

    def warn(message: str) -> None:
        problems.warn(f"{label}: {log.name}: {message}")

    try:
        for end, rec in iter_records(log, offset, warn):  # noqa: B007 (the last offset is used below)
            kind = rec.WhichOneof("record_type")
            if kind == "history":
                row = _nest(rec.history.item, bad)
                step = row.pop("_step", None)
                if not isinstance(step, int):
                    step = rec.history.step.num
                ts = row.pop("_timestamp", None)
                row.pop("_runtime", None)
                row.pop("_wandb", None)
                in_history.update(media.custom_charts(row))  # their summary copies are not media of their own
                in_history.update(row)
                removed.difference_update(row)  # logged again after a del: the summary has it again
                # a logged None stays null (as in wandb's history); a media record that could not be read is left out
                values = {k: media.convert(k, v) for k, v in row.items()}
                imp.add(step, {k: v for k, v in values.items() if v is not None or row[k] is None},
                        ts if isinstance(ts, (int, float)) else None)
            elif kind == "run":
                r = rec.run
                meta.update({"name": r.display_name or r.run_id, "project": r.project or "uncategorized",
                             "group": r.run_group or None, "job_type": r.job_type or None,
                             "tags": list(r.tags), "notes": r.notes or None, "host": r.host or None,
                             "wandb_id": r.run_id})
                if r.start_time.seconds:
                    meta["created"] = r.start_time.seconds + r.start_time.nanos / 1e9
                    if imp.t0 is None:
                        imp.t0 = meta["created"]
                _nest(r.config.update, bad, config)
            elif kind == "config":
                _nest(rec.config.update, bad, config)
                for item in rec.config.remove:
                    config.pop(item.key or "/".join(item.nested_key), None)
            elif kind == "summary":
                for item in rec.summary.remove:  # del run.summary["k"]
                    k = item.key or "/".join(item.nested_key)
                    overrides.pop(k, None)
                    removed.add(k)
                for k, v in _nest(rec.summary.update, bad).items():
                    # media set on the summary only (run.summary["img"] = wandb.Image(...)) are imported;
                    # those of history keys repeat the last logged one
                    if not k.startswith("_") and (not isinstance(v, dict) or "_type" not in v
                                                  or k not in in_history):
                        # run.summary["x"]["z"] = 2 updates x's z (a nested key), not all of x
                        overrides[k] = _merged(overrides.get(k), v)
                        removed.discard(k)
            elif kind == "metric":
                got = _metric_spec(rec.metric)
                if got:
                    metrics[got[0]] = {**metrics.get(got[0], {}), **got[1]}
            elif kind == "stats" and events is None:
                stats_seen = True
                s = rec.stats
                sample: dict[str, Any] = {}
                for item in s.item:
                    try:  # (under the sample's dict, one JSON object a line: as a history row's value)
                        sample[item.key] = _json(item.value_json, 1)
                    except ValueError as exc:
                        bad(item, exc)
                system.add(s.timestamp.seconds + s.timestamp.nanos / 1e9, sample)
            elif kind == "environment":
                e = rec.environment
                if e.program:
                    meta["command"] = [e.executable or "python", e.program, *list(e.args)]
                if e.python:
                    meta["python"] = e.python
            elif kind == "exit":
                exit_code = rec.exit.exit_code
    except LogError as exc:
        problems.warn(f"{label}: {log.name}: {exc}; the records before it are imported")
        end = max(end, offset)
    except OSError as exc:
        problems.warn(f"{label}: {log.name}: {exc}")
    if end < size and exit_code is not None:
        problems.warn(f"{label}: {log.name}: {size - end} bytes after the last complete record not read")
    config.pop("_wandb", None)
    overrides.pop("_wandb", None)
    for k in [k for k, v in overrides.items() if isinstance(v, dict) and "_type" in v and k in in_history]:
        del overrides[k]  # logged to history after it was set on the summary
    if metrics:
        meta["metrics"] = metrics
        try:  # define_metric(summary="none"), resolved as the SDK resolves it
            imp.summary_hidden = MetricDefs(metrics).hidden
        except (TypeError, ValueError) as exc:  # (an odd summary op in an earlier import's run.json)
            warn(f"define_metric records: {exc}; their summary aggregations are not applied")
    imp.set_summary({k: media.convert(k, v) for k, v in overrides.items()})
    imp.drop_summary(removed)
    if not stats_seen and files is not None and not imp.refused:
        events = system.read_events(files, events)
    had_samples = bool(system.samples)
    system_size = system.write(imp.state.get("system_size"))
    if old_import is not None and (system_size is not None or not had_samples):  # (its samples written)
        system.drop_old_import(old_import)
    if files is not None and not imp.refused:
        _copy_files(files, imp.paths.files, problems, label)
    if exit_code is None:
        meta.update({"state": "running", "exit_code": None, "heartbeat": log.stat().st_mtime,
                     "heartbeat_interval": 15.0})
    else:
        meta.update({"state": "finished" if exit_code == 0 else "crashed", "exit_code": exit_code})
    if opts.project:
        meta["project"] = opts.project
    if "name" in meta or opts.name:
        meta["name"] = run_name(opts.name, path=run_dir.name, name=meta.get("name") or imp.meta.get("name") or
                                run_dir.name, id=imp.id, project=meta.get("project") or imp.meta.get("project", ""))
    meta = {k: v for k, v in meta.items() if v is not None or k == "exit_code"}
    state = {"offset": end, "exit_code": exit_code, **({"stats": True} if stats_seen else {}),
             **({"events": events} if events is not None else {}),
             **({"system_size": system_size} if system_size is not None else {})}
    return imp.commit(meta=meta, config=config, state=state)


def import_wandb(opts, problems: Problems, progress, result) -> None:
    source = Path(opts.path)
    base = source.parent if source.is_file() else source
    runs = [r for r in find_runs(source) if read_link(r, base, "wandb folder", opts.follow_links, problems.warn)]
    if not runs:
        problems.warn(f"{opts.path}: no wandb run folders found (expected wandb/run-*/run-<id>.wandb)")
        return
    for n, run_dir in enumerate(runs, 1):
        progress.update(f"wandb: run {n}/{len(runs)}")
        logs = sorted(run_dir.glob("run-*.wandb"))
        if not logs:
            continue
        log = logs[-1]
        wandb_id = log.stem[len("run-"):]
        run_id = safe_run_id("wandb", wandb_id, problems)  # (one no folder name: renamed, as MLflow's)
        try:
            imp = RunImport(opts.out, run_id, source={"kind": "wandb", "path": source_place(run_dir)},
                            problems=problems)
            result.rows += import_run(imp, run_dir, log, opts, problems)
        except (OSError, ValueError) as exc:
            problems.skip(f"{run_dir.name}: {exc}; skipped")
            continue
        except Exception as exc:  # noqa: BLE001 - one hostile run never loses the others
            problems.skip(f"{run_dir.name}: {log.name}: {type(exc).__name__}: {exc}; skipped")
            continue
        result.runs.append(run_id)
