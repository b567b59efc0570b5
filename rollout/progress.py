"""Progress of the plan's tasks: its columns, the rules every save follows, and the errors a refused save raises.

Every store (files, database) applies these rules the same way: a save applies all its changes
or none, refuses a task changed since the caller loaded it, and records every changed field.
"""

from __future__ import annotations

import datetime as dt
import re
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
    "verified_by",
    "verified_at",
    "revision",
    "seq",
]
# the columns before verification was recorded: such a file still reads, and gains them on its next save
EARLIER_COLUMNS = [c for c in COLUMNS if c not in ("verified_by", "verified_at")]
INT_COLUMNS = ("percent", "revision", "seq")
VERIFICATION = ("verified_by", "verified_at")
RECORDED = (*values.FIELDS, *VERIFICATION)  # the fields whose every change is a history row
RECORD_ID = re.compile(r"^([ADF])-(\d{4,})$")  # an assessment's, finding's or decision's id in the history
CLEARS_VERIFICATION = ("status", "percent", "evidence")  # a change of these needs a new check


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
    """Progress of every plan task (defaults where never saved) plus orphaned rows, and the assurance records."""

    progress: pd.DataFrame
    seq: int
    format: str
    orphans: list[str] = field(default_factory=list)
    records: dict[str, pd.DataFrame] = field(default_factory=dict)  # kind -> records, as of the same save

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
        "verified_by": "",
        "verified_at": "",
        "revision": 0,
        "seq": 0,
    }


@dataclass(frozen=True)
class PlanRules:
    """What a save must know of the plan: its tasks, and the leaves each mandatory sms task serves.

    ISO/IEC 20000-1 permits no exclusion of a requirement, so a save may not leave a leaf of the
    plan's edition without an applicable mandatory sms task.
    """

    task_ids: tuple[str, ...]
    edition: str = ""
    serves: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # task -> leaves
    served_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # leaf -> tasks
    renames: Mapping[str, str] = field(default_factory=dict)  # old task id -> new, from the plan's renames.yaml
    clauses: frozenset[str] = frozenset()  # every clause id of the plan's edition, for the assurance records
    leaves: frozenset[str] = frozenset()
    stages: tuple[int, ...] = ()

    @classmethod
    def of(cls, plan_or_ids: Any) -> PlanRules:
        """The rules of a Plan; a plain list of task ids (tests, tools) has no clause rules."""
        if isinstance(plan_or_ids, PlanRules):
            return plan_or_ids
        if not hasattr(plan_or_ids, "tasks"):
            return cls(tuple(plan_or_ids))
        # built once per plan: every page opens a store a dozen times a run, and 10,000 tasks take 15 ms
        return plan_or_ids.derived("plan_rules", lambda: cls._of_plan(plan_or_ids))

    @classmethod
    def _of_plan(cls, plan: Any) -> PlanRules:
        serves = {t.id: plan.clauses_of(t, plan.edition) for t in plan.tasks.values() if t.builds_sms}
        served_by: dict[str, list[str]] = {}
        for task_id, leaves in serves.items():
            for leaf in leaves:
                served_by.setdefault(leaf, []).append(task_id)
        tree = plan.clauses[plan.edition]
        return cls(
            tuple(plan.tasks),
            plan.edition,
            serves,
            {k: tuple(v) for k, v in served_by.items()},
            dict(plan.renames),
            frozenset(tree),
            frozenset(c for c, clause in tree.items() if clause.is_leaf),
            tuple(s.number for s in plan.stages),
        )

    def with_earlier_ids(self, task_ids) -> set[str]:
        """The tasks and the ids they had before the plan renamed them: their history is one."""
        wanted = set(task_ids)
        return wanted | {old for old, new in self.renames.items() if new in wanted}

    def excluded(self, status_after: Mapping[str, str], going: list[str]) -> list[tuple[str, str, str]]:
        """Problems for the tasks set not applicable in a save that would leave a leaf with no mandatory sms task."""
        problems = []
        for task_id in going:
            bare = [
                leaf
                for leaf in self.serves.get(task_id, ())
                if all(status_after.get(other, "not_started") == "not_applicable" for other in self.served_by[leaf])
            ]
            if bare:
                problems.append(
                    (
                        task_id,
                        "status",
                        f"not applicable would leave clause {', '.join(bare)} ({self.edition}) with no mandatory task; "
                        "ISO/IEC 20000-1 permits no exclusion of a requirement, so the work is needed",
                    )
                )
        return problems


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
    touched_note = "notes" in change or (status == "not_applicable" and row["status"] != "not_applicable")
    if new["status"] == "not_applicable" and not new["notes"] and touched_note:
        problems.append((task_id, "notes", "not applicable needs a note saying why the work is not needed"))
    if problems:
        raise ChangeError(problems)
    if row.get("verified_by") and any(text_of(new[f]) != text_of(row[f]) for f in CLEARS_VERIFICATION):
        new["verified_by"] = new["verified_at"] = ""  # what was checked is no longer what is there
    return new


