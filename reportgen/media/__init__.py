"""Loggable media and chart objects. Each type lives in its own module and
declares a ``TYPE`` tag; the stored record is ``{"_type": TYPE, ...}``.

Classes are imported lazily (``reportgen.media.Image`` loads ``image.py`` on
first use), so importing the package stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

from .base import Media, MediaContext

_LAZY = {
    "Histogram": "histogram", "Image": "image", "Audio": "audio", "Video": "video",
    "Table": "table", "Html": "html", "Molecule": "molecule", "Object3D": "object3d",
    "CustomChart": "custom_chart", "VegaLite": "figures", "Svg": "figures", "Plotly": "figures",
    "to_media": "convert", "plot_table": "plot", "box3d": "object3d",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'reportgen.media' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = ["Media", "MediaContext", *_LAZY]
