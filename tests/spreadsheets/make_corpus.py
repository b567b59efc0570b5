"""The import test corpus: spreadsheets as people keep them, and hostile ones, made reproducibly.

``build(folder, plan)`` writes every file of ``FILES`` into ``folder`` using the plan's task ids
and titles; run ``python tests/spreadsheets/make_corpus.py OUT_DIR`` to look at them. Formats
no installed library writes (.xls, .ods, encrypted OOXML, crafted xlsx XML) are written here
byte by byte, small enough to read.
"""

from __future__ import annotations

import datetime as dt
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

from rollout.plan import Plan, load_plan
from rollout.sheets.spreadsheet import MAX_ROWS

ROOT = Path(__file__).resolve().parents[2]

D = dt.date


# writers -------------------------------------------------------------------------
def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]], formats: dict[str, str] | None = None) -> Path:
    """An xlsx by openpyxl; ``formats`` maps a sheet's column letter to a number format."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for letter, number_format in (formats or {}).items():
            for cell in sheet[letter]:
                cell.number_format = number_format
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], delimiter: str = ",", encoding: str = "utf-8") -> Path:
    text = "\r\n".join(delimiter.join(_csv_cell(c, delimiter) for c in row) for row in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def _csv_cell(value: Any, delimiter: str) -> str:
    text = "" if value is None else str(value)
    return f'"{text}"' if delimiter in text or '"' in text else text


_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{main}"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
</Types>"""
_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def write_raw_xlsx(path: Path, sheet_data: str, dimension: str | None = None, macros: bool = False) -> Path:
    """A minimal xlsx around hand-written ``<sheetData>`` content (inline strings, formulas with cached values)."""
    rels = '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    members = {
        "[Content_Types].xml": _CONTENT_TYPES.format(main=_XLSM_MAIN if macros else _XLSX_MAIN),
        "_rels/.rels": rels + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Tracker" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": rels + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{sheet_data}</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
        if macros:
            archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not run, only carried")
    return path


def inline_row(number: int, cells: list[Any]) -> str:
    """A ``<row>`` of inline-string and number cells from column A."""
    out = []
    for index, value in enumerate(cells):
        ref = f"{chr(65 + index)}{number}"
        if isinstance(value, str):
            out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        elif value is not None:
            out.append(f'<c r="{ref}"><v>{value}</v></c>')
    return f'<row r="{number}">{"".join(out)}</row>'


def write_ods(path: Path, name: str, rows: list[list[Any]], extra_rows: str = "") -> Path:
    """A minimal OpenDocument spreadsheet: text, float, percentage and date cells."""
    body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{escape(name)}">{body}{extra_rows}'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _ods_cell(value: Any) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, dt.date):
        kind = f'office:value-type="date" office:date-value="{value.isoformat()}"'
    elif isinstance(value, float) and 0 <= value <= 1:
        kind = f'office:value-type="percentage" office:value="{value}"'
    elif isinstance(value, int | float):
        kind = f'office:value-type="float" office:value="{value}"'
    else:
        kind = 'office:value-type="string"'
    return f"<table:table-cell {kind}><text:p>{escape(str(value))}</text:p></table:table-cell>"


ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def ole_file(streams: list[tuple[str, bytes]]) -> bytes:
    """A minimal OLE compound file (version 3); each stream of 4096 bytes or more, in regular sectors."""
    padded = [data + b"\0" * (-len(data) % 512) for _, data in streams]
    fat, starts = [FATSECT, ENDOFCHAIN], []
    for data in padded:
        first, count = len(fat), len(data) // 512
        starts.append(first)
        fat += [*range(first + 1, first + count), ENDOFCHAIN]
    fat += [FREESECT] * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return struct.pack(
            "<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, NOSTREAM, right, child, b"", 0, 0, 0, start, size
        )

    entries = [entry("Root Entry", 5, 1, NOSTREAM, ENDOFCHAIN, 0)]
    for i, (name, data) in enumerate(streams):
        right = i + 2 if i + 1 < len(streams) else NOSTREAM
        entries.append(entry(name, 2, NOSTREAM, right, starts[i], len(data)))
    directory = b"".join(entries).ljust(512, b"\0")
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        b"",
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"",
        0,
        1,
        1,
        0,
        4096,
        ENDOFCHAIN,
        0,
        ENDOFCHAIN,
        0,
    )
    header += struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108
    return header + struct.pack("<128I", *fat) + directory + b"".join(padded)


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0x41, 6))


