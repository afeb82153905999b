"""CustomChart: a preset (Vega-Lite template) + a Table + a field mapping.

The preset is resolved when the chart is created and the resolved template is
stored in the run folder, so a build never needs the logging machine's files.
"""
from __future__ import annotations

from typing import Any, Mapping

from ..storage import kinds
from .base import Media, MediaContext, check_spec
from ..storage.presets import check_fields, load_preset
from .table import Table


class CustomChart(Media):
    TYPE = kinds.CUSTOM_CHART

    def __init__(self, vega_spec_name: str, data_table: Table, fields: Mapping[str, Any],
                 string_fields: Mapping[str, Any] | None = None):
        if not isinstance(data_table, Table):
            raise TypeError(f"data_table: expected a reportgen.Table, got {type(data_table).__name__}")
        self.preset, self.template = load_preset(vega_spec_name)
        string_fields = dict(string_fields or {})
        for k, v in string_fields.items():
            if not isinstance(v, str):
                raise TypeError(f"string_fields[{k!r}]: expected a string, got {type(v).__name__}")
        check_fields(self.template, data_table.columns, fields, string_fields, preset=repr(self.preset))
        self.table = data_table
        self.fields = {k: v for k, v in dict(fields).items() if v is not None}
        self.string_fields = string_fields

    @property
    def title(self) -> str | None:
        return self.string_fields.get("title") or None

    def to_record(self, ctx: MediaContext) -> dict[str, Any]:
        from ..storage.presets import render_custom_chart

        # the spec the site draws: the template, the table's rows as its data (flat: a list or dict cell
        # is left out of them), one row standing for all
        check_spec(render_custom_chart(self.template, {"columns": self.table.columns,
                                                       "data": [[None] * len(self.table.columns)]},
                                       self.fields, self.string_fields))
        record: dict[str, Any] = {
            "_type": self.TYPE,
            "preset": self.preset,
            "spec": ctx.write_json("charts", self.template, suffix="preset"),
            "table": ctx.write_json("tables", self.table.plain(ctx)),
            "fields": dict(self.fields),
            "string_fields": dict(self.string_fields),
        }
        if self.title:
            record["title"] = self.title
        return record

    def __repr__(self) -> str:
        return f"<CustomChart {self.preset} {self.fields}>"
