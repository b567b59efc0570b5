"""Readiness by clause, stage and edition, gates and attention lists, on a small hand-computed plan.

The plan (tests/plans/readiness/small) and its progress on 2026-07-01 (saves.yaml):

    task   stage effort status          percent clauses (2011)    note
    P0.01  0     1      done            100     5.1               with evidence
    P1.01  1     2      in_progress     50      4.1.1             "A" of the design; due 2026-06-20
    P1.02  1     1      done            100     4.1.1, 4.1.2      "B"; no evidence
    P1.03  1     4      not_applicable  0       4.2 (+8.2 2018)   with a note
    P2.01  2     3      blocked         20      5.2
    P2.02  2     5      not_started     0       5.1               optional
    P3.01  3     2      not_started     0       4.2
    P4.01  4     1      not_started     0       5.2
    P4.02  4     1      not_applicable  0       4.2               no note
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from pathlib import Path

import pandas as pd
import pytest

from rollout import readiness, views
from rollout.plan import Plan
from rollout.stores.files import FileStore
from rollout.timeline import Forecast

SCENARIO = Path(__file__).resolve().parent / "plans" / "readiness"
TODAY = dt.date(2026, 7, 1)


@pytest.fixture(scope="module")
def scenario(small_scenario) -> tuple[Plan, FileStore]:
    return small_scenario


@pytest.fixture(scope="module")
def plan(scenario) -> Plan:
    return scenario[0]


@pytest.fixture
def table(scenario) -> pd.DataFrame:
    plan, store = scenario
    return readiness.task_table(plan, store.load().progress)


def figures(frame: pd.DataFrame) -> dict:
    return {r["id"]: (r["readiness"], r["tasks"], r["task_ids"]) for r in readiness.figure_records(frame)}


def late_forecast(target: dt.date) -> Forecast:
    likely = target + dt.timedelta(days=30)
    return Forecast(TODAY, target, 3.6, 15.0, (1.0,) * 8, likely, likely, likely, None)


# clauses -----------------------------------------------------------------------
def test_the_worked_example_of_the_design(plan, table):
    got = figures(readiness.clause_readiness(plan, table))
    assert got["4.1.1"] == (0.6667, 2, ["P1.01", "P1.02"])
    assert got["4.1.2"] == (1.0, 1, ["P1.02"])
    assert got["4.1"] == (0.6667, 2, ["P1.01", "P1.02"])  # B serves both sub-clauses and counts once


def test_every_2011_clause_in_tree_order_with_effort_weights(plan, table):
    got = figures(readiness.clause_readiness(plan, table, "2011"))
    assert list(got) == ["4", "4.1", "4.1.1", "4.1.2", "4.2", "5", "5.1", "5.2"]
    assert got["4"] == (0.4, 3, ["P1.01", "P1.02", "P3.01"])  # (2*.5 + 1*1 + 2*0) / 5
    assert got["4.2"] == (0.0, 1, ["P3.01"])  # P1.03 and P4.02 are not applicable
    assert got["5"] == (0.16, 4, ["P0.01", "P2.01", "P2.02", "P4.01"])  # (1 + 3*.2) / 10
    assert got["5.1"] == (0.1667, 2, ["P0.01", "P2.02"])  # 1/6, four decimals
    assert got["5.2"] == (0.15, 2, ["P2.01", "P4.01"])  # .6 / 4


def test_2018_goes_through_the_correspondence_and_clauses_2018(plan, table):
    got = figures(readiness.clause_readiness(plan, table, "2018"))
    assert list(got) == ["4", "4.1", "5", "5.1", "5.2", "5.2.1", "5.2.2", "8", "8.1", "8.2"]
    assert got["5.1"] == (0.6667, 2, ["P1.01", "P1.02"])  # from 4.1.1
    assert got["5.2.1"] == got["5.2.2"] == got["5.2"] == (1.0, 1, ["P1.02"])  # from 4.1.2
    assert got["5"] == (0.6667, 2, ["P1.01", "P1.02"])
    assert got["8.1"] == (0.125, 3, ["P0.01", "P2.02", "P3.01"])  # from 4.2 and 5.1: 1/8
    assert got["4.1"] == got["4"] == (0.15, 2, ["P2.01", "P4.01"])  # from 5.2


def test_a_clause_with_no_applicable_task_is_null(plan, table):
    assert figures(readiness.clause_readiness(plan, table, "2018"))["8.2"] == (None, 0, [])  # only P1.03, n/a
    without = dataclasses.replace(plan, tasks={k: t for k, t in plan.tasks.items() if k != "P1.03"})
    assert figures(readiness.clause_readiness(without, table, "2018"))["8.2"] == (None, 0, [])


def test_clause_rows_carry_the_tree(plan, table):
    frame = readiness.clause_readiness(plan, table)
    row = frame.set_index("id").loc["4.1.2"]
    assert (row["title"], row["depth"], row["parent"]) == ("Service management policy", 2, "4.1")


def test_figures_are_rounded_to_four_decimals(plan, table):
    for edition in ("2011", "2018"):
        values = readiness.clause_readiness(plan, table, edition)["readiness"].dropna()
        assert (values == values.round(4)).all() and values.between(0, 1).all()


# stages and overall ------------------------------------------------------------
def test_stage_and_overall_readiness(plan, table):
    got = figures(readiness.stage_readiness(plan, table))
    assert got == {
        0: (1.0, 1, ["P0.01"]),
        1: (0.6667, 2, ["P1.01", "P1.02"]),
        2: (0.075, 2, ["P2.01", "P2.02"]),
        3: (0.0, 1, ["P3.01"]),
        4: (0.0, 1, ["P4.01"]),
    }
    overall = readiness.overall_readiness(table)
    assert overall["readiness"] == 0.24 and overall["tasks"] == 7  # 3.6 / 15


def test_a_heatmap_cell_is_a_clause_within_one_stage(plan, table):
    cells = readiness.clause_stage_readiness(plan, table).set_index(["id", "stage"])
    assert (cells.loc[("4.1", 1), "readiness"], cells.loc[("4.1", 1), "task_ids"]) == (0.6667, ["P1.01", "P1.02"])
    assert cells.loc[("5", 2), "readiness"] == 0.075
    assert pd.isna(cells.loc[("4.2", 1), "readiness"]) and cells.loc[("4.2", 1), "tasks"] == 0
    assert len(cells) == 8 * 5


def test_status_counts_cover_every_stage_and_status(plan, table):
    counts = readiness.status_counts(plan, table).set_index(["stage", "status"])
    assert len(counts) == 5 * 5
    assert counts.loc[(1, "done"), "task_ids"] == ["P1.02"]
    assert counts.loc[(4, "not_applicable"), "count"] == 1
    assert counts.loc[(0, "blocked"), "count"] == 0
    assert counts["count"].sum() == len(plan.tasks)


def test_percent_text_floors_and_rag_bands():
    assert readiness.percent_text(0.996) == "99 %"
    assert readiness.percent_text(None) == "no tasks"
    assert readiness.percent_text(float("nan")) == "no tasks"
    assert [readiness.rag(v) for v in (0.0, 0.4999, 0.5, 0.8499, 0.85, 1.0, None)] == [
        "red",
        "red",
        "amber",
        "amber",
        "green",
        "green",
        None,
    ]


def test_figure_records_are_plain_json_values(plan, table):
    records = readiness.figure_records(readiness.stage_readiness(plan, table))
    assert records[1] == {
        "id": 1,
        "title": "Phase 1: Foundation",
        "readiness": 0.6667,
        "tasks": 2,
        "task_ids": ["P1.01", "P1.02"],
    }
    assert all(type(r["id"]) is int and type(r["tasks"]) is int for r in records)


# gates -------------------------------------------------------------------------
def gate(plan, table, stage, forecast=None) -> dict:
    return readiness.gates(plan, table, TODAY, forecast)[stage]


def test_gate_met_when_every_mandatory_task_is_done_with_evidence(plan, table):
    assert gate(plan, table, 0) == {
        "phase": 0,
        "gate": "met",
        "gate_met": True,
        "gate_at_risk": False,
        "gate_missing": [],
        "gate_risks": [],
    }


def test_gate_missing_names_each_reason(plan, table):
    assert gate(plan, table, 1)["gate_missing"] == [
        {"task_id": "P1.01", "reason": "not done"},
        {"task_id": "P1.02", "reason": "done without evidence"},
    ]  # P1.03 is not applicable with a note
    assert gate(plan, table, 4)["gate_missing"] == [
        {"task_id": "P4.01", "reason": "not done"},
        {"task_id": "P4.02", "reason": "not applicable without a note"},
    ]


def test_optional_tasks_do_not_hold_a_gate(plan, table):
    assert [m["task_id"] for m in gate(plan, table, 2)["gate_missing"]] == ["P2.01"]  # P2.02 is optional


def test_gate_at_risk_when_a_mandatory_task_is_overdue_or_blocked(plan, table):
    overdue = gate(plan, table, 1)
    assert (overdue["gate"], overdue["gate_risks"]) == (
        "at risk",
        [{"task_id": "P1.01", "reason": "overdue (due 2026-06-20)"}],
    )
    blocked = gate(plan, table, 2)
    assert blocked["gate_at_risk"] and blocked["gate_risks"] == [{"task_id": "P2.01", "reason": "blocked"}]


def test_gate_not_met_without_a_risk(plan, table):
    assert gate(plan, table, 3)["gate"] == "not met" and gate(plan, table, 3)["gate_at_risk"] is False


def test_gate_at_risk_when_the_forecast_is_after_the_target(plan, table):
    risky = gate(plan, table, 3, late_forecast(plan.target_date))
    assert risky["gate"] == "at risk"
    assert risky["gate_risks"] == [
        {"task_id": None, "reason": "the forecast 2027-01-30 is after the target 2026-12-31"}
    ]
    assert gate(plan, table, 0, late_forecast(plan.target_date))["gate"] == "met"


def test_status_summary_keeps_the_designed_keys(plan, table):
    summary = readiness.status_summary(plan, table, TODAY)
    assert (summary["overall"], summary["tasks"], summary["done"], summary["not_applicable"]) == (0.24, 9, 2, 2)
    first = summary["phases"][1]
    assert {"phase", "name", "tasks", "done", "readiness", "gate_met", "gate_at_risk", "gate_missing"} <= set(first)
    assert (first["tasks"], first["done"], first["readiness"]) == (3, 1, 0.6667)


# attention lists ---------------------------------------------------------------
def test_overdue_and_blocked_tasks(table):
    late = readiness.overdue_tasks(table, TODAY)
    assert late[["task_id", "days_overdue"]].values.tolist() == [["P1.01", 11]]
    assert readiness.blocked_tasks(table)[["task_id", "notes"]].values.tolist() == [
        ["P2.01", "Waiting for the budget."]
    ]


def test_tasks_in_progress_waiting_for_unfinished_dependencies(plan, table):
    assert readiness.waiting_tasks(plan, table).empty  # P1.01's dependency P0.01 is done
    started = table.assign(status=table["status"].mask(table["task_id"] == "P2.02", "in_progress"))
    waiting = readiness.waiting_tasks(plan, started)
    assert waiting[["task_id", "waiting_for"]].values.tolist() == [["P2.02", ["P1.01"]]]


def test_attention_puts_the_earliest_due_first_then_overdue_or_blocked_then_plan_order(plan, table):
    status = {"P1.01": "in_progress", "P1.02": "in_progress", "P2.01": "blocked", "P2.02": "in_progress"}
    status |= {"P3.01": "blocked", "P4.01": "in_progress"}
    due = {"P1.01": "2026-06-20", "P1.02": "2026-06-20", "P2.02": "2026-07-10", "P3.01": "2026-07-10"}
    now = table.assign(
        status=table["task_id"].map(status).fillna("done"),
        due=pd.to_datetime(table["task_id"].map(due)).astype(table["due"].dtype),
    )
    got = views.attention(plan, now, TODAY)
    assert got[["task_id", "why"]].values.tolist() == [
        ["P1.01", "overdue 11 days"],
        ["P1.02", "overdue 11 days; waits for P1.01"],
        ["P3.01", "blocked"],  # blocked before waiting on the same due date, though later in the plan
        ["P2.02", "waits for P1.01"],
        ["P2.01", "blocked"],  # no due date: last
        ["P4.01", "waits for P3.01, P2.02"],
    ]
    assert views.attention(plan, now, TODAY, limit=2)["task_id"].tolist() == ["P1.01", "P1.02"]


def test_clause_links_are_kept_per_plan(plan):
    links = readiness.clause_links(plan, "2011")
    links.loc[0, "task_id"] = "changed by a caller"
    fresh = dataclasses.replace(plan)  # a copy starts without the links kept
    pd.testing.assert_frame_equal(readiness.clause_links(plan, "2011"), readiness.clause_links(fresh, "2011"))
    smaller = dataclasses.replace(plan, tasks={"P0.01": plan.tasks["P0.01"]})
    assert set(readiness.clause_links(smaller, "2011")["task_id"]) == {"P0.01"}
    assert pickle.loads(pickle.dumps(plan)) == plan


def test_critical_path_is_the_chain_with_the_most_remaining_effort(plan, table):
    # open: P1.01 (1.0 left), P2.01 (2.4), P2.02 (5), P3.01 (2), P4.01 (1)
    # P1.01 -> P2.02 -> P4.01 = 7.0 beats P2.01 -> P3.01 -> P4.01 = 5.4
    path = readiness.critical_path(plan, table)
    assert path[["task_id", "remaining"]].values.tolist() == [["P1.01", 1.0], ["P2.02", 5.0], ["P4.01", 1.0]]
    finished = table.assign(status="done")
    assert readiness.critical_path(plan, finished).empty
