"""The TFRecord framing of TensorBoard event files, checked with a C crc32c (``google-crc32c``).

Each record is ``u64 length``, ``u32 masked crc32c(length bytes)``, ``data``,
``u32 masked crc32c(data)`` (little-endian; the mask is TensorFlow's
``((crc >> 15 | crc << 17) + 0xa282ead8) mod 2**32``). TensorBoard's own TF-free
reader computes the crc32c in pure Python, byte by byte, which is most of its time;
this reader reads the file in large blocks and checks every record with
``google_crc32c`` (a C extension, in the ``[tensorboard]`` extra).

Damage, each reported once through ``warn`` and never raised:

- a record cut short at the end of the file (still being written, or torn): the read
  stops at the last complete record, whose end is the offset to continue from (a length
  larger than :data:`MAX_RECORD`, checksum or not, ends the read of that file: a crafted
  2**60 was passed to ``read()``, a MemoryError);
- a record whose data checksum fails (its length checksum holds, so the framing is
  intact): that record is skipped and the read goes on with the next one;
- a length whose checksum fails (the framing is lost): the reader looks for the next
  position where a whole record checks out and goes on from there, or, when there is
  none, skips the rest of the file (the rest is read into memory for that search).
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Callable, Iterator

from ..storage.safety import open_regular

BLOCK = 1 << 22  # 4 MiB reads
MAX_RECORD = 1 << 30  # no event is larger (protobuf caps messages at 2 GiB; an image summary is MBs)
HEADER = 12  # u64 length + u32 crc
_HEAD = struct.Struct("<QI")
_U32 = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8


def _crc32c() -> Callable[[bytes], int]:
    try:
        import google_crc32c
    except ImportError:
        raise ImportError("reading TensorBoard event files needs the 'google-crc32c' package: "
                          "pip install 'reportgen[tensorboard]'") from None
    return google_crc32c.value


def masked_crc32c(data: bytes) -> int:
    """TensorFlow's masked crc32c of ``data`` (what event files store)."""
    crc = _crc32c()(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """``data`` as one TFRecord (header, data, checksum): what TensorBoard's writers append."""
    head = struct.pack("<Q", len(data))
    return head + _U32.pack(masked_crc32c(head)) + data + _U32.pack(masked_crc32c(data))


def read_records(path: Path, offset: int, warn: Callable[[str], None], label: str,
                 live: bool = False) -> Iterator[tuple[int, bytes]]:
    """``(end offset, record data)`` for each complete, checked record of ``path`` after ``offset``.

    ``live``: the file is being followed, so a record cut short at its end is one still
    being written, not a problem (no warning; the next read continues from it)."""
    crc = _crc32c()
    head_unpack, u32_unpack = _HEAD.unpack_from, _U32.unpack_from
    with open_regular(path) as fh:  # (a named pipe under an event file's name would block for ever)
        fh.seek(offset)
        buf = fh.read(BLOCK)
        base, pos, eof = offset, 0, len(buf) < BLOCK  # buf[0] is byte `base` of the file
        while True:
            n = len(buf)
            if n - pos >= HEADER:
                length, length_crc = head_unpack(buf, pos)
                c = crc(buf[pos:pos + 8])
                if (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF != length_crc:
                    if not eof:  # rare: look for the next good record in the rest of the file
                        buf, base, pos, eof = buf[pos:] + fh.read(), base + pos, 0, True
                        continue
                    pos = _resync(buf, pos, base, crc, warn, label)
                    if pos is None:
                        return
                    continue
                start = pos + HEADER
                end = start + length
                if length > MAX_RECORD:  # checksummed, yet no event is this large: crafted or damaged
                    warn(f"{label}: record at byte {base + pos} claims {length} bytes (more than "
                         f"{MAX_RECORD >> 20} MiB); the rest of this file is skipped")
                    return
                if end + 4 <= n:
                    data = buf[start:end]
                    c = crc(data)
                    pos = end + 4
                    if (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF != u32_unpack(buf, end)[0]:
                        warn(f"{label}: corrupt record at byte {base + start - HEADER} "
                             "(data checksum mismatch); skipped")
                        continue
                    yield base + pos, data
                    continue
                need = end + 4 - pos
            else:
                need = HEADER
            if eof:
                if n > pos and not live:
                    warn(f"{label}: incomplete last record ({n - pos} bytes) not read yet")
                return
            want = max(BLOCK, need - (n - pos))  # keep the unread tail, read at least the record in hand
            want = max(BLOCK, min(want, os.fstat(fh.fileno()).st_size - fh.tell()))  # (never beyond the file)
            more = fh.read(want)
            buf, base, pos, eof = buf[pos:] + more, base + pos, 0, len(more) < want


def _length_ok(buf: bytes, pos: int, crc) -> bool:
    c = crc(buf[pos:pos + 8])
    return (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF == _U32.unpack_from(buf, pos + 8)[0]


def _record_ok(buf: bytes, pos: int, crc) -> bool:
    if len(buf) - pos < HEADER + 4 or not _length_ok(buf, pos, crc):
        return False
    end = pos + HEADER + _HEAD.unpack_from(buf, pos)[0]
    if end + 4 > len(buf):
        return False
    c = crc(buf[pos + HEADER:end])
    return (((c >> 15) | (c << 17)) + _MASK_DELTA) & 0xFFFFFFFF == _U32.unpack_from(buf, end)[0]


def _resync(buf: bytes, pos: int, base: int, crc, warn, label: str) -> int | None:
    """The next position after a broken length at ``pos`` where a whole record checks out (None: none)."""
    for p in range(pos + 1, len(buf) - HEADER - 3):
        if _record_ok(buf, p, crc):
            warn(f"{label}: corrupt record at byte {base + pos} (length checksum mismatch); "
                 f"{p - pos} bytes skipped")
            return p
    warn(f"{label}: corrupt record at byte {base + pos} (length checksum mismatch); "
         "the rest of this file is skipped")
    return None
