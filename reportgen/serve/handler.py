"""The HTTP side of ``reportgen serve``: files of the active site, the live script and its events.

Routes (GET and HEAD only):

- ``/__reportgen__/live.js``: the client script (reportgen/serve/live.js);
- ``/__reportgen__/events?since=N``: long-poll; JSON describing what changed after
  generation N (see :meth:`LiveSite.wait_events`);
- anything else: a file of the active site, resolved by :mod:`.paths`. HTML
  responses get one ``<script>`` tag for live.js inserted before ``</head>``
  (only when watching); the built files themselves never contain it.
"""
from __future__ import annotations

import http.server
import json
import re
import socket
from html import escape
from urllib.parse import parse_qs

from pathlib import Path
from .livesite import LiveSite
from .paths import content_type, resolve, site_path

PREFIX = "/__reportgen__/"
LONG_POLL = 20.0  # seconds an events request may wait for a change
LIVE_JS = Path(__file__).with_name("live.js")  # not in assets/: build() copies that folder into sites
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)


def live_tag(generation: int, boot: str) -> bytes:
    return (f'<script src="{PREFIX}live.js" data-generation="{generation}" '
            f'data-boot="{escape(boot)}"></script>\n').encode()


def inject(html: bytes, tag: bytes) -> bytes:
    """Insert ``tag`` before ``</head>`` (or at the very start when there is no head)."""
    m = _HEAD_END.search(html)
    at = m.start() if m else 0
    return html[:at] + tag + html[at:]


def byte_range(header: str | None, size: int) -> tuple[int, int] | tuple[()] | None:
    """``(start, end)`` (inclusive) for a single ``bytes=`` range; ``()`` if unsatisfiable; None to ignore."""
    m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if not m or m.group(1) == m.group(2) == "":
        return None  # absent, malformed or multi-range: answer with the whole file
    if m.group(1) == "":  # the last N bytes
        n = int(m.group(2))
        return (max(0, size - n), size - 1) if n > 0 and size > 0 else ()
    start = int(m.group(1))
    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    return (start, end) if start <= end and start < size else ()


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "reportgen"
    protocol_version = "HTTP/1.1"
    # set on the subclass made by make_handler()
    site: LiveSite
    live: bool

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:  # quiet: the terminal shows rebuilds only
        pass

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_GET(self) -> None:
        self._dispatch(head=False)

    def _dispatch(self, head: bool) -> None:
        try:
            if self.path.startswith(PREFIX):
                self._internal(head)
            else:
                self._file(head)
        except (ConnectionError, socket.timeout):
            self.close_connection = True

    # -- responses -----------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str, head: bool, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_found(self, head: bool, status: int = 404) -> None:
        text = "Not found" if status == 404 else "Forbidden"
        self._send(status, f"{status} {text}\n".encode(), "text/plain; charset=utf-8", head)

    def _file(self, head: bool) -> None:
        rel = site_path(self.path)
        if rel is None:
            self._not_found(head, 403)
            return
        with self.site.reading() as (root, generation):
            path = resolve(root, rel)
            if path is None:
                self._not_found(head)
                return
            body = path.read_bytes()
        ctype = content_type(path.name)
        if self.live and ctype.startswith("text/html"):
            body = inject(body, live_tag(generation, self.site.boot))
            self._send(200, body, ctype, head)
            return
        span = byte_range(self.headers.get("Range"), len(body))
        if span is None:  # no (usable) Range header: the whole file
            self._send(200, body, ctype, head, {"Accept-Ranges": "bytes"})
        elif span == ():
            self._send(416, b"", ctype, head, {"Content-Range": f"bytes */{len(body)}"})
        else:  # media elements seek with Range requests
            start, end = span
            self._send(206, body[start:end + 1], ctype, head,
                       {"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{len(body)}"})

    def _internal(self, head: bool) -> None:
        route, _, query = self.path[len(PREFIX):].partition("?")
        if route == "live.js" and self.live:
            body = LIVE_JS.read_bytes()
            self._send(200, body, "text/javascript; charset=utf-8", head)
        elif route == "events" and self.live:
            params = parse_qs(query)
            try:
                since = int(params.get("since", ["0"])[0])
            except ValueError:
                self._send(400, b'{"error": "since: expected an integer"}\n', "application/json", head)
                return
            state = self.site.wait_events(since, 0 if head else LONG_POLL)
            self._send(200, json.dumps(state).encode(), "application/json", head)
        else:
            self._not_found(head)


def make_handler(site: LiveSite, live: bool) -> type[Handler]:
    return type("ReportgenHandler", (Handler,), {"site": site, "live": live})
