"""Everything the overview shows, computed in one place and cached on disk per state of the files.

The CLI's status, readiness and forecast commands and the benchmark read it through ``load``;
a second look at an unchanged rollout reads one cache file instead of replaying the history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rollout import assurance, cache, readiness, timeline, views
from rollout.assurance import Conformity
from rollout.gates import Gate, gates
from rollout.plan import EDITIONS, Plan
from rollout.progress import Snapshot
from rollout.stores.base import Store
from rollout.summary import status_summary


@dataclass
class Overview:
    snapshot: Snapshot
    tasks: pd.DataFrame
    burnup: pd.DataFrame
    forecast: timeline.Forecast
    gates: list[Gate]
    decisions: list[dict]  # per stage: the latest decision, signed off, decision needed
    conformity: Conformity
    status: dict
    overall: dict
    clauses: dict[str, pd.DataFrame]
    stages: pd.DataFrame
    overdue: pd.DataFrame
    blocked: pd.DataFrame
    owners: pd.DataFrame
    attention: pd.DataFrame
    orphans: list[str]


def compute(plan: Plan, store: Store, today: dt.date) -> Overview:
    snapshot = store.load()
    tasks = readiness.task_table(plan, snapshot.progress)
    history = store.history(committed=snapshot.seq)
    weekly = timeline.burnup(plan, history, today)
    forecast = timeline.forecast(plan, tasks, weekly, today)
    stage_gates = gates(plan, tasks, today, forecast)
    clauses = {edition: readiness.clause_readiness(plan, tasks, edition) for edition in EDITIONS}
    states = assurance.decision_states(stage_gates, snapshot.records["decisions"])
    conformity = assurance.conformity(plan, clauses[plan.edition], snapshot.records, history, stage_gates, today)
    return Overview(
        snapshot=snapshot,
        tasks=tasks,
        burnup=weekly,
        forecast=forecast,
        gates=stage_gates,
        decisions=states,
        conformity=conformity,
        status=status_summary(plan, tasks, stage_gates, clauses[plan.edition], conformity, states),
        overall=readiness.overall_readiness(tasks),
        clauses=clauses,
        stages=readiness.stage_readiness(plan, tasks),
        overdue=readiness.overdue_tasks(tasks, today),
        blocked=readiness.blocked_tasks(tasks),
        owners=views.owner_summary(tasks, today),
        attention=views.attention(plan, tasks, today),
        orphans=snapshot.orphans,
    )


def load(plan: Plan, store: Store, today: dt.date) -> Overview:
    """The overview of a plan and a data folder on a day, from the cache when no file changed."""
    plan_files = sorted(Path(plan.folder).glob("*.y*ml"))
    key = (cache.stamp(plan_files), store.location, store.version(), today.isoformat())
    return cache.cached("overview", key, lambda: compute(plan, store, today))
