"""The schedule: a bar per task from its dates or a forward pass, and the earliest end that operating periods allow.

A task lasts ceil(effort_days) working days, or ``min_weeks`` weeks of working days when that
is longer: a process that must run for three months to leave records cannot end sooner.
"""

from __future__ import annotations

import datetime as dt
import graphlib

import numpy as np
import pandas as pd

from rollout.plan import Plan
from rollout.values import FINISHED

WORKDAYS_A_WEEK = 5


def _days(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[D]", copy=True)


def gantt_table(plan: Plan, table: pd.DataFrame, today: dt.date | None = None) -> pd.DataFrame:
    """One bar per task: start to the end of its due day; missing dates come from a forward pass.

    A task lasts ceil(effort_days) working days (Monday to Friday, at least one). With a start
    only it ends that many working days later; with a due only it starts that many before.
    With neither it starts on the first working day on or after plan.start_date, the ends of
    its dependencies and, when unfinished and ``today`` is given, today. Bars with a derived
    date are flagged ``planned``. ``finish`` is exclusive (the day after the last day).
    Columns: task_id, stage, stage_name, title, status, percent, owner, start, finish, planned.
    """
    length = _lengths(table)
    start, due = _days(table["start"]), _days(table["due"])
    only_start, only_due = ~np.isnat(start) & np.isnat(due), np.isnat(start) & ~np.isnat(due)
    finish = due + 1
    finish[only_start] = np.busday_offset(start[only_start], length[only_start], roll="forward")
    start[only_due] = np.busday_offset(due[only_due], 1 - length[only_due], roll="backward")
    _forward_pass(plan, table, start, finish, length, today)
    out = table[["task_id", "stage", "title", "status", "percent", "owner"]].copy()
    out.insert(2, "stage_name", out["stage"].map({s.number: s.name for s in plan.stages}))
    out["start"] = pd.to_datetime(start)
    out["finish"] = pd.to_datetime(finish)
    out["planned"] = (table["start"].isna() | table["due"].isna()).to_numpy()
    return out


def _forward_pass(
    plan: Plan, table: pd.DataFrame, start: np.ndarray, finish: np.ndarray, length: np.ndarray, today: dt.date | None
) -> None:
    """Fill the undated tasks' start and finish in place, dependencies first."""
    position = {tid: i for i, tid in enumerate(table["task_id"])}
    undated = set(table["task_id"][np.isnat(start) & np.isnat(finish)])
    unfinished = set(table["task_id"][~table["status"].isin(FINISHED)])
    graph = graphlib.TopologicalSorter({tid: plan.tasks[tid].depends_on for tid in undated})
    for tid in graph.static_order():
        if tid not in undated:
            continue
        i = position[tid]
        floor = [np.datetime64(plan.start_date, "D"), *(finish[position[d]] for d in plan.tasks[tid].depends_on)]
        if today is not None and tid in unfinished:
            floor.append(np.datetime64(today, "D"))
        start[i] = np.busday_offset(max(floor), 0, roll="forward")
        finish[i] = np.busday_offset(start[i], length[i])


def _lengths(table: pd.DataFrame) -> np.ndarray:
    """Working days each task lasts: its effort, or its operating period when longer."""
    effort = np.maximum(1, np.ceil(table["effort"].to_numpy()))
    period = table["min_weeks"].fillna(0).to_numpy(dtype=float) * WORKDAYS_A_WEEK
    return np.maximum(effort, period).astype(int)


def operating_floor(plan: Plan, table: pd.DataFrame, today: dt.date) -> tuple[dt.date, str, dt.date] | None:
    """The latest start + min_weeks of an unfinished task with an operating period: (end, task_id, start).

    A started task counts from its own start; one not started yet from its earliest possible
    start (the forward pass from today and its dependencies). None when no such task is open.
    """
    periods = table["min_weeks"].notna() & ~table["status"].isin(FINISHED)
    if not periods.any():
        return None
    bars = gantt_table(plan, table, today).set_index("task_id")
    rows = table[periods].set_index("task_id")
    started = rows["status"].isin(["in_progress", "blocked"]) & rows["start"].notna()
    starts = rows["start"].where(started, bars.loc[rows.index, "start"].clip(lower=pd.Timestamp(today)))
    ends = starts + pd.to_timedelta(rows["min_weeks"].astype(int) * 7, unit="D")
    last = ends.idxmax()
    return ends[last].date(), str(last), starts[last].date()
