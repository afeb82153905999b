"""A small static HTTP server for a site built into a temporary folder.

Dev-only behaviour lives here, never in ``build()``.
"""
from __future__ import annotations

import functools
import http.server
import sys
import tempfile
import webbrowser
from pathlib import Path

from ..build.config import BuildConfig
from ..build.site import build


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # quiet by default
        pass


def serve(runs: Path, *, host: str = "127.0.0.1", port: int = 8000, watch: bool = False,
          open_browser: bool = False, samples: int = 1000) -> None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {host}: anyone who can reach this address can read your runs",
              file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="reportgen-serve-") as tmp:
        site = Path(tmp) / "site"
        build(BuildConfig(runs=runs, out=site, samples=samples))
        handler = functools.partial(_Handler, directory=str(site))
        with http.server.ThreadingHTTPServer((host, port), handler) as httpd:
            url = f"http://{host}:{httpd.server_address[1]}/"
            print(f"Serving {runs} at {url} (Ctrl-C to stop)", flush=True)
            if open_browser:
                webbrowser.open(url)
            try:
                httpd.serve_forever()
            except KeyboardInterrupt:
                print("\nStopped.")
