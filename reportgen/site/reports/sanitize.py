"""Whitelist HTML sanitiser for rendered report markdown.

Markdown passes raw HTML through, so the rendered report is re-serialised
here: only the tags and attributes listed below survive, every text node and
attribute value is escaped again, comments and processing instructions are
dropped, and the *contents* of dangerous elements (script, style, iframe, ...)
are removed entirely. URLs are kept only when they are relative, fragments, or
use http/https/mailto (links) — images must be relative or ``data:image/...``
so a page never requests anything outside the site.
"""
from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
VOID_TAGS = {"br", "hr", "img"}
# Elements removed together with everything inside them.
DROP_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg",
                "math", "textarea", "select", "title", "frame", "frameset", "applet", "head"}
#: foreign content: a browser (and GitHub) ends one left open at the end of its block, so the
#: sanitiser does too: an unclosed <svg> or <math> dropped the rest of the report, directives included
FOREIGN = {"svg", "math"}
GLOBAL_ATTRS = {"title", "id", "class", "lang", "dir"}
TAG_ATTRS = {
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "abbr": set(),
    "details": {"open"},
    "code": set(),
}
LINK_SCHEMES = ("http", "https", "mailto")
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_DATA_IMAGE_RE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
_CLASS_RE = re.compile(r"^[A-Za-z0-9_ -]*$")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_:.-]*$")
#: the page's own names: ids rg, rg-*, rg_* (any case) and globals RG* (RG, RGPanels, RG_CHARTS); a heading
#: "RGB images" keeps its id rgb-images
_SITE_ID_RE = re.compile(r"(?i:rg)(?:$|[-_])|RG[A-Z]")


def _clean_url(value: str, *, image: bool) -> str | None:
    # Browsers ignore control characters and whitespace inside schemes ("java\tscript:").
    compact = re.sub(r"[\x00-\x20\x7f]+", "", value)
    m = _SCHEME_RE.match(compact)
    if image:
        if m is None:
            return value if not compact.startswith("//") else None
        return value if _DATA_IMAGE_RE.match(value.strip()) else None
    if m is None:
        return value  # relative link, fragment or protocol-relative link (a click, not a load)
    return value if m.group(1).lower() in LINK_SCHEMES else None


class ImageRefused(ValueError):
    """Raised by ``rewrite_src`` for an image file the site does not publish; the text says why."""


#: open tags at once: 100,000 nested <div>s made the page take 20 s to show, and each stray
#: closing tag is looked for among the open ones (30,000 of them: 40 s of build)
MAX_NESTING = 100


