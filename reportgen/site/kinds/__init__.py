"""The kinds registry: one class per stored ``_type``, the only place that switches on it.

A kind owns, for its tag (``reportgen.storage.kinds``, shared with the SDK class that
writes it):

- ``panel``: the run-page panel it goes into (``templates/partials/panel_<panel>.html``);
- ``needs``: the optional browser code its panels load (``"vega"``, ``"plotly"``,
  ``"viewer3d"``, or a script in ``assets/`` such as ``"panels-foo.js"``);
- ``item()``: the run-page item (plain JSON drawn by ``assets/panels.js`` or a renderer
  the kind's script registers with ``RGPanels.renderers[t]``);
- ``report()``: what a report's ``{{< media >}}`` directive shows (``report_template``);
- ``text()``: the one-line text of a record in summaries, tables and markdown.

Every other part of the site reads :func:`get` / :func:`known`; a tag that is not
registered (or a helper name such as ``mask``) is "unsupported". Adding a kind: one
module here, registered with :func:`register`, plus its template and JS (docs/kinds.md).
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, ClassVar

from ...storage import kinds as tags

_REGISTRY: dict[str, "Kind"] = {}
_loaded = False  # every module of this package is imported on first use of the registry


class Kind:
    """Base class of a registered kind; subclasses set ``tag`` and override what they show."""

    tag: ClassVar[str] = ""
    panel: ClassVar[str] = "unsupported"  # run-page panel kind (template partials/panel_<panel>.html)
    needs: ClassVar[tuple[str, ...]] = ()  # browser code its panels need
    report_template: ClassVar[str | None] = None  # partial the report media directive includes
    chart: ClassVar[bool] = False  # a Vega-Lite chart record (the report ``custom`` directive draws it)

    def item(self, ctx: Any, rec: dict[str, Any], where: str, name: str) -> dict[str, Any]:
        """The run-page item view-model; ``ctx`` is the panel builder's ``ItemMaker``."""
        raise NotImplementedError

    def report(self, ctx: Any, run: Any, key: str, records: list[dict[str, Any]], item: dict[str, Any]) -> dict[str, Any]:
        """Fill ``item`` (the report media entry) for ``records`` of one run; default: a pointer to the run page."""
        item["note"] = f"{self.tag} objects are shown on the run page."
        return item

    def text(self, rec: dict[str, Any]) -> str:
        """One line for summaries, tables and markdown."""
        return f"[{self.tag}]"


def register(cls: type[Kind]) -> type[Kind]:
    """Class decorator: add ``cls`` to the registry under its ``tag``."""
    if not cls.tag or not isinstance(cls.tag, str):
        raise TypeError(f"{cls.__name__} must declare a tag")
    if cls.tag in _REGISTRY and type(_REGISTRY[cls.tag]) is not cls:
        raise ValueError(f"kind {cls.tag!r} is registered twice ({type(_REGISTRY[cls.tag]).__name__}, {cls.__name__})")
    _REGISTRY[cls.tag] = cls()
    return cls


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for m in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{m.name}")


def get(tag: Any) -> Kind | None:
    """The kind of ``tag``, or None when it is not a registered kind (shown as "unsupported")."""
    _load()
    return _REGISTRY.get(tag) if isinstance(tag, str) else None


def known(tag: Any) -> bool:
    return tag == tags.GALLERY or get(tag) is not None


def all_kinds() -> dict[str, Kind]:
    _load()
    return dict(_REGISTRY)


def panel_of(tag: Any) -> str:
    k = get(tag)
    return k.panel if k else "unsupported"


def text(rec: dict[str, Any]) -> str:
    """The one-line text of a stored record (``unsupported (<tag>)`` for unknown tags)."""
    t = rec.get("_type")
    if t == tags.GALLERY:
        return "[gallery]"
    k = get(t)
    return k.text(rec) if k else f"unsupported ({t})"


def needs_of(panel: str, item_types: set[str]) -> list[str]:
    """Browser code a panel of kind ``panel`` holding items of ``item_types`` (their ``t``) needs."""
    _load()
    out: set[str] = set()
    for k in _REGISTRY.values():
        if k.panel == panel or getattr(k, "item_type", None) in item_types:
            out.update(k.needs)
    return sorted(out)


__all__ = ["Kind", "register", "get", "known", "all_kinds", "panel_of", "text", "needs_of", "tags"]
