"""Logged SVG -> an SVG that cannot run script or fetch anything, even opened on its own.

An allow-list, not a deny-list: only SVG drawing elements and their attributes are kept.
Dropped: ``<script>``, ``<foreignObject>`` and every element outside the SVG namespace
(with their content), event attributes (``on*``), links other than ``#fragment`` (and
``http(s):`` on ``<a>``), ``data:`` images other than png/jpeg/gif/webp, ``url(...)``
that is not ``url(#id)``, ``image-set()`` and other CSS that loads (read with its escapes decoded),
CSS ``@import``, processing instructions (``xml-stylesheet``),
comments, animations of ``href``/``on*``, and the DOCTYPE. SVG with entity declarations
is refused whole (entity expansion bombs).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"

ELEMENTS = frozenset("""
svg g defs symbol use title desc path rect circle ellipse line polyline polygon text tspan textPath
linearGradient radialGradient stop pattern clipPath mask marker filter image style a switch view
animate animateTransform animateMotion set mpath
feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix feDiffuseLighting
feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR
feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset fePointLight
feSpecularLighting feSpotLight feTile feTurbulence
""".split())
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp)[;,]", re.I)
# CSS that loads something: url() (but url(#id)), image-set() and image() take a bare string too
_BAD_CSS = re.compile(r"@import|url\s*\(\s*(?!['\"]?#)|image-set\s*\(|\bimage\s*\(|cross-fade\s*\(|\bsrc\s*\("
                      r"|expression\s*\(|javascript:|behavior\s*:", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(.))", re.S)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


def bad_css(text: str) -> bool:
    """Does CSS ``text`` load anything? Read as a browser reads it: comments out, escapes decoded
    (``u\\72l(`` is ``url(``, ``@\\69mport`` is ``@import``: both fetched from a published SVG)."""
    text = _CSS_COMMENT.sub("", text)
    text = _CSS_ESCAPE.sub(lambda m: chr(min(int(m.group(1), 16), 0x10FFFF) or 0xFFFD) if m.group(1)
                           else (m.group(2) or ""), text)
    return bool(_BAD_CSS.search(text))


class SvgRefused(ValueError):
    """The SVG cannot be published (not XML, not an <svg> root, entity declarations)."""


def _href_ok(tag: str, value: str) -> bool:
    v = _CONTROL.sub("", value).lower()
    if v.startswith("#"):
        return True
    if tag in ("image", "feImage") and _DATA_IMAGE.match(v):
        return True
    return tag == "a" and v.startswith(("https:", "http:"))


def _clean_attrs(el: ET.Element, tag: str) -> None:
    for name in list(el.attrib):
        value = el.attrib[name]
        ns, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        keep = True
        if ns not in ("", XLINK, XML) or (ns == XML and local not in ("space", "lang")):
            keep = False  # xml:base could turn a kept "#id" link into anything
        elif local.lower().startswith("on"):
            keep = False
        elif local == "href":
            keep = _href_ok(tag, value)
        elif bad_css(value):
            keep = False
        elif tag in ("animate", "set", "animateTransform", "animateMotion") and local == "attributeName":
            target = value.split(":")[-1].strip().lower()
            keep = not (target == "href" or target.startswith("on"))
        if not keep:
            del el.attrib[name]
    if tag in ("animate", "set", "animateTransform", "animateMotion") and "attributeName" not in el.attrib:
        el.attrib.clear()  # an animation of something it may not touch: inert


def _clean(el: ET.Element) -> None:
    for child in list(el):
        tag = child.tag
        ns, _, local = tag[1:].partition("}") if isinstance(tag, str) and tag.startswith("{") else ("", "", tag)
        if ns != SVG or local not in ELEMENTS:
            el.remove(child)
            continue
        if local == "style":
            for inner in list(child):  # a style sheet is text: elements inside (and the text after
                child.remove(inner)    # them, which is part of the sheet) go
            if child.text and bad_css(child.text):
                el.remove(child)
                continue
        _clean_attrs(child, local)
        _clean(child)


def sanitize_svg(data: bytes) -> bytes:
    """The cleaned SVG document (UTF-8); :class:`SvgRefused` when it cannot be published."""
    if re.search(rb"<!ENTITY", data, re.I) or re.search(rb"<\x00!\x00E\x00N\x00T", data):
        raise SvgRefused("SVG with entity declarations is not published")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SvgRefused(f"not a well-formed SVG file ({exc})") from None
    if root.tag != f"{{{SVG}}}svg":
        raise SvgRefused(f"the root element is {root.tag!r}, not <svg>")
    _clean_attrs(root, "svg")
    _clean(root)
    ET.register_namespace("", SVG)
    ET.register_namespace("xlink", XLINK)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
