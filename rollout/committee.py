"""The steering committee pack's content: where the rollout stands, what changed, what needs a decision.

Every figure comes from ``rollout.readiness`` and ``rollout.timeline``; this module picks them,
compares them with the state on the day of the last meeting (replayed from the history) and
lists the decisions. ``rollout.report`` draws the pack; the Steering committee page shows it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rollout import assurance, readiness, timeline
from rollout import gates as gates_
from rollout.plan import Plan
from rollout.records import GRADES, OPEN, SCHEMAS, WORDS
from rollout.summary import status_summary
from rollout.values import DECIMALS, STATUSES
from rollout.words import sentence

MEETING_INTERVAL = 30  # days: the committee meets monthly
TASK_COLUMNS = ["task_id", "stage", "title", "owner", "status", "percent", "evidence"]
DECISION_COLUMNS = ["decision", "about", "why", "owner"]
SIGN_OFF, AT_RISK, UNBLOCK = "Sign off the stage gate", "Act on a gate at risk", "Unblock a mandatory task"


class CommitteeError(ValueError):
    """The pack cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Changes:
    """What changed between the start of ``since`` and today."""

    since: dt.date
    overall_then: float | None
    completed: pd.DataFrame  # TASK_COLUMNS: not done then, done now
    started: pd.DataFrame  # TASK_COLUMNS: not started then, in progress or blocked now
    slipped: pd.DataFrame  # timeline.slipped
    clauses: pd.DataFrame  # id, title, depth, then, now, change


@dataclass(frozen=True)
class Pack:
    """Everything the pack shows, computed once for the page, the HTML and the PDF."""

    organisation: str
    scope: str
    today: dt.date
    target: dt.date
    edition: str
    summary: dict[str, Any]  # readiness.status_summary
    forecast: timeline.Forecast
    gates: list[dict[str, Any]]  # per stage: the summary's figures, name, criteria and why
    decisions: pd.DataFrame  # DECISION_COLUMNS
    changes: Changes
    blocked: pd.DataFrame
    overdue: pd.DataFrame
    critical_path: pd.DataFrame
    clauses: pd.DataFrame  # readiness.clause_readiness
    weekly: pd.DataFrame  # timeline.burnup
    counts: pd.DataFrame  # readiness.status_counts
    conformity: assurance.Conformity
    decided: pd.DataFrame  # the gate decisions taken since the last meeting: id, stage, decision, decided_on, by, ...
    findings: pd.DataFrame  # the open findings, most serious first: id, grade, clauses, description, owner, due
    findings_line: str  # the open findings by grade and how many are overdue


def default_since(today: dt.date) -> dt.date:
    """The day of the last meeting when none is given: a month before today."""
    return today - dt.timedelta(days=MEETING_INTERVAL)


def since_date(text: str | None, today: dt.date) -> dt.date:
    """The day of the last meeting from YYYY-MM-DD text; a month before today when none is given."""
    if not text:
        return default_since(today)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommitteeError(f"the day of the last meeting, {text!r}, is not a date; expected YYYY-MM-DD") from None


