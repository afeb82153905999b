"""Run ``python -m reportgen serve`` as a real subprocess for the serve tests and the benchmark."""
from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    """``GET path`` from the server on 127.0.0.1:``port``: the response, its body still to read."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    return conn.getresponse()


class ServeProcess:
    def __init__(self, *args: str, timeout: float = 90, env: dict | None = None, cwd: Path | None = None,
                 ignore_signals: tuple[int, ...] = ()):
        """``ignore_signals``: set to SIG_IGN before exec, as for a process started in the background."""
        env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               **(env or {})}
        self._err = tempfile.TemporaryFile(mode="w+")

        def ignore() -> None:
            for sig in ignore_signals:
                signal.signal(sig, signal.SIG_IGN)

        self.proc = subprocess.Popen([sys.executable, "-m", "reportgen", "serve", *args], env=env,
                                     stdout=subprocess.PIPE, stderr=self._err, text=True, cwd=cwd,
                                     preexec_fn=ignore if ignore_signals else None)
        self.lines: list[str] = []
        self.url = self._wait_url(timeout)
        m = re.match(r"http://(\[[^\]]+\]|[^:/]+):(\d+)/", self.url)
        self.host, self.port = m.group(1).strip("[]"), int(m.group(2))

    def _wait_url(self, timeout: float) -> str:
        found: dict[str, str] = {}

        def read() -> None:
            for line in self.proc.stdout:
                self.lines.append(line)
                m = re.search(r"http://\S+/", line)
                if m and "url" not in found:
                    found["url"] = m.group(0)

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while "url" not in found:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"reportgen serve did not start (exit {self.proc.poll()}):\n{self.stderr()}")
            time.sleep(0.05)
        return found["url"]

    def stderr(self) -> str:
        self._err.flush()
        self._err.seek(0)
        return self._err.read()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"reportgen serve did not stop on signal {sig}:\n{self.stderr()}") from None
        return self.proc.returncode

    def __enter__(self) -> "ServeProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
