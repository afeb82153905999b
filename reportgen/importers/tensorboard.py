"""TensorBoard event files -> run folders (extra ``[tensorboard]``; no TensorFlow needed).

Records are read with TensorBoard's own record reader (the TensorFlow stub's
``PyRecordReader_New``: length-prefixed, crc32c-checked), decoded as ``Event``
protos and passed through TensorBoard's read-time compat layers
(``data_compat`` / ``dataclass_compat``, as its ``EventFileLoader`` does), so files
from TensorFlow, ``torch.utils.tensorboard`` and tensorboardX look alike.

One run per folder holding ``*tfevents*`` files, named by its path relative to the
logdir. Mapping per plugin: scalars -> numbers; histograms -> ``Histogram``;
images -> ``Image`` (a gallery when several); audio -> ``Audio``; text -> a string
(one value) or a ``Table`` with a ``text`` column; hparams -> config (the metric
values are ordinary scalars, so they reach the summary). Other plugins warn once.
"""
from __future__ import annotations

import io
import math
import os
import struct
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from .common import Problems, RunImport

EXTRA = "tensorboard"
LIVE_WINDOW = 60.0
_F32 = struct.Struct("<f")


def _tb():
    try:
        from tensorboard import data_compat, dataclass_compat
        from tensorboard.compat import tf
        from tensorboard.compat.proto import event_pb2
        from tensorboard.util import tensor_util
    except ImportError:
        raise ImportError("importing TensorBoard event files needs the 'tensorboard' package: "
                          "pip install 'reportgen[tensorboard]'") from None
    return tf, event_pb2, data_compat, dataclass_compat, tensor_util


def is_event_file(name: str) -> bool:
    return "tfevents" in name and not name.endswith((".tmp", ".lock"))


def find_runs(logdir: Path) -> list[tuple[str, Path, list[Path]]]:
    """``(relative path, folder, event files sorted by name)`` for every folder with event files."""
    out = []
    for dirpath, dirnames, filenames in os.walk(logdir):
        dirnames.sort()
        files = sorted(Path(dirpath) / f for f in filenames if is_event_file(f))
        if files:
            rel = Path(dirpath).relative_to(logdir).as_posix()
            out.append((rel, Path(dirpath), files))
    return out


def read_records(path: Path, offset: int, problems: Problems, label: str) -> Iterator[tuple[int, bytes]]:
    """``(end offset, record)`` for each complete record after ``offset``.

    A record cut short at the end of the file (still being written, or torn) ends
    the read quietly at the last complete record; a failed checksum warns once and
    ends the read of this file (the rest of the import goes on)."""
    tf = _tb()[0]
    reader = tf.pywrap_tensorflow.PyRecordReader_New(os.fsencode(path), 0, b"", None)
    reader.file_handle.close()
    fh = open(path, "rb")
    fh.seek(offset)
    reader.file_handle = fh  # the stub reader only calls read(n); start at our offset
    pos = offset
    try:
        while True:
            try:
                reader.GetNext()
            except tf.errors.OutOfRangeError:
                return
            except tf.errors.DataLossError as exc:
                if "truncated" in str(exc):
                    size = os.path.getsize(path)
                    if size > pos:
                        problems.warn(f"{label}: incomplete last record ({size - pos} bytes) not read yet")
                else:
                    problems.warn(f"{label}: corrupt record at byte {pos} ({exc}); the rest of this file is skipped")
                return
            record = reader.record()
            pos += len(record) + 16
            yield pos, record
    finally:
        fh.close()


def float32_value(x: float) -> float:
    """The shortest decimal that reads back as the same float32 (0.9, not 0.8999999761581421)."""
    if x != x or x in (math.inf, -math.inf):
        return x
    want = _F32.pack(x)
    for digits in (7, 8):
        y = float(f"{x:.{digits}g}")
        if _F32.pack(y) == want:
            return y
    return float(f"{x:.9g}")


