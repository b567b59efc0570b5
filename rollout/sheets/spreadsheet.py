"""Read the spreadsheets people keep: xlsx, xlsm, xls and ods through calamine, csv by sniffing.

Hostile files are refused before any parser sees them. Only a regular file is read, and at most
``MAX_FILE_BYTES`` + 1 bytes of it. A zip container's members are checked for size and
compression ratio, and the members calamine would read are checked the way calamine reads them:
it allocates the whole rectangle between a sheet's first and last cells, copies a shared string
into every cell that uses it, allocates what a count in the file announces, and expands an ods
file's repeated rows, cells and spaces. So the cells a sheet places (with every spelling of a
reference calamine honours), the rectangle they span, the cells it holds and the text they
expand to are all bounded first. An xlsx worksheet in the usual form is checked with a few
regular expressions; any other spelling, and an ods file, is walked element by element with
expat, strictly: what is not well-formed XML is refused. Formulas are never evaluated: calamine
returns the values cached in the file.
"""

from __future__ import annotations

import array
import codecs
import collections
import csv
import html
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

import python_calamine as calamine
from openpyxl.utils.cell import get_column_letter

from rollout.fileio import FileTooLarge, NotRegularFile, read_regular

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000  # sheet rows, title and header rows included
MAX_COLUMNS = 200
MAX_CELLS = 5_000_000
MAX_TEXT = 200_000_000  # bytes of cell text a workbook may expand to; shared strings are copied per cell
MAX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_RATIO = 100  # zip bombs reach 1000:1; real sheets 5 to 30:1
RATIO_FLOOR = 1024 * 1024  # small members may compress better without harm
MAX_MEMBERS = 10_000
MAX_PLAIN_STRINGS = 32 * 1024 * 1024  # shared strings read whole to check with regular expressions
MAX_PART_LIST = 16 * 1024 * 1024  # a workbook's relationships or sheet list: a few kB in real files
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
LIMITS_HINT = f"the import reads at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns a sheet; split the file"
TEXT_HINT = f"the import reads at most {MAX_TEXT / 1e6:,.0f} MB of cell text; shorten the long texts or split the file"
DAMAGED_HINT = "open it in the spreadsheet program and save it again"
CHUNK = 1 << 20
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
_SST_START = re.compile(rb"(?:<\?xml[^<>]*\?>)?\s*<sst\b([^<>]*)>")
_PLAIN_SST = re.compile(rb'(?:<si><t(?: xml:space="preserve")?>[^<]*</t></si>)*</sst>\s*')
_PLAIN_TEXT = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t>')
_DIMENSION = re.compile(rb"dimension(?<=[<:]dimension)[\s/>]")
# possessive (*+): these never backtrack, so that no text makes them slow
_TAG_REST = re.compile(rb"""(?:[^<>"']|"[^"]*+"|'[^']*+')*+>""")
_ATTRIBUTE = re.compile(rb"""([^=]*+)=\s*+(?:"([^"]*+)"|'([^']*+)')""")
_REF = re.compile(r"([A-Za-z]*)([0-9]+)")
_COUNT = re.compile(r"\+?[0-9]+")
_SHEET_TYPES = (b"worksheet", b"chartsheet", b"dialogsheet")
# the values of an ods cell that are text (copied for every repeat), and all that give it a value
_ODS_TEXT = ("office:string-value", "office:date-value", "office:time-value", "table:formula")
_ODS_VALUES = frozenset(("office:value", "office:value-type", "office:boolean-value", *_ODS_TEXT))


class SpreadsheetError(Exception):
    """A file that cannot be imported: names the file, and the sheet, row and column where known, with a hint."""

    def __init__(
        self,
        message: str,
        *,
        file: str = "",
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ):
        self.message, self.file, self.sheet, self.row, self.column, self.hint = message, file, sheet, row, column, hint
        super().__init__(self.text())

    def text(self) -> str:
        place = ", ".join(
            part
            for part in (
                f"sheet {self.sheet!r}" if self.sheet else "",
                f"row {self.row}" if self.row else "",
                f"column {self.column!r}" if self.column else "",
            )
            if part
        )
        head = ": ".join(p for p in (self.file, place) if p)
        body = self.message + (f" (hint: {self.hint})" if self.hint else "")
        return f"{head}: {body}" if head else body


@dataclass
class Grid:
    """A sheet's cells from row 1 and column A; every row as long as the longest."""

    sheet: str
    rows: list[list[Any]]


