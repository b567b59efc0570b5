"""The file store: progress in progress.csv or progress.parquet, the history beside it, under one lock.

A save, under the lock: read, check the acting person's role, check revisions, validate, append the
history rows and fsync, write progress to a temporary file, fsync, keep the old one in backups/,
atomic rename. Every write takes ``by``: a plain name (a local operator) or an access.Actor.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import filelock
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from rollout import access, cache, values
from rollout.access import Acting
from rollout.fileio import atomic_write, is_temp, sync_file
from rollout.progress import (
    COLUMNS,
    EARLIER_COLUMNS,
    INT_COLUMNS,
    ChangeError,
    PlanRules,
    SaveResult,
    Snapshot,
    StoreError,
    check_revisions,
    committed_rows,
    default_row,
    moved_rows,
    text_of,
    unmigrated,
    updated_rows,
    utc_stamp,
    verified,
)
from rollout.records import SCHEMAS, diff_records, empty_row, planned_records, schema_of
from rollout.stores import filehistory as hist
from rollout.stores import filerecords
from rollout.stores.base import Store

FORMATS = ("csv", "parquet")
RESTORED = (*values.FIELDS, "verified_by", "verified_at")
KEEP_BACKUPS = 20
LOCK_TIMEOUT = 10.0
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
        ("verified_by", pa.string()),
        ("verified_at", pa.string()),
        ("revision", pa.int64()),
        ("seq", pa.int64()),
    ]
)


class FileStore(Store):
    """Progress in ``progress.csv`` or ``progress.parquet``; history beside it."""

    def __init__(self, folder: str | Path, plan: Any, lock_timeout: float = LOCK_TIMEOUT):
        """``plan``: the Plan whose progress this is (or its task ids alone, without the clause rules)."""
        self.folder = Path(folder)
        self.rules = PlanRules.of(plan)
        self.task_ids = list(self.rules.task_ids)
        self.lock_timeout = lock_timeout

    @property
    def location(self) -> str:
        return str(self.folder.resolve())

    # files ---------------------------------------------------------------------
    def progress_path(self, fmt: str | None = None) -> Path:
        return self.folder / f"progress.{fmt or self.format()}"

    @property
    def backup_dir(self) -> Path:
        return self.folder / "backups"

    def format(self) -> str:
        present = [f for f in FORMATS if (self.folder / f"progress.{f}").exists()]
        if len(present) == 2:
            raise StoreError(
                f"{self.folder}: both progress.csv and progress.parquet exist; keep the one in use "
                "(the newer, or the one history/ or history.csv matches) and move the other away"
            )
        if present:
            return present[0]
        return "parquet" if (self.folder / "history").is_dir() else "csv"

    def _history(self, fmt: str | None = None) -> hist.CsvHistory | hist.ParquetHistory:
        fmt = fmt or self.format()
        return (
            hist.CsvHistory(self.folder / "history.csv")
            if fmt == "csv"
            else hist.ParquetHistory(self.folder / "history")
        )

    def version(self) -> tuple:
        return cache.stamp(
            self.folder / name for name in ("progress.csv", "progress.parquet", "history.csv", "history")
        )

    def _lock(self) -> filelock.FileLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        return filelock.FileLock(
            self.folder / ".lock", timeout=self.lock_timeout, thread_local=False, preserve_lock_file=True
        )

    def _locked(self):
        lock = self._lock()
        try:
            lock.acquire()
        except filelock.Timeout:
            raise StoreError(
                f"{self.folder / '.lock'}: another save has held the lock for over {self.lock_timeout:g} s; "
                "try again in a moment (a stuck process holding it must be ended)"
            ) from None
        return lock

    # reading -------------------------------------------------------------------
    def _read_saved(self) -> pd.DataFrame:
        """Saved rows, typed and checked; empty when the folder has no progress yet."""
        fmt = self.format()
        path = self.progress_path(fmt)
        if not path.exists():
            return _typed(pd.DataFrame({c: pd.Series(dtype=str) for c in COLUMNS}), path, self)
        return _typed(_read_raw(path, self), path, self)

    def load(self) -> Snapshot:
        saved = self._read_saved()
        records = {kind: self.records(kind) for kind in SCHEMAS}
        seq = _last_seq(saved, *records.values())
        frame = self._joined(saved)
        orphans = frame.loc[frame["orphaned"], "task_id"].tolist()
        unmigrated(self.rules, orphans, str(self.progress_path()))
        return Snapshot(frame, seq, self.format(), orphans, records)

    def _joined(self, saved: pd.DataFrame) -> pd.DataFrame:
        """Every plan task's progress (defaults where never saved), then the saved rows of no plan task."""
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
        return frame

    def _records_seq(self) -> int:
        return _last_seq(*(self.records(kind) for kind in SCHEMAS))

    def records(self, kind: str) -> pd.DataFrame:
        schema = schema_of(kind)
        return filerecords.read(filerecords.path_of(self.folder, schema, self.format()), schema)

    def _committed(self, saved: pd.DataFrame | None = None) -> int:
        """The last committed save: the highest seq of progress and of every record file."""
        saved = self._read_saved() if saved is None else saved
        return _last_seq(saved, *(self.records(kind) for kind in SCHEMAS))

    def history(self, task_id: str | None = None, committed: int | None = None) -> pd.DataFrame:
        if committed is None:
            committed = self._committed()
        try:
            frame = self._history().read(committed)
        except hist.HistoryError as exc:
            raise StoreError(f"{exc}; {self._backup_hint()}") from None
        if task_id is not None:
            frame = frame[frame["task_id"].isin(self.rules.with_earlier_ids([task_id]))].reset_index(drop=True)
        return frame

    def backups(self) -> list[str]:
        if not self.backup_dir.is_dir():
            return []
        return sorted(p.name for p in self.backup_dir.glob("progress-*") if p.suffix.lstrip(".") in FORMATS)

    def _backup_hint(self) -> str:
        names = self.backups()
        if not names:
            return "no backups exist yet"
        return f"restore a backup with `python -m rollout restore NAME`; backups: {', '.join(names[-5:])}"

    # writing -------------------------------------------------------------------
    def save(self, changes, revisions, by, source, at=None, happened=None) -> SaveResult:
        at = at or dt.datetime.now(dt.UTC)
        lock = self._locked()
        try:
            self._remove_temps()
            rows = {r["task_id"]: r for r in _rows(self._read_saved())}
            access.check(access.refuse_progress(by, rows, changes))
            updates = updated_rows(rows, changes, revisions or {}, self.rules)
            return self._commit(rows, updates, access.name_of(by), source, at, happened)
        finally:
            lock.release()

    def verify(self, task_ids, by, revisions=None, source="ui", at=None) -> SaveResult:
        at = at or dt.datetime.now(dt.UTC)
        lock = self._locked()
        try:
            self._remove_temps()
            rows = {r["task_id"]: r for r in _rows(self._read_saved())}
            access.check(access.refuse_verify(by, rows, task_ids))
            check_revisions(rows, {t: {} for t in task_ids}, revisions or {})
            done_by = self._done_by(task_ids, self._committed())
            name, updates = access.name_of(by), {}
            for task_id in task_ids:
                row = rows.get(task_id, default_row(task_id))
                updates[task_id] = verified(row, name, utc_stamp(at), done_by.get(task_id, ""))
            return self._commit(rows, updates, name, source, at)
        finally:
            lock.release()

    def migrate(self, by: Acting, at=None) -> SaveResult:
        """Carry the progress of tasks the plan renamed over to their new ids; the history keeps the old rows."""
        at = at or dt.datetime.now(dt.UTC)
        lock = self._locked()
        try:
            access.check(access.refuse_store(by, "migrate"))
            self._remove_temps()
            rows = {r["task_id"]: r for r in _rows(self._read_saved())}
            updates = moved_rows(rows, self.rules)
            moved = {new: old for old, new in self.rules.renames.items() if new in updates}
            renamed = [(old, "renamed_to", "", new) for new, old in moved.items()]
            return self._commit(rows, updates, access.name_of(by), "migrate", at, removed=renamed)
        finally:
            lock.release()

    def save_records(
        self,
        kind: str,
        added: list[dict[str, Any]],
        changed: dict[str, dict[str, Any]],
        revisions: dict[str, int] | None,
        by: Acting,
        source: str,
        at: dt.datetime | None = None,
        check=None,
    ) -> SaveResult:
        at = at or dt.datetime.now(dt.UTC)
        schema = schema_of(kind)
        lock = self._locked()
        try:
            self._remove_temps()
            access.check(access.refuse_records(by, kind))
            by = access.name_of(by)
            current = filerecords.rows(self.records(kind), schema)
            updates = planned_records(schema, current, added, changed, revisions or {}, self.rules, by, at)
            if check is not None:  # rules that need the progress as it is now, under the lock
                problems = check(self._joined(self._read_saved()), updates)
                if problems:
                    raise ChangeError(problems)
            return self._commit_records(schema, current, updates, by, source, at)
        finally:
            lock.release()

    def _commit_records(self, schema, current: dict, updates: dict, by: str, source: str, at: dt.datetime):
        committed = self._committed()
        seq, stamp = committed + 1, utc_stamp(at)
        changes = []
        for record_id, new in updates.items():
            old = current.get(record_id, empty_row(schema, record_id))
            diffs = diff_records(schema, old, new)
            if diffs:
                changes += [(seq, stamp, by, source, record_id, f, o, n, stamp) for f, o, n in diffs]
                current[record_id] = {
                    **new,
                    "updated_at": stamp,
                    "updated_by": by,
                    "revision": old["revision"] + 1,
                    "seq": seq,
                }
        if not changes:
            return SaveResult(committed, [], 0)
        fmt = self.format()
        file_stamp = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self._history(fmt).append(pd.DataFrame(changes, columns=hist.COLUMNS), committed, self.backup_dir, file_stamp)
        path = filerecords.path_of(self.folder, schema, fmt)

        def keep_previous() -> None:
            if path.exists():
                self.backup_dir.mkdir(exist_ok=True)
                shutil.copy2(path, self.backup_dir / f"{schema.kind}-{file_stamp}.{fmt}")

        rows = sorted(current.values(), key=lambda r: r["id"])
        atomic_write(path, lambda temp: filerecords.write(rows, temp, fmt, schema), before_replace=keep_previous)
        return SaveResult(seq, sorted({c[4] for c in changes}), len(changes))

    def _done_by(self, task_ids, committed: int) -> dict[str, str]:
        """Who last set each task done: the ``by`` of the latest history row that set its status to done."""
        events = self._history().read(committed)
        mine = events["task_id"].isin(self.rules.with_earlier_ids(task_ids))
        done = events[(events["field"] == "status") & (events["new"] == "done") & mine]
        named = done["task_id"].map(lambda t: self.rules.renames.get(t, t))
        return dict(zip(named, done["by"], strict=True))

    def _commit(
        self, rows: dict, updates: dict, by: str, source: str, at: dt.datetime, happened=None, removed=()
    ) -> SaveResult:
        """Append the history (synced), then replace progress atomically; the order makes a crash safe.

        ``removed``: (task_id, field, old, new) rows of tasks whose progress leaves under another id
        (a migration's renames), recorded in the history and dropped from progress.
        """
        committed = max([r["seq"] for r in rows.values()] + [self._records_seq()])
        for task_id, *_ in removed:
            del rows[task_id]
        changes = committed_rows(rows, updates, committed + 1, by, source, at, happened)
        changes += [(committed + 1, utc_stamp(at), by, source, *row, utc_stamp(at)) for row in removed]
        if not changes:
            return SaveResult(committed, [], 0)
        fmt = self.format()
        file_stamp = at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self._history(fmt).append(pd.DataFrame(changes, columns=hist.COLUMNS), committed, self.backup_dir, file_stamp)
        self._write_progress(list(rows.values()), fmt, backup_stamp=file_stamp)
        return SaveResult(committed + 1, sorted({c[4] for c in changes}), len(changes))

    def _write_progress(self, rows: list[dict], fmt: str, backup_stamp: str | None) -> None:
        path = self.progress_path(fmt)
        frame = pd.DataFrame(rows, columns=COLUMNS)

        def keep_previous() -> None:
            if backup_stamp and path.exists():
                self.backup_dir.mkdir(exist_ok=True)
                shutil.copy2(path, self.backup_dir / f"progress-{backup_stamp}.{fmt}")
                for old in self.backups()[:-KEEP_BACKUPS]:
                    (self.backup_dir / old).unlink(missing_ok=True)

        atomic_write(path, lambda temp: _write_frame(frame, temp, fmt), before_replace=keep_previous)

    def _remove_temps(self) -> None:
        for path in self.folder.iterdir():
            if is_temp(path):
                path.unlink(missing_ok=True)
        hist.ParquetHistory(self.folder / "history").remove_temps()

    def restore(self, name: str, by: Acting) -> SaveResult:
        if name not in self.backups():
            raise StoreError(f"no backup named {name!r} in {self.backup_dir}; {self._backup_hint()}")
        backup = _typed(_read_raw(self.backup_dir / name, self), self.backup_dir / name, self)
        lock = self._locked()
        try:
            access.check(access.refuse_store(by, "restore"))
            rows = {r["task_id"]: r for r in _rows(self._read_saved())}
            wanted = {r["task_id"]: r for r in _rows(backup)}
            updates = {
                t: {**rows.get(t, default_row(t)), **{f: wanted.get(t, default_row(t))[f] for f in RESTORED}}
                for t in set(rows) | set(wanted)
            }
            return self._commit(rows, updates, access.name_of(by), f"restore:{name}", dt.datetime.now(dt.UTC))
        finally:
            lock.release()

    def convert(self, to: str, by: Acting | None = None) -> str:
        """Rewrite progress and history in the other format without changing a value; ``by`` None: a local operator."""
        if to not in FORMATS:
            raise StoreError(f"unknown format {to!r}; expected csv or parquet")
        lock = self._locked()
        try:
            access.check(access.refuse_store(by, "convert"))
            old = self.format()
            if old == to:
                return f"{self.folder} already uses {to}"
            saved = self._read_saved()
            committed = int(saved["seq"].max()) if len(saved) else 0
            events = self._history(old).read(committed)
            if to == "csv":
                atomic_write(self.folder / "history.csv", lambda temp: hist.write_csv(events, temp))
            elif len(events):
                hist.write_parquet(events, self.folder / "history")
            self._write_progress(_rows(saved), to, backup_stamp=None)
            self.progress_path(old).unlink(missing_ok=True)
            if old == "csv":
                (self.folder / "history.csv").unlink(missing_ok=True)
            else:
                shutil.rmtree(self.folder / "history", ignore_errors=True)
            sync_file(self.folder)
            return f"converted {self.folder} from {old} to {to}: {len(saved)} progress rows, {len(events)} history rows"
        finally:
            lock.release()

    def compact(self, by: Acting | None = None) -> int:
        lock = self._locked()
        try:
            access.check(access.refuse_store(by, "compact"))
            if self.format() != "parquet":
                raise StoreError(f"{self.folder} keeps its history in history.csv; compact merges Parquet parts only")
            saved = self._read_saved()
            return self._history("parquet").compact(int(saved["seq"].max()) if len(saved) else 0)
        finally:
            lock.release()


def _last_seq(*frames: pd.DataFrame) -> int:
    return max((int(f["seq"].max()) for f in frames if len(f)), default=0)


# file formats ------------------------------------------------------------------
def _read_raw(path: Path, store: FileStore) -> pd.DataFrame:
    """A progress file as text columns; a foreign or unreadable file is a StoreError."""
    hint = store._backup_hint()
    try:
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
        else:
            frame = pq.read_table(path).to_pandas()
    except (ValueError, OSError, pa.ArrowException, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise StoreError(f"{path}: cannot be read as a progress file ({exc}); it was not changed. {hint}") from None
    if list(frame.columns) == EARLIER_COLUMNS:  # written before verification was recorded
        frame = frame.reindex(columns=COLUMNS, fill_value="")
    if list(frame.columns) != COLUMNS:
        raise StoreError(
            f"{path}: not a progress file of this tool: expected the columns {', '.join(COLUMNS)}, "
            f"found {', '.join(map(str, frame.columns)) or 'none'}; it was not changed. {hint}"
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
        raise StoreError(f"{path}: damaged, it was not changed: {'; '.join(bad[:5])}. {store._backup_hint()}")
    return frame


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
