"""What the import reads at most, the hints its refusals give, SpreadsheetError, which refuses a file, and the
remedies its messages carry as data (each surface words a remedy as its own control: a CLI flag, a page control)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

MAX_ROWS = 100_000  # sheet rows, title and header rows included
MAX_COLUMNS = 200
MAX_CELLS = 5_000_000
MAX_TEXT = 200_000_000  # bytes of cell text a workbook may expand to; shared strings are copied per cell
LIMITS_HINT = f"the import reads at most {MAX_ROWS:,} rows and {MAX_COLUMNS} columns a sheet; split the file"
TEXT_HINT = f"the import reads at most {MAX_TEXT / 1e6:,.0f} MB of cell text; shorten the long texts or split the file"
DAMAGED_HINT = "open it in the spreadsheet program and save it again"

# What a person can do about a message; the CLI and the Import page each word every one of these once.
REMEDIES = (
    "sheet",  # choose the sheet to read
    "header_row",  # say which row names the columns
    "map_columns",  # say what each column holds
    "map_key",  # say which column names the task (or the finding)
    "dates",  # choose the order of day/month/year text; argument: the order that fits, or ""
    "valid_rows_only",  # apply the valid rows, leaving the rejected ones out
    "overwrite_newer",  # confirm overwriting values changed in the tool after the file was saved
    "as_of",  # say when the file's changes happened
    "records",  # import the file as other records; argument: "findings" or "progress"
    "finding_source",  # say where the findings come from
)


@dataclass(frozen=True)
class Remedy:
    """An action a message advises, and its argument."""

    action: str
    argument: str = ""

    def __post_init__(self) -> None:
        if self.action not in REMEDIES:
            raise ValueError(f"unknown remedy {self.action!r}")


Wording = Callable[[Remedy], str]


@dataclass(frozen=True)
class Note:
    """Something the preview tells about the file, with what to do about it where there is something."""

    text: str
    remedy: Remedy | None = None

    def words(self, wording: Wording) -> str:
        return f"{self.text} ({wording(self.remedy)})" if self.remedy else self.text


class SpreadsheetError(Exception):
    """A file that cannot be imported: names the file, and the sheet, row and column where known, with a hint
    that holds on every surface and a remedy each surface words itself."""

    def __init__(
        self,
        message: str,
        *,
        file: str = "",
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        remedy: Remedy | None = None,
    ):
        self.message, self.file, self.sheet, self.row, self.column, self.hint = message, file, sheet, row, column, hint
        self.remedy = remedy
        super().__init__(self.text())

    def text(self, wording: Wording | None = None) -> str:
        """The message; with ``wording``, the remedy as that surface says it."""
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
        advice = "; ".join(p for p in (self.hint, wording(self.remedy) if wording and self.remedy else "") if p)
        body = self.message + (f" (hint: {advice})" if advice else "")
        return f"{head}: {body}" if head else body
