"""A text file read as a sheet: decoded (UTF-8, Windows-1252 bytes, UTF-16 with a BOM), its delimiter sniffed."""

from __future__ import annotations

import codecs
import csv
import io
import itertools

from rollout.sheets.limits import LIMITS_HINT, MAX_COLUMNS, MAX_ROWS, SpreadsheetError


def read_csv(data: bytes, file: str) -> list[list[str]]:
    """The rows of a text file, as long as each is written."""
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
    return rows


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