class Workbook:
    """The sheets of one file; a sheet's cells are read when asked for (a hidden one only by name)."""

    def __init__(
        self,
        file: str,
        sheet_names: list[str],
        book: calamine.CalamineWorkbook | None,
        grid: Grid | None,
        hidden: tuple[str, ...] = (),
    ):
        self.file = file
        self.sheet_names = sheet_names
        self._book = book
        self._grid = grid
        self._hidden = hidden

    def grid(self, sheet: str) -> Grid:
        if sheet not in self.sheet_names and sheet not in self._hidden:
            raise SpreadsheetError(
                f"has no sheet named {sheet!r}", file=self.file, hint=f"sheets: {', '.join(self.sheet_names)}"
            )
        if self._grid is not None:
            return self._grid
        assert self._book is not None
        try:
            data = self._book.get_sheet_by_name(sheet)
            _check_size(data.total_height, data.total_width, self.file, sheet)
            rows = data.to_python(skip_empty_area=False)
        except calamine.CalamineError as exc:
            raise SpreadsheetError(f"cannot be read ({exc})", file=self.file, sheet=sheet) from None
        return Grid(sheet, _rectangular(rows))


def open_workbook(source: str | Path | bytes, name: str | None = None) -> Workbook:
    """Check and open a spreadsheet file (or its bytes, named ``name``); raise SpreadsheetError if it is unfit."""
    data, file = _load(source, name)
    suffix = Path(file).suffix.lower()
    if suffix not in SUFFIXES:
        raise SpreadsheetError(
            f"is not a spreadsheet this tool reads ({suffix or 'no extension'})",
            file=file,
            hint="save it as .xlsx, .xlsm, .xls, .ods or .csv",
        )
    if not data:
        raise SpreadsheetError("is empty (0 bytes)", file=file)
    if data.startswith(OLE_MAGIC):
        _check_ole(data, file)
        return _calamine_book(data, file)
    if data.startswith(ZIP_MAGIC):
        _check_zip(data, file)
        return _calamine_book(data, file)
    if suffix in (".csv", ".tsv", ".txt"):
        return Workbook(file, [Path(file).stem], None, Grid(Path(file).stem, _read_csv(data, file)))
    raise SpreadsheetError(
        f"is not a spreadsheet: its content is not an {suffix.lstrip('.')} workbook",
        file=file,
        hint="export it from the spreadsheet program as .xlsx or .csv",
    )


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