def verified(row: dict[str, Any], by: str, at: str, done_by: str) -> dict[str, Any]:
    """The row verified by ``by`` (four eyes: not the person who set it done); raises ChangeError if it cannot be."""
    task_id = row["task_id"]
    if row["status"] != "done":
        problem = f"is {values.STATUS_LABELS[row['status']].lower()}; only a done task's evidence is verified"
    elif not row["evidence"]:
        problem = "has no evidence to verify; add the link or reference to the evidence first"
    elif done_by and by.casefold() == done_by.casefold():
        problem = f"was set done by {done_by}; a second person verifies it (four eyes)"
    elif row["verified_by"]:
        problem = f"is already verified by {row['verified_by']} at {row['verified_at']}"
    else:
        return {**row, "verified_by": by, "verified_at": at}
    raise ChangeError([(task_id, "verified_by", problem)])


def unmigrated(rules: PlanRules, saved_ids: list[str], where: str) -> None:
    """Refuse a store whose progress still names tasks the plan renamed: their figures would be lost."""
    waiting = {old: new for old, new in rules.renames.items() if old in set(saved_ids)}
    if waiting:
        moves = ", ".join(f"{old} -> {new}" for old, new in waiting.items())
        raise StoreError(
            f"{where}: the plan renamed tasks this progress still names ({moves}); apply the plan's renames "
            "(`python -m rollout migrate`) to carry their progress and history over; nothing was changed"
        )


def moved_rows(rows: Mapping[str, dict], rules: PlanRules) -> dict[str, dict]:
    """The rows a migration writes: each renamed task's progress under its new id (refused if that holds some)."""
    moves = {old: new for old, new in rules.renames.items() if old in rows}
    taken = [new for new in moves.values() if new in rows and rows[new]["revision"]]
    if taken:
        raise ChangeError(
            [(t, "", "already holds progress of its own; the renamed task's cannot be moved onto it") for t in taken]
        )
    return {new: {**rows[old], "task_id": new} for old, new in moves.items()}


def diff_rows(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f, text_of(old[f]), text_of(new[f])) for f in RECORDED if text_of(old[f]) != text_of(new[f])]


def check_revisions(rows: Mapping[str, dict], changes: Mapping[str, Mapping], revisions: Mapping[str, int]) -> None:
    """Refuse, listing both sides, the tasks changed since the caller loaded them (ConflictError)."""
    conflicts = []
    for task_id, change in changes.items():
        current = rows.get(task_id, default_row(task_id))
        loaded = revisions.get(task_id)
        if loaded is not None and int(loaded) != current["revision"]:
            conflicts.append(
                Conflict(
                    task_id,
                    int(loaded),
                    current["revision"],
                    current["updated_by"],
                    current["updated_at"],
                    {f: text_of(current[f]) for f in values.FIELDS},
                    {f: values.normalise_text(text_of(v)) for f, v in change.items()},
                )
            )
    if conflicts:
        raise ConflictError(conflicts)


