"""Hostile spreadsheets: refused before a parser allocates for them, in every spelling calamine honours.

Each file is a few kilobytes written here. Without the checks, most of them make calamine allocate
gigabytes (a far cell: the whole rectangle up to it; a long shared string: a copy in every cell;
an ods file: its repeated rows, cells and spaces) and abort the process that reads them.
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from spreadsheets import make_corpus
from support import ROOT

from rollout.sheets import importer, spreadsheet, xmlwalk, zipcheck
from rollout.sheets.spreadsheet import SpreadsheetError, open_workbook
from rollout.stores.files import FileStore

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
X = ' xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
FAR = "<c r='A1'><v>1</v></c>{}<v>1</v></c>"  # a cell at A1, then one opened by the tag given
LONG = "x" * 1_000_000  # one shared string, just under the size past which the zip ratio is checked


def worksheet(body: str, root: str = "") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}{root}>{body}</worksheet>'


def far(tag: str, root: str = "") -> str:
    """A worksheet with a value at A1 and one in the cell opened by ``tag``."""
    return worksheet(f"<sheetData><row r='1'>{FAR.format(tag)}</row></sheetData>", root)


def xlsx(path: Path, sheet: str, members: dict[str, str] | None = None) -> Path:
    """A minimal workbook whose worksheet XML is ``sheet``, with members added or replaced."""
    make_corpus.write_raw_xlsx(path, "")
    return rewrite(path, {"xl/worksheets/sheet1.xml": sheet, **(members or {})})


def rewrite(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path) as archive:
        kept = {name: archive.read(name) for name in archive.namelist() if name not in members}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**kept, **members}.items():
            archive.writestr(name, data)
    return path


def shared(count: int, cell: str = '<c r="{ref}" t="s"><v>0</v></c>', strings: str = f"<si><t>{LONG}</t></si>"):
    """A worksheet of ``count`` cells, ten a row, all showing shared string 0, and the shared strings."""
    rows = "".join(
        "<row>" + "".join(cell.format(ref=f"{chr(65 + c)}{r + 1}") for c in range(10)) + "</row>"
        for r in range(count // 10)
    )
    return worksheet(f"<sheetData>{rows}</sheetData>"), {"xl/sharedStrings.xml": f"<sst {NS}>{strings}</sst>"}


def ods(path: Path, rows: str) -> Path:
    return make_corpus.write_ods(path, "Tracker", [["Task ID", "Status"]], extra_rows=rows)


ODS_FILLED = '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'


def moved_worksheet(path: Path) -> Path:
    """The relationships point calamine at a worksheet stored as an image, named in other capitals."""
    xlsx(path, worksheet("<sheetData/>"))
    with zipfile.ZipFile(path) as archive:
        rels = archive.read("xl/_rels/workbook.xml.rels").replace(b"worksheets/sheet1.xml", b"media/image1.png")
    return rewrite(path, {"xl/_rels/workbook.xml.rels": rels, "XL/Media/Image1.PNG": far('<c r="XFD1048576">')})


def moved_workbook(path: Path) -> Path:
    """xl/workbook.xml is harmless, but the package points calamine at book/workbook.xml."""
    xlsx(path, worksheet("<sheetData/>"))
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in ("_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")}
    return rewrite(
        path,
        {
            "_rels/.rels": members["_rels/.rels"].replace(b"xl/workbook.xml", b"book/workbook.xml"),
            "book/workbook.xml": members["xl/workbook.xml"],
            "book/_rels/workbook.xml.rels": members["xl/_rels/workbook.xml.rels"],
            "book/worksheets/sheet1.xml": far('<c r="XFD1048576">'),
        },
    )


def excel_97_and_zip(path: Path) -> Path:
    zipped = xlsx(path.with_suffix(".xlsx"), far('<c r="XFD1048576">')).read_bytes()
    path.write_bytes(spreadsheet.OLE_MAGIC + bytes(504) + zipped)
    return path


ROW_1048576 = "reaches row 1048576 with cell XFD1048576"
# name: (writer, what the refusal says)
HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "far_cell_single_quotes.xlsx": (lambda p: xlsx(p, far("<c r='XFD1048576'>")), ROW_1048576),
    "far_cell_spaces_around_equals.xlsx": (lambda p: xlsx(p, far('<c r = "XFD1048576">')), ROW_1048576),
    "far_cell_tab_before_r.xlsx": (lambda p: xlsx(p, far('<c\tr="XFD1048576">')), ROW_1048576),
    "far_cell_lower_case.xlsx": (lambda p: xlsx(p, far('<c r="xfd1048576">')), ROW_1048576),
    "far_cell_leading_zeros.xlsx": (lambda p: xlsx(p, far('<c r="XFD0001048576">')), ROW_1048576),
    "far_cell_character_reference.xlsx": (lambda p: xlsx(p, far('<c r="&#88;FD1048576">')), ROW_1048576),
    "far_cell_prefixed_elements.xlsx": (
        lambda p: xlsx(
            p,
            worksheet('<x:sheetData><x:row><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row></x:sheetData>', X),
        ),
        ROW_1048576,
    ),
    "far_row_then_a_cell_without_r.xlsx": (
        lambda p: xlsx(p, worksheet('<sheetData><row r="1048576"><c><v>1</v></c></row></sheetData>')),
        "reaches row 1048576 with cell A1048576",
    ),
    "cells_without_r_past_the_columns.xlsx": (
        lambda p: xlsx(p, worksheet("<sheetData><row>" + "<c><v>1</v></c>" * 201 + "</row></sheetData>")),
        "reaches column GS with cell GS1",
    ),
    "row_number_past_32_bits.xlsx": (lambda p: xlsx(p, far('<c r="B4294967297">')), "reaches row 4294967297"),
    "r_attribute_twice.xlsx": (lambda p: xlsx(p, far('<c r="B1" r="XFD1048576">')), "duplicate attribute"),
    "r_attribute_after_a_quote.xlsx": (lambda p: xlsx(p, far('<c t="n"r="XFD1048576">')), "not well-formed XML"),
    "prefixed_r_attribute.xlsx": (
        lambda p: xlsx(p, far('<c x:r="XFD1048576">', X)),
        "prefixed r attribute",
    ),
    "dimension_in_single_quotes.xlsx": (
        lambda p: xlsx(p, worksheet("<dimension ref = 'A1:XFD1048576'/><sheetData/>")),
        "declares the range A1:XFD1048576",
    ),
    "dimension_prefixed.xlsx": (
        lambda p: xlsx(p, worksheet('<x:dimension ref="A1:XFD1048576"/><sheetData/>', X)),
        "declares the range A1:XFD1048576",
    ),
    "rectangle_past_the_cells.xlsx": (
        lambda p: xlsx(p, far('<c r="GR100000">')),
        "spans 100,000 rows and 200 columns, more than 5,000,000 cells",
    ),
    "worksheet_stored_as_an_image.xlsx": (moved_worksheet, ROW_1048576),
    "workbook_in_another_folder.xlsx": (moved_workbook, ROW_1048576),
    "excel_97_and_zip.xls": (excel_97_and_zip, "is an Excel 97 file and a zip archive at once"),
    "binary_workbook.xlsx": (
        lambda p: rewrite(xlsx(p, worksheet("<sheetData/>")), {"xl/workbook.bin": b"\x83\x01\x00"}),
        "is an Excel binary workbook (.xlsb)",
    ),
    "excel_and_opendocument.xlsx": (
        lambda p: rewrite(xlsx(p, worksheet("<sheetData/>")), {"mimetype": zipcheck.ODS_MIMETYPE, "content.xml": ""}),
        "holds both an Excel workbook and an OpenDocument spreadsheet",
    ),
    "shared_string_copied_300_times.xlsx": (
        lambda p: xlsx(p, *shared(300)),
        "would expand to up to 301 MB of text",
    ),
    "shared_string_copied_into_unusual_cells.xlsx": (
        lambda p: xlsx(p, *shared(300, cell="<c t='s'><v>0</v></c>")),
        "would expand to up to 301 MB of text",
    ),
    "shared_string_hidden_inside_another.xlsx": (
        lambda p: xlsx(p, *shared(300, strings=f"<si><t>a<si/>{LONG}</t></si><si><t>b</t></si>")),
        "would expand to up to 301 MB of text",
    ),
    "shared_strings_announced_by_the_trillion.xlsx": (
        lambda p: xlsx(p, shared(10)[0], {"xl/sharedStrings.xml": f'<sst {NS} uniqueCount="100000000000000"/>'}),
        "counts 100,000,000,000,000 shared strings",
    ),
    "ods_rows_in_single_quotes.ods": (
        lambda p: ods(p, f"<table:table-row table:number-rows-repeated='1000000'>{ODS_FILLED}</table:table-row>"),
        "repeats filled rows to 1,000,001 rows",
    ),
    "ods_empty_rows_then_a_filled_one.ods": (
        lambda p: ods(
            p,
            '<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>'
            f"<table:table-row>{ODS_FILLED}</table:table-row>",
        ),
        "repeats empty rows before a filled one to 1,048,002 rows",
    ),
    "ods_repeated_cells_with_a_value.ods": (
        lambda p: ods(
            p,
            '<table:table-row table:number-rows-repeated="5000"><table:table-cell '
            'table:number-columns-repeated="5000" office:value-type="float" office:value="1"/></table:table-row>',
        ),
        "repeats a filled cell to column 5,000",
    ),
    "ods_rectangle_past_the_cells.ods": (
        lambda p: ods(
            p,
            '<table:table-row><table:table-cell table:number-columns-repeated="200" office:value="1"/>'
            "</table:table-row>"
            '<table:table-row table:number-rows-repeated="30000"><table:table-cell/></table:table-row>'
            f"<table:table-row>{ODS_FILLED}</table:table-row>",
        ),
        "spans 30,003 rows and 200 columns",
    ),
    "ods_repeated_spaces.ods": (
        lambda p: ods(
            p,
            '<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="100" '
            'office:value-type="string"><text:p><text:s text:c="10000000"/></text:p></table:table-cell>'
            "</table:table-row>",
        ),
        "would expand to up to",
    ),
}


@pytest.fixture
def store(tmp_path, bundled_plan) -> FileStore:
    return FileStore(tmp_path / "data", list(bundled_plan.tasks))


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_with_a_message_naming_the_problem(tmp_path, bundled_plan, store, name):
    write, says = HOSTILE[name]
    path = write(tmp_path / name)
    assert path.stat().st_size < 20_000
    with pytest.raises(SpreadsheetError) as caught:
        importer.preview_import(path, bundled_plan, store)
    assert says in str(caught.value) and str(caught.value).startswith(f"{name}: ")
    assert "--" not in str(caught.value), "a web user cannot act on a command-line flag"
    assert not store.folder.exists()


def test_the_text_limit_is_named_in_the_refusal(tmp_path):
    path = xlsx(tmp_path / "bomb.xlsx", *shared(300))
    with pytest.raises(SpreadsheetError, match="the import reads at most 200 MB of cell text"):
        open_workbook(path)


CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a safety net: a blow-up fails fast
from rollout.sheets.spreadsheet import SpreadsheetError, open_workbook
refused = None
try:
    book = open_workbook(sys.argv[1], sys.argv[2])
    for sheet in book.sheet_names:
        book.grid(sheet)
except SpreadsheetError as exc:
    refused = str(exc)
print(json.dumps({"refused": refused, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def read_in_child(path: Path | str, name: str) -> dict:
    """Read a file as the import does, in a child: a crash, a hang or a blow-up cannot take pytest down."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), name], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 0, f"{name}: the reader died ({child.returncode}): {child.stderr[-2000:]}"
    return json.loads(child.stdout)


