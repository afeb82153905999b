"""wandb media records -> reportgen media objects, for :mod:`.wandb_local`.

Files are resolved inside the run's ``files/`` (a path leaving it is refused); class
labels of boxes and masks come from ``config._wandb``; ``wandb.plot.*`` tables become
custom charts again (``config._wandb.visualize``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .budget import FILE_MAX as MEDIA_MAX, OverBudget
from .common import Problems
from .images import check_image_file


TEXT_MAX = 64 << 20  # nor a table, HTML, plotly or boxes file larger than this
# records that may name one media file (wandb names each file by key, step and hash: a file is named by one
# history record, and its summary copy): 2,000 rows naming one 650 KB table took 96 s to import
MAX_USES = 8


class WandbMedia:
    """wandb media records -> reportgen media objects (files resolved inside ``files/``)."""

    def __init__(self, files: Path | None, problems: Problems, label: str, config: dict[str, Any] | None = None,
                 run: str | None = None):
        self.files, self.problems, self.label = files, problems, label  # files None: files/ is not read
        self.run = run or label  # the run id the media budget counts against (budget.py)
        self._uses: dict[Path, int] = {}  # media file -> times read this pass
        self.config = config if config is not None else {}  # the run's config as read so far (its _wandb)

    def _path(self, rel: Any, max_bytes: int | None = None) -> Path:
        p = self._inside(rel)
        if not p.is_file():
            raise ValueError(f"media file {rel!r} is missing")
        self._check(rel, p, p.stat().st_size, max_bytes)
        return p

    def _open(self, rel: Any):
        """The media file ``rel`` opened once, as :meth:`_path` checks it but on the open descriptor: no
        link (one swapped in after the check would be followed out of files/), no pipe; for audio and
        video, whose objects read the file object given (``media.base.read_once``)."""
        from ..storage.safety import open_regular

        p = self._inside(rel)
        try:
            fh = open_regular(p, follow=False)
        except FileNotFoundError:
            raise ValueError(f"media file {rel!r} is missing") from None
        try:
            self._check(rel, p, os.fstat(fh.fileno()).st_size, None)
        except BaseException:
            fh.close()
            raise
        return fh

    def _inside(self, rel: Any) -> Path:
        if self.files is None:
            raise ValueError("the run's files/ folder leads outside the run (not read)")
        p = (self.files / str(rel)).resolve()
        if self.files.resolve() not in p.parents:
            raise ValueError(f"path {rel!r} leaves the run's files/ folder")
        return p

    def _check(self, rel: Any, p: Path, size: int, max_bytes: int | None) -> None:
        max_bytes = MEDIA_MAX if max_bytes is None else max_bytes
        if size > max_bytes:  # (a sparse 20 GB "table" was read into memory whole)
            raise ValueError(f"media file {rel!r} is larger than {max_bytes >> 20} MiB; not imported")
        if max_bytes == MEDIA_MAX:  # (not read at all past the import's media budget)
            self.problems.media.check_file(self.run, size, repr(f"files/{rel}"))
        uses = self._uses[p] = self._uses.get(p, 0) + 1
        if uses > MAX_USES:  # wandb writes a new file per logged value: many records naming one are crafted
            raise ValueError(f"media file {rel!r} is named by more than {MAX_USES} records; not read again")

    def _text(self, rel: Any, errors: str = "strict") -> str:
        """A JSON or HTML file of the run's media (at most :data:`TEXT_MAX` bytes), as text."""
        return self._path(rel, TEXT_MAX).read_text(encoding="utf-8", errors=errors)

    def convert(self, key: str, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        t = v.get("_type")
        if t is None:
            return {k: self.convert(f"{key}/{k}", x) for k, x in v.items()}
        try:
            return self._record(t, v, key)
        except OverBudget as exc:  # one warning per run, not one per record
            if str(exc):
                self.problems.warn(str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - one bad value never stops the import
            self.problems.some(self.label, "media values skipped", f"{self.label}: key {key!r} ({t}): {exc}; skipped")
            return None

    def _labels(self, kind: str, key: str, name: str) -> dict | None:
        """Class labels wandb keeps in ``config._wandb["<kind>/class_labels"]["<key>_wandb_delimeter_<name>"]``."""
        table = (self.config.get("_wandb") or {}).get(f"{kind}/class_labels") or {}
        entry = table.get(f"{key}_wandb_delimeter_{name}") if isinstance(table, dict) else None
        labels = entry.get("value") if isinstance(entry, dict) else None
        return labels if isinstance(labels, dict) else None

    def custom_charts(self, row: dict[str, Any]) -> list[str]:
        """``wandb.plot.*`` charts: wandb logs the table as ``<key>_table`` and keeps the chart in
        ``config._wandb.visualize[<key>]``; the row gets ``<key>`` as a custom chart of that table instead.
        Returns the table keys replaced."""
        replaced = []
        for key, panel in ((self.config.get("_wandb") or {}).get("visualize") or {}).items():
            try:
                cfg = panel["panel_config"]
                query = cfg["userQuery"]["queryFields"][0]["fields"]
                table_key = next(a["value"] for f in query if f.get("name") == "summaryTable" for a in f["args"]
                                 if a.get("name") == "tableKey")
            except (KeyError, TypeError, IndexError, StopIteration):
                continue
            table = row.get(table_key)
            if not isinstance(table, dict) or table.get("_type") != "table-file" or key in row:
                continue
            try:
                from ..media.plot import plot_table

                chart = plot_table(cfg["panelDefId"], self._record("table-file", table, table_key),
                                   {k: v for k, v in (cfg.get("fieldSettings") or {}).items() if v is not None},
                                   {k: str(v) for k, v in (cfg.get("stringSettings") or {}).items()})
            except Exception as exc:  # noqa: BLE001 - an unknown preset keeps the table
                self.problems.warn(f"{self.label}: chart {key!r} ({cfg.get('panelDefId')}): {exc}; "
                                   f"its table {table_key!r} is imported as a table")
                continue
            del row[table_key]
            row[key] = chart
            replaced.append(table_key)
        return replaced

    def _overlays(self, key: str, v: dict[str, Any]) -> dict[str, Any]:
        """``boxes`` (their JSON files) and ``masks`` (their PNGs) of an image record, as ``Image`` takes them."""
        out: dict[str, Any] = {}
        boxes = {}
        for name, b in (v.get("boxes") or {}).items():
            data = json.loads(self._text(b["path"]))
            labels = data.get("class_labels") or self._labels("bounding_box", key, name)
            boxes[name] = {"box_data": data.get("box_data") or [], **({"class_labels": labels} if labels else {})}
        masks = {}
        for name, m in (v.get("masks") or {}).items():
            labels = self._labels("mask", key, name)
            masks[name] = {"path": check_image_file(self._path(m["path"])),  # (bounded pixels, as images)
                           **({"class_labels": labels} if labels else {})}
        if boxes:
            out["boxes"] = boxes
        if masks:
            out["masks"] = masks
        return out

    def _record(self, t: str, v: dict[str, Any], key: str = "") -> Any:
        import numpy as np

        from .. import media as m  # noqa: F401 (lazy classes below)

        caption = v.get("caption")
        if t == "image-file":
            from ..media.image import Image
            return Image(check_image_file(self._path(v["path"])), caption=caption, **self._overlays(key, v))
        if t == "images/separated":
            from ..media.image import Image
            names = v.get("filenames") or []
            caps = v.get("captions") or [None] * len(names)
            return [Image(check_image_file(self._path(n)), caption=c if isinstance(c, str) else None)
                    for n, c in zip(names, caps)]
        if t == "histogram":
            from ..media.histogram import Histogram
            values = v.get("values") or []
            bins = v.get("bins")
            if bins is None and isinstance(v.get("packedBins"), dict):
                pb = v["packedBins"]
                count = pb.get("count")
                if not isinstance(count, int) or isinstance(count, bool) or count != len(values):
                    # (a count of 10**12 from an untrusted log made a list of 10**12 edges)
                    raise ValueError(f"packedBins count {count!r} is not the number of its values ({len(values)})")
                bins = [pb["min"] + i * pb["size"] for i in range(count + 1)]
            return Histogram(np_histogram=(np.asarray(values, float), np.asarray(bins, float)))
        if t == "table-file":
            from ..media.table import Table
            data = json.loads(self._text(v["path"]))
            rows = [[c if not isinstance(c, dict) else json.dumps(c) for c in row] for row in data.get("data", [])]
            return Table(columns=[str(c) for c in data.get("columns", [])], data=rows)
        if t == "audio-file":
            from ..media.audio import Audio
            with self._open(v["path"]) as fh:
                return Audio(fh, caption=caption)
        if t == "video-file":
            from ..media.base import extension
            from ..media.video import FORMATS, Video
            ext = extension(str(v["path"]))
            if ext not in FORMATS:
                raise ValueError(f"unsupported video file {v['path']!r}; expected one of {', '.join(FORMATS)}")
            with self._open(v["path"]) as fh:
                return Video(fh, caption=caption, format=ext)
        if t == "html-file":
            from ..media.html import Html
            text = self._text(v["path"], errors="replace")
            return Html(text.replace(WANDB_HTML_HEAD, "", 1))  # wandb's stylesheet would load from its server
        if t == "object3D-file":
            from ..media.object3d import Object3D
            return Object3D(str(self._path(v["path"])))
        if t == "molecule-file":
            from ..media.molecule import Molecule
            return Molecule(str(self._path(v["path"])))
        if t == "plotly-file":
            from ..media.figures import Plotly
            text = self._text(v["path"])
            if not isinstance(json.loads(text), dict):
                raise ValueError("not a plotly figure (expected a JSON object)")
            return Plotly(_FigureJSON(text))
        raise ValueError(f"wandb type {t!r} is not imported")


class _FigureJSON:
    """A plotly figure already serialised by wandb (``Plotly`` stores ``to_json()``)."""

    def __init__(self, text: str):
        self.text = text

    def to_json(self) -> str:
        return self.text


# what wandb.Html(inject=True), its default, puts in front of the page
WANDB_HTML_HEAD = '<base target="_blank"><link rel="stylesheet" type="text/css" href="https://app.wandb.ai/normalize.css" />'
