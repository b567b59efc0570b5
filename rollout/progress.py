"""Progress of the plan's tasks: its columns, the rules every save follows, and the errors a refused save raises.

Every store (files, database) applies these rules the same way: a save applies all its changes
or none, refuses a task changed since the caller loaded it, and records every changed field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from rollout import values

COLUMNS = [
    "task_id",
    "status",
    "percent",
    "owner",
    "start",
    "due",
    "evidence",
    "notes",
    "updated_at",
    "updated_by",
    "revision",
    "seq",
]
INT_COLUMNS = ("percent", "revision", "seq")


@dataclass(frozen=True)
class Advice:
    """The action that repairs what an error reports, as data: the CLI words it as a command, a page as a control."""

    action: str  # "restore"
    argument: str  # what to restore: a backup's name


class StoreError(Exception):
    """A data folder problem; the message names the file and what was wrong, ``advice`` what repairs it."""

    def __init__(self, message: str, advice: Advice | None = None):
        super().__init__(message)
        self.advice = advice


class ChangeError(StoreError):
    """Refused values; ``problems`` lists (task_id, field, message)."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{t}: {f}: {m}" if f else f"{t}: {m}" for t, f, m in problems))


@dataclass
class Conflict:
    task_id: str
    loaded_revision: int
    revision: int
    updated_by: str
    updated_at: str
    theirs: dict[str, str]
    yours: dict[str, str]


class ConflictError(StoreError):
    """Tasks changed by someone else since the caller loaded them; nothing was written."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        lines = []
        for c in conflicts:
            theirs = ", ".join(f"{k}={v!r}" for k, v in c.theirs.items())
            lines.append(
                f"{c.task_id} was changed by {c.updated_by or 'someone'} at {c.updated_at} (revision {c.revision}, "
                f"you loaded {c.loaded_revision}); now: {theirs}"
            )
        super().__init__("conflict, nothing saved:\n" + "\n".join(lines))


@dataclass
class Snapshot:
    """Progress of every plan task (defaults where never saved) plus orphaned rows."""

    progress: pd.DataFrame
    seq: int
    format: str
    orphans: list[str] = field(default_factory=list)

    @property
    def revisions(self) -> dict[str, int]:
        return dict(zip(self.progress["task_id"], self.progress["revision"].astype(int), strict=False))


@dataclass
class SaveResult:
    seq: int
    tasks: list[str]
    history_rows: int
    repaired: str = ""  # what a restore repaired without changing a value (the history), in words


def default_row(task_id: str) -> dict[str, Any]:
    return {
        "task_id": task_id,
        "status": "not_started",
        "percent": 0,
        "owner": "",
        "start": None,
        "due": None,
        "evidence": "",
        "notes": "",
        "updated_at": "",
        "updated_by": "",
        "revision": 0,
        "seq": 0,
    }


def utc_stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def text_of(value: Any) -> str:
    """A field's value as written in the history and shown in conflicts."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def apply_change(row: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """The row after a change, validated by the shared rules; raises ChangeError naming the field."""
    task_id, problems, new = row["task_id"], [], dict(row)
    status = percent = None
    for name, raw in change.items():
        try:
            if name == "status":
                status = values.normalise_status(raw)
            elif name == "percent":
                percent = values.normalise_percent(raw)
                if percent is None:
                    raise values.ValueProblem("percent cannot be empty; expected 0 to 100")
            elif name in values.DATE_FIELDS:
                new[name] = values.normalise_date(raw)
            elif name in values.TEXT_FIELDS:
                new[name] = values.normalise_stored_text(raw)
            else:
                raise values.ValueProblem(f"unknown field; expected one of {', '.join(values.FIELDS)}")
        except values.ValueProblem as exc:
            problems.append((task_id, name, str(exc)))
    try:
        new["status"], new["percent"] = values.reconcile((row["status"], row["percent"]), status, percent)
    except values.ValueProblem as exc:
        problems.append((task_id, "status" if status is not None else "percent", str(exc)))
    if new["start"] and new["due"] and new["due"] < new["start"]:
        problems.append((task_id, "due", f"due {new['due']} is before start {new['start']}"))
    if problems:
        raise ChangeError(problems)
    return new


def diff_rows(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f, text_of(old[f]), text_of(new[f])) for f in values.FIELDS if text_of(old[f]) != text_of(new[f])]