@pytest.mark.slow
def test_every_hostile_file_is_refused_in_a_child_that_stays_small(tmp_path):
    for name, (write, says) in HOSTILE.items():
        result = read_in_child(write(tmp_path / name), name)
        assert says in (result["refused"] or ""), f"{name}: {result}"
        assert result["rss"] < 500e6, f"{name}: peak memory {result['rss'] / 1e6:.0f} MB"


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_a_device_is_refused_without_being_read(tmp_path, kind):
    path = tmp_path / "progress.csv"
    os.mkfifo(path) if kind == "fifo" else path.symlink_to("/dev/zero")
    result = read_in_child(path, path.name)
    assert "is not a regular file (a folder, a device or a pipe); it was not read" in (result["refused"] or "")


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs /proc")
def test_no_more_than_the_limit_is_read_from_a_file_that_says_it_is_empty(monkeypatch):
    # /proc files say they hold 0 bytes and go on: only the limit and one byte are read
    monkeypatch.setattr(spreadsheet, "MAX_FILE_BYTES", 1000)
    with pytest.raises(SpreadsheetError, match=r"is 0\.0 MB; the import reads files up to"):
        open_workbook(Path("/proc/self/smaps"), "smaps.csv")


# what is not hostile still reads ---------------------------------------------------------
def grid(path: Path) -> list[list]:
    book = open_workbook(path)
    return book.grid(book.sheet_names[0]).rows


