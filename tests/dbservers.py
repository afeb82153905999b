"""Real database servers for the tests, each started on 127.0.0.1 in a temporary folder of its own:
PostgreSQL and MariaDB (Debian's ``postgresql`` and ``mariadb-server`` packages: ``.ci/run``
installs them on a machine that lacks them). As root, each server runs as its package's user
(``postgres``, ``mysql``): neither starts as root."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
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

    def __init__(self, password: str):
        self.password = password  # (the server trusts 127.0.0.1: the password is only in the URI)
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

    def url(self, db: str) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{db}"

    def create_db(self, name: str) -> None:
        self._run(pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c",
                  f'CREATE DATABASE "{name}"')

    def sql(self, db: str, statements: list[str]) -> None:
        self._run(pg_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db,
                  "-v", "ON_ERROR_STOP=1", "-c", "; ".join(statements))

    def stop(self) -> None:
        try:
            self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)


def mariadb_bin(name: str) -> str | None:
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None)


class MariaDbServer:
    """``mariadb-install-db`` + ``mariadbd`` on 127.0.0.1 (root with ``password``, over TCP);
    ``url(db)`` for SQLAlchemy and MLflow (PyMySQL); ``stop()`` ends it and removes its folder."""

    def __init__(self, password: str):
        self.password = password
        self.root = Path(tempfile.mkdtemp(prefix="reportgen-mariadb-"))
        self.port = _free_port()
        self.user = "mysql" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, self.user)
        data = self.root / "data"
        proc = subprocess.run([mariadb_bin("mariadb-install-db"), "--no-defaults", f"--datadir={data}",
                               *([f"--user={self.user}"] if self.user else []),
                               "--auth-root-authentication-method=normal", "--skip-test-db"],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode:
            raise RuntimeError(f"mariadb-install-db: {proc.stdout}{proc.stderr}")
        self.proc = subprocess.Popen(
            [mariadb_bin("mariadbd"), "--no-defaults", f"--datadir={data}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.root / 'sock'}", *([f"--user={self.user}"] if self.user else []),
             "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--innodb-flush-log-at-trx-commit=0",
             "--innodb-doublewrite=0", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_bin"],
            stdout=subprocess.DEVNULL, stderr=open(self.root / "log", "wb"))
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mariadbd did not start: {(self.root / 'log').read_text()[-2000:]}") from None
                time.sleep(0.2)
        self._execute(None, [f"ALTER USER 'root'@'localhost' IDENTIFIED BY '{password}'"], password=None)

    def _execute(self, db: str | None, statements: list[str], password: str | None = "") -> None:
        import pymysql

        conn = pymysql.connect(host="127.0.0.1", port=self.port, user="root", database=db, autocommit=True,
                               password=self.password if password == "" else password)
        try:
            for statement in statements:
                conn.cursor().execute(statement)
        finally:
            conn.close()

    def url(self, db: str) -> str:
        return f"mysql+pymysql://root:{self.password}@127.0.0.1:{self.port}/{db}"

    def create_db(self, name: str) -> None:
        self._execute(None, [f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"])

    def sql(self, db: str, statements: list[str]) -> None:
        self._execute(db, statements)

    def stop(self) -> None:
        end_server(self.proc, self.root)


def end_server(proc: subprocess.Popen, root) -> None:
    """The server ``proc`` ended (killed if it has not in 30 s), its folder ``root`` removed."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(root, ignore_errors=True)
