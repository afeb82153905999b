"""Every object under a URL root with its size and ETag, from one recursive, paginated listing.

fsspec's ``find(path, detail=True)`` gives that for any file system. s3fs's ``find`` also fills
its directory cache for every folder on the way, and checks each new folder against a list of
its parent's entries: time quadratic in the folders under one prefix, i.e. in the runs of a runs
root (6.2 s of client CPU for 10,000 runs where reading the same pages here takes 2.1 s;
``benchmarks/bench_listing.py``). For
s3fs the listing is therefore read from the ListObjectsV2 pages themselves (``call_s3``, with
the file system's own credentials, endpoint and request options), the same requests ``find``
sends; every other file system (and a version-aware s3fs) uses ``find``.
"""
from __future__ import annotations

from typing import Any


def _is_s3(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return ("s3" in protocols and callable(getattr(fs, "call_s3", None))
            and not getattr(fs, "version_aware", False))


def list_objects(fs: Any, path: str) -> dict[str, dict[str, Any]]:
    """``{name: info}`` for every object (not folder) under ``path``: ``name`` as fsspec names it
    (``bucket/key``), ``size``, ``ETag`` where the store has one. A prefix with nothing under
    it gives ``{}``; a missing bucket raises FileNotFoundError."""
    if not _is_s3(fs):
        return {k: v for k, v in fs.find(path, detail=True).items() if v.get("type") != "directory"}
    bucket, key, _ = fs.split_path(path)
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": key.rstrip("/") + "/" if key else "",
                              **getattr(fs, "req_kw", {})}
    out: dict[str, dict[str, Any]] = {}
    while True:
        page = fs.call_s3("list_objects_v2", **kwargs)
        for c in page.get("Contents", ()):
            k = c["Key"]
            if k.endswith("/"):  # a folder placeholder some tools write: not an object to read
                continue
            name = f"{bucket}/{k}"
            out[name] = {"name": name, "type": "file", "size": c.get("Size", 0), "ETag": c.get("ETag"),
                         "LastModified": c.get("LastModified")}
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return out
        kwargs["ContinuationToken"] = token
