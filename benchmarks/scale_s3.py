"""The S3 half of bench_scale.py: the same runs on a real S3-compatible server (moto's standalone
server on 127.0.0.1, tests/s3server.py), in the segmented layout the SDK writes to a URL root."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
SEGMENT = 128 * 1024  # history cut into segments of at most this many bytes (the SDK cuts by time/size)
BATCH = 2000  # objects per concurrent fsspec call


def start_server():
    """A moto server; this process's environment points at it (children and Dask workers inherit it)."""
    import sys

    sys.path.insert(0, str(HERE.parent / "tests"))
    from s3server import S3Server

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = S3Server().start()
    conf = {"endpoint_url": server.endpoint}  # default retries: a loaded machine must not fail the run
    server.env["FSSPEC_S3"] = json.dumps(conf)
    os.environ.update(server.env)
    import fsspec.config

    fsspec.config.conf["s3"] = dict(conf)
    return server


def _fs():
    import fsspec

    fs = fsspec.filesystem("s3")
    fs.invalidate_cache()
    return fs


def upload(runs: Path, url: str) -> tuple[int, int]:
    """Copy every run folder to ``url`` in the segmented layout; (objects, bytes)."""
    from reportgen.storage import segments as seg

    fs = _fs()
    base = url[len("s3://"):]
    pending: dict[str, bytes] = {}
    objects = size = 0

    def flush():
        fs.pipe(dict(pending))
        pending.clear()

    for d in sorted(runs.iterdir()):
        for name in ("run.json", "config.json", "summary.json"):
            pending[f"{base}/{d.name}/{name}"] = (d / name).read_bytes()
        parts = seg.split_lines((d / "history.jsonl").read_bytes(), SEGMENT)
        for n, part in enumerate(parts, 1):
            pending[f"{base}/{d.name}/history/{seg.segment_name(n, '.jsonl')}"] = part
        if len(pending) >= BATCH:
            objects += len(pending)
            size += sum(map(len, pending.values()))
            flush()
    objects += len(pending)
    size += sum(map(len, pending.values()))
    flush()
    return objects, size


def fastest_parse(url: str) -> tuple[float, int]:
    """Baseline on S3: list the history segments, read them all (concurrently) and decode every
    line with orjson; (seconds, bytes)."""
    fs = _fs()
    t = time.perf_counter()
    keys = sorted(k for k in fs.find(url[len("s3://"):]) if "/history/" in k)
    total = 0
    for i in range(0, len(keys), BATCH):
        for data in fs.cat(keys[i:i + BATCH]).values():
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
