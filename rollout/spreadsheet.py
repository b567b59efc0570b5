"""Read the spreadsheets people keep: xlsx, xlsm, xls and ods through calamine, csv by sniffing.

Hostile files are refused before they are parsed: only a regular file is read, and at most
``MAX_FILE_BYTES`` + 1 bytes of it; a size limit, the zip members' sizes and
compression ratios, and the cells a worksheet declares or places far away (calamine allocates
the whole rectangle between a sheet's first and last cell). Formulas are never evaluated:
calamine returns the values cached in the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_calamine as calamine
from openpyxl.utils.cell import column_index_from_string, get_column_letter

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000  # sheet rows, title and header rows included
MAX_COLUMNS = 200
MAX_CELLS = 5_000_000
MAX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_RATIO = 100  # zip bombs reach 1000:1; real sheets 5 to 30:1
RATIO_FLOOR = 1024 * 1024  # small members may compress better without harm
MAX_MEMBERS = 10_000
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")
LIMITS_HINT = f"the import reads at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns a sheet; split the file"

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')
# refs past column Z or row 99,999: the only ones that can break a limit, and rare in real sheets;
# starting with a literal lets the regex engine skip ahead fast
_FAR_REF = re.compile(rb'r="([A-Z]{2,3}\d+|[A-Z]?\d{6,})"')
_ODS_REPEAT = re.compile(rb'<table:table-(row|cell)\b[^>]*?table:number-(?:rows|columns)-repeated="(\d+)"[^>]*?(/?)>')


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
        if ENCRYPTED_OOXML in data:
            raise SpreadsheetError(
                "is password-protected (an encrypted workbook)",
                file=file,
                hint="open it in the spreadsheet program, remove the password and save a copy",
            )
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
        return _read_regular(path, file), file
    except OSError as exc:
        raise SpreadsheetError(f"cannot be read ({exc.strerror})", file=str(path)) from None


def _read_regular(path: Path, file: str) -> bytes:
    """A regular file's bytes, never more than MAX_FILE_BYTES + 1 of them read.

    A FIFO would block the reader and a device such as /dev/zero would never end: the path is
    checked before it is opened, and what was opened (without waiting) is checked again.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise _not_regular(file)
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(file)
        _check_file_size(info.st_size, file)
        data = stream.read(MAX_FILE_BYTES + 1)
    _check_file_size(len(data), file)  # the size it gave may be wrong: it grew, or it is a /proc file
    return data


def _not_regular(file: str) -> SpreadsheetError:
    return SpreadsheetError(
        "is not a regular file (a folder, a device or a pipe); it was not read", file=file, hint="choose a saved file"
    )


def _check_file_size(size: int, file: str) -> None:
    if size > MAX_FILE_BYTES:
        raise SpreadsheetError(
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


# zip containers (xlsx, xlsm, ods) ----------------------------------------------------
def _check_zip(data: bytes, file: str) -> None:
    """Refuse a zip whose members would blow up memory, before any parser sees it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
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
        names = set(archive.namelist())
        if "xl/workbook.xml" in names:
            for info in infos:
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                    _scan_worksheet(archive, info, file)
        elif "content.xml" in names and b"opendocument.spreadsheet" in _member_start(archive, "mimetype"):
            _scan_ods(archive.read("content.xml"), file)
        else:
            raise SpreadsheetError("is not a spreadsheet: a zip archive without a workbook in it", file=file)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise SpreadsheetError(f"is damaged: {exc}", file=file, hint="open and save it again") from None


def _member_start(archive: zipfile.ZipFile, name: str) -> bytes:
    if name not in archive.namelist():
        return b""
    with archive.open(name) as stream:
        return stream.read(100)


def _scan_worksheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, file: str) -> None:
    """Check the declared used range and every far cell reference of one worksheet's XML, streamed."""
    where = f"worksheet {info.filename}"
    tail, declared = b"", False
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 20):
            buffer = tail + chunk
            if not declared and (match := _DIMENSION.search(buffer)):
                start_col, start_row, end_col, end_row = match.groups()
                if end_col:
                    rows = int(end_row) - int(start_row) + 1
                    cols = column_index_from_string(end_col.decode()) - column_index_from_string(start_col.decode()) + 1
                    if rows > MAX_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_CELLS:
                        span = f"{start_col.decode()}{int(start_row)}:{end_col.decode()}{int(end_row)}"
                        raise SpreadsheetError(
                            f"{where} declares the range {span} ({rows * cols:,} cells); it was not opened",
                            file=file,
                            hint=LIMITS_HINT,
                        )
            declared = True  # the dimension, if any, precedes the cells: only the first chunk holds it
            for match in _FAR_REF.finditer(buffer):
                if buffer[match.start() - 1 : match.start()].isspace():  # an r attribute, not e.g. color="
                    _check_ref(match.group(1).decode(), where, file)
            tail = buffer[-32:]


def _check_ref(ref: str, where: str, file: str) -> None:
    letters = ref.rstrip("0123456789")
    row = int(ref[len(letters) :])
    column = column_index_from_string(letters) if letters else 1
    if row > MAX_ROWS or column > MAX_COLUMNS:
        place = f"cell {ref}" if letters else f"row {ref}"
        raise SpreadsheetError(f"{where} reaches {place}; it was not opened", file=file, hint=LIMITS_HINT)


def _scan_ods(content: bytes, file: str) -> None:
    """Refuse filled rows or cells repeated past the limits (empty repeats are how ods pads a sheet)."""
    filled_rows = 0
    for match in _ODS_REPEAT.finditer(content):
        kind, count, closed = match.group(1), int(match.group(2)), match.group(3)
        if kind == b"cell":
            filled = not closed and b"office:value-type" in match.group(0)
            if filled and count > MAX_COLUMNS:
                raise SpreadsheetError(f"repeats a filled cell {count:,} times", file=file, hint=LIMITS_HINT)
        else:
            end = content.find(b"</table:table-row>", match.end())
            if not closed and b"office:value-type" in content[match.end() : end]:
                filled_rows += count
    if filled_rows > MAX_ROWS:
        raise SpreadsheetError(f"repeats filled rows to {filled_rows:,} rows", file=file, hint=LIMITS_HINT)


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
