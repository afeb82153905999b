"""One script file per part of a page, written next to the assets it is made of (issue 12).

A page used to load 20 of the site's own scripts one by one (plus three in ``serve --watch``).
Each is a request, a response the browser process and the renderer handle, and a script
compiled on its own; with 20 tabs opened at once that overhead was a good part of each tab's
start-up CPU. The build now concatenates them, in the order the pages need them, into:

- ``assets/rg-head.js``: what runs in ``<head>`` (theme before the first paint, formatting, the
  data-file loader);
- ``assets/rg-page.js``: the runtime of every page (charts, runs table, state, controls), at
  the end of ``<body>``;
- ``assets/rg-live.js``: the page side of ``serve --watch`` (served pages only; ``serve`` sends it
  in one response with its own client script).

The source files stay in ``assets/`` (and are copied into the site as before); only pages load
the bundles. Each file keeps its own scope (every asset is one IIFE) and is wrapped in
``try``/``catch`` so that, as with separate ``<script>`` tags, an error in one does not stop the
files after it: the error is rethrown asynchronously and reported as uncaught. Only reportgen's
own assets are bundled; the Vega runtime stays its own file, loaded when the first chart is drawn.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from .._resources import assets_dir

HEAD = ("theme.js", "format.js", "smooth.js", "loader.js")
PAGE = ("vega-loader.js", "theme-vega.js", "state.js", "charts.js", "chart-spec.js", "chart-lite.js", "chart-fit.js",
        "chart-panel.js", "hover.js", "run-style.js", "table-csv.js", "table-columns.js",
        "table-filter.js", "runs-table.js", "runs-data.js",
        "compare.js", "reportgen.js", "groups.js", "chart-actions.js", "shortcuts.js", "panel-regex.js",
        "panel-search.js", "panel-tools.js", "media-fallback.js")
LIVE = ("live.js", "live-patch.js")
BUNDLES = {"rg-head.js": HEAD, "rg-page.js": PAGE, "rg-live.js": LIVE}


def join(parts: list[tuple[str, str]]) -> str:
    """``parts`` = [(name, source)] as one classic script; each part runs even if one before it threw."""
    out = ["/* reportgen: built from reportgen/assets (see reportgen/site/bundle.py); do not edit */\n"]
    for name, text in parts:
        out.append(f"/* ---- {name} ---- */\ntry {{\n{text}\n}} catch (e) {{ setTimeout(function () {{ throw e; }}); }}\n")
    return "".join(out)


def bundle_text(name: str) -> str:
    """The text of bundle ``name`` (a key of BUNDLES), from the packaged assets (read again when
    one of them changed: ``serve --watch`` while someone edits an asset)."""
    src = assets_dir()
    stamp = tuple((st.st_size, st.st_mtime_ns) for st in ((src / n).stat() for n in BUNDLES[name]))
    return _bundle(name, str(src), stamp)


@functools.lru_cache(maxsize=8)
def _bundle(name: str, src: str, stamp: tuple) -> str:
    return join([(n, (Path(src) / n).read_text(encoding="utf-8")) for n in BUNDLES[name]])


def version(text: str | bytes) -> str:
    """A short content hash (the same for the same bytes, in every build and server slot)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def write_bundles(target: Path) -> None:
    """Write the bundles into the site's ``assets/`` folder ``target`` (only when their text changed,
    so that an unchanged bundle keeps its file, and browsers their cached copy)."""
    from .write import write_if_changed

    for name in BUNDLES:
        write_if_changed(target / name, bundle_text(name).encode("utf-8"))
