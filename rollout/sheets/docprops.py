"""When a workbook was last saved, as it says itself: the modified date of an xlsx's core properties, or an
ods's meta date. Only a convenience (it tells values changed in the tool since apart), so anything odd is None."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from rollout.sheets.limits import SpreadsheetError
from rollout.sheets.xmlwalk import Walk, local_name

MEMBERS = {"docProps/core.xml": "modified", "meta.xml": "date"}  # xlsx, ods: the element holding the date
MAX_BYTES = 1 << 20  # a few hundred bytes in real files


class _Date(Walk):
    def __init__(self, local: str):
        super().__init__("")
        self.local, self.inside, self.found = local, False, ""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.inside = local_name(name) == self.local and not self.found

    def end(self, name: str) -> None:
        self.inside = False

    def text(self, data: str) -> None:
        if self.inside:
            self.found += data


def saved_on(data: bytes) -> dt.datetime | None:
    """The date and time (UTC) a zip workbook says it was saved; call after the zip was checked."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for member, local in MEMBERS.items():
            info = next((i for i in archive.infolist() if i.filename == member), None)
            if info is not None and info.file_size <= MAX_BYTES:
                walk = _Date(local)
                walk.parse([archive.read(info)], member)
                return _utc(walk.found)
    except (zipfile.BadZipFile, OSError, SpreadsheetError):
        return None
    return None


def _utc(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