def write_xls(path: Path, name: str, rows: list[list[Any]]) -> Path:
    """A minimal Excel 97 (BIFF8) workbook: LABEL text cells, NUMBER cells, dates through a date format."""
    cells = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                cells.append(
                    _record(0x0204, struct.pack("<HHHHB", r, c, 15, len(value), 1) + value.encode("utf-16-le"))
                )
            elif isinstance(value, dt.date):
                serial = float((value - D(1899, 12, 30)).days)
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 16, serial)))  # XF 16: a date format
            elif value is not None:
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 15, float(value))))
    width = max(map(len, rows))
    sheet = _bof(0x10) + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0)) + b"".join(cells)
    sheet += _record(0x000A)

    def xf(number_format: int) -> bytes:
        return _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, number_format, 1, 0x20, 0, 0, 0, 0, 0, 0x20C0))

    def globals_(offset: int) -> bytes:
        sheet_name = struct.pack("<IBBBB", offset, 0, 0, len(name), 1) + name.encode("utf-16-le")
        xfs = b"".join(xf(0) for _ in range(16)) + xf(14)
        return _bof(0x05) + _record(0x0042, struct.pack("<H", 1200)) + xfs + _record(0x0085, sheet_name) + _record(0x0A)

    stream = globals_(len(globals_(0))) + sheet
    path.write_bytes(ole_file([("Workbook", stream.ljust(4096, b"\0"))]))
    return path


# the corpus ----------------------------------------------------------------------
def _ids(plan: Plan, stage: int) -> list[str]:
    return list(plan.stage(stage).task_ids)


def build(folder: Path, plan: Plan) -> dict[str, Path]:
    """Write every corpus file into ``folder``; returns name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    return {name: make(folder / name, plan) for name, make in FILES.items()}


def _title_rows_fractions(path: Path, plan: Plan) -> Path:
    p0 = _ids(plan, 0)
    rows = [
        ["ISO 20000 rollout - project tracker"],
        ["Updated by the PMO every Friday"],
        [],
        ["Ref", "Activity", "Status", "% Complete", "Responsible", "Start Date", "Target Date", "Comments"],
        [p0[0], "Business case", "Complete", 1.0, "Helen Marsh", D(2026, 6, 1), D(2026, 6, 12), "Signed off"],
        [f" {p0[1].lower()} ", "Sponsor approval", "WIP", 0.4, "Tom Okafor", D(2026, 6, 8), None, None],
        [p0[2], "Project team", "Not started", 0, None, None, None, None],
        [p0[3], "Communication plan", "On hold", 0.25, None, None, D(2026, 7, 1), "Waiting for HR"],
        [p0[4], "Gap analysis", "N/A", None, None, None, None, "Done by the previous owner"],
    ]
    return write_xlsx(path, {"Tracker": rows}, {"D": "0%", "F": "yyyy-mm-dd", "G": "yyyy-mm-dd"})


def _formulas(path: Path, plan: Plan) -> Path:
    p1 = _ids(plan, 1)
    data = inline_row(1, ["Task ID", "Status", "% complete", "Notes"])
    data += (
        f'<row r="2"><c r="A2" t="inlineStr"><is><t>{p1[0]}</t></is></c>'
        '<c r="B2" t="str"><f>IF(TRUE,"done","wip")</f><v>in progress</v></c>'
        '<c r="C2"><f>100-60</f><v>40</v></c>'
        '<c r="D2" t="str"><f>HYPERLINK("https://evil.example/x","see")</f><v>see the link</v></c></row>'
        f'<row r="3"><c r="A3" t="inlineStr"><is><t>{p1[1]}</t></is></c>'
        '<c r="B3" t="inlineStr"><is><t>blocked</t></is></c>'
        """<c r="D3"><f>cmd|' /C calc'!A0</f></c></row>"""
    )
    return write_raw_xlsx(path, data, dimension="A1:D3")


def _huge_dimension(path: Path, plan: Plan) -> Path:
    return write_raw_xlsx(path, inline_row(1, ["Task ID", "Status"]), dimension="A1:XFD1048576")


def _far_cell(path: Path, plan: Plan) -> Path:
    data = inline_row(1, ["Task ID", "Status"]) + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return write_raw_xlsx(path, data, dimension="A1:B2")


def _zip_bomb(path: Path, plan: Plan) -> Path:
    """A sheet padded with 20 MB of spaces: 1000:1, as zip bombs compress."""
    write_raw_xlsx(path, inline_row(1, ["Task ID", "Status"]))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("xl/media/padding.xml", "w") as out:
        for _ in range(20):
            out.write(b" " * (1 << 20))
    return path


def _rows_past_limit(path: Path, plan: Plan) -> Path:
    data = inline_row(1, ["Task ID", "Status"]) + inline_row(MAX_ROWS + 1, [_ids(plan, 1)[0], "done"])
    return write_raw_xlsx(path, data)


def _not_a_spreadsheet_xlsx(path: Path, plan: Plan) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return path


def _zip_without_workbook(path: Path, plan: Plan) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def _binary_csv(path: Path, plan: Plan) -> Path:
    path.write_bytes(b"Task ID,Status\r\n\x00\x01\x02\x03 not text")
    return path


def _empty_csv(path: Path, plan: Plan) -> Path:
    path.write_bytes(b"")
    return path


def _empty_xlsx(path: Path, plan: Plan) -> Path:
    return write_xlsx(path, {"Sheet1": []})


def _password(path: Path, plan: Plan) -> Path:
    """What Excel writes for a workbook with a password: an OLE file holding the encrypted package."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>".ljust(4096, b" ")
    path.write_bytes(ole_file([("EncryptionInfo", info), ("EncryptedPackage", b"\x93" * 8192)]))
    return path


