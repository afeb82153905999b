"""Kinds that are statistics of a value: histogram (heatmap over steps, bars in the summary), tensor."""
from __future__ import annotations

from ...storage import kinds as tags
from . import Kind, register

TENSOR_STATS = ("min", "max", "mean", "std", "var", "p5", "p25", "p50", "p75", "p95")


@register
class HistogramKind(Kind):
    tag = tags.HISTOGRAM
    panel = "heatmap"  # every step in one steps x bins heatmap (panels/__init__.py); "sumhist" in the summary
    item_type = "bars"
    needs = ("vega",)

    def item(self, ctx, rec, where, name):
        from ..panels.histograms import bars_svg_data

        bars = bars_svg_data(rec)
        if bars is None:
            raise ValueError("histogram needs bins (n+1 edges) and values (n counts)")
        return {"t": "bars", **bars}


@register
class TensorKind(Kind):
    tag = tags.TENSOR
    panel = "tensor"
    item_type = "tensor"

    def item(self, ctx, rec, where, name):
        from ..panels.items import clean
        from ..panels.sitefiles import MissingFile

        stats = [[k, clean(rec.get(k))] for k in TENSOR_STATS if k in rec]
        item = {"t": "tensor", "shape": rec.get("shape"), "dtype": rec.get("dtype"), "stats": stats, "src": None}
        if rec.get("path"):
            try:
                item["src"] = ctx.files.copy(rec["path"])
            except MissingFile as exc:
                ctx.warn(where, str(exc))
        return item

    def text(self, rec):
        shape = rec.get("shape")
        return f"tensor {rec.get('dtype', '')} {list(shape) if isinstance(shape, list) else ''}".strip()

    def stats(self, rec):
        """(name, value) rows shown under the summary entry (without ``var``, as before)."""
        return [(s, rec[s]) for s in TENSOR_STATS if s != "var" and s in rec]
