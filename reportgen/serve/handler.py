"""The HTTP side of ``reportgen serve`` (a WSGI app): files of the active site, the live script, its events.

Routes (GET and HEAD only; other methods get 501):

- ``/__reportgen__/live.js``: the client script (reportgen/serve/live.js);
- ``/__reportgen__/data?f=/data/a.js&f=...``: those data files of the active site joined into
  one script (pages under ``serve --watch`` load their data files in one request);
- ``/__reportgen__/events?since=N``: JSON describing what changed after
  generation N (see :meth:`LiveSite.wait_events`), answered at once: pages poll
  it about once a second, so no tab ever holds a connection open;
- anything else: a file of the active site, resolved by :mod:`.paths`. HTML
  responses get one ``<script>`` tag for live.js inserted before ``</head>``
  (only when watching); the built files themselves never contain it.

Every request must name this server in its ``Host`` header (:mod:`.hosts`);
others get ``421 Misdirected Request``. A request another web site's page makes
(``Sec-Fetch-Site: cross-site`` or ``same-site``) gets ``403`` unless it opens a page
(a link followed): the Host check cannot see those, since they name this server,
and a ``<script src>`` of a data file (``RG.receive(...)``) would hand the run data
to that page.
"""
from __future__ import annotations

import json
import os
import re
from html import escape
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator
from urllib.parse import parse_qs

from .etags import HASH_MAX, ETags, content_tag
from .hosts import HostCheck
from .livesite import LiveSite
from .paths import content_type, resolve, site_path

PREFIX = "/__reportgen__/"
LIVE_JS = Path(__file__).with_name("live.js")  # not in assets/: build() copies that folder into sites
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_REASONS = {200: "OK", 206: "Partial Content", 304: "Not Modified", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
            416: "Range Not Satisfiable", 421: "Misdirected Request", 501: "Not Implemented"}
TEXT = "text/plain; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"  # a versioned asset (App._versioned)
MAX_BATCH = 64  # data files in one /__reportgen__/data request (the page asks for at most 32)
#: files up to this size are read whole to be served; larger ones (a run's video: a sparse 4 GiB one costs
#: no disk) are sent a piece at a time, only the range asked for (every Range request read the whole
#: file into memory: 2 GiB, and 11 s, for 1 KiB; a few at once ended the machine's memory)
WHOLE_MAX = HASH_MAX
PIECE = 1 << 20
#: digits of a number in a Range header at most (20: any 64-bit size); a longer one is no range (int() of
#: more than 4,300 digits raised ValueError: a 500 and a traceback on the terminal, for any client)
RANGE_DIGITS = 20


# burst12 (issue 12, twenty tabs opened at once): a served page is first painted once it is parsed and
# its scripts have built it (the runs table, the controls), not also before, as a skeleton that the
# scripts then rebuild: that first paint cost each tab a style, layout, paint and raster pass, and a
# frame through the browser and GPU processes, while twenty tabs shared two cores. An ``expect`` link
# to an id no page has blocks rendering until the parser is done (browsers without it ignore it).
RENDER_AFTER_PARSE = b'<link rel="expect" href="#rg-end-of-parse" blocking="render">\n'


def live_tag(generation: int, boot: str, version: str = "") -> bytes:
    # One script (tabs12, issue 12): /__reportgen__/live.js is the site's assets/rg-live.js (the
    # page side of live updates, RG.live: assets/live.js + live-patch.js) followed by this
    # server's client script (reportgen/serve/live.js), which polls and patches the page.
    # ``version``: a hash of that script, asked for as ``?v=`` (kept by the browser as the assets are)
    query = f"?v={version}" if version else ""
    return RENDER_AFTER_PARSE + (f'<script src="{PREFIX}live.js{query}" data-generation="{generation}" '
                                 f'data-boot="{escape(boot)}"></script>\n').encode()


def inject(html: bytes, tag: bytes) -> bytes:
    """Insert ``tag`` before ``</head>`` (or at the very start when there is no head)."""
    m = _HEAD_END.search(html)
    at = m.start() if m else 0
    return html[:at] + tag + html[at:]


def byte_range(header: str | None, size: int) -> tuple[int, int] | tuple[()] | None:
    """``(start, end)`` (inclusive) for a single ``bytes=`` range; ``()`` if unsatisfiable; None to ignore."""
    m = re.fullmatch(r"\s*bytes=(\d{0,%d})-(\d{0,%d})\s*" % (RANGE_DIGITS, RANGE_DIGITS), header or "")
    if not m or m.group(1) == m.group(2) == "":
        return None  # absent, malformed, multi-range or a number longer than any file: the whole file
    if m.group(1) == "":  # the last N bytes
        n = int(m.group(2))
        return (max(0, size - n), size - 1) if n > 0 and size > 0 else ()
    start = int(m.group(1))
    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    return (start, end) if start <= end and start < size else ()


