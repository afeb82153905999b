"""``reportgen serve``: build into a temporary folder, serve it over HTTP, rebuild on changes.

Dev-only behaviour (temporary build folders, the live script, debouncing) lives
here and in the sibling modules, never in ``build()``.
"""
from __future__ import annotations

import ipaddress
import os
import signal
import sys
import tempfile
import threading
import time
import webbrowser
from pathlib import Path

from .._resources import assets_dir, templates_dir
from ..build.config import BuildConfig
from ..build.site import build
from .handler import App
from .hosts import HostCheck
from .httpd import IDLE_TIMEOUT, THREADS, Server, quiet_logs
from .livesite import LiveSite
from .watcher import DEBOUNCE, Debouncer, Watcher

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


class _Stop(KeyboardInterrupt):
    """Raised in the main thread by the SIGINT/SIGTERM handler (a KeyboardInterrupt, so waitress's loop ends)."""


def _on_signal(signum, frame) -> None:
    raise _Stop(signum)


def serve(runs: Path, *, host: str = "127.0.0.1", port: int = 8000, watch: bool = False,
          open_browser: bool = False, samples: int = 1000, presets: Path | None = None,
          reports: Path | None = None, debounce: float = DEBOUNCE, idle_timeout: int = IDLE_TIMEOUT,
          max_connections: int | None = None, threads: int = THREADS) -> None:
    """Build ``runs`` into a temporary folder and serve it until SIGINT (Ctrl-C) or SIGTERM.

    With ``watch``, the runs folder (and ``presets``/``reports`` when given) is
    followed; changes rebuild the site and open pages update themselves.
    ``idle_timeout``, ``max_connections`` and ``threads`` bound what clients can hold
    (see :mod:`.httpd`).
    """
    runs = Path(runs)
    if not is_loopback(host):
        print(f"warning: serving on {host}: anyone who can reach this address can read your runs "
              "(the default 127.0.0.1 is reachable from this computer only)", file=sys.stderr, flush=True)

    def build_into(out: Path) -> object:
        return build(BuildConfig(runs=runs, out=out, samples=samples, presets=presets, reports=reports,
                                 quiet=True))

    # SIGINT and SIGTERM both stop the server cleanly. Installed explicitly: a process started in
    # the background inherits SIGINT as ignored, and Python then never raises KeyboardInterrupt.
    main = threading.current_thread() is threading.main_thread()
    saved = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) if main else None
    if main:
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
    quiet_logs()
    try:
        with tempfile.TemporaryDirectory(prefix="reportgen-serve-", ignore_cleanup_errors=True) as tmp:
            boot = f"{os.getpid()}-{time.time_ns()}"
            site = LiveSite(Path(tmp), build_into, boot=boot)
            try:  # bind first: a taken port fails at once, not after the build
                httpd = Server(None, host, port, threads=threads, idle_timeout=idle_timeout,
                               header_timeout=idle_timeout, max_connections=max_connections)
            except OSError as exc:  # port taken, address not local, ...
                raise ValueError(f"cannot serve on {host}:{port}: {exc.strerror or exc} (try --port 0)") from None
            httpd.application = App(site, live=watch, hosts=HostCheck(host, httpd.port))
            debouncer = watcher = None
            try:
                if watch:  # watch before the first build: nothing written meanwhile is missed
                    debouncer = Debouncer(site.rebuild, delay=debounce).start()
                    # the site's templates and assets too: editing them rebuilds every open page
                    folders = [runs] + [p for p in (presets, reports) if p is not None] + [templates_dir(), assets_dir()]
                    watcher = Watcher(folders, debouncer.poke).start()
                t0 = time.perf_counter()
                site.initial_build()
                url = url_for(host, httpd.port)
                print(f"Built {runs} in {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
                if watcher is not None:
                    print(f"Watching {', '.join(map(str, watcher.folders))} for changes", file=sys.stderr, flush=True)
                print(f"Serving {runs} at {url} (Ctrl-C to stop)", flush=True)
                if open_browser:
                    webbrowser.open(url)
                httpd.run()  # returns after a KeyboardInterrupt (our _Stop) in its loop
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                print("Stopped.", file=sys.stderr, flush=True)
            finally:
                # A second signal while cleaning up must not print a traceback or skip the cleanup.
                if main:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                site.close()
                if watcher is not None:
                    watcher.stop()
                if debouncer is not None:
                    debouncer.stop(timeout=1.0)
                httpd.stop()
    finally:
        if saved is not None:
            signal.signal(signal.SIGINT, saved[0])
            signal.signal(signal.SIGTERM, saved[1])
