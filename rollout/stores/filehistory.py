"""The append-only change log, as one CSV file or as Parquet part files.

A save appends its rows (with the save's ``seq``) and syncs them before progress is
committed. Rows above the committed ``seq`` come from a save that crashed before its
commit: loads ignore them and the next save moves them aside into backups/. Only one
save's rows can be in that state; anything else above the committed ``seq`` is damage,
and no committed row is ever moved.

Each file is opened once per read, so that a save renaming a new file into place, or a
compaction removing parts, gives a reader the old file or the new one, never a mix; a
part that vanished between listing and reading raises FileNotFoundError for the caller
to read again.

History backups (see files.py) are copies made by ``copy_to`` and kept up to date by
``extend``, which appends only what the copy lacks.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rollout.fileio import atomic_write, is_temp, sync, sync_file

COLUMNS = ["seq", "at", "by", "source", "task_id", "field", "old", "new", "recorded_at"]
# a log written before recorded_at existed: it reads recorded_at as at, and gains the column on its next save
EARLIER_COLUMNS = COLUMNS[:-1]
SCHEMA = pa.schema([("seq", pa.int64())] + [(c, pa.string()) for c in COLUMNS[1:]])
# pandas keeps its strings as arrow large_string: reading them as such spares a cast of every column
READ_SCHEMA = pa.schema([("seq", pa.int64())] + [(c, pa.large_string()) for c in COLUMNS[1:]])
# Every field is quoted, so a quote inside a value is doubled: a physical line that starts
# with '"<digits>","' can only be the start of a record, never a line inside a value.
_RECORD_START = re.compile(rb'^"(\d+)","', re.MULTILINE)
_HEADER_START = b'"seq",'
_PART = re.compile(r"^part-(\d+)\.parquet$")
_TAIL_CHUNK = 1 << 12  # the last records are found in the file's last few kilobytes, the window doubling else
_COMPARED = 4096  # bytes compared to tell that a backup is still a copy of the file's start


class HistoryError(Exception):
    """The history cannot be read; names the file."""


def empty() -> pd.DataFrame:
    return SCHEMA.empty_table().to_pandas()


def check_sequence(frame: pd.DataFrame, committed: int, where: Path) -> None:
    """Committed saves are numbered 1, 2, 3...: a gap or a disorder means rows were lost or changed."""
    seq = frame["seq"].to_numpy()
    if not len(seq):
        if committed:
            raise HistoryError(f"{where}: holds no change, but changes 1 to {committed} were committed")
        return
    steps = np.diff(seq)
    bad = np.flatnonzero((steps != 0) & (steps != 1))
    if seq[0] != 1 or len(bad) or seq[-1] != committed:
        after = 0 if seq[0] != 1 else int(seq[bad[0]]) if len(bad) else int(seq[-1])
        raise HistoryError(
            f"{where}: change {after + 1} is missing or out of place, though changes 1 to {committed} were committed"
        )


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

    def upgrade(self, committed: int) -> None:
        """Rewrite a log of the earlier columns with recorded_at (= at), once, before it is appended to."""
        if self.exists() and self.path.stat().st_size and self.width() == len(EARLIER_COLUMNS):
            frame = self.read(committed)
            atomic_write(self.path, lambda temp: write_csv(frame, temp))

    def _last_start(self, wanted) -> tuple[int, bytes] | None:
        """The offset and the bytes from there of the file's last record start whose seq ``wanted`` accepts."""
        size = self.path.stat().st_size
        window = _TAIL_CHUNK
        with open(self.path, "rb") as f:
            if size and f.read(len(_HEADER_START)) != _HEADER_START:
                raise HistoryError(f"{self.path}: not a history file of this tool (its first line is not the header)")
            while True:
                start = max(0, size - window)
                f.seek(start)
                tail = f.read(size - start)
                # a match at the window's first byte may sit mid-line; it counts only at the file's start
                starts = [m for m in _RECORD_START.finditer(tail) if (m.start() > 0 or start == 0)]
                kept = [m for m in starts if wanted(int(m.group(1)))]
                if kept:
                    return start + kept[-1].start(), tail[kept[-1].start() :]
                if start == 0:
                    return None
                window *= 2

    def last_seq(self) -> int:
        """The seq of the last record, whole or torn; 0 when there is none."""
        found = self._last_start(lambda seq: True)
        return int(_RECORD_START.match(found[1]).group(1)) if found else 0

    def committed_end(self, committed: int) -> int:
        """The byte offset just after the last record with seq <= committed."""
        found = self._last_start(lambda seq: seq <= committed)
        if found:
            return found[0] + _record_length(found[1], self.width())
        with open(self.path, "rb") as f:
            head = f.read(_TAIL_CHUNK)
        return head.find(b"\n") + 1 if head.startswith(_HEADER_START) else 0

    def append(self, rows: pd.DataFrame, committed: int, backups: Path, stamp: str) -> None:
        if self.path.exists():
            end = self.committed_end(committed)
            if end < self.path.stat().st_size:
                self._set_aside(end, committed, backups, stamp)
            self.upgrade(committed)
        new = not self.path.exists() or self.path.stat().st_size == 0
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
        if new:
            writer.writerow(COLUMNS)
        writer.writerows(_records(rows))
        with open(self.path, "ab") as f:
            f.write(buffer.getvalue().encode("utf-8"))
            f.flush()
            sync(f.fileno())
        if new:
            sync_file(self.path.parent)

    def _set_aside(self, end: int, committed: int, backups: Path, stamp: str) -> None:
        """Move the bytes of a crashed save out of the log, into backups/, keeping them."""
        with open(self.path, "rb+") as f:
            f.seek(end)
            tail = f.read()
            others = {int(m.group(1)) for m in _RECORD_START.finditer(tail)} - {committed + 1}
            if others:
                raise HistoryError(
                    f"{self.path}: after change {committed}, the last committed, it holds changes "
                    f"{', '.join(map(str, sorted(others)))}, which no save left there"
                )
            backups.mkdir(exist_ok=True)
            atomic_write(backups / f"history-uncommitted-{stamp}.csv", lambda temp: temp.write_bytes(tail))
            f.truncate(end)
            f.flush()
            sync(f.fileno())

    def read(self, committed: int) -> pd.DataFrame:
        if not self.path.exists():
            return empty()
        end = self.committed_end(committed)
        if end == 0:
            return empty()
        try:
            # mapped, not read: the committed bytes are parsed where they lie instead of being copied
            with pa.memory_map(str(self.path)) as source:
                return parse_csv(source.read_buffer(end))
        except HistoryError as exc:
            raise HistoryError(f"{self.path}: {exc}") from None

    # backups ------------------------------------------------------------------------
    def copy_to(self, target: Path, committed: int) -> None:
        """A new copy of the committed records, written atomically."""
        end = self.committed_end(committed)
        atomic_write(target, lambda temp: _copy_bytes(self.path, temp, 0, end))

    def extend(self, copy: CsvHistory, committed: int) -> bool:
        """Append to ``copy`` the committed records it lacks; False when it is no longer a copy of this file's start."""
        end = self.committed_end(committed)
        try:
            have = copy.committed_end(committed)
        except (HistoryError, OSError):
            return False
        start = max(0, have - _COMPARED)
        if have > end or _bytes(self.path, start, have) != _bytes(copy.path, start, have):
            return False
        with open(copy.path, "rb+") as out:
            out.truncate(have)  # a torn record a crash left at its end
            out.seek(have)
            with open(self.path, "rb") as source:
                source.seek(have)
                out.write(source.read(end - have))
            out.flush()
            sync(out.fileno())  # the copy a restore relies on: whole on the disk, as the history is
        return True

    def is_whole(self) -> bool:
        """Cheaply: it starts with the header and ends on a whole record."""
        try:
            return self.path.stat().st_size == self.committed_end(self.last_seq()) > 0
        except (HistoryError, OSError):
            return False