def test_cells_and_rows_without_r_land_where_calamine_puts_them(tmp_path):
    rows = '<row><c t="inlineStr"><is><t>Task ID</t></is></c><c><v>2</v></c></row><row r="3"><c><v>5</v></c></row>'
    assert grid(xlsx(tmp_path / "plain.xlsx", worksheet(f"<sheetData>{rows}</sheetData>"))) == [
        ["Task ID", 2.0],
        ["", ""],
        [5.0, ""],
    ]


def test_an_empty_cell_far_away_is_not_refused(tmp_path):
    # calamine keeps only cells with a value: a formatted empty cell at XFD1048576 allocates nothing
    cells = '<row r="1"><c r="A1"><v>1</v></c><c r="XFD1048576" s="1"/></row>'
    assert grid(xlsx(tmp_path / "styled.xlsx", worksheet(f"<sheetData>{cells}</sheetData>"))) == [[1.0]]


def test_rich_shared_strings_and_wide_sheets_read(tmp_path):
    strings = "<si><r><t>Pro</t></r><r><rPr><b/></rPr><t>cédure</t></r></si><si><t xml:space='preserve'> x </t></si>"
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="AD1" t="s"><v>1</v></c></row>'
    path = xlsx(
        tmp_path / "rich.xlsx",
        worksheet(f"<sheetData>{cells}</sheetData>"),
        {"xl/sharedStrings.xml": f"<sst {NS}>{strings}</sst>"},
    )
    rows = grid(path)
    assert rows[0][0] == "Procédure" and rows[0][29] == " x " and len(rows[0]) == 30


