"""One logged record -> one item view-model (files copied into the site on the way).

Items are plain JSON for ``assets/panels.js``; every path in them is a site path
(the page adds its own relative prefix). A missing file or an unknown ``_type``
becomes a ``missing``/``unsupported`` item plus a warning, never an exception.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ...storage.jsonio import read_json
from ..publish import html_document
from ..vegaclean import clean_spec, removed_note
from . import charts, overlays, waveform
from .sitefiles import MissingFile, RunFiles, make_thumbnail, needs_thumbnail, short_hash
from .histograms import bars_svg_data


MAX_INCREMENTS = 100  # an INCREMENTAL table shows its latest 100 increments, as wandb's UI does
MAX_SHOWN_ROWS = 100_000  # ... and at most this many rows of them


def clean(v: Any) -> Any:
    """JSON-safe copy for embedding in pages: non-finite floats become None."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    return v


def _caption(rec: dict[str, Any]) -> str | None:
    c = rec.get("caption")
    return None if c is None else str(c)


class ItemMaker:
    def __init__(self, files: RunFiles, presets: Path | None = None):
        self.files = files
        self.presets = presets

    def warn(self, where: str, msg: str) -> None:
        self.files.warnings.append(f"{where}: {msg}")

    def make(self, rec: dict[str, Any], where: str, name: str) -> dict[str, Any]:
        """``where`` names the key and step for warnings; ``name`` is unique per item (data file names)."""
        t = rec.get("_type")
        fn = getattr(self, "_" + t, None) if isinstance(t, str) and t.isidentifier() else None
        if fn is None:
            self.warn(where, f"unsupported media type {t!r}")
            return {"t": "unsupported", "type": str(t)}
        try:
            item = fn(rec, where, name)
        except MissingFile as exc:
            self.warn(where, str(exc))
            return {"t": "missing", "msg": str(exc), "type": t}
        except Exception as exc:  # a broken file must not break the build
            self.warn(where, f"could not show {t}: {exc.__class__.__name__}: {exc}")
            return {"t": "missing", "msg": f"could not show {t}: {exc}", "type": t}
        return item

    # -- images ---------------------------------------------------------------------------------
    def _reference(self, rec, kind):
        """A logged URL (``Image("https://...")``): shown as a link, never fetched by the site."""
        url = str(rec.get("url") or "")
        safe = url.lower().startswith(("https://", "http://"))  # never a javascript: or data: link
        return {"t": "link", "kind": kind, "href": url if safe else None, "text": url[:500],
                "caption": _caption(rec)}

    def _image(self, rec, where, name):
        f = self.files
        path = rec.get("path")
        if path is None and rec.get("url"):
            return self._reference(rec, "image")
        src = f.copy(path)
        w, h = rec.get("width"), rec.get("height")
        if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
            from PIL import Image
            with Image.open(f.source(path)) as im:
                w, h = im.size
        thumb = src
        if needs_thumbnail(w, h, f.source(path)):
            ext = ".png" if str(rec.get("mode", "")).upper() in ("RGBA", "LA", "P", "PA") else ".jpg"
            thumb = f.derived(path, "_thumb", ext, make_thumbnail)
        item = {"t": "image", "src": src, "thumb": thumb, "w": w, "h": h, "caption": _caption(rec)}
        masks = rec.get("masks")
        if isinstance(masks, dict) and masks:
            item["masks"] = [self._mask(name_, m, where) for name_, m in sorted(masks.items()) if isinstance(m, dict)]
        groups, score_keys = overlays.box_groups(rec.get("boxes"), w, h)
        if groups:
            item["boxes"] = clean(groups)
            item["scores"] = score_keys
        return item

    def _mask(self, mask_name, m, where):
        labels = {str(k): str(v) for k, v in (m.get("class_labels") or {}).items()}
        out = {"name": str(mask_name), "layers": []}
        try:
            ids = overlays.read_mask(self.files.source(m.get("path")))
        except MissingFile as exc:
            self.warn(where, f"mask {mask_name}: {exc}")
            out["missing"] = True
            return out
        for c in overlays.mask_class_ids(ids, labels):
            site = self.files.derived(m["path"], f"_c{c}", ".png",
                                      lambda s, d, c=c: overlays.write_mask_layer(ids, c, d))
            label = labels.get(str(c), f"class_{c}")
            # class 0 with the SDK's default label is background: listed, but hidden at first
            out["layers"].append({"c": c, "label": label, "color": overlays.class_color(c), "src": site,
                                  "off": c == 0 and label == "class_0"})
        return out

    # -- sound, video, html ---------------------------------------------------------------------
    def _audio(self, rec, where, name):
        path = rec.get("path")
        if path is None and rec.get("url"):
            return self._reference(rec, "audio")
        src = self.files.copy(path)
        try:
            wave_png = self.files.derived(path, "_wave", ".png", waveform.render_waveform)
        except (ValueError, OSError, EOFError) as exc:  # no waveform, but the player still works
            self.warn(where, f"no waveform: {exc}")
            wave_png = None
        return {"t": "audio", "src": src, "wave": wave_png, "caption": _caption(rec),
                "duration": clean(rec.get("duration")), "rate": rec.get("sample_rate")}

    def _video(self, rec, where, name):
        fmt = str(rec.get("format") or Path(str(rec.get("path"))).suffix.lstrip(".")).lower()
        return {"t": "video", "src": self.files.copy(rec.get("path")), "format": fmt,
                "caption": _caption(rec), "w": rec.get("width"), "h": rec.get("height")}

    def _html(self, rec, where, name):
        """Never published as an .html file: its text goes into a data script and the page shows it
        in ``<iframe sandbox="allow-scripts" srcdoc>`` (opaque origin, no requests; see publish.py)."""
        data = self.files.source(rec.get("path")).read_bytes()
        doc = html_document(data, HTML_STYLE if rec.get("inject", True) is not False else "")
        data_id, site = self.files.write_data(name, {"html": doc})
        return {"t": "html", "id": data_id, "data": site}

    def _svg(self, rec, where, name):
        return {"t": "svg", "src": self.files.copy(rec.get("path")), "caption": _caption(rec)}

    # -- data-backed items ------------------------------------------------------------------------
    def _json(self, path: Any) -> Any:
        return read_json(self.files.source(path))

    def _json_object(self, value: Any, problem: str) -> dict:
        """A JSON object stored inline or (a string) as a file path in the run; ``problem`` if neither."""
        if isinstance(value, str):
            value = self._json(value)
        if not isinstance(value, dict):
            raise ValueError(problem)
        return value

    def _table(self, rec, where, name):
        # an INCREMENTAL table's record lists the files of its earlier increments: shown as one table
        prev = rec.get("previous_increments")
        parts = [p for p in prev if isinstance(p, str)] if isinstance(prev, list) else []
        chunks, total, cols = [], 0, None
        for path in [rec.get("path"), *reversed(parts[-(MAX_INCREMENTS - 1):])]:  # newest first
            data = self._json(path)
            if not isinstance(data, dict) or not isinstance(data.get("columns"), list) or not isinstance(data.get("data"), list):
                raise ValueError("table file is not {columns, data}")
            cols = data["columns"] if cols is None else cols
            if chunks and total + len(data["data"]) > MAX_SHOWN_ROWS:
                self.warn(where, f"incremental table: only the latest {total:,} rows are shown")
                break
            chunks.append(data["data"])
            total += len(data["data"])
        body = [row for chunk in reversed(chunks) for row in chunk]
        cols = [str(c) for c in cols]
        rows = []
        for r, row in enumerate(body):
            cells = []
            for c, cell in enumerate(row if isinstance(row, list) else []):
                if isinstance(cell, dict) and isinstance(cell.get("_type"), str):
                    cell = self.make(cell, f"{where} row {r} column {cols[c] if c < len(cols) else c}",
                                     f"{name}_r{r}c{c}")
                cells.append(cell)
            rows.append(cells)
        data_id, site = self.files.write_data(name, {"columns": cols, "rows": rows})
        return {"t": "table", "id": data_id, "data": site, "nrows": len(rows), "columns": cols}

    def _molecule(self, rec, where, name):
        st = self._json_object(rec.get("structure"), "molecule has no structure")
        atoms = [a for a in st.get("atoms") or [] if isinstance(a, dict)]
        payload = {"atoms": {"e": [str(a.get("element", "C")) for a in atoms],
                             "xyz": [float(a.get(k, 0.0)) for a in atoms for k in ("x", "y", "z")]},
                   "bonds": [b[:3] if len(b) >= 3 else [b[0], b[1], 1] for b in st.get("bonds") or []
                             if isinstance(b, list) and len(b) >= 2]}
        data_id, site = self.files.write_data(name, clean(payload))
        if rec.get("path"):
            self.files.copy(rec["path"])
        return {"t": "3d", "id": data_id, "data": site, "caption": _caption(rec),
                "format": rec.get("format"), "natoms": len(atoms)}

    def _object3d(self, rec, where, name):
        scene = self._json_object(rec.get("scene"), "object3d has no scene")
        payload = {}
        pts = scene.get("points")
        if isinstance(pts, list) and pts:
            payload["points"] = [float(v) for p in pts for v in p[:3]]
            if isinstance(scene.get("point_colors"), list):
                payload["colors"] = [int(v) for c in scene["point_colors"] for v in c[:3]]
            elif isinstance(scene.get("categories"), list):
                payload["categories"] = [int(c) for c in scene["categories"]]
        mesh = scene.get("mesh")
        if isinstance(mesh, dict) and mesh.get("vertices"):
            payload["mesh"] = {"v": [float(x) for p in mesh["vertices"] for x in p[:3]],
                               "f": [int(i) for f in mesh.get("faces") or [] for i in f[:3]]}
            if mesh.get("vertex_colors"):
                payload["mesh"]["c"] = [int(x) for p in mesh["vertex_colors"] for x in p[:3]]
        if isinstance(scene.get("boxes"), list):
            payload["boxes"] = [{"corners": b.get("corners"), "label": b.get("label"), "color": b.get("color")}
                                for b in scene["boxes"] if isinstance(b, dict) and isinstance(b.get("corners"), list)]
        if isinstance(scene.get("vectors"), list):
            payload["vectors"] = [v for v in scene["vectors"] if isinstance(v, dict) and "start" in v and "end" in v]
        data_id, site = self.files.write_data(name, clean(payload))
        if rec.get("path"):
            self.files.copy(rec["path"])
        return {"t": "3d", "id": data_id, "data": site, "caption": _caption(rec), "format": rec.get("format")}

    def _clean_spec(self, spec, where):
        spec, removed = clean_spec(spec)
        if removed:
            self.warn(where, removed_note(removed))
        return spec

    def _custom_chart(self, rec, where, name):
        spec = self._clean_spec(charts.custom_chart_spec(rec, self._json, self.presets), where)
        data_id, site = self.files.write_data(name, {"spec": spec})
        return {"t": "vega", "id": data_id, "data": site, "title": rec.get("title") or rec.get("preset")}

    def _vega_lite(self, rec, where, name):
        spec = self._json_object(rec.get("spec"), "vega_lite spec is not a JSON object")
        data_id, site = self.files.write_data(name, {"spec": self._clean_spec(spec, where)})
        return {"t": "vega", "id": data_id, "data": site, "title": None}

    def _plotly(self, rec, where, name):
        fig = self._json_object(rec.get("path"), "plotly figure is not a JSON object")
        layout = fig.get("layout", {})
        if isinstance(layout, dict) and isinstance(layout.get("images"), list):
            # layout images load from their URL: only inline (data:) ones are kept
            kept = [i for i in layout["images"] if isinstance(i, dict) and str(i.get("source", "")).startswith("data:")]
            if len(kept) < len(layout["images"]):
                self.warn(where, "plotly layout images that load from a URL were removed (the site makes no requests)")
            layout = {**layout, "images": kept}
        data_id, site = self.files.write_data(name, {"data": fig.get("data", []), "layout": layout})
        return {"t": "plotly", "id": data_id, "data": site}

    # -- summary-only ---------------------------------------------------------------------------
    def _histogram(self, rec, where, name):
        bars = bars_svg_data(rec)
        if bars is None:
            raise ValueError("histogram needs bins (n+1 edges) and values (n counts)")
        return {"t": "bars", **bars}

    def _tensor(self, rec, where, name):
        stats = [[k, clean(rec.get(k))] for k in ("min", "max", "mean", "std", "var", "p5", "p25", "p50", "p75", "p95")
                 if k in rec]
        item = {"t": "tensor", "shape": rec.get("shape"), "dtype": rec.get("dtype"), "stats": stats, "src": None}
        if rec.get("path"):
            try:
                item["src"] = self.files.copy(rec["path"])
            except MissingFile as exc:
                self.warn(where, str(exc))
        return item


HTML_STYLE = ("<style>body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
              "font-size:14px;line-height:1.45;color:#1d2433;margin:8px}table{border-collapse:collapse}"
              "td,th{border:1px solid #e3e7ee;padding:4px 8px}a{color:#3b5bdb}</style>")


def item_name(key: str, step: Any, index: int) -> str:
    """A file-system-safe, deterministic name for an item's data file."""
    safe = "".join(c if c.isalnum() else "_" for c in key)[:32].strip("_") or "key"
    return f"{safe}_{step}_{index}_{short_hash(f'{key}|{step}|{index}', 8)}"
