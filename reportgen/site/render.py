"""The Jinja environment: packaged templates, autoescape on, relative links only."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import (Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined,
                    select_autoescape)
from markupsafe import Markup

from .._resources import templates_dir
from .urls import rel
from .write import write_text


def _json_script(value: Any) -> Markup:
    """JSON safe to embed inside <script type="application/json">."""
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def make_env(extra_dirs: list[Path] | None = None) -> Environment:
    dirs = [*(extra_dirs or []), templates_dir()]
    bcc = None
    try:  # compiled templates are kept in the user cache folder (compiling takes ~0.2 s)
        from .cache import user_cache

        folder = user_cache() / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
        bcc = FileSystemBytecodeCache(str(folder))
    except OSError:
        pass
    env = Environment(
        loader=FileSystemLoader([str(d) for d in dirs]),
        bytecode_cache=bcc,
        autoescape=select_autoescape(["html", "htm", "xml"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json_script"] = _json_script
    return env


class PageWriter:
    """Renders templates to site paths; ``url(target)`` inside a template is relative to the page."""

    def __init__(self, env: Environment, out: Path, extra_head: list[str] | None = None):
        self.env = env
        self.out = out
        self.extra_head = extra_head or []

    def write(self, template: str, page: str, context: dict[str, Any]) -> Path:
        tpl = self.env.get_template(template)
        html = tpl.render(**context, page=page, url=lambda target: rel(page, target),
                          extra_head=[Markup(s) for s in self.extra_head])
        target = self.out / page
        write_text(target, html)  # atomic: never a half-written page
        return target