def state_on(plan: Plan, table: pd.DataFrame, history: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The task table as it stood when ``day`` began: status, percent, completion and applicability replayed.

    The state before the first change made on ``day`` or later, as ``timeline.slipped`` reads it;
    the other fields (owner, dates, evidence, notes) are today's.
    """
    percent, status = timeline.replay(plan, history, pd.DatetimeIndex([pd.Timestamp(day) - pd.Timedelta(days=1)]))
    ids = table["task_id"]
    then = table.copy()
    then["percent"] = percent.iloc[0].reindex(ids).to_numpy().astype(int)
    then["status"] = np.asarray(STATUSES)[status.iloc[0].reindex(ids).to_numpy().astype(int)]
    then["completion"] = then["percent"] / 100
    then["applicable"] = then["status"] != "not_applicable"
    return then


def clause_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Two ``clause_readiness`` tables of one edition side by side: id, title, depth, then, now, change."""
    out = after[["id", "title", "depth"]].assign(then=before["readiness"], now=after["readiness"])
    out["change"] = (out["now"] - out["then"]).round(DECIMALS)
    return out


def change_text(then: float | None, now: float | None) -> str:
    """A change as people read it: the difference of the two shown (floored) percents, '+12 pts'."""
    if then is None or now is None or pd.isna(then) or pd.isna(now):
        return "–"
    points = math.floor(100 * now + 1e-9) - math.floor(100 * then + 1e-9)
    return f"{points:+d} pts" if points else "no change"


def changes_since(
    plan: Plan, table: pd.DataFrame, history: pd.DataFrame, since: dt.date, today: dt.date, edition: str | None = None
) -> Changes:
    """Tasks completed, started and slipped since ``since``, and the readiness of each clause then and now."""
    if since > today:
        raise CommitteeError(f"the day of the last meeting, {since}, is after today, {today}")
    then = state_on(plan, table, history, since)
    completed = (then["status"] != "done") & (table["status"] == "done")
    started = (then["status"] == "not_started") & table["status"].isin(["in_progress", "blocked"])
    before = readiness.clause_readiness(plan, then, edition)
    after = readiness.clause_readiness(plan, table, edition)
    return Changes(
        since=since,
        overall_then=readiness.weighted(then),
        completed=table.loc[completed, TASK_COLUMNS].reset_index(drop=True),
        started=table.loc[started, TASK_COLUMNS].reset_index(drop=True),
        slipped=timeline.slipped(plan, table, history, since, today),
        clauses=clause_changes(before, after),
    )


# gates and decisions -----------------------------------------------------------
def stage_gates(
    plan: Plan, summary: dict[str, Any], stage_gate: list[gates_.Gate], states: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each stage's figures and gate from a ``status_summary``, with its name, exit criteria, why, and sign-off."""
    return [
        {
            **figures,
            "name": stage.name,
            "criteria": list(stage.gate),
            "why": gate.why(),
            "signed_off": state["signed_off"],
            "decision_needed": state["needed"],
            "decision_text": decision_text(state["decision"]),
        }
        for stage, figures, gate, state in zip(plan.stages, summary["phases"], stage_gate, states, strict=True)
    ]


def decision_text(decision: dict[str, Any] | None) -> str:
    """'Go with conditions on 27 Oct 2026 (D-0002)', or 'no decision yet'."""
    if decision is None:
        return "no decision yet"
    day = dt.date.fromisoformat(decision["decided_on"]) if decision["decided_on"] else None
    return f"{WORDS[decision['decision']]}{f' on {day:%d %b %Y}' if day else ''} ({decision['id']})"


def gate_rows(pack: Pack) -> pd.DataFrame:
    """The stage gates as the page and the pack list them: stage, gate, work done, tasks done, why."""
    return pd.DataFrame(
        {
            "stage": [g["name"] for g in pack.gates],
            "gate": [g["gate"] for g in pack.gates],
            "ready": [readiness.percent_text(g["readiness"]) for g in pack.gates],
            "done": [f"{g['done']} of {g['tasks']}" for g in pack.gates],
            "signed": [g["decision_text"] for g in pack.gates],
            "why": [sentence(g["why"]) for g in pack.gates],
        }
    )


def _last_changes(plan: Plan, history: pd.DataFrame) -> dict[int, str]:
    """The day each stage's tasks last changed, by stage number."""
    latest = history.groupby("task_id", sort=False)["at"].max()  # per task first: far fewer rows to map to stages
    stages = latest.index.map({t.id: t.stage for t in plan.tasks.values()})
    return {int(s): f"{dt.date.fromisoformat(at[:10]):%d %b %Y}" for s, at in latest.groupby(stages).max().items()}


def decisions(plan: Plan, table: pd.DataFrame, gates: list[dict[str, Any]], history: pd.DataFrame) -> pd.DataFrame:
    """What the committee is asked to decide, in this order.

    Gates met and not signed off, with the day their tasks last changed (a gate signed off leaves
    the list; a later no go puts it back); gates at risk; blocked mandatory tasks.
    """
    wanted = [g for g in gates if g["decision_needed"]]
    last = _last_changes(plan, history) if wanted else {}
    rows = [
        (SIGN_OFF, g["name"], f"{g['why']}; its tasks last changed on {last.get(g['stage'], 'no record')}", "")
        for g in wanted
    ]
    rows += [(AT_RISK, g["name"], gates_.risk_text(g["gate_risks"]), "") for g in gates if g["gate_at_risk"]]
    blocked = table[table["mandatory"] & (table["status"] == "blocked")]
    rows += [
        (UNBLOCK, f"{r.task_id} {r.title}", r.notes or "no note gives the reason", r.owner)
        for r in blocked.itertuples()
    ]
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


def build_pack(
    plan: Plan,
    table: pd.DataFrame,
    history: pd.DataFrame,
    today: dt.date,
    since: dt.date,
    edition: str | None = None,
    records: dict[str, pd.DataFrame] | None = None,
) -> Pack:
    """The whole pack from the task table, the history and the assurance records, as of ``today``, with changes since
    ``since``. Clauses are shown in ``edition`` (the plan's by default); the headlines count the plan's edition.
    """
    edition = edition or plan.edition
    records = records or empty_records()
    weekly = timeline.burnup(plan, history, today)
    outlook = timeline.forecast(plan, table, weekly, today)
    stage_gate = gates_.gates(plan, table, today, outlook)
    clauses = readiness.clause_readiness(plan, table, edition)
    own = clauses if edition == plan.edition else readiness.clause_readiness(plan, table)
    states = assurance.decision_states(stage_gate, records["decisions"])
    conformity = assurance.conformity(plan, own, records, history, stage_gate, today)
    summary = status_summary(plan, table, stage_gate, own, conformity, states)
    gates = stage_gates(plan, summary, stage_gate, states)
    return Pack(
        organisation=plan.organisation,
        scope=plan.scope,
        today=today,
        target=plan.target_date,
        edition=edition,
        summary=summary,
        forecast=outlook,
        gates=gates,
        decisions=decisions(plan, table, gates, history),
        changes=changes_since(plan, table, history, since, today, edition),
        blocked=readiness.blocked_tasks(table),
        overdue=readiness.overdue_tasks(table, today),
        critical_path=readiness.critical_path(plan, table),
        clauses=clauses,
        weekly=weekly,
        counts=readiness.status_counts(plan, table),
        conformity=conformity,
        decided=decided_since(plan, records["decisions"], since),
        findings=open_findings(records["findings"]),
        findings_line=assurance.findings_summary(records["findings"], today),
    )


def empty_records() -> dict[str, pd.DataFrame]:
    return {kind: pd.DataFrame(columns=schema.columns) for kind, schema in SCHEMAS.items()}


def decided_since(plan: Plan, decisions: pd.DataFrame, since: dt.date) -> pd.DataFrame:
    """The gate decisions taken on or after ``since``, in the words of the pack."""
    taken = decisions[decisions["decided_on"] >= pd.Timestamp(since)].sort_values(["decided_on", "id"])
    names = {s.number: s.name for s in plan.stages}
    return pd.DataFrame(
        {
            "id": taken["id"],
            "stage": taken["stage"].map(names),
            "decision": taken["decision"].map(WORDS),
            "decided_on": taken["decided_on"],
            "by": taken["by"],
            "conditions": taken["conditions"],
            "minutes": taken["minutes"],
        }
    ).reset_index(drop=True)


def open_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """The open findings, most serious first (major, minor, observation, opportunity), then the earliest due."""
    rows = findings[findings["status"].isin(OPEN)]
    order = rows["grade"].map({g: i for i, g in enumerate(GRADES)})
    rows = rows.assign(rank=order).sort_values(["rank", "due", "id"], na_position="last")
    return rows.assign(grade=rows["grade"].map(WORDS), status=rows["status"].map(WORDS))[
        ["id", "grade", "clauses", "description", "owner", "due", "status"]
    ].reset_index(drop=True)
