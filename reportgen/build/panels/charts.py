"""Custom charts (preset templates filled from their tables) and the plotly.js asset."""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from ...storage.jsonio import read_json

PLOTLY_ASSET = "assets/plotly.min.js"
_PLACEHOLDER = re.compile(r"\$\{(field|string):([^}]+)\}")


def preset_file(presets: Path | None, name: Any) -> Path | None:
    """``DIR/<name>.json`` from ``reportgen build --presets DIR`` (names may contain '/')."""
    if presets is None or not isinstance(name, str) or not name:
        return None
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts:
        return None
    candidate = presets / (name + ".json")
    return candidate if candidate.is_file() else None


def _fill_fallback(template: Any, table: dict[str, Any], fields: dict[str, str],
                   string_fields: dict[str, str]) -> dict[str, Any]:
    """Fill ``${field:name}`` / ``${string:name}`` placeholders and inline the table rows.

    Used only when ``reportgen.media.presets.render_custom_chart`` is not available.
    """
    def sub(v: Any) -> Any:
        if isinstance(v, str):
            return _PLACEHOLDER.sub(lambda m: str((fields if m.group(1) == "field" else string_fields)
                                                  .get(m.group(2), "")), v)
        if isinstance(v, dict):
            return {k: sub(x) for k, x in v.items()}
        if isinstance(v, list):
            return [sub(x) for x in v]
        return v

    spec = sub(template)
    cols = [str(c) for c in table.get("columns", [])]
    spec["data"] = {"values": [dict(zip(cols, row)) for row in table.get("data", [])]}
    return spec


def fill(template: dict[str, Any], table: dict[str, Any], fields: dict[str, str],
         string_fields: dict[str, str]) -> dict[str, Any]:
    try:
        from ...media.presets import render_custom_chart
    except ImportError:
        return _fill_fallback(template, table, fields, string_fields)
    return render_custom_chart(template, table, fields, string_fields)


def custom_chart_spec(rec: dict[str, Any], read_run_json: Callable[[Any], Any],
                      presets: Path | None) -> dict[str, Any]:
    """The complete Vega-Lite spec of a ``custom_chart`` record.

    The template is the run's snapshot (``spec``), unless ``--presets DIR`` has a file
    with the preset's name, which then wins.
    """
    override = preset_file(presets, rec.get("preset"))
    template = read_json(override) if override else read_run_json(rec.get("spec"))
    if not isinstance(template, dict):
        raise ValueError(f"preset {rec.get('preset')!r} is not a Vega-Lite JSON object")
    table = read_run_json(rec.get("table"))
    if not isinstance(table, dict):
        raise ValueError("custom chart table is not {columns, data}")
    fields = {str(k): str(v) for k, v in (rec.get("fields") or {}).items()}
    strings = {str(k): str(v) for k, v in (rec.get("string_fields") or {}).items()}
    spec = fill(template, table, fields, strings)
    if rec.get("title") and "title" not in spec:
        spec["title"] = str(rec["title"])
    return spec


def write_plotly_asset(out: Path) -> str:
    """Write plotly.js from the installed plotly package into the site's assets (once)."""
    target = out / PLOTLY_ASSET
    try:
        import plotly
        from plotly.offline import get_plotlyjs
    except ImportError as exc:
        raise RuntimeError("plotly panels need the plotly package: pip install 'reportgen[plots]'") from exc
    stamp = target.with_name(target.name + ".version")
    version = getattr(plotly, "__version__", "unknown")
    if not (target.exists() and stamp.exists() and stamp.read_text() == version):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(get_plotlyjs(), encoding="utf-8")
        stamp.write_text(version)
    return PLOTLY_ASSET
