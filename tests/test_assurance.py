"""Assessments, findings and gate decisions: their rules, conformity readiness and the stage 2 verdict, hand-computed.

On the small plan of tests/plans/readiness (edition 2018; leaves 4.1, 5.1, 5.2.1, 5.2.2, 8.1, 8.2)
after its saves (test_readiness.py has the table): only 5.2.2 is implemented (P1.04, done on
06-27 and verified); only the gate of stage 0 is met. Today is 2026-07-01.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pandas as pd
import pytest
from support import SCENARIO, run_cli

from rollout import assurance, gates, readiness, registers
from rollout.plan import load_plan
from rollout.progress import ChangeError, ConflictError
from rollout.stores.files import FileStore

TODAY = dt.date(2026, 7, 1)
AT = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def store(small_scenario, tmp_path) -> FileStore:
    """A private copy of the small scenario's data folder."""
    plan, scenario = small_scenario
    folder = tmp_path / "data"
    shutil.copytree(scenario.folder, folder)
    return FileStore(folder, plan)


@pytest.fixture
def plan():
    return load_plan(SCENARIO / "small")


def assess(store, clause, result, source, on):
    return registers.assess(store, clause, result, by="Ann Auditor", source=source, on=on, today=TODAY)


def figures(plan, store):
    snapshot = store.load()
    table = readiness.task_table(plan, snapshot.progress)
    stage_gates = gates.gates(plan, table, TODAY)
    clauses = readiness.clause_readiness(plan, table)
    return assurance.conformity(plan, clauses, snapshot.records, store.history(), stage_gates, TODAY), stage_gates


def refusal(call) -> list[tuple[str, str, str]]:
    with pytest.raises(ChangeError) as caught:
        call()
    return caught.value.problems


# the records' rules ------------------------------------------------------------
def test_records_take_the_next_id_and_go_into_the_history(store):
    first = assess(store, "5.2", "conforming", "internal_audit", "2026-06-30")
    second = assess(store, "5.2.1", "Minor gap", "self", "2026-06-20")  # words read as codes
    assert (first.tasks, second.tasks) == (["A-0001"], ["A-0002"])
    got = store.records("assessments").set_index("id")
    assert got.loc["A-0002", "result"] == "minor_gap" and got.loc["A-0002", "assessor"] == "Ann Auditor"
    assert got.loc["A-0001", "assessed_on"] == pd.Timestamp("2026-06-30")
    events = store.history("A-0001")
    assert {("clause", "5.2"), ("result", "conforming")} <= set(zip(events["field"], events["new"], strict=True))


@pytest.mark.parametrize(
    ("clause", "result", "source", "on", "field", "message"),
    [
        ("9.9", "conforming", "self", "2026-06-01", "clause", "'9.9' is not a clause of ISO/IEC 20000-1:2018"),
        ("5.1", "fine", "self", "2026-06-01", "result", "result 'fine' is not one of conforming, minor_gap"),
        ("5.1", "conforming", "audit", "2026-06-01", "source", "source 'audit' is not one of gap_analysis"),
        ("5.1", "conforming", "self", "2099-07-02", "assessed_on", "is in the future; it records what happened"),
    ],
)
def test_a_bad_assessment_is_refused_with_the_field_named_and_nothing_written(
    store, clause, result, source, on, field, message
):
    before = store.history()
    problems = refusal(lambda: assess(store, clause, result, source, on))
    assert [(p[1], message in p[2]) for p in problems] == [(field, True)]
    pd.testing.assert_frame_equal(store.history(), before)
    assert store.records("assessments").empty


def test_a_finding_is_closed_only_with_an_action_and_verified_only_by_someone_else(store):
    new = registers.add_findings(
        store, [{"clauses": "8.1; 5.1", "grade": "major", "source": "internal_audit", "description": "No review",
                 "owner": "Olga Owner", "due": "2026-08-01"}], by="Ann Auditor")  # fmt: skip
    assert new.tasks == ["F-0001"] and store.records("findings").loc[0, "status"] == "open"
    assert refusal(lambda: registers.change_finding(store, "F-0001", {"status": "closed"}, by="Olga Owner")) == [
        ("F-0001", "action", "a finding closed needs its action written down first")
    ]
    registers.change_finding(store, "F-0001", {"action": "Hold the review", "status": "closed"}, by="Olga Owner")
    closed = store.records("findings").iloc[0]
    assert (closed["status"], closed["closed_on"]) == ("closed", pd.Timestamp(dt.datetime.now(dt.UTC).date()))
    assert refusal(lambda: registers.change_finding(store, "F-0001", {"status": "verified"}, by="olga owner")) == [
        ("F-0001", "verified_by", "Olga Owner owns the action; someone else checks its effectiveness")
    ]
    registers.change_finding(store, "F-0001", {"status": "verified"}, by="Ann Auditor")
    assert store.records("findings").iloc[0]["verified_by"] == "Ann Auditor"
    registers.change_finding(store, "F-0001", {"status": "open"}, by="Ann Auditor")  # reopened: the checks go
    reopened = store.records("findings").iloc[0]
    assert reopened["verified_by"] == "" and pd.isna(reopened["closed_on"])


