"""An xlsx worksheet checked before calamine reads it: the range it declares, the cells it places, the
rectangle they span and the shared text they copy.

A worksheet in the usual form is checked with a few regular expressions; any other spelling is
walked element by element (``xlsxwalks``).
"""

from __future__ import annotations

import array
import collections
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from rollout.sheets.limits import DAMAGED_HINT, LIMITS_HINT, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, SpreadsheetError
from rollout.sheets.xlsxwalks import REF, SheetCells, column_number
from rollout.sheets.xmlwalk import CHUNK, TAG_REST, attributes, shown, whole_number

MAX_GAP = 8 << 20  # bytes of a worksheet without a cell: a cell holds at most 32,767 characters


# A worksheet in the usual form: every cell starts <c r="A1" (ref in capitals), no other attribute
# named r anywhere, no cell element with a namespace prefix. Calamine takes a cell's position from
# its r attribute, spelt any way XML allows, and places a cell without one after the previous one;
# any of that sends the sheet to the element walk. Each pattern starts with a literal, so that the
# regex engine skips ahead fast.
_ODD_CELL = re.compile(rb'<c(?! r="[A-Z]{1,3}[0-9]{1,7}")[\s/>]')
_FAR_CELL = re.compile(rb'<c(?! r="[A-Z][1-9][0-9]{0,4}")[\s/>]')  # past column Z or row 99,999
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
# an attribute named r after a space or a quote (as calamine splits attributes), but not a cell's or row's first
_ODD_R = re.compile(rb"""r(?<=[\s"']r)(?<!<c r)(?<!<row r)\s*=\s*["']""")
_SHARED_TYPE = re.compile(rb"""t(?<=[\s"']t)\s*=\s*(["'])s\1""")
_SHARED_CELL = re.compile(rb' t="s"><v>([0-9]{1,18})</v></c>')
_DIMENSION = re.compile(rb"dimension(?<=[<:]dimension)[\s/>]")


@dataclass
class Part:
    """A worksheet member calamine may read, and the sheet name it goes by (its path when unnamed)."""

    info: zipfile.ZipInfo
    sheet: str


def check_worksheet(archive: zipfile.ZipFile, part: Part, lengths: array.array, room: int, file: str) -> int:
    """Check one worksheet's cells before calamine reads them; the bytes of shared text they copy, at most."""
    scan = _scan_worksheet(archive, part, file, _Scan())
    exact, shared = scan.bounded and not scan.fits(), scan.cells * max(lengths, default=0) > room
    if scan.usual and (exact or shared):  # a closer look: the rows of every piece, the string of every cell
        scan = _scan_worksheet(archive, part, file, _Scan(exact=exact, shared=shared))
    if scan.usual and scan.fits():
        return scan.text(lengths)
    walk = SheetCells(file, part.sheet, lengths)
    walk.run(archive, part.info)
    return walk.finish()


@dataclass
class _Scan:
    """What the regular expressions found in a worksheet: whether it is in the usual form, and its cells."""

    exact: bool = False  # read the rows of every piece, rather than bound them when all cells are near A1
    shared: bool = False  # count the uses of each shared string, rather than bound them by the longest
    usual: bool = True
    bounded: bool = False  # rows of a piece counted as 99,999
    cells: int = 0
    rows: int = 0
    columns: int = 0
    uses: collections.Counter = field(default_factory=collections.Counter)  # of each shared string

    def fits(self) -> bool:
        rectangle = self.rows * self.columns
        return self.rows <= MAX_ROWS and self.columns <= MAX_COLUMNS and max(rectangle, self.cells) <= MAX_CELLS

    def text(self, lengths: array.array) -> int:
        if not self.shared:
            return self.cells * max(lengths, default=0)
        return sum(lengths[i] * n for i, n in self.uses.items() if i < len(lengths))


def _scan_worksheet(archive: zipfile.ZipFile, part: Part, file: str, scan: _Scan) -> _Scan:
    with archive.open(part.info) as stream:
        for index, (buffer, end) in enumerate(_pieces(stream, part, file)):
            if index == 0:
                _check_dimensions(buffer, end, part, file)
            _scan_piece(scan, buffer, end, part, file)
    return scan


