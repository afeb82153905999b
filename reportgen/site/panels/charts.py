"""Custom charts (preset templates filled from their tables) and the plotly.js asset."""
from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any, Callable

from ...storage.presets import load_template, render_custom_chart, table_values
from ...storage.safety import is_inside
from ..write import write_bytes

PLOTLY_ASSET = "assets/plotly.min.js"


def preset_file(presets: Path | None, name: Any) -> Path | None:
    """The override of preset ``name`` from ``reportgen build --presets DIR``.

    ``DIR/<name>.json`` (names may contain '/'); a built-in ``reportgen/<x>`` may also be
    overridden by ``DIR/<x>.json``.
    """
    if presets is None or not isinstance(name, str) or not name:
        return None
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts:
        return None
    names = [name] + ([name.split("/", 1)[1]] if name.startswith("reportgen/") else [])
    for n in names:
        candidate = presets / (n + ".json")
        if candidate.is_file():
            if not is_inside(presets, candidate):
                raise ValueError(f"preset {name!r}: a link to a file outside the presets folder (not used)")
            return candidate
    return None


def custom_chart_spec(rec: dict[str, Any], read_run_json: Callable[[Any], Any],
                      presets: Path | None) -> dict[str, Any]:
    """The complete Vega-Lite spec of a ``custom_chart`` record.

    The template is the run's snapshot (``spec``), unless ``--presets DIR`` has a file
    with the preset's name, which then wins.
    """
    override = preset_file(presets, rec.get("preset"))
    template = load_template(override) if override else read_run_json(rec.get("spec"))
    if not isinstance(template, dict):
        raise ValueError(f"preset {rec.get('preset')!r} is not a Vega-Lite JSON object")
    table = read_run_json(rec.get("table"))
    if not isinstance(table, dict):
        raise ValueError("custom chart table is not {columns, data}")
    fields = {str(k): str(v) for k, v in (rec.get("fields") or {}).items()}
    strings = {str(k): str(v) for k, v in (rec.get("string_fields") or {}).items()}
    spec = render_custom_chart(template, table, fields, strings)
    data = spec.get("data")
    if isinstance(data, dict) and set(data) <= {"name", "format"} and data.get("name") not in \
            (spec.get("datasets") or {}):  # a template naming its data otherwise (wandb's "wandb")
        spec["data"] = {"values": table_values(table)}
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
        write_bytes(target, get_plotlyjs().encode("utf-8"))
        write_bytes(stamp, version.encode("utf-8"))
    return PLOTLY_ASSET