def _too_many_rows_csv(path: Path, plan: Plan) -> Path:
    task = _ids(plan, 1)[0]
    path.write_text("Task ID,Status\n" + f"{task},done\n" * MAX_ROWS, encoding="utf-8")
    return path


def _dayfirst_cp1252(path: Path, plan: Plan) -> Path:
    """Excel's "CSV" on a European Windows: ';' between cells, Windows-1252 text, day-first dates."""
    p1 = _ids(plan, 1)
    rows = [
        ["Task ID", "Status", "Progress", "Owner", "Start date", "Due date", "Notes"],
        [p1[3], "in progress", "60%", "Zoë Müller", "13/07/2026", "25/09/2026", "Revue prévue – comité"],
        [p1[4], "done", "100 %", "José Núñez", "01/07/2026", "31/08/2026", "Approuvé"],
    ]
    return write_csv(path, rows, delimiter=";", encoding="cp1252")


def _ambiguous_dates(path: Path, plan: Plan) -> Path:
    p1 = _ids(plan, 1)
    return write_csv(path, [["Task ID", "Due date"], [p1[5], "03/04/2026"], [p1[6], "05/06/2026"]])


def _titles_near_miss(path: Path, plan: Plan) -> Path:
    tasks = [plan.tasks[t] for t in _ids(plan, 2)[:3]]
    near = tasks[2].title.replace(" ", "  ", 1)[:-2] + "zz"  # a typo near the end: close, not equal
    rows = [
        ["Task", "State", "Done %", "Assignee", "Deadline"],
        [tasks[0].title.upper(), "wip", 30, "Aisha Khan", D(2026, 10, 1)],
        ["  " + tasks[1].title.replace(" ", "   ") + " ", "done", 100, "Owen Price", D(2026, 9, 1)],
        [near, "blocked", 10, "Raj Patel", None],
    ]
    return write_xlsx(path, {"Checklist": rows}, {"E": "yyyy-mm-dd"})


def _duplicates(path: Path, plan: Plan) -> Path:
    p1 = _ids(plan, 1)
    return write_csv(path, [["Task ID", "Status"], [p1[7], "done"], [p1[8], "wip"], [p1[7].lower(), "blocked"]])


def _unknown_ids(path: Path, plan: Plan) -> Path:
    p1 = _ids(plan, 1)
    near = p1[9][:-2] + p1[9][-1]  # P1.10 -> P1.0: a digit dropped
    return write_csv(path, [["Task ID", "Status"], [p1[9], "wip"], [near, "done"], ["X9.99", "done"]])


def _contradictory(path: Path, plan: Plan) -> Path:
    p1 = _ids(plan, 1)
    return write_csv(path, [["Task ID", "Status", "% complete"], [p1[10], "done", "40"], [p1[11], "wip", "50"]])


