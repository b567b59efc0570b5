"""The file store: progress in progress.csv or progress.parquet, the history beside it, under one lock.

A save, under the lock: account for the folder (below), check revisions, validate, append the
history rows and fsync, write progress to a temporary file, fsync, keep the old one in
backups/ (itself written through a temporary file), atomic rename; then write the commit
record and bring the history backup up to date.

The commit record (``.commit``, JSON, replaced atomically) holds the last committed ``seq``,
the number of progress rows that save left and, for history.csv, the byte offset where its
committed records end. It is written right after progress is renamed into place, so at rest
either both say the same save, or progress is exactly one save ahead (a crash between the two
writes): then progress's rows above the record's ``seq`` all carry the new ``seq``, and it has
at least the recorded rows and at most as many more as that save touched. Anything else is a
folder the store cannot account for, and it refuses it before any write: a progress file cut
at a line boundary has too few rows, or lost the last save's ``seq``; a history that ends
below the committed ``seq`` lost committed changes; a history holding more than one save above
it was not left so by a save. Only then, and only rows of exactly the next ``seq``, does a save
move history rows aside: those of a save that crashed before its commit. The checks read the
record, the progress file and the ends of the history, so a save costs the same next to a
history of a thousand rows or a million. Damage strictly inside the history (its ends and
length intact) is found by every full read instead (the pages, `history`, restore, convert,
compact); a save appending to such a file loses nothing, its backup holding the same rows
whole. A folder saved before the record existed is trusted as progress says, and checked
against the history's end; its next save writes the record.
Loads run the same checks, tolerating what a concurrent save explains (they hold no lock):
they read progress before the record, so the record is never more than one save behind what
they read; when it is ahead and progress was replaced meanwhile, what they read is the whole
file of an earlier save, and they use it as such.

History backups: the history only grows, so its backup is a copy that grows with it. Copying
the whole history on every save would make a save's cost grow with the history; instead a
save appends to the newest backup only what it lacks (its own rows: a CSV's new bytes, or the
new Parquet part, which is never changed once written, so its copy stays true). A new backup
is started by one full copy only when there is none, or the newest no longer matches the
history's start (compared on the bytes before its end), or the format changed; the last 20
are kept. ``backups/history-<stamp>.csv``, or a folder ``backups/history-<stamp>/`` of parts.
Restoring one puts a copy of it in place of the damaged history, which is kept in backups/
as ``history-damaged-<stamp>``; it needs no reading of the damaged file, and adds no history
row, since no value changes. A progress backup restores as a new save; when the progress file
itself is damaged, the committed state it replaces is rebuilt from the history, and the
damaged file is kept as ``progress-damaged-<stamp>``.

Readers open each file once, so a file replaced meanwhile is read old or new, never mixed. A
file that vanished while the folder was read, or damage seen while the folder changed (a save,
convert or compaction at work), makes them read the whole folder again; only damage in a
folder that stood still is reported.

Savers take turns for the lock (turns.py), so one that saves again and again cannot keep
another waiting; a refusal after the timeout says whether other saves kept the lock busy or
none finished.

Symbolic links among the store's files are refused for writes: the atomic rename would turn
the link into a plain file and leave the file it points to stale, outside the lock's folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import filelock
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rollout import values
from rollout.fileio import atomic_write, is_temp, sync_file
from rollout.progress import (
    COLUMNS,
    INT_COLUMNS,
    Advice,
    ChangeError,
    Conflict,
    ConflictError,
    SaveResult,
    Snapshot,
    StoreError,
    apply_change,
    default_row,
    diff_rows,
    text_of,
    utc_stamp,
)
from rollout.stores import filehistory as hist
from rollout.stores.base import Store
from rollout.stores.turns import Turns

T = TypeVar("T")
FORMATS = ("csv", "parquet")
KEEP_BACKUPS = 20
LOCK_TIMEOUT = 10.0
READ_ATTEMPTS = 5
COMMIT = ".commit"
# the data folder's own entries, present or to come; no command but the store's writes them
OWN_NAMES = ("history.csv", "history", "backups", ".lock", ".queue", COMMIT, "mappings.yaml")
RECORD_STEMS = ("progress", "assessments", "findings", "decisions")
_STAMP = r"\d{8}T\d{12}Z"
_PROGRESS_BACKUP = re.compile(rf"^progress-{_STAMP}\.(csv|parquet)$")
_HISTORY_BACKUP = {"csv": re.compile(rf"^history-{_STAMP}\.csv$"), "parquet": re.compile(rf"^history-{_STAMP}$")}
_CSV_HEADER = (",".join(COLUMNS) + "\n").encode()
ARROW_SCHEMA = pa.schema(
    [
        ("task_id", pa.string()),
        ("status", pa.string()),
        ("percent", pa.int64()),
        ("owner", pa.string()),
        ("start", pa.date32()),
        ("due", pa.date32()),
        ("evidence", pa.string()),
        ("notes", pa.string()),
        ("updated_at", pa.string()),
        ("updated_by", pa.string()),
        ("revision", pa.int64()),
        ("seq", pa.int64()),
    ]
)


class _ProgressDamaged(StoreError):
    """The progress file cannot be accounted for."""


class _HistoryDamaged(StoreError):
    """The history cannot be accounted for."""


class _BothFormats(StoreError):
    """progress.csv and progress.parquet side by side: a convert at work, or a mistake."""


class _Changed(Exception):
    """A file changed while the folder was read (a save, convert or compaction at work): read it again.

    ``error`` is what to report when it keeps changing.
    """

    def __init__(self, error: StoreError):
        super().__init__(str(error))
        self.error = error


@dataclass
class _Committed:
    """What accounting for a folder found: the saved rows and the last committed save."""

    saved: pd.DataFrame
    seq: int
    fmt: str


class FileStore(Store):
    """Progress in ``progress.csv`` or ``progress.parquet``; history beside it."""

    def __init__(self, folder: str | Path, task_ids: Sequence[str], lock_timeout: float = LOCK_TIMEOUT):
        self.folder = Path(folder)
        self.task_ids = list(task_ids)
        self.lock_timeout = lock_timeout

    # files ---------------------------------------------------------------------
    def progress_path(self, fmt: str | None = None) -> Path:
        return self.folder / f"progress.{fmt or self.format()}"

    @property
    def backup_dir(self) -> Path:
        return self.folder / "backups"

    def format(self) -> str:
        present = [f for f in FORMATS if (self.folder / f"progress.{f}").exists()]
        if len(present) == 2:
            raise _BothFormats(
                f"{self.folder}: both progress.csv and progress.parquet exist; keep the one in use "
                "(the newer, or the one history/ or history.csv matches) and move the other away"
            )
        if present:
            return present[0]
        return "parquet" if (self.folder / "history").is_dir() else "csv"

    def _history(self, fmt: str) -> hist.CsvHistory | hist.ParquetHistory:
        return self._history_at(fmt, self.folder / ("history.csv" if fmt == "csv" else "history"))

    @staticmethod
    def _history_at(fmt: str, path: Path) -> hist.CsvHistory | hist.ParquetHistory:
        return hist.CsvHistory(path) if fmt == "csv" else hist.ParquetHistory(path)

    def version(self) -> tuple:
        marks = []
        for name in ("progress.csv", "progress.parquet", "history.csv", "history", COMMIT):
            path = self.folder / name
            stat = path.stat() if path.exists() else None
            marks.append((stat.st_mtime_ns, stat.st_size) if stat else None)
        return tuple(marks)

    def require_folder(self) -> None:
        """Refuse a data folder that does not exist: a misspelt path would otherwise become a new, empty store."""
        if not self.folder.is_dir():
            raise StoreError(f"{self.folder}: no such data folder; create it first or check the spelling")

    def holds(self, path: str | Path) -> bool:
        """True when ``path`` is, or lies inside, one of the data folder's own files or folders, present or to
        come (progress.*, history, backups/, .lock, mappings.yaml, the record files), whatever the path's
        symbolic links, relative parts or other names for the same file: no command may write there."""
        target = Path(path).resolve()
        chain = (target, *target.parents)
        folder = self.folder.resolve()
        if any(part.parent == folder and _is_own_name(part.name) for part in chain):
            return True
        entries = self._own_entries()
        if any(entry.resolve() in chain for entry in entries):
            return True
        return target.exists() and any(_same_file(target, entry) for entry in entries)

    def _own_entries(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return [p for p in self.folder.iterdir() if _is_own_name(p.name)]

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

    # accounting for the folder ---------------------------------------------------
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

    def _write_record(self, seq: int, rows: int, fmt: str) -> None:
        """Not synced: the next save's sync of the folder makes it last, and a record a power cut loses or
        leaves empty reads as one save behind progress, or as none; both are accounted for."""
        record = {"seq": seq, "rows": rows}
        if fmt == "csv":
            record["history_bytes"] = self._history("csv").committed_end(seq)
        atomic_write(self.folder / COMMIT, lambda temp: temp.write_text(json.dumps(record) + "\n"), durable=False)

    def _account(self, exact: bool) -> _Committed:
        """The saved rows and the last committed save, or a StoreError naming what cannot be accounted for.

        ``exact``: under the lock, nothing moves; without it a save may commit while we read.
        """
        try:
            fmt = self.format()
        except _BothFormats as exc:
            raise _Changed(exc) from None
        path = self.progress_path(fmt)
        before = _identity(path)
        saved = _typed(_read_raw(path, self), path, self) if before else None
        record = self._record()  # read after progress: it is never more than one save behind what was read
        seq = self._committed(saved, record, path, moved=_identity(path) != before)
        self._check_history(fmt, seq, record, exact)
        return _Committed(saved if saved is not None else _typed(_no_rows(), path, self), seq, fmt)

    def _committed(self, saved: pd.DataFrame | None, record: dict | None, path: Path, moved: bool) -> int:
        """The last committed save: progress's, when the commit record agrees with it.

        ``moved``: progress was replaced while it was read (only ever without the lock): a record ahead
        of it then describes a later save, and what was read is the whole file of an earlier one.
        """
        if saved is None:
            if record and record["seq"]:
                raise self._progress_damage(path, f"is missing, but change {record['seq']} was committed")
            return 0
        top = int(saved["seq"].max()) if len(saved) else 0
        if record is None:
            return top
        seq, rows = record["seq"], record["rows"]
        if top == seq and len(saved) == rows:
            return top
        if top == seq + 1 and rows <= len(saved) <= rows + int((saved["seq"] == top).sum()):
            return top  # committed; the crash came before its record was written
        if top < seq and moved:
            return top
        raise self._progress_damage(
            path,
            f"damaged: it holds {len(saved)} rows up to change {top}, but change {seq}, the last committed, "
            f"left {rows} rows: rows were lost or changed outside the tool",
        )

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

    def _account_locked(self) -> _Committed:
        try:
            return self._account(exact=True)
        except _Changed as changed:  # under the lock nothing moves: what looked like a change is the state
            raise changed.error from None

    def _read(self, look: Callable[[], T]) -> T:
        """``look()``, again when a file changed under it (a save, convert or compaction at work): damage
        seen while the folder changed may be a file caught between two writes, so only damage seen in a
        folder that stood still is reported."""
        for attempt in range(READ_ATTEMPTS):
            before = self.version()
            try:
                return look()
            except _Changed as changed:
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

    def _progress_damage(self, path: Path, problem: str) -> _ProgressDamaged:
        names = self.backups()
        listing = f"backups: {', '.join(names[-5:])} (newest last)" if names else "no backups exist yet"
        return _ProgressDamaged(
            f"{path}: {problem}; it was not changed. {listing}", Advice("restore", names[-1]) if names else None
        )

    def _history_damage(self, problem: str) -> _HistoryDamaged:
        try:
            names = self.history_backups()
        except StoreError:
            names = []
        listing = f"history backups: {', '.join(names[-3:])} (newest last)" if names else "no history backup exists"
        return _HistoryDamaged(
            f"{problem}; it was not changed, and saves are refused until it is repaired. {listing}",
            Advice("restore", names[-1]) if names else None,
        )

    # reading -------------------------------------------------------------------
    def load(self) -> Snapshot:
        state = self._read(lambda: self._account(exact=False))
        saved = state.saved
        known = pd.DataFrame({"task_id": self.task_ids})
        joined = known.merge(saved, on="task_id", how="left")
        for name, default in default_row("").items():
            if name != "task_id" and name not in values.DATE_FIELDS:
                joined[name] = joined[name].fillna(default)
        for name in INT_COLUMNS:
            joined[name] = joined[name].astype("int64")
        # object dtype: isin on arrow-backed strings is an order of magnitude slower
        orphans = saved[~saved["task_id"].astype(object).isin(self.task_ids)]
        frame = pd.concat([joined, orphans], ignore_index=True) if len(orphans) else joined
        frame["orphaned"] = [False] * len(joined) + [True] * len(orphans)
        return Snapshot(frame, state.seq, state.fmt, orphans["task_id"].tolist())

    def history(self, task_id: str | None = None, committed: int | None = None) -> pd.DataFrame:
        def look() -> pd.DataFrame:
            if committed is None:
                state = self._account(exact=False)
                fmt, seq = state.fmt, state.seq
            else:
                fmt, seq = self._format_now(), committed
            return self._events(fmt, seq)

        frame = self._read(look)
        if task_id is not None:
            frame = frame[frame["task_id"] == task_id].reset_index(drop=True)
        return frame

    def _format_now(self) -> str:
        try:
            return self.format()
        except _BothFormats as exc:
            raise _Changed(exc) from None

    def _events(self, fmt: str, seq: int) -> pd.DataFrame:
        """The committed history up to ``seq``, checked whole: changes 1 to ``seq``, in order."""
        history = self._history(fmt)
        try:
            frame = history.read(seq)
            hist.check_sequence(frame, seq, self.folder / ("history.csv" if fmt == "csv" else "history"))
        except hist.HistoryError as exc:
            raise self._history_damage(str(exc)) from None
        return frame

    def backups(self) -> list[str]:
        """Progress backups that read as whole files, oldest first; one cut short is not offered."""
        return [n for n in self._names(_PROGRESS_BACKUP) if _is_whole_progress(self.backup_dir / n)]

    def history_backups(self) -> list[str]:
        """History backups of the format in use that end whole, oldest first."""
        fmt = self.format()
        names = self._names(_HISTORY_BACKUP[fmt])
        return [n for n in names if self._history_at(fmt, self.backup_dir / n).is_whole()]

    def restorable(self) -> list[str]:
        """What ``restore`` takes now: the progress backups, and the history backups when the history is damaged."""
        try:
            self.history()
        except _HistoryDamaged:
            return self.backups() + self.history_backups()
        except StoreError:
            pass
        return self.backups()

    def _names(self, pattern: re.Pattern) -> list[str]:
        if not self.backup_dir.is_dir():
            return []
        return sorted(p.name for p in self.backup_dir.iterdir() if pattern.match(p.name))

    # writing -------------------------------------------------------------------
    def save(self, changes, revisions, by, source, at=None) -> SaveResult:
        at = at or dt.datetime.now(dt.UTC)
        unfit = values.text_problem(by)
        if unfit:  # the name goes into every export as updated_by, and into terminals
            raise StoreError(f"the name of who made the change ({by!r}) {unfit}; nothing was saved")
        with self._locked():
            self._prepare_write()
            state = self._account_locked()
            rows = {r["task_id"]: r for r in _rows(state.saved)}
            self._check_revisions(changes, revisions or {}, rows)
            known, problems, updates = set(self.task_ids), [], {}
            for task_id, change in changes.items():
                if task_id not in known:
                    problems.append((task_id, "", "is not a task of the plan"))
                    continue
                try:
                    updates[task_id] = apply_change(rows.get(task_id, default_row(task_id)), change)
                except ChangeError as exc:
                    problems.extend(exc.problems)
            if problems:
                raise ChangeError(problems)
            return self._commit(state.seq, state.fmt, rows, updates, by, source, at)

    def _check_revisions(self, changes, revisions, rows) -> None:
        conflicts = []
        for task_id, change in changes.items():
            current = rows.get(task_id, default_row(task_id))
            loaded = revisions.get(task_id)
            if loaded is not None and int(loaded) != current["revision"]:
                conflicts.append(
                    Conflict(
                        task_id,
                        int(loaded),
                        current["revision"],
                        current["updated_by"],
                        current["updated_at"],
                        {f: text_of(current[f]) for f in values.FIELDS},
                        {f: values.normalise_text(text_of(v)) for f, v in change.items()},
                    )
                )
        if conflicts:
            raise ConflictError(conflicts)

    def _prepare_write(self) -> None:
        """Before any write: refuse symbolic links among the store's files, and clear what a crash left."""
        linked = [p.name for p in self._own_entries() if p.is_symlink()]
        if linked:
            raise StoreError(
                f"{self.folder}: {', '.join(linked)}: a symbolic link; the store replaces its files by renaming "
                "new ones into place, which would turn the link into a plain file and leave the file it points "
                "to behind. Put the file itself in the data folder (or link the whole folder); nothing was written"
            )
        for folder in (self.folder, self.folder / "history", self.backup_dir):
            for path in folder.iterdir() if folder.is_dir() else []:
                if is_temp(path):
                    _remove(path)

    def _commit(
        self, committed: int, fmt: str, rows: dict, updates: dict, by: str, source: str, at: dt.datetime,
        kept: str = "progress",
    ) -> SaveResult:  # fmt: skip
        """Append the history (synced), replace progress atomically, then record the commit; the order makes a
        crash safe. ``kept``: the name the previous progress file is kept under in backups/."""
        seq, stamp, changes = committed + 1, utc_stamp(at), []
        for task_id, new in updates.items():
            old = rows.get(task_id, default_row(task_id))
            diffs = diff_rows(old, new)
            if not diffs:
                continue
            changes.extend((seq, stamp, by, source, task_id, f, o, n) for f, o, n in diffs)
            rows[task_id] = {**new, "updated_at": stamp, "updated_by": by, "revision": old["revision"] + 1, "seq": seq}
        if not changes:
            return SaveResult(committed, [], 0)
        file_stamp = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        try:
            self._history(fmt).append(
                pd.DataFrame(changes, columns=hist.COLUMNS), committed, self.backup_dir, file_stamp
            )
        except hist.HistoryError as exc:
            raise self._history_damage(str(exc)) from None
        self._write_progress(list(rows.values()), fmt, backup=f"{kept}-{file_stamp}.{fmt}")
        self._write_record(seq, len(rows), fmt)
        self._back_up_history(fmt, seq, file_stamp)
        return SaveResult(seq, sorted({c[4] for c in changes}), len(changes))

    def _write_progress(self, rows: list[dict], fmt: str, backup: str | None) -> None:
        path = self.progress_path(fmt)
        frame = pd.DataFrame(rows, columns=COLUMNS)

        def keep_previous() -> None:
            if backup and path.exists():
                self.backup_dir.mkdir(exist_ok=True)
                # not synced: a backup a power cut leaves short is not offered (backups() checks)
                atomic_write(self.backup_dir / backup, lambda temp: shutil.copyfile(path, temp), durable=False)
                for old in self._names(_PROGRESS_BACKUP)[:-KEEP_BACKUPS]:
                    (self.backup_dir / old).unlink(missing_ok=True)

        atomic_write(path, lambda temp: _write_frame(frame, temp, fmt), before_replace=keep_previous)

    def _back_up_history(self, fmt: str, seq: int, stamp: str) -> None:
        """Bring the newest history backup up to change ``seq``, appending what it lacks, or start a new one."""
        live = self._history(fmt)
        names = self._names(_HISTORY_BACKUP[fmt])
        try:
            if names and live.extend(self._history_at(fmt, self.backup_dir / names[-1]), seq):
                return
            self.backup_dir.mkdir(exist_ok=True)
            live.copy_to(self.backup_dir / f"history-{stamp}{'.csv' if fmt == 'csv' else ''}", seq)
        except (OSError, hist.HistoryError):
            return  # the save is committed; the next one brings the backup up to date
        for old in names[: max(0, len(names) + 1 - KEEP_BACKUPS)]:
            _remove(self.backup_dir / old)

    # restoring -------------------------------------------------------------------
    def restore(self, name: str, by: str) -> SaveResult:
        if any(p.match(name) for p in _HISTORY_BACKUP.values()):
            return self._restore_history(name)
        if name not in self.backups():
            listing = ", ".join(self.backups()[-5:]) or "none yet"
            raise StoreError(f"no backup named {name!r} in {self.backup_dir}; backups: {listing}")
        path = self.backup_dir / name
        try:
            backup = _typed(_read_raw(path, self), path, self)
        except _ProgressDamaged as exc:  # its advice would name the newest backup, perhaps this very one
            raise StoreError(f"{exc}; choose another backup") from None
        with self._locked():
            self._prepare_write()
            try:
                state = self._account_locked()
            except _ProgressDamaged:
                committed, fmt, rows = self._replayed()
                kept = "progress-damaged"
            else:
                committed, fmt, kept = state.seq, state.fmt, "progress"
                rows = {r["task_id"]: r for r in _rows(state.saved)}
            wanted = {r["task_id"]: r for r in _rows(backup)}
            updates = {
                t: {**rows.get(t, default_row(t)), **{f: wanted.get(t, default_row(t))[f] for f in values.FIELDS}}
                for t in set(rows) | set(wanted)
            }
            return self._commit(committed, fmt, rows, updates, by, f"restore:{name}", dt.datetime.now(dt.UTC), kept)

    def _replayed(self) -> tuple[int, str, dict[str, dict]]:
        """The committed state rebuilt from the history alone, for a progress file that cannot be read."""
        fmt, record = self.format(), self._record()
        history = self._history(fmt)
        try:  # without a record (a folder saved before it existed) the history's end is the last commit
            seq = record["seq"] if record else history.last_seq() if history.exists() else 0
        except hist.HistoryError as exc:
            raise self._history_damage(str(exc)) from None
        self._check_history(fmt, seq, record, exact=True)
        return seq, fmt, _replay(self._events(fmt, seq))

    def _restore_history(self, name: str) -> SaveResult:
        with self._locked():
            self._prepare_write()
            fmt = self.format()
            if name not in self.history_backups():
                listing = ", ".join(self.history_backups()) or "none"
                raise StoreError(
                    f"no history backup named {name!r} in {self.backup_dir} for {fmt}; ones that read whole: {listing}"
                )
            seq, rows = self._committed_without_history(fmt)
            where = self.folder / ("history.csv" if fmt == "csv" else "history")
            try:
                self._check_history(fmt, seq, self._record(), exact=True)
                self._events(fmt, seq)
            except _HistoryDamaged:
                pass
            else:
                raise StoreError(f"{where}: reads whole (changes 1 to {seq}); nothing to restore")
            backup = self._history_at(fmt, self.backup_dir / name)
            try:
                hist.check_sequence(backup.read(seq), seq, self.backup_dir / name)
            except hist.HistoryError as exc:
                raise StoreError(f"{exc}: {name} cannot replace the history; nothing was changed") from None
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            kept = self.backup_dir / f"history-damaged-{stamp}{'.csv' if fmt == 'csv' else ''}"
            if where.exists():
                os.replace(where, kept)
            backup.copy_to(where, seq)
            sync_file(self.folder)
            if rows is not None:
                self._write_record(seq, rows, fmt)
            return SaveResult(
                seq,
                [],
                0,
                repaired=f"{where} restored from {name} (changes 1 to {seq}); the damaged one kept as {kept}",
            )

    def _committed_without_history(self, fmt: str) -> tuple[int, int | None]:
        """The last committed save and its progress rows (None if unknown), read from progress and the record only."""
        record = self._record()
        path = self.progress_path(fmt)
        try:
            saved = _typed(_read_raw(path, self), path, self) if path.exists() else None
            seq = self._committed(saved, record, path, moved=False)
            return seq, len(saved) if saved is not None else 0
        except _ProgressDamaged:
            if record is None:
                raise
            return record["seq"], None

    # changing the format ----------------------------------------------------------
    def convert(self, to: str) -> str:
        """Rewrite progress and history in the other format without changing a value."""
        if to not in FORMATS:
            raise StoreError(f"unknown format {to!r}; expected csv or parquet")
        with self._locked():
            self._prepare_write()
            state = self._account_locked()
            old = state.fmt
            if old == to:
                return f"{self.folder} already uses {to}"
            events = self._events(old, state.seq)
            if to == "csv":
                atomic_write(self.folder / "history.csv", lambda temp: hist.write_csv(events, temp))
            elif len(events):
                hist.write_parquet(events, self.folder / "history")
            # readers finding both progress files, or a file gone, read again: the switch is this rename
            self._write_progress(_rows(state.saved), to, backup=None)
            self._write_record(state.seq, len(state.saved), to)
            self.progress_path(old).unlink(missing_ok=True)
            if old == "csv":
                (self.folder / "history.csv").unlink(missing_ok=True)
            else:
                shutil.rmtree(self.folder / "history", ignore_errors=True)
            sync_file(self.folder)
            if state.seq:
                self._back_up_history(to, state.seq, dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ"))
            return f"converted {self.folder} from {old} to {to}: {len(state.saved)} progress rows, {len(events)} history rows"

    def compact(self) -> int:
        with self._locked():
            self._prepare_write()
            state = self._account_locked()
            if state.fmt != "parquet":
                raise StoreError(f"{self.folder} keeps its history in history.csv; compact merges Parquet parts only")
            try:
                merged = self._history("parquet").compact(state.seq)
            except hist.HistoryError as exc:
                raise self._history_damage(str(exc)) from None
            names = self._names(_HISTORY_BACKUP["parquet"])
            if merged and names:
                with contextlib.suppress(OSError, hist.HistoryError):  # the backup stays whole, only less compact
                    hist.ParquetHistory(self.backup_dir / names[-1]).compact(state.seq)
            return merged


# the store's own names ---------------------------------------------------------------
def _is_own_name(name: str) -> bool:
    key = name.casefold()
    return key in OWN_NAMES or key.partition(".")[0] in RECORD_STEMS or is_temp(Path(name))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _identity(path: Path) -> tuple | None:
    """What tells one version of a file from the next (a save renames a new file into place)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# file formats ------------------------------------------------------------------
def _no_rows() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=str) for c in COLUMNS})


def _read_raw(path: Path, store: FileStore) -> pd.DataFrame:
    """A progress file as text columns, read through one open file; a foreign or unreadable file is a StoreError."""
    try:
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
        else:
            with pa.OSFile(str(path)) as source:
                frame = pq.read_table(source).to_pandas()
    except FileNotFoundError:
        raise  # replaced or removed while read: the caller reads again
    except (ValueError, OSError, pa.ArrowException, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise store._progress_damage(path, f"cannot be read as a progress file ({exc})") from None
    if list(frame.columns) != COLUMNS:
        raise store._progress_damage(
            path,
            f"not a progress file of this tool: expected the columns {', '.join(COLUMNS)}, "
            f"found {', '.join(map(str, frame.columns)) or 'none'}",
        )
    for name in values.DATE_FIELDS:
        frame[name] = frame[name].map(lambda v: "" if v is None or v is pd.NaT or v != v else str(v)[:10])
    return frame.astype(str)


def _typed(raw: pd.DataFrame, path: Path, store: FileStore) -> pd.DataFrame:
    """Text columns to typed ones, refusing any value a save could not have written."""
    frame = raw.copy()
    bad = []
    for name in INT_COLUMNS:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        for i in frame.index[numbers.isna() | (numbers != numbers.round())][:3]:
            bad.append(f"row {i + 1}: {name} {frame.at[i, name]!r} is not a whole number")
        frame[name] = numbers.fillna(-1).astype("int64")
    for name in values.DATE_FIELDS:
        text = frame[name]
        parsed = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
        for i in frame.index[(text != "") & parsed.isna()][:3]:
            bad.append(f"row {i + 1}: {name} {text[i]!r} is not a date YYYY-MM-DD")
        frame[name] = parsed
    for i in frame.index[~frame["status"].isin(values.STATUSES)][:3]:
        bad.append(f"row {i + 1}: status {frame.at[i, 'status']!r} is not one of {', '.join(values.STATUSES)}")
    for i in frame.index[(frame["task_id"] == "") | frame["task_id"].duplicated()][:3]:
        bad.append(f"row {i + 1}: task_id {frame.at[i, 'task_id']!r} is empty or repeated")
    if bad:
        raise store._progress_damage(path, f"damaged: {'; '.join(bad[:5])}")
    impossible = _unsaveable(frame) if len(frame) else []
    if impossible:
        raise store._progress_damage(path, f"damaged: {'; '.join(impossible[:5])}; no save writes such values")
    return frame


_STATUSES = pd.Index(values.STATUSES)
_LOWEST = np.array([values.allowed_percent(s).start for s in values.STATUSES])
_HIGHEST = np.array([values.allowed_percent(s).stop - 1 for s in values.STATUSES])


def _unsaveable(frame: pd.DataFrame) -> list[str]:
    """Rows no save could have written: a percent its status does not allow, a revision and seq out of step
    (each save raises a task's revision by one and takes the next seq), due before start."""
    status, percent, revision, seq = (frame[c] for c in ("status", "percent", "revision", "seq"))
    at = _STATUSES.get_indexer(status)  # every status is known by now
    low, high = _LOWEST[at], _HIGHEST[at]
    checks = [
        ((percent < low) | (percent > high), lambda i: f"percent {percent[i]} with status {status[i]}, which takes {low[i]} to {high[i]}"),
        ((revision < 0) | (seq < 0), lambda i: f"revision {revision[i]} or seq {seq[i]} below 0"),
        ((revision == 0) != (seq == 0), lambda i: f"revision {revision[i]} with seq {seq[i]}"),
        (revision > seq, lambda i: f"revision {revision[i]} above seq {seq[i]}"),
        (frame["due"] < frame["start"], lambda i: f"due {frame.at[i, 'due']:%Y-%m-%d} before start {frame.at[i, 'start']:%Y-%m-%d}"),
    ]  # fmt: skip
    return [f"row {i + 1}: {say(i)}" for mask, say in checks for i in frame.index[mask][:3]]


def _is_whole_progress(path: Path) -> bool:
    """Cheaply: a CSV that starts with the header, ends with a line and closes every quote; a Parquet
    file whose footer reads with the progress columns (a file cut short loses its footer)."""
    try:
        if path.suffix == ".csv":
            data = path.read_bytes()
            return data.startswith(_CSV_HEADER) and data.endswith(b"\n") and data.count(b'"') % 2 == 0
        return pq.read_schema(path).names == COLUMNS
    except (OSError, pa.ArrowException):
        return False


def _replay(events: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each task's row as its committed changes leave it: each field's last value, one revision per save."""
    rows: dict[str, dict[str, Any]] = {}
    saves = events.groupby("task_id", sort=False).agg(
        revision=("seq", "nunique"), seq=("seq", "max"), updated_at=("at", "last"), updated_by=("by", "last")
    )
    for task_id, revision, seq, at, by in saves.itertuples():
        rows[task_id] = {**default_row(task_id), "revision": int(revision), "seq": int(seq)}
        rows[task_id] |= {"updated_at": at, "updated_by": by}
    known = events[events["field"].isin(values.FIELDS)].drop_duplicates(["task_id", "field"], keep="last")
    for task_id, name, new in known[["task_id", "field", "new"]].itertuples(index=False):
        rows[task_id][name] = _value_of(name, new)
    return rows


def _value_of(name: str, text: str) -> Any:
    """A field's value from its text in the history."""
    if name == "percent":
        return int(text)
    if name in values.DATE_FIELDS:
        return dt.date.fromisoformat(text) if text else None
    return text


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in frame[COLUMNS].to_dict("records"):
        for name in values.DATE_FIELDS:
            value = record[name]
            record[name] = None if pd.isna(value) else value.date()
        for name in INT_COLUMNS:
            record[name] = int(record[name])
        out.append(record)
    return out


def _write_frame(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        text = frame.copy()
        for name in values.DATE_FIELDS:
            text[name] = text[name].map(text_of)
        text.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    else:
        pq.write_table(pa.Table.from_pandas(frame, schema=ARROW_SCHEMA, preserve_index=False), path)
