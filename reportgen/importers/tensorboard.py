"""TensorBoard event files -> run folders (extra ``[tensorboard]``; no TensorFlow needed).

Records are framed and checksummed by :mod:`.tfrecord` (a C crc32c), parsed as
TensorBoard's own ``Event`` protos (``tensorboard.compat.proto.event_pb2``), and the
values decoded per plugin by :mod:`.tb_values`. Anything but a plain scalar first goes
through TensorBoard's read-time compat layers (``data_compat`` / ``dataclass_compat``,
as its ``EventFileLoader`` does), so files from TensorFlow, ``torch.utils.tensorboard``
and tensorboardX look alike.

Plain float scalars (legacy ``simple_value``, as tensorboardX, torch and TF1 write, and
``DT_FLOAT`` tensor scalars of the scalars plugin, as TensorBoard's and TF2's writers
write) take a fast path: collected in columns and turned into their shortest float32
decimals in one call per batch; they never meet the compat layers.

One run per folder holding ``*tfevents*`` files, named by its path relative to the
logdir; ``import.json`` keeps each file's offset, so a re-import reads only what was
appended.
"""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from ..storage.format import holds_step
from .common import Problems, RunImport, read_link, source_yaml, walk
from .tb_values import Decoder, float32_values
from .tfrecord import read_records

EXTRA = "tensorboard"
LIVE_WINDOW = 60.0
_DT_FLOAT = 1
BATCH = 65536  # scalars collected before they are converted and added as rows


def _tb():
    try:
        from tensorboard import data_compat, dataclass_compat
        from tensorboard.compat.proto import event_pb2
        from tensorboard.util import tensor_util
    except ImportError:
        raise ImportError("importing TensorBoard event files needs the 'tensorboard' package: "
                          "pip install 'reportgen[tensorboard]'") from None
    return event_pb2, data_compat, dataclass_compat, tensor_util


def is_event_file(name: str) -> bool:
    return "tfevents" in name and not name.endswith((".tmp", ".lock"))


def _regular(path: Path, warn=None) -> bool:
    """Whether ``path`` (or what its link names) is a regular file; a pipe, socket or device named like
    an event file is not (reading it yields nothing, or blocks), and made an empty run without a word."""
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            return True
        why = "not a regular file (a pipe, socket or device); not read"
    except OSError as exc:
        why = f"{exc.strerror or type(exc).__name__}; not read"
    if warn is not None:
        warn(f"{path}: {why}")
    return False


def find_runs(logdir: Path, warn=None, follow_links: bool = False) -> list[tuple[str, Path, list[Path]]]:
    """``(relative path, folder, event files sorted by name)`` for every folder with event files
    (:func:`common.walk`: at most 64 folders deep, ``warn`` told of deeper ones).

    The logdir is untrusted (a downloaded one): a link to a folder or an event file whose target is
    outside it (``logs/x -> ~/other-project``) would publish what it names, so it is not read, with
    one ``warn`` naming it; ``follow_links`` (``--follow-links``, the user's own ``ln -s /data/exp1
    logs/exp1``) reads it. Links that stay inside the logdir are followed (each real folder once)."""
    def inside(path: Path) -> bool:
        return read_link(path, logdir, "logdir", follow_links, warn)

    out = []
    for dirpath, _dirnames, filenames in walk(logdir, warn, follow_links=inside):
        folder = Path(dirpath)
        files = sorted(folder / f for f in filenames
                       if is_event_file(f) and inside(folder / f) and _regular(folder / f, warn))
        if files:
            out.append((folder.relative_to(logdir).as_posix(), folder, files))
    return out


class _Scalars:
    """Float32 scalars in columns until :meth:`flush` adds them to the run, one row per step."""

    def __init__(self, imp: RunImport):
        self.imp = imp
        self.steps: list[int] = []
        self.times: list[float] = []
        self.tags: list[str] = []
        self.values: list[float] = []

    def flush(self) -> None:
        if not self.steps:
            return
        rows: dict[int, dict] = {}
        times: dict[int, float] = {}
        add = self.imp.add
        # a step no run folder holds (TensorBoard's are int64): each value to RunImport.add alone, which
        # leaves it out and counts it (merged into one row, two values of a tag at one step counted one)
        check = not (holds_step(min(self.steps)) and holds_step(max(self.steps)))  # (in C: rare, the loop stays lean)
        for step, ts, tag, x in zip(self.steps, self.times, self.tags, float32_values(self.values)):
            if check and not holds_step(step):
                add(step, {tag: x}, ts)
                continue
            row = rows.get(step)
            if row is None:
                rows[step] = row = {}
                times[step] = ts
            elif ts > times[step]:
                times[step] = ts
            row[tag] = x
        for step, row in rows.items():
            add(step, row, times[step])
        for column in (self.steps, self.times, self.tags, self.values):
            column.clear()  # in place: the reading loop holds these lists


