"""The interface every store implements: the files of a data folder, or a database."""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from rollout.access import Acting
from rollout.progress import SaveResult, Snapshot


class Store(abc.ABC):
    """What the app and the CLI need of a store: progress, its history, backups and restores.

    Every write takes ``by``: a plain name (the CLI, the app in local mode: a local operator with
    every right) or an access.Actor, whose role is checked under the lock against the rows as they
    are; a write the role may not make raises access.AccessError before anything is written.
    """

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the data lives, as shown to people: a folder, or a database URL without its password."""

    @abc.abstractmethod
    def load(self) -> Snapshot: ...

    @abc.abstractmethod
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

    @abc.abstractmethod
    def verify(
        self,
        task_ids: list[str],
        by: Acting,
        revisions: Mapping[str, int] | None = None,
        source: str = "ui",
        at: dt.datetime | None = None,
    ) -> SaveResult:
        """Record that ``by`` checked each done task's evidence; never the person who set it done (four eyes)."""

    @abc.abstractmethod
    def records(self, kind: str) -> pd.DataFrame:
        """The assurance records of a kind (assessments, findings, decisions), typed, in id order."""

    @abc.abstractmethod
    def save_records(
        self,
        kind: str,
        added: list[dict[str, Any]],
        changed: Mapping[str, Mapping[str, Any]],
        revisions: Mapping[str, int] | None,
        by: Acting,
        source: str,
        at: dt.datetime | None = None,
        check: Callable[[pd.DataFrame, dict[str, dict]], list[tuple[str, str, str]]] | None = None,
    ) -> SaveResult:
        """Add records and change others, all or none, under the same lock, revisions and history as progress.

        ``check`` gets the progress as it is under the lock and the records about to be written, and
        returns problems (id, field, message) that refuse the save: a rule that needs the progress.
        """

    @abc.abstractmethod
    def history(self, task_id: str | None = None, committed: int | None = None) -> pd.DataFrame:
        """The change log, oldest first; ``committed``: the ``seq`` of a Snapshot the caller holds.

        Without it the last committed save is read again; with it the log matches that snapshot.
        """

    @abc.abstractmethod
    def backups(self) -> list[str]: ...

    @abc.abstractmethod
    def restore(self, name: str, by: Acting) -> SaveResult: ...

    @abc.abstractmethod
    def version(self) -> tuple:
        """A cheap token that changes whenever progress or history changes (for caches)."""
