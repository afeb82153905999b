"""One report: markdown file in, sanitised HTML with live panels out.

Order matters for safety: directives are swapped for inert tokens, the
markdown is rendered and *then* sanitised, and only afterwards are the tokens
replaced by panels rendered from our own (autoescaped) templates. User text
therefore never reaches the page without passing the whitelist.
"""
from __future__ import annotations

import re
from html import escape
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import markdown
from markupsafe import Markup

from ...storage.safety import open_regular, safe_file_name
from ..exc_text import exc_text
from ..publish import NotPublished, publish
from ..write import WriteFailed
from ..svgclean import SvgRefused
from . import media, metrics
from .context import ReportContext
from .directives import Directive, extract
from .frontmatter import parse_front_matter
from .lines import LineMap
from .mdlimits import markdown_problem
from .rawblocks import end_unclosed_blocks
from .sanitize import ImageRefused, sanitize_html

RENDERERS = {
    "chart": metrics.render_chart,
    "runs": metrics.render_runs,
    "value": metrics.render_value,
    "media": media.render_media,
    "custom": media.render_custom,
}
ALLOWED_ATTRS = {**metrics.ATTRS, **media.ATTRS}
MD_EXTENSIONS = ["tables", "fenced_code", "sane_lists", "toc", "def_list", "abbr", "footnotes"]
MD_CONFIG = {"tables": {"use_align_attribute": True}}


@dataclass
class RenderedReport:
    title: str
    description: str
    body: Markup
    warnings: list[str] = field(default_factory=list)
    directives: int = 0


MAX_REPORT_BYTES = 1 << 20  # a report file's bytes read (past mdlimits.MAX_MARKDOWN_BYTES: shown as plain text)


def render_markdown(text: str, problems: list[str] | None = None, file_lines: LineMap | None = None) -> str:
    """``problems`` gets a line per raw HTML block left open (ended at its blank line: rawblocks.py), naming
    its line in the report file (``file_lines``: ``text``'s lines to the file's, directives.Extracted.lines)."""
    md = markdown.Markdown(extensions=MD_EXTENSIONS, extension_configs=MD_CONFIG, output_format="html")
    end_unclosed_blocks(md, [] if problems is None else problems, file_lines)
    # <math> starts a raw HTML block there, which ran to its closing tag: one left open took the rest
    # of the report as raw HTML (the sanitiser removes it). Inline, as <svg>, it ends with its paragraph.
    md.block_level_elements = [t for t in md.block_level_elements if t != "math"]
    return md.convert(text)