def _rebin(counts: list[float], edges: list[float], limit: int = 512) -> tuple[list[float], list[float]]:
    if len(counts) <= limit:
        return counts, edges
    k = -(-len(counts) // limit)
    c = [sum(counts[i:i + k]) for i in range(0, len(counts), k)]
    e = edges[::k]
    if len(e) != len(c) + 1:
        e = e[:len(c)] + [edges[-1]]
    return c, e


class _Decoder:
    """Turns one event's values into ``{tag: value}`` (numbers, media objects, strings)."""

    def __init__(self, imp: RunImport, problems: Problems, label: str):
        self.imp, self.problems, self.label = imp, problems, label
        self.initial_metadata: dict[str, Any] = {}
        self.config: dict[str, Any] = {}
        self.plugins: dict[str, str] = {}  # tag -> plugin (the first event of a tag carries it)
        self.sample_rates: dict[str, int] = {}

    def simple_values(self, event) -> dict[str, float] | None:
        """``{tag: value}`` when every value of the event is a legacy ``simple_value`` scalar, else None."""
        out = {}
        for v in event.summary.value:
            if v.WhichOneof("value") != "simple_value":
                return None
            if v.metadata.plugin_data.plugin_name:
                self.plugins[v.tag] = v.metadata.plugin_data.plugin_name
            out[v.tag] = float32_value(v.simple_value)
        return out

    def values(self, event, tensor_util) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for v in event.summary.value:
            tag = v.tag
            plugin = v.metadata.plugin_data.plugin_name
            if plugin:
                self.plugins[tag] = plugin
                if plugin == "audio":
                    self._audio_meta(tag, v.metadata)
            else:
                plugin = self.plugins.get(tag, "")
            try:
                value = self._value(tag, plugin, v, tensor_util)
            except Exception as exc:  # noqa: BLE001 - one bad value never stops the import
                self.problems.warn(f"{self.label}: tag {tag!r} ({plugin or 'tensor'}): {type(exc).__name__}: {exc}; skipped")
                continue
            if value is not None:
                out[tag] = value
        return out

    def _audio_meta(self, tag: str, metadata) -> None:
        from tensorboard.plugins.audio import metadata as audio_md

        try:
            self.sample_rates[tag] = int(audio_md.parse_plugin_metadata(metadata.plugin_data.content).sample_rate or 0)
        except Exception:  # noqa: BLE001
            pass

    def _value(self, tag: str, plugin: str, v, tensor_util) -> Any:
        import numpy as np

        if plugin == "hparams":
            self._hparams(v)
            return None
        if not v.HasField("tensor"):
            return None
        arr = tensor_util.make_ndarray(v.tensor)
        if plugin in ("scalars", "") and arr.size == 1 and arr.dtype.kind in "biuf":
            x = arr.reshape(()).item()
            return float32_value(x) if arr.dtype == np.float32 else x
        if plugin == "histograms":
            from ..media.histogram import Histogram

            if arr.size == 0:
                return None
            arr = np.asarray(arr, dtype=float).reshape(-1, 3)
            edges = [float(arr[0, 0])] + [float(x) for x in arr[:, 1]]
            counts = [float(x) for x in arr[:, 2]]
            for i in range(1, len(edges)):  # degenerate one-value buckets (left == right)
                if edges[i] < edges[i - 1]:
                    edges[i] = edges[i - 1]
            counts, edges = _rebin(counts, edges)
            return Histogram(np_histogram=(counts, edges))
        if plugin == "images":
            from PIL import Image as PILImage
            from ..media.image import Image

            imgs = []
            for blob in arr.reshape(-1)[2:]:
                im = PILImage.open(io.BytesIO(bytes(blob)))
                im.load()
                imgs.append(Image(im))
            return imgs[0] if len(imgs) == 1 else (imgs or None)
        if plugin == "audio":
            from ..media.audio import Audio

            clips = []
            rows = arr.reshape(-1, 2) if arr.ndim == 2 and arr.shape[1] == 2 else arr.reshape(-1, 1)
            for row in rows:
                label = row[1].decode("utf-8", "replace") if len(row) > 1 and row[1] else None
                clips.append(self._audio(bytes(row[0]), label, tag))
            return clips[0] if len(clips) == 1 else (clips or None)
        if plugin == "text":
            texts = [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in arr.reshape(-1)]
            if arr.ndim == 0 or len(texts) == 1:
                return texts[0] if texts else None
            from ..media.table import Table

            return Table(columns=["text"], data=[[t] for t in texts])
        if plugin in ("graph_run_metadata", "graph_keras_model", "graph_run_metadata_graph"):
            return None
        self.problems.warn(f"{self.label}: tag {tag!r}: TensorBoard plugin {plugin or 'tensor'!r} is not imported; skipped")
        return None

    def _audio(self, data: bytes, label: str | None, tag: str):
        from ..media.audio import Audio

        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "clip.wav"
            p.write_bytes(data)
            return Audio(p, sample_rate=self.sample_rates.get(tag) or None, caption=label or None)

    def _hparams(self, v) -> None:
        from tensorboard.plugins.hparams import metadata as hp

        content = v.metadata.plugin_data.content
        if v.tag == hp.SESSION_START_INFO_TAG:
            info = hp.parse_session_start_info_plugin_data(content)
            for name, value in info.hparams.items():
                kind = value.WhichOneof("kind")
                self.config[name] = (getattr(value, kind) if kind in ("number_value", "string_value", "bool_value")
                                     else None)


def import_run(imp: RunImport, rel: str, files: list[Path], problems: Problems, progress=None) -> int:
    """Read every event file of one run from its stored offsets into ``imp``; returns rows written."""
    tf, event_pb2, data_compat, dataclass_compat, tensor_util = _tb()
    offsets: dict[str, int] = dict(imp.state.get("files") or {})
    dec = _Decoder(imp, problems, rel)
    dec.plugins.update(imp.state.get("plugins") or {})
    dec.sample_rates.update({k: int(v) for k, v in (imp.state.get("sample_rates") or {}).items()})
    for path in files:
        label = f"{rel}/{path.name}" if rel != "." else path.name
        offset = int(offsets.get(path.name, 0))
        try:
            size = path.stat().st_size
        except OSError as exc:
            problems.warn(f"{label}: {exc}; skipped")
            continue
        if size < offset:
            problems.warn(f"{label}: the file shrank since the last import; read again from the start")
            offset = 0
        if size == offset:
            continue
        try:
            for end, record in read_records(path, offset, problems, label):
                offsets[path.name] = end
                if progress is not None and end - offset > 1 << 20:
                    progress(end - offset)
                    offset = end
                try:
                    event = event_pb2.Event.FromString(record)
                except Exception as exc:  # noqa: BLE001
                    problems.warn(f"{label}: undecodable event ({exc}); skipped")
                    continue
                if not event.HasField("summary"):
                    continue
                simple = dec.simple_values(event)
                if simple is not None:  # plain scalars (tensorboardX, torch, TF1): no compat layer needed
                    imp.add(event.step, simple, event.wall_time)
                    continue
                event = data_compat.migrate_event(event)
                for ev in dataclass_compat.migrate_event(event, dec.initial_metadata):
                    values = dec.values(ev, tensor_util)
                    if values:
                        imp.add(ev.step, values, ev.wall_time)
                    elif ev.wall_time and imp.t0 is None:
                        imp.t0 = ev.wall_time
        except OSError as exc:
            problems.warn(f"{label}: {exc}; the rest of this file is skipped")
        if progress is not None:
            progress(max(0, int(offsets.get(path.name, 0)) - offset))
    config = {**imp.config, **dec.config}
    return imp.commit(config=config, state={"files": offsets, "plugins": dec.plugins,
                                            "sample_rates": dec.sample_rates})


def import_logdir(opts, problems: Problems, progress, result) -> None:
    from . import run_name
    from .common import run_id_for

    logdir = Path(opts.path)
    if logdir.is_file():
        runs = [(".", logdir.parent, [logdir])]
        logdir = logdir.parent
    else:
        runs = find_runs(logdir)
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
        result.rows += import_run(imp, rel, files, problems, tick)
        result.runs.append(run_id)
