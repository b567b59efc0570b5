"""What an import would do, shown before anything is saved: every change, clear, conflict and rejected row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rollout.sheets.limits import Note, Remedy, SpreadsheetError

RULED = ("status", "percent", "start", "due")  # the fields the store's rules tie together
CHANGE_COLUMNS = ["sheet", "row", "task_id", "field", "old", "new", "kind"]
CONFLICT_COLUMNS = ["sheet", "row", "task_id", "field", "old", "new", "exported_revision", "revision", "updated_by"]
NEWER_COLUMNS = ["sheet", "row", "task_id", "field", "old", "new", "changed_at", "changed_by"]
PROBLEM_COLUMNS = ["sheet", "row", "column", "cell", "value", "task_id", "message", "suggestions"]


@dataclass(kw_only=True)
class Reading:
    """What every import's preview tells: the file, which sheets and columns were read and how, the rows refused.

    ``problems``: why each rejected row is refused, where (sheet, row, column, cell) and the value;
    ``suggestions`` holds close ids. ``header`` is the header's row number; ``head`` the first rows.
    """

    file: str
    records: str
    sheets: list[str]
    own_export: bool
    columns: list[str]
    mapping: dict[str, str]
    header: int
    head: list[list[str]]
    notes: list[Note]
    problems: pd.DataFrame
    unchanged: int
    rejected: int
    in_conflict: int = 0  # rows
    remember: bool = False  # a mapping changed by the user, kept once applied

    @property
    def source(self) -> str:
        return f"import:{Path(self.file).name}"

    @property
    def refused(self) -> bool:
        """True when a row is rejected or in conflict: the import applies only with valid rows only chosen."""
        return self.rejected > 0 or self.in_conflict > 0

    @property
    def newer_values(self) -> int:
        """Values changed in the tool after the file was saved that the import would overwrite."""
        return 0

    def refusals(self) -> str:
        """The rows that keep the import from applying, counted: "2 rows rejected, 1 row in conflict"."""
        parts = [(self.rejected, "rejected"), (self.in_conflict, "in conflict")]
        return ", ".join(f"{n} row{'s' if n != 1 else ''} {what}" for n, what in parts if n)

    def refusal(self, valid_rows_only: bool = False, overwrite_newer: bool = False) -> SpreadsheetError | None:
        """Why applying would be refused with these choices, if it would."""
        if self.refused and not valid_rows_only:
            return SpreadsheetError(
                f"refused: {self.refusals()}; nothing was saved", file=self.file, remedy=Remedy("valid_rows_only")
            )
        if self.newer_values and not overwrite_newer:
            return SpreadsheetError(
                f"refused: {self.newer_values} values were changed in the tool after the file was saved; "
                "nothing was saved",
                file=self.file,
                remedy=Remedy("overwrite_newer"),
            )
        return None

    @property
    def suggestions(self) -> pd.DataFrame:
        return self.problems[self.problems["suggestions"].map(bool)]


@dataclass(kw_only=True)
class Preview(Reading):
    """What a progress import would do; nothing is written until ``apply_import``.

    ``changes``: sheet, row, task_id, field, old, new, kind ("change" or "clear"), derived
    changes included (status done sets percent 100). ``conflicts``: rows of a workbook this
    tool exported whose task changed in the tool since: old is the value now, new the file's.
    ``newer``: changes of values changed in the tool after the file was saved (``saved_on``).
    ``happened``: when each dated task's changes happened (a date column, or ``as_of``).
    """

    date_order: str | None
    changes: pd.DataFrame
    conflicts: pd.DataFrame
    newer: pd.DataFrame
    changed: int
    as_of: dt.date | None = None
    saved_on: dt.datetime | None = None
    updates: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)  # field: tasks, values
    revisions: dict[str, int] = field(default_factory=dict, repr=False)  # as loaded, checked again by the save
    happened: dict[str, dt.datetime] = field(default_factory=dict, repr=False)

    @property
    def payload(self) -> dict[str, dict[str, Any]]:
        """The changes as ``store.save`` takes them."""
        out: dict[str, dict[str, Any]] = {}
        for name, (tasks, typed) in self.updates.items():
            for task_id, value in zip(tasks.tolist(), typed.tolist(), strict=True):
                out.setdefault(task_id, {})[name] = value
        return out

    @property
    def clears(self) -> pd.DataFrame:
        return self.changes[self.changes["kind"] == "clear"]

    @property
    def conflicted(self) -> int:
        """Tasks in conflict."""
        return self.conflicts["task_id"].nunique()

    @property
    def newer_values(self) -> int:
        return len(self.newer)
