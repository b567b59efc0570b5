"""Members of a workbook read as calamine reads them: element by element with expat, strictly, and the
attributes, numbers and texts calamine takes from them.

What is not well-formed XML, and what declares a document type, is refused.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterable
from typing import Any
from xml.parsers import expat

from rollout.sheets.limits import DAMAGED_HINT, LIMITS_HINT, SpreadsheetError

CHUNK = 1 << 20
# possessive (*+): these never backtrack, so that no text makes them slow
TAG_REST = re.compile(rb"""(?:[^<>"']|"[^"]*+"|'[^']*+')*+>""")
_ATTRIBUTE = re.compile(rb"""([^=]*+)=\s*+(?:"([^"]*+)"|'([^']*+)')""")


class Walk:
    """One member read with expat, strictly (no DTD, well-formed XML only), its events handed to a subclass.

    Bytes are read as Latin-1, one character each: the markup stays as calamine sees it in any
    ASCII-based encoding, and a length of text is a length in bytes. A UTF-8 byte order mark,
    which calamine skips, is skipped.
    """

    def __init__(self, file: str, sheet: str | None = None):
        self.file, self.sheet = file, sheet

    def run(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        with archive.open(info) as stream:
            self.parse(iter(lambda: stream.read(CHUNK), b""), info.filename)

    def parse(self, chunks: Iterable[bytes], name: str) -> None:
        self.parser = parser = expat.ParserCreate(encoding="ISO-8859-1")
        parser.buffer_text = True
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = self._doctype
        try:
            for index, chunk in enumerate(chunks):
                parser.Parse(chunk.removeprefix(codecs.BOM_UTF8) if index == 0 else chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError as exc:
            self.refuse(
                f"{name} is not well-formed XML (line {exc.lineno}, column {exc.offset + 1}: "
                f"{expat.ErrorString(exc.code)})",
                DAMAGED_HINT,
            )

    def _doctype(self, *_: Any) -> None:
        self.refuse("declares a document type (a DTD), which a workbook never needs", DAMAGED_HINT)

    def refuse(self, message: str, hint: str = LIMITS_HINT) -> None:
        raise SpreadsheetError(f"{message}; it was not opened", file=self.file, sheet=self.sheet, hint=hint)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def local_name(name: str) -> str:
    return name.split(":", 1)[-1]  # the name after its prefix, as calamine's XML reader gives it


class Elements(Walk):
    """The raw attributes of the elements of one local name (calamine reads some of them undecoded)."""

    def __init__(self, file: str, local: str, xml: bytes):
        super().__init__(file)
        self.local, self.xml = local, xml
        self.found: list[dict[bytes, bytes]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if local_name(name) == self.local:  # well-formed: its tag ends at the first '>' outside quotes
            rest = TAG_REST.match(self.xml, self.parser.CurrentByteIndex + 1 + len(name))
            self.found.append(attributes(rest.group(0) if rest else b""))


def attributes(text: bytes) -> dict[bytes, bytes]:
    """Attributes split as calamine splits them: a name up to "=" (spaces around it dropped), a value in quotes."""
    found, position = {}, 0
    while match := _ATTRIBUTE.match(text, position):  # one after the other, until one does not parse
        found[match.group(1).strip()] = match.group(2) if match.group(2) is not None else match.group(3)
        position = match.end()
    return found


def shown(text: str) -> str:
    """A text from the file, cut short enough for a message."""
    return text if len(text) <= 40 else text[:37] + "..."


def whole_number(value: str) -> int | None:
    """The whole number calamine's parsers read in a text, or None; one past every limit stays past them."""
    digits = value.strip(" \t\r\n").lstrip("+")
    if not (digits.isascii() and digits.isdigit()):
        return None
    return int(digits) if len(digits) < 19 else 10**18
