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
  position where a whole record checks out, within the next 32 MiB and with a bounded
  effort (:func:`_resync`), and goes on from there, or, when there is none, skips the
  rest of the file.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Callable, Iterator

from ..storage.safety import open_regular

BLOCK = 1 << 22  # 4 MiB reads
RESYNC_WINDOW = 32 << 20  # after a broken length, a good record is looked for this far
RESYNC_CHECKS = 1 << 20  # candidate positions checked at most
RESYNC_BYTES = 256 << 20  # record data checksummed at most while looking
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
                    if not eof:  # rare: look for the next good record in the next RESYNC_WINDOW bytes
                        more = fh.read(RESYNC_WINDOW)
                        buf, base, pos, eof = buf[pos:] + more, base + pos, 0, len(more) < RESYNC_WINDOW
                    pos = _resync(buf, pos, base, crc, warn, label, eof)
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


def _resync(buf: bytes, pos: int, base: int, crc, warn, label: str, eof: bool) -> int | None:
    """The next position after a broken length at ``pos`` where a whole record checks out in ``buf``
    (None: none; ``eof``: ``buf`` holds the rest of the file, else the next :data:`RESYNC_WINDOW` bytes).

    Bounded: positions are first filtered with numpy (a length below 4 GiB that fits in ``buf``, a
    non-zero length checksum: a zero-filled or random tail has no candidate at all), then at most
    :data:`RESYNC_CHECKS` candidates and :data:`RESYNC_BYTES` bytes of data are checksummed. A byte-by-byte
    search of a 4 MiB tail took 5 s and the rest of the file was read whole (a sparse 20 GB tail)."""
    import numpy as np

    last = len(buf) - HEADER - 4  # a candidate needs a header and a data checksum after it
    if last > pos + 1:
        a = np.frombuffer(buf, dtype=np.uint8)
        z = a == 0
        lo, hi = pos + 1, last + 1  # candidates p in [lo, hi)
        ok = z[lo + 4:hi + 4] & z[lo + 5:hi + 5] & z[lo + 6:hi + 6] & z[lo + 7:hi + 7]
        ok &= ~(z[lo + 8:hi + 8] & z[lo + 9:hi + 9] & z[lo + 10:hi + 10] & z[lo + 11:hi + 11])
        cand = np.flatnonzero(ok) + lo
        if len(cand):
            length = (a[cand].astype(np.int64) | a[cand + 1].astype(np.int64) << 8
                      | a[cand + 2].astype(np.int64) << 16 | a[cand + 3].astype(np.int64) << 24)
            cand = cand[cand + HEADER + length + 4 <= len(buf)]
        checks = hashed = 0
        for p in cand.tolist():
            checks += 1
            if checks > RESYNC_CHECKS or hashed > RESYNC_BYTES:
                break
            if _length_ok(buf, p, crc):
                hashed += _HEAD.unpack_from(buf, p)[0]
                if _record_ok(buf, p, crc):
                    warn(f"{label}: corrupt record at byte {base + pos} (length checksum mismatch); "
                         f"{p - pos} bytes skipped")
                    return p
    where = "the rest of this file" if eof else f"no whole record in the next {RESYNC_WINDOW >> 20} MiB; the rest of this file"
    warn(f"{label}: corrupt record at byte {base + pos} (length checksum mismatch); {where} is skipped")
    return None
