"""What the import reads at most, the hints its refusals give, and SpreadsheetError, which refuses a file."""

from __future__ import annotations

MAX_ROWS = 100_000  # sheet rows, title and header rows included
MAX_COLUMNS = 200
MAX_CELLS = 5_000_000
MAX_TEXT = 200_000_000  # bytes of cell text a workbook may expand to; shared strings are copied per cell
LIMITS_HINT = f"the import reads at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns a sheet; split the file"
TEXT_HINT = f"the import reads at most {MAX_TEXT / 1e6:,.0f} MB of cell text; shorten the long texts or split the file"
DAMAGED_HINT = "open it in the spreadsheet program and save it again"


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
