"""The figures of the two questions, kept apart: how much of the planned work is done, and how far each clause is built.

- Implementation progress: the effort-weighted mean completion of every applicable task, all
  kinds, overall and per stage; it drives the burn-up and the forecast (rollout.timeline).
- Clause readiness: the same mean over the applicable mandatory sms tasks a clause names
  explicitly (project, certification and optional work never counts), and "clauses
  implemented": the leaves whose every such task is done and verified by a second person.

Also the attention lists. Gates are in rollout.gates, figures over time in rollout.timeline.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rollout.plan import Plan
from rollout.values import DECIMALS, FINISHED, STATUSES

# The one place the red/amber/green thresholds live: a figure takes the first band whose bound it is below.
RAG_BANDS: tuple[tuple[str, float], ...] = (("red", 0.5), ("amber", 0.85), ("green", math.inf))
# What each band says of a figure, written beside its colour for readers who cannot tell the colours apart.
BAND_WORDS = {"red": "low", "amber": "medium", "green": "high"}
FIGURE_COLUMNS = ["readiness", "tasks", "task_ids"]


def task_table(plan: Plan, progress: pd.DataFrame) -> pd.DataFrame:
    """One row per plan task, in plan order: the plan's fields joined with its progress."""
    tasks = plan.derived("task_fields", lambda: _task_fields(plan))  # merge copies it: kept as it is
    table = tasks.merge(progress[~progress["orphaned"]].drop(columns="orphaned"), on="task_id", how="left")
    table["completion"] = table["percent"] / 100
    table["applicable"] = table["status"] != "not_applicable"
    table["verified"] = table["verified_by"] != ""
    return table


def _task_fields(plan: Plan) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "task_id": list(plan.tasks),
            "stage": [t.stage for t in plan.tasks.values()],
            "title": [t.title for t in plan.tasks.values()],
            "role": [t.role for t in plan.tasks.values()],
            "deliverable": [t.deliverable for t in plan.tasks.values()],
            "effort": [t.effort_days for t in plan.tasks.values()],
            "mandatory": [t.mandatory for t in plan.tasks.values()],
            "kind": [t.kind for t in plan.tasks.values()],
            "min_weeks": pd.array([t.min_weeks for t in plan.tasks.values()], dtype="Int64"),
        }
    )


def percent_text(value: float | None) -> str:
    """A figure as shown to people: floored, so that 99.6 % never reads as done."""
    return "no tasks" if value is None or pd.isna(value) else f"{math.floor(100 * value + 1e-9)} %"


def rag(value: float | None) -> str | None:
    """The red/amber/green word of a figure; None when there is no figure."""
    if value is None or pd.isna(value):
        return None
    return next(name for name, bound in RAG_BANDS if value < bound)


def band_word(value: float | None) -> str | None:
    """What a figure's band says of it: 'low', 'medium' or 'high'; None when there is no figure."""
    band = rag(value)
    return None if band is None else BAND_WORDS[band]


def figure_text(value: float | None) -> str:
    """A figure with its band's word, as charts and the pack write it: '78 % · medium'."""
    word = band_word(value)
    return percent_text(value) if word is None else f"{percent_text(value)} · {word}"


def band_bounds(band: str) -> str:
    """The figures a band covers, from the thresholds: 'below 50 %', '50 % to 84 %', '85 % and above'."""
    bounds = [0.0, *(bound for _, bound in RAG_BANDS)]
    i = [name for name, _ in RAG_BANDS].index(band)
    low, high = bounds[i], bounds[i + 1]
    if low == 0:
        return f"below {percent_text(high)}"
    if math.isinf(high):
        return f"{percent_text(low)} and above"
    return f"{percent_text(low)} to {math.ceil(100 * high) - 1} %"


def band_range(band: str) -> str:
    """A band's legend entry: its word and the figures it covers, 'medium: 50 % to 84 %'."""
    return f"{BAND_WORDS[band]}: {band_bounds(band)}"


def bands_sentence() -> str:
    """What each colour means, for a chart's caption: 'Red means low readiness (below 50 %), amber ...'."""
    (first, _), *rest = RAG_BANDS
    parts = [f"{first.capitalize()} means {BAND_WORDS[first]} readiness ({band_bounds(first)})"]
    parts += [f"{band} {BAND_WORDS[band]} ({band_bounds(band)})" for band, _ in rest]
    return f"{', '.join(parts[:-1])} and {parts[-1]}."


def _rounded(value: float) -> float:
    return round(float(value), DECIMALS)


def weighted(table: pd.DataFrame) -> float | None:
    """Effort-weighted mean completion of the applicable tasks; None when there are none."""
    applicable = table["applicable"].to_numpy(dtype=bool)
    return weighted_mean(
        table["effort"].to_numpy(dtype=float)[applicable], table["completion"].to_numpy(dtype=float)[applicable]
    )