def updated_rows(
    rows: Mapping[str, dict], changes: Mapping[str, Mapping], revisions: Mapping[str, int], rules: PlanRules
) -> dict[str, dict]:
    """Each changed task's row after the save, every rule applied; raises ConflictError or ChangeError, all at once."""
    check_revisions(rows, changes, revisions)
    known, problems, updates = set(rules.task_ids), [], {}
    for task_id, change in changes.items():
        if task_id not in known:
            problems.append((task_id, "", "is not a task of the plan"))
            continue
        try:
            updates[task_id] = apply_change(rows.get(task_id, default_row(task_id)), change)
        except ChangeError as exc:
            problems.extend(exc.problems)
    going = [t for t, new in updates.items() if new["status"] == "not_applicable" != rows.get(t, {}).get("status")]
    if going:
        after = {t: r["status"] for t, r in rows.items()} | {t: r["status"] for t, r in updates.items()}
        problems.extend(rules.excluded(after, going))
    if problems:
        raise ChangeError(problems)
    return updates


def committed_rows(
    rows: dict[str, dict],
    updates: Mapping[str, dict],
    seq: int,
    by: str,
    source: str,
    at: dt.datetime,
    happened: Mapping[str, dt.datetime] | None = None,
) -> list[tuple]:
    """The history rows of a save (one per changed field), updating ``rows`` in place with the saved rows.

    ``at`` is when the save is made; ``happened`` when a task's changes happened, where a caller
    (an import of past progress) knows it: the history's ``at``, with ``recorded_at`` the save.
    """
    recorded, history = utc_stamp(at), []
    for task_id, new in updates.items():
        old = rows.get(task_id, default_row(task_id))
        diffs = diff_rows(old, new)
        if not diffs:
            continue
        when = utc_stamp(happened[task_id]) if happened and task_id in happened else recorded
        history.extend((seq, when, by, source, task_id, f, o, n, recorded) for f, o, n in diffs)
        rows[task_id] = {**new, "updated_at": recorded, "updated_by": by, "revision": old["revision"] + 1, "seq": seq}
    return history


def replay(events: pd.DataFrame, tasks: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Each task's saved row as the committed changes in ``events`` left it: each field's last value, one
    revision per save. ``tasks``: renames to follow (old id: new id); a migration's renamed_to rows also move a row."""
    moved = dict(tasks or {})
    moved |= dict(zip(*(events.loc[events["field"] == "renamed_to", c] for c in ("task_id", "new")), strict=True))
    events = events[~events["task_id"].astype(object).str.match(RECORD_ID)]
    ids = events["task_id"].map(lambda t: moved.get(t, t))
    rows: dict[str, dict[str, Any]] = {}
    saves = events.assign(task_id=ids).groupby("task_id", sort=False)
    summary = saves.agg(revision=("seq", "nunique"), seq=("seq", "max"), updated_at=("recorded_at", "last"),
                        updated_by=("by", "last"))  # fmt: skip
    for task_id, revision, seq, at, by in summary.itertuples():
        rows[task_id] = {**default_row(task_id), "revision": int(revision), "seq": int(seq)}
        rows[task_id] |= {"updated_at": at, "updated_by": by}
    known = events.assign(task_id=ids)
    known = known[known["field"].isin(RECORDED)].drop_duplicates(["task_id", "field"], keep="last")
    for task_id, name, new in known[["task_id", "field", "new"]].itertuples(index=False):
        rows[task_id][name] = _stored(name, new)
    return rows


def _stored(name: str, text: str) -> Any:
    """A field's value from its text in the history."""
    if name == "percent":
        return int(text)
    if name in values.DATE_FIELDS:
        return dt.date.fromisoformat(text) if text else None
    return text