def _bom_csv(path: Path, plan: Plan) -> Path:
    p2 = _ids(plan, 2)
    rows = [["Task ID", "Status", "Owner"], [p2[3], "done", "Ana Lima"], [p2[4], "on hold", "Ben Carter"]]
    return write_csv(path, rows, encoding="utf-8-sig")


def _tab_csv(path: Path, plan: Plan) -> Path:
    p2 = _ids(plan, 2)
    rows = [["Task ID", "Status", "Notes"], [p2[5], "WIP", "Drafting, with comments; review next week"]]
    return write_csv(path, rows, delimiter="\t")


def _utf16_text(path: Path, plan: Plan) -> Path:
    p2 = _ids(plan, 2)
    return write_csv(path, [["Task ID", "Status"], [p2[6], "done"]], delimiter="\t", encoding="utf-16")


def _tracker_ods(path: Path, plan: Plan) -> Path:
    p3 = _ids(plan, 3)
    rows = [
        ["Task ID", "Status", "Progress", "Due"],
        [p3[0], "in progress", 0.5, D(2026, 12, 1)],
        [p3[1], "done", 1.0, D(2026, 11, 20)],
    ]
    return write_ods(path, "Tracker", rows)


def _ods_bomb(path: Path, plan: Plan) -> Path:
    row = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    repeated = f'<table:table-row table:number-rows-repeated="{MAX_ROWS * 2}">{row}</table:table-row>'
    return write_ods(path, "Tracker", [["Task ID", "Status"]], extra_rows=repeated)


def _tracker_xls(path: Path, plan: Plan) -> Path:
    p3 = _ids(plan, 3)
    rows = [["Task ID", "Status", "% complete", "Due date"], [p3[2], "wip", 35, D(2026, 12, 15)], [p3[3], "n/a"]]
    return write_xls(path, "Tracker", rows)


def _macros(path: Path, plan: Plan) -> Path:
    p3 = _ids(plan, 3)
    return write_raw_xlsx(path, inline_row(1, ["Task ID", "Status"]) + inline_row(2, [p3[4], "done"]), macros=True)


def _two_sheets(path: Path, plan: Plan) -> Path:
    p3 = _ids(plan, 3)
    sheets = {
        "Read me": [["How to fill this workbook"], ["Write the status of each task on the next sheet."]],
        "Tracker": [["ID", "Status", "Owner"], [p3[5], "done", "Chloe Martin"]],
        "Old": [["ID", "Status"], [p3[6], "done"]],
    }
    return write_xlsx(path, sheets)


def _blank_keeps(path: Path, plan: Plan) -> Path:
    p2 = _ids(plan, 2)
    return write_csv(path, [["Task ID", "Status", "Owner", "Due date", "Notes"], [p2[0], "", "", "", "new note"]])


FILES: dict[str, Callable[[Path, Plan], Path]] = {
    "title_rows_fractions.xlsx": _title_rows_fractions,
    "formulas.xlsx": _formulas,
    "huge_dimension.xlsx": _huge_dimension,
    "far_cell.xlsx": _far_cell,
    "zip_bomb.xlsx": _zip_bomb,
    "rows_past_limit.xlsx": _rows_past_limit,
    "not_a_spreadsheet.xlsx": _not_a_spreadsheet_xlsx,
    "zip_without_workbook.xlsx": _zip_without_workbook,
    "binary.csv": _binary_csv,
    "empty.csv": _empty_csv,
    "empty.xlsx": _empty_xlsx,
    "password.xlsx": _password,
    "too_many_rows.csv": _too_many_rows_csv,
    "dayfirst_cp1252.csv": _dayfirst_cp1252,
    "ambiguous_dates.csv": _ambiguous_dates,
    "titles_near_miss.xlsx": _titles_near_miss,
    "duplicates.csv": _duplicates,
    "unknown_ids.csv": _unknown_ids,
    "contradictory.csv": _contradictory,
    "bom.csv": _bom_csv,
    "tab.csv": _tab_csv,
    "unicode_text.txt": _utf16_text,
    "tracker.ods": _tracker_ods,
    "ods_bomb.ods": _ods_bomb,
    "tracker.xls": _tracker_xls,
    "macros.xlsm": _macros,
    "two_sheets.xlsx": _two_sheets,
    "blank_keeps.csv": _blank_keeps,
}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/spreadsheets/make_corpus.py OUT_DIR")
    for name, path in build(Path(sys.argv[1]), load_plan(ROOT / "phases")).items():
        print(f"{path.stat().st_size:>10}  {name}")
