"""An OpenDocument spreadsheet checked before calamine reads it: every table walked with expat, its
repeated rows, cells and spaces expanded as calamine expands them, and bounded.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

from rollout.sheets.limits import DAMAGED_HINT, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_TEXT, TEXT_HINT, SpreadsheetError
from rollout.sheets.xmlwalk import Walk, shown, whole_number

_COUNT = re.compile(r"\+?[0-9]+")
# the values of an ods cell that are text (copied for every repeat), and all that give it a value
_ODS_TEXT = ("office:string-value", "office:date-value", "office:time-value", "table:formula")
_ODS_VALUES = frozenset(("office:value", "office:value-type", "office:boolean-value", *_ODS_TEXT))


def check_ods(archive: zipfile.ZipFile, file: str) -> None:
    if "content.xml" not in archive.namelist():
        raise SpreadsheetError("is not a spreadsheet: an OpenDocument file without content", file=file)
    _OdsTables(file).run(archive, archive.getinfo("content.xml"))


class _OdsTables(Walk):
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
        count = whole_number(value) if _COUNT.fullmatch(value) else None
        if count is None:
            self.refuse(f"has a repeat count it cannot read: {key}={shown(value)!r}", DAMAGED_HINT)
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
