"""Burn-up, forecast, slipped tasks and the Gantt schedule, on hand-computed histories.

The scenario is the small plan of tests/plans/readiness with the saves of saves.yaml (see
test_readiness.py for its table); today is Wednesday 2026-07-01, so weeks end on Wednesdays.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from rollout import readiness, schedule, timeline
from rollout.plan import Plan
from rollout.progress import default_row
from rollout.stores import filehistory as history

SCENARIO = Path(__file__).resolve().parent / "plans" / "readiness"
TODAY = dt.date(2026, 7, 1)


@pytest.fixture(scope="module")
def scenario(small_scenario) -> tuple[Plan, pd.DataFrame, pd.DataFrame]:
    """The small plan, its task table and its history after the saves of saves.yaml."""
    plan, store = small_scenario
    return plan, readiness.task_table(plan, store.load().progress), store.history()


def changes(*rows: tuple[str, str, str, str, str]) -> pd.DataFrame:
    """History rows from (day, task_id, field, old, new), one save each."""
    return pd.DataFrame(
        [
            (seq, f"{day}T12:00:00Z", "Tester", "ui", tid, field, old, new, f"{day}T12:00:00Z")
            for seq, (day, tid, field, old, new) in enumerate(rows, 1)
        ],
        columns=history.COLUMNS,
    )


def one_task_plan(plan: Plan, effort: float = 100.0) -> Plan:
    """The small plan cut down to P1.01 with the given effort."""
    return dataclasses.replace(plan, tasks={"P1.01": dataclasses.replace(plan.tasks["P1.01"], effort_days=effort)})


def one_task_table(plan: Plan, status: str, percent: int) -> pd.DataFrame:
    progress = pd.DataFrame([{**default_row("P1.01"), "status": status, "percent": percent}])
    return readiness.task_table(plan, progress.assign(start=pd.NaT, due=pd.NaT, orphaned=False))


def steady_history(percents: list[int]) -> pd.DataFrame:
    """P1.01's percent at the end of each week, the last one ending TODAY."""
    days = pd.date_range(end=pd.Timestamp(TODAY), periods=len(percents), freq="7D").strftime("%Y-%m-%d")
    olds = [0, *percents[:-1]]
    return changes(*((d, "P1.01", "percent", str(o), str(p)) for d, o, p in zip(days, olds, percents, strict=True)))


# burn-up -----------------------------------------------------------------------
def test_week_ends_run_back_from_today():
    ends = timeline.week_ends(dt.date(2026, 6, 1), TODAY)
    assert ends.strftime("%m-%d").tolist() == ["05-27", "06-03", "06-10", "06-17", "06-24", "07-01"]
    assert timeline.week_ends(dt.date(2026, 8, 1), TODAY).strftime("%m-%d").tolist() == ["07-01"]


def test_burnup_is_rebuilt_from_the_history(scenario):
    plan, _, log = scenario
    weekly = timeline.burnup(plan, log, TODAY)
    assert weekly["week_end"].dt.strftime("%m-%d").tolist() == ["05-27", "06-03", "06-10", "06-17", "06-24", "07-01"]
    # P0.01 50 % then done; A 50 % on 06-10 at 18:00 (in that week); B done; P2.01 20 %; P1.04 done 06-27
    assert weekly["done"].tolist() == [0.0, 0.5, 2.0, 3.0, 3.6, 4.6]
    # every kind of task counts (implementation progress); P1.03 (4) not applicable from 06-15, P4.02 (1) from 06-26
    assert weekly["ceiling"].tolist() == [21.0, 21.0, 21.0, 17.0, 17.0, 16.0]


def test_burnup_ends_at_the_current_figures(scenario):
    plan, table, log = scenario
    last = timeline.burnup(plan, log, TODAY).iloc[-1]
    applicable = table[table["applicable"]]
    assert last["done"] == (applicable["effort"] * applicable["completion"]).sum()
    assert last["ceiling"] == applicable["effort"].sum()


def test_burnup_ignores_later_changes_other_fields_and_unknown_tasks(scenario):
    plan, _, _ = scenario
    log = changes(
        ("2026-06-30", "P2.02", "percent", "0", "40"),
        ("2026-06-30", "P2.02", "owner", "", "Ann"),
        ("2026-06-30", "P9.99", "percent", "0", "100"),
        ("2026-07-02", "P2.02", "percent", "40", "60"),
    )
    assert timeline.burnup(plan, log, TODAY)["done"].tolist() == [0.0] * 5 + [2.0]


