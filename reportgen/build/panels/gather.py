"""Group the media records of one run by key: which steps, which records (pure)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...storage.format import flat_rows
from ..collect import flatten
from ..history import is_media

# record _type -> panel kind; anything else is shown as "unsupported"
KIND_OF_TYPE = {
    "image": "images", "audio": "audio", "video": "video", "table": "table", "html": "html",
    "molecule": "object3d", "object3d": "object3d", "histogram": "heatmap",
    "custom_chart": "chart", "vega_lite": "chart", "svg": "svg", "plotly": "plotly",
    "tensor": "tensor",
}


def items_of(value: Any) -> list[dict[str, Any]]:
    """The single records behind a logged value (a gallery or a plain list becomes its items)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if value.get("_type") == "gallery":
        items = value.get("items")
        return [v for v in items if isinstance(v, dict)] if isinstance(items, list) else []
    return [value]


def kind_of(records: list[dict[str, Any]]) -> str:
    types = [r.get("_type") for r in records]
    kinds = {KIND_OF_TYPE.get(t, "unsupported") if isinstance(t, str) else "unsupported" for t in types}
    if len(kinds) == 1:
        return kinds.pop()
    return "mixed" if kinds else "unsupported"


@dataclass
class Frame:
    step: int | float | str  # "summary" for summary values
    records: list[dict[str, Any]]


@dataclass
class KeySeries:
    key: str
    kind: str
    frames: list[Frame] = field(default_factory=list)
    summary: bool = False  # True when the key was only in summary.json


def gather_media(history: list[dict[str, Any]], summary: dict[str, Any]) -> list[KeySeries]:
    """Media keys in display order: history keys (sorted), then summary-only keys (sorted)."""
    by_key: dict[str, KeySeries] = {}
    for step, flat in flat_rows(history):
        for k, v in flat.items():
            if k.startswith("_") or not is_media(v):
                continue
            recs = items_of(v)
            if not recs:
                continue
            kind = kind_of(recs)
            ks = by_key.get(k)
            if ks is None:
                ks = by_key[k] = KeySeries(k, kind)
            elif ks.kind != kind:
                ks.kind = "mixed"
            ks.frames.append(Frame(step, recs))
    out = [by_key[k] for k in sorted(by_key)]
    extra = []
    for k, v in flatten(summary).items():
        if k.startswith("_") or k in by_key or not is_media(v):
            continue
        recs = items_of(v)
        if recs:
            kind = kind_of(recs)
            if kind == "heatmap":
                kind = "sumhist"
            extra.append(KeySeries(k, kind, [Frame("summary", recs)], summary=True))
    out.extend(sorted(extra, key=lambda s: s.key))
    return out
