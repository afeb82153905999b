"""Reading a wandb ``.wandb`` transaction log: LevelDB-log framing, wandb's own protobuf records.

wandb moved its Python reader (``wandb.sdk.internal.datastore``) into the Go
``wandb-core`` binary, which has no API for it; what is left in Python is the record
format itself, ``wandb.proto.wandb_internal_pb2.Record``, which decodes every record
here. The framing is the LevelDB log format with wandb's file header:

- header: ``b":W&B"``, magic ``0xBEE1`` (little-endian u16), version ``0`` (7 bytes);
- 32 KiB blocks; each chunk: crc32 (zlib, seeded with the chunk type byte) u32,
  length u16, type u8 (1 full, 2 first, 3 middle, 4 last), then the data; fewer than
  7 bytes left in a block are zero padding.

A chunk with a bad checksum, a record larger than 64 MiB or a log cut short ends the read
with a warning (the records before it are kept); a log still being written simply ends at
its last complete record, and ``offset`` lets a later read continue from there. The log is
read in 1 MiB pieces, never whole (a sparse 20 GB log filled memory).
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Callable, Iterator

from ..storage.safety import open_regular

HEADER = b":W&B" + struct.pack("<H", 0xBEE1) + b"\x00"
BLOCK = 32768
CHUNK_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
READ = 32 * BLOCK  # bytes read at a time (whole blocks)
MAX_RECORD = 64 << 20  # a history row is KBs (media are files): a larger record is damage or hostile
_SEED = {t: zlib.crc32(bytes([t])) for t in (FULL, FIRST, MIDDLE, LAST)}


class LogError(ValueError):
    """The log is corrupt from ``offset`` on."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def _pb():
    try:
        from wandb.proto import wandb_internal_pb2
    except ImportError:
        raise ImportError("importing wandb run folders needs the 'wandb' package: pip install 'reportgen[wandb]'") \
            from None
    return wandb_internal_pb2


def iter_raw(path: Path, offset: int = 0) -> Iterator[tuple[int, bytes]]:
    """``(end offset, record bytes)`` for each complete record after ``offset`` (0: the start).

    Read in :data:`READ` pieces (a 20 GB sparse log is never loaded whole); a record is at most
    :data:`MAX_RECORD` bytes (its chunks are never gathered beyond that). Raises :class:`LogError`
    at a corrupt chunk or a record too large; stops quietly at an incomplete tail."""
    with open_regular(path) as fh:  # (a named pipe under the log's name would block for ever)
        head = fh.read(len(HEADER))
        if len(head) < len(HEADER):
            return
        if head != HEADER:
            raise LogError(f"not a wandb transaction log (header {head!r})", 0)
        pos = max(offset, len(HEADER))  # only the part after the last read is loaded
        buf, base, eof = b"", pos, False  # buf[0] is byte `base` of the file
        parts: list[bytes] = []
        gathered, first = 0, pos
        while True:
            left = BLOCK - pos % BLOCK
            if left < CHUNK_HEADER:
                pos += left  # block trailer padding
                continue
            if pos + left > base + len(buf) and not eof:  # the rest of this block is not in buf: read on
                fh.seek(pos)
                buf, base = fh.read(READ), pos
                eof = len(buf) < READ
            size = base + len(buf)
            if pos + CHUNK_HEADER > size:
                return
            crc, length, kind = struct.unpack_from("<IHB", buf, pos - base)
            if crc == 0 and length == 0 and kind == 0:  # zero padding (preallocated or torn): nothing more
                if any(buf[pos - base:pos - base + BLOCK]):
                    raise LogError(f"zero chunk header followed by data at byte {pos}", pos)
                return
            start = pos + CHUNK_HEADER
            end = start + length
            if length > left - CHUNK_HEADER or kind not in _SEED:
                raise LogError(f"bad chunk header at byte {pos}", pos)
            if end > size:
                return  # incomplete tail (still being written, or torn)
            chunk = buf[start - base:end - base]
            if zlib.crc32(chunk, _SEED[kind]) & 0xFFFFFFFF != crc:
                raise LogError(f"checksum mismatch at byte {pos}", pos)
            if kind in (FULL, FIRST):
                parts, gathered, first = [], 0, pos
            gathered += len(chunk)
            if gathered > MAX_RECORD:
                raise LogError(f"record at byte {first} is larger than {MAX_RECORD >> 20} MiB", first)
            pos = end
            if kind == FULL:
                yield pos, chunk
            elif kind == FIRST:
                parts = [chunk]
            elif kind == MIDDLE:
                parts.append(chunk)
            else:
                parts.append(chunk)
                yield pos, b"".join(parts)
                parts = []


def iter_records(path: Path, offset: int = 0, warn: Callable[[str], None] | None = None
                 ) -> Iterator[tuple[int, object]]:
    """``(end offset, wandb_internal_pb2.Record)`` for each complete record after ``offset``; a record
    whose checksum holds but that is no ``Record`` is skipped with a ``warn`` (raised without one)."""
    from google.protobuf.message import DecodeError

    pb = _pb()
    for end, raw in iter_raw(path, offset):
        rec = pb.Record()
        try:
            rec.ParseFromString(raw)
        except DecodeError as exc:
            if warn is None:
                raise
            warn(f"undecodable record ({len(raw)} bytes, ending at byte {end}: {exc}); skipped")
            continue
        yield end, rec