def test_a_task_set_not_applicable_and_back_leaves_and_rejoins_both_sums(scenario):
    plan, _, _ = scenario
    log = changes(
        ("2026-06-02", "P2.02", "percent", "0", "40"),
        ("2026-06-09", "P2.02", "status", "in_progress", "not_applicable"),
        ("2026-06-16", "P2.02", "status", "not_applicable", "in_progress"),
    )
    weekly = timeline.burnup(plan, log, TODAY)
    assert weekly["done"].tolist() == [0.0, 2.0, 0.0, 2.0, 2.0, 2.0]
    assert weekly["ceiling"].tolist() == [21.0, 21.0, 16.0, 21.0, 21.0, 21.0]


def test_burnup_replays_in_seq_order_and_keeps_a_value_over_one_it_cannot_read(scenario):
    plan, _, _ = scenario
    log = changes(
        ("2026-06-02", "P2.02", "percent", "0", "40"),
        ("2026-06-09", "P2.02", "percent", "40", "x"),  # not a number: 40 % stays
        ("2026-06-16", "P2.02", "status", "in_progress", "paused"),  # not a status: it stays applicable
    )
    log.loc[len(log)] = [0, "2026-06-02T13:00:00Z", "Tester", "ui", "P2.02", "percent", "0", "20", ""]  # seq 0, last
    weekly = timeline.burnup(plan, log, TODAY)
    assert weekly["done"].tolist() == [0.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    assert weekly["ceiling"].tolist() == [21.0] * 6


def test_burnup_without_history_is_flat_at_zero(scenario):
    plan, _, log = scenario
    weekly = timeline.burnup(plan, log.iloc[:0], TODAY)
    assert weekly["done"].eq(0).all() and weekly["ceiling"].eq(21).all()


# forecast ----------------------------------------------------------------------
def test_forecast_on_a_steady_history(scenario):
    plan = one_task_plan(scenario[0])
    log = steady_history([1, 3, 6, 10, 11, 13, 16, 20])  # weekly velocities 1, 2, 3, 4, 1, 2, 3, 4
    result = timeline.plan_forecast(plan, one_task_table(plan, "in_progress", 20), log, TODAY)
    assert result.velocities == (1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0)
    # remaining 80: mean 2.5 -> 224 days; 75th percentile 3.25 -> 172.3 -> 173; 25th 1.75 -> 320
    assert (result.likely, result.earliest, result.latest) == (
        dt.date(2027, 2, 10),
        dt.date(2026, 12, 21),
        dt.date(2027, 5, 17),
    )
    assert result.on_track is False and result.late and result.reason is None


def test_forecast_of_the_scenario_has_no_latest_date_when_slow_weeks_made_no_progress(scenario):
    plan, table, log = scenario
    result = timeline.forecast(plan, table, timeline.burnup(plan, log, TODAY), TODAY)
    assert result.velocities == (0.0, 0.0, 0.0, 0.5, 1.5, 1.0, 0.6, 1.0)
    # remaining 16 - 4.6 = 11.4: mean 0.575 -> 138.8 -> 139 days; 75th percentile 1.0 -> 79.8 -> 80 days; 25th is 0
    assert result.as_json() == {
        "likely": "2026-11-17",
        "earliest": "2026-09-19",
        "latest": None,
        "target": "2026-12-31",
        "on_track": True,
        "reason": None,
        "remaining_effort": 11.4,
        "weekly_velocity": [0.0, 0.0, 0.0, 0.5, 1.5, 1.0, 0.6, 1.0],
        "not_before": "2026-08-31",  # P3.01: 4 weeks from its earliest start, Mon 08-03 (after P2.01)
        "not_before_task": "P3.01",
    }
    assert result.floor_text() is None  # the pace decides, not the operating period
    assert result.range_text() == "from 2026-09-19, with no latest date: the slowest weeks made no progress"


def test_no_forecast_date_before_an_operating_period_can_end(scenario):
    plan = one_task_plan(scenario[0])
    table = one_task_table(plan, "in_progress", 20).assign(
        start=pd.Timestamp("2026-06-08"), min_weeks=pd.array([40], dtype="Int64")
    )
    log = steady_history([1, 3, 6, 10, 11, 13, 16, 20])  # alone, the pace gives 2026-12-21, 2027-02-10, 2027-05-17
    result = timeline.plan_forecast(plan, table, log, TODAY)
    # P1.01 is in progress from its own start, 06-08: 40 weeks later is 2027-03-15
    assert result.floor == (dt.date(2027, 3, 15), "P1.01", dt.date(2026, 6, 8))
    assert (result.earliest, result.likely, result.latest) == (
        dt.date(2027, 3, 15),
        dt.date(2027, 3, 15),
        dt.date(2027, 5, 17),
    )
    assert (
        result.floor_text()
        == "not before 2027-03-15, when the 40-week operating period of P1.01 (from 2026-06-08) ends"
    )
    assert result.floor_text() in result.sentence()
    unstarted = table.assign(status="not_started", percent=0, completion=0.0)
    later = timeline.plan_forecast(plan, unstarted, log, TODAY)
    assert later.floor[2] == TODAY  # not started: from its earliest possible start, today


def test_wherever_a_forecast_date_is_told_it_comes_with_what_it_leaves_out(scenario):
    """The forecast counts effort: an audit that can only follow months of operation may end later (m16)."""
    plan, table, log = scenario
    result = timeline.forecast(plan, table, timeline.burnup(plan, log, TODAY), TODAY)
    assert result.paragraph().endswith(timeline.FORECAST_CAVEAT) and timeline.FORECAST_CAVEAT in timeline.FORECAST_HELP
    assert timeline.FORECAST_CAVEAT.count(".") == 1  # one sentence
    none = dataclasses.replace(result, likely=None, earliest=None, latest=None, reason="no forecast yet: x")
    assert timeline.FORECAST_CAVEAT not in none.paragraph()  # no date, nothing to qualify


def test_forecast_dates_stay_in_order_when_one_slow_week_pulls_the_mean_below_the_quartiles(scenario):
    plan = one_task_plan(scenario[0])
    # velocities 5 (seven weeks) and 0: the mean 4.375 is below both quartiles (5)
    log = steady_history([5, 10, 15, 20, 25, 30, 35, 35])
    result = timeline.plan_forecast(plan, one_task_table(plan, "in_progress", 35), log, TODAY)
    # remaining 65: both quartiles -> 91 days (2026-09-30); the mean -> 104 days, so latest is clamped up to likely
    assert (result.earliest, result.likely, result.latest) == (
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 13),
        dt.date(2026, 10, 13),
    )