def _bytes(path: Path, start: int, end: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(end - start)


def _copy_bytes(source: Path, target: Path, start: int, end: int) -> None:
    with open(source, "rb") as src, open(target, "wb") as out:
        src.seek(start)
        left = end - start
        while left > 0:
            chunk = src.read(min(left, 1 << 20))
            if not chunk:
                break
            out.write(chunk)
            left -= len(chunk)


def parse_csv(data: pa.Buffer | bytes) -> pd.DataFrame:
    """History records as CSV (a header, then every field quoted), as the log's frame."""
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=READ_SCHEMA, strings_can_be_null=False, include_columns=COLUMNS,
                include_missing_columns=True,
            ),
        )  # fmt: skip
    except (pa.ArrowInvalid, KeyError) as exc:
        raise HistoryError(f"not a history file of this tool ({exc})") from None
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

    def last_seq(self) -> int:
        """The largest seq of the last part (0 when there is none), from its footer."""
        parts = self._parts()
        if not parts:
            return 0
        path = parts[-1][1]
        try:
            with pa.OSFile(str(path)) as source:
                meta = pq.ParquetFile(source).metadata
                stats = [meta.row_group(i).column(0).statistics for i in range(meta.num_row_groups)]
                if all(s is not None and s.has_min_max for s in stats):
                    return max((s.max for s in stats), default=parts[-1][0])
                return pc.max(pq.read_table(source, columns=["seq"])["seq"]).as_py() or parts[-1][0]
        except (pa.ArrowInvalid, pa.ArrowIOError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise HistoryError(f"{path}: cannot be read as a history part ({exc})") from None

    def append(self, rows: pd.DataFrame, committed: int, backups: Path, stamp: str) -> None:
        self.folder.mkdir(exist_ok=True)
        for number, path in self._parts():
            if number > committed + 1:
                raise HistoryError(f"{path}: change {number} is above {committed + 1}, the next save; no save left it")
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
            tables.append(_read_part(path))
            covered = max(covered, pc.max(tables[-1]["seq"]).as_py() or number)
        if not tables:
            return empty()
        table = pa.concat_tables(tables)
        if covered > committed:  # filtered in arrow, and only when needed: a pandas mask copies every column
            table = table.filter(pc.less_equal(table["seq"], committed))
        return table.to_pandas()

    def compact(self, committed: int) -> int:
        """Merge the committed parts into one; returns how many parts were merged.

        The merged part replaces the first one before the others go: a reader then sees either the old
        parts or the merged one, whose rows cover the rest (read skips covered parts).
        """
        parts = [(n, p) for n, p in self._parts() if n <= committed]
        if len(parts) < 2:
            return 0
        frame = self.read(committed)
        check_sequence(frame, committed, self.folder)  # a damaged history is reported, never merged
        table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
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

    # backups ------------------------------------------------------------------------
    def copy_to(self, target: Path, committed: int) -> None:
        """A new copy of the committed parts: made beside, then renamed into place whole."""
        temp = target.with_name(f".{target.name}.tmp")
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir(parents=True)
        ParquetHistory(temp).extend_from(self, committed)
        os.replace(temp, target)
        sync_file(target.parent)

    def extend(self, copy: ParquetHistory, committed: int) -> bool:
        """Copy into ``copy`` the committed parts it lacks; False when it is no longer a copy of this history."""
        if not copy.folder.is_dir():
            return False
        try:
            return copy.extend_from(self, committed)
        except (HistoryError, OSError):
            return False

    def extend_from(self, source: ParquetHistory, committed: int) -> bool:
        have = self.last_seq()
        if have > committed:
            return False
        for number, path in source._parts():
            if have < number <= committed:  # parts are never changed once written: a copy stays true
                atomic_write(self.folder / path.name, lambda temp, path=path: shutil.copyfile(path, temp))
        return True

    def is_whole(self) -> bool:
        """Cheaply: it has parts and the last one's footer reads."""
        try:
            return bool(self._parts()) and self.last_seq() > 0
        except (HistoryError, OSError):
            return False


def _read_part(path: Path) -> pa.Table:
    """One part, through a single open file: a part replaced meanwhile is read old or new, never mixed."""
    try:
        with pa.OSFile(str(path)) as source:
            return _with_recorded_at(pq.read_table(source, schema=READ_SCHEMA))  # a missing column reads as nulls
    except FileNotFoundError:
        raise
    except (pa.ArrowInvalid, OSError) as exc:
        raise HistoryError(f"{path}: cannot be read as a history part ({exc})") from None


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