def _pieces(stream: IO[bytes], part: Part, file: str) -> Iterator[tuple[bytes, int]]:
    """A member in pieces (bytes, where each ends), each cut before "<c", which no pattern holds past its start."""
    tail = b""
    while chunk := stream.read(CHUNK):
        buffer = tail + chunk
        cut = max(buffer.rfind(b"<c", 1), 0) or buffer.rfind(b"<", 1)
        if cut > 0:
            yield buffer, cut
            tail = buffer[cut:]
        elif len(buffer) > MAX_GAP:
            raise SpreadsheetError(
                f"holds more than {MAX_GAP // 2**20} MB without a cell; it was not opened",
                file=file,
                sheet=part.sheet,
                hint=DAMAGED_HINT,
            )
        else:
            tail = buffer
    yield tail, len(tail)


def _scan_piece(scan: _Scan, buffer: bytes, end: int, part: Part, file: str) -> None:
    far = _FAR_CELL.search(buffer, 0, end) if scan.usual else None
    scan.usual = scan.usual and not _unusual(buffer, end, far)
    if scan.usual:
        _count_cells(scan, buffer, end, scan.exact or bool(far))
    if scan.usual and scan.shared:
        values = _SHARED_CELL.findall(buffer, 0, end)
        scan.usual = len(values) == len(_SHARED_TYPE.findall(buffer, 0, end))
        scan.uses.update(map(int, values))


def _unusual(buffer: bytes, end: int, far: re.Match | None) -> bool:
    """Whether a piece holds a cell, or an r attribute, in another form than the usual one."""
    return bool(
        _PREFIXED_CELL.search(buffer, 0, end)
        or _ODD_R.search(buffer, 0, end)
        or (far and _ODD_CELL.search(buffer, far.start(), end))
    )


def _count_cells(scan: _Scan, buffer: bytes, end: int, exact: bool) -> None:
    """Cells of a piece in the usual form, and the rectangle they span (bounded when all are near A1)."""
    cells = buffer.count(b'<c r="', 0, end)
    scan.cells += cells
    if exact:
        refs = _CELL_REF.findall(buffer, 0, end)
        scan.columns = max([scan.columns, *(column_number(c) for c in {c for c, _ in refs})])
        scan.rows = max([scan.rows, *map(int, {r for _, r in refs})])
    elif cells:
        scan.columns, scan.rows, scan.bounded = max(scan.columns, 26), max(scan.rows, 99_999), True


def _check_dimensions(buffer: bytes, end: int, part: Part, file: str) -> None:
    """The used range a worksheet declares before its cells, its ref attribute spelt any way.

    Calamine only reserves room for it (100,000 cells at most), but a range past the limits is
    a clear sign, and a clear message, early.
    """
    header = buffer.find(b"sheetData", 0, end)
    position = 0
    while match := _DIMENSION.search(buffer, position, header if header >= 0 else end):
        rest = TAG_REST.match(buffer, match.end() - 1, min(end, match.end() + 4096))  # a real one: 30 bytes
        position = rest.end() if rest else match.end()
        for key, value in attributes(rest.group(0) if rest else b"").items():
            if key == b"ref" or key.endswith(b":ref"):
                _check_declared(value.decode("latin-1"), part, file)


def _check_declared(span: str, part: Part, file: str) -> None:
    corners = [REF.fullmatch(corner) for corner in span.split(":")]
    if len(corners) > 2 or not all(c and c.group(1) for c in corners):
        raise SpreadsheetError(
            f"declares the range {shown(span)!r}, which is not a range; it was not opened",
            file=file,
            sheet=part.sheet,
            hint=DAMAGED_HINT,
        )
    (first_column, first_row), (last_column, last_row) = [
        (column_number(c.group(1)), whole_number(c.group(2)) or 0) for c in (corners[0], corners[-1])
    ]
    rows, columns = last_row - first_row + 1, last_column - first_column + 1
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise SpreadsheetError(
            f"declares the range {shown(span)} ({rows * columns:,} cells); it was not opened",
            file=file,
            sheet=part.sheet,
            hint=LIMITS_HINT,
        )