def test_no_forecast_before_three_weeks_show_progress(scenario):
    plan = one_task_plan(scenario[0])
    log = steady_history([0, 0, 0, 0, 0, 0, 5, 10])
    result = timeline.plan_forecast(plan, one_task_table(plan, "in_progress", 10), log, TODAY)
    assert (result.likely, result.earliest, result.latest, result.on_track) == (None, None, None, None)
    assert result.reason == "no forecast yet: 2 of the last 8 weeks show progress; at least 3 are needed"
    assert result.as_json()["likely"] is None and not result.late


def test_the_reason_for_no_forecast_counts_one_week_in_the_singular(scenario):
    plan = one_task_plan(scenario[0])
    log = steady_history([0, 0, 0, 0, 0, 0, 0, 10])
    result = timeline.plan_forecast(plan, one_task_table(plan, "in_progress", 10), log, TODAY)
    assert result.reason == "no forecast yet: 1 of the last 8 weeks shows progress; at least 3 are needed"


def test_no_forecast_when_done_effort_shrank(scenario):
    plan = one_task_plan(scenario[0])
    log = steady_history([20, 22, 24, 26, 26, 26, 26, 26, 5])  # velocities 2, 2, 2, 0, 0, 0, 0, -21
    result = timeline.plan_forecast(plan, one_task_table(plan, "in_progress", 5), log, TODAY)
    assert result.velocities[-1] == -21.0
    assert (
        result.likely is None
        and result.reason == "no forecast yet: at the pace of the last 8 weeks the work never ends"
    )


def test_a_finished_plan_forecasts_today(scenario):
    plan = one_task_plan(scenario[0], effort=1)
    result = timeline.plan_forecast(plan, one_task_table(plan, "done", 100), steady_history([100]), TODAY)
    assert (result.likely, result.earliest, result.latest, result.on_track) == (TODAY, TODAY, TODAY, True)


