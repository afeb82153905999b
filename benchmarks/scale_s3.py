"""The S3 half of bench_scale.py: the same runs on a real S3-compatible server (moto's standalone
server on 127.0.0.1, in its own process), in the segmented layout the SDK writes to a URL root."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
BATCH = 2000  # objects per fsspec call (bounded memory)
IN_FLIGHT = 32  # requests at once
PROGRESS = 10_000  # objects between progress lines

SERVER = """
import logging, sys
logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer
if {s3_only!r}:
    # every request is S3: skip moto's per-request service lookup (a listdir + stat of its ~170
    # backend folders and ~400 URL patterns, under a lock), ~1/3 of the server's CPU per request
    lookup, apps = DomainDispatcherApplication.get_application, {{}}
    def s3_app(self, environ):
        if "s3" not in apps:
            apps["s3"] = lookup(self, environ)
        return apps["s3"]
    DomainDispatcherApplication.get_application = s3_app
server = ThreadedMotoServer(ip_address="127.0.0.1", port={port}, verbose=False)
server.start()
print("ready", flush=True)
sys.stdin.read()  # until the benchmark closes it
server.stop()
"""


class Server:
    """moto's standalone server in a child process: its GIL is not the benchmark's (in the same
    process, the upload's client and the server took turns on one core)."""

    def __init__(self, s3_only: bool = True):
        sys.path.insert(0, str(HERE.parent / "tests"))
        from s3server import free_port

        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER.format(s3_only=s3_only, port=self.port)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise SystemExit("moto server did not start")
        self.env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                    # default retries: a loaded machine must not fail the run
                    "FSSPEC_S3": json.dumps({"endpoint_url": self.endpoint})}

    def cpu(self) -> float:
        """CPU seconds the server process used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def bucket(self) -> str:
        name = f"rg-bench-{self.port}"
        _fs().mkdir(name)
        return name

    def stop(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_server(s3_only: bool = True) -> Server:
    """A moto server; this process's environment points at it (children and Dask workers inherit it)."""
    server = Server(s3_only)
    os.environ.update(server.env)
    import fsspec.config

    fsspec.config.conf["s3"] = {"endpoint_url": server.endpoint}
    return server


def _fs():
    import fsspec

    fs = fsspec.filesystem("s3")
    fs.invalidate_cache()
    return fs


def upload(runs: Path, url: str, log=print) -> tuple[int, int]:
    """Copy every run folder to ``url`` in the segmented layout, as a finished run's writer with the
    SDK's defaults leaves it when it uploads in one go: its history as segments of at most
    ``x_segment_bytes`` (8 MiB: one segment for these runs), run.json/config.json/summary.json
    whole. ``IN_FLIGHT`` PUTs at once; (objects, bytes)."""
    from reportgen.storage import segments as seg

    fs = _fs()
    base = url[len("s3://"):]
    pending: dict[str, bytes] = {}
    objects = size = shown = 0
    t = time.perf_counter()

    def flush():
        nonlocal objects, size, shown
        fs.pipe(dict(pending), batch_size=IN_FLIGHT)
        objects += len(pending)
        size += sum(map(len, pending.values()))
        pending.clear()
        if objects - shown >= PROGRESS:
            shown = objects
            dt = time.perf_counter() - t
            log(f"[s3]   uploaded {objects} objects in {dt:.0f}s ({objects / dt:.0f}/s)")

    for d in sorted(runs.iterdir()):
        parts = seg.split_lines((d / "history.jsonl").read_bytes(), seg.DEFAULT_SEGMENT_BYTES)
        for n, part in enumerate(parts, 1):
            pending[f"{base}/{d.name}/history/{seg.segment_name(n, '.jsonl')}"] = part
        for name in ("config.json", "summary.json", "run.json"):  # run.json last, as the SDK
            pending[f"{base}/{d.name}/{name}"] = (d / name).read_bytes()
        if len(pending) >= BATCH:
            flush()
    flush()
    return objects, size


def listing(url: str) -> tuple[float, int]:
    """One recursive listing of the root (what every sync starts with); (seconds, objects)."""
    fs = _fs()
    t = time.perf_counter()
    n = len(fs.find(url[len("s3://"):]))
    return time.perf_counter() - t, n


def fastest_parse(url: str) -> tuple[float, int]:
    """Baseline on S3: list the history segments, read them all (one GET each, many at once, the
    mirror's reader) and decode every line with orjson; (seconds, bytes)."""
    from reportgen.storage.mirror import read_many

    fs = _fs()
    t = time.perf_counter()
    keys = sorted(k for k in fs.find(url[len("s3://"):]) if "/history/" in k)
    total = 0
    for i in range(0, len(keys), BATCH):
        for data in read_many(fs, keys[i:i + BATCH]).values():
            total += len(data)
            for line in data.splitlines():
                orjson.loads(line)
    return time.perf_counter() - t, total


def grow_run(url: str, run: str, extra_steps: int = 10) -> None:
    """A run's writer uploads one more history segment (the incremental rebuild's change on S3)."""
    fs = _fs()
    base = f"{url[len('s3://'):]}/{run}/history"
    names = sorted(k.rsplit("/", 1)[-1] for k in fs.find(base))
    last = orjson.loads(fs.cat_file(f"{base}/{names[-1]}").rstrip(b"\n").rsplit(b"\n", 1)[-1])
    keys = [k for k in last if not k.startswith("_")]
    rows = []
    for s in range(last["_step"] + 1, last["_step"] + 1 + extra_steps):
        rows.append(orjson.dumps({"_step": s, "_runtime": round(s * 0.1, 3),
                                  "_timestamp": round(last["_timestamp"] + 0.1 * (s - last["_step"]), 3),
                                  **{k: 0.5 for k in keys}}) + b"\n")
    from reportgen.storage import segments as seg

    fs.pipe_file(f"{base}/{seg.segment_name(len(names) + 1, '.jsonl')}", b"".join(rows))
