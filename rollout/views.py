"""What the pages show and take back: filters of the task table, a task in full, the tasks behind a figure,
the tasks that keep a gate shut, and edits turned into changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollout import readiness, values
from rollout.gates import Gate, risk_words
from rollout.plan import Plan
from rollout.progress import text_of
from rollout.readiness import overdue
from rollout.records import SCHEMAS, WORDS
from rollout.summary import PROGRESS
from rollout.values import DECIMALS, FINISHED
from rollout.words import counted, day_text, field_text, time_text

EDITABLE = ["status", "percent", "owner", "start", "due", "evidence", "notes"]
SOURCES = {"ui": "Updated in the app", "cli": "Command line", "migrate": "Carried over from a renamed task"}
RECORD_CHOICES = {f for schema in SCHEMAS.values() for f in schema.choices}
RECORD_DATES = {f for schema in SCHEMAS.values() for f in schema.dates}
SHOW = {
    "all": "All tasks",
    "overdue": "Overdue",
    "blocked": "Blocked",
    "open": "Not finished",
    "unassigned": "No owner",
    "due_soon": "Due in the next 14 days",
}


@dataclass(frozen=True)
class TaskFilter:
    stage: int | None = None
    statuses: tuple[str, ...] = ()
    owner: str | None = None
    role: str | None = None
    clause: str | None = None
    edition: str | None = None
    text: str = ""
    show: str = "all"


def clause_task_ids(plan: Plan, clause: str, edition: str) -> set[str]:
    """The tasks that serve a clause or any clause below it."""
    return {
        t.id
        for t in plan.tasks.values()
        if any(clause in plan.ancestors(leaf, edition) for leaf in plan.clauses_of(t, edition))
    }


def filter_tasks(plan: Plan, table: pd.DataFrame, how: TaskFilter, today: dt.date) -> pd.DataFrame:
    keep = pd.Series(True, index=table.index)
    if how.stage is not None:
        keep &= table["stage"] == how.stage
    if how.statuses:
        keep &= table["status"].isin(how.statuses)
    if how.owner is not None:
        keep &= table["owner"].str.casefold() == how.owner.casefold()
    if how.role:
        keep &= table["role"] == how.role
    if how.clause:
        keep &= readiness.among(table["task_id"], clause_task_ids(plan, how.clause, how.edition or plan.edition))
    if how.text.strip():
        needle = how.text.strip()
        keep &= table["task_id"].str.contains(needle, case=False, regex=False) | table["title"].str.contains(
            needle, case=False, regex=False
        )
    keep &= _shown(table, how.show, today)
    return table[keep]


def _shown(table: pd.DataFrame, show: str, today: dt.date) -> pd.Series:
    unfinished = ~table["status"].isin(["done", "not_applicable"])
    if show == "overdue":
        return overdue(table, today)
    if show == "blocked":
        return table["status"] == "blocked"
    if show == "open":
        return unfinished
    if show == "unassigned":
        return unfinished & (table["owner"] == "")
    if show == "due_soon":
        soon = pd.Timestamp(today + dt.timedelta(days=14))
        return unfinished & table["due"].between(pd.Timestamp(today), soon)
    return pd.Series(True, index=table.index)


def _normalised(field: str, value: Any) -> str:
    """A value as the store would keep it, for telling a real edit from a re-typed one."""
    if field == "status":
        return values.normalise_status(value)
    if field == "percent":
        return text_of(values.normalise_percent(value))
    if field in values.DATE_FIELDS:
        return text_of(values.normalise_date(value))
    return values.normalise_text(value)


def changes_from_edits(base: pd.DataFrame, edited_rows: dict, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The fields a person really changed in a data editor, by task; values left for the store to check."""
    rows = base.set_index("task_id")
    changes: dict[str, dict[str, Any]] = {}
    for position, edits in edited_rows.items():
        task_id = ids[int(position)]
        for field, value in edits.items():
            if field not in EDITABLE:
                continue
            old = rows.at[task_id, field]
            old = None if not isinstance(old, str) and pd.isna(old) else old
            try:
                same = _normalised(field, value) == _normalised(field, old)
            except values.ValueProblem:
                same = False
            if not same:
                changes.setdefault(task_id, {})[field] = "" if value is None else value
    return changes


