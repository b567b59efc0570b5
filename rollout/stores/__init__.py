"""Stores: where progress, the assurance records and the history of every change are kept.

A data location is a folder (the file store: CSV or Parquet files) or a ``postgresql://`` URL
(the SQL store); both implement base.Store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rollout.config import is_database
from rollout.stores.base import Store


def open_store(location: str | Path, plan: Any) -> Store:
    """The store at a data location: a folder, or a database URL."""
    if is_database(location):
        from rollout.stores.sql import SqlStore  # SQLAlchemy and psycopg only for those who use them

        return SqlStore(str(location), plan)
    from rollout.stores.files import FileStore

    return FileStore(location, plan)
