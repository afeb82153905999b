"""TensorBoard summary values -> reportgen values, per plugin (used by ``tensorboard.py``).

Mapping: scalars -> numbers (float32 values as the shortest decimal that reads back
the same); histograms -> ``Histogram``; images -> ``Image`` (a list when several);
audio -> ``Audio``; text -> a string (one value) or a ``Table`` with a ``text`` column;
hparams -> config. Graph plugins are ignored; any other plugin warns once per tag.
"""
from __future__ import annotations

import math
import struct
import tempfile
from pathlib import Path
from typing import Any

from .common import Problems, RunImport

_F32 = struct.Struct("<f")
HF_CONFIG_TEXTS = {"args/text_summary": "args", "model_config/text_summary": "model_config"}


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


def float32_values(xs: list[float]) -> list[float]:
    """:func:`float32_value` for many values at once (numpy + orjson's float32 formatting, in C)."""
    import numpy as np
    import orjson

    out = orjson.loads(orjson.dumps(np.array(xs, dtype=np.float32), option=orjson.OPT_SERIALIZE_NUMPY))
    if None in out:  # NaN and +-inf come back as null: keep them as they were
        out = [xs[i] if y is None else y for i, y in enumerate(out)]
    return out


EXPAND_MAX = 1 << 16  # values a tensor may broadcast from fewer stored ones (TF's compact constant form)
_VALUE_FIELDS = ("float_val", "double_val", "int_val", "int64_val", "string_val", "bool_val", "half_val",
                 "uint32_val", "uint64_val", "scomplex_val", "dcomplex_val")


def check_tensor(t) -> None:
    """ValueError unless ``make_ndarray(t)`` allocates no more than ``t`` stores: a TensorProto of shape
    [10**9] with one float_val is expanded by TensorBoard's ``make_ndarray`` into 10**9 copies (4 GB from
    a 30-byte event). Broadcasting up to :data:`EXPAND_MAX` values is kept (TF writes constants so)."""
    size = 1
    for d in t.tensor_shape.dim:
        if d.size < 0:
            raise ValueError(f"tensor shape {[x.size for x in t.tensor_shape.dim]} has a negative dimension")
        size *= d.size
    stored = len(t.tensor_content) or max(len(getattr(t, f)) for f in _VALUE_FIELDS)
    if size > max(stored, EXPAND_MAX):
        raise ValueError(f"tensor of shape {[x.size for x in t.tensor_shape.dim]} ({size} values) from "
                         f"{stored} stored values; not expanded")


def _rebin(counts: list[float], edges: list[float], limit: int = 512) -> tuple[list[float], list[float]]:
    if len(counts) <= limit:
        return counts, edges
    k = -(-len(counts) // limit)
    c = [sum(counts[i:i + k]) for i in range(0, len(counts), k)]
    e = edges[::k]
    if len(e) != len(c) + 1:
        e = e[:len(c)] + [edges[-1]]
    return c, e


class Decoder:
    """Turns one event's values into ``{tag: value}`` (numbers, media objects, strings)."""

    def __init__(self, imp: RunImport, problems: Problems, label: str):
        self.imp, self.problems, self.label = imp, problems, label
        self.initial_metadata: dict[str, Any] = {}
        self.config: dict[str, Any] = {}
        self.plugins: dict[str, str] = {}  # tag -> plugin (the first event of a tag carries it)
        self.sample_rates: dict[str, int] = {}
        self.skipped_plugins: set[str] = set()
        self.hf_config: dict[str, dict] = {}  # "args" / "model_config" -> the JSON written as text

    def run_config(self) -> dict[str, Any]:
        """Config found in the events: transformers' model config, then its args, then hparams."""
        return {**self.hf_config.get("model_config", {}), **self.hf_config.get("args", {}), **self.config}

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
                self.problems.some(self.label, "values skipped", f"{self.label}: tag {tag!r} ({plugin or 'tensor'}): "
                                   f"{type(exc).__name__}: {exc}; skipped")
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
        check_tensor(v.tensor)
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
            from ..media.image import Image
            from .images import decode_image

            imgs = []
            for blob in arr.reshape(-1)[2:]:
                imgs.append(Image(decode_image(bytes(blob))))  # (bounded pixels, the formats writers use)
            return imgs[0] if len(imgs) == 1 else (imgs or None)
        if plugin == "audio":

            clips = []
            rows = arr.reshape(-1, 2) if arr.ndim == 2 and arr.shape[1] == 2 else arr.reshape(-1, 1)
            for row in rows:
                label = row[1].decode("utf-8", "replace") if len(row) > 1 and row[1] else None
                clips.append(self._audio(bytes(row[0]), label, tag))
            return clips[0] if len(clips) == 1 else (clips or None)
        if plugin == "text":
            texts = [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in arr.reshape(-1)]
            if arr.ndim == 0 or len(texts) == 1:
                if texts and tag in HF_CONFIG_TEXTS and self._hf_config(tag, texts[0]):
                    return None
                return texts[0] if texts else None
            from ..media.table import Table

            return Table(columns=["text"], data=[[t] for t in texts])
        if plugin in ("graph_run_metadata", "graph_keras_model", "graph_run_metadata_graph", "custom_scalars"):
            return None
        if plugin not in self.skipped_plugins:  # once per plugin and run, naming its first tag
            self.skipped_plugins.add(plugin)
            self.problems.warn(f"{self.label}: TensorBoard plugin {plugin or 'tensor'!r} (tag {tag!r}) "
                               "is not imported; its values are skipped")
        return None

    def _hf_config(self, tag: str, text: str) -> bool:
        """transformers' ``TensorBoardCallback`` writes ``TrainingArguments`` and the model config as
        JSON text (``args``, ``model_config``): they become the config, as its wandb callback logs them."""
        from ..storage.jsonio import loads
        from ..storage.safety import MAX_DEPTH, too_deep

        try:
            data = loads(text)  # (ValueError, never RecursionError)
        except ValueError:
            return False
        if not isinstance(data, dict):
            return False
        if too_deep(data):  # (950 levels were written into config.json: RecursionError, the run lost)
            self.problems.warn(f"{self.label}: tag {tag!r}: JSON nested deeper than {MAX_DEPTH} levels; "
                               "kept as text, not as config")
            return False
        self.hf_config[HF_CONFIG_TEXTS[tag]] = data
        return True

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
                x = getattr(value, kind) if kind in ("number_value", "string_value", "bool_value") else None
                if kind == "number_value" and x.is_integer() and abs(x) < 2 ** 53:
                    x = int(x)  # torch/Lightning write ints (and bools) as float64 numbers: 16, not 16.0
                self.config[name] = x
