"""What an import would do, shown before anything is saved: every change, clear, conflict and rejected row."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RULED = ("status", "percent", "start", "due")  # the fields the store's rules tie together
CHANGE_COLUMNS = ["sheet", "row", "task_id", "field", "old", "new", "kind"]
CONFLICT_COLUMNS = ["sheet", "row", "task_id", "field", "old", "new", "exported_revision", "revision", "updated_by"]
PROBLEM_COLUMNS = ["sheet", "row", "column", "cell", "value", "task_id", "message", "suggestions"]


@dataclass
class Preview:
    """What an import would do; nothing is written until ``apply_import``.

    ``changes``: sheet, row, task_id, field, old, new, kind ("change" or "clear"), derived
    changes included (status done sets percent 100). ``conflicts``: rows of a workbook this
    tool exported whose task changed in the tool since: old is the value now, new the file's.
    ``problems``: why each rejected row is refused; ``suggestions`` holds close task ids.
    """

    file: str
    sheets: list[str]
    own_export: bool
    columns: list[str]
    mapping: dict[str, str]
    date_order: str | None
    changes: pd.DataFrame
    conflicts: pd.DataFrame
    problems: pd.DataFrame
    unchanged: int
    changed: int
    rejected: int
    notes: list[str] = field(default_factory=list)
    updates: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)  # field: tasks, values
    revisions: dict[str, int] = field(default_factory=dict, repr=False)  # as loaded, checked again by the save
    remember: bool = False  # a mapping changed by the user, kept once applied

    @property
    def payload(self) -> dict[str, dict[str, Any]]:
        """The changes as ``store.save`` takes them."""
        out: dict[str, dict[str, Any]] = {}
        for name, (tasks, typed) in self.updates.items():
            for task_id, value in zip(tasks.tolist(), typed.tolist(), strict=True):
                out.setdefault(task_id, {})[name] = value
        return out

    @property
    def source(self) -> str:
        return f"import:{Path(self.file).name}"

    @property
    def refused(self) -> bool:
        """True when a row is rejected or in conflict: the import applies only with valid rows only chosen."""
        return self.rejected > 0

    @property
    def clears(self) -> pd.DataFrame:
        return self.changes[self.changes["kind"] == "clear"]

    @property
    def conflicted(self) -> int:
        return self.conflicts["task_id"].nunique()

    @property
    def suggestions(self) -> pd.DataFrame:
        return self.problems[self.problems["suggestions"].map(bool)]
