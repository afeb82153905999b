"""A CSV file's bytes cut into blocks of whole rows, in memory bounded whatever its lines
(``reportgen import csv``: :mod:`.csvparts` parses each block with pandas).

A row ends at a line break outside quotes (a quoted cell may hold line breaks; ``""`` is a quote
within one). Blocks are read :data:`READ` bytes at a time and cut after the last row that ends in
them once they hold the rows asked for (or :data:`BLOCK_MAX` bytes), so a part of rows is what is
held, never the file.

A row longer than :data:`ROW_MAX` (one giant line, a quoted cell of a whole file: pandas held it
whole, and a 2 GB line filled memory) is not held: it is read cell by cell as it streams by, a cell
longer than :data:`CELL_MAX` is left out (its size is told), and so are the cells past
:data:`ROW_MAX` in all; the row's other cells are kept.
"""
from __future__ import annotations

import re
from typing import BinaryIO, Iterator, NamedTuple

READ = 256 << 10  # bytes read at a time
BLOCK_MAX = 32 << 20  # bytes of rows in one block at the most (however few rows they are)
ROW_MAX = 16 << 20  # a row longer than this is read cell by cell (:class:`BigRow`)
CELL_MAX = 1 << 20  # a cell longer than this is left out (its row's other cells are kept)

_QUOTE, _COMMA, _NL = ord('"'), b",", b"\n"
#: a quoted cell's bytes up to its closing quote (or the end): no quote but in pairs. A quoted cell is
#: read a window (:data:`READ` bytes) at a time, its quotes counted, and only the window of its closing
#: quote (a quote alone) is matched with this (a 50 MB cell of ""s was a Python step per pair: ~6 s)
_QUOTED = re.compile(rb'[^"]*(?:""[^"]*)*')


class BigRow(NamedTuple):
    """A row longer than :data:`ROW_MAX`: its cells (None: left out, too long), ``(index, bytes)`` of
    each cell left out, and the line breaks of the file it spans (its end's too)."""
    cells: list[bytes | None]
    refused: list[tuple[int, int]]
    lines: int = 0

    def csv(self) -> bytes:
        """The row as a line of CSV, its cells quoted (pandas still reads their types), the ones left out
        empty (``""``: a row of one cell left out was a blank line, which pandas skips: the row was lost)."""
        return b",".join(b'"' + (c or b"").replace(b'"', b'""') + b'"' for c in self.cells) + b"\n"


class CarriageReturns:
    """A file whose lines end in a carriage return alone (classic Mac OS, which pandas reads too), read
    as if they ended in line feeds: byte for byte, so offsets are the file's (a carriage return within
    a quoted cell of such a file is its line break too)."""

    def __init__(self, fh: BinaryIO):
        self._fh = fh

    def read(self, n: int = -1) -> bytes:
        return self._fh.read(n).replace(b"\r", b"\n")

    def seek(self, *args) -> int:
        return self._fh.seek(*args)

    def tell(self) -> int:
        return self._fh.tell()


def line_ends(fh: BinaryIO) -> BinaryIO:
    """``fh``, or :class:`CarriageReturns` of it when its first :data:`READ` bytes hold carriage returns
    and no line feed."""
    at = fh.tell()
    head = fh.read(READ)
    fh.seek(at)
    return CarriageReturns(fh) if b"\r" in head and b"\n" not in head else fh


