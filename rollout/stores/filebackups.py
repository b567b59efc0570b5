"""The data folder's backups: each save keeps the previous progress or record file, and the history's copy.

The history only grows, so its backup is a copy that grows with it. Copying the whole history on
every save would make a save's cost grow with the history; instead a save appends to the newest
backup only what it lacks (its own rows: a CSV's new bytes, or the new Parquet part, which is never
changed once written, so its copy stays true). A new backup is started by one full copy only when
there is none, or the newest no longer matches the history's start (compared on the bytes before its
end), or the format changed; the last 20 are kept. ``backups/history-<stamp>.csv``, or a folder
``backups/history-<stamp>/`` of parts. Restoring one puts a copy of it in place of the damaged
history, which is kept in backups/ as ``history-damaged-<stamp>``; it needs no reading of the damaged
file, and adds no history row, since no value changes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from rollout.fileio import atomic_write, sync_file
from rollout.progress import SaveResult, StoreError
from rollout.records import SCHEMAS
from rollout.stores import fileformat, filerecords
from rollout.stores import filehistory as hist
from rollout.stores.fileaccount import Accounting, HistoryDamaged, ProgressDamaged

KEEP_BACKUPS = 20
STAMP = r"\d{8}T\d{12}Z"
PROGRESS_BACKUP = re.compile(rf"^progress-{STAMP}\.(csv|parquet)$")
HISTORY_BACKUP = {"csv": re.compile(rf"^history-{STAMP}\.csv$"), "parquet": re.compile(rf"^history-{STAMP}$")}


def file_stamp(at: dt.datetime) -> str:
    """The time of a save as backups are named by it."""
    return at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


class Backups(Accounting):
    """Listing, writing and restoring backups; mixed into the file store."""

    history: Callable
    _events: Callable
    _prepare_write: Callable[[], None]

    @property
    def backup_dir(self) -> Path:
        return self.folder / "backups"

    def _history_at(self, fmt: str, path: Path) -> hist.CsvHistory | hist.ParquetHistory:
        return hist.CsvHistory(path) if fmt == "csv" else hist.ParquetHistory(path)

    def _history(self, fmt: str) -> hist.CsvHistory | hist.ParquetHistory:
        return self._history_at(fmt, self.folder / ("history.csv" if fmt == "csv" else "history"))

    def backups(self) -> list[str]:
        """Progress backups that read as whole files, oldest first; one cut short is not offered."""
        return [n for n in self._names(PROGRESS_BACKUP) if fileformat.is_whole(self.backup_dir / n)]

    def history_backups(self) -> list[str]:
        """History backups of the format in use that end whole, oldest first."""
        fmt = self.format()
        names = self._names(HISTORY_BACKUP[fmt])
        return [n for n in names if self._history_at(fmt, self.backup_dir / n).is_whole()]

    def restorable(self) -> list[str]:
        """What ``restore`` takes now: the progress backups, and the history backups when the history is damaged."""
        try:
            self.history()
        except HistoryDamaged:
            return self.backups() + self.history_backups()
        except StoreError:
            pass
        return self.backups()

    def _names(self, pattern: re.Pattern) -> list[str]:
        if not self.backup_dir.is_dir():
            return []
        return sorted(p.name for p in self.backup_dir.iterdir() if pattern.match(p.name))

    def _keep_copy(self, path: Path, kind: str, stamp: str) -> Callable[[], None]:
        """What keeps ``path`` as it was in backups/ as ``<kind>-<stamp>``, just before it is replaced; the
        last 20 of a kind are kept."""

        def keep() -> None:
            if path.exists():
                self.backup_dir.mkdir(exist_ok=True)
                # not synced: a backup a power cut leaves short is not offered (backups() checks)
                target = self.backup_dir / f"{kind}-{stamp}{path.suffix}"
                atomic_write(target, lambda temp: shutil.copyfile(path, temp), durable=False)
                same = re.compile(rf"^{re.escape(kind)}-{STAMP}\.(csv|parquet)$")
                for old in self._names(same)[:-KEEP_BACKUPS]:
                    (self.backup_dir / old).unlink(missing_ok=True)

        return keep

    def _back_up_history(self, fmt: str, seq: int, stamp: str) -> None:
        """Bring the newest history backup up to change ``seq``, appending what it lacks, or start a new one."""
        live = self._history(fmt)
        names = self._names(HISTORY_BACKUP[fmt])
        try:
            if names and live.extend(self._history_at(fmt, self.backup_dir / names[-1]), seq):
                return
            self.backup_dir.mkdir(exist_ok=True)
            live.copy_to(self.backup_dir / f"history-{stamp}{'.csv' if fmt == 'csv' else ''}", seq)
        except (OSError, hist.HistoryError):
            return  # the save is committed; the next one brings the backup up to date
        for old in names[: max(0, len(names) + 1 - KEEP_BACKUPS)]:
            remove(self.backup_dir / old)

    def _restore_history(self, name: str) -> SaveResult:
        with self._locked():
            self._prepare_write()
            fmt = self.format()
            if name not in self.history_backups():
                listing = ", ".join(self.history_backups()) or "none"
                raise StoreError(
                    f"no history backup named {name!r} in {self.backup_dir} for {fmt}; ones that read whole: {listing}"
                )
            seq, left = self._committed_without_history(fmt)
            where = self.folder / ("history.csv" if fmt == "csv" else "history")
            try:
                self._check_history(fmt, seq, self._record(), exact=True)
                self._events(fmt, seq)
            except HistoryDamaged:
                pass
            else:
                raise StoreError(f"{where}: reads whole (changes 1 to {seq}); nothing to restore")
            backup = self._history_at(fmt, self.backup_dir / name)
            try:
                hist.check_sequence(backup.read(seq), seq, self.backup_dir / name)
            except hist.HistoryError as exc:
                raise StoreError(f"{exc}: {name} cannot replace the history; nothing was changed") from None
            kept = (
                self.backup_dir
                / f"history-damaged-{file_stamp(dt.datetime.now(dt.UTC))}{'.csv' if fmt == 'csv' else ''}"
            )
            if where.exists():
                os.replace(where, kept)
            backup.copy_to(where, seq)
            sync_file(self.folder)
            if left is not None:
                self._write_record(seq, *left[:1], fmt, left[1])
            return SaveResult(
                seq,
                [],
                0,
                repaired=f"{where} restored from {name} (changes 1 to {seq}); the damaged one kept as {kept}",
            )

    def _committed_without_history(self, fmt: str) -> tuple[int, tuple[int, int] | None]:
        """The last committed save, and the progress rows and seq it left (None if unknown), read from the
        files and the record only."""
        record = self._record()
        path = self.progress_path(fmt)
        try:
            saved = fileformat.read_raw(path, self._progress_damage) if path.exists() else None
            saved = fileformat.typed(saved, path, self._progress_damage) if saved is not None else None
            progress_seq = self._progress_seq(saved, record, path, moved=False)
        except ProgressDamaged:
            if record is None:
                raise
            return record["seq"], None
        left = (len(saved) if saved is not None else 0, progress_seq)
        if record is not None:
            return record["seq"], left
        tops = [filerecords.last_seq(filerecords.path_of(self.folder, s, fmt)) for s in SCHEMAS.values()]
        return max(progress_seq, *tops), left


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
