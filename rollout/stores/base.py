"""What every store does, whatever holds the data: the files of a data folder, or a database.

The writes are made here once: under the store's lock or in its transaction (``_writing``), the
acting person's role is checked against the rows as they are, revisions are checked, every rule is
applied, and the new rows and their history rows are handed to the store to keep (``_keep_progress``,
``_keep_records``) as one commit with the next ``seq``. A refusal raises before anything is kept.
Every write takes ``by``: a plain name (the CLI, the app in local mode: a local operator with every
right) or an access.Actor, whose role is checked; a write the role may not make raises AccessError.
"""

from __future__ import annotations

import abc
import contextlib
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rollout import access, values
from rollout.access import Acting
from rollout.progress import (
    COLUMNS,
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
    replay,
    updated_rows,
    utc_stamp,
    verified,
)
from rollout.records import Schema, committed_records, planned_records, schema_of
from rollout.stores.live import Watcher

RecordsCheck = Callable[[pd.DataFrame, dict[str, dict]], list[tuple[str, str, str]]]


@dataclass
class Writing:
    """What a write works on, under the lock or in the transaction: the last committed save and the saved rows."""

    seq: int
    rows: dict[str, dict[str, Any]]  # saved progress by task id, values as the rules take them


@dataclass
class Dump:
    """Everything a store holds, to move it into another store without changing a value, revision or timestamp."""

    seq: int
    progress: dict[str, dict[str, Any]]
    records: dict[str, dict[str, dict[str, Any]]]  # kind -> id -> record
    history: pd.DataFrame