def _load(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        file = name or "upload"
        _check_file_size(len(source), file)
        return source, file
    path = Path(source)
    file = name or path.name
    try:
        return read_regular(path, MAX_FILE_BYTES), file
    except NotRegularFile:
        raise SpreadsheetError(
            "is not a regular file (a folder, a device or a pipe); it was not read",
            file=file,
            hint="choose a saved file",
        ) from None
    except FileTooLarge as exc:
        raise _too_large(exc.size, file) from None
    except OSError as exc:
        raise SpreadsheetError(f"cannot be read ({exc.strerror})", file=str(path)) from None


def _check_file_size(size: int, file: str) -> None:
    if size > MAX_FILE_BYTES:
        raise _too_large(size, file)


def _too_large(size: int, file: str) -> SpreadsheetError:
    return SpreadsheetError(
        f"is {size / 1e6:.1f} MB; the import reads files up to {MAX_FILE_BYTES / 1e6:.0f} MB",
        file=file,
        hint="remove unused sheets or split the file",
    )


def _calamine_book(data: bytes, file: str) -> Workbook:
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise SpreadsheetError(
            "is password-protected", file=file, hint="remove the password in the spreadsheet program and save a copy"
        ) from None
    except (calamine.CalamineError, ValueError, OSError) as exc:
        raise SpreadsheetError(f"is not a readable spreadsheet ({exc})", file=file) from None
    sheets = [m for m in book.sheets_metadata if m.typ == calamine.SheetTypeEnum.WorkSheet]
    names = [m.name for m in sheets if m.visible == calamine.SheetVisibleEnum.Visible]
    if not names:
        raise SpreadsheetError("has no visible worksheet", file=file)
    return Workbook(file, names, book, None, tuple(m.name for m in sheets if m.name not in names))


def _check_size(height: int, width: int, file: str, sheet: str | None) -> None:
    if height > MAX_ROWS or width > MAX_COLUMNS or height * width > MAX_CELLS:
        raise SpreadsheetError(
            f"has {height:,} rows and {width:,} columns, more than the import reads",
            file=file,
            sheet=sheet,
            hint=LIMITS_HINT,
        )


def _rectangular(rows: list[list[Any]]) -> list[list[Any]]:
    width = max(map(len, rows), default=0)
    if any(len(r) != width for r in rows):
        return [r + [""] * (width - len(r)) for r in rows]
    return rows


def _check_ole(data: bytes, file: str) -> None:
    """An Excel 97 file: refused when encrypted, or when a zip hides behind it (calamine would read the zip)."""
    if ENCRYPTED_OOXML in data:
        raise SpreadsheetError(
            "is password-protected (an encrypted workbook)",
            file=file,
            hint="open it in the spreadsheet program, remove the password and save a copy",
        )
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise SpreadsheetError(
            "is an Excel 97 file and a zip archive at once; it was not opened", file=file, hint=DAMAGED_HINT
        )


# zip containers (xlsx, xlsm, ods) ----------------------------------------------------
def _check_zip(data: bytes, file: str) -> None:
    """Refuse a zip whose members would blow up memory, before any parser sees it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_members(archive, file)
        kind = _container(archive, file)
        if kind == "xlsx":
            _check_xlsx(archive, file)
        elif kind == "ods":
            _check_ods(archive, file)
        else:
            raise SpreadsheetError("is not a spreadsheet: a zip archive without a workbook in it", file=file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError) as exc:
        raise SpreadsheetError(f"is damaged: {exc}", file=file, hint=DAMAGED_HINT) from None


def _check_members(archive: zipfile.ZipFile, file: str) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SpreadsheetError(f"holds {len(infos):,} files; a workbook holds a few dozen", file=file)
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise SpreadsheetError(
            f"would unpack to {total / 1e6:,.0f} MB; the import unpacks at most {MAX_UNCOMPRESSED / 1e6:,.0f} MB",
            file=file,
            hint=LIMITS_HINT,
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SpreadsheetError(
                f"member {info.filename} is compressed {info.file_size // max(info.compress_size, 1):,}:1, "
                f"like a zip bomb (a real sheet compresses about 10:1); it was not opened",
                file=file,
            )


def _container(archive: zipfile.ZipFile, file: str) -> str | None:
    """What calamine would read the zip as: it tries xlsx, then xlsb, then ods, whichever opens."""
    xlsx = bool(_members(archive, "_rels/.rels"))
    ods = "mimetype" in archive.namelist() and _member_start(archive, "mimetype") == ODS_MIMETYPE
    if _members(archive, "xl/workbook.bin"):
        raise SpreadsheetError(
            "is an Excel binary workbook (.xlsb), which the import does not read", file=file, hint="save it as .xlsx"
        )
    if xlsx and ods:
        raise SpreadsheetError(
            "holds both an Excel workbook and an OpenDocument spreadsheet; it was not opened", file=file
        )
    return "xlsx" if xlsx else "ods" if ods else None


def _members(archive: zipfile.ZipFile, path: str) -> list[zipfile.ZipInfo]:
    """The members calamine may open for ``path``: it looks names up ignoring case, with / for \\."""
    key = path.replace("\\", "/").lower()
    return [i for i in archive.infolist() if i.filename == path or i.filename.replace("\\", "/").lower() == key]


def _member_start(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as stream:
        return stream.read(len(ODS_MIMETYPE))


# xlsx: which members calamine reads -------------------------------------------------------
@dataclass
class _Part:
    """A worksheet member calamine may read, and the sheet name it goes by (its path when unnamed)."""

    info: zipfile.ZipInfo
    sheet: str


def _check_xlsx(archive: zipfile.ZipFile, file: str) -> None:
    sheets, strings = _xlsx_parts(archive, file)
    lengths = _shared_strings(archive, strings, file)
    text = sum(lengths)  # calamine holds every shared string once, then a copy in every cell using it
    _check_text(text, file, None)
    for part in sheets:
        text += _check_worksheet(archive, part, lengths, MAX_TEXT - text, file)
        _check_text(text, file, part.sheet)


def _check_text(text: int, file: str, sheet: str | None) -> None:
    if text > MAX_TEXT:
        raise SpreadsheetError(
            f"would expand to up to {text / 1e6:,.0f} MB of text (its cells repeat long shared texts); "
            "it was not opened",
            file=file,
            sheet=sheet,
            hint=TEXT_HINT,
        )


def _xlsx_parts(archive: zipfile.ZipFile, file: str) -> tuple[list[_Part], list[zipfile.ZipInfo]]:
    """The worksheets and the shared strings, found as calamine finds them (every candidate when in doubt)."""
    sheets, strings, found = [], [], False
    for folder in _workbook_folders(archive, file):
        relations = _part_elements(archive, f"{folder}_rels/workbook.xml.rels", "Relationship", file)
        found = found or bool(relations)
        names = _sheet_names(archive, folder, relations, file)
        for rel in relations:
            if rel.get(b"Type", b"").rsplit(b"/", 1)[-1] in _SHEET_TYPES:
                for path in _paths(folder, rel.get(b"Target", b"")):
                    sheets += [_Part(info, names.get(path, info.filename)) for info in _members(archive, path)]
        strings += _members(archive, f"{folder}sharedStrings.xml")
    if not found:
        raise SpreadsheetError("is not a spreadsheet: a zip archive without a workbook in it", file=file)
    return sheets, strings


def _workbook_folders(archive: zipfile.ZipFile, file: str) -> set[str]:
    """The folder of the workbook part, from the package's relationships (calamine takes the last one)."""
    folders = set()
    for rel in _part_elements(archive, "_rels/.rels", "Relationship", file):
        if rel.get(b"Type", b"").endswith(b"/relationships/officeDocument"):
            folders |= {_from_root(t[: t.rfind("/") + 1]) for t in _spellings(rel.get(b"Target", b""))}
    return folders


def _sheet_names(archive: zipfile.ZipFile, folder: str, relations: list[dict], file: str) -> dict[str, str]:
    """Sheet name by worksheet path, for messages."""
    targets = {rel.get(b"Id"): rel.get(b"Target", b"") for rel in relations}
    names = {}
    for sheet in _part_elements(archive, f"{folder}workbook.xml", "sheet", file):
        ids = [value for key, value in sheet.items() if key == b"id" or key.endswith(b":id")]
        for path in _paths(folder, targets.get(ids[-1] if ids else None, b"")):
            names[path] = html.unescape(sheet.get(b"name", b"").decode("utf-8", "replace"))
    return names


def _paths(folder: str, target: bytes) -> set[str]:
    """Where a relationship's target points: from the root when it starts with /, else from the workbook's folder."""
    return {_from_root(t) if t.startswith("/") else folder + t for t in _spellings(target) if t}


def _from_root(path: str) -> str:
    return path.removeprefix("/")  # one slash, as calamine strips it


def _spellings(raw: bytes) -> set[str]:
    # calamine reads some targets with their character references decoded and some without
    text = raw.decode("utf-8", "replace")
    return {text, html.unescape(text)}


def _part_elements(archive: zipfile.ZipFile, path: str, local: str, file: str) -> list[dict[bytes, bytes]]:
    """The raw attributes of the elements of a local name, in every member calamine may open for ``path``."""
    found = []
    for info in _members(archive, path):
        if info.file_size > MAX_PART_LIST:
            raise SpreadsheetError(f"has a list of parts ({path}) larger than {MAX_PART_LIST // 2**20} MB", file=file)
        walk = _Elements(file, local, archive.read(info).removeprefix(codecs.BOM_UTF8))
        walk.parse([walk.xml], info.filename)
        found += walk.found
    return found


def _attributes(text: bytes) -> dict[bytes, bytes]:
    """Attributes split as calamine splits them: a name up to "=" (spaces around it dropped), a value in quotes."""
    found, position = {}, 0
    while match := _ATTRIBUTE.match(text, position):  # one after the other, until one does not parse
        found[match.group(1).strip()] = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    return found


# xlsx: worksheets -----------------------------------------------------------------------
def _check_worksheet(archive: zipfile.ZipFile, part: _Part, lengths: array.array, room: int, file: str) -> int:
    """Check one worksheet's cells before calamine reads them; the bytes of shared text they copy, at most."""
    scan = _scan_worksheet(archive, part, file, _Scan())
    exact, shared = scan.bounded and not scan.fits(), scan.cells * max(lengths, default=0) > room
    if scan.usual and (exact or shared):  # a closer look: the rows of every piece, the string of every cell
        scan = _scan_worksheet(archive, part, file, _Scan(exact=exact, shared=shared))
    if scan.usual and scan.fits():
        return scan.text(lengths)
    walk = _SheetCells(file, part.sheet, lengths)
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


def _scan_worksheet(archive: zipfile.ZipFile, part: _Part, file: str, scan: _Scan) -> _Scan:
    with archive.open(part.info) as stream:
        for index, (buffer, end) in enumerate(_pieces(stream, part, file)):
            if index == 0:
                _check_dimensions(buffer, end, part, file)
            _scan_piece(scan, buffer, end, part, file)
    return scan


def _pieces(stream: IO[bytes], part: _Part, file: str) -> Iterator[tuple[bytes, int]]:
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


def _scan_piece(scan: _Scan, buffer: bytes, end: int, part: _Part, file: str) -> None:
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
        scan.columns = max([scan.columns, *(_column(c) for c in {c for c, _ in refs})])
        scan.rows = max([scan.rows, *map(int, {r for _, r in refs})])
    elif cells:
        scan.columns, scan.rows, scan.bounded = max(scan.columns, 26), max(scan.rows, 99_999), True


def _check_dimensions(buffer: bytes, end: int, part: _Part, file: str) -> None:
    """The used range a worksheet declares before its cells, its ref attribute spelt any way.

    Calamine only reserves room for it (100,000 cells at most), but a range past the limits is
    a clear sign, and a clear message, early.
    """
    header = buffer.find(b"sheetData", 0, end)
    position = 0
    while match := _DIMENSION.search(buffer, position, header if header >= 0 else end):
        rest = _TAG_REST.match(buffer, match.end() - 1, min(end, match.end() + 4096))  # a real one: 30 bytes
        position = rest.end() if rest else match.end()
        for key, value in _attributes(rest.group(0) if rest else b"").items():
            if key == b"ref" or key.endswith(b":ref"):
                _check_declared(value.decode("latin-1"), part, file)


def _check_declared(span: str, part: _Part, file: str) -> None:
    corners = [_REF.fullmatch(corner) for corner in span.split(":")]
    if len(corners) > 2 or not all(c and c.group(1) for c in corners):
        raise SpreadsheetError(
            f"declares the range {_shown(span)!r}, which is not a range; it was not opened",
            file=file,
            sheet=part.sheet,
            hint=DAMAGED_HINT,
        )
    (first_column, first_row), (last_column, last_row) = [
        (_column(c.group(1)), _number(c.group(2)) or 0) for c in (corners[0], corners[-1])
    ]
    rows, columns = last_row - first_row + 1, last_column - first_column + 1
    if rows > MAX_ROWS or columns > MAX_COLUMNS or rows * columns > MAX_CELLS:
        raise SpreadsheetError(
            f"declares the range {_shown(span)} ({rows * columns:,} cells); it was not opened",
            file=file,
            sheet=part.sheet,
            hint=LIMITS_HINT,
        )


def _column(letters: bytes | str) -> int:
    """A column's number from its letters in either case, as calamine reads them (A is 1); past 3 letters, huge."""
    if len(letters) > 3:
        return 10**18
    number = 0
    for letter in (letters if isinstance(letters, str) else letters.decode("latin-1")).upper():
        number = number * 26 + ord(letter) - 64
    return number


def _letters(column: int) -> str:
    name = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        name = chr(65 + rest) + name
    return name


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: str) -> int | None:
    """The whole number calamine's parsers read in a text, or None; one past every limit stays past them."""
    digits = value.strip(" \t\r\n").lstrip("+")
    if not (digits.isascii() and digits.isdigit()):
        return None
    return int(digits) if len(digits) < 19 else 10**18


