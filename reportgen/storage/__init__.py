"""The run-folder format (version 1): the only place that knows file names and encodings.

The SDK writes through :mod:`reportgen.storage.writer`; the builder, the API and
``serve`` read through :mod:`reportgen.storage.reader`. See ``docs/format.md``.
"""
from .format import FORMAT_VERSION, RunPaths, new_run_id, validate_run_id
from .jsonio import decode_line, encode_line, read_json, write_json_atomic

__all__ = [
    "FORMAT_VERSION",
    "RunPaths",
    "new_run_id",
    "validate_run_id",
    "decode_line",
    "encode_line",
    "read_json",
    "write_json_atomic",
]