def default_title(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def _dispatch(ctx: ReportContext, d: Directive) -> Markup:
    if d.error:
        ctx.warnings.append(f"line {d.line}: {d.error}: {d.raw}")
        return ctx.missing(f"{d.error}: {d.raw}", inline=not d.block)
    unknown = sorted(set(d.attrs) - ALLOWED_ATTRS[d.kind])
    if unknown:
        ctx.warnings.append(f"line {d.line}: {d.kind}: unknown attribute(s) {', '.join(unknown)} "
                            f"(expected {', '.join(sorted(ALLOWED_ATTRS[d.kind]))})")
    try:
        return RENDERERS[d.kind](ctx, d)
    except WriteFailed:  # the site's own file system: the build ends, naming the file (builder.py)
        raise
    except Exception as exc:  # a report must never break the build
        ctx.warnings.append(f"line {d.line}: {d.kind}: failed ({exc.__class__.__name__}: {exc_text(exc, ctx.out)})")
        return ctx.missing(f"{d.kind}: could not be rendered ({exc.__class__.__name__})", inline=not d.block)


def _image_rewriter(source: Path, reports_root: Path, out: Path, written: set[str] | None = None,
                    holes: bool = True):
    """Relative images next to the report are copied to ``reports/files/``; others are dropped."""
    root = reports_root.resolve()

    def rewrite(src: str) -> str | None:
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", src) or src.startswith(("/", "#")):
            return None
        path_part = src.split("#", 1)[0].split("?", 1)[0]
        target = (source.parent / path_part).resolve()
        try:
            relp = target.relative_to(root)
        except ValueError:
            raise ImageRefused("outside the reports folder; not published") from None
        if not target.is_file():
            return None
        site_rel = PurePosixPath("files", *(safe_file_name(x) for x in relp.parts)).as_posix()
        try:  # images only as the site may publish them (no .html, sanitized .svg; build/publish.py)
            publish(target, out / "reports" / site_rel, holes)  # (holes False: a site going to a URL)
        except WriteFailed:  # the site's own file system: the build ends (builder.py)
            raise
        except (NotPublished, SvgRefused, OSError) as exc:
            why = exc_text(exc, root, out)
            raise ImageRefused(why if "not published" in why else f"{why}; not published") from None
        if written is not None:
            written.add(f"reports/{site_rel}")
        return site_rel

    return rewrite


def _link_rewriter(source: Path, names: dict[str, str]):
    """``other.md#part`` -> ``other.html#part`` for links to reports built alongside this one."""
    def rewrite(href: str) -> str:
        m = re.match(r"^([^:/?#]+)\.md(#.*)?$", href)
        if m and (source.parent / f"{m.group(1)}.md").is_file() and m.group(1) in names:
            return f"{names[m.group(1)]}.html{m.group(2) or ''}"
        return href

    return rewrite


_ATTR_VALUE = re.compile(r'="[^"<>]*"')


def _in_attributes(html: str, tokens: re.Pattern, raw: dict[str, str]) -> str:
    """Tokens inside attribute values (e.g. an image's alt text) become their directives' text. (One
    pass for every directive: a pass per directive made 2,000 directives take 40 s.)"""
    return _ATTR_VALUE.sub(lambda m: tokens.sub(lambda t: escape(raw[t.group()], quote=True), m.group()), html)


def render_report(source: Path, reports_root: Path, ctx: ReportContext,
                  report_names: dict[str, str] | None = None) -> RenderedReport:
    """``report_names`` maps source stems to page names, for links between reports."""
    with open_regular(source) as fh:  # a named pipe in the reports folder must not block the build
        data = fh.read(MAX_REPORT_BYTES + 1)  # (a sparse 3 GB report.md was read whole: MemoryError)
    if len(data) > MAX_REPORT_BYTES:
        ctx.warnings.append(f"larger than {MAX_REPORT_BYTES >> 20} MiB; not shown")
        return RenderedReport(title=default_title(source.stem), description="", warnings=ctx.warnings,
                              body=Markup(f"<p class=\"rg-empty\">{escape(source.name)} is larger than "
                                          f"{MAX_REPORT_BYTES >> 20} MiB: not shown.</p>"), directives=0)
    # (a line ends at \n, \r\n or \r, as in an editor and in Python-Markdown: lines.py)
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    fm = parse_front_matter(text)
    ctx.warnings.extend(fm.problems)
    ctx.defaults = {k: v for k, v in fm.meta.items() if k in ("runs", "tags", "tag", "group", "project")}
    ex = extract(fm.body, first_line=fm.body_line)
    problem = markdown_problem(ex.text, ex.lines)
    if problem is None:
        try:
            html = render_markdown(ex.text, ctx.warnings, ex.lines)
        except RecursionError:  # a backstop: mdlimits keeps what it knows of out
            problem = "the markdown nests too deeply to render"
    if problem is not None:
        ctx.warnings.append(f"{problem}; the report is shown as plain text")
        html = f"<pre>{escape(ex.text)}</pre>"
    clean, removed = sanitize_html(html, _image_rewriter(source, reports_root, ctx.out, ctx.written, ctx.holes),
                                   _link_rewriter(source, report_names or {}))
    if removed:
        shown = "; ".join(dict.fromkeys(removed))
        ctx.warnings.append(f"raw HTML removed by the sanitiser: {shown[:300]}")
    if ex.directives:
        # every token swapped in one pass over the page (a pass per directive: 4,000 directives in a
        # 160 KB report took 3 minutes), a token alone in its paragraph with the paragraph
        tokens = re.compile(re.escape(ex.prefix) + r"\d{4,}Z")  # (directives.extract)
        clean = _in_attributes(clean, tokens, {d.token: d.raw for d in ex.directives})
        present = set(tokens.findall(clean))
        panels: dict[str, str] = {}
        for d in ex.directives:
            if d.token not in present:  # inside an attribute, or in HTML the sanitiser removed
                ctx.warnings.append(f"line {d.line}: {d.kind or 'directive'}: not in the text of the report "
                                    "(inside an HTML attribute or removed HTML); not shown")
                continue
            panels[d.token] = str(_dispatch(ctx, d))

        def swap(m: re.Match) -> str:
            token = m.group(1) or m.group(2)
            panel = panels.pop(token, None)  # (the first place a token is found: each is in the page once)
            return m.group() if panel is None else panel
        clean = re.sub(rf"<p>({tokens.pattern})</p>|({tokens.pattern})", swap, clean)
    title = fm.meta.get("title")
    description = fm.meta.get("description")
    return RenderedReport(
        title=str(title) if isinstance(title, str) and title else default_title(source.stem),
        description=str(description) if isinstance(description, str) else "",
        body=Markup(clean), warnings=ctx.warnings, directives=len(ex.directives))
