"""Helpers for the hostile-run-folder tests: a canary server, payloads, tree snapshots, and a
Chromium probe that tells whether any logged script ran.

A payload does three things when it runs: sets ``window.__pwned``, sets the title to
``PWNED`` and requests ``http://127.0.0.1:<canary>/hit``. The probe opens a page (or a
published file on its own) and reports any of the three.
"""
from __future__ import annotations

import functools
import hashlib
import http.server
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path


class _CanaryHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = do_GET

    def log_message(self, *args):
        pass


class Canary:
    """An HTTP server on 127.0.0.1 that remembers every request it got."""

    def __init__(self) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CanaryHandler)
        self.server.hits = []
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def hits(self) -> list[str]:
        return list(self.server.hits)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StaticServer:
    """``python -m http.server`` for a folder, on 127.0.0.1 (published files opened over http)."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(_QuietFiles, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def js(canary: str) -> str:
    """The JavaScript every payload runs."""
    return (f"window.__pwned=1;document.title='PWNED';"
            f"fetch('{canary}/hit').catch(function(){{}});new Image().src='{canary}/img';")


def payloads(canary: str) -> list[str]:
    """Hostile strings for names, tags, captions, cells, config keys and values, markdown."""
    code = js(canary)
    return [
        f"<script>{code}</script>",
        f'"><img src=x onerror="{code}">',
        f"'><svg onload=\"{code}\">",
        "{{ 7*7 }}{% raw %}",
        f"javascript:{code}",
        f"</script><script>{code}</script>",
        f"<iframe srcdoc=\"<script>{code}</script>\"></iframe>",
    ]


def html_payload(canary: str) -> bytes:
    code = js(canary)
    return (f"<html><head><script>{code}</script></head><body onload=\"{code}\">"
            f"<img src='{canary}/html-img'><iframe src='{canary}/html-frame'></iframe>"
            f"<script>try{{parent.__pwned=1;top.document.title='PWNED'}}catch(e){{}}"
            # (then it takes its own frame out of the site: no policy of its own forbids that)
            f"setTimeout(function(){{location.href='{canary}/html-nav'}},50)</script></body></html>").encode()


def svg_payload(canary: str) -> bytes:
    code = js(canary)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'width="40" height="40" onload="{code}"><script>{code}</script>'
            f'<rect width="40" height="40" fill="red"/>'
            f'<a xlink:href="javascript:{code}"><text y="20">x</text></a>'
            f'<foreignObject width="10" height="10"><body xmlns="http://www.w3.org/1999/xhtml">'
            f'<script>{code}</script></body></foreignObject>'
            f'<image href="{canary}/svg-img" width="5" height="5"/>'
            f'<set attributeName="onmouseover" to="{code}"/></svg>').encode()


def snapshot(root: Path, skip: Path | None = None) -> dict[str, str]:
    """``{path: sha1 or link target}`` of everything under ``root`` except ``skip`` (the site)."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        d = Path(dirpath)
        if skip is not None and (d == skip or skip in d.parents):
            dirs[:] = []
            continue
        for name in dirs + files:
            p = d / name
            if skip is not None and p == skip:
                continue
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha1(p.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


@dataclass
class Probe:
    """Opens pages in a fresh Chromium context and records every sign of executed payloads."""

    browser: object
    canary: Canary
    fired: list[str] = field(default_factory=list)

    def open(self, url: str, wait_ms: int = 300) -> None:
        ctx = self.browser.new_context(viewport={"width": 1400, "height": 900})
        # a response, not a request event: Chromium reports requests that CSP then blocks
        ctx.on("response", lambda r: r.url.startswith(self.canary.base)
               and self.fired.append(f"request {r.url} from {url}"))
        page = ctx.new_page()
        try:
            try:
                page.goto(url, wait_until="load", timeout=15_000)
            except Exception as exc:  # downloads (npy, ...) do not open as a page
                if "Download is starting" in str(exc):
                    return
                raise
            page.evaluate("() => window.scrollTo(0, document.body ? document.body.scrollHeight : 0)")
            page.wait_for_timeout(wait_ms)
            if page.evaluate("() => !!window.__pwned") or page.title() == "PWNED":
                self.fired.append(f"script ran at the page's origin: {url}")
            for frame in page.frames[1:]:
                try:
                    if frame.evaluate("() => document.title") == "PWNED" and "about:srcdoc" not in frame.url:
                        self.fired.append(f"script ran in a frame {frame.url} of {url}")
                except Exception:
                    pass
        finally:
            ctx.close()

    def check(self) -> list[str]:
        return self.fired + [f"canary server got {h}" for h in self.canary.hits]


def leaked(out: Path, secret: str) -> list[Path]:
    """Files under ``out`` holding ``secret`` (a canary planted outside a source or run folder)."""
    return [p for p in out.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
