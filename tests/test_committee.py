"""The steering committee pack's content: changes since a date, per-clause deltas, gates and decisions.

The scenario is the small plan of tests/plans/readiness with the saves below, made through the
real store. The last meeting was on 2026-06-15 and today is 2026-07-01. Efforts: P0.01 1 (project),
P1.01 2, P1.02 1, P1.03 4, P1.04 1, P2.01 3, P2.02 5 (optional), P3.01 2, P4.01 1 and P4.02 1
(certification). Clauses are of the plan's edition, 2018 (test_readiness.py has the tags).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from support import DEMO_TODAY, PLANS

from rollout import committee, readiness, timeline
from rollout.plan import load_plan
from rollout.stores.files import FileStore

SINCE, TODAY = dt.date(2026, 6, 15), dt.date(2026, 7, 1)
SAVES = [
    ("2026-06-01T09:00", {"P0.01": {"start": "2026-06-01", "due": "2026-06-05"}, "P1.01": {"due": "2026-06-20"},
                          "P2.01": {"due": "2026-06-30"}}),
    ("2026-06-02T09:00", {"P0.01": {"status": "in_progress", "percent": 50}}),
    ("2026-06-05T09:00", {"P0.01": {"status": "done", "evidence": "https://sms.example.org/P0.01"}}),
    ("2026-06-06T09:00", ["P0.01"]),  # verified by a second person
    ("2026-06-10T09:00", {"P1.01": {"percent": 50}, "P1.02": {"percent": 20}}),
    ("2026-06-14T23:30", {"P1.03": {"percent": 10}}),  # the evening before the meeting day: still "then"
    ("2026-06-15T00:10", {"P1.02": {"status": "done"}}),  # the meeting day itself counts as "since"
    ("2026-06-20T09:00", {"P2.01": {"percent": 30}, "P1.01": {"due": "2026-07-10"}}),
    ("2026-06-25T09:00", {"P3.01": {"status": "blocked", "notes": "Waiting for the budget.", "owner": "Tom"}}),
    ("2026-06-26T09:00", {"P4.02": {"status": "not_applicable", "notes": "The group's audit covers it."}}),
]  # fmt: skip


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """(plan, task table, history) after the saves above."""
    plan = load_plan(PLANS / "readiness" / "small")
    store = FileStore(tmp_path_factory.mktemp("committee") / "data", plan)
    for at, changes in SAVES:
        when = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)
        if isinstance(changes, list):
            store.verify(changes, by="Vera Verifier", at=when)
        else:
            store.save(changes, None, by="Tester", source="ui", at=when)
    return plan, readiness.task_table(plan, store.load().progress), store.history()


def test_the_state_on_a_day_is_replayed_up_to_the_day_before(scenario):
    plan, table, history = scenario
    then = committee.state_on(plan, table, history, SINCE).set_index("task_id")
    assert then["status"].to_dict() == {
        "P0.01": "done", "P1.01": "in_progress", "P1.02": "in_progress", "P1.03": "in_progress",
        "P1.04": "not_started", "P2.01": "not_started", "P2.02": "not_started", "P3.01": "not_started", "P4.01": "not_started",
        "P4.02": "not_started",
    }  # fmt: skip
    assert then["percent"].to_dict() == {**dict.fromkeys(then.index, 0), "P0.01": 100, "P1.01": 50, "P1.02": 20,
                                         "P1.03": 10}  # fmt: skip
    assert then["applicable"].all() and then["completion"]["P1.01"] == 0.5


def test_replaying_the_whole_history_gives_the_current_progress(scenario):
    plan, table, history = scenario
    then = committee.state_on(plan, table, history, TODAY + dt.timedelta(days=1))
    pd.testing.assert_frame_equal(then[["status", "percent"]], table[["status", "percent"]])


def test_replaying_the_demo_gives_its_current_progress(bundled_plan, demo_master):
    store = FileStore(demo_master, bundled_plan)
    table = readiness.task_table(bundled_plan, store.load().progress)
    day = dt.date.fromisoformat(DEMO_TODAY) + dt.timedelta(days=1)
    then = committee.state_on(bundled_plan, table, store.history(), day)
    pd.testing.assert_frame_equal(then[["status", "percent"]], table[["status", "percent"]])


def test_replay_at_week_ends_gives_the_burnup(scenario):
    plan, _, history = scenario
    weekly = timeline.burnup(plan, history, TODAY)
    percent, status = timeline.replay(plan, history, pd.DatetimeIndex(weekly["week_end"]))
    effort = pd.Series({t.id: t.effort_days for t in plan.tasks.values()})
    applicable = status != timeline.STATUS_CODES["not_applicable"]
    assert ((percent / 100).where(applicable, 0) @ effort).round(4).tolist() == weekly["done"].tolist()


def test_changes_since_the_last_meeting(scenario):
    plan, table, history = scenario
    changes = committee.changes_since(plan, table, history, SINCE, TODAY)
    assert changes.since == SINCE
    assert changes.completed["task_id"].tolist() == ["P1.02"]
    assert changes.started["task_id"].tolist() == ["P2.01", "P3.01"]  # P3.01 went straight to blocked
    slipped = changes.slipped.set_index("task_id")
    assert slipped["reason"].to_dict() == {"P1.01": "due moved later", "P2.01": "became overdue"}
    assert slipped.loc["P1.01", "days_later"] == 20
    # implementation progress: then 2.6 of 21 effort-days, now 4.3 of 20 (P4.02 became not applicable)
    assert changes.overall_then == 0.1238 and readiness.weighted(table) == 0.215


def test_readiness_per_clause_then_now_and_change(scenario):
    plan, table, history = scenario
    clauses = committee.changes_since(plan, table, history, SINCE, TODAY).clauses.set_index("id")
    expected = {  # then, now (hand-computed from the efforts in the module docstring; mandatory sms tasks only)
        "4": (0.0, 0.3),
        "4.1": (0.0, 0.3),  # P2.01: 0, then 30 %
        "5": (0.3, 0.5),  # (2*.5 + 1*.2 + 0)/4, (2*.5 + 1 + 0)/4
        "5.1": (0.4, 0.6667),  # (2*.5 + 1*.2)/3, (2*.5 + 1)/3
        "5.2": (0.1, 0.5),
        "5.2.1": (0.2, 1.0),  # P1.02
        "5.2.2": (0.0, 0.0),  # P1.04
        "8": (0.0444, 0.1444),  # 0.4/9, 1.3/9
        "8.1": (0.0667, 0.0667),  # P1.03 (4, 10 %) and P3.01 (2, 0); P2.02 is optional
        "8.2": (0.0, 0.3),
    }
    assert {cid: (r.then, r.now) for cid, r in clauses.iterrows()} == expected
    assert clauses.loc["8", "change"] == 0.1 and clauses.loc["8.1", "change"] == 0
    assert clauses.loc["5.2.1", "depth"] == 2 and clauses["title"]["5"] == "Leadership"


@pytest.mark.parametrize(
    ("then", "now", "text"),
    [(0.13, 0.2263, "+9 pts"), (0.5, 0.4999, "-1 pts"), (0.996, 0.999, "no change"), (None, 0.5, "–")],
)
def test_a_change_is_the_difference_of_the_shown_percents(then, now, text):
    assert committee.change_text(then, now) == text


def test_a_since_date_after_today_or_not_a_date_is_refused(scenario):
    plan, table, history = scenario
    with pytest.raises(committee.CommitteeError, match="after today"):
        committee.changes_since(plan, table, history, TODAY + dt.timedelta(days=1), TODAY)
    with pytest.raises(committee.CommitteeError, match="not a date; expected YYYY-MM-DD"):
        committee.since_date("15/06/2026", TODAY)
    assert committee.since_date(None, TODAY) == committee.default_since(TODAY) == dt.date(2026, 6, 1)
    assert committee.since_date("2026-06-15", TODAY) == SINCE


def test_the_pack_lists_gates_and_the_decisions_they_need(scenario):
    plan, table, history = scenario
    pack = committee.build_pack(plan, table, history, TODAY, SINCE)
    gates = {g["stage"]: g for g in pack.gates}
    assert gates[0]["gate"] == "met" and gates[0]["criteria"] == ["Everything mandatory done and verified."]
    # remaining 15.7 at a mean of 4.3 / 8 = 0.5375 a week: 205 days
    late = "the forecast 2027-01-22 is after the target 2026-12-31"
    assert gates[1]["why"] == (
        f"kept shut by 4 mandatory tasks: 3 not done (P1.01, P1.03, P1.04); 1 done without evidence (P1.02). At risk: {late}"
    )
    assert gates[3]["why"] == f"kept shut by 1 mandatory task: 1 not done (P3.01). At risk: 1 blocked (P3.01); {late}"
    decisions = pack.decisions
    assert decisions.columns.tolist() == committee.DECISION_COLUMNS
    sign_off = decisions[decisions["decision"] == committee.SIGN_OFF]
    assert sign_off["about"].tolist() == ["Initiation"] and "last changed on 06 Jun 2026" in sign_off["why"].iloc[0]
    at_risk = decisions[decisions["decision"] == committee.AT_RISK]
    assert at_risk["about"].tolist() == [g["name"] for g in pack.gates if g["gate_at_risk"]]
    assert at_risk.set_index("about")["why"]["Phase 2: Extend"] == f"1 overdue (P2.01); {late}"
    unblock = decisions[decisions["decision"] == committee.UNBLOCK]
    assert unblock[["about", "why", "owner"]].values.tolist() == [
        ["P3.01 Review other parties", "Waiting for the budget.", "Tom"]
    ]
    assert decisions["decision"].tolist() == sorted(
        decisions["decision"], key=[committee.SIGN_OFF, committee.AT_RISK, committee.UNBLOCK].index
    )


def test_the_pack_holds_the_risks_and_the_figures_of_the_charts(scenario):
    plan, table, history = scenario
    pack = committee.build_pack(plan, table, history, TODAY, SINCE, edition="2018")
    assert pack.organisation == "Readiness Test Org" and pack.scope == "One service for one customer."
    assert pack.blocked["task_id"].tolist() == ["P3.01"]
    assert pack.overdue["task_id"].tolist() == ["P2.01"]
    assert pack.critical_path["task_id"].tolist()[-1] == "P4.01"
    assert pack.clauses["id"].tolist()[0] == "4" and "8.2" in pack.clauses["id"].tolist()  # the 2018 tree
    assert pack.weekly["week_end"].iloc[-1] == pd.Timestamp(TODAY) and pack.forecast.today == TODAY
    assert pack.summary["overall"] == 0.215
    in_2011 = committee.build_pack(plan, table, history, TODAY, SINCE, edition="2011")
    assert "4.1.1" in in_2011.clauses["id"].tolist() and in_2011.summary["implemented"]["clauses"] == 6


def test_without_history_everything_was_not_started(scenario):
    plan, table, _ = scenario
    empty = pd.DataFrame(columns=["seq", "at", "by", "source", "task_id", "field", "old", "new", "recorded_at"])
    changes = committee.changes_since(plan, table, empty.astype({"seq": int}), SINCE, TODAY)
    assert changes.overall_then == 0 and len(changes.completed) == 2  # P0.01 and P1.02 are done now
