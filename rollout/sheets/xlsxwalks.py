"""An xlsx workbook's shared strings and worksheets walked with expat, as calamine reads them.

Calamine copies a shared string into every cell that uses it, reserves room for the count of
strings a file announces, and allocates the whole rectangle between a sheet's first and last
cells: the walks give the length of every shared string and bound the cells a worksheet places.
"""

from __future__ import annotations

import array
import re
import zipfile
from dataclasses import dataclass

from rollout.sheets.limits import DAMAGED_HINT, MAX_CELLS, MAX_COLUMNS, MAX_ROWS, SpreadsheetError
from rollout.sheets.xmlwalk import Walk, attributes, local_name, shown, whole_number

MAX_PLAIN_STRINGS = 32 * 1024 * 1024  # shared strings read whole to check with regular expressions
_SST_START = re.compile(rb"(?:<\?xml[^<>]*\?>)?\s*<sst\b([^<>]*)>")
_PLAIN_SST = re.compile(rb'(?:<si><t(?: xml:space="preserve")?>[^<]*</t></si>)*</sst>\s*')
_PLAIN_TEXT = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t>')
REF = re.compile(r"([A-Za-z]*)([0-9]+)")


def shared_strings(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], file: str) -> array.array:
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
    announced = whole_number(attributes(head.group(1)).get(b"uniqueCount", b"").decode("latin-1")) or 0
    return announced, array.array("q", map(len, _PLAIN_TEXT.findall(xml, head.end())))


class _SharedStrings(Walk):
    """Calamine's reading of the shared strings: a string per si element, the text of its t elements."""

    def __init__(self, file: str):
        super().__init__(file)
        self.lengths = array.array("q")
        self.announced = 0  # calamine reserves room for that many strings
        self.started = self.finished = self.phonetic = False
        self.string: str | None = None  # the si element open, by its full name
        self.inside: str | None = None  # the t element open

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = local_name(name)
        if self.finished or self.inside:
            return
        if not self.started:
            self.started = local == "sst"
            self.announced = (whole_number(attrs.get("uniqueCount", "")) or 0) if self.started else 0
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
            elif local_name(name) == "rPh":
                self.phonetic = False
        elif self.started and local_name(name) == "sst":
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


class SheetCells(Walk):
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
        local = local_name(name)
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
        elif local_name(name) == "row":
            self.row, self.column = self.row + 1, 0
        elif local_name(name) == "sheetData":
            self.state = "after"

    def text(self, data: str) -> None:
        if self.cell is not None and self.cell.depth == 1 and self.cell.value is not None:
            self.cell.value += data

    def _place(self, ref: str, cell: bool = True) -> tuple[int, int]:
        """(row, column) from 0 of a reference such as B7 (a row's may hold only digits)."""
        match = REF.fullmatch(ref)
        if not match or whole_number(match.group(2)) in (None, 0) or (cell and not match.group(1)):
            self.refuse(f"has a {'cell' if cell else 'row'} reference it cannot read: {shown(ref)!r}", DAMAGED_HINT)
        return (whole_number(match.group(2)) or 0) - 1, column_number(match.group(1)) - 1

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
        index = whole_number(cell.value or "") if cell.shared else None
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


def column_number(letters: bytes | str) -> int:
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
