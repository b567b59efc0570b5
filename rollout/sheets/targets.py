"""What an import reads into: task progress or audit findings; the fields a column may be read as, their
names in words, the usual column names for each, and the columns of this tool's own export of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rollout import values
from rollout.records import FINDINGS as FINDING_SCHEMA
from rollout.sheets import exporter
from rollout.sheets.limits import Remedy

IGNORE = "ignore"  # a column left out (--map COLUMN=ignore, "Ignore" on the page)
IGNORE_LABEL = "Ignore"
AS_OF = "as_of"  # a progress column saying when the row's changes happened


@dataclass(frozen=True)
class Need:
    """Fields of which a mapping names at least one, what is said when it names none, and what to do."""

    fields: tuple[str, ...]
    missing: str
    remedy: Remedy


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: there is one of each
class Target:
    """One kind of record an import reads."""

    records: str  # "progress" or "findings"
    anchors: tuple[str, ...]  # a header row names at least one of these
    imported: tuple[str, ...]  # the fields whose values the import writes
    labels: Mapping[str, str]  # every field a column may be read as, in words, in the order shown
    synonyms: Mapping[str, tuple[str, ...]]  # usual column names of each field (case, spaces, punctuation ignored)
    own_columns: tuple[str, ...]  # the columns of this tool's export of these records
    own_sheet: str  # what the export's sheets of these records are called in a note
    needs: tuple[Need, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field a column may be read as (the codes ``--map`` takes)."""
        return tuple(self.labels)

    def own_mapping(self, columns: list[str]) -> dict[str, str]:
        """How an export of this tool maps: by the machine names it writes (a title is for reading only)."""
        return {c: c for c in columns if c in self.labels and c != "title"}


PROGRESS = Target(
    records="progress",
    anchors=("task_id", "title"),
    imported=values.FIELDS,
    labels={
        "task_id": "Task ID",
        "title": "Title",
        "status": "Status",
        "percent": "% complete",
        "owner": "Owner",
        "start": "Start date",
        "due": "Due date",
        "evidence": "Evidence",
        "notes": "Notes",
        AS_OF: "Date of the update",
    },
    synonyms={
        "task_id": ("task id", "id", "ref", "#", "reference", "task ref", "task no", "task number", "task #", "ref no"),
        "title": ("task", "title", "activity", "name", "task name", "task title", "action", "item"),
        "status": ("status", "state", "task status", "current status"),
        "percent": (
            "% complete",
            "progress",
            "percent",
            "complete",
            "%",
            "percent complete",
            "pct complete",
            "% done",
            "done %",
            "completion",
            "progress %",
            "complete %",
        ),
        "owner": ("owner", "responsible", "assignee", "assigned to", "task owner", "lead", "who", "action owner"),
        "start": ("start", "start date", "begin", "planned start"),
        "due": ("due", "due date", "target date", "deadline", "end", "end date", "finish", "planned end", "target"),
        "evidence": ("evidence", "link", "evidence link", "url", "document link", "evidence location"),
        "notes": ("notes", "comments", "remarks", "comment", "note", "remark", "latest update"),
        AS_OF: (
            "as of",
            "as at",
            "updated",
            "last updated",
            "updated on",
            "date updated",
            "update date",
            "date of update",
            "status date",
            "reporting date",
            "report date",
            "date of the update",
        ),
    },
    own_columns=tuple(exporter.COLUMNS),
    own_sheet="stage sheets",
    needs=(
        Need(("task_id", "title"), "has no task id or title column", Remedy("map_key")),
        Need(
            values.FIELDS,
            "has no column to import (status, percent, owner, start, due, evidence or notes)",
            Remedy("map_columns"),
        ),
    ),
)

FINDINGS = Target(
    records="findings",
    anchors=("id", "description", "clauses"),
    imported=("clauses", "source", "grade", "description", "cause", "action", "owner", "due", "status", "closed_on"),
    labels={
        "id": "Finding ID",
        "clauses": "Clauses",
        "grade": "Grade",
        "description": "Finding",
        "cause": "Root cause",
        "action": "Corrective action",
        "owner": "Owner",
        "due": "Due date",
        "status": "Status",
        "source": "Found in (audit)",
        "closed_on": "Closed on",
    },
    synonyms={
        "id": (
            "finding id",
            "finding ref",
            "finding no",
            "finding number",
            "nc ref",
            "nc no",
            "nc number",
            "nc id",
            "ref",
            "ref no",
            "reference",
            "no",
            "number",
            "#",
            "item",
        ),
        "clauses": (
            "clause",
            "clauses",
            "requirement",
            "iso clause",
            "clause ref",
            "clause reference",
            "standard clause",
            "iso 20000 clause",
            "requirement ref",
        ),
        "grade": (
            "grade",
            "category",
            "classification",
            "type",
            "finding type",
            "severity",
            "nc grade",
            "nc category",
            "finding category",
            "rating",
        ),
        "description": (
            "finding",
            "description",
            "nonconformity",
            "non conformity",
            "statement",
            "details",
            "finding description",
            "finding details",
            "statement of nonconformity",
            "issue",
        ),
        "cause": ("root cause", "cause", "root cause analysis"),
        "action": ("corrective action", "action", "actions", "corrective actions", "action plan", "correction"),
        "owner": ("owner", "responsible", "action owner", "assignee", "who", "responsible person"),
        "due": ("due", "due date", "target date", "deadline", "target", "target completion"),
        "status": ("status", "state", "nc status", "finding status"),
        "source": ("source", "audit", "audit type", "found in", "raised in", "origin"),
        "closed_on": ("closed", "closed on", "date closed", "closure date", "closed date"),
    },
    own_columns=tuple(FINDING_SCHEMA.columns),
    own_sheet="the findings sheet",
    needs=(
        Need(("description",), "has no column holding the findings themselves", Remedy("map_columns", "description")),
        Need(("clauses",), "has no column naming the clauses", Remedy("map_columns", "clauses")),
        Need(("grade",), "has no column giving the grades", Remedy("map_columns", "grade")),
    ),
)

TARGETS = {t.records: t for t in (PROGRESS, FINDINGS)}
