"""The file store: a data folder with progress.csv or progress.parquet, the assurance records beside it,
the history of every change, the commit record and the backups, under one lock.

A save, under the lock: account for the folder (fileaccount.py), check the acting person's role and
the revisions, apply the rules (base.py), append the history rows and fsync, write the file the save
changes (progress, or a record file) to a temporary file, fsync, keep the old one in backups/, atomic
rename; then write the commit record and bring the history backup up to date (filebackups.py). A
progress backup restores as a new save; when the progress file itself is damaged, the committed state
it replaces is rebuilt from the history, and the damaged file is kept as ``progress-damaged-<stamp>``.

Symbolic links among the store's files are refused for writes: the atomic rename would turn the link
into a plain file and leave the file it points to stale, outside the lock's folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from rollout import access
from rollout.access import Acting
from rollout.fileio import FileTooLarge, NotRegularFile, atomic_write, is_temp, read_regular, sync_file
from rollout.progress import SaveResult, Snapshot, StoreError, replay, unmigrated
from rollout.records import SCHEMAS, Schema, schema_of
from rollout.stores import fileformat, filerecords
from rollout.stores import filehistory as hist
from rollout.stores.base import Dump, Store, Writing
from rollout.stores.fileaccount import BothFormats, Committed, ProgressDamaged
from rollout.stores.filebackups import HISTORY_BACKUP, Backups, file_stamp, remove
from rollout.stores.live import FolderWatcher

FORMATS = ("csv", "parquet")
LOCK_TIMEOUT = 10.0
# the data folder's own entries, present or to come; no command but the store's writes them
SETTINGS = ("mappings.yaml",)  # kept beside the data, in a file of that name
SETTING_BYTES = 1 << 20
OWN_NAMES = ("history.csv", "history", "backups", ".lock", ".queue", ".commit", *SETTINGS)
RECORD_STEMS = ("progress", *SCHEMAS)


class FileStore(Backups, Store):
    """Progress in ``progress.csv`` or ``progress.parquet``, the records and the history beside it."""

    def __init__(self, folder: str | Path, plan: Any, lock_timeout: float = LOCK_TIMEOUT):
        """``plan``: the Plan whose progress this is (or its task ids alone, without the clause rules)."""
        super().__init__(plan)
        self.folder = Path(folder)
        self.lock_timeout = lock_timeout

    @property
    def location(self) -> str:
        return str(self.folder.resolve())

    def progress_path(self, fmt: str | None = None) -> Path:
        return self.folder / f"progress.{fmt or self.format()}"

    def format(self) -> str:
        present = [f for f in FORMATS if (self.folder / f"progress.{f}").exists()]
        if len(present) == 2:
            raise BothFormats(
                f"{self.folder}: both progress.csv and progress.parquet exist; keep the one in use "
                "(the newer, or the one history/ or history.csv matches) and move the other away"
            )
        if present:
            return present[0]
        return "parquet" if (self.folder / "history").is_dir() else "csv"

    def require_existing(self) -> None:
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

    # reading -------------------------------------------------------------------
    def load(self) -> Snapshot:
        state = self._read(lambda: self._account(exact=False, records=True))
        frame = self.joined(state.saved)
        orphans = frame.loc[frame["orphaned"], "task_id"].tolist()
        unmigrated(self.rules, orphans, str(self.progress_path(state.fmt)))
        return Snapshot(frame, state.seq, state.fmt, orphans, state.records or {})

    def records(self, kind: str) -> pd.DataFrame:
        schema_of(kind)
        return self._read(lambda: self._records_file(kind, self._format_now()))

    def _records_file(self, kind: str, fmt: str) -> pd.DataFrame:
        schema = SCHEMAS[kind]
        return filerecords.read(filerecords.path_of(self.folder, schema, fmt), schema)

    def history(self, task_id: str | None = None, committed: int | None = None) -> pd.DataFrame:
        def look() -> pd.DataFrame:
            if committed is None:
                state = self._account(exact=False)
                return self._events(state.fmt, state.seq)
            return self._events(self._format_now(), committed)

        frame = self._read(look)
        if task_id is not None:
            frame = frame[frame["task_id"].isin(self.rules.with_earlier_ids([task_id]))].reset_index(drop=True)
        return frame

    def _events(self, fmt: str, seq: int) -> pd.DataFrame:
        """The committed history up to ``seq``, checked whole: changes 1 to ``seq``, in order."""
        try:
            frame = self._history(fmt).read(seq)
            hist.check_sequence(frame, seq, self.folder / ("history.csv" if fmt == "csv" else "history"))
        except hist.HistoryError as exc:
            raise self._history_damage(str(exc)) from None
        return frame

    # writing: what base.Store asks of a store ------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[Committed]:
        with self._locked():
            self._prepare_write()
            yield self._account_locked()

    def _saved_records(self, writing: Writing, kind: str) -> dict[str, dict[str, Any]]:
        assert isinstance(writing, Committed)
        return filerecords.rows(self._records_file(kind, writing.fmt), SCHEMAS[kind])

    def _status_events(self, writing: Writing, task_ids: list[str]) -> pd.DataFrame:
        assert isinstance(writing, Committed)
        events = self._events(writing.fmt, writing.seq)
        return events[(events["field"] == "status") & events["task_id"].isin(task_ids)]

    def _keep_progress(self, writing, rows, changed, removed, history) -> None:
        stamp, seq = self._append(writing, history), writing.seq + 1
        path = self.progress_path(writing.fmt)
        keep = self._keep_copy(path, writing.kept, stamp)
        atomic_write(path, lambda temp: fileformat.write(list(rows.values()), temp, writing.fmt), before_replace=keep)
        self._write_record(seq, len(rows), writing.fmt, seq)
        self._back_up_history(writing.fmt, seq, stamp)

    def _keep_records(self, writing, schema: Schema, rows, changed, history) -> None:
        stamp, seq = self._append(writing, history), writing.seq + 1
        path = filerecords.path_of(self.folder, schema, writing.fmt)
        keep = self._keep_copy(path, schema.kind, stamp)
        ordered = sorted(rows.values(), key=lambda r: r["id"])
        atomic_write(path, lambda temp: filerecords.write(ordered, temp, writing.fmt, schema), before_replace=keep)
        self._write_record(seq, len(writing.rows), writing.fmt, writing.progress_seq)
        self._back_up_history(writing.fmt, seq, stamp)

    def _append(self, writing: Committed, history: list[tuple]) -> str:
        """Append a save's history rows, synced, before its file is replaced; returns the save's stamp."""
        stamp = file_stamp(dt.datetime.now(dt.UTC))
        try:
            self._history(writing.fmt).append(
                pd.DataFrame(history, columns=hist.COLUMNS), writing.seq, self.backup_dir, stamp
            )
        except hist.HistoryError as exc:
            raise self._history_damage(str(exc)) from None
        return stamp

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
                    remove(path)

    # restoring, converting, compacting ---------------------------------------------
    def restore(self, name: str, by: Acting) -> SaveResult:
        """A backup of progress (written as a new save) or, when the history is damaged, of the history."""
        if any(p.match(name) for p in HISTORY_BACKUP.values()):
            access.check(access.refuse_store(by, "restore"))
            return self._restore_history(name)
        if name not in self.backups():
            listing = ", ".join(self.backups()[-5:]) or "none yet"
            raise StoreError(f"no backup named {name!r} in {self.backup_dir}; backups: {listing}")
        path = self.backup_dir / name
        try:
            wanted = fileformat.rows_of(fileformat.typed(fileformat.read_raw(path, self._progress_damage), path,
                                                         self._progress_damage))  # fmt: skip
        except ProgressDamaged as exc:  # its advice would name the newest backup, perhaps this very one
            raise StoreError(f"{exc}; choose another backup") from None
        name_of = self._name(by)
        with self._locked():
            self._prepare_write()
            access.check(access.refuse_store(by, "restore"))
            writing = self._restoring()
            updates = self._restored(writing.rows, wanted)
            return self._commit(writing, updates, name_of, f"restore:{name}", dt.datetime.now(dt.UTC))

    def _restoring(self) -> Committed:
        """What a restore starts from: the folder as accounted for or, when progress itself is damaged, the
        committed state rebuilt from the history alone (the damaged file is then kept as progress-damaged)."""
        try:
            return self._account_locked()
        except ProgressDamaged:
            fmt, record = self.format(), self._record()
            history = self._history(fmt)
            try:  # without a record (a folder saved before it existed) the history's end is the last commit
                seq = record["seq"] if record else history.last_seq() if history.exists() else 0
            except hist.HistoryError as exc:
                raise self._history_damage(str(exc)) from None
            self._check_history(fmt, seq, record, exact=True)
            rows = replay(self._events(fmt, seq), self.rules.renames)
            progress_seq = max((r["seq"] for r in rows.values()), default=0)
            return Committed(seq, rows, fileformat.no_rows(), fmt, progress_seq, kept="progress-damaged")

    def convert(self, to: str, by: Acting | None = None) -> str:
        """Rewrite progress, the records and the history in the other format without changing a value;
        ``by`` None: a local operator."""
        if to not in FORMATS:
            raise StoreError(f"unknown format {to!r}; expected csv or parquet")
        with self._locked():
            self._prepare_write()
            access.check(access.refuse_store(by, "convert"))
            state = self._account_locked()
            old = state.fmt
            if old == to:
                return f"{self.folder} already uses {to}"
            events = self._events(old, state.seq)
            if to == "csv":
                atomic_write(self.folder / "history.csv", lambda temp: hist.write_csv(events, temp))
            elif len(events):
                hist.write_parquet(events, self.folder / "history")
            for schema in SCHEMAS.values():
                self._convert_records(schema, old, to)
            # readers finding both progress files, or a file gone, read again: the switch is this rename
            atomic_write(self.progress_path(to), lambda temp: fileformat.write(list(state.rows.values()), temp, to))
            self._write_record(state.seq, len(state.rows), to, state.progress_seq)
            self.progress_path(old).unlink(missing_ok=True)
            remove(self.folder / ("history.csv" if old == "csv" else "history"))
            sync_file(self.folder)
            if state.seq:
                self._back_up_history(to, state.seq, file_stamp(dt.datetime.now(dt.UTC)))
            return f"converted {self.folder} from {old} to {to}: {len(state.rows)} progress rows, {len(events)} history rows"

    def _convert_records(self, schema: Schema, old: str, to: str) -> None:
        source = filerecords.path_of(self.folder, schema, old)
        if source.exists():
            rows = sorted(filerecords.rows(filerecords.read(source, schema), schema).values(), key=lambda r: r["id"])
            target = filerecords.path_of(self.folder, schema, to)
            atomic_write(target, lambda temp: filerecords.write(rows, temp, to, schema))
            source.unlink()

    def setting(self, name: str) -> str | None:
        try:
            return read_regular(self.folder / _setting_file(name), SETTING_BYTES).decode("utf-8")
        except (OSError, NotRegularFile, FileTooLarge, UnicodeDecodeError):
            return None

    def keep_setting(self, name: str, text: str) -> None:
        atomic_write(self.folder / _setting_file(name), lambda temp: temp.write_text(text, encoding="utf-8"))

    def watcher(self, on_change: Callable[[str], None] | None = None) -> FolderWatcher:
        return FolderWatcher(self.version, on_change)

    def dump(self) -> Dump:
        def look() -> Dump:
            state = self._account(exact=False, records=True)
            records = {kind: filerecords.rows(frame, SCHEMAS[kind]) for kind, frame in (state.records or {}).items()}
            return Dump(state.seq, state.rows, records, self._events(state.fmt, state.seq))

        return self._read(look)

    def fill(self, dump: Dump, fmt: str = "csv") -> None:
        """Write another store's everything into this folder, which must be empty or not yet exist."""
        if self.folder.exists() and any(self.folder.iterdir()):
            raise StoreError(f"{self.folder}: is not empty; choose a new folder to write the data into")
        with self._locked():
            if fmt == "csv":
                atomic_write(self.folder / "history.csv", lambda temp: hist.write_csv(dump.history, temp))
            elif len(dump.history):
                hist.write_parquet(dump.history, self.folder / "history")
            for kind, rows in dump.records.items():
                schema, ordered = SCHEMAS[kind], [rows[i] for i in sorted(rows)]
                path = filerecords.path_of(self.folder, schema, fmt)
                atomic_write(path, lambda temp, o=ordered, s=schema: filerecords.write(o, temp, fmt, s))
            rows = [dump.progress[t] for t in sorted(dump.progress)]
            atomic_write(self.progress_path(fmt), lambda temp: fileformat.write(rows, temp, fmt))
            progress_seq = max((r["seq"] for r in rows), default=0)
            self._write_record(dump.seq, len(rows), fmt, progress_seq)

    def compact(self, by: Acting | None = None) -> int:
        with self._locked():
            self._prepare_write()
            access.check(access.refuse_store(by, "compact"))
            state = self._account_locked()
            if state.fmt != "parquet":
                raise StoreError(f"{self.folder} keeps its history in history.csv; compact merges Parquet parts only")
            try:
                merged = self._history("parquet").compact(state.seq)
            except hist.HistoryError as exc:
                raise self._history_damage(str(exc)) from None
            names = self._names(HISTORY_BACKUP["parquet"])
            if merged and names:
                with contextlib.suppress(OSError, hist.HistoryError):  # the backup stays whole, only less compact
                    hist.ParquetHistory(self.backup_dir / names[-1]).compact(state.seq)
            return merged


def _setting_file(name: str) -> str:
    if name not in SETTINGS:
        raise ValueError(f"unknown setting {name!r}; expected one of {', '.join(SETTINGS)}")
    return name


def _is_own_name(name: str) -> bool:
    key = name.casefold()
    return key in OWN_NAMES or key.partition(".")[0] in RECORD_STEMS or is_temp(Path(name))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