def as_edited(page: pd.DataFrame, edited_rows: dict) -> pd.DataFrame:
    """The rows of a data editor as they will be saved where a person changed status or percent alone: set done,
    a task shows 100 %; given 40 %, a task not started shows in progress (values.reconcile). A pair the store
    would refuse is left as typed, for the save to explain. Only the field not typed is filled in: the grid drops
    an edit that matches the row it is given."""
    shown = page.copy()
    for position, edits in edited_rows.items():
        status, percent = edits.get("status"), edits.get("percent")
        if (status is None) == (percent is None):
            continue
        row = shown.index[int(position)]
        try:
            pair = values.reconcile(
                (shown.at[row, "status"], int(shown.at[row, "percent"])),
                None if status is None else values.normalise_status(status),
                None if percent is None else values.normalise_percent(percent),
            )
        except values.ValueProblem:
            continue
        derived = "percent" if percent is None else "status"
        shown.at[row, derived] = pair[0 if derived == "status" else 1]
    return shown


def owner_summary(table: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Who owes what: per owner, the unfinished tasks, how many are overdue or blocked, and the next due date."""
    status = table["status"].to_numpy(dtype=object)
    open_ = ~np.isin(status, FINISHED)
    owners = table["owner"].to_numpy(dtype=object)[open_]
    codes, names = pd.factorize(np.where(owners == "", "(no owner)", owners), sort=True)
    late = overdue(table[["status", "due"]], today).to_numpy(dtype=bool)[open_]
    due = pd.to_datetime(table["due"]).to_numpy()[open_]
    next_due = np.full(len(names), np.datetime64("NaT"), dtype=due.dtype)
    np.fmin.at(next_due, codes, due)  # fmin: a task without a due date is not the next one
    summary = pd.DataFrame(
        {
            "owner": pd.Series(names, dtype="str"),
            "open": np.bincount(codes, minlength=len(names)),
            "overdue": np.bincount(codes, weights=late, minlength=len(names)).astype(np.int64),
            "blocked": np.bincount(codes, weights=status[open_] == "blocked", minlength=len(names)).astype(np.int64),
            "next_due": next_due,
        }
    )
    return summary.sort_values(["overdue", "open"], ascending=False).reset_index(drop=True)


def attention(plan: Plan, table: pd.DataFrame, today: dt.date, limit: int = 10) -> pd.DataFrame:
    """The tasks that need someone now (overdue, blocked, or in progress on unfinished work), most urgent first.

    Most urgent: the earliest due date, then overdue or blocked before waiting, then plan order;
    tasks without a due date last. Only the ``limit`` kept get their reasons in words.
    """
    rows = table[["task_id", "title", "owner", "due", "status"]]
    late = overdue(rows, today).to_numpy(dtype=bool)
    blocked = (rows["status"] == "blocked").to_numpy(dtype=bool)
    waiting = readiness.waiting_for(plan, rows)
    waits = readiness.among(rows["task_id"], waiting.index).to_numpy(dtype=bool)
    candidates = np.flatnonzero(late | blocked | waits)
    if not len(candidates):
        return pd.DataFrame(columns=["task_id", "title", "owner", "due", "why"])
    due = rows["due"].to_numpy()[candidates]
    undated = np.isnat(due)
    order = np.lexsort((candidates, ~(late | blocked)[candidates], due.astype("int64"), undated))
    top = candidates[order[:limit]]
    out = rows.iloc[top][["task_id", "title", "owner", "due"]].reset_index(drop=True)
    days = (pd.Timestamp(today) - out["due"]).dt.days
    why = []
    for i, task_id, late_days in zip(top.tolist(), out["task_id"].tolist(), days.tolist(), strict=True):
        reasons = [f"overdue {counted(int(late_days), 'day')}"] if late[i] else []
        reasons += ["blocked"] if blocked[i] else []
        reasons += ["waits for " + ", ".join(waiting[task_id])] if waits[i] else []
        why.append("; ".join(reasons))
    return out.assign(why=pd.Series(why, dtype="str"))


def breakdown(table: pd.DataFrame, task_ids: list[str]) -> tuple[pd.DataFrame, str]:
    """The tasks behind a figure with each one's share, and the sum that gives the figure.

    The sum is taken over the exact shares and only then rounded for display, so that the sentence
    ends on the same percent as the figure itself (rounding each share first can move it a point).
    """
    rows = table[readiness.among(table["task_id"], task_ids)].assign(done_days=lambda f: f["effort"] * f["completion"])
    rows = rows[["task_id", "title", "stage", "status", "percent", "effort", "done_days", "owner"]]
    done, effort = rows["done_days"].sum(), rows["effort"].sum()
    if not effort:
        return rows, "No applicable task serves this: it has no figure."
    figure = readiness.percent_text(round(done / effort, DECIMALS))
    return rows, f"Sum of effort x completion / sum of effort = {round(done, DECIMALS):g} / {effort:g} days = {figure}"


# a task in full --------------------------------------------------------------------
@dataclass(frozen=True)
class TaskDetail:
    """One task as the Plan page shows it: the plan's fields, where it stands, its links and its history."""

    task: Any  # rollout.plan.Task
    status: str  # the status in words
    percent: int
    owner: str
    evidence: str
    verified_by: str
    verified_at: str
    clauses: dict[str, list[tuple[str, str]]]  # edition -> (id, title), the plan's edition first
    depends_on: list[tuple[str, str]]  # (task id, status in words)
    needed_by: list[tuple[str, str]]
    history: pd.DataFrame  # newest first, in words (_in_words)
    weight: str  # what the task weighs in the figures, in words
    early: str | None  # done before its operating period could end


def task_detail(plan: Plan, table: pd.DataFrame, history: pd.DataFrame, task_id: str) -> TaskDetail:
    task, rows = plan.tasks[task_id], table.set_index("task_id")
    row = rows.loc[task_id]
    words = rows["status"].map(values.STATUS_LABELS)
    editions = sorted(plan.clauses, key=lambda e: e != plan.edition)
    events = history[history["task_id"] == task_id].iloc[::-1]
    return TaskDetail(
        task=task,
        status=values.STATUS_LABELS[row["status"]],
        percent=int(row["percent"]),
        owner=row["owner"],
        evidence=row["evidence"],
        verified_by=row["verified_by"],
        verified_at=row["verified_at"],
        clauses={e: [(c, plan.clauses[e][c].title) for c in plan.clauses_of(task, e)] for e in editions},
        depends_on=[(d, words[d]) for d in task.depends_on],
        needed_by=[(t.id, words[t.id]) for t in plan.tasks.values() if task_id in t.depends_on],
        history=_in_words(events[["at", "by", "source", "field", "old", "new"]]),
        weight=_weight(task, row),
        early=_early(task, row, events),
    )


def _in_words(events: pd.DataFrame) -> pd.DataFrame:
    """History rows as people read them: times, fields, sources and values in words, never the stored codes."""
    fields = events["field"].tolist()
    return pd.DataFrame(
        {
            "at": [time_text(at) for at in events["at"]],
            "by": events["by"].tolist(),
            "source": [source_text(s) for s in events["source"]],
            "field": [field_text(f) for f in fields],
            "old": [value_text(f, v) for f, v in zip(fields, events["old"], strict=True)],
            "new": [value_text(f, v) for f, v in zip(fields, events["new"], strict=True)],
        }
    )


def source_text(source: str) -> str:
    """Where a change came from, in words: 'Updated in the app', 'Imported from tracker.xlsx'."""
    kind, _, name = source.partition(":")
    if kind in ("import", "restore") and name:
        return f"{'Imported' if kind == 'import' else 'Restored'} from {name}"
    return SOURCES.get(source, source)


def value_text(field: str, value: str) -> str:
    """A value of the history as the pages show it: statuses in words, percents with their sign, dates and times."""
    if not value:
        return ""
    if value in values.STATUS_LABELS and field == "status":
        return values.STATUS_LABELS[value]
    if field in RECORD_CHOICES:  # a finding's status or grade, an assessment's result, a decision
        return WORDS.get(value, value)
    if field == "percent":
        return f"{value} %"
    if field in values.DATE_FIELDS or field in RECORD_DATES:
        return day_text(dt.date.fromisoformat(value[:10]))
    return time_text(value) if field == "verified_at" else value


def _weight(task: Any, row: pd.Series) -> str:
    if row["status"] == "not_applicable":
        return "It is left out of the figures (not applicable)."
    share = readiness.percent_text(row["completion"])
    progress = f"In implementation progress it weighs {counted(task.effort_days, 'day')}, {share} done."
    if not task.builds_sms:
        why = "optional work" if task.kind == "sms" else f"{task.kind} work"
        return f"{progress} It counts for no clause: {why}."
    return f"{progress} It counts for the clause readiness of the clauses it names."


def _early(task: Any, row: pd.Series, events: pd.DataFrame) -> str | None:
    """A task with an operating period marked done before the period could end: accepted, and said."""
    if not task.min_weeks or row["status"] != "done" or pd.isna(row["start"]):
        return None
    done = events[(events["field"] == "status") & (events["new"] == "done")]
    if done.empty:
        return None
    day = dt.date.fromisoformat(done.iloc[0]["at"][:10])
    weeks = (day - row["start"].date()).days // 7
    if weeks >= task.min_weeks:
        return None
    return (
        f"Done {counted(weeks, 'week')} after its start, before its {task.min_weeks}-week operating period could end: "
        "check that the records cover the period an auditor will ask for."
    )


# the tasks behind a figure ---------------------------------------------------------
def figure_choices(overall: dict, stages: pd.DataFrame, clauses: pd.DataFrame) -> dict[str, tuple[str, list[str]]]:
    """Every figure a person can open, by key: (label, the tasks behind it)."""
    options = {"overall": (f"{PROGRESS}, overall", list(overall["task_ids"]))}
    options |= {f"stage {r.id}": (f"{PROGRESS}: {r.title}", list(r.task_ids)) for r in stages.itertuples()}
    options |= {f"clause {r.id}": (f"Clause {r.id} {r.title}", list(r.task_ids)) for r in clauses.itertuples()}
    return options


def gate_table(gate: Gate, tasks: pd.DataFrame) -> pd.DataFrame:
    """One row per mandatory task that keeps a gate shut: why it does, and what puts the gate at risk, in words
    ("Done, not verified"; "Blocked and overdue": the due date has a column of its own)."""
    missing = pd.DataFrame(list(gate.missing), columns=["task_id", "reason"])
    risks = pd.DataFrame(
        [{"task_id": r["task_id"], "risk": risk_words(r["reason"])} for r in gate.risks if r["task_id"]],
        columns=["task_id", "risk"],
    )
    rows = missing.merge(risks, on="task_id", how="left").fillna({"risk": ""})
    rows = rows.assign(reason=rows["reason"].str.capitalize(), risk=rows["risk"].str.capitalize())
    about = tasks.loc[readiness.among(tasks["task_id"], rows["task_id"]), ["task_id", "title", "owner", "due"]]
    return rows.merge(about, on="task_id", how="left")[["task_id", "title", "owner", "due", "reason", "risk"]]
