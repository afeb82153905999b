"""Which ``Host`` headers ``reportgen serve`` answers: its own names only (DNS-rebinding defence).

A page on ``evil.example.com`` whose DNS name is re-pointed at 127.0.0.1 can make
the browser send requests to the dev server, but they still carry
``Host: evil.example.com``. Answering only the names the server is bound to
(``localhost``, ``127.0.0.1``, ``[::1]``, the ``--host`` value) keeps such pages out.

When bound to every interface (``0.0.0.0`` / ``::``), the machine's own host
names and any IP-address literal are accepted as well: an address literal can
not be re-pointed by DNS, so it is never a rebinding vector.
"""
from __future__ import annotations

import ipaddress
import re
import socket

LOOPBACK = ("localhost", "127.0.0.1", "::1")
_HOST = re.compile(r"^(\[[0-9a-fA-F:.%a-zA-Z]+\]|[^:\[\]]+)(?::(\d{1,5}))?$")


def split_host(header: str) -> tuple[str, int | None] | None:
    """``("name", port or None)`` from a Host header value (names lower-cased, brackets dropped)."""
    m = _HOST.match(header.strip())
    if not m:
        return None
    name = m.group(1).lower()
    if name.startswith("["):
        name = name[1:-1]
    port = int(m.group(2)) if m.group(2) else None
    return name, port


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


class HostCheck:
    """Decides whether a request's Host header names this server (bound to ``host``:``port``)."""

    def __init__(self, host: str, port: int):
        self.port = port
        self.wildcard = is_wildcard(host)
        names = set(LOOPBACK)
        names.add(host.strip("[]").lower())
        if self.wildcard:
            for name in (socket.gethostname(), socket.getfqdn()):
                if name:
                    names.add(name.lower())
        self.names = frozenset(names)

    def allows(self, header: str | None) -> bool:
        if not header:
            return False  # HTTP/1.1 requires Host; browsers always send it
        parsed = split_host(header)
        if parsed is None:
            return False
        name, port = parsed
        if port is not None and port != self.port:
            return False
        return name in self.names or (self.wildcard and _is_ip(name))

    def describe(self) -> str:
        shown = sorted(f"[{n}]" if ":" in n else n for n in self.names)
        return ", ".join(shown) + (" or an IP address" if self.wildcard else "")
