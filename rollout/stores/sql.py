"""The SQL store: progress, the history and the assurance records in PostgreSQL, for several app servers.

SQLAlchemy 2 Core over psycopg 3; the schema is Alembic's (sqlschema.py). A write is one transaction:
it first locks the save counter's row (``SELECT ... FOR UPDATE``), so writes take turns as they do
under the file store's lock, then reads the rows, checks the role, the revisions and the rules
(base.py), writes the rows with ``... WHERE revision = :seen`` (a row changed meanwhile refuses the
whole save), appends the history, moves the counter on and announces the new ``seq`` with NOTIFY; a
refusal rolls everything back. The database itself refuses any change to a history row. Loads read
progress, the records and the counter in one repeatable-read transaction, through COPY, and type the
values with the file store's own rules, so both stores give the same frames.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
import sqlalchemy as sa
from psycopg import sql
from sqlalchemy.dialects.postgresql import insert

from rollout.progress import COLUMNS, SaveResult, Snapshot, StoreError, unmigrated
from rollout.records import SCHEMAS, Schema, schema_of
from rollout.stores import fileformat, filerecords, live, sqlschema
from rollout.stores import filehistory as hist
from rollout.stores.base import Dump, Store, Writing

log = logging.getLogger(__name__)
HEARTBEAT = 30.0  # seconds of silence after which a listener reads the counter anyway
NO_BACKUPS = (
    "a database keeps no backup files: restore progress to a change with restore --to-seq N, "
    "or the whole database from its dump (see the README's backup section)"
)


@dataclass
class Transaction(Writing):
    """A write's transaction, holding the save counter's lock."""

    connection: sa.Connection = None  # type: ignore[assignment]


class SqlStore(Store):
    """Progress, history and records in the tables of a PostgreSQL database."""

    def __init__(self, url: str, plan: Any):
        super().__init__(plan)
        self.url = url
        self.engine, meta = sqlschema.connect(url)
        self.tables = meta.tables

    @property
    def location(self) -> str:
        return sqlschema.shown(self.url)

    def format(self) -> str:
        return "postgresql"

    def require_existing(self) -> None:
        """Nothing to check: opening the store reached the database and made its tables."""

    def version(self) -> tuple:
        # xmin changes with every commit of the counter, and when a restored dump writes it again
        with sqlschema.reached(self.url), self.engine.connect() as connection:
            seq, xmin = connection.execute(sa.text("SELECT seq, xmin::text FROM save_counter")).one()
        return (seq, xmin)

    # reading -------------------------------------------------------------------
    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sa.Connection]:
        """One repeatable-read, read-only transaction: every table as of the same commit."""
        with sqlschema.reached(self.url), self.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with connection.begin():
                yield connection

    def load(self) -> Snapshot:
        with self._snapshot() as connection:
            seq = connection.execute(sa.text("SELECT seq FROM save_counter")).scalar_one()
            saved = self._progress(connection)
            records = {kind: self._records(connection, kind) for kind in SCHEMAS}
        frame = self.joined(saved)
        orphans = frame.loc[frame["orphaned"], "task_id"].tolist()
        unmigrated(self.rules, orphans, self.location)
        return Snapshot(frame, seq, self.format(), orphans, records)

    def records(self, kind: str) -> pd.DataFrame:
        schema_of(kind)
        with self._snapshot() as connection:
            return self._records(connection, kind)

    def history(self, task_id: str | None = None, committed: int | None = None) -> pd.DataFrame:
        with self._snapshot() as connection:
            if committed is None:
                committed = connection.execute(sa.text("SELECT seq FROM save_counter")).scalar_one()
            where = sql.SQL("seq <= {}").format(sql.Literal(committed))
            if task_id is not None:
                ids = sql.SQL(", ").join(map(sql.Literal, sorted(self.rules.with_earlier_ids([task_id]))))
                where = sql.SQL("{} AND task_id IN ({})").format(where, ids)
            query = sql.SQL("SELECT {} FROM history WHERE {} ORDER BY position").format(_names(hist.COLUMNS), where)
            data = _copy_out(connection, query)
        try:
            return hist.parse_csv(data)
        except hist.HistoryError as exc:
            raise StoreError(f"{self.location}: the history table: {exc}") from None

    def _progress(self, connection: sa.Connection) -> pd.DataFrame:
        data = _copy_out(connection, sql.SQL("SELECT {} FROM progress ORDER BY task_id").format(_names(COLUMNS)))
        raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False)
        where = f"{self.location} (table progress)"
        return fileformat.typed(raw, where, lambda _, problem: StoreError(f"{where}: {problem}"))  # type: ignore[arg-type]

    def _records(self, connection: sa.Connection, kind: str) -> pd.DataFrame:
        schema = SCHEMAS[kind]
        query = sql.SQL("SELECT {} FROM {} ORDER BY id").format(_names(schema.columns), sql.Identifier(kind))
        data = _copy_out(connection, query)
        return filerecords.parse(io.BytesIO(data), schema, f"{self.location} (table {kind})")

    # writing: what base.Store asks of a store ------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[Transaction]:
        with sqlschema.reached(self.url), self.engine.begin() as connection:
            seq = connection.execute(sa.text("SELECT seq FROM save_counter WHERE id = 1 FOR UPDATE")).scalar_one()
            yield Transaction(seq, _rows(connection, self.tables["progress"], "task_id"), connection)

    def _saved_records(self, writing: Writing, kind: str) -> dict[str, dict[str, Any]]:
        assert isinstance(writing, Transaction)
        return _rows(writing.connection, self.tables[kind], "id")

    def _status_events(self, writing: Writing, task_ids: list[str]) -> pd.DataFrame:
        assert isinstance(writing, Transaction)
        query = sa.text(
            'SELECT task_id, "by", "new" FROM history WHERE field = \'status\' AND task_id = ANY(:ids) ORDER BY position'
        )
        found = writing.connection.execute(query, {"ids": sorted(task_ids)}).all()
        return pd.DataFrame(found, columns=["task_id", "by", "new"])

    def _keep_progress(self, writing, rows, changed, removed, history) -> None:
        table = self.tables["progress"]
        self._upsert(writing, table, "task_id", [rows[t] for t in sorted(changed)])
        if removed:
            writing.connection.execute(table.delete().where(table.c.task_id.in_(removed)))
        self._commit_history(writing, history)

    def _keep_records(self, writing, schema: Schema, rows, changed, history) -> None:
        self._upsert(writing, self.tables[schema.kind], "id", [rows[i] for i in sorted(changed)])
        self._commit_history(writing, history)

    def _upsert(self, writing: Transaction, table: sa.Table, key: str, rows: list[dict]) -> None:
        """Write the rows, each only over the revision it was read at: a row changed since refuses the save."""
        if not rows:
            return
        statement = insert(table).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[key],
            set_={c.name: statement.excluded[c.name] for c in table.columns if c.name != key},
            where=table.c.revision == statement.excluded.revision - 1,
        ).returning(table.c[key])
        written = writing.connection.execute(statement).scalars().all()
        if len(written) != len(rows):
            missed = sorted({r[key] for r in rows} - set(written))
            raise StoreError(f"{', '.join(missed)}: changed by another save meanwhile; nothing was saved, try again")

    def _commit_history(self, writing: Transaction, history: list[tuple]) -> None:
        seq = writing.seq + 1
        _copy_in(writing.connection, "history", hist.COLUMNS, history)
        writing.connection.execute(sa.text("UPDATE save_counter SET seq = :seq WHERE id = 1"), {"seq": seq})
        writing.connection.execute(sa.text("SELECT pg_notify(:channel, :seq)"), {"channel": sqlschema.CHANNEL, "seq": str(seq)})  # fmt: skip

    # restoring and moving ------------------------------------------------------------
    def backups(self) -> list[str]:
        return []

    def restore(self, name: str, by: Any) -> SaveResult:
        raise StoreError(f"no backup named {name!r}: {NO_BACKUPS}")

    def setting(self, name: str) -> str | None:
        with sqlschema.reached(self.url), self.engine.connect() as connection:
            return connection.execute(sa.text("SELECT value FROM settings WHERE name = :name"), {"name": name}).scalar()

    def keep_setting(self, name: str, text: str) -> None:
        table = self.tables["settings"]
        statement = insert(table).values(name=name, value=text)
        statement = statement.on_conflict_do_update(index_elements=["name"], set_={"value": statement.excluded.value})
        with sqlschema.reached(self.url), self.engine.begin() as connection:
            connection.execute(statement)

    def watcher(self, on_change: Callable[[str], None] | None = None) -> DatabaseListener:
        return DatabaseListener(self.url, on_change)

    def dump(self) -> Dump:
        with self._snapshot() as connection:
            seq = connection.execute(sa.text("SELECT seq FROM save_counter")).scalar_one()
            saved = fileformat.rows_of(self._progress(connection))
            records = {kind: filerecords.rows(self._records(connection, kind), s) for kind, s in SCHEMAS.items()}
        return Dump(seq, saved, records, self.history(committed=seq))

    def fill(self, dump: Dump) -> None:
        with self.engine.begin() as connection:
            held = connection.execute(sa.text("SELECT seq FROM save_counter WHERE id = 1 FOR UPDATE")).scalar_one()
            rows = connection.execute(sa.text("SELECT (SELECT count(*) FROM progress) + (SELECT count(*) FROM history)")).scalar_one()  # fmt: skip
            if held or rows:
                raise StoreError(f"{self.location}: already holds progress or history; fill only an empty database")
            for table, found in {"progress": dump.progress, **dump.records}.items():
                columns = [c.name for c in self.tables[table].columns]
                _copy_in(connection, table, columns, [[row[c] for c in columns] for _, row in sorted(found.items())])
            _copy_in(connection, "history", hist.COLUMNS, dump.history[hist.COLUMNS].itertuples(index=False))
            connection.execute(sa.text("UPDATE save_counter SET seq = :seq WHERE id = 1"), {"seq": dump.seq})
            connection.execute(sa.text("SELECT pg_notify(:channel, :seq)"), {"channel": sqlschema.CHANNEL, "seq": str(dump.seq)})  # fmt: skip


def _rows(connection: sa.Connection, table: sa.Table, key: str) -> dict[str, dict[str, Any]]:
    """A table's rows by key, values as the rules take them (dates as dates); a plain SELECT, not a frame:
    a write reads them while it holds the lock every other write waits for."""
    result = connection.execute(sa.select(table))
    columns = list(result.keys())
    at = columns.index(key)
    # every row fetched at once and zipped: row-by-row mappings took 90 % of a save at 10,000 tasks
    return {row[at]: dict(zip(columns, row, strict=True)) for row in result.all()}


def _names(columns: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, columns))


def _copy_out(connection: sa.Connection, query: sql.Composable) -> bytes:
    """A query's rows as CSV with a header, through COPY on the transaction's own connection."""
    buffer = io.BytesIO()
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER)").format(query)) as copy:
        for chunk in copy:
            buffer.write(chunk)
    return buffer.getvalue()


def _copy_in(connection: sa.Connection, table: str, columns: list[str], rows: Any) -> None:
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table), _names(columns))) as copy:
        for row in rows:
            copy.write_row(tuple(row))


class DatabaseListener(live.Watcher):
    """LISTENs on the database's change channel; reads the save counter after connecting and on silence."""

    def __init__(self, url: str, on_change: Callable[[str], None] | None = None):
        super().__init__("rollout-database-listener", on_change)
        self.url, self.channel = sqlschema.libpq_url(url), sqlschema.CHANNEL

    def _run(self) -> None:
        wait = 0.1
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5, application_name="rollout-listener",
                                     keepalives=1, keepalives_idle=30) as connection:  # fmt: skip
                    connection.execute(f"LISTEN {self.channel}")
                    self._resync(connection)  # after LISTEN: no commit can fall between the two
                    wait = 0.1
                    self._listen(connection)
            except psycopg.Error as exc:
                log.warning("database listener: connection lost (%s); connecting again", exc)
            if self._stop.wait(wait):
                break
            wait = min(wait * 2, 5.0)

    def _listen(self, connection: psycopg.Connection) -> None:
        quiet = 0.0
        while not self._stop.is_set():
            heard = False
            for note in connection.notifies(timeout=live.LOOK_EVERY):
                heard = True
                self._saw(note.payload)
            # never query inside the notifies() loop: it holds the connection
            quiet = 0.0 if heard else quiet + live.LOOK_EVERY
            if quiet >= HEARTBEAT:
                self._resync(connection)
                quiet = 0.0

    def _resync(self, connection: psycopg.Connection) -> None:
        (seq,) = connection.execute("SELECT seq FROM save_counter").fetchone()
        self._saw(str(seq))  # the payload of a commit's announcement is its seq