def from_another_site(environ: dict) -> bool:
    """Whether a browser made this request for a page of another site (fetch metadata), other than
    to open one of ours: a page on any web site (or another server on localhost) may put
    ``<script src="http://127.0.0.1:8000/data/runs/x.js">`` in itself and define ``RG.receive``
    to read the data, as a script of another origin runs with the page's own. The site's pages
    ask for their files from their own origin only (logged HTML runs in opaque sandboxes whose
    policy forbids every request). Requests without the header (curl, older browsers) pass."""
    site = environ.get("HTTP_SEC_FETCH_SITE", "").strip().lower()
    if site in ("", "same-origin", "none"):
        return False
    navigate = environ.get("HTTP_SEC_FETCH_MODE", "").strip().lower() == "navigate"
    return not (navigate and environ.get("HTTP_SEC_FETCH_DEST", "").strip().lower() in ("document", "iframe", "frame"))


def pieces(fh: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of the open file ``fh`` from ``start``, 1 MiB at a time; the file is closed at the
    end, or when the server closes the iterator (a client gone)."""
    try:
        fh.seek(start)
        while length > 0:
            block = fh.read(min(length, PIECE))
            if not block:  # (the file shrank meanwhile)
                return
            length -= len(block)
            yield block
    finally:
        fh.close()


class App:
    """The WSGI application: ``site`` is the :class:`LiveSite`, ``live`` whether pages follow rebuilds."""

    def __init__(self, site: LiveSite, live: bool, hosts: HostCheck):
        self.site = site
        self.live = live
        self.hosts = hosts
        self.etags = ETags()
        self._live: tuple[tuple, bytes, str] | None = None  # _live_script's (files' stat, body, hash)

    def __call__(self, environ: dict, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        head = method == "HEAD"

        def send(status: int, body: bytes | Iterator[bytes], ctype: str, extra: dict | None = None,
                 length: int | None = None) -> Iterable[bytes]:
            """``body``: bytes, or the pieces of ``length`` bytes of a large file (:func:`pieces`)."""
            extra = {"Cache-Control": "no-store", **(extra or {})}
            size = len(body) if isinstance(body, bytes) else length
            headers = [("Content-Type", ctype), ("Content-Length", str(size))]
            headers += list(extra.items()) + [("X-Content-Type-Options", "nosniff")]
            start_response(f"{status} {_REASONS[status]}", headers)
            if isinstance(body, bytes):
                return [] if head else [body]
            if head:
                body.close()  # (the file is closed)
                return []
            return body

        if not self.hosts.allows(environ.get("HTTP_HOST")):
            body = (f"421 Misdirected Request: this server answers only to {self.hosts.describe()} "
                    f"(port {self.hosts.port}).\n").encode()
            return send(421, body, TEXT)
        if method not in ("GET", "HEAD"):
            return send(501, b"501 Not Implemented: only GET and HEAD\n", TEXT)
        if from_another_site(environ):
            return send(403, b"403 Forbidden: asked for by a page of another site\n", TEXT)
        target = environ.get("REQUEST_URI") or "/"
        if target.startswith(PREFIX):
            return self._internal(target[len(PREFIX):], head, send, environ.get("HTTP_IF_NONE_MATCH"))
        return self._file(target, environ, send)

    def _file(self, target: str, environ: dict, send) -> list[bytes]:
        rel = site_path(target)
        if rel is None:
            return send(403, b"403 Forbidden\n", TEXT)
        with self.site.reading() as (root, generation):
            path = resolve(root, rel)
            if path is None:
                return send(404, b"404 Not found\n", TEXT)
            ctype = content_type(path.name)
            if self.live and ctype.startswith("text/html"):  # never cached: it carries the generation
                _, version = self._live_script(root)  # (remembered: not read nor hashed for each page)
                return send(200, inject(path.read_bytes(), live_tag(generation, self.site.boot, version)), ctype)
            # Other files may be kept by the browser: an asset asked for by its hash for good
            # (immutable, _versioned), the rest checked on every use (no-cache + ETag): twenty tabs
            # then share one copy of the Vega runtime, and its compiled code. The ETag is the
            # content's hash, so both build slots give the same one for the same bytes.
            etag, version = self.etags.entry(path)
            cache = {"Cache-Control": IMMUTABLE if self._versioned(rel, target, version) else "no-cache", "ETag": etag}
            if etag in (environ.get("HTTP_IF_NONE_MATCH") or ""):
                return send(304, b"", ctype, cache)
            fh = open(path, "rb")  # (the slot is pinned while opening; an open file keeps its bytes)
            size = os.fstat(fh.fileno()).st_size
            body = None
            if size <= WHOLE_MAX:  # read now, while pinned: the same bytes as hashed
                with fh:
                    body = fh.read()
                size = len(body)
        span = byte_range(environ.get("HTTP_RANGE"), size)
        if span == ():
            if body is None:
                fh.close()
            return send(416, b"", ctype, {"Content-Range": f"bytes */{size}"})
        start, end = (0, size - 1) if span is None else span  # media elements seek with Range requests
        part = body[start:end + 1] if body is not None else pieces(fh, start, end + 1 - start)
        if span is None:  # no (usable) Range header: the whole file
            return send(200, part, ctype, {"Accept-Ranges": "bytes", **cache}, length=size)
        return send(206, part, ctype, {"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{size}", **cache},
                    length=end + 1 - start)

    @staticmethod
    def _versioned(rel: str, target: str, version: str) -> bool:
        """Whether ``target`` asks for a file of ``assets/`` by the hash of what it holds (``?v=``,
        site/assets.py) and ``version``, the file's (ETags.entry), is that hash: such a URL always
        means these bytes, so the browser keeps the file without asking again (a restored session
        of twenty tabs then neither requests nor compiles the page scripts again). Any other ``?v=``
        (a page of an earlier build) gets the file checked on every use, as files without one."""
        if not rel.startswith("assets/"):
            return False
        wanted = parse_qs(target.partition("?")[2]).get("v")
        return bool(wanted) and wanted[0] == version

    def _data(self, files: list[str], if_none_match: str | None, send) -> list[bytes]:
        """Several data files of the active site in one script (``?f=/data/x.js&f=...``, joined): a
        page's data files in one request (RG.batchSrc in live.js). Only ``data/**.js`` files; those
        missing are left out (the page then asks for each on its own, and gets the 404)."""
        if not files or len(files) > MAX_BATCH:
            return send(400, f"400 Bad Request: f: expected 1 to {MAX_BATCH} data file paths\n".encode(), TEXT)
        parts = []
        with self.site.reading() as (root, _generation):
            for raw in files:
                rel = site_path(raw if raw.startswith("/") else "/" + raw)
                if rel is None or not rel.startswith("data/") or not rel.endswith(".js"):
                    return send(403, b"403 Forbidden: f: expected paths of data files (data/...js)\n", TEXT)
                path = resolve(root, rel)
                if path is not None:
                    parts.append(path.read_bytes())
        return self._script(b";\n".join(parts) + b"\n", if_none_match, send)

    def _live_script(self, root: Path) -> tuple[bytes, str]:
        """The live script (the site's assets/rg-live.js, then reportgen/serve/live.js) and its hash;
        read and hashed again only when one of the two files changed (every page served asks)."""
        from ..site.bundle import version

        runtime = resolve(root, "assets/rg-live.js")
        stamps = []
        for p in (runtime, LIVE_JS):
            if p is not None:
                st = p.stat()
                stamps.append((str(p), st.st_size, st.st_mtime_ns))
        key = tuple(stamps)
        known = self._live
        if known is not None and known[0] == key:
            return known[1], known[2]
        body = (runtime.read_bytes() + b"\n" if runtime else b"") + LIVE_JS.read_bytes()
        self._live = (key, body, version(body)[:10])  # (one tuple: a thread reads the old or the new)
        return body, self._live[2]

    @staticmethod
    def _script(body: bytes, if_none_match: str | None, send, immutable: bool = False) -> list[bytes]:
        """A generated script kept by the browser and checked on every use, as the site's own
        files are (no-cache + an ETag of its content; 304 when the browser has it); ``immutable``:
        kept without being checked (its URL names its content)."""
        etag = content_tag(body)
        cache = {"Cache-Control": IMMUTABLE if immutable else "no-cache", "ETag": etag}
        if etag in (if_none_match or ""):
            return send(304, b"", "text/javascript; charset=utf-8", cache)
        return send(200, body, "text/javascript; charset=utf-8", cache)

    def _internal(self, rest: str, head: bool, send, if_none_match: str | None = None) -> list[bytes]:
        route, _, query = rest.partition("?")
        if route == "live.js" and self.live:
            with self.site.reading() as (root, _generation):
                body, version = self._live_script(root)
            # kept by the browser and checked on every use, as the site's own files (tabs12): each new
            # tab then neither downloads it again nor compiles it (Chromium's code cache follows the
            # cached response); it was no-store, 31 KB fetched and compiled by every tab. Asked for by
            # its hash (the pages' ?v=), it is kept without being checked, as the assets are
            immutable = parse_qs(query).get("v") == [version]
            return self._script(body, if_none_match, send, immutable)
        if route == "data" and self.live:
            return self._data(parse_qs(query).get("f", []), if_none_match, send)
        if route == "events" and self.live:
            try:
                since = int(parse_qs(query).get("since", ["0"])[0])
            except ValueError:
                return send(400, b'{"error": "since: expected an integer"}\n', "application/json")
            return send(200, json.dumps(self.site.wait_events(since, 0)).encode(), "application/json")
        return send(404, b"404 Not found\n", TEXT)
