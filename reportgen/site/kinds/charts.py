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
        from ..vegaclean import CUT, clean_spec, removed_note

        spec, removed = clean_spec(self.spec(rec, ctx.json, ctx.presets))  # logged specs are data
        title, cut = _clipped(self.title(rec))
        cut_spec = [p for p in removed if p.startswith((f"{CUT}title.", f"{CUT}title[]."))]  # the spec's own title
        others = [p for p in removed if p not in cut_spec]
        if others:
            ctx.warn(where, removed_note(others))
        if cut or cut_spec:
            ctx.warn(where, f"chart title longer than {TITLE_CHARS} characters: cut")
        data_id, site = ctx.files.write_data(name, {"spec": spec})
        return {"t": "vega", "id": data_id, "data": site, "title": title}

    def title(self, rec):
        return None


#: a chart's title (the panel's; the spec's own and its other text: vegaclean.TEXT_CHARS): a 10 MB
#: logged title made a 10 MB data file and a page laying out one unbroken word
TITLE_CHARS = 256


def _clipped(title):
    """``title`` (a string, lines, or a Vega-Lite title object: its text and subtitle) cut at
    :data:`TITLE_CHARS`; whether any of it was."""
    from ..clip import clip

    if isinstance(title, str):
        out = clip(title, TITLE_CHARS)
        return out, out is not title
    if isinstance(title, list):
        pairs = [_clipped(t) for t in title[:TITLE_LINES]]
        return [t for t, _ in pairs], len(title) > TITLE_LINES or any(c for _, c in pairs)
    if isinstance(title, dict):
        out, cut = dict(title), False
        for k in ("text", "subtitle"):
            if k in out:
                out[k], c = _clipped(out[k])
                cut = cut or c
        return out, cut
    return title, False


TITLE_LINES = 10  # a title given as lines


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
