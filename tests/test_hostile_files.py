"""Hostile spreadsheet files: a pipe, a device or a file larger than it says is never read without bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from rollout import spreadsheet
from rollout.spreadsheet import SpreadsheetError, open_workbook

CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))  # a safety net: a blow-up fails fast
from rollout.spreadsheet import SpreadsheetError, open_workbook
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
