"""The ``_type`` tags of stored objects: the one place both sides take them from.

The SDK's media classes (``reportgen/media/``) write ``{"_type": TAG, ...}`` and the
site's kinds registry (``reportgen/site/kinds/``) reads them back; both import the tag
from here, so neither imports the other. Adding a kind: add its tag here, the SDK class
(``TYPE = kinds.MYTAG``) and one registry file (see docs/kinds.md).
"""
from __future__ import annotations

HISTOGRAM = "histogram"
IMAGE = "image"
AUDIO = "audio"
VIDEO = "video"
TABLE = "table"
HTML = "html"
MOLECULE = "molecule"
OBJECT3D = "object3d"
CUSTOM_CHART = "custom_chart"
VEGA_LITE = "vega_lite"
SVG = "svg"
PLOTLY = "plotly"
TENSOR = "tensor"
GALLERY = "gallery"  # a list of media logged under one key in one step: {"_type": "gallery", "items": [...]}
