"""Kinds stored as a file in the run folder: image, audio, video, html, svg."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ...storage import kinds as tags
from ..clip import CAPTION_CHARS, NAME_CHARS, clip
from ..write import WriteFailed
from . import Kind, register


def caption(rec: dict[str, Any]) -> str | None:
    """A record's caption as pages show it: cut at :data:`..clip.CAPTION_CHARS`, with its length."""
    c = rec.get("caption")
    return None if c is None else clip(str(c), CAPTION_CHARS)


def reference(rec: dict[str, Any], kind: str) -> dict[str, Any]:
    """A logged URL (``Image("https://...")``): shown as a link, never fetched by the site."""
    url = str(rec.get("url") or "")
    safe = url.lower().startswith(("https://", "http://"))  # never a javascript: or data: link
    return {"t": "link", "kind": kind, "href": url if safe else None, "text": url[:500], "caption": caption(rec)}


def is_reference(rec: Any) -> bool:
    return isinstance(rec, dict) and rec.get("path") is None and bool(rec.get("url"))


class FileKind(Kind):
    """A record with a ``path`` (or, for images and audio, a ``url`` reference); a report's media
    directive shows the run page's item of it (:meth:`report_file`)."""

    item_type: str = ""

    def report(self, ctx, run, key, records, item):
        for r in records:
            if is_reference(r):
                # a URL reference (Image("https://...")): named, never fetched or linked from a report
                item["note"] = f"{key}: a reference to {str(r['url'])[:300]} (not stored in the run)"
                continue
            entry, problem = self.report_file(ctx, run, r) if isinstance(r, dict) else \
                (None, f"file {str(r)!r} is missing from run {run.id}")
            if entry is None:
                item["missing"] = f"{key}: {problem}"
                return item
            item["files"].append(entry)
        return item

    def report_file(self, ctx, run, rec):
        """``(entry, None)``: the report's entry of the file of ``rec``, the run page's item of it (its
        file checked and published as the run page's are: bug, audio and video were copied as they
        were, a file the run page would not show linked from the report); or ``(None, why not)``."""
        shown = ctx.run_item(run, self.report_record(rec))
        if shown.get("t") != self.item_type:
            return None, f"{shown.get('msg')} (run {run.id})"
        return {"url": shown["src"], "caption": shown.get("caption") or "", "width": shown.get("w"),
                "height": shown.get("h"), "format": shown.get("format", rec.get("format")), "only": shown.get("only")}, None

    def report_record(self, rec: dict[str, Any]) -> dict[str, Any]:
        """What of ``rec`` a report shows (the record as it is)."""
        return rec


