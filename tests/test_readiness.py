"""The two questions on a small hand-computed plan: implementation progress, and clause readiness; gates and lists.

The plan (tests/plans/readiness/small, edition 2018) and its progress on 2026-07-01 (saves.yaml):

    task   stage kind  effort status          percent 2018 clauses   2011 clauses   note
    P0.01  0     proj  1      done            100     -              -              evidence, verified by Vera
    P1.01  1     sms   2      in_progress     50      5.1            4.1.1          "A" of the design; due 06-20
    P1.02  1     sms   1      done            100     5.1, 5.2.1     4.1.1, 4.1.2   "B"; no evidence
    P1.03  1     sms   4      not_applicable  0       8.1            4.2            with a note
    P1.04  1     sms   1      done            100     5.2.2          -              evidence, verified by Vera
    P2.01  2     sms   3      blocked         20      4.1, 8.2       5.2
    P2.02  2     sms   5      not_started     0       8.1            5.1            optional
    P3.01  3     sms   2      not_started     0       8.1            4.2, 5.1       min_weeks 4
    P4.01  4     cert  1      not_started     0       -              -
    P4.02  4     cert  1      not_applicable  0       -              -              with a note
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from pathlib import Path

import pandas as pd
import pytest

from rollout import gates, readiness, views
from rollout.plan import Plan
from rollout.stores.files import FileStore
from rollout.summary import status_summary
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
    return Forecast(TODAY, target, 4.6, 16.0, (1.0,) * 8, likely, likely, likely, None)


def finished(table: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """The table with these tasks done, with evidence, verified."""
    mine = table["task_id"].isin(ids)
    return table.assign(
        status=table["status"].mask(mine, "done"),
        percent=table["percent"].mask(mine, 100),
        completion=table["completion"].mask(mine, 1.0),
        applicable=table["applicable"] | mine,
        evidence=table["evidence"].mask(mine, "ref"),
        verified=table["verified"] | mine,
    )


# clause readiness --------------------------------------------------------------
def test_the_worked_example_of_the_design(plan, table):
    got = figures(readiness.clause_readiness(plan, table, "2011"))
    assert got["4.1.1"] == (0.6667, 2, ["P1.01", "P1.02"])
    assert got["4.1.2"] == (1.0, 1, ["P1.02"])
    assert got["4.1"] == (0.6667, 2, ["P1.01", "P1.02"])  # B serves both sub-clauses and counts once


def test_the_plans_edition_by_default_every_clause_in_tree_order(plan, table):
    got = figures(readiness.clause_readiness(plan, table))
    assert list(got) == ["4", "4.1", "5", "5.1", "5.2", "5.2.1", "5.2.2", "8", "8.1", "8.2"]
    assert got["4.1"] == got["4"] == (0.2, 1, ["P2.01"])
    assert got["5.1"] == (0.6667, 2, ["P1.01", "P1.02"])  # (2*.5 + 1*1) / 3
    assert got["5.2.1"] == (1.0, 1, ["P1.02"]) and got["5.2.2"] == (1.0, 1, ["P1.04"])  # split: each its own task
    assert got["5"] == (0.75, 3, ["P1.01", "P1.02", "P1.04"])  # (1 + 1 + 1) / 4
    assert got["8.1"] == (0.0, 1, ["P3.01"])  # P1.03 not applicable, P2.02 optional
    assert got["8"] == (0.12, 2, ["P2.01", "P3.01"])  # .6 / 5


def test_only_mandatory_sms_tasks_count_and_only_their_explicit_tags(plan, table):
    every = {t for ids in figures(readiness.clause_readiness(plan, table, "2011")).values() for t in ids[2]}
    every |= {t for ids in figures(readiness.clause_readiness(plan, table)).values() for t in ids[2]}
    assert not every & {"P0.01", "P4.01", "P4.02", "P2.02"}  # project, certification, optional
    got = figures(readiness.clause_readiness(plan, table, "2011"))
    assert got["4"] == (0.4, 3, ["P1.01", "P1.02", "P3.01"])  # (2*.5 + 1) / 5; P1.04 names no 2011 clause
    assert got["5.1"] == (0.0, 1, ["P3.01"])
    assert got["5.2"] == (0.2, 1, ["P2.01"])


def test_a_clause_whose_own_tasks_are_undone_reads_zero_whatever_else_is_done(plan, table):
    everything_else = finished(table, [t for t in plan.tasks if t not in ("P3.01", "P1.03")])  # P1.03 stays n/a
    got = figures(readiness.clause_readiness(plan, everything_else))
    assert got["8.1"] == (0.0, 1, ["P3.01"])
    assert got["5.1"][0] == got["4.1"][0] == got["8.2"][0] == 1.0


def test_a_clause_with_no_applicable_task_is_null(plan, table):
    only_p103 = dataclasses.replace(plan, tasks={k: t for k, t in plan.tasks.items() if k not in ("P3.01",)})
    assert figures(readiness.clause_readiness(only_p103, table))["8.1"] == (None, 0, [])


def test_clauses_implemented_need_every_task_done_and_verified(plan, table):
    clauses = readiness.clause_readiness(plan, table)
    leaves = clauses.set_index("id")["implemented"].dropna().to_dict()
    assert leaves == {"4.1": False, "5.1": False, "5.2.1": False, "5.2.2": True, "8.1": False, "8.2": False}
    assert readiness.implemented_count(clauses) == {"clauses": 6, "implemented": 1}
    # 5.2.1: P1.02 is done but not verified; done and verified, it counts
    assert readiness.implemented_count(readiness.clause_readiness(plan, finished(table, ["P1.02"])))["implemented"] == 2
    assert clauses.set_index("id").loc["5.2", "implemented"] is None  # parents are not counted


def test_clause_rows_carry_the_tree(plan, table):
    frame = readiness.clause_readiness(plan, table, "2011")
    row = frame.set_index("id").loc["4.1.2"]
    assert (row["title"], row["depth"], row["parent"]) == ("Service management policy", 2, "4.1")


def test_figures_are_rounded_to_four_decimals(plan, table):
    for edition in ("2011", "2018"):
        values = readiness.clause_readiness(plan, table, edition)["readiness"].dropna()
        assert (values == values.round(4)).all() and values.between(0, 1).all()


def test_a_breakdown_ends_on_its_figure(plan, table):
    """The tasks behind a figure sum their exact shares: a rounded share can move the sum a point."""
    odd = table.assign(percent=table["percent"].mask(table["task_id"] == "P1.01", 3))
    odd = odd.assign(completion=odd["percent"] / 100)
    clause = readiness.clause_readiness(plan, odd).set_index("id").loc["5.1"]
    rows, sentence = views.breakdown(odd, clause["task_ids"])
    assert readiness.percent_text(clause["readiness"]) == "35 %"  # (2*.03 + 1) / 3 = 0.3533
    assert sentence.endswith("= 1.06 / 3 days = 35 %")
    assert rows["done_days"].sum() == pytest.approx(1.06)


# implementation progress ------------------------------------------------------
def test_stage_and_overall_progress_count_every_applicable_task(plan, table):
    got = figures(readiness.stage_readiness(plan, table))
    assert got == {
        0: (1.0, 1, ["P0.01"]),
        1: (0.75, 3, ["P1.01", "P1.02", "P1.04"]),
        2: (0.075, 2, ["P2.01", "P2.02"]),
        3: (0.0, 1, ["P3.01"]),
        4: (0.0, 1, ["P4.01"]),
    }
    overall = readiness.overall_readiness(table)
    assert overall["readiness"] == 0.2875 and overall["tasks"] == 8  # 4.6 / 16


def test_a_heatmap_cell_is_a_clause_within_one_stage(plan, table):
    cells = readiness.clause_stage_readiness(plan, table).set_index(["id", "stage"])
    assert (cells.loc[("5.1", 1), "readiness"], cells.loc[("5.1", 1), "task_ids"]) == (0.6667, ["P1.01", "P1.02"])
    assert cells.loc[("8", 2), "readiness"] == 0.2
    assert pd.isna(cells.loc[("8.1", 1), "readiness"]) and cells.loc[("8.1", 1), "tasks"] == 0
    assert len(cells) == 10 * 5


def test_status_counts_cover_every_stage_and_status(plan, table):
    counts = readiness.status_counts(plan, table).set_index(["stage", "status"])
    assert len(counts) == 5 * 5
    assert counts.loc[(1, "done"), "task_ids"] == ["P1.02", "P1.04"]
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
        "readiness": 0.75,
        "tasks": 3,
        "task_ids": ["P1.01", "P1.02", "P1.04"],
    }
    assert all(type(r["id"]) is int and type(r["tasks"]) is int for r in records)


# gates -------------------------------------------------------------------------
def gate(plan, table, stage, forecast=None) -> gates.Gate:
    return gates.gates(plan, table, TODAY, forecast)[stage]


def test_gate_met_when_every_mandatory_task_is_done_and_verified(plan, table):
    met = gate(plan, table, 0)
    assert met.as_json() == {
        "gate": "met",
        "gate_met": True,
        "gate_at_risk": False,
        "gate_missing": [],
        "gate_risks": [],
        "gate_waiting_for": [],
    }
    assert met.why() == gates.MET_WHY


def test_gate_missing_names_each_reason(plan, table):
    assert list(gate(plan, table, 1).missing) == [
        {"task_id": "P1.01", "reason": "not done"},
        {"task_id": "P1.02", "reason": "done without evidence"},
    ]  # P1.03 is not applicable with a note; P1.04 is done and verified
    with_evidence = table.assign(evidence=table["evidence"].mask(table["task_id"] == "P1.02", "ref"))
    assert {"task_id": "P1.02", "reason": "done, not verified"} in gate(plan, with_evidence, 1).missing


def test_a_not_applicable_task_without_a_note_keeps_its_gate_shut(plan, table):
    legacy = table.assign(notes=table["notes"].mask(table["task_id"] == "P4.02", ""))
    assert {"task_id": "P4.02", "reason": "not applicable without a note"} in gate(plan, legacy, 4).missing


def test_optional_tasks_do_not_hold_a_gate(plan, table):
    assert [m["task_id"] for m in gate(plan, table, 2).missing] == ["P2.01"]  # P2.02 is optional


def test_gates_are_cumulative_a_later_stage_ready_first_is_waiting(plan, table):
    stage_two = finished(table, ["P2.01", "P2.02"])
    waiting = gate(plan, stage_two, 2)
    assert (waiting.state, waiting.missing, waiting.waiting_for) == ("waiting", (), (1,))
    assert waiting.why() == "its own tasks are ready; waiting for the gate of stage 1"
    everything = finished(table, list(plan.tasks))
    assert [g.state for g in gates.gates(plan, everything, TODAY)] == ["met"] * 5


def test_waiting_wins_over_at_risk(plan, table):
    stage_two = finished(table, ["P2.01"])
    assert gate(plan, stage_two, 2, late_forecast(plan.target_date)).state == "waiting"


def test_gate_at_risk_when_a_mandatory_task_is_overdue_or_blocked(plan, table):
    overdue = gate(plan, table, 1)
    assert (overdue.state, overdue.risks) == ("at risk", ({"task_id": "P1.01", "reason": "overdue (due 2026-06-20)"},))
    blocked = gate(plan, table, 2)
    assert blocked.state == "at risk" and blocked.risks == ({"task_id": "P2.01", "reason": "blocked"},)
    assert blocked.why() == "kept shut by 1 mandatory task: 1 not done (P2.01). At risk: 1 blocked (P2.01)"


def test_gate_not_met_without_a_risk(plan, table):
    assert gate(plan, table, 3).state == "not met" and not gate(plan, table, 3).as_json()["gate_at_risk"]


def test_gate_at_risk_when_the_forecast_is_after_the_target(plan, table):
    risky = gate(plan, table, 3, late_forecast(plan.target_date))
    assert risky.state == "at risk"
    assert risky.risks == ({"task_id": None, "reason": "the forecast 2027-01-30 is after the target 2026-12-31"},)
    assert gate(plan, table, 0, late_forecast(plan.target_date)).state == "met"


def test_the_gate_rule_is_worded_once_with_every_state():
    for word in ("met", "waiting", "at risk", "verified by a second person", "not applicable with a note"):
        assert word in gates.RULE


def test_status_summary_keeps_the_designed_keys(plan, table):
    stage_gates = gates.gates(plan, table, TODAY)
    summary = status_summary(plan, table, stage_gates, readiness.clause_readiness(plan, table))
    assert (summary["overall"], summary["tasks"], summary["done"], summary["not_applicable"]) == (0.2875, 10, 3, 2)
    assert summary["edition"] == "2018" and summary["implemented"] == {"clauses": 6, "implemented": 1}
    first = summary["phases"][1]
    keys = {"phase", "stage", "name", "tasks", "done", "readiness", "gate", "gate_met", "gate_at_risk", "gate_missing"}
    assert keys <= set(first)
    assert (first["tasks"], first["done"], first["readiness"], first["gate"]) == (4, 2, 0.75, "at risk")


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
    smaller = dataclasses.replace(plan, tasks={"P1.01": plan.tasks["P1.01"]})
    assert set(readiness.clause_links(smaller, "2011")["task_id"]) == {"P1.01"}
    assert pickle.loads(pickle.dumps(plan)) == plan


def test_critical_path_is_the_chain_with_the_most_remaining_effort(plan, table):
    # open: P1.01 (1.0 left), P2.01 (2.4), P2.02 (5), P3.01 (2), P4.01 (1)
    # P1.01 -> P2.02 -> P4.01 = 7.0 beats P2.01 -> P3.01 -> P4.01 = 5.4
    path = readiness.critical_path(plan, table)
    assert path[["task_id", "remaining"]].values.tolist() == [["P1.01", 1.0], ["P2.02", 5.0], ["P4.01", 1.0]]
    finished = table.assign(status="done")
    assert readiness.critical_path(plan, finished).empty