def test_a_worksheet_in_the_usual_form_is_checked_without_the_element_walk(corpus_files, monkeypatch):
    def refuse(*_):
        raise AssertionError("the usual form is checked with regular expressions")

    monkeypatch.setattr(xmlwalk.Walk, "run", refuse)
    for path in corpus_files:
        grid(path)


@pytest.fixture
def corpus_files(tmp_path, bundled_plan) -> list[Path]:
    names = ["title_rows_fractions.xlsx", "two_sheets.xlsx", "formulas.xlsx", "macros.xlsm"]
    return [make_corpus.FILES[n](tmp_path / n, bundled_plan) for n in names]


def test_a_shared_string_number_too_long_for_python_is_no_shared_string(tmp_path):
    # Python refuses to read a number of more than 4,300 digits; calamine finds no such string
    cells = f'<row r="1"><c r="A1" t="s"><v>{"9" * 5000}</v></c><c r="B1"><v>1</v></c></row>'
    path = xlsx(
        tmp_path / "long.xlsx",
        worksheet(f"<sheetData>{cells}</sheetData>"),
        {"xl/sharedStrings.xml": f"<sst {NS}><si><t>x</t></si></sst>"},
    )
    assert grid(path)[0][1] == 1.0


def test_text_that_looks_like_markup_is_neither_refused_nor_slow(tmp_path):
    # 160 kB of '"<" ' in a CDATA section of the relationships (which calamine skips), or 20 kB of
    # spaces in a tag, took regular expressions minutes; a cell may say ':dimension ' without being
    # one; a declared range too long to read is only a hint to calamine, which reserves room for
    # 100,000 cells at most
    cells = '<row r="1"><c r="A1" t="inlineStr"><is><t>Data:dimension check</t></is></c></row>'
    path = xlsx(tmp_path / "odd.xlsx", worksheet(f'<dimension ref="A1:A{"9" * 5000}"/><sheetData>{cells}</sheetData>'))
    with zipfile.ZipFile(path) as archive:
        rels = archive.read("xl/_rels/workbook.xml.rels")
    cdata = b"<![CDATA[<a " + b'"<" ' * 40_000 + b"<]]></Relationships>"
    rels = rels.replace(b"</Relationships>", cdata).replace(b'.xml"/>', b'.xml"' + b" " * 20_000 + b"/>")
    rewrite(path, {"xl/_rels/workbook.xml.rels": codecs.BOM_UTF8 + rels})
    assert read_in_child(path, path.name)["refused"] is None
    assert grid(path) == [["Data:dimension check"]]


# csv ---------------------------------------------------------------------------------------
def test_one_stray_windows_1252_byte_leaves_the_rest_of_the_utf8_text_alone():
    data = "Task ID,Notes\nP1.01,Procédure\n".encode() + b"P1.02,caf\xe9 cr\xe8me\n"
    assert open_workbook(data, "notes.csv").grid("notes").rows == [
        ["Task ID", "Notes"],
        ["P1.01", "Procédure"],
        ["P1.02", "café crème"],
    ]


def test_broken_utf16_is_refused_as_such():
    with pytest.raises(SpreadsheetError, match="is not valid UTF-16 text"):
        open_workbook(b"\xff\xfeT\x00a\x00\x00\xd8", "unicode.txt")
