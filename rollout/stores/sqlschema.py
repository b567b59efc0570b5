"""The SQL store's connection and schema: one engine per database, the schema made and upgraded by Alembic.

A data location that is a ``postgresql://`` URL names a database. The first use of a database in a
process upgrades its schema to the newest migration (``rollout/stores/migrations``, Alembic run from
code, no alembic.ini), under an advisory lock so that servers starting together migrate it once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine, make_url

from rollout.progress import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
SCHEMA_LOCK = 7_201_001  # the advisory lock key taken while migrating
CHANNEL = "rollout_changes"  # NOTIFY channel: the payload is the committed save's seq
TABLES = ("progress", "history", "assessments", "findings", "decisions", "save_counter", "settings")

_engines: dict[str, tuple[Engine, sa.MetaData]] = {}
_guard = threading.Lock()


def driver_url(url: str) -> str:
    """The URL with psycopg 3 as SQLAlchemy's driver."""
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The URL as psycopg itself takes it (for LISTEN and COPY)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def shown(url: str) -> str:
    """The URL as people see it: never its password."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)


def connect(url: str) -> tuple[Engine, sa.MetaData]:
    """The process's engine for a database, its schema upgraded on first use, and its tables."""
    key = driver_url(url)
    with _guard, reached(url):
        if key not in _engines:
            engine = sa.create_engine(key, pool_pre_ping=True, pool_size=5, max_overflow=10)
            upgrade(engine)
            tables = sa.MetaData()
            tables.reflect(engine, only=TABLES)
            _engines[key] = engine, tables
        return _engines[key]


@contextlib.contextmanager
def reached(url: str) -> Iterator[None]:
    """A database that cannot be reached (down, refused, wrong password) as a StoreError naming it."""
    try:
        yield
    except sa.exc.OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"{shown(url)}: the database cannot be reached ({reason}); nothing was changed") from None


def dispose() -> None:
    """Close every pooled connection (tests dropping a database, a process after fork)."""
    with _guard:
        for engine, _ in _engines.values():
            engine.dispose()
        _engines.clear()


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _current(connection: sa.Connection) -> str | None:
    # pg_class, not to_regclass: it answers from the statement's snapshot, after waiting on the lock
    exists = connection.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'alembic_version' AND n.nspname = current_schema())"
        )
    ).scalar()
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() if exists else None


def upgrade(engine: Engine) -> bool:
    """``alembic upgrade head`` when the database is behind, once however many processes race; True if it ran."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    with engine.connect() as connection:
        if _current(connection) == head:
            return False
    with engine.begin() as connection:  # DDL is transactional: the lock and the migration commit together
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        if _current(connection) == head:
            return False
        command.upgrade(_config(connection), "head")
    return True
