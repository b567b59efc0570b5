"""Readiness figures: every number the app, the CLI and the report show is computed here."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from rollout.plan import Plan

DECIMALS = 4


def task_table(plan: Plan, progress: pd.DataFrame) -> pd.DataFrame:
    """One row per plan task, in plan order: the plan's fields joined with its progress."""
    tasks = pd.DataFrame(
        {
            "task_id": list(plan.tasks),
            "stage": [t.stage for t in plan.tasks.values()],
            "title": [t.title for t in plan.tasks.values()],
            "role": [t.role for t in plan.tasks.values()],
            "deliverable": [t.deliverable for t in plan.tasks.values()],
            "effort": [t.effort_days for t in plan.tasks.values()],
            "mandatory": [t.mandatory for t in plan.tasks.values()],
        }
    )
    table = tasks.merge(progress[~progress["orphaned"]].drop(columns="orphaned"), on="task_id", how="left")
    table["completion"] = table["percent"] / 100
    table["applicable"] = table["status"] != "not_applicable"
    return table


def percent_text(value: float | None) -> str:
    """A figure as shown to people: floored, so that 99.6 % never reads as done."""
    return "no tasks" if value is None else f"{math.floor(100 * value + 1e-9)} %"


def weighted(table: pd.DataFrame) -> float | None:
    """Effort-weighted mean completion of the applicable tasks; None when there are none."""
    applicable = table[table["applicable"]]
    total = applicable["effort"].sum()
    if total == 0:
        return None
    return round(float((applicable["effort"] * applicable["completion"]).sum() / total), DECIMALS)


def gate_missing(table: pd.DataFrame) -> list[dict[str, str]]:
    """The mandatory tasks that keep a stage's gate shut, each with the reason."""
    missing = []
    for row in table[table["mandatory"]].itertuples():
        if row.status == "not_applicable":
            if not row.notes:
                missing.append({"task_id": row.task_id, "reason": "not applicable without a note"})
        elif row.status != "done":
            missing.append({"task_id": row.task_id, "reason": "not done"})
        elif not row.evidence:
            missing.append({"task_id": row.task_id, "reason": "done without evidence"})
    return missing


def overdue(table: pd.DataFrame, today: dt.date) -> pd.Series:
    """Tasks past their due date and not finished."""
    open_ = ~table["status"].isin(["done", "not_applicable"])
    return open_ & table["due"].notna() & (table["due"] < pd.Timestamp(today))


def status_summary(plan: Plan, table: pd.DataFrame, today: dt.date) -> dict:
    """The figures of `status --json`: overall, counts, and per stage readiness and gate."""
    phases = []
    for stage in plan.stages:
        rows = table[table["stage"] == stage.number]
        missing = gate_missing(rows)
        mandatory = rows["mandatory"]
        troubled = (mandatory & (overdue(rows, today) | (rows["status"] == "blocked"))).any()
        phases.append(
            {
                "phase": stage.number,
                "name": stage.name,
                "tasks": len(rows),
                "done": int((rows["status"] == "done").sum()),
                "readiness": weighted(rows),
                "gate_met": not missing,
                "gate_at_risk": bool(missing) and bool(troubled),
                "gate_missing": missing,
            }
        )
    return {
        "overall": weighted(table),
        "tasks": len(table),
        "done": int((table["status"] == "done").sum()),
        "not_applicable": int((~table["applicable"]).sum()),
        "phases": phases,
    }