class Store(abc.ABC):
    """Progress, the assurance records, the history of every change, and the writes that keep them."""

    def __init__(self, plan: Any):
        """``plan``: the Plan whose progress this is (or its task ids alone, without the clause rules)."""
        self.rules = PlanRules.of(plan)
        self.task_ids = list(self.rules.task_ids)

    # what each store provides ----------------------------------------------------------
    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the data lives, as shown to people: a folder, or a database URL without its password."""

    @abc.abstractmethod
    def format(self) -> str:
        """How the data is kept: csv, parquet or postgresql."""

    @abc.abstractmethod
    def load(self) -> Snapshot:
        """Every plan task's progress (defaults where never saved), the orphaned rows, the records, as of one save."""

    @abc.abstractmethod
    def records(self, kind: str) -> pd.DataFrame:
        """The assurance records of a kind (assessments, findings, decisions), typed, in id order."""

    @abc.abstractmethod
    def history(self, task_id: str | None = None, committed: int | None = None) -> pd.DataFrame:
        """The change log, oldest first; ``committed``: the ``seq`` of a Snapshot the caller holds.

        Without it the last committed save is read again; with it the log matches that snapshot.
        """

    @abc.abstractmethod
    def version(self) -> tuple:
        """A cheap token that changes whenever anything is committed (for caches)."""

    @abc.abstractmethod
    def backups(self) -> list[str]:
        """What ``restore`` takes by name, oldest first (none for a database: it restores to a change)."""

    @abc.abstractmethod
    def restore(self, name: str, by: Acting) -> SaveResult: ...

    @abc.abstractmethod
    def setting(self, name: str) -> str | None:
        """A small text kept beside the data (the import mappings), or None when none was kept or it
        cannot be read: settings are a convenience, never worth refusing a page for."""

    @abc.abstractmethod
    def keep_setting(self, name: str, text: str) -> None:
        """Keep a setting, replacing the one of that name whole."""

    @abc.abstractmethod
    def watcher(self, on_change: Callable[[str], None] | None = None) -> Watcher:
        """A watcher of this store's commits, not yet started (one per server process); ``on_change`` gets
        the state it sees (``Watcher.seen``) whenever that moves."""

    @abc.abstractmethod
    def dump(self) -> Dump:
        """Everything committed, as of one save."""

    @abc.abstractmethod
    def fill(self, dump: Dump) -> None:
        """Take everything of another store; refused unless this one is empty."""

    @abc.abstractmethod
    def _writing(self) -> contextlib.AbstractContextManager[Writing]:
        """The store's lock or transaction, with what is committed; released however the block ends."""

    @abc.abstractmethod
    def _saved_records(self, writing: Writing, kind: str) -> dict[str, dict[str, Any]]:
        """The records of a kind as they are now, by id, values as the rules take them."""

    @abc.abstractmethod
    def _status_events(self, writing: Writing, task_ids: list[str]) -> pd.DataFrame:
        """The committed history rows changing these tasks' status (task_id, by, new), oldest first."""

    @abc.abstractmethod
    def _keep_progress(
        self, writing: Writing, rows: dict[str, dict], changed: set[str], removed: list[str], history: list[tuple]
    ) -> None:
        """Commit a save of progress: ``rows`` all saved rows after it, of which ``changed`` are new, ``removed`` gone."""

    @abc.abstractmethod
    def _keep_records(
        self, writing: Writing, schema: Schema, rows: dict[str, dict], changed: set[str], history: list[tuple]
    ) -> None:
        """Commit a save of records: ``rows`` all records of the kind after it, of which ``changed`` are new."""

    @abc.abstractmethod
    def require_existing(self) -> None:
        """Refuse a data location that does not exist (a folder: a misspelt path would become a new store)."""

    def restorable(self) -> list[str]:
        """What ``restore`` takes by name now."""
        return self.backups()

    def compact(self, by: Acting | None = None) -> int:
        """Merge what the store keeps in parts; how many parts were merged (none where nothing is kept in parts)."""
        return 0

    def holds(self, path: str | Path) -> bool:
        """Whether ``path`` is one of the store's own files, which no command may write over."""
        return False

    # the writes ----------------------------------------------------------------------
    def save(
        self,
        changes: Mapping[str, Mapping[str, Any]],
        revisions: Mapping[str, int] | None,
        by: Acting,
        source: str,
        at: dt.datetime | None = None,
        happened: Mapping[str, dt.datetime] | None = None,
    ) -> SaveResult:
        """Apply every change or none: revisions checked (ConflictError), rules applied (ChangeError).

        ``at`` is the time of the save; ``happened`` when a task's changes happened, where the
        caller knows it (an import of past progress): the history's ``at``, with ``recorded_at`` the save.
        """
        name = self._name(by)
        with self._writing() as writing:
            access.check(access.refuse_progress(by, writing.rows, changes))
            updates = updated_rows(writing.rows, changes, revisions or {}, self.rules)
            return self._commit(writing, updates, name, source, at or _now(), happened)

    def verify(
        self,
        task_ids: list[str],
        by: Acting,
        revisions: Mapping[str, int] | None = None,
        source: str = "ui",
        at: dt.datetime | None = None,
    ) -> SaveResult:
        """Record that ``by`` checked each done task's evidence; never the person who set it done (four eyes)."""
        name, at = self._name(by), at or _now()
        with self._writing() as writing:
            access.check(access.refuse_verify(by, writing.rows, task_ids))
            check_revisions(writing.rows, {t: {} for t in task_ids}, revisions or {})
            done_by = self._done_by(writing, task_ids)
            updates = {
                t: verified(writing.rows.get(t, default_row(t)), name, utc_stamp(at), done_by.get(t, ""))
                for t in task_ids
            }
            return self._commit(writing, updates, name, source, at)

    def migrate(self, by: Acting, at: dt.datetime | None = None) -> SaveResult:
        """Carry the progress of tasks the plan renamed over to their new ids; the history keeps the old rows."""
        name = self._name(by)
        with self._writing() as writing:
            access.check(access.refuse_store(by, "migrate"))
            updates = moved_rows(writing.rows, self.rules)
            moved = {new: old for old, new in self.rules.renames.items() if new in updates}
            renamed = [(old, "renamed_to", "", new) for new, old in moved.items()]
            return self._commit(writing, updates, name, "migrate", at or _now(), removed=renamed)

    def restore_to(self, seq: int, by: Acting) -> SaveResult:
        """Progress as it stood after change ``seq``, written as a new save; the records, being a log of what
        happened, are kept as they are."""
        name = self._name(by)
        with self._writing() as writing:
            access.check(access.refuse_store(by, "restore"))
            if not 0 <= seq <= writing.seq:
                raise StoreError(f"there is no change {seq} to restore to; the changes run from 1 to {writing.seq}")
            events = self.history(committed=writing.seq)
            wanted = replay(events[events["seq"] <= seq], self.rules.renames)
            updates = self._restored(writing.rows, wanted)
            return self._commit(writing, updates, name, f"restore:change {seq}", _now())

    def save_records(
        self,
        kind: str,
        added: list[dict[str, Any]],
        changed: Mapping[str, Mapping[str, Any]],
        revisions: Mapping[str, int] | None,
        by: Acting,
        source: str,
        at: dt.datetime | None = None,
        check: RecordsCheck | None = None,
    ) -> SaveResult:
        """Add records and change others, all or none, under the same lock, revisions and history as progress.

        ``check`` gets the progress as it is under the lock and the records about to be written, and
        returns problems (id, field, message) that refuse the save: a rule that needs the progress.
        """
        schema, name, at = schema_of(kind), self._name(by), at or _now()
        with self._writing() as writing:
            access.check(access.refuse_records(by, kind))
            current = self._saved_records(writing, kind)
            updates = planned_records(schema, current, added, changed, revisions or {}, self.rules, name, at)
            problems = check(self.joined(saved_frame(writing.rows.values())), updates) if check else []
            if problems:
                raise ChangeError(problems)
            history = committed_records(schema, current, updates, writing.seq + 1, name, source, at)
            if not history:
                return SaveResult(writing.seq, [], 0)
            changed_ids = {row[4] for row in history}
            self._keep_records(writing, schema, current, changed_ids, history)
            return SaveResult(writing.seq + 1, sorted(changed_ids), len(history))

    # shared steps --------------------------------------------------------------------
    def _commit(
        self,
        writing: Writing,
        updates: Mapping[str, dict],
        by: str,
        source: str,
        at: dt.datetime,
        happened: Mapping[str, dt.datetime] | None = None,
        removed: list[tuple[str, str, str, str]] | tuple = (),
    ) -> SaveResult:
        """The history rows of a save of progress, handed to the store with the rows after it.

        ``removed``: (task_id, field, old, new) rows of tasks whose progress leaves under another id
        (a migration's renames), recorded in the history and dropped from progress.
        """
        seq, rows = writing.seq + 1, dict(writing.rows)
        for task_id, *_ in removed:
            del rows[task_id]
        history = committed_rows(rows, updates, seq, by, source, at, happened)
        history += [(seq, utc_stamp(at), by, source, *row, utc_stamp(at)) for row in removed]
        if not history:
            return SaveResult(writing.seq, [], 0)
        changed = {row[4] for row in history} - {row[0] for row in removed}
        self._keep_progress(writing, rows, changed, [row[0] for row in removed], history)
        return SaveResult(seq, sorted({row[4] for row in history}), len(history))

    def _restored(self, rows: Mapping[str, dict], wanted: Mapping[str, dict]) -> dict[str, dict]:
        """The updates that bring every task's fields back to ``wanted`` (a task absent there to its defaults)."""
        fields = (*values.FIELDS, "verified_by", "verified_at")
        return {
            t: {**rows.get(t, default_row(t)), **{f: wanted.get(t, default_row(t))[f] for f in fields}}
            for t in set(rows) | set(wanted)
        }

    def _done_by(self, writing: Writing, task_ids: list[str]) -> dict[str, str]:
        """Who last set each task done (under any earlier id it had): the ``by`` of that history row."""
        events = self._status_events(writing, self.rules.with_earlier_ids(task_ids))
        done = events[events["new"] == "done"]
        named = done["task_id"].map(lambda t: self.rules.renames.get(t, t))
        return dict(zip(named, done["by"], strict=True))

    def joined(self, saved: pd.DataFrame) -> pd.DataFrame:
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

    @staticmethod
    def _name(by: Acting) -> str:
        """Who the history names; refused when it could not be written to an export or shown in a terminal."""
        name = access.name_of(by)
        unfit = values.text_problem(name)
        if unfit:
            raise StoreError(f"the name of who made the change ({name!r}) {unfit}; nothing was saved")
        return name


def saved_frame(rows: Any) -> pd.DataFrame:
    """Saved rows (values as the rules take them) as the typed frame a load gives."""
    frame = pd.DataFrame(list(rows), columns=COLUMNS)
    for name in values.DATE_FIELDS:
        frame[name] = pd.to_datetime(frame[name])
    for name in INT_COLUMNS:
        frame[name] = frame[name].astype("int64")
    return frame


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