class Blocks:
    """The rows of the file ``fh`` (read from where it is), a block at a time: :meth:`header` (the first
    row's bytes), then :meth:`blocks`."""

    def __init__(self, fh: BinaryIO):
        self._fh = fh
        self._buf = bytearray()
        self._odd = False  # the buffer ends inside quotes
        self._end = 0  # bytes of the buffer up to the last row end found in it
        self._lines = 0  # line breaks in the buffer (about its rows)

    def _read(self) -> bool:
        """More bytes into the buffer (False: the file ended)."""
        chunk = self._fh.read(READ)
        if not chunk:
            return False
        self._append(chunk)
        return True

    def _append(self, chunk: bytes) -> None:
        """``chunk`` after the buffer, the row ends in it found."""
        buf = self._buf
        start = len(buf)
        buf += chunk
        self._lines += chunk.count(_NL)
        if chunk.count(_QUOTE) == 0:  # (most files: a row ends at every line break)
            if not self._odd:
                last = buf.rfind(_NL, start)
                if last >= 0:
                    self._end = last + 1
            return
        pos = start
        while (nl := buf.find(_NL, pos)) >= 0:
            self._odd ^= bool(buf.count(_QUOTE, pos, nl) & 1)
            if not self._odd:
                self._end = nl + 1
            pos = nl + 1
        self._odd ^= bool(buf.count(_QUOTE, pos) & 1)

    def _take(self, n: int) -> bytes:
        """The first ``n`` bytes of the buffer, up to its last row end (or all of it)."""
        out = bytes(memoryview(self._buf)[:n])
        del self._buf[:n]
        self._end, self._lines = 0, self._buf.count(_NL)  # (inside quotes or not, as before: no row end left)
        return out

    def _restart(self, data: bytes) -> None:
        """The buffer holds ``data``, from a row's start."""
        self._buf, self._odd, self._end, self._lines = bytearray(), False, 0, 0
        if data:
            self._append(data)

    def header(self) -> bytes:
        """The first row (ValueError when it is longer than :data:`ROW_MAX`)."""
        while not self._end and len(self._buf) <= ROW_MAX and self._read():
            pass
        if not self._end and len(self._buf) > ROW_MAX:
            raise ValueError(f"its header row is longer than {ROW_MAX >> 20} MiB")
        odd, pos, end = False, 0, len(self._buf)
        while (nl := self._buf.find(_NL, pos)) >= 0:
            odd ^= bool(self._buf.count(_QUOTE, pos, nl) & 1)
            if not odd:
                end = nl + 1
                break
            pos = nl + 1
        out, rest = bytes(self._buf[:end]), bytes(self._buf[end:])
        self._restart(rest)  # (its row ends found again)
        return out

    def blocks(self, rows: int, fields: int) -> Iterator[bytes | BigRow]:
        """Whole rows, about ``rows`` at a time (a block's bytes), and each row longer than :data:`ROW_MAX`
        alone (a :class:`BigRow`; ValueError when it has more than ``fields`` cells)."""
        while True:
            if self._end and (self._lines >= rows or self._end >= BLOCK_MAX):
                yield self._take(self._end)
            if len(self._buf) - self._end > ROW_MAX:  # (a row this long starts at the last row end)
                if self._end:
                    yield self._take(self._end)
                row, rest = _big_row(bytes(self._buf), self._fh, fields)
                yield row
                self._restart(rest)
                continue
            if not self._read():
                if self._buf.strip():
                    yield self._take(len(self._buf))  # (the last row, without its line break)
                return


def _big_row(data: bytes, fh: BinaryIO, fields: int) -> tuple[BigRow, bytes]:
    """The row at the start of ``data`` (then of ``fh``), read cell by cell, and the bytes after it;
    ValueError past ``fields`` cells (a row of 16M commas made a list of 16M cells)."""
    cells: list[bytes | None] = []
    refused: list[tuple[int, int]] = []
    cell, size, kept, last, lines = bytearray(), 0, 0, b"", 0
    quoted, pos = False, 0

    def add(piece: bytes, pairs: int = 0) -> None:
        """``piece`` of the cell, each of its ``""`` (``pairs`` of them, in quotes) one quote."""
        nonlocal size, last, lines
        size += len(piece) - pairs
        lines += piece.count(_NL)
        if piece:
            last = piece[-1:]
        # (a piece of a cell left out is not copied; one byte over the limits is, as a carriage return
        # the row's end takes off in close() may be the cell's last: a cell at the limit lost its end)
        if size <= CELL_MAX + 1 and kept + size <= ROW_MAX + 1:
            cell.extend(piece.replace(b'""', b'"') if pairs else piece)

    def close(row_end: bool = False) -> None:
        nonlocal cell, size, kept, last
        if row_end and last == b"\r":  # (a CRLF row end)
            size -= 1
            del cell[size:]
        if size > CELL_MAX or kept + size > ROW_MAX:
            cells.append(None)
            refused.append((len(cells) - 1, size))
        else:
            cells.append(bytes(cell))
            kept += size
        cell, size, last = bytearray(), 0, b""
        if len(cells) > fields:
            raise ValueError(f"a row of more than {fields} cells (its header's)")

    start = True  # at a cell's first byte
    while True:
        if pos >= len(data) or (quoted and pos == len(data) - 1 and data[pos] == _QUOTE):
            more = fh.read(READ)
            if not more:
                close(row_end=True)
                return BigRow(cells, refused, lines), b""
            data, pos = data[pos:] + more, 0
            continue
        if start:
            start = False
            if data[pos] == _QUOTE:
                quoted, pos = True, pos + 1
                continue
        if quoted:  # (up to its closing quote, or a window's end, each "" one quote)
            end = min(len(data), pos + READ)
            piece = data[pos:end]
            pairs = piece.count(b'""')
            if piece.count(_QUOTE) > 2 * pairs:  # (a quote alone: its closing one is in the window)
                end = _QUOTED.match(data, pos, end).end()
                piece = data[pos:end]
                pairs = piece.count(_QUOTE) // 2
            add(piece, pairs)
            if end + 1 < len(data) and data[end] == _QUOTE and data[end + 1] != _QUOTE:
                quoted, end = False, end + 1  # (its closing quote; at the data's last byte it may be half a "")
            pos = end
            continue
        comma, nl = data.find(_COMMA, pos), data.find(_NL, pos)
        if comma < 0 and nl < 0:
            add(data[pos:])
            pos = len(data)
            continue
        if nl < 0 or 0 <= comma < nl:
            add(data[pos:comma])
            close()
            pos, start = comma + 1, True
            continue
        add(data[pos:nl])
        close(row_end=True)
        return BigRow(cells, refused, lines + 1), data[nl + 1:]
