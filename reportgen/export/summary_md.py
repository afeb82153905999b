"""A Markdown summary of run folders for CI job summaries and pull-request comments.

``write_summary(SummaryOptions(runs, out))`` writes ``out`` (e.g. ``summary.md``) and
its chart images into ``<stem>_files/`` next to it, referenced by relative paths
(or by ``image_base`` + that path, when the images will be published elsewhere,
e.g. on GitHub Pages). Everything a user wrote (run names, values) is escaped,
so a run name can neither break the table nor inject HTML into a comment.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..site import pages
from ..site.clip import clip, clip_key, clip_meta
from ..site.rundata import RunInfo
from ..storage.format import flatten, is_system_key
from ..site.fmt import fmt_value, is_number
from ..storage.reader import RunRecord, list_run_dirs, read_run
from ..storage.safety import unique_names
from .static_charts import (IMAGE_FORMATS, chart_file_name, chart_rows, has_data, numeric_series, render_chart,
                            static_spec)

# Summary keys that usually matter most come first in the table and the charts.
_KEY_HINTS = re.compile(r"(loss|acc|accuracy|f1|auc|score|error|err|precision|recall|iou|map|bleu|reward|best)",
                        re.IGNORECASE)
_COUNTERS = {"epoch", "global_step", "step", "iteration", "iter", "batch"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~$])")  # ($: GitHub renders $...$ as LaTeX, \Huge included)
# What GitHub turns into a notification or a link in a PR comment even when escaped: @user and
# @org/team mentions (and user@host mail links), bare https:// and www. links, and references to
# issues and pull requests (#123, GH-123, owner/repo#123: a link, and a "mentioned this" event on
# that issue). A zero-width space (as Dependabot writes it) after the @, the :, the # or the GH- keeps
# the text as it reads, inert.
_GITHUB_AUTO = re.compile(r"@|:(?=//)|(?<![A-Za-z0-9])www(?=\.)|#(?=[0-9])|(?<![A-Za-z0-9])gh-(?=[0-9])",
                          re.IGNORECASE)


@dataclass
class SummaryOptions:
    runs: Path
    out: Path  # the Markdown file
    image_format: str = "png"
    metrics: list[str] | None = None  # keys or globs: table columns and charts
    max_charts: int = 12
    max_columns: int = 8
    max_runs: int = 50
    samples: int = 300
    image_base: str | None = None  # e.g. "https://me.github.io/repo/" when images are published
    title: str = "Experiment summary"

    def __post_init__(self) -> None:
        self.runs, self.out = Path(self.runs), Path(self.out)
        if self.image_format not in IMAGE_FORMATS:
            raise ValueError(f"image_format: expected one of {', '.join(IMAGE_FORMATS)}, got {self.image_format!r}")
        for name in ("max_charts", "max_columns", "max_runs"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name}: expected an integer >= 0, got {value!r}")
        if not isinstance(self.samples, int) or self.samples < 10:
            raise ValueError(f"samples: expected an integer >= 10, got {self.samples!r}")
        if self.image_base is not None and not re.match(r"^https?://", self.image_base):
            raise ValueError(f"image_base: expected an http(s) URL, got {self.image_base!r}")


@dataclass
class SummaryResult:
    path: Path
    images: list[Path] = field(default_factory=list)
    runs: int = 0
    warnings: list[str] = field(default_factory=list)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


#: Characters of a name, key or value (before escaping) the summary shows, then cut as the site cuts text
#: (clip.py: "…" and the whole length, or a hash of a whole key or name): a run folder named with
#: 200,000 characters made a 1 MB summary, beyond a PR comment (65,536) and a job summary (1 MiB).
MAX_TEXT = 120


def md_escape(text: Any, limit: int | None = None) -> str:
    """Inline Markdown text that renders literally: no emphasis, links, HTML or table breaks;
    cut at ``limit`` characters (:func:`clip.clip`) when given."""
    s = str(text) if limit is None else clip(str(text), limit)
    s = _CONTROL.sub("\ufffd", s.replace("\r", " ").replace("\n", " "))  # (a terminal escape in a run name)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return _GITHUB_AUTO.sub(lambda m: m.group() + "&#8203;", s)


def _is_counter(key: str) -> bool:
    leaf = key.rsplit("/", 1)[-1].lower()
    return leaf in _COUNTERS or leaf.endswith("_step")


def rank_keys(keys: list[str]) -> list[str]:
    """Metric-looking keys first (loss, accuracy, ...), counters (epoch, step) last, then by name."""
    def rank(k: str) -> tuple[int, str]:
        if _is_counter(k):
            return (2, k)
        return (0 if _KEY_HINTS.search(k) else 1, k)
    return sorted(keys, key=rank)


def _pick(keys: list[str], patterns: list[str] | None) -> tuple[list[str], list[str]]:
    if not patterns:
        return rank_keys(keys), []
    picked, unmatched = [], []
    for pat in patterns:
        hits = [k for k in keys if k == pat or fnmatch.fnmatchcase(k, pat)]
        if not hits:
            unmatched.append(pat)
        picked.extend(h for h in hits if h not in picked)
    return picked, unmatched


def _site_runs(root: Path, warnings: list[str]) -> tuple[list[RunRecord], list[str], list[str]]:
    """The run folders under ``root`` read, in the site's order, with the site's labels (cut at
    :data:`MAX_TEXT`: vl-convert took minutes on a long one) and colours: the site's own functions
    (``pages.order_runs``, ``run_labels``, ``run_colors``) of each run's site key and run.json as the
    site shows it (a copy of them ordered and coloured runs otherwise)."""
    dirs = list_run_dirs(root, warnings)
    records = {f: read_run(p) for f, p in zip(unique_names([p.name for p in dirs]), dirs)}  # (phases.gather)
    infos = pages.order_runs([RunInfo(file=f, path=str(r.path), meta=clip_meta(r.meta)[0], config={}, summary={},
                                      warnings=[]) for f, r in records.items()])
    return [records[r.file] for r in infos], pages.run_labels(infos, MAX_TEXT), pages.run_colors(infos)


def _image_ref(rel_path: str, base: str | None) -> str:
    return (base.rstrip("/") + "/" + rel_path) if base else rel_path


def build_summary(opts: SummaryOptions) -> tuple[str, list[tuple[str, bytes]], SummaryResult]:
    """The Markdown text and the image files to write (relative path, bytes); no writing."""
    result = SummaryResult(opts.out)
    records, labels, colors = _site_runs(opts.runs, result.warnings)
    for r in records:
        result.warnings.extend(f"run {r.id}: {w}" for w in r.warnings)
    series = [numeric_series(r.history) for r in records]
    result.runs = len(records)
    folder = f"{opts.out.stem}_files"

    lines = [f"# {md_escape(opts.title)}", ""]
    if not records:
        lines += [f"No runs found in `{md_escape(opts.runs.name)}`.", ""]
        return "\n".join(lines), [], result
    projects = sorted({r.project for r in records})
    metric_keys = sorted({k for s in series for k in s})
    lines += [f"**{len(records)} run{'s' if len(records) != 1 else ''}** · project "
              f"{', '.join(md_escape(p, MAX_TEXT) for p in projects[:20])}{' …' if len(projects) > 20 else ''} · {len(metric_keys)} logged metrics", ""]

    # numbers; logged objects (their kind's one-line text) only when --metrics names them
    summary_keys = sorted({k for r in records for k, v in flatten(r.summary).items()
                           if not is_system_key(k) and (is_number(v) or (opts.metrics and isinstance(v, dict)
                                                                          and "_type" in v))})
    columns, unmatched = _pick(summary_keys, opts.metrics)
    columns = columns[:opts.max_columns]
    lines += _table(records[:opts.max_runs], labels, columns)
    if len(records) > opts.max_runs:
        lines += [f"_… and {len(records) - opts.max_runs} more runs._", ""]

    chart_keys, unmatched_charts = _pick(metric_keys, opts.metrics)
    if not opts.metrics:  # a chart of the epoch counter against the step says nothing
        chart_keys = [k for k in chart_keys if not _is_counter(k)]
    for pat in unmatched:
        if pat in unmatched_charts:
            result.warnings.append(f"metrics: {pat!r} matches no summary key or logged metric")
    images: list[tuple[str, bytes]] = []
    drawn = 0
    chart_lines: list[str] = []
    for key in chart_keys:
        if drawn >= opts.max_charts:
            break
        present = [(labels[i], colors[i], s[key]) for i, s in enumerate(series) if key in s and has_data(s[key])]
        if not present:
            continue
        rows = chart_rows([(label, s) for label, _, s in present], opts.samples)
        spec = static_spec(key, [p[0] for p in present], [p[1] for p in present], rows)  # (its title: clip_title)
        rel_path = f"{folder}/{chart_file_name(key, opts.image_format)}"
        try:
            images.append((rel_path, render_chart(spec, opts.image_format)))
        except Exception as exc:  # noqa: BLE001 - one chart vl-convert cannot draw costs that chart, not the summary
            result.warnings.append(f"chart of {key!r}: not drawn ({str(exc).strip().splitlines()[0][:200]})")
            continue
        chart_lines += [f"![{md_escape(clip_key(key, MAX_TEXT))}]({_image_ref(rel_path, opts.image_base)})", ""]
        drawn += 1
    if chart_lines:
        lines += ["## Charts", "", *chart_lines]
        rest = len([k for k in chart_keys if any(k in s for s in series)]) - drawn
        if rest > 0:
            lines += [f"_{rest} more metric{'s' if rest != 1 else ''} not drawn (raise --max-charts)._", ""]
    return "\n".join(lines).rstrip() + "\n", images, result


def _table(records: list[Any], labels: list[str], columns: list[str]) -> list[str]:
    header = ["Run", "State", *columns]
    lines = ["| " + " | ".join(md_escape(clip_key(h, MAX_TEXT)) for h in header) + " |",
             "| " + " | ".join(["---", "---", *["---:"] * len(columns)]) + " |"]
    for rec, label in zip(records, labels):
        summary = flatten(rec.summary)
        cells = [md_escape(label), md_escape(rec.status, MAX_TEXT)]
        for col in columns:
            v = summary.get(col)
            cells.append("" if v is None else md_escape(fmt_value(v), MAX_TEXT))
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def write_summary(opts: SummaryOptions) -> SummaryResult:
    """Write the summary and its images; stale images of an earlier summary are removed."""
    if not opts.runs.exists():
        raise FileNotFoundError(f"runs folder {str(opts.runs)!r} does not exist")
    text, images, result = build_summary(opts)
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    folder = opts.out.parent / f"{opts.out.stem}_files"
    if folder.is_dir():
        for old in folder.iterdir():  # only chart images named as this writer names them
            if old.is_file() and not old.is_symlink() and re.search(r"-[0-9a-f]{8}\.(png|svg)$", old.name):
                old.unlink()
    for rel_path, data in images:
        target = opts.out.parent / rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        result.images.append(target)
    opts.out.write_text(text, encoding="utf-8")
    return result
