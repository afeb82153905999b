"""The Jinja environment: packaged templates, autoescape on, relative links only.

Jinja is imported when the first page is rendered: a rebuild whose pages are all unchanged
(``PageWriter.write_keyed``) never loads it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .._resources import templates_dir
from .urls import rel
from .write import write_text


_JSON = json.JSONEncoder(allow_nan=False, separators=(",", ":"))  # json.dumps's, made once


def _json_script(value: Any) -> Markup:
    """JSON safe to embed inside <script type="application/json">."""
    text = _JSON.encode(value)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


_DICT_ATTRS = frozenset(dir(dict))


def _dict_first(environment_class):
    """``environment_class`` whose ``x.name`` on a plain dict looks the key up at once. Jinja tries
    ``getattr`` first, which on a dict fails (an exception) for every name that is not a dict
    method -- ~200 times per run page; the result is the same."""

    class Env(environment_class):
        def getattr(self, obj, attribute):
            if type(obj) is dict and attribute not in _DICT_ATTRS:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    return Env


def _cache_class(base):
    """Jinja's bytecode cache, whose write failing (a full or read-only user cache: jinja removes its
    temporary file and raises) only means compiling the template again next time."""

    class Cache(base):
        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return Cache


def make_env(extra_dirs: list[Path] | None = None):
    from jinja2 import (Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined,
                        select_autoescape)

    dirs = [*(extra_dirs or []), templates_dir()]
    bcc = None
    try:  # compiled templates are kept in the user cache folder (compiling takes ~0.2 s)
        from .cache import user_cache

        folder = user_cache() / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
        bcc = _cache_class(FileSystemBytecodeCache)(str(folder))
    except OSError:
        pass
    env = _dict_first(Environment)(
        loader=FileSystemLoader([str(d) for d in dirs]),
        bytecode_cache=bcc,
        autoescape=select_autoescape(["html", "htm", "xml"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # one environment per build (a rebuild, e.g. serve --watch, makes a new one and sees edited
        # templates): no stat of the template file at every page and include (~20 per run page)
        auto_reload=False,
    )
    env.filters["json_script"] = _json_script
    return env


class PageWriter:
    """Renders templates to site paths; ``url(target)`` inside a template is relative to the page.

    ``keys``: the previous build's page keys (site path -> hash of what the page is made from);
    :meth:`write` then skips a page whose key did not change; ``new_keys`` are this build's."""

    def __init__(self, env=None, out: Path | None = None, extra_head: list[str] | None = None,
                 keys: dict[str, str] | None = None, stamp: str = ""):
        self._env = env
        self.out = out
        self.extra_head = extra_head or []
        self.keys = keys
        self.new_keys: dict[str, str] = {}
        self.stamp = stamp  # the templates' stamp: part of every key
        self._versions: dict[str, str] | None = None
        self.skipped = 0

    @property
    def env(self):
        if self._env is None:
            self._env = make_env()
        return self._env

    def render(self, template: str, page: str, context: dict[str, Any]) -> Path:
        """Render ``page`` now (the caller decided that it changed)."""
        tpl = self.env.get_template(template)
        if self._versions is None:
            from .assets import asset_versions

            self._versions = asset_versions()
        versions = self._versions

        def url(target: str) -> str:  # an asset's URL carries its content's hash (assets.asset_versions)
            v = versions.get(target)
            return rel(page, target) + (f"?v={v}" if v else "")

        html = tpl.render(**context, page=page, url=url,
                          extra_head=[Markup(s) for s in self.extra_head])
        target = self.out / page
        write_text(target, html)  # atomic: never a half-written page
        return target

    def write(self, template: str, page: str, context: dict[str, Any]) -> bool:
        """Render ``page`` unless, with ``keys`` given, the previous build made it from the same
        template and context and it is still there (returns whether it was rendered). The key is a
        hash of the pickled context: a context that cannot be pickled is always rendered."""
        if self.keys is None:
            self.render(template, page, context)
            return True
        import hashlib
        import io
        import pickle

        buf = io.BytesIO()
        pickler = pickle.Pickler(buf, protocol=4)
        pickler.fast = True  # no memo: equal contexts give equal bytes, whichever objects they share
        try:
            pickler.dump((template, context, self.extra_head, self.stamp))
        except Exception:  # a lambda in the context, a cycle: no key (but listed: the page is the site's)
            self.new_keys[page] = ""
            self.render(template, page, context)
            return True
        key = hashlib.sha1(buf.getvalue()).hexdigest()
        self.new_keys[page] = key
        if self.keys.get(page) == key and (self.out / page).is_file():
            self.skipped += 1
            return False
        self.render(template, page, context)
        return True
