"""Kinds whose data the page loads as a script: table, molecule, object3d."""
from __future__ import annotations

import math
from typing import Any

from ...storage import kinds as tags
from ..clip import NAME_CHARS, cell_chars, clip, clip_cell
from ..exc_text import exc_text
from . import Kind, register
from .files import caption

TABLE_ROWS = 50  # rows a report's media directive shows (the run page has them all)
MAX_INCREMENTS = 100  # an INCREMENTAL table shows its latest 100 increments, as wandb's UI does
MAX_SHOWN_ROWS = 100_000  # ... and at most this many rows of them (of any table)
#: columns the run page's table shows: each page of 25 rows is in the DOM with all its cells, and
#: a logged table of 20,000 columns (a 1 MB file) hung the tab for 25 s
MAX_SHOWN_COLUMNS = 1_000
#: an object3d's scene file is read up to this size (other JSON files: publish.READ_MAX, 64 MiB): a
#: 2M-point cloud with colours, as the SDK writes it, is 78 MB ("could not show object3d: larger than
#: 64 MiB"); this holds 3.4M such points (about 1.5 GB while decoded)
MAX_SCENE_BYTES = 128 << 20


def increments(rec: dict[str, Any]) -> list[str]:
    """The files of an INCREMENTAL table's earlier increments (oldest first, at most MAX_INCREMENTS - 1)."""
    prev = rec.get("previous_increments")
    parts = [p for p in prev if isinstance(p, str)] if isinstance(prev, list) else []
    return parts[-(MAX_INCREMENTS - 1):]