# element walks with expat -----------------------------------------------------------------
class _Walk:
    """One member read with expat, strictly (no DTD, well-formed XML only), its events handed to a subclass.

    Bytes are read as Latin-1, one character each: the markup stays as calamine sees it in any
    ASCII-based encoding, and a length of text is a length in bytes. A UTF-8 byte order mark,
    which calamine skips, is skipped.
    """

    def __init__(self, file: str, sheet: str | None = None):
        self.file, self.sheet = file, sheet

    def run(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        with archive.open(info) as stream:
            self.parse(iter(lambda: stream.read(CHUNK), b""), info.filename)

    def parse(self, chunks: Iterable[bytes], name: str) -> None:
        self.parser = parser = expat.ParserCreate(encoding="ISO-8859-1")
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = self._doctype
        try:
            for index, chunk in enumerate(chunks):
                parser.Parse(chunk.removeprefix(codecs.BOM_UTF8) if index == 0 else chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            self.refuse(
                f"{name} is not well-formed XML (line {exc.lineno}, column {exc.offset + 1}: "
                f"{expat.ErrorString(exc.code)})",
                DAMAGED_HINT,
            )

    def _doctype(self, *_: Any) -> None:
        self.refuse("declares a document type (a DTD), which a workbook never needs", DAMAGED_HINT)

    def refuse(self, message: str, hint: str = LIMITS_HINT) -> None:
        raise SpreadsheetError(f"{message}; it was not opened", file=self.file, sheet=self.sheet, hint=hint)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def _local(name: str) -> str:
    return name.split(":", 1)[-1]  # the name after its prefix, as calamine's XML reader gives it


class _Elements(_Walk):
    """The raw attributes of the elements of one local name (calamine reads some of them undecoded)."""

    def __init__(self, file: str, local: str, xml: bytes):
        super().__init__(file)
        self.local, self.xml = local, xml
        self.found: list[dict[bytes, bytes]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if _local(name) == self.local:  # well-formed: its tag ends at the first '>' outside quotes
            rest = _TAG_REST.match(self.xml, self.parser.CurrentByteIndex + 1 + len(name))
            self.found.append(_attributes(rest.group(0) if rest else b""))


def _shared_strings(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], file: str) -> array.array:
    """The length in bytes of each shared string, numbered as calamine numbers them (at least its text)."""
    if len(members) > 1:
        raise SpreadsheetError("holds two tables of shared strings; it was not opened", file=file, hint=DAMAGED_HINT)
    if not members:
        return array.array("q")
    walk = _SharedStrings(file)
    plain = _plain_strings(archive.read(members[0])) if members[0].file_size <= MAX_PLAIN_STRINGS else None
    if plain is None:
        walk.run(archive, members[0])
    else:
        walk.announced, walk.lengths = plain
    walk.check()
    return walk.lengths


def _plain_strings(xml: bytes) -> tuple[int, array.array] | None:
    """The count announced and the lengths of shared strings in the usual form, <si><t>text</t></si> only; else None."""
    head = _SST_START.match(xml)
    if head is None or not _PLAIN_SST.fullmatch(xml, head.end()):
        return None
    announced = _number(_attributes(head.group(1)).get(b"uniqueCount", b"").decode("latin-1")) or 0
    return announced, array.array("q", map(len, _PLAIN_TEXT.findall(xml, head.end())))


class _SharedStrings(_Walk):
    """Calamine's reading of the shared strings: a string per si element, the text of its t elements."""

    def __init__(self, file: str):
        super().__init__(file)
        self.lengths = array.array("q")
        self.announced = 0  # calamine reserves room for that many strings
        self.started = self.finished = self.phonetic = False
        self.string: str | None = None  # the si element open, by its full name
        self.inside: str | None = None  # the t element open

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if self.finished or self.inside:
            return
        if not self.started:
            self.started = local == "sst"
            self.announced = (_number(attrs.get("uniqueCount", "")) or 0) if self.started else 0
        elif self.string is None:
            if local == "si":
                self.string = name
                self.lengths.append(0)
                self.check()
        elif local == "rPh":
            self.phonetic = True
        elif local == "t" and not self.phonetic:
            self.inside = name

    def end(self, name: str) -> None:
        if self.inside:
            self.inside = None if name == self.inside else self.inside
        elif self.string is not None:
            if name == self.string:
                self.string, self.phonetic = None, False
            elif _local(name) == "rPh":
                self.phonetic = False
        elif self.started and _local(name) == "sst":
            self.finished = True

    def text(self, data: str) -> None:
        if self.inside:
            self.lengths[-1] += len(data)

    def check(self) -> None:
        count = max(self.announced, len(self.lengths))
        if count > MAX_CELLS:
            self.refuse(
                f"counts {count:,} shared strings, more than the {MAX_CELLS:,} cells the import reads", DAMAGED_HINT
            )


class _SheetCells(_Walk):
    """Calamine's reading of a worksheet: where each cell with a value lands, and the shared text it copies.

    A cell without an r attribute lands after the previous cell of its row, a row without one
    after the previous row; only the cells inside the first sheetData count.
    """

    def __init__(self, file: str, sheet: str, lengths: array.array):
        super().__init__(file, sheet)
        self.lengths = lengths
        self.state = "before"  # then "cells", then "after" the first sheetData
        self.row = self.column = 0  # where a cell without an r attribute lands, from 0
        self.cells = self.rows = self.columns = self.shared = 0
        self.cell: _Cell | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if self.state != "cells":
            self.state = "cells" if self.state == "before" and local == "sheetData" else self.state
        elif self.cell is not None:
            self.cell.depth += 1
            if self.cell.depth == 1 and local in ("v", "is"):  # f alone gives no value
                self.cell.filled, self.cell.value = True, "" if local == "v" else None
        elif local in ("row", "c") and any(key.endswith(":r") for key in attrs):
            self.refuse("has a prefixed r attribute, which the import does not read", DAMAGED_HINT)
        elif local == "row" and "r" in attrs:
            self.row = self._place(attrs["r"], cell=False)[0]
        elif local == "c":
            row, self.column = self._place(attrs["r"]) if "r" in attrs else (self.row, self.column)
            self.cell = _Cell(row, self.column, attrs.get("t") == "s")

    def end(self, name: str) -> None:
        if self.state != "cells":
            return
        if self.cell is not None:
            self.cell.depth -= 1
            if self.cell.depth < 0:
                self._count(self.cell)
                self.cell, self.column = None, self.column + 1
        elif _local(name) == "row":
            self.row, self.column = self.row + 1, 0
        elif _local(name) == "sheetData":
            self.state = "after"

    def text(self, data: str) -> None:
        if self.cell is not None and self.cell.depth == 1 and self.cell.value is not None:
            self.cell.value += data

    def _place(self, ref: str, cell: bool = True) -> tuple[int, int]:
        """(row, column) from 0 of a reference such as B7 (a row's may hold only digits)."""
        match = _REF.fullmatch(ref)
        if not match or _number(match.group(2)) in (None, 0) or (cell and not match.group(1)):
            self.refuse(f"has a {'cell' if cell else 'row'} reference it cannot read: {_shown(ref)!r}", DAMAGED_HINT)
        return (_number(match.group(2)) or 0) - 1, _column(match.group(1)) - 1

    def _count(self, cell: _Cell) -> None:
        if not cell.filled:  # calamine keeps only the cells with a value
            return
        ref = f"{_letters(cell.column + 1)}{cell.row + 1}"
        if cell.row >= MAX_ROWS:
            self.refuse(f"reaches row {cell.row + 1} with cell {ref}")
        if cell.column >= MAX_COLUMNS:
            self.refuse(f"reaches column {_letters(cell.column + 1)} with cell {ref}")
        self.cells += 1
        self.rows, self.columns = max(self.rows, cell.row + 1), max(self.columns, cell.column + 1)
        index = _number(cell.value or "") if cell.shared else None
        if index is not None and index < len(self.lengths):
            self.shared += self.lengths[index]

    def finish(self) -> int:
        if max(self.cells, self.rows * self.columns) > MAX_CELLS:
            self.refuse(f"spans {self.rows:,} rows and {self.columns} columns, more than {MAX_CELLS:,} cells")
        return self.shared


@dataclass(slots=True)
class _Cell:
    row: int
    column: int
    shared: bool  # its value is the number of a shared string
    depth: int = 0  # of the element open inside it
    filled: bool = False
    value: str | None = None  # the text of its v element


# ods ---------------------------------------------------------------------------------------
def _check_ods(archive: zipfile.ZipFile, file: str) -> None:
    if "content.xml" not in archive.namelist():
        raise SpreadsheetError("is not a spreadsheet: an OpenDocument file without content", file=file)
    _OdsTables(file).run(archive, archive.getinfo("content.xml"))


class _OdsTables(_Walk):
    """Calamine's reading of an ods file, every table at once, repeated rows, cells and spaces expanded.

    A table spans from its first row to its last row with a value, and every row to its last
    cell with a value; a repeated cell or row copies its text each time.
    """

    def __init__(self, file: str):
        super().__init__(file)
        self.text_total = 0
        self.in_table = False
        self.row: _OdsRow | None = None
        self.cell: _OdsCell | None = None

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.cell is not None:
            self.cell.depth += 1
            if name == "text:s":  # that many spaces
                self.cell.text += self._count(attrs, "text:c")
            elif name == "text:p":  # a line break before it
                self.cell.text += 1
        elif name == "table:table" and not self.in_table:
            self.in_table, self.sheet = True, attrs.get("table:name")
            self.rows = self.filled_rows = self.width = self.pushed = 0
        elif not self.in_table:
            return
        elif name == "table:table-row":
            self.row = _OdsRow(self._count(attrs, "table:number-rows-repeated"))
        elif name in ("table:table-cell", "table:covered-table-cell") and self.row is not None:
            filled = not _ODS_VALUES.isdisjoint(attrs)
            text = sum(len(attrs[key]) for key in _ODS_TEXT if key in attrs) if filled else 0
            self.cell = _OdsCell(self._count(attrs, "table:number-columns-repeated"), filled, text)

    def end(self, name: str) -> None:
        if self.cell is not None:
            self.cell.depth -= 1
            if self.cell.depth < 0:
                self._end_cell(self.cell)
                self.cell = None
        elif name == "table:table-row" and self.row is not None:
            self._end_row(self.row)
            self.row = None
        elif name == "table:table":
            self.in_table, self.sheet = False, None

    def text(self, data: str) -> None:
        if self.cell is not None:
            self.cell.text += len(data)

    def _count(self, attrs: dict[str, str], key: str) -> int:
        """A repeat count (1 when not given), as calamine reads it."""
        value = attrs.get(key)
        if value is None:
            return 1
        count = _number(value) if _COUNT.fullmatch(value) else None
        if count is None:
            self.refuse(f"has a repeat count it cannot read: {key}={_shown(value)!r}", DAMAGED_HINT)
        return count or 0

    def _end_cell(self, cell: _OdsCell) -> None:
        assert self.row is not None
        self.row.column += cell.repeats
        if cell.filled:
            if self.row.column > MAX_COLUMNS:
                self.refuse(f"repeats a filled cell to column {self.row.column:,}")
            self.row.end, self.row.text = self.row.column, self.row.text + cell.text * cell.repeats

    def _end_row(self, row: _OdsRow) -> None:
        self.rows += row.repeats
        if not row.end:  # calamine leaves empty rows out unless a filled row follows
            return
        self.filled_rows, self.width, self.pushed = self.rows, max(self.width, row.end), self.pushed + row.end
        self.text_total += row.text * row.repeats
        if self.filled_rows > MAX_ROWS:
            what = "repeats filled rows" if row.repeats > 1 else "repeats empty rows before a filled one"
            self.refuse(f"{what} to {self.filled_rows:,} rows")
        if max(self.filled_rows * self.width, self.pushed) > MAX_CELLS:
            self.refuse(f"spans {self.filled_rows:,} rows and {self.width} columns, more than {MAX_CELLS:,} cells")
        if self.text_total > MAX_TEXT:
            self.refuse(f"would expand to up to {self.text_total / 1e6:,.0f} MB of text", TEXT_HINT)


@dataclass(slots=True)
class _OdsRow:
    repeats: int
    column: int = 0  # where the next cell starts
    end: int = 0  # where the last cell with a value ends
    text: int = 0


@dataclass(slots=True)
class _OdsCell:
    repeats: int
    filled: bool
    text: int
    depth: int = 0


# csv ----------------------------------------------------------------------------
def _read_csv(data: bytes, file: str) -> list[list[Any]]:
    text = _decode(data, file)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = list(itertools.islice(reader, MAX_ROWS + 1))
    except csv.Error as exc:
        raise SpreadsheetError(f"is not a readable CSV file ({exc})", file=file, row=reader.line_num) from None
    if len(rows) > MAX_ROWS:
        raise SpreadsheetError(f"has more than {MAX_ROWS:,} rows", file=file, hint=LIMITS_HINT)
    width = max(map(len, rows), default=0)
    if width > MAX_COLUMNS:
        raise SpreadsheetError(f"has {width:,} columns, more than {MAX_COLUMNS}", file=file, hint=LIMITS_HINT)
    return _rectangular(rows)


def _decode(data: bytes, file: str) -> str:
    """UTF-8 (with or without a BOM), a byte that is not UTF-8 read as Windows-1252; or UTF-16 with a BOM.

    UTF-16 with a BOM is what Excel writes as "Unicode text".
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise SpreadsheetError(
                "is not valid UTF-16 text", file=file, hint="save it as CSV UTF-8 in the spreadsheet program"
            ) from None
    if b"\x00" in data:
        raise SpreadsheetError(
            "is not a spreadsheet: binary content in a text file", file=file, hint="export the sheet as CSV"
        )
    return data.decode("utf-8-sig", errors="rollout.windows-1252")


# A byte that is not UTF-8 is read as Windows-1252, on its own: a file Excel saved as "CSV" on
# Windows (all Windows-1252) reads whole, and a UTF-8 file with one byte pasted from elsewhere
# keeps its other accents. A Windows-1252 file holding a pair such as "Ã©" would read it as UTF-8
# "é"; that pair is itself the sign of text decoded wrongly once before. The five bytes
# Windows-1252 leaves unassigned read as the C1 controls, as browsers read them.
_WINDOWS_1252 = "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in range(256))


def _windows_1252(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return "".join(_WINDOWS_1252[b] for b in error.object[error.start : error.end]), error.end


codecs.register_error("rollout.windows-1252", _windows_1252)


def _delimiter(text: str) -> str:
    """The delimiter csv.Sniffer finds among , ; and tab; failing that (title rows), the most frequent one."""
    sample = text[:65536]
    sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return max(",;\t", key=sample.count)
