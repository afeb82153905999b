"""The HTTP server under ``reportgen serve``: waitress, with limits a dev server on a laptop needs.

waitress reads requests and writes responses on one event loop and hands only
complete requests to a fixed pool of worker threads, so an idle or slow client
costs a socket, never a thread. On top of waitress's own settings:

- ``idle_timeout``: a connection with no request in flight and no traffic for
  that long is closed (waitress's ``channel_timeout``, checked every second);
- ``header_timeout``: a request whose line and headers are not complete that long
  after its first byte is dropped (a client trickling bytes cannot keep its socket);
- ``MAX_BODY``: a request announcing a body gets ``413`` at once, before its body is read;
- ``max_connections``: when a new connection would exceed it, the connection idle
  the longest is closed to make room, so a flood of idle sockets never locks out
  a real browser (the fd limit is respected: the default stays well below it).
"""
from __future__ import annotations

import logging
import resource
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer

from ..tell import say

THREADS = 8
IDLE_TIMEOUT = 10  # waitress counts these in whole seconds
HEADER_TIMEOUT = 10.0
#: request bodies taken at most: only GET and HEAD are answered, so none is needed; waitress's
#: default (1 GiB, buffered to a temporary file before the app sees the request) let any client,
#: or any web page through a cross-origin POST, write that much to disk per request
MAX_BODY = 0


def default_max_connections() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 4096
    return max(16, min(1000, soft - 100))  # leave fds for the build, the watcher and the worker threads


class _Channel(HTTPChannel):
    reading_since: float | None = None  # when the first byte of a not yet complete request came

    def received(self, data: bytes) -> bool:
        start = time.time()
        result = super().received(data)
        if self.request is None:  # nothing partial left: the request (if any) is complete
            self.reading_since = None
        elif self.reading_since is None:
            self.reading_since = start
        return result


class Server(TcpWSGIServer):
    channel_class = _Channel

    def __init__(self, app, host: str, port: int, *, threads: int = THREADS, idle_timeout: int = IDLE_TIMEOUT,
                 header_timeout: float = HEADER_TIMEOUT, max_connections: int | None = None):
        self.header_timeout = header_timeout
        self.max_connections = max_connections or default_max_connections()
        # waitress's settings are whole seconds (a loop timeout of 0 would make its loop spin)
        super().__init__(app, host=host.strip("[]"), port=port, threads=threads,
                         channel_timeout=max(1, round(idle_timeout)), cleanup_interval=1, asyncore_use_poll=True,
                         asyncore_loop_timeout=1, connection_limit=self.max_connections + threads + 8,
                         ident="reportgen", clear_untrusted_proxy_headers=False, expose_tracebacks=False,
                         max_request_body_size=MAX_BODY)

    @property
    def port(self) -> int:
        return int(self.effective_port)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle channels past channel_timeout
        for channel in list(self.active_channels.values()):
            if channel.reading_since is not None and now - channel.reading_since > self.header_timeout:
                channel.will_close = True

    def handle_accept(self) -> None:
        super().handle_accept()
        excess = len(self.active_channels) - self.max_connections
        if excess > 0:  # close the connections idle the longest (none that is being answered)
            idle = sorted((c for c in self.active_channels.values() if not c.requests and not c.total_outbufs_len),
                          key=lambda c: c.last_activity)
            for channel in idle[:excess]:
                channel.handle_close()

    def stop(self, timeout: float = 1.0) -> None:
        """After :meth:`run` returned: close the listening socket and every connection, stop the workers."""
        self.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        wasyncore.close_all(self._map, ignore_all=True)


class _Said(logging.Handler):
    """waitress's lines through :func:`tell.say`: they name a request's path, a client's bytes
    (``GET /%1b]0;...``: its control characters escaped)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            say(self.format(record), err=True, lines=True)
        except Exception:  # noqa: BLE001 - as logging.StreamHandler: a failing log line is logging's to report
            self.handleError(record)


def quiet_logs() -> None:
    """waitress logs a warning when requests queue up (20 tabs loading at once): not worth a line."""
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    log = logging.getLogger("waitress")
    if not log.handlers:
        handler = _Said()
        handler.setFormatter(logging.Formatter("reportgen serve: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.ERROR)
        log.propagate = False