@register
class TableKind(Kind):
    tag = tags.TABLE
    panel = "table"
    item_type = "table"
    report_template = "partials/report_media_table.html"

    def item(self, ctx, rec, where, name):
        # an INCREMENTAL table's record lists the files of its earlier increments: shown as one table.
        # Each file's cells are cut as it is read, and a file listed twice is read once (a 60 MB
        # cell in a file listed as all 100 increments was held 100 times over: 6 GB for a 60 KB zip)
        chunks, total, cols, paths, cut, seen = [], 0, None, [], 0, {}
        for path in [rec.get("path"), *reversed(increments(rec))]:  # newest first
            if path in seen:
                shown, cut_here = seen[path]
            else:
                data = ctx.json(path)
                if not isinstance(data, dict) or not isinstance(data.get("columns"), list) or not isinstance(data.get("data"), list):
                    raise ValueError("table file is not {columns, data}")
                if cols is None:
                    cols = [clip(str(c), NAME_CHARS) for c in data["columns"]]
                    if len(cols) > MAX_SHOWN_COLUMNS:
                        ctx.warn(where, f"table: only the first {MAX_SHOWN_COLUMNS:,} of {len(cols):,} columns are shown")
                        cols = cols[:MAX_SHOWN_COLUMNS]
                    width = len(cols)  # a row never has more cells than the table has columns
                    limit = cell_chars(width)
                part = data["data"]
                if chunks and total + len(part) > MAX_SHOWN_ROWS:
                    ctx.warn(where, f"incremental table: only the latest {total:,} rows are shown")
                    break
                if len(part) > MAX_SHOWN_ROWS:  # 10^6 rows: the page sorted and filtered them all
                    ctx.warn(where, f"table: only the first {MAX_SHOWN_ROWS:,} of {len(part):,} rows are shown "
                                    f"(the whole table: {', '.join(_published(ctx, [path]))})")
                    part = part[:MAX_SHOWN_ROWS]
                shown, cut_here = _cut_rows(part, width, limit)
                seen[path] = shown, cut_here
                del data, part
            if chunks and total + len(shown) > MAX_SHOWN_ROWS:
                ctx.warn(where, f"incremental table: only the latest {total:,} rows are shown")
                break
            chunks.append(shown)
            paths.append(path)
            total += len(shown)
            cut += cut_here
        body = [row for chunk in reversed(chunks) for row in chunk]
        rows = []
        for r, row in enumerate(body):
            cells = []
            for c, cell in enumerate(row):
                if isinstance(cell, dict) and isinstance(cell.get("_type"), str):
                    at = f"{where} row {r} column {cols[c] if c < len(cols) else c}"
                    if cell["_type"] == tags.TABLE:
                        # the SDK never writes one; a table file listing itself in two cells made
                        # the build expand it 2, 4, 8... times, without end
                        ctx.warn(at, "a table inside a table cell is not shown")
                        cell = {"t": "unsupported", "type": tags.TABLE}
                    else:
                        cell = ctx.make(cell, at, f"{name}_r{r}c{c}")
                cells.append(cell)
            rows.append(cells)
        data_id, site = ctx.files.write_data(name, {"columns": cols, "rows": rows})
        item = {"t": "table", "id": data_id, "data": site, "nrows": len(rows), "columns": cols}
        if cut:  # the whole values: the table's files, published with the site
            item["files"] = _published(ctx, reversed(paths))
            ctx.warn(where, f"table: {cut:,} cell(s) longer than {limit:,} characters are cut on the page"
                     + (f" (the whole table: {', '.join(item['files'][-3:])})" if item["files"] else ""))
        return item

    def report(self, ctx, run, key, records, item):
        from ..clip import CELL_CHARS
        from ..fmt import fmt_value
        from ..panels.sitefiles import MissingFile

        record = records[0]
        columns, rows, nrows, long_cells = [], [], 0, False
        for part in [*increments(record), record.get("path")]:  # an INCREMENTAL table: earlier rows first
            try:
                # read from the run folder as the run page reads it (bounded: a sparse 8 GB table file was
                # read whole; nested at most MAX_DEPTH), and only the rows shown are kept, their text cut
                # (a file listed as every increment was held 100 times over). Not copied into the site:
                # an increment copied and linked from nowhere was published all the same
                data = ctx.read_run_json(run, part)
                columns = list(data["columns"])
                for row in data["data"][:TABLE_ROWS - len(rows)]:
                    text = [fmt_value(c) for c in row[:MAX_SHOWN_COLUMNS]] if isinstance(row, list) else None
                    long_cells = long_cells or any(len(t) > CELL_CHARS for t in text or ())
                    rows.append(text and [clip(t, CELL_CHARS) for t in text])
                nrows += len(data["data"])
                del data
            except MissingFile:
                item["missing"] = f"{key}: table file {part!r} is missing from run {run.id}"
                return item
            except (ValueError, KeyError, TypeError, OSError) as exc:
                item["missing"] = f"{key}: table file is unreadable ({exc.__class__.__name__}: {exc_text(exc, run.path)})"
                return item
        width = min(len(columns), MAX_SHOWN_COLUMNS)
        shown = [row[:width] for row in rows if row is not None]
        cut = [[clip(c, cell_chars(width)) for c in row] for row in shown]
        # a megabyte per cell: the whole (newest) file is linked
        item.update(columns=[clip(str(c), NAME_CHARS) for c in columns[:width]], rows=cut,
                    full=ctx.copy_run_file(run, record.get("path")) if long_cells or cut != shown else None)
        notes = [f"First {TABLE_ROWS} of {nrows} rows; the run page has them all."] if nrows > TABLE_ROWS else []
        if len(columns) > width:
            notes.append(f"First {width:,} of {len(columns):,} columns.")
        if notes:
            item["note"] = " ".join(notes)
        return item


def _cut_rows(part: list, width: int, limit: int) -> tuple[list[list], int]:
    """Rows of a table file as the page shows them: at most ``width`` cells, text cut at ``limit``
    (media records are made later); how many cells were cut."""
    rows, cut = [], 0
    for row in part:
        cells = []
        for cell in row[:width] if isinstance(row, list) else []:
            if not (isinstance(cell, dict) and isinstance(cell.get("_type"), str)):
                cell, was_cut = clip_cell(cell, limit)
                cut += was_cut
            cells.append(cell)
        rows.append(cells)
    return rows, cut