@register
class ImageKind(FileKind):
    tag = tags.IMAGE
    report_template = "partials/report_media_image.html"
    panel = "images"
    item_type = "image"

    def item(self, ctx, rec, where, name):
        from ..panels import overlays
        from ..panels.items import clean
        from ..panels.sitefiles import make_thumbnail, needs_thumbnail

        f = ctx.files
        path = rec.get("path")
        if is_reference(rec):
            return reference(rec, "image")
        # the image is read (its size, its thumbnail) before it is copied: one that cannot be shown
        # (undecodable, past DECODE_MAX, not an image) is not published (ItemMaker drops what it made,
        # and a copy an earlier build made)
        file = f.source(path)
        src, w, h = _read_image(f, path, file, rec)
        thumb = None
        if needs_thumbnail(w, h, file):
            ext = ".png" if str(rec.get("mode", "")).upper() in ("RGBA", "LA", "P", "PA") else ".jpg"
            thumb = f.derived(path, "_thumb", ext, make_thumbnail)
        src = src or f.copy(path)
        item = {"t": "image", "src": src, "thumb": thumb or src, "w": w, "h": h, "caption": caption(rec)}
        masks = rec.get("masks")
        if isinstance(masks, dict) and masks:
            shown = [self._mask(ctx, mname, m, where) for mname, m in sorted(masks.items()) if isinstance(m, dict)]
            item["masks"] = [m for m in shown if m is not None]
        groups, score_keys, cut = overlays.box_groups(rec.get("boxes"), w, h)
        logged = overlays.box_count(rec.get("boxes"))
        if logged > overlays.MAX_BOXES:
            ctx.warn(where, f"image: only the first {overlays.MAX_BOXES:,} of {logged:,} boxes are drawn")
        if cut:
            ctx.warn(where, "image boxes: " + "; ".join(cut))
        if groups:
            item["boxes"] = clean(groups)
            item["scores"] = score_keys
        return item

    def report_record(self, rec):
        return {k: v for k, v in rec.items() if k not in ("masks", "boxes")}  # (a report draws neither)

    @staticmethod
    def _mask(ctx, mask_name, m, where):
        """The mask's item; None for a mask whose file cannot be read or decoded: the image is shown
        without it, a warning names it (bug: the whole image was "could not show")."""
        from ..panels.sitefiles import MissingFile

        mark = len(ctx.files.touched)  # its layers, given back when it is left out
        try:
            return ImageKind._mask_layers(ctx, mask_name, m, where)
        except MissingFile as exc:
            ctx.files.settle(mark, shown=False)
            ctx.warn(where, f"mask {mask_name}: {ctx.why(exc)}")
            return {"name": str(mask_name), "layers": [], "missing": True}
        except WriteFailed:  # the site's own file system: the build ends (builder.py)
            raise
        except Exception as exc:
            ctx.files.settle(mark, shown=False)
            ctx.warn(where, f"mask {mask_name}: file {m.get('path')} could not be shown ({exc.__class__.__name__}: "
                            f"{ctx.why(exc)}); the image is shown without this mask")
            return None

    @staticmethod
    def _mask_layers(ctx, mask_name, m, where):
        from ..panels import overlays

        labels = {str(k): clip(str(v), NAME_CHARS) for k, v in (m.get("class_labels") or {}).items()}
        out = {"name": str(mask_name), "layers": []}
        src = ctx.files.source(m.get("path"))
        with ctx.files.reading():
            ids = overlays.read_mask(src)
        outlined = overlays.is_truth(str(mask_name))  # ground truth: outlines; predictions: filled
        if outlined:
            out["outline"] = True
        found = overlays.mask_class_ids(ids, labels)
        classes = overlays.first_layers(found, labels)
        if len(found) > len(classes):
            ctx.warn(where, f"mask {mask_name}: {len(found):,} classes; {len(classes)} are drawn (the labeled ones first)")
        for c in classes:
            site = ctx.files.derived(m["path"], f"_c{c}{'_edge' if outlined else ''}", ".png",
                                     lambda s, d, c=c: overlays.write_mask_layer(ids, c, d, outlined=outlined))
            label = labels.get(str(c), f"class_{c}")
            # background (class 0 with the SDK's default label, or any class named background): listed, hidden at first
            out["layers"].append({"c": c, "label": label, "color": overlays.class_color(c), "src": site,
                                  "off": overlays.is_background(c, label)})
        return out


def _read_image(files, path: str, file: Path, rec: dict[str, Any]) -> tuple[str | None, int, int]:
    """``(site path of an SVG, copied as it is read, or None; width; height)`` of the logged image
    ``file``. Any other format is read by its header, never sized by the record: a small file that
    did not decode, its width and height in the record, was published as it was (a broken image).
    One published as it is (no thumbnail) has its structure checked whole (a PNG: every chunk and
    its end); making a thumbnail decodes the others."""
    from ..panels.sitefiles import needs_thumbnail, open_image

    if files.claim(path).lower().endswith(".svg"):  # sanitized and bounded as it is copied (Pillow reads no SVG)
        src = files.copy(path)
        w, h = rec.get("width"), rec.get("height")
        if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
            return src, w, h
    else:
        src = None
    def head(file: Path) -> tuple[int, int]:
        with files.reading(), open_image(file) as im:
            w, h = im.size
            if src is None and not needs_thumbnail(w, h, file):
                im.verify()
        return w, h

    # (once a build: a report's embed of an image its run page shows does not read it again)
    w, h = files.checked("image" if src is None else "image-svg", file, head)
    return src, w, h


