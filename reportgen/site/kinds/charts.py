"""Chart kinds: custom_chart (a preset filled from a table), vega_lite (a full spec), plotly."""
from __future__ import annotations

from ...storage import kinds as tags
from . import Kind, register


class VegaKind(Kind):
    panel = "chart"
    item_type = "vega"
    needs = ("vega",)
    chart = True  # the report ``custom`` directive draws it (reports/media.py resolve_spec)

    def spec(self, rec, read_json, presets):
        """The complete Vega-Lite spec; run pages and reports both draw it from here."""
        raise NotImplementedError

    def item(self, ctx, rec, where, name):
        from ..vegaclean import clean_spec, removed_note

        spec, removed = clean_spec(self.spec(rec, ctx.json, ctx.presets))  # logged specs are data
        if removed:
            ctx.warn(where, removed_note(removed))
        data_id, site = ctx.files.write_data(name, {"spec": spec})
        return {"t": "vega", "id": data_id, "data": site, "title": self.title(rec)}

    def title(self, rec):
        return None


@register
class CustomChartKind(VegaKind):
    tag = tags.CUSTOM_CHART

    def spec(self, rec, read_json, presets):
        from ..panels.charts import custom_chart_spec

        return custom_chart_spec(rec, read_json, presets)  # --presets DIR wins over the run's snapshot

    def title(self, rec):
        return rec.get("title") or rec.get("preset")


@register
class VegaLiteKind(VegaKind):
    tag = tags.VEGA_LITE

    def spec(self, rec, read_json, presets):
        spec = rec.get("spec")
        spec = read_json(spec) if isinstance(spec, str) else spec
        if not isinstance(spec, dict):
            raise ValueError("vega_lite spec is not a JSON object")
        return spec


@register
class PlotlyKind(Kind):
    tag = tags.PLOTLY
    panel = "plotly"
    item_type = "plotly"
    needs = ("plotly",)

    def item(self, ctx, rec, where, name):
        from ..plotlyclean import clean_figure, removed_note

        from ..plotlysize import bound_figure, removed_note as bounded_note

        fig, removed = clean_figure(ctx.json_object(rec.get("path"), "plotly figure is not a JSON object"))
        if removed:
            ctx.warn(where, removed_note(removed))
        fig, bounded = bound_figure(fig)  # ticks, bins, contour levels: plotly.js has no limit of its own
        if bounded:
            ctx.warn(where, bounded_note(bounded))
        data_id, site = ctx.files.write_data(name, fig)
        return {"t": "plotly", "id": data_id, "data": site}
