"""A CSV file's bytes cut into blocks of whole rows, in memory bounded whatever its lines
(``reportgen import csv``: :mod:`.csvparts` parses each block with pandas).

A row ends at a line break outside quotes (a quoted cell may hold line breaks; ``""`` is a quote
within one). A quote opens a quoted cell only at a cell's start; one within a cell (``12" pipe``, or
after a quoted part: ``"a"b``) is a character of it, as pandas and the csv module read it. Blocks are
read :data:`READ` bytes at a time and cut after the last row that ends in them once they hold the rows
asked for (or :data:`BLOCK_MAX` bytes), so a part of rows is what is held, never the file.

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
#: a quoted cell's bytes up to its closing quote (or the end): no quote but in pairs. In a row read cell
#: by cell a quoted cell is read a window (:data:`READ` bytes) at a time, its quotes counted, and only the
#: window of its closing quote (a quote alone) is matched with this (a 50 MB cell of ""s was a Python step
#: per pair: ~6 s)
_QUOTED = re.compile(rb'[^"]*(?:""[^"]*)*')
#: a row up to its line end, as pandas reads it: a quote opens a quoted cell only at a cell's start (after
#: a comma or a line end; a carriage return alone ends a row for pandas), which ends at a quote alone
#: followed by a byte (so not half a ""); any other quote is a character. It stops at the line end, the
#: buffer's end, or the opening quote of a cell that does not end in the buffer.
_LINE = rb'[^"\n]*(?:(?:(?<![^,\r\n])"[^"]*(?:""[^"]*)*"(?=[^"])|(?<=[^,\r\n])")[^"\n]*)*'
_ROWS = re.compile(rb"(?:%s\n)*" % _LINE)  # (whole rows)
_TAIL = re.compile(_LINE)


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
        self._restart(b"")

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
        at = len(buf)
        buf += chunk
        self._lines += chunk.count(_NL)
        if not self._quoted and chunk.count(_QUOTE) == 0:  # (most files: a row ends at every line break)
            last, self._pos = buf.rfind(_NL, at) + 1, len(buf)
        else:
            last, self._pos, self._quoted = _scan(buf, self._pos, self._quoted)
        if last:
            self._end = last

    def _take(self, n: int) -> bytes:
        """The first ``n`` bytes of the buffer, up to its last row end (or all of it)."""
        out = bytes(memoryview(self._buf)[:n])
        del self._buf[:n]
        self._end, self._pos, self._lines = 0, self._pos - n, self._buf.count(_NL)
        return out

    def _restart(self, data: bytes) -> None:
        """The buffer holds ``data``, from a row's start."""
        self._buf, self._end, self._lines = bytearray(), 0, 0
        self._pos, self._quoted = 0, False  # (the bytes scanned for row ends, and whether they end in a quoted cell)
        if data:
            self._append(data)

    def header(self) -> bytes:
        """The first row (ValueError when it is longer than :data:`ROW_MAX`)."""
        while not self._end and len(self._buf) <= ROW_MAX and self._read():
            pass
        if not self._end and len(self._buf) > ROW_MAX:
            raise ValueError(f"its header row is longer than {ROW_MAX >> 20} MiB")
        end = _scan(self._buf, 0, False, first=True)[0] or len(self._buf)
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


def _scan(buf, pos: int, quoted: bool, first: bool = False) -> tuple[int, int, bool]:
    """The row ends in ``buf`` from ``pos`` (``quoted``: inside a quoted cell there): the end of the last
    row found there (``first``: of the first one; 0: none), where the scan stopped (the end, or the last
    quote of a quoted cell, which may be half a ""), and whether it stopped inside a quoted cell. Whole
    rows are crossed by a regular expression, so a step is made for each quoted cell left open at a
    window's end (a long row is not read again at each window), not for each row or cell."""
    last, n = 0, len(buf)
    while True:
        if quoted:  # (up to its closing quote: a quote alone)
            end = _QUOTED.match(buf, pos).end()
            if end >= n - 1:  # (it goes on, or its last quote may be half a "")
                return last, end, True
            pos = end + 1
        if not first and (rows := _ROWS.match(buf, pos).end()) > pos:
            last = pos = rows
        end = _TAIL.match(buf, pos).end()
        if end == n:
            return last, n, False
        if buf[end] == _QUOTE:  # (a quoted cell that does not end in the buffer)
            quoted, pos = True, end + 1
        else:  # (first: the first row's line end)
            return end + 1, end + 1, False


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