@register
class AudioKind(FileKind):
    tag = tags.AUDIO
    report_template = "partials/report_media_audio.html"
    panel = "audio"
    item_type = "audio"

    def item(self, ctx, rec, where, name):
        from ...media.wavfile import NotSamples
        from ..panels import waveform
        from ..panels.items import clean
        from ..panels.playable import check_audio, wav_stand_in

        path = rec.get("path")
        if is_reference(rec):
            return reference(rec, "audio")
        # (its channels: a verdict kept between builds, PyAV reads a non-WAV's header; issue 19)
        src = ctx.files.copy(path, check=lambda file: ctx.files.checked("audio", file, check_audio, keep=True))
        try:
            wave_png = ctx.files.derived(path, "_wave", ".png", waveform.render_waveform)
        except NotSamples as exc:  # a .wav of no PCM or float samples: shown if the browser plays what it holds
            with ctx.files.reading():  # (its verdict kept between builds: PyAV is imported only to find it)
                codec = ctx.files.checked("wav", ctx.files.source(path), lambda f, unread=exc: wav_stand_in(f, unread),
                                          keep=True)
            ctx.warn(where, f"no waveform: {ctx.why(exc)} (the player plays its {codec} audio)")
            wave_png = None
        except WriteFailed:  # the site's own file system: the build ends (builder.py)
            raise
        except (ValueError, OSError, EOFError) as exc:  # no waveform, but the player still works
            ctx.warn(where, f"no waveform: {ctx.why(exc)}")
            wave_png = None
        return {"t": "audio", "src": src, "wave": wave_png, "caption": caption(rec),
                "duration": clean(rec.get("duration")), "rate": rec.get("sample_rate")}


@register
class VideoKind(FileKind):
    tag = tags.VIDEO
    report_template = "partials/report_media_video.html"
    panel = "video"
    item_type = "video"

    def item(self, ctx, rec, where, name):
        from ..panels.playable import PUBLISHED_AS, check_video

        ext = Path(str(rec.get("path"))).suffix.lstrip(".").lower()
        fmt = str(rec.get("format") or ext).lower()
        # opened (its header, as the format its extension names) before it is published: a file that is
        # no video the page could play is "could not show video" (it was a player that never played);
        # what the page leaves out of one it shows (a sound track of too many channels) is said. Its
        # verdict is kept between builds (a gif's aside: Pillow reads its header): a rebuild opens only
        # a video that changed, and imports PyAV only then (issue 19)
        # a codec only some browsers play (HEVC) is shown, the page's fallback taking the player's place
        # where the browser does not play it ("only": its name)
        verdicts: list[tuple[str | None, tuple[str, ...]]] = []
        src = ctx.files.copy(rec.get("path"), check=lambda file: verdicts.append(ctx.files.checked(
            f"playable-video:{fmt}", file, lambda f: check_video(f, fmt), keep=fmt != "gif")),
            ext=PUBLISHED_AS.get(ext))
        only, notes = verdicts[0] if verdicts else (None, ())
        for note in notes:
            ctx.warn(where, note)
        item = {"t": "video", "src": src, "format": fmt, "caption": caption(rec), "w": rec.get("width"),
                "h": rec.get("height")}
        if only:
            item["only"] = only
        return item


HTML_STYLE = ("<style>body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
              "font-size:14px;line-height:1.45;color:#1d2433;margin:8px}table{border-collapse:collapse}"
              "td,th{border:1px solid #e3e7ee;padding:4px 8px}a{color:#3b5bdb}</style>")


@register
class HtmlKind(Kind):
    """Logged HTML is never published as an .html file: its text goes into a data script and the
    page shows it in ``<iframe sandbox="allow-scripts" srcdoc>`` (opaque origin, no requests; see
    site/publish.py). Reports embed the same document as ``srcdoc``."""

    tag = tags.HTML
    panel = "html"
    item_type = "html"
    report_template = "partials/report_media_html.html"

    def item(self, ctx, rec, where, name):
        from ..publish import html_document

        data = ctx.files.read_bytes(rec.get("path"))
        doc = html_document(data, HTML_STYLE if rec.get("inject", True) is not False else "")
        data_id, site = ctx.files.write_data(name, {"html": doc})
        return {"t": "html", "id": data_id, "data": site}

    def report(self, ctx, run, key, records, item):
        for r in records:
            doc = ctx.run_html(run, r.get("path"), HTML_STYLE)
            if doc is None:
                item["missing"] = f"{key}: file {str(r.get('path'))!r} is missing from run {run.id}"
                return item
            item["files"].append({"srcdoc": doc, "caption": caption(r) or ""})
        return item


@register
class SvgKind(Kind):
    tag = tags.SVG
    panel = "svg"
    item_type = "svg"

    def item(self, ctx, rec, where, name):
        return {"t": "svg", "src": ctx.files.copy(rec.get("path")), "caption": caption(rec)}
