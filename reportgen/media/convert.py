"""``to_media(value)``: turn objects from plotting libraries into Media.

The SDK calls it for any logged value that is not a number, a string or a
Media object. matplotlib (the ``pyplot`` module or a ``Figure``) becomes a
Vega-Lite chart when it can be converted, else an SVG; a plotly figure is kept
as its JSON; an Altair chart is its Vega-Lite spec (``chart.to_dict()``, data inline).
Anything else is a TypeError.
"""
from __future__ import annotations

import types
from typing import Any

from .base import Media
from .figures import NotConvertible, Plotly, Svg, VegaLite, figure_svg, figure_to_vegalite


def _matplotlib_figure(value: Any) -> Any | None:
    if isinstance(value, types.ModuleType):
        if value.__name__ == "matplotlib.pyplot":
            return value.gcf()
        return None
    mod = type(value).__module__ or ""
    if mod.startswith("matplotlib.figure") and hasattr(value, "savefig"):
        return value
    if mod.startswith("matplotlib.axes") and hasattr(value, "get_figure"):
        return value.get_figure()
    return None


def _is_plotly(value: Any) -> bool:
    mod = type(value).__module__ or ""
    return mod.startswith("plotly.") and hasattr(value, "to_plotly_json")


def _is_altair(value: Any) -> bool:
    mod = type(value).__module__ or ""
    return mod.startswith("altair.") and hasattr(value, "to_dict")


def altair_to_media(chart: Any) -> Media:
    """An Altair chart (any top-level chart: layered, concatenated, faceted) as a ``vega_lite`` record."""
    try:
        spec = chart.to_dict()
    except Exception as exc:  # altair validates the spec here
        raise ValueError(f"the Altair chart is not a valid Vega-Lite spec: {exc.__class__.__name__}: {exc}") from None
    return VegaLite(spec, source="altair")


def matplotlib_to_media(fig: Any) -> Media:
    try:
        return VegaLite(figure_to_vegalite(fig), source="matplotlib")
    except NotConvertible:
        return Svg(figure_svg(fig))


def to_media(value: Any) -> Media:
    """Return a Media for ``value`` or raise TypeError saying what is supported."""
    if isinstance(value, Media):
        return value
    fig = _matplotlib_figure(value)
    if fig is not None:
        return matplotlib_to_media(fig)
    if _is_plotly(value):
        return Plotly(value)
    if _is_altair(value):
        return altair_to_media(value)
    raise TypeError(f"cannot log a value of type {type(value).__module__}.{type(value).__name__}: "
                    "expected a number, a string, a reportgen media object, a matplotlib figure, "
                    "a plotly figure or an Altair chart")
