"""Read the spreadsheets people keep: xlsx, xlsm, xls and ods through calamine, csv by sniffing.

Hostile files are refused before any parser sees them. Only a regular file is read, and at most
``MAX_FILE_BYTES`` + 1 bytes of it. An Excel 97 file is refused when encrypted or when a zip
hides behind it, a zip container is checked by ``zipcheck``, and a text file is read by
``csvfile``. Formulas are never evaluated: calamine returns the values cached in the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_calamine as calamine
from openpyxl.utils.cell import get_column_letter

from rollout.fileio import FileTooLarge, NotRegularFile, read_regular
from rollout.sheets.csvfile import read_csv
from rollout.sheets.docprops import saved_on
from rollout.sheets.limits import (
    DAMAGED_HINT,
    LIMITS_HINT,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    MAX_TEXT,
    TEXT_HINT,
    SpreadsheetError,
)
from rollout.sheets.zipcheck import check_zip

__all__ = [
    "DAMAGED_HINT",
    "LIMITS_HINT",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_TEXT",
    "SUFFIXES",
    "TEXT_HINT",
    "Grid",
    "SpreadsheetError",
    "Workbook",
    "column_letter",
    "open_workbook",
]

MAX_FILE_BYTES = 50 * 1024 * 1024
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_OOXML = "EncryptedPackage".encode("utf-16-le")


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
        saved_on: dt.datetime | None = None,
    ):
        self.file = file
        self.sheet_names = sheet_names
        self._book = book
        self._grid = grid
        self._hidden = hidden
        self.saved_on = saved_on  # when the file was last saved, where it says or the file system tells

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
    book = _open(data, file)
    if data.startswith(ZIP_MAGIC):
        book.saved_on = saved_on(data)
    if book.saved_on is None and not isinstance(source, bytes):
        with contextlib.suppress(OSError):  # only a convenience
            book.saved_on = dt.datetime.fromtimestamp(Path(source).stat().st_mtime, dt.UTC)
    return book


def _open(data: bytes, file: str) -> Workbook:
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
        check_zip(data, file)
        return _calamine_book(data, file)
    if suffix in (".csv", ".tsv", ".txt"):
        return Workbook(file, [Path(file).stem], None, Grid(Path(file).stem, _rectangular(read_csv(data, file))))
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