# slipped -----------------------------------------------------------------------
def test_slipped_since_a_date(scenario):
    plan, table, _ = scenario
    since = dt.date(2026, 6, 15)
    now = table.set_index("task_id")
    now["status"] = "in_progress"
    now.loc["P0.01", "status"] = "done"
    now["due"] = pd.to_datetime(
        pd.Series(
            {
                "P0.01": "2026-06-20",  # done: never overdue
                "P1.01": "2026-07-20",  # moved from 06-20 on 06-18: slipped 30 days
                "P1.02": "2026-06-20",  # set on 06-16, passed since: became overdue
                "P2.01": "2026-06-25",  # unchanged, passed since: became overdue
                "P2.02": "2026-06-10",  # already overdue on 06-15
                "P3.01": "2026-08-01",  # moved later before 06-15
                "P4.01": "2026-07-10",  # moved earlier
                "P4.02": "2026-06-10",  # reopened on 06-20 after being done: became overdue
            }
        )
    )
    log = changes(
        ("2026-06-01", "P3.01", "due", "2026-07-01", "2026-08-01"),
        ("2026-06-16", "P1.02", "due", "", "2026-06-20"),
        ("2026-06-18", "P1.01", "due", "2026-06-20", "2026-07-10"),
        ("2026-06-19", "P1.01", "due", "2026-07-10", "2026-07-20"),
        ("2026-06-20", "P4.01", "due", "2026-07-30", "2026-07-10"),
        ("2026-06-20", "P4.02", "status", "done", "in_progress"),
    )
    got = timeline.slipped(plan, now.reset_index(), log, since, TODAY)
    assert got[["task_id", "reason"]].values.tolist() == [
        ["P1.01", "due moved later"],
        ["P1.02", "became overdue"],
        ["P2.01", "became overdue"],
        ["P4.02", "became overdue"],
    ]
    first = got.iloc[0]
    assert (first["due_then"], first["due_now"], first["days_later"]) == (
        pd.Timestamp("2026-06-20"),
        pd.Timestamp("2026-07-20"),
        30,
    )


def test_a_due_date_moved_later_that_has_passed_is_both(scenario):
    plan, table, _ = scenario
    log = changes(("2026-06-16", "P1.01", "due", "2026-06-18", "2026-06-20"))
    got = timeline.slipped(plan, table, log, dt.date(2026, 6, 15), TODAY)
    assert got.set_index("task_id").loc["P1.01", "reason"] == "due moved later; overdue"


# Gantt -------------------------------------------------------------------------
def bars(frame: pd.DataFrame) -> dict[str, tuple[str, str, bool]]:
    return {r.task_id: (r.start.strftime("%m-%d"), r.finish.strftime("%m-%d"), r.planned) for r in frame.itertuples()}


def test_gantt_bars_from_dates_and_a_forward_pass(scenario):
    plan, table, _ = scenario
    assert bars(schedule.gantt_table(plan, table)) == {
        "P0.01": ("06-01", "06-06", False),  # start to the end of the due day
        "P1.01": ("06-08", "06-21", False),
        "P1.02": ("06-10", "06-11", True),  # start only: 1 working day
        "P1.03": ("06-01", "06-05", True),  # no dates, no dependencies: from start_date, 4 working days
        "P1.04": ("06-11", "06-12", True),  # after P1.02 (ends Thu 06-11)
        "P2.01": ("07-29", "08-01", True),  # due only (Fri 07-31): 3 working days back
        "P2.02": ("06-22", "06-29", True),  # after P1.01 (ends Sun 06-21): Mon 06-22 + 5 working days
        "P3.01": ("08-03", "08-31", True),  # after P2.01 (ends Sat 08-01); 4 weeks of operation, not 2 days
        "P4.01": ("08-31", "09-01", True),  # after the later of P3.01 and P2.02
        "P4.02": ("06-01", "06-02", True),
    }


def test_gantt_does_not_plan_unfinished_work_in_the_past(scenario):
    plan, table, _ = scenario
    got = bars(schedule.gantt_table(plan, table, TODAY))
    assert got["P2.02"] == ("07-01", "07-08", True)  # from today (Wed), 5 working days
    assert got["P1.03"] == ("06-01", "06-05", True)  # not applicable: not moved
    assert got["P4.01"] == ("08-31", "09-01", True)