def weighted_mean(effort: np.ndarray, completion: np.ndarray) -> float | None:
    # nansum: the sum pandas takes (missing values count as 0), without its overhead per call
    total = np.nansum(effort)
    if total == 0:
        return None
    return _rounded(np.nansum(effort * completion) / total)


# readiness tables --------------------------------------------------------------
def _figures(links: pd.DataFrame, table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Readiness, task count and task ids (plan order) per key, over the applicable tasks linked to it.

    ``links`` holds distinct (keys..., task_id) rows.
    """
    position = pd.Index(table["task_id"]).get_indexer(links["task_id"])
    kept = np.append(table["applicable"].to_numpy(dtype=bool), False)[position]  # position -1: not in the table
    rows = np.flatnonzero(kept)
    rows = rows[np.argsort(position[rows], kind="stable")]  # each key's tasks in plan order, summed in that order
    order = position[rows]
    effort = table["effort"].to_numpy(dtype=float)[order]
    done = effort * table["completion"].to_numpy(dtype=float)[order]
    grouped = links[keys].iloc[rows].assign(effort=effort, done=done).groupby(keys, sort=False)
    out = grouped[["effort", "done"]].sum()
    # ids gathered by position: listing arrow strings group by group is slow
    group = grouped.ngroup().to_numpy()
    by_group = np.argsort(group, kind="stable")
    ids = table["task_id"].to_numpy(dtype=object)[order[by_group]]
    out["task_ids"] = [part.tolist() for part in np.split(ids, np.flatnonzero(np.diff(group[by_group])) + 1)]
    out["tasks"] = out["task_ids"].map(len)
    out["readiness"] = [_rounded(d / e) for d, e in zip(out["done"].tolist(), out["effort"].tolist(), strict=True)]
    return out[FIGURE_COLUMNS]


def _with_figures(frame: pd.DataFrame, figures: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame`` with the figures of its keys; keys without applicable tasks get null, 0 and []."""
    found = figures.reindex(pd.MultiIndex.from_frame(frame[keys]) if len(keys) > 1 else frame[keys[0]])
    return frame.assign(
        readiness=found["readiness"].to_numpy(),
        tasks=found["tasks"].fillna(0).astype(int).to_numpy(),
        task_ids=[ids if isinstance(ids, list) else [] for ids in found["task_ids"]],
    ).reset_index(drop=True)


def clause_links(plan: Plan, edition: str) -> pd.DataFrame:
    """(clause_id, task_id) for every clause a mandatory sms task names in an edition: its leaves and every clause above.

    Explicit tags only: the correspondence between editions never adds a task to a clause.
    """
    return plan.derived(("clause_links", edition), lambda: _clause_links(plan, edition)).copy()


def _clause_links(plan: Plan, edition: str) -> pd.DataFrame:
    above = {leaf: plan.ancestors(leaf, edition) for leaf, clause in plan.clauses[edition].items() if clause.is_leaf}
    pairs = dict.fromkeys(
        (cid, task.id)
        for task in plan.tasks.values()
        if task.builds_sms
        for leaf in plan.clauses_of(task, edition)
        for cid in above.get(leaf, ())
    )
    return pd.DataFrame(list(pairs), columns=["clause_id", "task_id"])


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


def clause_readiness(plan: Plan, table: pd.DataFrame, edition: str | None = None) -> pd.DataFrame:
    """Every clause of an edition (the plan's by default), all levels, in tree order.

    Columns: id, title, depth, parent, readiness, tasks, task_ids, and ``implemented`` for the
    leaves (True when every applicable mandatory sms task behind it is done and verified; None
    for parents, which are not counted).
    """
    edition = edition or plan.edition
    links = clause_links(plan, edition)
    frame = _with_figures(_clause_frame(plan, edition), _figures(links, table, ["clause_id"]), ["id"])
    return frame.assign(implemented=_implemented(plan, edition, links, table, frame))


def among(column: pd.Series, wanted: Any) -> pd.Series:
    """``column.isin(wanted)`` for text: pandas' own costs about 4 µs per wanted value (40 ms for 10,000 ids)."""
    text = pa.array(column, type=pa.large_string())
    found = pc.is_in(text, value_set=pa.array(list(wanted), type=pa.large_string()))
    return pd.Series(found.to_numpy(zero_copy_only=False), index=column.index)


def _implemented(plan: Plan, edition: str, links: pd.DataFrame, table: pd.DataFrame, frame: pd.DataFrame) -> list:
    leaves = {c.id for c in plan.clauses[edition].values() if c.is_leaf}
    finished = (table["status"] == "done") & table["verified"]
    open_ids = table.loc[table["applicable"] & ~finished, "task_id"]
    unfinished = set(links.loc[among(links["task_id"], open_ids), "clause_id"])
    return [
        (tasks > 0 and cid not in unfinished) if cid in leaves else None
        for cid, tasks in zip(frame["id"], frame["tasks"], strict=True)
    ]


def implemented_count(clauses: pd.DataFrame) -> dict[str, int]:
    """The headline "clauses implemented: N of M" over the leaves of a clause_readiness table."""
    leaves = clauses["implemented"].notna()
    return {"clauses": int(leaves.sum()), "implemented": int(clauses.loc[leaves, "implemented"].astype(bool).sum())}


def stage_readiness(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Every stage in order: id (the stage number), title (its name), readiness, tasks, task_ids."""
    frame = pd.DataFrame({"id": [s.number for s in plan.stages], "title": [s.name for s in plan.stages]})
    links = table[["stage", "task_id"]].rename(columns={"stage": "id"})
    return _with_figures(frame, _figures(links, table, ["id"]), ["id"])


def overall_readiness(table: pd.DataFrame) -> dict[str, Any]:
    """The plan's readiness with the applicable tasks behind it."""
    ids = table.loc[table["applicable"], "task_id"].tolist()
    return {"readiness": weighted(table), "tasks": len(ids), "task_ids": ids}


def clause_stage_readiness(plan: Plan, table: pd.DataFrame, edition: str | None = None) -> pd.DataFrame:
    """Each clause x stage, clauses in tree order: the readiness of the clause's tasks within that stage."""
    edition = edition or plan.edition
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


# attention lists ---------------------------------------------------------------
def overdue(table: pd.DataFrame, today: dt.date) -> pd.Series:
    """Tasks past their due date and not finished."""
    open_ = ~table["status"].isin(FINISHED)
    return open_ & table["due"].notna() & (table["due"] < pd.Timestamp(today))


ATTENTION_COLUMNS = ["task_id", "stage", "title", "status", "percent", "owner", "due"]


def dependency_edges(plan: Plan) -> pd.DataFrame:
    """(task_id, depends_on): one row per dependency of the plan."""
    pairs = [(t.id, dep) for t in plan.tasks.values() for dep in t.depends_on]
    return pd.DataFrame(pairs, columns=["task_id", "depends_on"], dtype="str")


def overdue_tasks(table: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Unfinished tasks past their due date, longest overdue first, with the days overdue."""
    rows = table.loc[overdue(table, today), ATTENTION_COLUMNS]
    rows["days_overdue"] = (pd.Timestamp(today) - rows["due"]).dt.days
    return rows.sort_values("due", kind="stable").reset_index(drop=True)


def blocked_tasks(table: pd.DataFrame) -> pd.DataFrame:
    """Blocked tasks, plan order, with their notes (usually what they wait for)."""
    return table.loc[table["status"] == "blocked", [*ATTENTION_COLUMNS, "notes"]].reset_index(drop=True)


def waiting_for(plan: Plan, table: pd.DataFrame) -> pd.Series:
    """Each task in progress with dependencies not finished (done or not applicable): those dependencies, by task id."""
    edges = plan.derived("dependency_edges", lambda: dependency_edges(plan))
    index = pd.Index(table["task_id"])
    status = table["status"]
    in_progress = np.append((status == "in_progress").to_numpy(dtype=bool), False)  # -1: not in the table
    finished = np.append(status.isin(FINISHED).to_numpy(dtype=bool), False)
    waits = in_progress[index.get_indexer(edges["task_id"])] & ~finished[index.get_indexer(edges["depends_on"])]
    lists: dict[str, list[str]] = {}
    for task_id, dependency in zip(edges["task_id"][waits].tolist(), edges["depends_on"][waits].tolist(), strict=True):
        lists.setdefault(task_id, []).append(dependency)
    ids = pd.Index(list(lists), dtype=table["task_id"].dtype, name="task_id")
    return pd.Series(list(lists.values()), index=ids, dtype=object, name="waiting_for")


def waiting_tasks(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """Tasks in progress whose dependencies are not finished (done or not applicable), with those dependencies."""
    waiting = waiting_for(plan, table)
    rows = table.loc[among(table["task_id"], waiting.index), ATTENTION_COLUMNS]
    return rows.join(waiting, on="task_id").reset_index(drop=True)


def critical_path(plan: Plan, table: pd.DataFrame) -> pd.DataFrame:
    """The chain of unfinished tasks, each depending on the one before, with the largest remaining effort.

    Remaining effort is effort x (1 - completion); ties go to the task earlier in the plan.
    """
    open_rows = table[~table["status"].isin(FINISHED)]
    remaining = dict(zip(open_rows["task_id"], open_rows["effort"] * (1 - open_rows["completion"]), strict=True))
    columns = ["stage", "title", "owner", "due", "status", "effort"]
    if not remaining:
        return table.iloc[:0][["task_id", *columns]].assign(remaining=[])
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
    rows = table.set_index("task_id").loc[chain[::-1], columns].reset_index()
    rows["remaining"] = rows["task_id"].map(remaining).map(_rounded)
    return rows