class _Sanitizer(HTMLParser):
    def __init__(self, rewrite_src=None, rewrite_href=None) -> None:
        super().__init__(convert_charrefs=True)
        self.rewrite_src = rewrite_src
        self.rewrite_href = rewrite_href
        self.out: list[str] = []
        self.open: list[str] = []
        self.drop_depth = 0
        self.drop_tag: str | None = None
        self.drop_open: list[str] = []  # tags opened inside a dropped foreign element (their ends are its own)
        self.removed: list[str] = []
        self.too_deep = False

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        allowed = GLOBAL_ATTRS | TAG_ATTRS.get(tag, set())
        parts = []
        for name, value in attrs:
            name = name.lower()
            value = "" if value is None else value
            if name not in allowed:
                self.removed.append(f"attribute {name!r} on <{tag}>")
                continue
            if name in ("href", "src"):
                cleaned = _clean_url(value, image=(name == "src"))
                if cleaned is None:
                    self.removed.append(f"URL {value[:60]!r} in <{tag} {name}>")
                    continue
                value = cleaned
                if name == "src" and self.rewrite_src is not None and not value.startswith("data:"):
                    try:
                        new = self.rewrite_src(value)
                    except ImageRefused as exc:  # (bug: a refused image was said to be no such file)
                        self.removed.append(f"image {value[:60]!r} ({exc})")
                        continue
                    if new is None:
                        self.removed.append(f"image {value[:60]!r} (no such file next to the report)")
                        continue
                    value = new
                if name == "href" and self.rewrite_href is not None:
                    value = self.rewrite_href(value)
            if name == "class":
                # the site's own classes (rg-*) drive scripts: a report may not borrow them
                value = " ".join(c for c in value.split() if not c.startswith("rg-"))
                if not value or not _CLASS_RE.match(value):
                    continue
            if name == "id" and not _ID_RE.match(value):
                continue
            if name == "id" and _SITE_ID_RE.match(value):
                # the page's own ids (rg-site: its runtime settings, where its data scripts load from)
                # and globals (RG, RGPanels...): an element of the report named so was taken for them
                self.removed.append(f"id {value[:60]!r} on <{tag}> (the site's own names)")
                continue
            parts.append(f' {name}="{escape(value, quote=True)}"')
        if tag == "a" and any(n == "href" for n, _ in attrs):
            parts.append(' rel="noopener noreferrer"')
        return "".join(parts)

    def handle_starttag(self, tag: str, attrs) -> None:
        tag = tag.lower()
        if self.drop_depth:
            if tag == self.drop_tag:
                self.drop_depth += 1
            elif self.drop_tag in FOREIGN and len(self.drop_open) < MAX_NESTING:
                self.drop_open.append(tag)
            return
        if tag in DROP_CONTENT:
            self.removed.append(f"<{tag}> element")
            if tag not in VOID_TAGS:
                self.drop_depth, self.drop_tag = 1, tag
            return
        if len(self.open) >= MAX_NESTING and tag not in VOID_TAGS:
            if not self.too_deep:
                self.removed.append(f"tags nested deeper than {MAX_NESTING} levels (their text is kept)")
            self.too_deep = True
            return
        if self._emit_open(tag, attrs) and tag not in VOID_TAGS:
            self.open.append(tag)

    def _emit_open(self, tag: str, attrs) -> bool:
        """Write an allowed tag with its safe attributes; False when the tag was dropped."""
        if tag not in ALLOWED_TAGS:
            self.removed.append(f"<{tag}> tag")
            return False
        rendered = self._attrs(tag, attrs)
        if tag == "img" and ' src="' not in rendered:
            return False  # an image whose source was removed would only be an empty box
        self.out.append(f"<{tag}{rendered}>")
        return True

    def set_cdata_mode(self, elem, *args, **kwargs) -> None:
        # inside <svg>/<math> a <style> or <script> holds markup, as in a browser: read as raw text up
        # to its closing tag, one left open took the rest of the report (everything in them is dropped)
        if self.drop_tag not in FOREIGN:
            super().set_cdata_mode(elem, *args, **kwargs)

    def handle_startendtag(self, tag: str, attrs) -> None:
        tag = tag.lower()
        if self.drop_depth or tag in DROP_CONTENT:
            return
        if self._emit_open(tag, attrs) and tag not in VOID_TAGS:
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if self.drop_depth:
            if tag == self.drop_tag:
                self.drop_depth -= 1
                if not self.drop_depth:
                    self.drop_tag, self.drop_open = None, []
                return
            if self.drop_tag not in FOREIGN:
                return
            if tag in self.drop_open:
                del self.drop_open[len(self.drop_open) - 1 - self.drop_open[::-1].index(tag):]
                return
            if tag not in self.open:
                return
            # the end of the block holding an unclosed <svg>/<math>: the element ends here
            self.removed.append(f"<{self.drop_tag}> not closed (ended at </{tag}>)")
            self.drop_depth, self.drop_tag, self.drop_open = 0, None, []
        if tag not in self.open:
            return  # stray or disallowed closing tag
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.drop_depth:
            self.out.append(escape(data, quote=False))

    def close(self) -> None:
        super().close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")


def sanitize_html(html: str, rewrite_src=None, rewrite_href=None) -> tuple[str, list[str]]:
    """Return the whitelisted HTML and a list of what was removed (for build warnings).

    ``rewrite_src(src) -> str | None`` maps a relative image path to its URL in the
    site (``None``: no such file, the attribute dropped; :class:`ImageRefused`: dropped, for the
    reason it gives); ``rewrite_href(href) -> str`` may adjust links.
    """
    s = _Sanitizer(rewrite_src, rewrite_href)
    s.feed(html)
    s.close()
    return "".join(s.out), s.removed
