"""Group the media records of one run by key: which steps, which records (pure)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...storage.format import flat_rows, flatten
from .. import kinds
from ..config import MEDIA_PER_KEY, MEDIA_PER_STEP
from ..history import is_media


def items_of(value: Any) -> list[dict[str, Any]]:
    """The single records behind a logged value (a gallery or a plain list becomes its items)."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if value.get("_type") == kinds.tags.GALLERY:
        items = value.get("items")
        return [v for v in items if isinstance(v, dict)] if isinstance(items, list) else []
    return [value]


def kind_of(records: list[dict[str, Any]]) -> str:
    panels = {kinds.panel_of(r.get("_type")) for r in records}
    if len(panels) == 1:
        return panels.pop()
    return "mixed" if panels else "unsupported"


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


def cap(ks: KeySeries, per_key: int = MEDIA_PER_KEY, per_step: int = MEDIA_PER_STEP) -> str | None:
    """Keep at most ``per_step`` files of ``ks`` a step (the first) and ``per_key`` in all (steps thinned
    evenly, first and last kept): a run logging 100,000 images under one key copied every one and listed
    them all on its page. What was left out, said once (None: nothing was); histograms are no files
    (their heatmap thins its own steps)."""
    if ks.kind == "heatmap":
        return None
    total = sum(len(f.records) for f in ks.frames)
    widest = max((len(f.records) for f in ks.frames), default=0)
    if total <= per_key and widest <= per_step:
        return None
    from ...media.metrics import thin

    for f in ks.frames:
        del f.records[per_step:]
    steps = len(ks.frames)
    ks.frames = [ks.frames[i] for i in thin(steps, max(2, per_key // min(widest, per_step)))]
    shown = sum(len(f.records) for f in ks.frames)
    return (f"key {ks.key!r}: {total:,} media files in {steps:,} steps; the run page shows {shown:,} in "
            f"{len(ks.frames):,} steps (at most {per_key:,} a key, steps thinned evenly with the first and "
            f"last kept, and {per_step:,} a step)")