def _fast_scalars(summary, plugins: dict[str, str]) -> list | None:
    """``[(tag, float)]`` when every value of an event is a plain float32 scalar, else None."""
    out = []
    for v in summary:
        kind = v.WhichOneof("value")
        if kind == "simple_value" and not v.HasField("metadata"):
            out.append((v.tag, v.simple_value))
        elif kind == "tensor":
            t = v.tensor
            if t.dtype != _DT_FLOAT or len(t.float_val) != 1 or t.tensor_shape.dim:
                return None
            plugin = v.metadata.plugin_data.plugin_name if v.HasField("metadata") else plugins.get(v.tag)
            if plugin != "scalars":
                return None
            plugins[v.tag] = plugin
            out.append((v.tag, t.float_val[0]))
        else:
            return None
    return out


def import_run(imp: RunImport, rel: str, files: list[Path], problems: Problems, progress=None,
               live: bool = False) -> int:
    """Read every event file of one run from its stored offsets into ``imp``; returns rows written."""
    event_pb2, data_compat, dataclass_compat, tensor_util = _tb()
    parse = event_pb2.Event.FromString
    offsets: dict[str, int] = dict(imp.state.get("files") or {})
    dec = Decoder(imp, problems, rel)
    dec.plugins.update(imp.state.get("plugins") or {})
    dec.sample_rates.update({k: int(v) for k, v in (imp.state.get("sample_rates") or {}).items()})
    plugins = dec.plugins
    scalars = _Scalars(imp)
    steps, times, tags, values = scalars.steps, scalars.times, scalars.tags, scalars.values
    for path in files:
        label = f"{rel}/{path.name}" if rel != "." else path.name
        offset = start = int(offsets.get(path.name, 0))
        try:
            size = path.stat().st_size
        except OSError as exc:
            problems.warn(f"{label}: {exc}; skipped")
            continue
        if size < offset:
            problems.warn(f"{label}: the file shrank since the last import; read again from the start")
            offset = start = 0
        if size == offset:
            continue
        end = offset
        try:
            for end, record in read_records(path, offset, problems.warn, label, live):
                try:
                    event = parse(record)
                except Exception as exc:  # noqa: BLE001
                    problems.some(rel, "events skipped", f"{label}: undecodable event ({exc}); skipped")
                    continue
                summary = event.summary.value
                if len(summary) == 1:  # the common case, inlined: one plain scalar
                    v = summary[0]
                    if v.WhichOneof("value") == "simple_value" and not v.HasField("metadata"):
                        steps.append(event.step)
                        times.append(event.wall_time)
                        tags.append(v.tag)
                        values.append(v.simple_value)
                        if len(steps) < BATCH:
                            continue
                        fast = ()
                    else:
                        fast = _fast_scalars(summary, plugins)
                elif not event.HasField("summary"):
                    continue
                else:
                    fast = _fast_scalars(summary, plugins)
                if fast is not None:
                    step, ts = event.step, event.wall_time
                    for tag, x in fast:
                        steps.append(step)
                        times.append(ts)
                        tags.append(tag)
                        values.append(x)
                    if len(steps) >= BATCH:
                        scalars.flush()
                        if progress is not None and end - offset > 1 << 20:
                            progress(end - offset)
                            offset = end
                    continue
                scalars.flush()  # keep the order of values against the rest
                try:  # (the compat layers trust the event: an audio tensor of shape [1, 0] raised ValueError)
                    events = tuple(dataclass_compat.migrate_event(data_compat.migrate_event(event),
                                                                  dec.initial_metadata))
                except Exception as exc:  # noqa: BLE001 - one bad event never stops the import
                    problems.some(rel, "events skipped", f"{label}: event at step {event.step} cannot be read "
                                  f"({type(exc).__name__}: {exc}); skipped")
                    continue
                for ev in events:
                    got = dec.values(ev, tensor_util)
                    if got:  # (at a step no run folder holds: left out and warned of by RunImport)
                        imp.add(ev.step, got, ev.wall_time)
                    elif ev.wall_time and imp.t0 is None:
                        imp.t0 = ev.wall_time
                if progress is not None and end - offset > 1 << 20:
                    progress(end - offset)
                    offset = end
        except OSError as exc:
            problems.warn(f"{label}: {exc}; the rest of this file is skipped")
        scalars.flush()
        if end > start:
            offsets[path.name] = end
        if progress is not None:
            progress(max(0, end - offset))
    config = {**imp.config, **dec.run_config()}
    if files:
        hparams = lightning_hparams(files[0].parent / "hparams.yaml", problems, rel)
        if hparams:  # typed and nested: it replaces the flattened float copies of the session hparams
            flat = set(_flat_keys(hparams))
            config = {**{k: v for k, v in config.items() if k not in flat}, **hparams}
    return imp.commit(config=config, state={"files": offsets, "plugins": dec.plugins,
                                            "sample_rates": dec.sample_rates})


