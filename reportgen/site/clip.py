"""Text from a run folder as the pages show it: cut to a length a browser lays out at once.

A run name of 5,000,000 characters (run.json), a tag, group or note of a million, or a config
value of two million each made a page's tab hang for good (laying out one unbroken word that
long, in the runs table, a legend or a run page's lists). Every string the site takes from
run.json, config.json and summary.json is cut when it is longer (``"abc…"`` plus how long it
was), names and tags shorter than other text; keys are cut too, with a short hash of the whole
key so that two long keys stay apart, and chart titles keep their head and tail around such a hash
(:func:`clip_title`). The run folder is not changed; the run's warning says
what was cut.

Table cells (:func:`clip_cell`) are cut at :data:`CELL_CHARS`, fewer in a wide table
(:func:`cell_chars`: a row shows at most :data:`ROW_CHARS`): 25 logged cells of a megabyte each
(one page of a table) blocked the run page's tab for 17 s, a page of 1,000 columns of 1,000
characters for 8 s. The table's file is published with the site, so the whole value stays one
click away."""
from __future__ import annotations

import hashlib
from typing import Any

NAME_CHARS = 256  # run names, projects, groups, job types, tags, ids; config and summary keys
TEXT_CHARS = 4096  # notes, config and summary text, any other string
CELL_CHARS = 1000  # a table cell's text (a list or dict cell: its JSON)
#: a media caption (ten images captioned with 2 MB each made a 20 MB run page, 11 s to open)
CAPTION_CHARS = 1000
ROW_CHARS = 100_000  # a table row's text, at 100 characters a cell at least
_NAMES = frozenset({"name", "project", "group", "job_type", "id"})


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def cell_chars(columns: int) -> int:
    """How long a cell's text may be in a table of ``columns`` columns."""
    return max(100, min(CELL_CHARS, ROW_CHARS // max(columns, 1)))


def clip_cell(cell: Any, limit: int = CELL_CHARS) -> tuple[Any, bool]:
    """A table cell as the page shows it (text longer than ``limit`` cut, a list or dict that
    long as its cut JSON); whether it was cut."""
    if isinstance(cell, str):
        out = clip(cell, limit)
        return out, out is not cell
    if isinstance(cell, (list, dict)):
        import json

        text = json.dumps(cell, default=str, allow_nan=True)
        if len(text) > limit:
            return clip(text, limit), True
    return cell, False


def clip_key(key: str, limit: int = NAME_CHARS) -> str:
    """A key cut at ``limit`` characters, with a short hash of the whole key (two long keys stay apart)."""
    if len(key) <= limit:
        return key
    return f"{key[:limit]}…{hashlib.sha1(key.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


#: a chart title's characters: Vega cuts a title at its ``limit`` (420 px, ~52 characters of 13 px
#: bold) at the end, so two long keys that differ past that had titles alike, on the site and in
#: ``reportgen summary``'s images
METRIC_TITLE_CHARS = 50


def clip_title(title: str, limit: int = METRIC_TITLE_CHARS) -> str:
    """A chart title that fits its chart: a longer one keeps its head and its tail (a metric's last
    name tells most: ``…/loss_ema``, ``…/loss_raw``) with a short hash of the whole title between them,
    so that two long titles stay apart wherever they differ (as :func:`clip_key` keeps keys apart)."""
    if len(title) <= limit:
        return title
    mark = f"…{hashlib.sha1(title.encode('utf-8', 'surrogatepass')).hexdigest()[:4]}…"
    tail = (limit - len(mark)) * 2 // 5
    return f"{title[:limit - len(mark) - tail]}{mark}{title[-tail:]}"


def clip_value(value: Any, limit: int = TEXT_CHARS) -> tuple[Any, bool]:
    """``value`` with its strings (and dict keys) cut; whether anything was."""
    if isinstance(value, str):
        out = clip(value, limit)
        return out, out is not value
    if isinstance(value, dict):
        changed = False
        items = {}
        for k, v in value.items():
            ck = clip_key(k) if isinstance(k, str) else k
            cv, c = clip_value(v, limit)
            changed |= c or ck is not k
            items[ck] = cv
        return (items, True) if changed else (value, False)
    if isinstance(value, list):
        pairs = [clip_value(v, limit) for v in value]
        if any(c for _v, c in pairs):
            return [v for v, _c in pairs], True
    return value, False


def clip_meta(meta: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """run.json as the site shows it (names and tags cut at :data:`NAME_CHARS`, other text at
    :data:`TEXT_CHARS`), and the keys whose text was cut."""
    out, cut = {}, []
    for k, v in meta.items():
        out[k], c = clip_value(v, NAME_CHARS if k in _NAMES or k == "tags" else TEXT_CHARS)
        if c:
            cut.append(k)
    return out, cut


def clip_run(meta: dict[str, Any], config: dict[str, Any], summary: dict[str, Any]
             ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[str]]:
    """run.json, config and summary as the site shows them, and a warning per file with text cut."""
    out_meta, cut = clip_meta(meta)
    warnings = [f"run.json {', '.join(cut)}: text longer than the site shows is cut ({NAME_CHARS} characters "
                f"for names and tags, {TEXT_CHARS:,} for other text)"] if cut else []
    config, c1 = clip_value(config)
    summary, c2 = clip_value(summary)
    for name, changed in (("config.json", c1), ("summary.json", c2)):
        if changed:
            warnings.append(f"{name}: keys longer than {NAME_CHARS} characters or text longer than "
                            f"{TEXT_CHARS:,} are cut on the site")
    return out_meta, config, summary, warnings
