"""Readiness figures: every number the app, the CLI and the report show is computed here.

Clause, stage and overall readiness, stage gates and attention lists. Figures over time
(burn-up, forecast, slipped tasks, the Gantt schedule) live in ``rollout.timeline``.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rollout.plan import Plan
from rollout.values import STATUSES

if TYPE_CHECKING:
    from rollout.timeline import Forecast

DECIMALS = 4
FINISHED = ("done", "not_applicable")
# The one place the red/amber/green thresholds live: a figure takes the first band whose bound it is below.
RAG_BANDS: tuple[tuple[str, float], ...] = (("red", 0.5), ("amber", 0.85), ("green", math.inf))
FIGURE_COLUMNS = ["readiness", "tasks", "task_ids"]


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
    return "no tasks" if value is None or pd.isna(value) else f"{math.floor(100 * value + 1e-9)} %"


def rag(value: float | None) -> str | None:
    """The red/amber/green word of a figure; None when there is no figure."""
    if value is None or pd.isna(value):
        return None
    return next(name for name, bound in RAG_BANDS if value < bound)


def _rounded(value: float) -> float:
    return round(float(value), DECIMALS)


def weighted(table: pd.DataFrame) -> float | None:
    """Effort-weighted mean completion of the applicable tasks; None when there are none."""
    applicable = table[table["applicable"]]
    total = applicable["effort"].sum()
    if total == 0:
        return None
    return _rounded((applicable["effort"] * applicable["completion"]).sum() / total)


# readiness tables --------------------------------------------------------------
def _figures(links: pd.DataFrame, table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Readiness, task count and task ids (plan order) per key, over the distinct applicable tasks linked to it."""
    tasks = table.assign(order=np.arange(len(table))).loc[
        table["applicable"], ["task_id", "effort", "completion", "order"]
    ]
    rows = links[[*keys, "task_id"]].drop_duplicates().merge(tasks, on="task_id").sort_values("order", kind="stable")
    rows["done"] = rows["effort"] * rows["completion"]
    grouped = rows.groupby(keys, sort=False).agg(
        effort=("effort", "sum"), done=("done", "sum"), tasks=("task_id", "size"), task_ids=("task_id", list)
    )
    grouped["readiness"] = (grouped["done"] / grouped["effort"]).map(_rounded)
    return grouped[FIGURE_COLUMNS]


