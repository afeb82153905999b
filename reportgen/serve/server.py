"""``reportgen serve``: build into a temporary folder, serve it over HTTP, rebuild on changes.

Dev-only behaviour (temporary build folders, the live script, debouncing) lives
here and in the sibling modules, never in ``build()``.
"""
from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import webbrowser
from pathlib import Path

from .._resources import assets_dir, templates_dir
from ..site.config import BuildConfig
from ..site.builder import build
from ..storage.rootpin import RootPin
from ..tell import say, tell, tell_all
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


STOP_WAIT = 0.1  # seconds each part of the shutdown may wait at most (threads are daemons)
_REMOVER = """import os, shutil, sys, time
pid, path = int(sys.argv[1]), sys.argv[2]
def alive():
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
deadline = time.monotonic() + 120
while alive() and time.monotonic() < deadline:
    time.sleep(0.05)
shutil.rmtree(path, ignore_errors=True)
"""


def _remove(path: Path, busy: bool) -> None:
    """Remove the temporary folder: at once when that is quick; when a build still writes into it, or
    removing takes long (a big site on a busy disk), whatever is left goes once this process is gone."""
    if not busy:
        worker = threading.Thread(target=shutil.rmtree, args=(path,), kwargs={"ignore_errors": True},
                                  name="reportgen-cleanup", daemon=True)
        worker.start()
        worker.join(2 * STOP_WAIT)
        if not worker.is_alive():
            return
    _remove_after_exit(path)


def _remove_after_exit(path: Path) -> None:
    """Remove ``path`` from a detached process once this one has exited (a rebuild thread, killed
    by the exit, may still be writing into it now)."""
    try:
        subprocess.Popen([sys.executable, "-c", _REMOVER, str(os.getpid()), str(path)], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         close_fds=True)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)



#: build warnings printed per build; the rest are counted (every one is on the site's pages)
TOLD_MAX = 20


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
        tell(f"serving on {host}: anyone who can reach this address can read your runs "
             "(the default 127.0.0.1 is reachable from this computer only)")

    told: set[str] = set()  # build warnings printed already (each once, not at every rebuild)
    # the folders as they are now: one swapped for a link later is not read (the last good site stays)
    pins = [RootPin(runs)] + [RootPin(p, f"the {what} folder") for p, what in ((presets, "presets"),
                                                                            (reports, "reports")) if p is not None]

    def build_into(out: Path) -> object:
        for pin in pins:
            pin.check()
        # the cache of each slot lives next to it in the temp folder, and goes with it; so does the joined
        # copy of shared runs (writers/<label>/ segments), synced again at each rebuild (one for both slots)
        res = build(BuildConfig(runs=runs, out=out, samples=samples, presets=presets, reports=reports,
                                quiet=True, cache_dir=out.parent / f"cache-{out.name}", join_segmented=True,
                                join_dir=out.parent / "joined"))
        # (as `reportgen build` prints them: a run folder linked out of the root, a bad line; each once)
        tell_all(res.warnings, told, most=TOLD_MAX, more=" (listed on the site's pages)")
        return res

    # SIGINT and SIGTERM both stop the server cleanly. Installed explicitly: a process started in
    # the background inherits SIGINT as ignored, and Python then never raises KeyboardInterrupt.
    main = threading.current_thread() is threading.main_thread()
    saved = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) if main else None
    if main:
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
    quiet_logs()
    try:
        tmp = tempfile.mkdtemp(prefix="reportgen-serve-")
        debouncer = None
        try:
            boot = f"{os.getpid()}-{time.time_ns()}"
            site = LiveSite(Path(tmp), build_into, boot=boot)
            try:  # bind first: a taken port fails at once, not after the build
                httpd = Server(None, host, port, threads=threads, idle_timeout=idle_timeout,
                               header_timeout=idle_timeout, max_connections=max_connections)
            except OSError as exc:  # port taken, address not local, ...
                raise ValueError(f"cannot serve on {host}:{port}: {exc.strerror or exc} (try --port 0)") from None
            httpd.application = App(site, live=watch, hosts=HostCheck(host, httpd.port))
            watcher = None
            try:
                if watch:  # watch before the first build: nothing written meanwhile is missed
                    debouncer = Debouncer(site.rebuild, delay=debounce).start()
                    # the site's templates and assets too: editing them rebuilds every open page
                    folders = [runs] + [p for p in (presets, reports) if p is not None] + [templates_dir(), assets_dir()]
                    watcher = Watcher(folders, debouncer.poke).start()
                t0 = time.perf_counter()
                site.initial_build()
                url = url_for(host, httpd.port)
                # (said with their control characters escaped: a folder named with terminal escapes,
                # or a newline and a fake log line, rewrote the terminal of whoever ran serve)
                say(f"Built {runs} in {time.perf_counter() - t0:.1f}s", err=True)
                if watcher is not None:
                    say(f"Watching {', '.join(map(str, watcher.folders))} for changes", err=True)
                say(f"Serving {runs} at {url} (Ctrl-C to stop)")
                if open_browser:
                    webbrowser.open(url)
                httpd.run()  # returns after a KeyboardInterrupt (our _Stop) in its loop
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                say("Stopped.", err=True)
            finally:
                # A second signal while cleaning up must not print a traceback or skip the cleanup.
                if main:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)
                    signal.signal(signal.SIGTERM, signal.SIG_IGN)
                # Every step is bounded, so that the process is gone within a second of the signal
                # (the threads are daemons; the CLI then ends the process with os._exit).
                site.close()  # no new rebuild starts; a running one is not waited for long
                if watcher is not None:  # watchdog's inotify close() joins its reader thread (seconds under
                    # load): stopped on the side; its threads are daemons and die with the process
                    threading.Thread(target=watcher.stop, name="reportgen-unwatch", daemon=True).start()
                if debouncer is not None:
                    debouncer.stop(timeout=STOP_WAIT)
                httpd.stop(timeout=STOP_WAIT)
        finally:
            _remove(Path(tmp), busy=debouncer is not None and debouncer.busy)
    finally:
        if saved is not None:
            signal.signal(signal.SIGINT, saved[0])
            signal.signal(signal.SIGTERM, saved[1])