def test_a_finding_names_leaf_clauses_and_a_known_grade(store):
    problems = refusal(
        lambda: registers.add_findings(
            store, [{"clauses": "5.2", "grade": "serious", "source": "self", "description": "x"}], by="a"
        )
    )
    assert {p[1] for p in problems} == {"clauses", "grade"}
    assert "'5.2' is not a leaf clause" in next(p[2] for p in problems if p[1] == "clauses")


def test_a_change_of_a_record_loaded_at_an_older_revision_is_a_conflict(store):
    registers.add_findings(store, [{"clauses": "8.1", "grade": "minor", "source": "self", "description": "x"}], by="a")
    registers.change_finding(store, "F-0001", {"owner": "Bea"}, by="a")
    with pytest.raises(ConflictError, match="F-0001 was changed by a"):
        registers.change_finding(store, "F-0001", {"owner": "Cy"}, by="b", revision=1)


# decisions ---------------------------------------------------------------------
def test_go_is_refused_for_a_gate_that_is_not_met_and_a_no_go_withdraws_a_sign_off(plan, store):
    problems = refusal(lambda: registers.decide(store, plan, 1, "go", by="Chair", today=TODAY))
    assert problems[0][:2] == ("D-0001", "decision")
    assert problems[0][2].startswith("go needs the gate of stage 1 met; it is at risk: kept shut by")
    assert store.records("decisions").empty
    assert refusal(lambda: registers.decide(store, plan, 0, "go_with_conditions", by="Chair", today=TODAY)) == [
        ("D-0001", "conditions", "go with conditions needs the conditions written down")
    ]
    _, stage_gates = figures(plan, store)
    needed = assurance.decision_states(stage_gates, store.records("decisions"))
    assert [s["needed"] for s in needed] == [True, False, False, False, False]
    registers.decide(store, plan, 0, "go", by="Chair", minutes="SC-07", today=TODAY)
    states = assurance.decision_states(stage_gates, store.records("decisions"))
    assert (states[0]["signed_off"], states[0]["needed"], states[0]["decision"]["minutes"]) == (True, False, "SC-07")
    registers.decide(store, plan, 0, "no_go", by="Chair", today=TODAY)
    withdrawn = assurance.decision_states(stage_gates, store.records("decisions"))[0]
    assert (withdrawn["signed_off"], withdrawn["needed"], withdrawn["decision"]["id"]) == (False, True, "D-0002")


# conformity ----------------------------------------------------------------------
def conformity_scenario(store):
    assess(store, "5.2", "conforming", "internal_audit", "2026-06-30")  # 5.2.1 and 5.2.2 below it
    assess(store, "5.2.1", "minor_gap", "self", "2026-06-20")  # its own, though older, wins over the parent's
    assess(store, "8", "major_gap", "gap_analysis", "2026-05-01")  # 8.1 and 8.2 below it


def test_a_clause_takes_its_own_latest_assessment_else_its_nearest_parents(plan, store):
    conformity_scenario(store)
    table = assurance.clause_conformity(plan, store.records("assessments")).set_index("id")
    assert table["conformity"].to_dict() == {
        "4": "not_assessed", "4.1": "not_assessed", "5": "not_assessed", "5.1": "not_assessed",
        "5.2": "conforming", "5.2.1": "minor_gap", "5.2.2": "conforming", "8": "major_gap", "8.1": "major_gap",
        "8.2": "major_gap",
    }  # fmt: skip
    assert (table.loc["5.2.2", "assessment"], table.loc["5.2.2", "inherited"]) == ("A-0001", True)
    grid = assurance.source_grid(plan, store.records("assessments")).set_index("id")
    assert (grid.loc["5.2", "internal_audit"], grid.loc["5.2.2", "internal_audit"]) == ("conforming", "")


def test_conformant_needs_implemented_conforming_current_and_no_open_finding(plan, store):
    conformity_scenario(store)
    result, _ = figures(plan, store)
    leaves = result.leaves.set_index("id")
    assert leaves["conformant"].to_dict() == {
        "4.1": False, "5.1": False, "5.2.1": False, "5.2.2": True, "8.1": False, "8.2": False
    }  # fmt: skip
    assert result.as_json() == {
        "clauses": 6, "conformant": 1, "not_assessed": 2, "open_major": 0, "ready_for_stage2": False
    }  # fmt: skip
    registers.add_findings(
        store, [{"clauses": "5.2.2", "grade": "minor", "source": "self", "description": "Briefing records gaps"}],
        by="Ann Auditor",
    )  # fmt: skip
    assert not figures(plan, store)[0].leaves.set_index("id").loc["5.2.2", "conformant"]  # an open minor finding


