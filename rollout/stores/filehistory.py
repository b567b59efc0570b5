"""The append-only change log, as one CSV file or as Parquet part files.

A save appends its rows (with the save's ``seq``) and syncs them before progress is
committed. Rows above the committed ``seq`` come from a save that crashed before its
commit: loads ignore them and the next save moves them aside into backups/.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rollout.fileio import atomic_write, is_temp, sync_file

COLUMNS = ["seq", "at", "by", "source", "task_id", "field", "old", "new", "recorded_at"]
# a log written before recorded_at existed: it reads recorded_at as at, and gains the column on its next save
EARLIER_COLUMNS = COLUMNS[:-1]
SCHEMA = pa.schema([("seq", pa.int64())] + [(c, pa.string()) for c in COLUMNS[1:]])
# pandas keeps its strings as arrow large_string: reading them as such spares a cast of every column
READ_SCHEMA = pa.schema([("seq", pa.int64())] + [(c, pa.large_string()) for c in COLUMNS[1:]])
# Every field is quoted, so a quote inside a value is doubled: a physical line that starts
# with '"<digits>","' can only be the start of a record, never a line inside a value.
_RECORD_START = re.compile(rb'^"(\d+)","', re.MULTILINE)
_PART = re.compile(r"^part-(\d+)\.parquet$")
_TAIL_CHUNK = 1 << 16


class HistoryError(Exception):
    """The history cannot be read; names the file."""


def empty() -> pd.DataFrame:
    return SCHEMA.empty_table().to_pandas()


class CsvHistory:
    def __init__(self, path: Path):
        self.path = path

    def exists(self) -> bool:
        return self.path.exists()

    def width(self) -> int:
        """The number of columns of the file's records, told by its header line."""
        with open(self.path, "rb") as f:
            header = f.readline()
        return len(EARLIER_COLUMNS) if header.rstrip(b"\r\n") == _header(EARLIER_COLUMNS) else len(COLUMNS)

    def upgrade(self) -> None:
        """Rewrite a log of the earlier columns with recorded_at (= at), once, before it is appended to."""
        if self.exists() and self.path.stat().st_size and self.width() == len(EARLIER_COLUMNS):
            frame = self.read(None)
            atomic_write(self.path, lambda temp: write_csv(frame, temp))

    def committed_end(self, committed: int | None) -> int:
        """The byte offset just after the last record with seq <= committed (None: the last whole record)."""
        size, width = self.path.stat().st_size, self.width()
        window = _TAIL_CHUNK
        with open(self.path, "rb") as f:
            while True:
                start = max(0, size - window)
                f.seek(start)
                tail = f.read()
                # a match at the window's first byte may sit mid-line; it counts only at the file's start
                starts = [m for m in _RECORD_START.finditer(tail) if m.start() > 0 or start == 0]
                kept = [m for m in starts if committed is None or int(m.group(1)) <= committed]
                while committed is None and kept and not _record_length(tail[kept[-1].start() :], width):
                    kept.pop()  # a torn last record
                if kept:
                    begin = kept[-1].start()
                    return start + begin + _record_length(tail[begin:], width)
                if start == 0:
                    header_end = tail.find(b"\n") + 1
                    return header_end if tail.startswith(b'"seq"') else 0
                window *= 2

    def append(self, rows: pd.DataFrame, committed: int, backups: Path, stamp: str) -> None:
        self.upgrade()
        if self.path.exists():
            end = self.committed_end(committed)
            if end < self.path.stat().st_size:
                self._set_aside(end, backups, stamp)
        new = not self.path.exists() or self.path.stat().st_size == 0
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
        if new:
            writer.writerow(COLUMNS)
        writer.writerows(_records(rows))
        with open(self.path, "ab") as f:
            f.write(buffer.getvalue().encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        if new:
            sync_file(self.path.parent)

    def _set_aside(self, end: int, backups: Path, stamp: str) -> None:
        """Move the bytes of a crashed save out of the log, into backups/, keeping them."""
        backups.mkdir(exist_ok=True)
        with open(self.path, "rb+") as f:
            f.seek(end)
            (backups / f"history-uncommitted-{stamp}.csv").write_bytes(f.read())
            f.truncate(end)
            f.flush()
            os.fsync(f.fileno())

    def read(self, committed: int | None) -> pd.DataFrame:
        if not self.path.exists():
            return empty()
        end = self.committed_end(committed)
        if end == 0:
            return empty()
        try:
            # mapped, not read: the committed bytes are parsed where they lie instead of being copied
            with pa.memory_map(str(self.path)) as source:
                table = pacsv.read_csv(
                    source.read_buffer(end),
                    parse_options=pacsv.ParseOptions(newlines_in_values=True),
                    convert_options=pacsv.ConvertOptions(
                        column_types=READ_SCHEMA,
                        strings_can_be_null=False,
                        include_columns=COLUMNS,
                        include_missing_columns=True,
                    ),
                )
        except (pa.ArrowInvalid, KeyError) as exc:
            raise HistoryError(f"{self.path}: not a history file of this tool ({exc})") from None
        return _with_recorded_at(table).to_pandas()


def _header(columns: list[str]) -> bytes:
    return ",".join(f'"{c}"' for c in columns).encode()


def _with_recorded_at(table: pa.Table) -> pa.Table:
    """recorded_at filled from at where a log written before it existed left it empty."""
    recorded = table["recorded_at"]
    if recorded.null_count == 0:
        return table
    filled = pc.if_else(pc.is_null(recorded), table["at"], recorded)
    return table.set_column(table.schema.get_field_index("recorded_at"), "recorded_at", filled)


def _record_length(data: bytes, width: int = len(COLUMNS)) -> int:
    """Length of the first complete CSV record in ``data`` (0 when it is torn)."""
    text = data.decode("utf-8", errors="replace")
    lines = io.StringIO(text, newline="")
    consumed = 0

    def counting():
        nonlocal consumed
        for line in lines:
            consumed += len(line.encode("utf-8", errors="replace"))
            yield line

    reader = csv.reader(counting())
    try:
        record = next(reader)
    except (StopIteration, csv.Error):
        return 0
    if len(record) != width or not data[:consumed].endswith(b"\n"):
        return 0
    return consumed


class ParquetHistory:
    def __init__(self, folder: Path):
        self.folder = folder

    def exists(self) -> bool:
        return self.folder.is_dir() and any(self._parts())

    def _parts(self) -> list[tuple[int, Path]]:
        if not self.folder.is_dir():
            return []
        parts = [(int(m.group(1)), p) for p in self.folder.iterdir() if (m := _PART.match(p.name))]
        return sorted(parts)

    def append(self, rows: pd.DataFrame, committed: int, backups: Path, stamp: str) -> None:
        self.folder.mkdir(exist_ok=True)
        for number, path in self._parts():
            if number > committed:
                backups.mkdir(exist_ok=True)
                os.replace(path, backups / f"history-uncommitted-{stamp}-{path.name}")
        seq = int(rows["seq"].iloc[0])
        table = pa.Table.from_pandas(rows[COLUMNS], schema=SCHEMA, preserve_index=False)
        atomic_write(self.folder / f"part-{seq:06d}.parquet", lambda temp: pq.write_table(table, temp))

    def read(self, committed: int) -> pd.DataFrame:
        tables, covered = [], 0
        for number, path in self._parts():
            if number > committed or number <= covered:
                continue  # uncommitted, or already inside a merged part
            try:
                table = _read_part(path)
            except (pa.ArrowInvalid, OSError, KeyError) as exc:
                raise HistoryError(f"{path}: cannot be read as a history part ({exc})") from None
            tables.append(table)
            covered = max(covered, pc.max(table["seq"]).as_py() or number)
        if not tables:
            return empty()
        table = pa.concat_tables(tables)
        if covered > committed:  # filtered in arrow, and only when needed: a pandas mask copies every column
            table = table.filter(pc.less_equal(table["seq"], committed))
        return table.to_pandas()

    def compact(self, committed: int) -> int:
        """Merge the committed parts into one; returns how many parts were merged."""
        parts = [(n, p) for n, p in self._parts() if n <= committed]
        if len(parts) < 2:
            return 0
        table = pa.Table.from_pandas(self.read(committed), schema=SCHEMA, preserve_index=False)
        first = parts[0][1]
        atomic_write(first, lambda temp: pq.write_table(table, temp))
        for _, path in parts[1:]:
            path.unlink()
        sync_file(self.folder)
        return len(parts)

    def remove_temps(self) -> None:
        for path in self.folder.iterdir() if self.folder.is_dir() else []:
            if is_temp(path):
                path.unlink(missing_ok=True)


def _read_part(path: Path) -> pa.Table:
    return _with_recorded_at(pq.read_table(path, schema=READ_SCHEMA))  # a missing column reads as nulls


def _records(frame: pd.DataFrame) -> list[list]:
    """Rows as plain Python values: iterating arrow-backed strings row by row is slow."""
    return frame[COLUMNS].to_numpy(dtype=object).tolist()


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(_records(frame))
    path.write_text(buffer.getvalue(), encoding="utf-8")
    sync_file(path)


def write_parquet(frame: pd.DataFrame, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    table = pa.Table.from_pandas(frame[COLUMNS], schema=SCHEMA, preserve_index=False)
    first = int(frame["seq"].min()) if len(frame) else 1
    atomic_write(folder / f"part-{first:06d}.parquet", lambda temp: pq.write_table(table, temp))
