"""A real PostgreSQL server for the tests, started on 127.0.0.1 in a temporary folder (Debian's
``postgresql`` package: ``.ci/run`` installs it on a machine that lacks it). As root, the
server runs as the ``postgres`` user (``initdb`` refuses root)."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """``initdb`` + ``pg_ctl start`` in a temporary folder of its own (directly in the temp folder: the
    ``postgres`` user cannot reach pytest's, which is root's alone); ``url(db)`` for SQLAlchemy and
    MLflow; ``stop()`` ends the server and removes the folder."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="reportgen-pg-"))
        self.data, self.sock = self.root / "data", self.root / "sock"
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self.user = "postgres"
        for d in (self.root, self.sock):
            d.mkdir(parents=True, exist_ok=True)
            if self.user:
                shutil.chown(d, self.user)
        self._run(pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def _run(self, *cmd: str) -> None:
        argv = ["runuser", "-u", self.user, "--", *cmd] if self.user else list(cmd)
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(argv)}: {proc.stdout}{proc.stderr}")

    def url(self, db: str = "postgres", password: str | None = None) -> str:
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{db}"

    def create_db(self, name: str) -> None:
        self._run(pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
                  f'CREATE DATABASE "{name}"')

    def sql(self, db: str, statement: str) -> None:
        self._run(pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
                  "-v", "ON_ERROR_STOP=1", "-c", statement)

    def stop(self) -> None:
        try:
            self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)
