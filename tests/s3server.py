"""A real S3-compatible server (moto's standalone server) on 127.0.0.1 for the storage tests.

``S3Server`` starts ``moto.server.ThreadedMotoServer`` on a free port, creates a bucket and
points this process and its subprocesses at it through the environment (fake credentials,
``FSSPEC_S3_ENDPOINT_URL``); nothing leaves the machine. ``stop()``/``start()`` simulate an
outage (the objects survive: moto keeps them in this process). ``requests`` lists every request
the server answered (method, path, query), for tests of how many calls a reader makes.
"""
from __future__ import annotations

import json
import socket
import uuid


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class S3Server:
    def __init__(self):
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._cls = ThreadedMotoServer
        # fail fast when the server is down (the outage test), as a user would configure fsspec
        self.conf = {"endpoint_url": self.endpoint,
                     "config_kwargs": {"connect_timeout": 2, "retries": {"max_attempts": 1}}}
        self.server = None
        self.requests: list[tuple[str, str, str]] = []  # (method, path, query) of every request served
        self.env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                    "FSSPEC_S3": json.dumps(self.conf)}

    def start(self) -> "S3Server":
        self.server = self._cls(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        app = self.server._server.app  # the server's WSGI app: every request it serves is logged

        def logged(environ, start_response):
            self.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                                  environ.get("QUERY_STRING", "")))
            return app(environ, start_response)

        self.server._server.app = logged
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def bucket(self) -> str:
        import boto3

        name = f"rg-{uuid.uuid4().hex[:12]}"
        boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=name)
        return name

    def apply_env(self, monkeypatch) -> None:
        for k, v in self.env.items():
            monkeypatch.setenv(k, v)
        import fsspec.config

        monkeypatch.setitem(fsspec.config.conf, "s3", dict(self.conf))
