"""A zip container (xlsx, xlsm, ods) checked before calamine opens it.

Its members are checked for number, size and compression ratio; it is told apart as calamine
tells it (xlsx, xlsb or ods); and the members calamine would read are found as calamine finds
them and checked the way it reads them (``xlsxscan``, ``xlsxwalks``, ``ods``), the text the
cells of an xlsx workbook copy from its shared strings bounded in all.
"""

from __future__ import annotations

import codecs
import html
import io
import zipfile
import zlib

from rollout.sheets.limits import DAMAGED_HINT, LIMITS_HINT, MAX_TEXT, TEXT_HINT, SpreadsheetError
from rollout.sheets.ods import check_ods
from rollout.sheets.xlsxscan import Part, check_worksheet
from rollout.sheets.xlsxwalks import shared_strings
from rollout.sheets.xmlwalk import Elements

MAX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_RATIO = 100  # zip bombs reach 1000:1; real sheets 5 to 30:1
RATIO_FLOOR = 1024 * 1024  # small members may compress better without harm
MAX_MEMBERS = 10_000
MAX_PART_LIST = 16 * 1024 * 1024  # a workbook's relationships or sheet list: a few kB in real files
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_SHEET_TYPES = (b"worksheet", b"chartsheet", b"dialogsheet")


def check_zip(data: bytes, file: str) -> None:
    """Refuse a zip whose members would blow up memory, before any parser sees it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_members(archive, file)
        kind = _container(archive, file)
        if kind == "xlsx":
            _check_xlsx(archive, file)
        elif kind == "ods":
            check_ods(archive, file)
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
def _check_xlsx(archive: zipfile.ZipFile, file: str) -> None:
    sheets, strings = _xlsx_parts(archive, file)
    lengths = shared_strings(archive, strings, file)
    text = sum(lengths)  # calamine holds every shared string once, then a copy in every cell using it
    _check_text(text, file, None)
    for part in sheets:
        text += check_worksheet(archive, part, lengths, MAX_TEXT - text, file)
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


def _xlsx_parts(archive: zipfile.ZipFile, file: str) -> tuple[list[Part], list[zipfile.ZipInfo]]:
    """The worksheets and the shared strings, found as calamine finds them (every candidate when in doubt)."""
    sheets, strings, found = [], [], False
    for folder in _workbook_folders(archive, file):
        relations = _part_elements(archive, f"{folder}_rels/workbook.xml.rels", "Relationship", file)
        found = found or bool(relations)
        names = _sheet_names(archive, folder, relations, file)
        for rel in relations:
            if rel.get(b"Type", b"").rsplit(b"/", 1)[-1] in _SHEET_TYPES:
                for path in _paths(folder, rel.get(b"Target", b"")):
                    sheets += [Part(info, names.get(path, info.filename)) for info in _members(archive, path)]
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
        walk = Elements(file, local, archive.read(info).removeprefix(codecs.BOM_UTF8))
        walk.parse([walk.xml], info.filename)
        found += walk.found
    return found