def _with_figures(frame: pd.DataFrame, figures: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` with the figures of its keys; keys without applicable tasks get null, 0 and []."""
    out = frame.merge(figures, left_on=keys, right_index=True, how="left")
    out["tasks"] = out["tasks"].fillna(0).astype(int)
    out["task_ids"] = out["task_ids"].map(lambda ids: ids if isinstance(ids, list) else [])
    return out.reset_index(drop=True)


def clause_links(plan: Plan, edition: str) -> pd.DataFrame:
    """(clause_id, task_id) for every clause a task serves in an edition: its leaves and every clause above them."""
    leaves = pd.DataFrame(
        {"task_id": list(plan.tasks), "leaf": [plan.clauses_of(t, edition) for t in plan.tasks.values()]}
    ).explode("leaf")
    tree = plan.clauses[edition]
    above = pd.DataFrame(
        [(leaf, cid) for leaf, clause in tree.items() if clause.is_leaf for cid in plan.ancestors(leaf, edition)],
        columns=["leaf", "clause_id"],
    )
    return leaves.merge(above, on="leaf")[["clause_id", "task_id"]].drop_duplicates(ignore_index=True)


def _clause_frame(plan: Plan, edition: str) -> pd.DataFrame:
    tree = plan.clauses[edition].values()
    return pd.DataFrame(
        {
            "id": [c.id for c in tree],
            "title": [c.title for c in tree],
            "depth": [c.depth for c in tree],
            "parent": [c.parent for c in tree],
        }
    )


def clause_readiness(plan: Plan, table: pd.DataFrame, edition: str = "2011") -> pd.DataFrame:
    """Every clause of an edition, all levels, in tree order: id, title, depth, parent, readiness, tasks, task_ids."""
    figures = _figures(clause_links(plan, edition), table, ["clause_id"])
    return _with_figures(_clause_frame(plan, edition), figures, ["id"])


def stage_readiness(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Every stage in order: id (the stage number), title (its name), readiness, tasks, task_ids."""
    frame = pd.DataFrame({"id": [s.number for s in plan.stages], "title": [s.name for s in plan.stages]})
    return _with_figures(frame, _figures(table.rename(columns={"stage": "id"}), table, ["id"]), ["id"])


def overall_readiness(table: pd.DataFrame) -> dict[str, Any]:
    """The plan's readiness with the applicable tasks behind it."""
    ids = table.loc[table["applicable"], "task_id"].tolist()
    return {"readiness": weighted(table), "tasks": len(ids), "task_ids": ids}


def clause_stage_readiness(plan: Plan, table: pd.DataFrame, edition: str = "2011") -> pd.DataFrame:
    """Each clause x stage, clauses in tree order: the readiness of the clause's tasks within that stage."""
    links = clause_links(plan, edition).merge(table[["task_id", "stage"]], on="task_id")
    figures = _figures(links, table, ["clause_id", "stage"])
    clauses = _clause_frame(plan, edition)
    stages = pd.DataFrame({"stage": [s.number for s in plan.stages], "stage_name": [s.name for s in plan.stages]})
    grid = clauses.merge(stages, how="cross")
    return _with_figures(grid, figures, ["id", "stage"])


def status_counts(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Each stage x status: the number of tasks and their ids (plan order)."""
    grouped = table.groupby(["stage", "status"], sort=False).agg(count=("task_id", "size"), task_ids=("task_id", list))
    grid = pd.MultiIndex.from_product([[s.number for s in plan.stages], STATUSES], names=["stage", "status"])
    out = grouped.reindex(grid).reset_index()
    out["count"] = out["count"].fillna(0).astype(int)
    out["task_ids"] = out["task_ids"].map(lambda ids: ids if isinstance(ids, list) else [])
    out.insert(1, "stage_name", out["stage"].map({s.number: s.name for s in plan.stages}))
    return out


def figure_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a readiness table as plain JSON-ready dicts: id, title, readiness (or None), tasks, task_ids."""
    return [
        {
            "id": row.id if isinstance(row.id, str) else int(row.id),
            "title": row.title,
            "readiness": None if pd.isna(row.readiness) else float(row.readiness),
            "tasks": int(row.tasks),
            "task_ids": list(row.task_ids),
        }
        for row in frame.itertuples(index=False)
    ]


# gates -------------------------------------------------------------------------
def gate_missing(table: pd.DataFrame) -> list[dict[str, str]]:
    """The mandatory tasks that keep a stage's gate shut, each with the reason."""
    rows = table[table["mandatory"]]
    not_applicable = rows["status"] == "not_applicable"
    done = rows["status"] == "done"
    reason = np.select(
        [not_applicable & (rows["notes"] == ""), ~not_applicable & ~done, done & (rows["evidence"] == "")],
        ["not applicable without a note", "not done", "done without evidence"],
        default="",
    )
    return [{"task_id": t, "reason": r} for t, r in zip(rows["task_id"], reason.tolist(), strict=True) if r]


def overdue(table: pd.DataFrame, today: dt.date) -> pd.Series:
    """Tasks past their due date and not finished."""
    open_ = ~table["status"].isin(FINISHED)
    return open_ & table["due"].notna() & (table["due"] < pd.Timestamp(today))


def gate_risks(table: pd.DataFrame, today: dt.date, forecast: Forecast | None = None) -> list[dict[str, str | None]]:
    """Why a stage's unmet gate is at risk: mandatory tasks overdue or blocked, and a forecast after the target."""
    late = overdue(table, today)
    rows = table[table["mandatory"] & (late | (table["status"] == "blocked"))]
    risks: list[dict[str, str | None]] = []
    for row in rows.itertuples():
        reasons = ["blocked"] if row.status == "blocked" else []
        reasons += [f"overdue (due {row.due.date()})"] if late[row.Index] else []
        risks.append({"task_id": row.task_id, "reason": "; ".join(reasons)})
    if forecast is not None and forecast.late:
        risks.append(
            {"task_id": None, "reason": f"the forecast {forecast.likely} is after the target {forecast.target}"}
        )
    return risks


def gates(plan: Plan, table: pd.DataFrame, today: dt.date, forecast: Forecast | None = None) -> list[dict[str, Any]]:
    """Each stage's gate: met, at risk or not met, what is missing and what puts it at risk."""
    out = []
    for stage in plan.stages:
        rows = table[table["stage"] == stage.number]
        missing = gate_missing(rows)
        risks = gate_risks(rows, today, forecast) if missing else []
        state = "met" if not missing else "at risk" if risks else "not met"
        out.append(
            {
                "phase": stage.number,
                "gate": state,
                "gate_met": not missing,
                "gate_at_risk": bool(risks),
                "gate_missing": missing,
                "gate_risks": risks,
            }
        )
    return out


def status_summary(plan: Plan, table: pd.DataFrame, today: dt.date, forecast: Forecast | None = None) -> dict:
    """The figures of `status --json`: overall, counts, and per stage readiness and gate."""
    phases = []
    for stage, gate in zip(plan.stages, gates(plan, table, today, forecast), strict=True):
        rows = table[table["stage"] == stage.number]
        phases.append(
            {
                "phase": stage.number,
                "name": stage.name,
                "tasks": len(rows),
                "done": int((rows["status"] == "done").sum()),
                "readiness": weighted(rows),
                **gate,
            }
        )
    return {
        "overall": weighted(table),
        "tasks": len(table),
        "done": int((table["status"] == "done").sum()),
        "not_applicable": int((~table["applicable"]).sum()),
        "phases": phases,
    }


# attention lists ---------------------------------------------------------------
ATTENTION_COLUMNS = ["task_id", "stage", "title", "status", "percent", "owner", "due"]


def dependency_edges(plan: Plan) -> pd.DataFrame:
    """(task_id, depends_on): one row per dependency of the plan."""
    edges = pd.DataFrame(
        {"task_id": list(plan.tasks), "depends_on": [t.depends_on for t in plan.tasks.values()]}
    ).explode("depends_on")
    return edges.dropna().reset_index(drop=True)


def overdue_tasks(table: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Unfinished tasks past their due date, longest overdue first, with the days overdue."""
    rows = table.loc[overdue(table, today), ATTENTION_COLUMNS]
    rows["days_overdue"] = (pd.Timestamp(today) - rows["due"]).dt.days
    return rows.sort_values("due", kind="stable").reset_index(drop=True)


def blocked_tasks(table: pd.DataFrame) -> pd.DataFrame:
    """Blocked tasks, plan order, with their notes (usually what they wait for)."""
    return table.loc[table["status"] == "blocked", [*ATTENTION_COLUMNS, "notes"]].reset_index(drop=True)


def waiting_tasks(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Tasks in progress whose dependencies are not finished (done or not applicable), with those dependencies."""
    status = table.set_index("task_id")["status"]
    edges = dependency_edges(plan)
    edges = edges[(edges["task_id"].map(status) == "in_progress") & ~edges["depends_on"].map(status).isin(FINISHED)]
    waiting = edges.groupby("task_id", sort=False)["depends_on"].agg(list).rename("waiting_for")
    rows = table.loc[table["task_id"].isin(waiting.index), ATTENTION_COLUMNS]
    return rows.join(waiting, on="task_id").reset_index(drop=True)


def critical_path(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """The chain of unfinished tasks, each depending on the one before, with the largest remaining effort.

    Remaining effort is effort x (1 - completion); ties go to the task earlier in the plan.
    """
    open_rows = table[~table["status"].isin(FINISHED)]
    remaining = dict(zip(open_rows["task_id"], open_rows["effort"] * (1 - open_rows["completion"]), strict=True))
    if not remaining:
        return table.iloc[:0][["task_id", "stage", "title", "status", "effort"]].assign(remaining=[])
    deps = {tid: [d for d in plan.tasks[tid].depends_on if d in remaining] for tid in remaining}
    best: dict[str, tuple[float, str | None]] = {}
    for tid in graphlib.TopologicalSorter(deps).static_order():
        before = max(deps[tid], key=lambda d: best[d][0], default=None)
        best[tid] = (remaining[tid] + (best[before][0] if before else 0.0), before)
    chain: list[str] = []
    current: str | None = max(remaining, key=lambda t: best[t][0])
    while current is not None:
        chain.append(current)
        current = best[current][1]
    rows = table.set_index("task_id").loc[chain[::-1], ["stage", "title", "status", "effort"]].reset_index()
    rows["remaining"] = rows["task_id"].map(remaining).map(_rounded)
    return rows