def test_an_assessment_older_than_the_last_change_of_its_tasks_is_not_current(plan, store):
    assess(store, "5.2.2", "conforming", "self", "2026-06-25")  # P1.04 was set done on 06-27
    leaves = figures(plan, store)[0].leaves.set_index("id")
    assert (leaves.loc["5.2.2", "conformity"], leaves.loc["5.2.2", "current"]) == ("conforming", False)
    assert not leaves.loc["5.2.2", "conformant"]


def test_ready_for_stage_2_lists_every_reason_it_is_not(plan, store):
    conformity_scenario(store)
    registers.add_findings(
        store,
        [{"clauses": "8.1", "grade": "major", "source": "internal_audit", "description": "No continuity test"},
         {"clauses": "5.1", "grade": "minor", "source": "internal_audit", "description": "Objectives not measured"}],
        by="Ann Auditor",
    )  # fmt: skip
    result, _ = figures(plan, store)
    assert not result.ready and result.open_major == ["F-0001"]
    assert result.reasons == [
        "1 open major finding: F-0001",
        "2 clauses with a major gap: 8.1, 8.2",
        "2 clauses not assessed: 4.1, 5.1",
        "1 minor gap without a finding with an action and a due date: 5.2.1",
        "1 open minor finding without an action and a due date: F-0002",
        "4 clauses not assessed by an internal audit in the last 12 months: 4.1, 5.1, 8.1, 8.2",
        "the gate of Phase 3: Conform is not signed off by the steering committee",
    ]


def test_internal_audit_coverage_counts_parents_and_the_last_12_months(plan, store):
    assess(store, "5", "conforming", "internal_audit", "2025-06-30")  # a year and a day ago: not covered
    assess(store, "8.1", "conforming", "internal_audit", "2026-01-10")
    coverage = assurance.audit_coverage(plan, store.records("assessments"), TODAY).set_index("id")
    assert coverage["covered"].to_dict() == {
        "4.1": False, "5.1": False, "5.2.1": False, "5.2.2": False, "8.1": True, "8.2": False
    }  # fmt: skip
    assert coverage.loc["5.1", "audited_on"] == pd.Timestamp("2025-06-30")


# the command line ----------------------------------------------------------------
def test_the_commands_of_the_registers_and_their_json(plan, store, capsys, monkeypatch):
    monkeypatch.setenv("ROLLOUT_TODAY", "2026-07-01")

    def cli(*args):
        return run_cli(capsys, "--phases", SCENARIO / "small", "--data", store.folder, *args)

    code, out, _ = cli(
        "assess", "5.2.2", "conforming", "--source", "internal_audit", "--on", "2026-06-30", "--by", "Ann"
    )
    assert code == 0 and out.startswith("A-0001: 5.2.2 assessed conforming")
    code, out, err = cli("assess", "5.2.2", "splendid")
    assert code == 1 and "result 'splendid' is not one of" in err and "Traceback" not in err
    code, out, _ = cli("finding", "add", "No review held", "--clauses", "8.1", "--grade", "major",
                       "--source", "internal_audit", "--owner", "Olga", "--due", "2026-08-01", "--by", "Ann")  # fmt: skip
    assert (code, out.strip()) == (0, "F-0001")
    code, _, err = cli("finding", "set", "F-0001", "status=closed", "--by", "Olga")
    assert code == 1 and "needs its action written down first" in err
    assert cli("finding", "set", "F-0001", "action=Hold it", "status=action_planned", "--by", "Olga")[0] == 0
    code, _, err = cli("decide", "1", "go", "--by", "Chair")
    assert code == 1 and "needs the gate of stage 1 met" in err
    assert cli("decide", "0", "go", "--minutes", "SC-07", "--by", "Chair")[0] == 0
    findings = json.loads(cli("findings", "--open", "--json")[1])
    assert [(f["id"], f["clauses"], f["grade"], f["status"], f["due"]) for f in findings] == [
        ("F-0001", ["8.1"], "major", "action_planned", "2026-08-01")
    ]
    decisions = json.loads(cli("decisions", "--json")[1])
    assert decisions == [{"id": "D-0001", "stage": 0, "decision": "go", "decided_on": "2026-07-01", "by": "Chair",
                          "conditions": "", "minutes": "SC-07"}]  # fmt: skip
    assessments = {a["clause"]: a for a in json.loads(cli("assessments", "--json")[1])}
    assert list(assessments) == list(plan.clauses["2018"])
    assert assessments["5.2.2"] | {"inherited": None} == {
        "clause": "5.2.2", "conformity": "conforming", "assessed_on": "2026-06-30", "source": "internal_audit",
        "assessor": "Ann", "id": "A-0001", "inherited": None}  # fmt: skip
    status = json.loads(cli("status", "--json")[1])
    assert status["conformity"] == {"clauses": 6, "conformant": 1, "not_assessed": 5, "open_major": 1,
                                    "ready_for_stage2": False}  # fmt: skip
    assert status["phases"][0]["decision"]["id"] == "D-0001" and status["phases"][1]["decision"] is None
    events = json.loads(cli("history", "F-0001", "--json")[1])
    assert {e["task_id"] for e in events} == {"F-0001"} and events[-1]["by"] == "Olga"
