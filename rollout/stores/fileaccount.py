"""Accounting for a data folder: which save is committed, whether the files agree, and the lock.

The commit record (``.commit``, JSON, replaced atomically) holds the last committed ``seq``, the
``seq`` of the last save that wrote progress, the number of progress rows that save left and, for
history.csv, the byte offset where its committed records end. It is written right after the save's
file (progress, or a record file) is renamed into place, so at rest either the files and the record
say the same save, or one file is exactly one save ahead (a crash between the two writes): progress
whose rows above the record's ``seq`` all carry the new ``seq``, with at least the recorded rows and
at most as many more as that save touched, or a record file whose last save is the next ``seq``.
Anything else is a folder the store cannot account for, and it refuses it before any write: a
progress file cut at a line boundary has too few rows, or lost its last save's ``seq``; a history
that ends below the committed ``seq`` lost committed changes; a history holding more than one save
above it was not left so by a save. Only then, and only rows of exactly the next ``seq``, does a save
move history rows aside: those of a save that crashed before its commit. The checks read the record,
the files' last ``seq`` and the ends of the history, so a save costs the same next to a history of a
thousand rows or a million. Damage strictly inside the history (its ends and length intact) is found
by every full read instead. A folder saved before the record existed is trusted as its files say,
and checked against the history's end; its next save writes the record.

Loads hold no lock, and tolerate what a concurrent save explains: they read the files before the
record, so the record is never more than one save behind what they read; when it is ahead and
progress was replaced meanwhile, what they read is the whole file of an earlier save. Damage seen
while the folder changed makes them read it again; only damage in a folder that stood still is
reported.

Savers take turns for the lock (turns.py), so one that saves again and again cannot keep another
waiting; a refusal after the timeout says whether other saves kept the lock busy or none finished.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import filelock
import pandas as pd

from rollout.fileio import atomic_write
from rollout.progress import Advice, StoreError
from rollout.records import SCHEMAS
from rollout.stores import fileformat, filerecords
from rollout.stores import filehistory as hist
from rollout.stores.base import Writing
from rollout.stores.turns import Turns

T = TypeVar("T")
COMMIT = ".commit"
READ_ATTEMPTS = 5


class ProgressDamaged(StoreError):
    """The progress file cannot be accounted for."""


class HistoryDamaged(StoreError):
    """The history cannot be accounted for."""


class BothFormats(StoreError):
    """progress.csv and progress.parquet side by side: a convert at work, or a mistake."""


class Changed(Exception):
    """A file changed while the folder was read (a save, convert or compaction at work): read it again.

    ``error`` is what to report when it keeps changing.
    """

    def __init__(self, error: StoreError):
        super().__init__(str(error))
        self.error = error


@dataclass
class Committed(Writing):
    """What accounting for a folder found: the saved rows and frame, the last committed save, the format."""

    saved: pd.DataFrame = None  # type: ignore[assignment]
    fmt: str = "csv"
    progress_seq: int = 0  # the last save that wrote progress
    kept: str = "progress"  # the name the previous progress file is kept under in backups/
    records: dict[str, pd.DataFrame] | None = None  # the record files, when read whole


class Accounting:
    """The commit record, the checks of a folder against it, and the lock; mixed into the file store."""

    folder: Path
    lock_timeout: float
    format: Callable[[], str]
    progress_path: Callable[..., Path]
    _history: Callable[[str], hist.CsvHistory | hist.ParquetHistory]
    backups: Callable[[], list[str]]
    history_backups: Callable[[], list[str]]

    # the lock ------------------------------------------------------------------
    def _lock(self) -> Turns:
        self.folder.mkdir(parents=True, exist_ok=True)
        return Turns(self.folder / ".lock", self.lock_timeout)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self._lock()
        before, start = self._record_seq(), time.monotonic()
        try:
            lock.acquire()
        except filelock.Timeout:
            raise StoreError(self._lock_refusal(before, time.monotonic() - start)) from None
        try:
            yield
        finally:
            lock.release()

    def _lock_refusal(self, before: int, waited: float) -> str:
        """What kept the lock: saves that came and went, or one holder the whole time."""
        lock, after = self.folder / ".lock", self._record_seq()
        if after > before:
            count = after - before if before >= 0 else "some"  # no record before: a folder of an earlier version
            return (
                f"{lock}: waited {waited:.1f} s for the lock while other saves kept it busy ({count} committed "
                "meanwhile); nothing was saved: try again"
            )
        return (
            f"{lock}: another save has held the lock for over {waited:.1f} s and no save finished meanwhile; "
            "nothing was saved. A long convert or compact may hold it: try again later; if no such command "
            "is running, a stuck process holds it and must be ended"
        )

    # the commit record -----------------------------------------------------------
    def _record(self) -> dict | None:
        """The commit record; None when there is none (a folder saved before it existed) or it does not read."""
        try:
            record = json.loads((self.folder / COMMIT).read_bytes())
        except (OSError, ValueError):
            return None
        whole = isinstance(record, dict) and all(type(record.get(k)) is int and record[k] >= 0 for k in ("seq", "rows"))
        return record if whole else None

    def _record_seq(self) -> int:
        record = self._record()
        return record["seq"] if record else -1

    def _write_record(self, seq: int, rows: int, fmt: str, progress_seq: int | None = None) -> None:
        """Not synced: the next save's sync of the folder makes it last, and a record a power cut loses or
        leaves empty reads as one save behind the files, or as none; both are accounted for."""
        record = {"seq": seq, "rows": rows, "progress": seq if progress_seq is None else progress_seq}
        if fmt == "csv":
            record["history_bytes"] = self._history("csv").committed_end(seq)
        atomic_write(self.folder / COMMIT, lambda temp: temp.write_text(json.dumps(record) + "\n"), durable=False)

    # accounting --------------------------------------------------------------------
    def _account(self, exact: bool, records: bool = False) -> Committed:
        """The saved rows and the last committed save, or a StoreError naming what cannot be accounted for.

        ``exact``: under the lock, nothing moves; without it a save may commit while we read.
        ``records``: read the record files whole too (a load), not only their last ``seq``.
        """
        fmt = self._format_now()
        path = self.progress_path(fmt)
        paths = {kind: filerecords.path_of(self.folder, schema, fmt) for kind, schema in SCHEMAS.items()}
        before = {p: _identity(p) for p in (path, *paths.values())}
        damaged = self._progress_damage
        saved = fileformat.typed(fileformat.read_raw(path, damaged), path, damaged) if before[path] else None
        frames = {kind: filerecords.read(p, SCHEMAS[kind]) for kind, p in paths.items()} if records else None
        tops = {kind: _top(frames[kind]) if frames else filerecords.last_seq(p) for kind, p in paths.items()}
        record = self._record()  # read after the files: it is never more than one save behind what was read
        moved = {p for p, identity in before.items() if _identity(p) != identity}
        progress_seq = self._progress_seq(saved, record, path, moved=path in moved)
        seq = self._committed(progress_seq, tops, record)
        if moved and seq > max(progress_seq, *tops.values()):  # a save committed while the files were read
            seq = max(progress_seq, *tops.values())
        self._check_history(fmt, seq, record, exact)
        if saved is None:
            saved = fileformat.typed(fileformat.no_rows(), path, damaged)
        return Committed(seq, fileformat.rows_of(saved), saved, fmt, progress_seq, records=frames)

    def _account_locked(self) -> Committed:
        try:
            return self._account(exact=True)
        except Changed as changed:  # under the lock nothing moves: what looked like a change is the state
            raise changed.error from None

    def _progress_seq(self, saved: pd.DataFrame | None, record: dict | None, path: Path, moved: bool) -> int:
        """The last save that wrote progress, when the commit record agrees with the file.

        ``moved``: progress was replaced while it was read (only ever without the lock): a record ahead
        of it then describes a later save, and what was read is the whole file of an earlier one.
        """
        if saved is None:
            if record and record.get("progress", record["seq"]):
                raise self._progress_damage(path, f"is missing, but change {record['seq']} was committed")
            return 0
        top = int(saved["seq"].max()) if len(saved) else 0
        if record is None:
            return top
        seq, rows, last = record["seq"], record["rows"], record.get("progress", record["seq"])
        if top == last and len(saved) == rows:
            return top
        if top == seq + 1 and rows <= len(saved) <= rows + int((saved["seq"] == top).sum()):
            return top  # committed; the crash came before its record was written
        if top < last and moved:
            return top
        raise self._progress_damage(
            path,
            f"damaged: it holds {len(saved)} rows up to change {top}, but change {last}, the last to write it, "
            f"left {rows} rows: rows were lost or changed outside the tool",
        )

    def _committed(self, progress_seq: int, tops: dict[str, int], record: dict | None) -> int:
        """The last committed save: the record's, or the next when one file already holds it."""
        if record is None:
            return max(progress_seq, *tops.values())
        seq = record["seq"]
        ahead = [kind for kind, top in tops.items() if top > seq]
        beyond = [kind for kind in ahead if tops[kind] > seq + 1]
        if beyond or len(ahead) + (progress_seq > seq) > 1:
            kind = (beyond or ahead)[0]
            path = filerecords.path_of(self.folder, SCHEMAS[kind], self._format_now())
            raise StoreError(
                f"{path}: holds change {tops[kind]}, but change {seq} is the last committed and no save leaves "
                "two files ahead of it; it was not changed"
            )
        return seq + 1 if ahead or progress_seq > seq else seq

    def _check_history(self, fmt: str, seq: int, record: dict | None, exact: bool) -> None:
        """The history's ends against the committed save; without a record, progress takes the blame."""
        history = self._history(fmt)
        where, progress = self.folder / ("history.csv" if fmt == "csv" else "history"), self.progress_path(fmt)
        try:
            last = history.last_seq() if history.exists() else 0
        except hist.HistoryError as exc:
            raise self._history_damage(str(exc)) from None
        if last < seq:
            if record is None:
                raise self._progress_damage(
                    progress, f"damaged: change {seq} is beyond the history ({where} ends at change {last})"
                )
            raise self._history_damage(f"{where}: ends at change {last}, but changes up to {seq} were committed")
        if exact and last > seq + 1:
            if record is None:
                raise self._progress_damage(
                    progress, f"damaged: it stops at change {seq}, but {where} holds committed changes up to {last}"
                )
            raise self._history_damage(f"{where}: holds changes {seq + 2} to {last}, which no save committed")
        if fmt == "csv" and record and "history_bytes" in record and last:
            end = history.committed_end(record["seq"])
            if end != record["history_bytes"]:
                raise self._history_damage(
                    f"{where}: change {record['seq']}, committed, ends at byte {end:,}, not at byte "
                    f"{record['history_bytes']:,} as saved: the file was cut or changed outside the tool"
                )

    def _format_now(self) -> str:
        try:
            return self.format()
        except BothFormats as exc:
            raise Changed(exc) from None

    def _read(self, look: Callable[[], T]) -> T:
        """``look()``, again when a file changed under it (a save, convert or compaction at work): damage
        seen while the folder changed may be a file caught between two writes, so only damage seen in a
        folder that stood still is reported."""
        for attempt in range(READ_ATTEMPTS):
            before = self.version()
            try:
                return look()
            except Changed as changed:
                error = changed.error
            except FileNotFoundError as exc:
                error = StoreError(
                    f"{exc.filename}: went away while it was read, {READ_ATTEMPTS} times; the data folder is "
                    "being changed (a convert or compact?): try again"
                )
            except StoreError as exc:
                if self.version() == before:
                    raise
                error = exc
            time.sleep(0.02 * (attempt + 1))
        raise error

    def version(self) -> tuple:
        marks = []
        for name in ("progress.csv", "progress.parquet", "history.csv", "history", COMMIT):
            path = self.folder / name
            stat = path.stat() if path.exists() else None
            marks.append((stat.st_mtime_ns, stat.st_size) if stat else None)
        return tuple(marks)

    # damage ---------------------------------------------------------------------
    def _progress_damage(self, path: Path, problem: str) -> ProgressDamaged:
        names = self.backups()
        listing = f"backups: {', '.join(names[-5:])} (newest last)" if names else "no backups exist yet"
        return ProgressDamaged(
            f"{path}: {problem}; it was not changed. {listing}", Advice("restore", names[-1]) if names else None
        )

    def _history_damage(self, problem: str) -> HistoryDamaged:
        try:
            names = self.history_backups()
        except StoreError:
            names = []
        listing = f"history backups: {', '.join(names[-3:])} (newest last)" if names else "no history backup exists"
        return HistoryDamaged(
            f"{problem}; it was not changed, and saves are refused until it is repaired. {listing}",
            Advice("restore", names[-1]) if names else None,
        )


def _top(frame: pd.DataFrame) -> int:
    return int(frame["seq"].max()) if len(frame) else 0


def _identity(path: Path) -> tuple | None:
    """What tells one version of a file from the next (a save renames a new file into place)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size
