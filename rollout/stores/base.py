"""The interface every store implements: the files of a data folder, or a database."""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from rollout.progress import SaveResult, Snapshot


class Store(abc.ABC):
    """What the app and the CLI need of a store: progress, its history, backups and restores."""

    @abc.abstractmethod
    def load(self) -> Snapshot: ...

    @abc.abstractmethod
    def save(
        self,
        changes: Mapping[str, Mapping[str, Any]],
        revisions: Mapping[str, int] | None,
        by: str,
        source: str,
        at: dt.datetime | None = None,
    ) -> SaveResult: ...

    @abc.abstractmethod
    def history(self, task_id: str | None = None, committed: int | None = None) -> pd.DataFrame:
        """The change log, oldest first; ``committed``: the ``seq`` of a Snapshot the caller holds.

        Without it the last committed save is read again; with it the log matches that snapshot.
        """

    @abc.abstractmethod
    def backups(self) -> list[str]: ...

    @abc.abstractmethod
    def restore(self, name: str, by: str) -> SaveResult: ...

    @abc.abstractmethod
    def version(self) -> tuple:
        """A cheap token that changes whenever progress or history changes (for caches)."""