def lightning_hparams(path: Path, problems: Problems, label: str) -> dict:
    """The ``hparams.yaml`` Lightning's ``TensorBoardLogger`` writes next to the event files ({} if none)."""
    if not (path.is_file() or path.is_symlink()):
        return {}
    try:
        import yaml
    except ImportError:
        problems.warn(f"{label}/hparams.yaml: reading it needs pyyaml (pip install 'reportgen[tensorboard]'); "
                      "the hparams in the event files are used")
        return {}
    try:  # (a link to a file outside the run's folder, e.g. ~/.kube/config, is refused: it would be published)
        data = source_yaml(path, path.parent)  # (a YAML bomb or a too deep file: ValueError)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        problems.warn(f"{label}/hparams.yaml: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; "
                      "the hparams in the event files are used")
        return {}
    return data if isinstance(data, dict) else {}


def _flat_keys(d: dict, prefix: str = ""):
    for k, v in d.items():
        yield f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _flat_keys(v, f"{prefix}{k}/")


def import_logdir(opts, problems: Problems, progress, result) -> None:
    from . import run_name
    from .common import run_id_for

    logdir = Path(opts.path)
    if logdir.is_file():
        runs = [(".", logdir.parent, [logdir])]
        logdir = logdir.parent
    else:
        runs = find_runs(logdir, problems.warn, opts.follow_links)
    if not runs:
        problems.warn(f"{logdir}: no TensorBoard event files (*tfevents*) found")
        return
    base = logdir.resolve().name or "logdir"
    project = opts.project or base
    total = sum(f.stat().st_size for _, _, files in runs for f in files if f.exists())
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress.update(f"tensorboard: {done[0] / 1e6:.1f} / {total / 1e6:.1f} MB read")

    for rel, _folder, files in runs:
        display = base if rel == "." else rel
        run_id = run_id_for("tb", f"{project}/{display}")
        imp = RunImport(opts.out, run_id, source={"kind": "tensorboard", "path": str(logdir.resolve()), "run": rel},
                        problems=problems)
        latest = max((f.stat().st_mtime for f in files if f.exists()), default=None)
        imp.meta.update({"name": run_name(opts.name, path=display, name=display, id=run_id, project=project),
                         "project": project})
        # event files have no end marker: while following, a run whose files grew in the last
        # minute is "running" (heartbeat: the newest file's mtime); otherwise "finished"
        if opts.follow and latest is not None and time.time() - latest < LIVE_WINDOW:
            imp.meta.update({"state": "running", "heartbeat": latest, "heartbeat_interval": LIVE_WINDOW / 4})
        else:
            imp.meta["state"] = "finished"
            imp.meta.pop("heartbeat_interval", None)
        try:
            result.rows += import_run(imp, rel, files, problems, tick, live=bool(opts.follow))
        except ImportError:
            raise
        except Exception as exc:  # noqa: BLE001 - one hostile run never loses the others
            problems.skip(f"{display}: {type(exc).__name__}: {exc}; skipped")
            continue
        result.runs.append(run_id)