def _published(ctx, paths) -> list[str]:
    from ..panels.sitefiles import MissingFile

    out = []
    for p in paths:
        try:
            out.append(ctx.files.copy(p))
        except MissingFile:
            pass
    return out


def _vecs(values: Any, width: int, conv) -> list:
    return [conv(v) for p in values for v in p[:width]]


def _box(b: dict) -> dict | None:
    """A lidar box as the viewer draws it: exactly 8 corners of [x, y, z] (the viewer finds its
    12 edges among every pair of corners), a colour of 3 numbers; None when it is not one."""
    corners = b.get("corners")
    if not (isinstance(corners, list) and len(corners) == 8 and all(_finite_vec(c) for c in corners)):
        return None
    color = b.get("color")
    return {"corners": corners, "label": b.get("label"), "color": color if _finite_vec(color) else None}


def _finite_vec(v: Any) -> bool:
    return (isinstance(v, list) and len(v) == 3
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v))


class SceneKind(Kind):
    """Drawn by the WebGL viewer (assets/viewer3d.js) from a scene data script."""

    panel = "object3d"
    item_type = "3d"
    needs = ("viewer3d",)

    def scene_item(self, ctx, rec, name, payload, **extra):
        """Write ``payload`` as the item's data script (and keep the source file with the site)."""
        from ..panels.items import clean

        data_id, site = ctx.files.write_data(name, clean(payload))
        if rec.get("path"):
            ctx.files.copy(rec["path"])
        return {"t": "3d", "id": data_id, "data": site, "caption": caption(rec), "format": rec.get("format"), **extra}


@register
class MoleculeKind(SceneKind):
    tag = tags.MOLECULE

    def item(self, ctx, rec, where, name):
        st = ctx.json_object(rec.get("structure"), "molecule has no structure")
        atoms = [a for a in st.get("atoms") or [] if isinstance(a, dict)]
        payload = {"atoms": {"e": [str(a.get("element", "C")) for a in atoms],
                             "xyz": [float(a.get(k, 0.0)) for a in atoms for k in ("x", "y", "z")]},
                   "bonds": [b[:3] if len(b) >= 3 else [b[0], b[1], 1] for b in st.get("bonds") or []
                             if isinstance(b, list) and len(b) >= 2]}
        return self.scene_item(ctx, rec, name, payload, natoms=len(atoms))


@register
class Object3DKind(SceneKind):
    tag = tags.OBJECT3D

    def item(self, ctx, rec, where, name):
        from ..panels.pointcloud import cloud_payload

        scene = ctx.json_object(rec.get("scene"), "object3d has no scene", MAX_SCENE_BYTES)
        payload: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        pts = scene.get("points")
        if isinstance(pts, list) and pts:
            cloud, note = cloud_payload(scene, lambda text: ctx.warn(where, text))
            payload.update(cloud)
            if note:
                extra["note"] = note
        mesh = scene.get("mesh")
        if isinstance(mesh, dict) and mesh.get("vertices"):
            payload["mesh"] = {"v": _vecs(mesh["vertices"], 3, float), "f": _vecs(mesh.get("faces") or [], 3, int)}
            if mesh.get("vertex_colors"):
                payload["mesh"]["c"] = _vecs(mesh["vertex_colors"], 3, int)
        if isinstance(scene.get("boxes"), list):
            boxes = [(i, _box(b)) for i, b in enumerate(scene["boxes"]) if isinstance(b, dict)]
            bad = [i for i, b in boxes if b is None]
            if bad:  # the viewer pairs every two corners of a box: 20,000 corners hung the tab
                ctx.warn(where, f"object3d: left out {len(bad)} box(es) without 8 corners of 3 finite numbers "
                                f"(boxes {', '.join(map(str, bad[:5]))}{' ...' if len(bad) > 5 else ''})")
            payload["boxes"] = [b for _, b in boxes if b is not None]
        if isinstance(scene.get("vectors"), list):
            payload["vectors"] = [v for v in scene["vectors"] if isinstance(v, dict) and "start" in v and "end" in v]
        return self.scene_item(ctx, rec, name, payload, **extra)
